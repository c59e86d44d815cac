"""Sample invoices and letters, and a reader for the text a rendered PDF shows."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

import creditflow as cf
from creditflow import Channel, MessageKind
from creditflow.ports import OutgoingMessage
from creditflow.render import Templates, sample_request

ISSUED = dt.date(2026, 1, 2)
DUE = dt.date(2026, 1, 16)


def parties(locale: str = "nl-NL") -> tuple[cf.Creditor, cf.Debtor]:
    """The sample Dutch creditor (brand colour ``#0b3d91``) and a consumer in *locale*."""
    request = sample_request(MessageKind.REMINDER, locale=locale, channel=Channel.LETTER)
    return request.creditor, request.debtor


def invoice_lines(count: int = 0) -> list[cf.InvoiceLine]:
    """Three lines at two VAT rates (one discounted, one priced per kWh), plus *count* more."""
    lines = [
        cf.InvoiceLine(
            description="Electricity, normal rate, January 2026",
            quantity=Decimal("312.5"),
            unit_price=cf.Money("0.2875", "EUR"),
            vat_rate=21,
        ),
        cf.InvoiceLine(
            description="Standing charge",
            quantity=1,
            unit_price=cf.Money("6.50", "EUR"),
            vat_rate=21,
            discount=10,
        ),
        cf.InvoiceLine(
            description="Book: saving energy at home",
            quantity=2,
            unit_price=cf.Money("24.95", "EUR"),
            vat_rate=9,
        ),
    ]
    lines += [
        cf.InvoiceLine(
            description=f"Extra line {index:03d}" + " with a longer description" * (index % 3),
            quantity=1,
            unit_price=cf.Money("1.00", "EUR"),
            vat_rate=21,
        )
        for index in range(count)
    ]
    return lines


def invoice(
    number: str = "2026-0042", *, lines: int | Sequence[cf.InvoiceLine] = 0, **changes: Any
) -> cf.Invoice:
    """An invoice with the sample lines (and *lines* more), or with the given lines."""
    fields: dict[str, Any] = {
        "number": number,
        "debtor_code": "D-1001",
        "issued_on": ISSUED,
        "due_on": DUE,
        "currency": "EUR",
        "lines": invoice_lines(lines) if isinstance(lines, int) else tuple(lines),
        "po_number": "PO-7781",
    }
    fields.update(changes)
    return cf.Invoice(**fields)


def letter(locale: str = "nl-NL", **changes: Any) -> OutgoingMessage:
    """A reminder letter composed with the built-in templates, as the letter channel gets it."""
    request = sample_request(MessageKind.REMINDER, locale=locale, channel=Channel.LETTER)
    composed = Templates().compose(request)
    debtor = request.debtor
    assert debtor.address is not None
    message = OutgoingMessage(
        idempotency_key="sample/2026-0042/nl@1/1/message/0#letter",
        channel=Channel.LETTER,
        kind=MessageKind.REMINDER,
        creditor=request.creditor,
        debtor=debtor,
        invoice_numbers=("2026-0042",),
        recipient="\n".join((debtor.name, *debtor.address.lines(), debtor.address.country)),
        subject=composed.subject,
        text=composed.text,
        locale=debtor.locale,
    )
    return attrs.evolve(message, **changes)


# -- reading a rendered PDF ------------------------------------------------------------------------


@attrs.frozen
class Shown:
    """One line of text on a page: where its baseline starts (points from the bottom-left)."""

    page: int
    x: float
    y: float
    size: float
    text: str


_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_SHOW = re.compile(
    rb"(?P<size>[\d.]+) 0 0 [\d.]+ (?P<x>-?[\d.]+) (?P<y>-?[\d.]+) Tm\s*"
    rb"\((?P<text>(?:\\.|[^\\)])*)\) Tj",
    re.S,
)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(literal: bytes) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        escaped = match.group(1)
        if escaped[:1].isdigit():
            return bytes([int(escaped, 8)])
        return _ESCAPES.get(escaped, escaped)

    return re.sub(rb"\\([0-7]{1,3}|.)", replace, literal, flags=re.S)


def _decoded(body: bytes) -> bytes:
    match = _STREAM.search(body)
    if match is None:
        return body
    try:
        return zlib.decompress(match.group(1))
    except zlib.error:
        return match.group(1)


def content_streams(data: bytes) -> list[bytes]:
    """The decompressed content stream of each page, in page order."""
    objects = {int(m.group(1)): m.group(2) for m in _OBJECT.finditer(data)}
    tree = next(body for body in objects.values() if b"/Type /Pages" in body)
    kids = re.search(rb"/Kids \[([^\]]*)\]", tree)
    assert kids is not None
    streams = []
    for page in re.findall(rb"(\d+) 0 R", kids.group(1)):
        contents = re.search(rb"/Contents (\d+) 0 R", objects[int(page)])
        assert contents is not None
        streams.append(_decoded(objects[int(contents.group(1))]))
    return streams


def shown(data: bytes) -> list[Shown]:
    """Every line of text the PDF's pages show, page by page, read from their content streams."""
    lines = []
    for number, stream in enumerate(content_streams(data), start=1):
        for match in _SHOW.finditer(stream):
            lines.append(
                Shown(
                    page=number,
                    x=float(match["x"]),
                    y=float(match["y"]),
                    size=float(match["size"]),
                    text=_unescape(match["text"]).decode("cp1252"),
                )
            )
    return lines


def plain(text: str) -> str:
    """*text* with no-break and narrow spaces as plain spaces (amounts from ``Money.format``)."""
    return re.sub(r"[\u00a0\u202f\u2009]", " ", text)


def page_count(data: bytes) -> int:
    """The number of pages."""
    return len(content_streams(data))
