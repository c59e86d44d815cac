"""The README's quick start runs as written."""

from __future__ import annotations

import pathlib
import re

README = pathlib.Path(__file__).parent.parent / "README.md"


def test_quick_start_code_runs_and_registers_the_invoice() -> None:
    """Every python block of the README executes; the quick start's invoice is then registered."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    manager = namespace["manager"]
    status = manager.invoice_status("2026-0001")  # type: ignore[attr-defined]
    assert status.open_amount == namespace["cf"].Money("30.25", "EUR")  # type: ignore[attr-defined]
