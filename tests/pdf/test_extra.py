"""borb is an extra: imported only when a document is rendered, named when it is missing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from creditflow.errors import MissingExtraError

from .conftest import invoice, parties


def hide_borb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make borb unimportable, as if the ``pdf`` extra were not installed."""
    import creditflow.adapters.pdf as module

    for name in list(sys.modules):
        if name == "borb" or name.startswith("borb."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "borb", None)
    monkeypatch.setattr(module, "_loaded", {})


def test_renderer_without_borb_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Creating a PdfRenderer without borb raises MissingExtraError for the ``pdf`` extra."""
    from creditflow.adapters.pdf import PdfRenderer

    hide_borb(monkeypatch)

    with pytest.raises(MissingExtraError, match=r"pip install 'creditflow\[pdf\]'") as caught:
        PdfRenderer()
    assert caught.value.package == "borb"
    assert caught.value.extra == "pdf"
    assert isinstance(caught.value, ImportError)


def test_rendering_after_borb_disappeared_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """A renderer whose borb cannot be imported when it renders raises MissingExtraError too."""
    pytest.importorskip("borb", reason="the pdf extra (borb) is not installed")
    from creditflow.adapters.pdf import PdfRenderer

    renderer = PdfRenderer()
    hide_borb(monkeypatch)
    creditor, debtor = parties()
    with pytest.raises(MissingExtraError) as caught:
        renderer.render_invoice(invoice(), creditor=creditor, debtor=debtor)
    assert caught.value.extra == "pdf"


def test_importing_creditflow_and_its_adapters_does_not_import_borb() -> None:
    """``import creditflow``, every adapter module and a new PdfRenderer leave borb unimported."""
    code = """
import importlib, pkgutil, sys
import creditflow, creditflow.adapters, creditflow.render, creditflow.testing
for module in pkgutil.iter_modules(creditflow.adapters.__path__):
    try:
        importlib.import_module(f"creditflow.adapters.{module.name}")
    except ImportError as exc:  # another extra that is not installed
        print("skipped", module.name, exc, file=sys.stderr)
from creditflow.adapters.pdf import PdfRenderer
try:
    PdfRenderer()
except ImportError:
    pass
print(",".join(sorted(m for m in sys.modules if m == "borb" or m.startswith("borb."))))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == ""
