"""The public surface: what ``import creditflow`` offers, and what it does not import."""

from __future__ import annotations

import subprocess
import sys

import creditflow as cf


def test_all_lists_exactly_the_public_names_sorted() -> None:
    """``__all__`` is sorted and names every public attribute of the package."""
    public = {n for n in vars(cf) if not n.startswith(("_", "@")) and n != "annotations"}
    modules = {
        "adapters",
        "cli",
        "engine",
        "errors",
        "events",
        "ports",
        "render",
        "rules",
        "serialization",
        "testing",
    }
    assert cf.__all__ == sorted(cf.__all__, key=lambda n: (n[0].islower(), n))
    assert set(cf.__all__) == public - modules | (set(cf.__all__) & modules)


def test_version_comes_from_the_installed_metadata() -> None:
    """``__version__`` is the distribution's version."""
    from importlib.metadata import version

    assert cf.__version__ == version("creditflow")


def test_importing_creditflow_keeps_heavy_dependencies_lazy() -> None:
    """``import creditflow`` imports neither borb, psycopg nor httpx (nor babel or holidays)."""
    code = (
        "import sys, creditflow; heavy = [m for m in ('borb', 'psycopg', 'httpx', 'babel', "
        "'holidays', 'jinja2') if m in sys.modules]; print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_submodules_named_in_the_design_are_reachable_from_the_package() -> None:
    """``cf.rules.nl``, ``cf.testing`` and friends work after a plain ``import creditflow``."""
    code = (
        "import creditflow as cf; cf.rules.nl.collection_costs; cf.testing.InMemoryStore; "
        "cf.serialization.dumps; cf.adapters.load_channel; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "ok"
