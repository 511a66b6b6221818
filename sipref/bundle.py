"""The offline bundle: the site in one reproducible zip that unpacks to one folder."""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

from sipref.write import static_files

# Zip timestamps cannot be earlier than 1980; use SOURCE_DATE_EPOCH when a packager sets it.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_timestamp() -> tuple[int, int, int, int, int, int]:
    """Return the fixed timestamp stored for every file in the zip."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return ZIP_EPOCH
    stamp = time.gmtime(max(int(epoch), 315532800))
    return stamp[:6]


def write_bundle(pages: dict[str, bytes], static_dir: Path, zip_path: Path, folder: str) -> int:
    """Write pages and static files into zip_path under folder/; return the number of files."""
    files = dict(pages)
    files.update((name, path.read_bytes()) for name, path in static_files(static_dir).items())
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    partial = zip_path.with_name(zip_path.name + ".partial")
    stamp = zip_timestamp()
    with zipfile.ZipFile(partial, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, so the permissions above are honoured
            archive.writestr(info, files[name], compresslevel=9)
    partial.replace(zip_path)
    return len(files)
