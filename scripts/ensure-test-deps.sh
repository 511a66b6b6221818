#!/usr/bin/env bash
# Make sure the system packages the tests need are present: Chromium (browser tests),
# Java (the Nu HTML Checker) and Node.js/npm (to fetch vnu-jar and axe-core from npm).
# Tests fail, never skip, without them; so install what is missing, or say how.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing for the tests: ${missing[*]}; install them (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "Installing Debian packages for the tests: ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
