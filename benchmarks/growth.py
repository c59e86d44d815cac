"""Scenario 3: the same number of due cases among 10x and 100x as many open invoices.

The two portfolios are those of scenarios 2 (10x) and 4 (100x): when those ran first in the same
process, their measured run times are used instead of running again.
"""

from __future__ import annotations

import pathlib
import tempfile

from . import _portfolio, run_sqlite


def run(quick: bool) -> dict[str, object]:
    """Run time at N = 100 x D over run time at N = 10 x D (about 1: the run reads only due cases)."""
    due = 200 if quick else 10_000
    seconds: dict[int, float] = {}
    shared = []
    with tempfile.TemporaryDirectory() as folder:
        for factor in (10, 100):
            known = _portfolio.RUN_SECONDS.get((due * factor, due))
            if known is not None:
                seconds[factor] = known
                shared.append(f"{factor}x")
                continue
            seconds[factor] = run_sqlite.measure(
                due * factor,
                due,
                pathlib.Path(folder),
                with_floor=False,
                patience=0 if quick else 60,
            )["run_s"]
    small, large = seconds[10], seconds[100]
    return {
        "due": due,
        "run_s_at_10x": round(small, 2),
        "run_s_at_100x": round(large, 2),
        "ratio_100x_to_10x": round(large / small, 2),
        "runs_shared_with_other_scenarios": shared,
        "target": "<= 1.3",
    }
