"""The public surface of creditflow.rules."""

from __future__ import annotations

import inspect

from creditflow import rules


def test_all_lists_exactly_the_public_names() -> None:
    """__all__ names every public attribute of the package, sorted, and nothing else."""
    public = {
        name
        for name, value in vars(rules).items()
        if (not name.startswith("_") and name != "annotations" and not inspect.ismodule(value))
        or name in {"be", "de", "eu", "fr", "nl"}
    }
    assert set(rules.__all__) == public
    assert rules.__all__ == sorted(rules.__all__, key=lambda n: (not n.isupper(), n))


def test_every_pack_exports_only_documented_names() -> None:
    """Each country module's __all__ names only defined, documented public objects."""
    for module in (rules.nl, rules.be, rules.de, rules.fr, rules.eu):
        for name in module.__all__:
            value = getattr(module, name)
            if callable(value):
                assert inspect.getdoc(value), f"{module.__name__}.{name} has no docstring"
