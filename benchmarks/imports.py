"""Scenario 7: ``import creditflow`` against ``import attrs, pendulum`` (heavy parts stay lazy)."""

from __future__ import annotations

import subprocess
import sys

from ._timing import best_of


def _import_time(statement: str) -> float:
    return best_of(5, lambda: subprocess.run([sys.executable, "-c", statement], check=True))


def run(quick: bool) -> dict[str, object]:
    """Interpreter start-up plus each import, and the ratio of the two."""
    baseline = _import_time("pass")
    creditflow = _import_time("import creditflow") - baseline
    peers = _import_time("import attrs, pendulum") - baseline
    return {
        "import_creditflow_ms": round(creditflow * 1000, 1),
        "import_attrs_pendulum_ms": round(peers * 1000, 1),
        "ratio": round(creditflow / peers, 2) if peers > 0 else None,
    }
