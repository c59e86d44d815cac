"""The examples in the rule packs' docstrings run and give what they show."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from creditflow.rules import _rates, be, de, eu, fr, nl


@pytest.mark.parametrize("module", [_rates, nl, be, de, fr, eu], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    """Every ``>>>`` example in the module's docstrings passes."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
