#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser tests; they fail without it.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing: install Debian's chromium package (sudo apt-get install chromium)" >&2
  exit 1
fi
echo "Installing Debian's chromium package for the browser tests..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
