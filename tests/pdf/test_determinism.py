"""The same input gives the same bytes: no dates, no random document ID."""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import subprocess
import sys

import pytest

from .conftest import invoice, letter, parties

pytest.importorskip("borb", reason="the pdf extra (borb) is not installed")

from creditflow.adapters.pdf import PdfRenderer

ROOT = pathlib.Path(__file__).resolve().parents[2]


def document_id(data: bytes) -> bytes:
    match = re.search(rb"/ID \[<([0-9A-F]{32})> <([0-9A-F]{32})>\]", data)
    assert match is not None
    assert match.group(1) == match.group(2)
    return match.group(1)


def test_same_invoice_renders_to_the_same_bytes() -> None:
    """Two renders of one invoice are byte for byte equal."""
    creditor, debtor = parties()
    first = PdfRenderer().render_invoice(invoice(lines=40), creditor=creditor, debtor=debtor)
    second = PdfRenderer().render_invoice(invoice(lines=40), creditor=creditor, debtor=debtor)
    assert first.data == second.data


def test_same_letter_renders_to_the_same_bytes() -> None:
    """Two renders of one letter are byte for byte equal."""
    assert PdfRenderer().render_letter(letter()).data == PdfRenderer().render_letter(letter()).data


def test_other_processes_render_the_same_bytes() -> None:
    """A fresh interpreter with another hash seed renders exactly the same invoice and letter."""
    creditor, debtor = parties()
    expected = [
        hashlib.sha256(
            PdfRenderer().render_invoice(invoice(), creditor=creditor, debtor=debtor).data
        ).hexdigest(),
        hashlib.sha256(PdfRenderer().render_letter(letter()).data).hexdigest(),
    ]
    code = (
        "import hashlib\n"
        "from pdf.conftest import invoice, letter, parties\n"
        "from creditflow.adapters.pdf import PdfRenderer\n"
        "creditor, debtor = parties()\n"
        "r = PdfRenderer()\n"
        "print(hashlib.sha256(r.render_invoice(invoice(), creditor=creditor, debtor=debtor).data)"
        ".hexdigest())\n"
        "print(hashlib.sha256(r.render_letter(letter()).data).hexdigest())\n"
    )
    for seed in ("1", "2"):
        env = {
            **os.environ,
            "PYTHONHASHSEED": seed,
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT / "src"), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]
            ),
        }
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            timeout=120,
        )
        assert result.stdout.split() == expected


def test_document_information_carries_no_dates() -> None:
    """Neither a creation nor a modification date is written (they would differ per run)."""
    data = PdfRenderer().render_letter(letter()).data
    assert b"/CreationDate" not in data
    assert b"/ModDate" not in data
    assert b"xmp:CreateDate" not in data


def test_document_id_is_a_hash_of_the_document() -> None:
    """The ID differs between documents and is the hash of the file written with a zero ID."""
    creditor, debtor = parties()
    data = PdfRenderer().render_invoice(invoice(), creditor=creditor, debtor=debtor).data
    other = PdfRenderer().render_invoice(invoice("2026-0043"), creditor=creditor, debtor=debtor)
    identifier = document_id(data)
    assert identifier != document_id(other.data)
    zeroed = data.replace(identifier, b"0" * 32)
    assert hashlib.sha256(zeroed).hexdigest()[:32].upper().encode() == identifier
