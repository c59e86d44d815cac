"""Small timing helpers: best-of-N wall-clock times and peak RSS."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The shortest of *repeat* runs of *run*, in seconds (the least disturbed measurement)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def best_of_alternating(repeat: int, *runs: Callable[[], object]) -> list[float]:
    """The shortest of *repeat* runs of each of *runs*, taken in turn (a, b, a, b, ...).

    Alternating spreads a passing disturbance (another process, a frequency change) over all of
    them alike, so their ratio holds better than with one block of runs after the other.
    """
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for index, run in enumerate(runs):
            start = time.perf_counter()
            run()
            times[index].append(time.perf_counter() - start)
    return [min(each) for each in times]


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB.

    On Linux from ``VmHWM`` in ``/proc/self/status``: ``ru_maxrss`` would carry over the parent's
    peak into a child started with fork and exec.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _cpu_times() -> list[int] | None:
    try:
        with open("/proc/stat") as stat:
            return [int(field) for field in stat.readline().split()[1:]]
    except OSError:
        return None


def cpu_busy(seconds: float = 1.0) -> float | None:
    """The fraction of all CPUs that was busy over the next *seconds* (``None`` if not Linux)."""
    before = _cpu_times()
    time.sleep(seconds)
    after = _cpu_times()
    if before is None or after is None:
        return None
    spent = [b - a for a, b in zip(before, after, strict=False)]
    idle = spent[3] + (spent[4] if len(spent) > 4 else 0)
    return round(1 - idle / max(1, sum(spent)), 2)


def wait_until_quiet(threshold: float = 0.15, timeout: float = 30.0) -> float | None:
    """Wait (up to *timeout* seconds) until other processes leave the CPUs mostly idle.

    Parallel-scaling figures are only meaningful on an otherwise idle machine. Returns the last
    busy fraction measured, to be reported with the figures.
    """
    deadline = time.monotonic() + timeout
    while True:
        busy = cpu_busy(1.0)
        if busy is None or busy <= threshold or time.monotonic() >= deadline:
            return busy
