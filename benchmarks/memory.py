"""Scenario 4: peak memory of a run over the largest portfolio (measured in a fresh process)."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tempfile

from . import _portfolio, _timing

_CHILD = """
import json, pathlib, sys, time
from benchmarks import _portfolio, _timing
from creditflow.adapters.sqlite import SqliteStore
from creditflow.testing import RecordingChannel
path = pathlib.Path(sys.argv[1])
before = _timing.peak_rss_mb()
channel = RecordingChannel()
channel.sent = _Discard = type("Discard", (list,), {"append": lambda self, item: None})()
manager = _portfolio.manager(SqliteStore(path), channel)
started = time.perf_counter()
report = manager.run(_portfolio.NOW)
run_s = time.perf_counter() - started
print(json.dumps({"peak_rss_mb": _timing.peak_rss_mb(), "baseline_rss_mb": before,
                  "due_cases": report.due_cases, "run_s": run_s}))
"""


def run(quick: bool) -> dict[str, object]:
    """Peak RSS of ``run`` with N open invoices (1,000,000 unless quick) and 10,000 due.

    The run's time is kept for the growth scenario (``_portfolio.RUN_SECONDS``).
    """
    open_invoices, due = (20_000, 200) if quick else (1_000_000, 10_000)
    _portfolio.portfolio(open_invoices, due)
    with tempfile.TemporaryDirectory() as folder:
        path = _portfolio.fresh_copy(open_invoices, due, pathlib.Path(folder) / "large.db")
        _timing.wait_until_quiet(timeout=0 if quick else 60)
        output = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path)], check=True, capture_output=True, text=True
        ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    assert figures["due_cases"] == due, figures
    _portfolio.RUN_SECONDS[open_invoices, due] = figures["run_s"]
    return {
        "open_invoices": open_invoices,
        "due": figures["due_cases"],
        "peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "rss_before_run_mb": round(figures["baseline_rss_mb"], 1),
        "run_s": round(figures["run_s"], 2),
        "target": "< 300 MB",
    }
