"""Scenario 3: the same number of due cases among 10x and 100x as many open invoices."""

from __future__ import annotations

import pathlib
import tempfile

from . import run_sqlite


def run(quick: bool) -> dict[str, object]:
    """Run time at N = 100 x D over run time at N = 10 x D (about 1: the run reads only due cases)."""
    due = 100 if quick else 10_000
    with tempfile.TemporaryDirectory() as folder:
        small = run_sqlite.measure(due * 10, due, pathlib.Path(folder))["run_s"]
        large = run_sqlite.measure(due * 100, due, pathlib.Path(folder))["run_s"]
    return {
        "due": due,
        "run_s_at_10x": round(small, 2),
        "run_s_at_100x": round(large, 2),
        "ratio_100x_to_10x": round(large / small, 2),
        "target": "<= 1.3",
    }
