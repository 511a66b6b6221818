"""serve under odd requests and broken edits (issue 13): every request gets an answer, a failed
rebuild is reported in one line and the next save rebuilds, port problems and Ctrl-C are one
line. Servers bind to 127.0.0.1 on a free port and stop by themselves."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import PROJECT, run_build, write_code

import build
from sipref import serve
from sipref.incremental import Rebuilder
from sipref.model import display_path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ask(port: int, request: bytes) -> tuple[bytes, bytes]:
    """Send a raw request; return the status line and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], body


def get(port: int, path: str) -> tuple[bytes, bytes]:
    return ask(port, f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode("latin-1"))


@pytest.fixture
def site(content: Path, tmp_path: Path) -> Path:
    out = tmp_path / "site"
    assert run_build(content, out, "--base-url", "http://127.0.0.1/") == 0
    return out


@pytest.fixture
def port(site: Path) -> Iterator[int]:
    """The site served in this process, as serve serves it."""
    server = serve.make_server(site, port=0)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_url_over_64_kb_gets_414(port: int) -> None:
    status, _ = get(port, "/" + "a" * 70_000)
    assert status == b"HTTP/1.0 414 Request-URI Too Long"


@pytest.mark.parametrize(
    "request_line", [b"GARBAGE", b"GET / HTTP/x.y", b"GET / HTTP/1.1 x", b"\x00\x1b[2J"]
)
def test_a_malformed_request_line_gets_400(port: int, request_line: bytes) -> None:
    status, _ = ask(port, request_line + b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.0 400 ")


@pytest.mark.parametrize(
    "path",
    [
        "/" + "a" * 300,
        "/codes/" + "b" * 300 + ".html",
        "/codes/487/",
        "/codes/499.html",
        "/%00",
        "/..%2f..%2fetc",
        "/%ff",
        "/codes/",
    ],
)
def test_odd_paths_get_the_404_page(port: int, site: Path, path: str) -> None:
    status, body = get(port, path)
    assert status == b"HTTP/1.0 404 Not Found"
    assert body == (site / "404.html").read_bytes()


def test_a_symlink_out_of_the_site_is_not_served(port: int, site: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (site / "leak.html").symlink_to(secret)
    (site / "alias.html").symlink_to(site / "codes" / "487.html")
    assert get(port, "/leak.html")[0] == b"HTTP/1.0 404 Not Found"
    assert get(port, "/leak")[0] == b"HTTP/1.0 404 Not Found"
    status, body = get(port, "/alias")
    assert status == b"HTTP/1.0 200 OK"
    assert body == (site / "codes" / "487.html").read_bytes()


def test_pages_are_still_served_like_a_host(port: int, site: Path) -> None:
    for path, file in (
        ("/", "index.html"),
        ("/codes/487", "codes/487.html"),
        ("/codes/487.html?q=1", "codes/487.html"),
    ):
        status, body = get(port, path)
        assert (status, body) == (b"HTTP/1.0 200 OK", (site / file).read_bytes())


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_watcher_goes_on_after_a_rebuild_raises(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[int] = []

    def rebuild(changed: object = None) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom \x1b[2J")

    stop = threading.Event()
    # The watcher compares with this snapshot, taken before any save: no wait for it to start.
    watcher = threading.Thread(
        target=serve.watch,
        args=([content], rebuild, stop),
        kwargs={"seen": serve.snapshot([content])},
        daemon=True,
    )
    watcher.start()
    try:
        write_code(content, 487, "Request Terminated", summary="First.")
        wait_for(lambda: len(calls) == 1)  # the watcher has taken the first save in
        write_code(content, 487, "Request Terminated", summary="Second.")
        wait_for(lambda: len(calls) == 2)
    finally:
        stop.set()
        watcher.join()
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(
        ": rebuild failed: RuntimeError: boom \\x1b[2J; the last good site is "
        "still served, and the next save rebuilds"
    )
    assert line.startswith(f"{display_path(Path(__file__))}:")


def test_a_template_that_raises_is_reported_and_the_next_save_rebuilds(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(PROJECT / "templates", templates)
    out = tmp_path / "site"
    rebuild = Rebuilder(content, templates, out, "http://127.0.0.1/")
    assert rebuild() == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    page = templates / "code.html"
    good = page.read_text()
    page.write_text(good.replace("<h1>", "<h1>{{ 1/0 }}", 1))
    capsys.readouterr()
    assert rebuild() == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "division by zero" in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    page.write_text(good)
    assert rebuild() == 0


def test_a_port_in_use_is_one_line(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        number = taken.getsockname()[1]
        status = build.main(
            [
                "serve",
                "--content",
                str(content),
                "--out",
                str(tmp_path / "site"),
                "--port",
                str(number),
            ]
        )
    assert status == 1
    assert capsys.readouterr().err == (
        f"serve: cannot listen on 127.0.0.1:{number}: Address already in use; stop the program "
        "using it or pick another --port\n"
    )
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("number", ["70000", "-1"])
def test_a_port_out_of_range_is_one_line(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], number: str
) -> None:
    status = build.main(
        ["serve", "--content", str(content), "--out", str(tmp_path / "site"), "--port", number]
    )
    assert status == 1
    assert capsys.readouterr().err == (
        f"serve: --port must be a whole number from 1 to 65535, found {number}; pick another port\n"
    )


class Lines:
    """Collects a process's stderr lines as they come."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self.read, args=(process,), daemon=True)
        self.thread.start()

    def read(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, after: int = 0) -> int:
        """Wait for a line containing text from index after on; return its index."""

        def found() -> bool:
            return any(text in line for line in self.lines[after:])

        wait_for(found)
        return next(i for i, line in enumerate(self.lines) if i >= after and text in line)


def test_serve_survives_a_broken_template_and_stops_on_ctrl_c(
    content: Path, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(PROJECT / "templates", templates)
    number = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(PROJECT / "build.py"),
            "serve",
            "--content",
            str(content),
            "--templates",
            str(templates),
            "--out",
            str(tmp_path / "site"),
            "--port",
            str(number),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines = Lines(process)
    try:
        started = lines.wait_for("Serving ")
        assert get(number, "/codes/487")[0] == b"HTTP/1.0 200 OK"
        page = templates / "code.html"
        good = page.read_text()
        page.write_text(good.replace("<h1>", "<h1>{{ 1/0 }}", 1))
        failed = lines.wait_for("division by zero", started)
        assert process.poll() is None
        assert get(number, "/codes/487")[0] == b"HTTP/1.0 200 OK"  # the last good site
        page.write_text(good.replace("<h1>", "<h1>Fixed ", 1))
        lines.wait_for("files written", failed)
        assert b"<h1>Fixed " in get(number, "/codes/487")[1]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines.thread.join(timeout=5)
    assert lines.lines[-1] == "serve: stopped"
    assert not any("Traceback" in line for line in lines.lines)
