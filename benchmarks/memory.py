"""Scenario 4: peak memory of a run over the largest portfolio (measured in a fresh process)."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tempfile

_CHILD = """
import json, pathlib, sys
from benchmarks import _portfolio, _timing
from creditflow.adapters.sqlite import SqliteStore
from creditflow.testing import RecordingChannel
path = pathlib.Path(sys.argv[1])
before = _timing.peak_rss_mb()
channel = RecordingChannel()
channel.sent = _Discard = type("Discard", (list,), {"append": lambda self, item: None})()
report = _portfolio.manager(SqliteStore(path), channel).run(_portfolio.NOW)
print(json.dumps({"peak_rss_mb": _timing.peak_rss_mb(), "baseline_rss_mb": before,
                  "due_cases": report.due_cases}))
"""


def run(quick: bool) -> dict[str, object]:
    """Peak RSS of ``run`` with N open invoices (1,000,000 unless quick) and 10,000 due."""
    open_invoices, due = (20_000, 200) if quick else (1_000_000, 10_000)
    from . import _portfolio

    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "large.db"
        _portfolio.build(path, open_invoices=open_invoices, due=due)
        output = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path)], check=True, capture_output=True, text=True
        ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    return {
        "open_invoices": open_invoices,
        "due": figures["due_cases"],
        "peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "rss_before_run_mb": round(figures["baseline_rss_mb"], 1),
        "target": "< 300 MB",
    }
