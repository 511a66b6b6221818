"""Forked workers: same results in the same order as one process, and every failure surfaces."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
from conftest import PROJECT, write_code

from sipref.model import ContentError
from sipref.parallel import MIN_JOBS_PER_PROCESS, WorkerFailed, forked, map_forked, usable_cpus
from sipref.pipeline import make_site
from sipref.validate import load_content


def no_child_left() -> bool:
    """Return whether this process has no finished child waiting to be reaped."""
    try:
        return os.waitpid(-1, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def test_results_keep_the_order_of_the_items() -> None:
    items = list(range(10 * MIN_JOBS_PER_PROCESS))
    results = map_forked(lambda item: (item * item, os.getpid()), items, 2)
    assert [square for square, _ in results] == [item * item for item in items]
    assert len({pid for _, pid in results}) == 2  # the work really was shared
    assert no_child_left()


def test_few_items_stay_in_this_process() -> None:
    results = map_forked(lambda item: os.getpid(), list(range(MIN_JOBS_PER_PROCESS)), 2)
    assert set(results) == {os.getpid()}


def test_an_exception_in_a_worker_is_raised_here() -> None:
    def check(item: int) -> int:
        if item == 31:  # an odd item: the forked worker's share
            raise ValueError("item 31 is bad")
        return item

    with pytest.raises(ValueError, match="item 31 is bad"):
        map_forked(check, list(range(40)), 2)
    assert no_child_left()


def test_an_exception_here_still_collects_the_workers() -> None:
    def check(item: int) -> int:
        if item == 0:  # this process's share
            raise KeyError("first")
        return item

    with pytest.raises(KeyError):
        map_forked(check, list(range(40)), 2)
    assert no_child_left()


def test_an_exception_that_cannot_be_pickled_comes_back_as_text() -> None:
    class Unpicklable(Exception):
        def __init__(self) -> None:
            super().__init__("local class")
            self.handle = lambda: None

    def check(item: int) -> int:
        if item % 2:
            raise Unpicklable
        return item

    with pytest.raises(WorkerFailed, match="Unpicklable: local class"):
        map_forked(check, list(range(40)), 2)


def test_a_killed_worker_is_reported() -> None:
    def check(item: int) -> int:
        if item % 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return item

    with pytest.raises(WorkerFailed, match="stopped without a result"):
        map_forked(check, list(range(40)), 2)
    assert no_child_left()


def test_a_program_with_threads_uses_one_process() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert usable_cpus() == 1
    finally:
        stop.set()
        thread.join()


def test_the_real_site_is_the_same_from_one_or_two_processes() -> None:
    serial = make_site(PROJECT / "content", PROJECT / "templates", None).files
    shared = make_site(
        PROJECT / "content", PROJECT / "templates", None, run_files=forked(2), run_pages=forked(2)
    ).files
    assert list(shared) == list(serial)
    assert shared == serial


def test_problems_come_out_in_the_same_order(content: Path) -> None:
    for number in range(600, 640):
        write_code(
            content,
            number,
            f"Test {number}",
            causes=[f"See [x]({number + 100}.html)."] if number % 3 == 0 else ["Fine."],
            related=[{"code": 486, "note": "See."}],
        )
    (content / "codes" / "not-a-code.yaml").write_text("x: 1\n")

    def problems(processes: int) -> list[str]:
        with pytest.raises(ContentError) as caught:
            load_content(content, run=forked(processes))
        return str(caught.value).splitlines()

    serial = problems(1)
    assert len(serial) == 15  # 14 broken links and the misnamed file
    assert problems(2) == serial
