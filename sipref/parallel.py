"""Share a list of independent jobs between this process and forked copies of it.

Converting Markdown and rendering pages is pure Python, so threads would take turns; forked
processes run side by side, start with everything this one has loaded (modules, compiled
templates, the Markdown converter), and send their results back pickled through a pipe.
"""

from __future__ import annotations

import functools
import os
import pickle
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# How a stage runs its jobs: called with the function and the jobs, returns the results in
# the order of the jobs. A build forks (forked); serve keeps the results of jobs that have
# not changed (incremental.Memo.run); a test runs them here.
Runner = Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]


def run_here(function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """Return [function(item) for item in items], in this process."""
    return [function(item) for item in items]


def forked(processes: int) -> Runner:
    """Return a Runner that shares the jobs among up to processes forked processes."""
    return functools.partial(map_forked, processes=processes)


# Below this many jobs per process, starting a process costs more than it saves.
MIN_JOBS_PER_PROCESS = 8


def usable_cpus() -> int:
    """Return how many processes a build may use: the CPUs this process may run on, on Linux
    (where fork is cheap); 1 elsewhere, and 1 in a program with threads, which a fork would
    copy without their locks' owners."""
    threading = sys.modules.get("threading")  # never imported: no threads were started
    if sys.platform != "linux" or (threading is not None and threading.active_count() > 1):
        return 1
    return len(os.sched_getaffinity(0))


class WorkerFailed(Exception):
    """A forked worker raised an exception that could not be sent back as it was."""


def map_forked(
    function: Callable[[Item], Result], items: Sequence[Item], processes: int
) -> list[Result]:
    """Return [function(item) for item in items], shared among up to `processes` processes.

    The results are in the order of items whatever the number of processes, so the output
    does not depend on the machine. An exception in any process is raised here: the one of the
    first item that failed, so the message does not depend on the machine either. Only for a
    program with one thread: a fork copies no other thread.
    """
    processes = min(processes, len(items) // MIN_JOBS_PER_PROCESS)
    if processes < 2:
        return [function(item) for item in items]
    shares = [items[start::processes] for start in range(processes)]  # mixes long and short
    sys.stdout.flush()
    sys.stderr.flush()
    children = [start_worker(function, share) for share in shares[1:]]
    try:
        own = compute_share(function, shares[0])
    finally:
        # Always collect every child, so none is left behind when this process fails.
        replies = [collect_worker(pid, reply) for pid, reply in children]
    outcomes = [own, *replies]
    failures = [
        (position * processes + start, value)
        for start, (succeeded, value, position) in enumerate(outcomes)
        if not succeeded
    ]
    if failures:
        raise min(failures, key=lambda failure: failure[0])[1]
    results = [value for _, value, _ in outcomes]
    ordered: list[Result] = [None] * len(items)  # type: ignore[list-item]
    for start, share_results in enumerate(results):
        ordered[start::processes] = share_results
    return ordered


# What a share came to: (True, its results, 0) or (False, the exception, the position in the
# share of the item that raised it).
Outcome = tuple[bool, object, int]


def compute_share(function: Callable[[Item], Result], share: Sequence[Item]) -> Outcome:
    """Return the outcome of function over share, stopping at the first item that fails."""
    results = []
    for item in share:
        try:
            results.append(function(item))
        except Exception as err:  # noqa: BLE001 - reported in item order by map_forked
            return False, err, len(results)
    return True, results, 0


def start_worker(function: Callable[[Item], Result], share: Sequence[Item]) -> tuple[int, int]:
    """Fork a process that computes function over share and writes the pickled outcome to a
    pipe; return its pid and the pipe's reading end."""
    reply, send = os.pipe()
    pid = os.fork()
    if pid:
        os.close(send)
        return pid, reply
    os.close(reply)
    try:  # the child: never returns, never runs the parent's exit handlers
        with os.fdopen(send, "wb") as pipe:
            try:
                succeeded, value, position = compute_share(function, share)
            except BaseException as err:  # noqa: BLE001 - Ctrl-C too goes to the parent
                succeeded, value, position = False, err, 0
            if succeeded:  # pickled straight into the pipe, frame by frame, not copied first
                pickle.dump((True, value, 0), pipe, pickle.HIGHEST_PROTOCOL)
            else:
                pipe.write(pickled_failure(value, position))
    finally:
        os._exit(0)


def pickled_failure(err: BaseException, position: int) -> bytes:
    """Return err pickled as a failed outcome, or its traceback text if err cannot be."""
    try:
        return pickle.dumps((False, err, position), pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an exception with unpicklable arguments
        text = "".join(traceback.format_exception(err))
        return pickle.dumps((False, WorkerFailed(text), position), pickle.HIGHEST_PROTOCOL)


def collect_worker(pid: int, reply: int) -> Outcome:
    """Read a worker's outcome and wait for it to exit."""
    with os.fdopen(reply, "rb") as pipe:
        try:  # read as it is unpickled, not whole first: results can be large
            outcome = pickle.load(pipe)  # noqa: S301 - our own child's output
        except (EOFError, pickle.UnpicklingError):  # killed, or out of memory, mid-answer
            outcome = None
    _, status = os.waitpid(pid, 0)
    if outcome is None:
        return (
            False,
            WorkerFailed(f"a build worker stopped without a result (wait status {status})"),
            0,
        )
    return outcome
