"""Share a list of independent jobs between this process and forked copies of it.

Converting Markdown and rendering pages is pure Python, so threads would take turns; forked
processes run side by side, start with everything this one has loaded (modules, compiled
templates, the Markdown converter), and send their results back pickled through a pipe.
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

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


def map_forked(function: Callable[[Item], Result], items: Sequence[Item],
               processes: int) -> list[Result]:
    """Return [function(item) for item in items], shared among up to `processes` processes.

    The results are in the order of items whatever the number of processes, so the output
    does not depend on the machine. An exception in any process is raised here. Only for a
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
        results = [[function(item) for item in shares[0]]]
    finally:
        # Always collect every child, so none is left behind when this process fails.
        replies = [collect_worker(pid, reply) for pid, reply in children]
    for succeeded, value in replies:
        if not succeeded:
            raise value
        results.append(value)
    ordered: list[Result] = [None] * len(items)  # type: ignore[list-item]
    for start, share_results in enumerate(results):
        ordered[start::processes] = share_results
    return ordered


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
                results = [function(item) for item in share]
            except BaseException as err:  # noqa: BLE001 - every failure goes to the parent
                pipe.write(pickled_failure(err))
            else:  # pickled straight into the pipe, frame by frame, not copied whole first
                pickle.dump((True, results), pipe, pickle.HIGHEST_PROTOCOL)
    finally:
        os._exit(0)


def pickled_failure(err: BaseException) -> bytes:
    """Return err pickled as a failed outcome, or its traceback text if err cannot be."""
    try:
        return pickle.dumps((False, err), pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an exception with unpicklable arguments
        text = "".join(traceback.format_exception(err))
        return pickle.dumps((False, WorkerFailed(text)), pickle.HIGHEST_PROTOCOL)


def collect_worker(pid: int, reply: int) -> tuple[bool, object]:
    """Read a worker's outcome and wait for it to exit."""
    with os.fdopen(reply, "rb") as pipe:
        try:  # read as it is unpickled, not whole first: results can be large
            outcome = pickle.load(pipe)  # noqa: S301 - our own child's output
        except (EOFError, pickle.UnpicklingError):  # killed, or out of memory, mid-answer
            outcome = None
    _, status = os.waitpid(pid, 0)
    if outcome is None:
        return False, WorkerFailed(f"a build worker stopped without a result "
                                   f"(wait status {status})")
    return outcome
