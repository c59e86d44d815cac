"""The code examples on the rule-pack pages in docs/rules run and their assertions hold."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"
PAGES = ("nl", "be", "de", "fr", "eu")


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page: str) -> None:
    """Every python block of the page runs without error (its asserts hold)."""
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, f"{page}.md has no python example"
    for block in blocks:
        exec(compile(block, f"{page}.md", "exec"), {})


@pytest.mark.parametrize("page", PAGES)
def test_page_states_when_rates_were_verified(page: str) -> None:
    """Every page says when its rate table was last verified, matching the code."""
    verified = importlib.import_module(f"creditflow.rules.{page}").RATES_LAST_VERIFIED
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    assert f"last verified: **{verified.day} {verified:%B %Y}**" in text
