"""A local preview that behaves like a static host, rebuilding when content or templates change."""

from __future__ import annotations

import fnmatch
import functools
import http.server
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path


def read_headers_file(site: Path) -> list[tuple[str, str, str]]:
    """Return (path pattern, header, value) rules from the site's _headers file, if any."""
    rules, pattern = [], None
    headers = site / "_headers"
    for line in headers.read_text(encoding="utf-8").splitlines() if headers.is_file() else []:
        if line and not line[0].isspace():
            pattern = line.strip()
        elif line.strip() and pattern is not None:
            name, _, value = line.strip().partition(":")
            rules.append((pattern, name.strip(), value.strip()))
    return rules


class HostLikeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site as Netlify would: /codes/487 finds codes/487.html, a missing path gets
    404.html with status 404, and the headers in _headers are sent."""

    def end_headers(self) -> None:
        path = self.path.split("?", 1)[0]
        for pattern, name, value in read_headers_file(Path(self.directory)):
            if fnmatch.fnmatchcase(path, pattern):
                self.send_header(name, value)
        super().end_headers()

    def send_head(self):  # type: ignore[override]
        path = Path(self.translate_path(self.path))
        if not path.exists() and path.with_name(path.name + ".html").is_file():
            self.path = self.path.split("?", 1)[0].split("#", 1)[0] + ".html"
        elif not path.exists():
            return self.send_not_found()
        return super().send_head()

    def send_not_found(self):  # type: ignore[no-untyped-def]
        page = Path(self.directory) / "404.html"
        body = page.read_bytes() if page.is_file() else b"Not found\n"
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return None

    def list_directory(self, path):  # type: ignore[no-untyped-def]
        return self.send_not_found()  # hosts show no folder listings

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")


def snapshot(folders: list[Path]) -> dict[Path, tuple[int, int]]:
    """Return the modification time and size of every file under folders."""
    found: dict[Path, tuple[int, int]] = {}
    pending = [str(folder) for folder in folders]
    while pending:  # os.scandir, not Path.rglob: this runs fifty times a second
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:  # removed while we looked
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file():
                    status = entry.stat()
                    found[Path(entry.path)] = (status.st_mtime_ns, status.st_size)
            except OSError:
                continue
    return dict(sorted(found.items()))


def watch(folders: list[Path], rebuild: Callable[[], None], stop: threading.Event,
          interval: float = 0.02, seen: dict[Path, tuple[int, int]] | None = None) -> None:
    """Call rebuild whenever a file under folders is added, removed or changed (since seen)."""
    seen = snapshot(folders) if seen is None else seen
    while not stop.wait(interval):
        now = snapshot(folders)
        if now != seen:
            seen = now
            rebuild()


def make_server(out: Path, host: str = "127.0.0.1", port: int = 8000) -> http.server.HTTPServer:
    """Return an HTTP server for the site in out (not yet serving)."""
    handler = functools.partial(HostLikeHandler, directory=str(out))
    return http.server.ThreadingHTTPServer((host, port), handler)


def run(out: Path, folders: list[Path], rebuild: Callable[[], None], port: int) -> int:
    """Build, then serve out on localhost until interrupted, rebuilding on every change."""
    seen = snapshot(folders)  # before the first build, so an edit during it is not missed
    rebuild()  # a broken first build still serves, and the next save retries
    server = make_server(out, port=port)
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(folders, rebuild, stop),
                               kwargs={"seen": seen}, daemon=True)
    watcher.start()
    print(f"Serving {out} at http://127.0.0.1:{server.server_address[1]}/ "
          "(Ctrl-C to stop); rebuilding on changes", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
    return 0
