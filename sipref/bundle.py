"""The offline bundle: the site in one reproducible zip that unpacks to one folder."""

from __future__ import annotations

import json
import os
import re
import time
import zipfile
from pathlib import Path

from sipref.model import BuildError
from sipref.write import check_can_be_folder, describe_os_error, read_static, static_files

# A zip stores local dates from 1980 to 2107; read as UTC, SOURCE_DATE_EPOCH must fall inside.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FIRST_ZIP_SECOND = 315532800  # 1980-01-01T00:00:00Z
LAST_ZIP_SECOND = 4354819199  # 2107-12-31T23:59:59Z


def zip_timestamp(epoch: str | None) -> tuple[int, int, int, int, int, int]:
    """Return the fixed timestamp stored for every file in the zip: 1980-01-01, or the time
    SOURCE_DATE_EPOCH (epoch) gives when a packager sets it."""
    if not epoch:
        return ZIP_EPOCH
    seconds = int(epoch) if re.fullmatch(r"[0-9]{1,12}", epoch, re.ASCII) else None
    if seconds is None or not FIRST_ZIP_SECOND <= seconds <= LAST_ZIP_SECOND:
        shown = json.dumps(epoch if len(epoch) <= 40 else epoch[:40] + "…", ensure_ascii=False)
        raise BuildError(
            f"SOURCE_DATE_EPOCH: must be a whole number of seconds since 1970 "
            f"from {FIRST_ZIP_SECOND} (1980-01-01) to {LAST_ZIP_SECOND} "
            f"(2107-12-31), the dates a zip can hold, found {shown}; fix it or "
            "unset it"
        )
    return time.gmtime(seconds)[:6]


def check_dist(dist: Path) -> None:
    """Refuse a --dist that is a file or lies below one, before the build's work is done."""
    try:
        check_can_be_folder(dist.resolve(), "--dist")
    except OSError as err:
        raise BuildError(describe_os_error(err, dist, "choose another --dist")) from None


def write_bundle(
    pages: dict[str, bytes],
    static_dir: Path,
    zip_path: Path,
    folder: str,
    stamp: tuple[int, int, int, int, int, int] = ZIP_EPOCH,
) -> int:
    """Write pages and static files into zip_path under folder/, every file dated stamp;
    return the number of files. On any failure, nothing is left but the previous zip."""
    partial = zip_path.with_name(zip_path.name + ".partial")
    try:
        files = dict(pages)
        files.update((name, read_static(path)) for name, path in static_files(static_dir).items())
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            write_zip(files, partial, folder, stamp)
            partial.replace(zip_path)
        except BaseException:  # a full disk, Ctrl-C: never leave half a zip
            partial.unlink(missing_ok=True)
            raise
    except OSError as err:
        written = err.filename is None or Path(os.fsdecode(err.filename)) == partial
        shown = zip_path if written else None
        advice = "choose another --dist or make it writable" if written else "make it readable"
        raise BuildError(describe_os_error(err, shown, advice)) from None
    return len(files)


def write_zip(
    files: dict[str, bytes], path: Path, folder: str, stamp: tuple[int, int, int, int, int, int]
) -> None:
    """Write files into a new zip at path under folder/, sorted, all dated stamp."""
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, so the permissions above are honoured
            archive.writestr(info, files[name], compresslevel=9)
