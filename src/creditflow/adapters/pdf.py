"""Invoices and letters as PDF: :class:`PdfRenderer`, the ``pdf`` extra, drawn with borb.

borb is licensed under the AGPL-3.0 or a commercial licence from its authors; that is why it is an
extra, imported here only, and only when a document is rendered. Read ``docs/pdf.md`` before you
ship it.

Rendering is deterministic: the same input gives the same bytes. The document information
carries no dates (the file has no honest creation date of its own: an invoice is dated by its
issue date, a letter by the date in its text), and the document ID is a hash of the document
itself. borb's usage statistics are switched off before the first document is written, and
documents are serialised without borb's statistics hook, so rendering never prints, never
registers signal handlers, never starts threads and never opens a connection, however many
documents a process renders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import logging
import re
import threading
import types
import unicodedata
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Final, Literal

from attrs import frozen

from .._banking import TransferDetails
from .._invoice import Invoice, InvoiceLine
from .._money import Money
from .._parties import Creditor, Debtor
from ..errors import MissingExtraError, ValidationError
from ..ports import Attachment, OutgoingMessage
from .letters import letter_name

__all__ = ["PdfRenderer"]

_log = logging.getLogger(__name__)

# -- page geometry (PDF points, measured from the top edge; 1 mm = 72 / 25.4 pt) ---------------------

_MM: Final = 72 / 25.4
_PAGE_WIDTH: Final = 595  # A4
_PAGE_HEIGHT: Final = 842
_LEFT: Final = round(25 * _MM)
_RIGHT: Final = round(_PAGE_WIDTH - 20 * _MM)
_WIDTH: Final = _RIGHT - _LEFT
_TOP: Final = round(20 * _MM)
_BODY_TOP: Final = round(100 * _MM)
"""Where the text starts on a first page, below the window of the envelope."""
_FLOW_BOTTOM: Final = round(_PAGE_HEIGHT - 30 * _MM)
"""Text flows to the next page below this line; the footer lives under it."""
_FOOTER_RULE: Final = round(_PAGE_HEIGHT - 22 * _MM)
_ROW_MAX: Final = _FLOW_BOTTOM - _TOP - 60
"""The tallest table row kept on one page (a continuation page's heading takes the rest)."""

# The window of a DL/C5/C6 window envelope with the letter folded in three (DIN 5008 form B, also
# what Dutch, Belgian and French left-window envelopes take): 45 mm from the top, 85 mm wide, 20 mm
# from the left edge (or from the right edge for right-window envelopes); 5 mm inner margin.
_WINDOW_TOP: Final = 45 * _MM
_WINDOW_WIDTH: Final = 85 * _MM
_WINDOW_INSET: Final = 5 * _MM
_RETURN_LINE: Final = round(_WINDOW_TOP + 12 * _MM)
_ADDRESS_TOP: Final = round(_WINDOW_TOP + 19 * _MM)
_FOLD_MARKS: Final = (round(105 * _MM), round(210 * _MM))

_TEXT_COLOR: Final = "#222222"
_MUTED_COLOR: Final = "#666666"
_RULE_COLOR: Final = "#bbbbbb"
_DEFAULT_PRIMARY: Final = "#1a1a2e"

_ID_PLACEHOLDER: Final = "0" * 32


# -- words -------------------------------------------------------------------------------------------

_LABELS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "invoice": "Invoice",
        "invoice_date": "Invoice date",
        "due_date": "Due date",
        "customer_number": "Customer number",
        "po_number": "Your order number",
        "customer_vat": "Your VAT no.",
        "description": "Description",
        "quantity": "Quantity",
        "unit_price": "Unit price",
        "discount": "Discount",
        "vat_rate": "VAT",
        "net": "Amount",
        "subtotal": "Total excl. VAT",
        "vat_over": "VAT {rate} on {net}",
        "vat": "VAT",
        "total": "Total incl. VAT",
        "payment": "Payment",
        "pay_by_transfer": "Please transfer {amount} by {date} to:",
        "pay_by": "Please pay {amount} by {date}, quoting invoice number {number}.",
        "beneficiary": "Account holder",
        "reference": "Payment reference",
        "vat_no": "VAT no.",
        "coc_no": "Company no.",
        "page": "Page {page} of {pages}",
        "continued": "{title} (continued)",
    },
    "nl": {
        "invoice": "Factuur",
        "invoice_date": "Factuurdatum",
        "due_date": "Vervaldatum",
        "customer_number": "Klantnummer",
        "po_number": "Uw ordernummer",
        "customer_vat": "Uw btw-nr.",
        "description": "Omschrijving",
        "quantity": "Aantal",
        "unit_price": "Prijs per eenheid",
        "discount": "Korting",
        "vat_rate": "Btw",
        "net": "Bedrag",
        "subtotal": "Totaal excl. btw",
        "vat_over": "Btw {rate} over {net}",
        "vat": "Btw",
        "total": "Totaal incl. btw",
        "payment": "Betaling",
        "pay_by_transfer": "Wij verzoeken u {amount} uiterlijk {date} over te maken naar:",
        "pay_by": (
            "Wij verzoeken u {amount} uiterlijk {date} te betalen onder vermelding van "
            "factuurnummer {number}."
        ),
        "beneficiary": "Ten name van",
        "reference": "Betalingskenmerk",
        "vat_no": "Btw-nr.",
        "coc_no": "KvK-nr.",
        "page": "Pagina {page} van {pages}",
        "continued": "{title} (vervolg)",
    },
    "de": {
        "invoice": "Rechnung",
        "invoice_date": "Rechnungsdatum",
        "due_date": "Fällig am",
        "customer_number": "Kundennummer",
        "po_number": "Ihre Bestellnummer",
        "customer_vat": "Ihre USt-IdNr.",
        "description": "Beschreibung",
        "quantity": "Menge",
        "unit_price": "Einzelpreis",
        "discount": "Rabatt",
        "vat_rate": "USt.",
        "net": "Betrag",
        "subtotal": "Summe netto",
        "vat_over": "USt. {rate} auf {net}",
        "vat": "USt.",
        "total": "Gesamtbetrag brutto",
        "payment": "Zahlung",
        "pay_by_transfer": "Bitte überweisen Sie {amount} bis zum {date} auf folgendes Konto:",
        "pay_by": (
            "Bitte zahlen Sie {amount} bis zum {date} unter Angabe der Rechnungsnummer {number}."
        ),
        "beneficiary": "Kontoinhaber",
        "reference": "Verwendungszweck",
        "vat_no": "USt-IdNr.",
        "coc_no": "Registernr.",
        "page": "Seite {page} von {pages}",
        "continued": "{title} (Fortsetzung)",
    },
    "fr": {
        "invoice": "Facture",
        "invoice_date": "Date de facture",
        "due_date": "Échéance",
        "customer_number": "Numéro client",
        "po_number": "Votre numéro de commande",
        "customer_vat": "Votre n° TVA",
        "description": "Désignation",
        "quantity": "Quantité",
        "unit_price": "Prix unitaire HT",
        "discount": "Remise",
        "vat_rate": "TVA",
        "net": "Montant HT",
        "subtotal": "Total HT",
        "vat_over": "TVA {rate} sur {net}",
        "vat": "TVA",
        "total": "Total TTC",
        "payment": "Paiement",
        "pay_by_transfer": "Merci de virer {amount} au plus tard le {date} sur le compte suivant :",
        "pay_by": (
            "Merci de payer {amount} au plus tard le {date} en mentionnant le numéro de "
            "facture {number}."
        ),
        "beneficiary": "Bénéficiaire",
        "reference": "Communication",
        "vat_no": "N° TVA",
        "coc_no": "N° d'entreprise",
        "page": "Page {page} sur {pages}",
        "continued": "{title} (suite)",
    },
}


def _labels(locale: str) -> dict[str, str]:
    return _LABELS.get(locale.split("-", maxsplit=1)[0].lower(), _LABELS["en"])


# -- text the standard PDF fonts can show --------------------------------------------------------------

# Spaces that babel and templates use (no-break, narrow no-break, thin) and characters outside
# Windows-1252, the encoding of the standard Helvetica font, with their nearest equivalent.
_REPLACEMENTS: Final = str.maketrans(
    {
        "\u00a0": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\t": "    ",
        "\u2026": "...",
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ħ": "h",
        "Ħ": "H",
        "ı": "i",
    }
)


def _printable(text: str) -> str:
    """*text* in characters Windows-1252 (and so Helvetica) has; accents dropped where needed."""
    out: list[str] = []
    for char in text.translate(_REPLACEMENTS):
        if char < " ":
            out.append(" ")
            continue
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            base = "".join(
                part
                for part in unicodedata.normalize("NFKD", char)
                if not unicodedata.combining(part) and _in_cp1252(part)
            )
            out.append(base or "?")
        else:
            out.append(char)
    return "".join(out)


def _in_cp1252(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return char >= " "


def _pdf_text_string(text: str) -> str:
    """A text string for the document information dictionary (UTF-16BE, hex)."""
    return "FEFF" + text.encode("utf-16-be").hex().upper()


# -- borb, loaded on first use -------------------------------------------------------------------------

_borb_lock = threading.Lock()
_loaded: dict[str, types.SimpleNamespace] = {}


def _borb_installed() -> bool:
    try:
        return importlib.util.find_spec("borb") is not None
    except (ImportError, ValueError):
        return False


def _load_borb() -> types.SimpleNamespace:
    """The borb classes the renderer uses, imported once, with usage statistics switched off."""
    with _borb_lock:
        loaded = _loaded.get("borb")
        if loaded is not None:
            return loaded
        try:
            from borb.pdf import Chunk, Document, LayoutElement, Page, Shape, UsageStatistics
            from borb.pdf.color.rgb_color import RGBColor
            from borb.pdf.font.simple_font.helvetica.helvetica import Helvetica
            from borb.pdf.font.simple_font.helvetica.helvetica_bold import HelveticaBold
            from borb.pdf.primitives import hexstr, name
            from borb.pdf.visitor.write_new.facade_visitor import FacadeVisitor
        except ImportError as exc:
            raise MissingExtraError("borb", "pdf") from exc
        # Before anything is written: no statistics, so no network, no atexit or signal handlers.
        UsageStatistics.opt_out()
        _log.info(
            "creditflow renders PDF documents with borb, which is licensed under the AGPL-3.0 "
            "or a commercial licence; see creditflow's docs/pdf.md"
        )
        loaded = _loaded["borb"] = types.SimpleNamespace(
            Chunk=Chunk,
            Document=Document,
            Page=Page,
            Shape=Shape,
            RGBColor=RGBColor,
            Helvetica=Helvetica,
            HelveticaBold=HelveticaBold,
            FacadeVisitor=FacadeVisitor,
            hexstr=hexstr,
            name=name,
            BOTTOM=LayoutElement.VerticalAlignment.BOTTOM,
        )
        return loaded


# -- colours -------------------------------------------------------------------------------------------

_HEX: Final = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _rgb(value: str, fallback: str = _DEFAULT_PRIMARY) -> tuple[int, int, int]:
    """A ``#rgb`` / ``#rrggbb`` colour (or a CSS colour name borb knows) as RGB; else *fallback*."""
    match = _HEX.match(value.strip())
    if match is None:
        named = _named_color(value)
        if named is not None:
            return named
        return _rgb(fallback)
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _named_color(value: str) -> tuple[int, int, int] | None:
    from borb.pdf.color.x11_color import X11Color

    wanted = re.sub(r"[^a-z]", "", value.lower())
    for attribute in dir(X11Color):
        if attribute.replace("_", "").lower() == wanted and attribute.isupper():
            rgb = getattr(X11Color, attribute).to_rgb_color()
            return int(rgb.get_red()), int(rgb.get_green()), int(rgb.get_blue())
    return None


# -- a page canvas that flows text ---------------------------------------------------------------------


@frozen
class _Font:
    size: int
    bold: bool = False
    color: str = _TEXT_COLOR

    @property
    def leading(self) -> int:
        return round(self.size * 1.3)


_BODY: Final = _Font(10)
_SMALL_MUTED: Final = _Font(8, color=_MUTED_COLOR)
_TINY_MUTED: Final = _Font(7, color=_MUTED_COLOR)
_TABLE: Final = _Font(9)


class _Canvas:
    """The pages of one document, drawn top-down; ``top`` is points from the page's top edge."""

    def __init__(self, borb: types.SimpleNamespace, *, primary: str, footer: Sequence[str]) -> None:
        self._borb = borb
        self._document = borb.Document(on_non_conformance_print_warning=False)
        self._regular = borb.Helvetica()
        self._bold = borb.HelveticaBold()
        self._colors: dict[str, Any] = {}
        self.primary = primary
        self._footer = tuple(footer)
        self.pages: list[Any] = []
        self.top = _TOP
        self.on_new_page: Callable[[], None] | None = None
        self.continuation: str | None = None
        """A heading for every page after the first."""
        self.add_page()

    # -- measuring ---------------------------------------------------------------------------------

    def width(self, text: str, font: _Font) -> int:
        """The width of (printable) *text* in points."""
        face = self._bold if font.bold else self._regular
        return int(face.get_width(text=text, font_size=font.size)) if text else 0

    def wrap(self, text: str, width: int, font: _Font) -> list[str]:
        """*text* broken into lines no wider than *width*; words too long for a line are split."""
        lines: list[str] = []
        for paragraph in _printable(text).split("\n"):
            line = ""
            for whole_word in paragraph.split():
                word = whole_word
                candidate = f"{line} {word}" if line else word
                if self.width(candidate, font) <= width:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                while self.width(word, font) > width:
                    cut = len(word) - 1
                    while cut > 1 and self.width(word[:cut], font) > width:
                        cut -= 1
                    lines.append(word[:cut])
                    word = word[cut:]
                line = word
            lines.append(line)
        return lines

    # -- drawing -----------------------------------------------------------------------------------

    def _color(self, value: str) -> Any:
        color = self._colors.get(value)
        if color is None:
            color = self._borb.RGBColor(*_rgb(value))
            self._colors[value] = color
        return color

    def text(
        self,
        x: int,
        baseline: int,
        text: str,
        font: _Font,
        *,
        align: str = "left",
        page: Any = None,
    ) -> None:
        """Draw one line of *text* with its baseline *baseline* points from the top."""
        printable = _printable(text)
        if not printable.strip():
            return
        width = self.width(printable, font)
        if align == "right":
            x -= width
        chunk = self._borb.Chunk(
            # Helvetica is set in WinAnsiEncoding: borb writes each character as its Latin-1 byte.
            printable.encode("cp1252").decode("latin-1"),
            font=self._bold if font.bold else self._regular,
            font_size=font.size,
            font_color=self._color(font.color),
            vertical_alignment=self._borb.BOTTOM,
        )
        chunk.paint(
            available_space=(x, _PAGE_HEIGHT - baseline, max(width, 1) + 2, font.size),
            page=self.pages[-1] if page is None else page,
        )

    def rule(self, x1: int, x2: int, top: float, *, color: str, thickness: float = 0.5) -> None:
        """A horizontal line from *x1* to *x2*."""
        shape = self._borb.Shape(
            coordinates=[(0, 0), (x2 - x1, 0), (x2 - x1, thickness), (0, thickness)],
            fill_color=self._color(color),
            stroke_color=None,
            line_width=0,
        )
        shape.paint(
            available_space=(x1, round(_PAGE_HEIGHT - top), x2 - x1, 1), page=self.pages[-1]
        )

    def lines(
        self, x: int, top: int, lines: Sequence[str], font: _Font, *, align: str = "left"
    ) -> int:
        """Draw *lines* (no flowing) with the first baseline at *top*; return the next baseline."""
        for line in lines:
            self.text(x, top, line, font, align=align)
            top += font.leading
        return top

    # -- flowing -----------------------------------------------------------------------------------

    def add_page(self) -> None:
        """Start a page: fold marks and footer; the cursor goes to the top margin."""
        page = self._borb.Page(width_in_points=_PAGE_WIDTH, height_in_points=_PAGE_HEIGHT)
        self._document.append_page(page)
        self.pages.append(page)
        self.top = _TOP
        if len(self.pages) == 1:
            for mark in _FOLD_MARKS:
                self.rule(round(5 * _MM), round(9 * _MM), mark, color=_RULE_COLOR)
        self.rule(_LEFT, _RIGHT, _FOOTER_RULE, color=_RULE_COLOR)
        self.lines(_LEFT, _FOOTER_RULE + 11, self._footer, _TINY_MUTED)
        if len(self.pages) > 1 and self.continuation:
            self.top += _BODY.leading
            self.text(_LEFT, self.top, self.continuation, _Font(10, bold=True, color=self.primary))
            self.top += 6
        if len(self.pages) > 1 and self.on_new_page is not None:
            self.on_new_page()

    def ensure(self, height: int) -> None:
        """Go to a new page when *height* more points do not fit on this one."""
        if self.top + height > _FLOW_BOTTOM:
            self.add_page()

    def paragraph(
        self, text: str, font: _Font, *, x: int = _LEFT, width: int = _WIDTH, hang: int = 0
    ) -> None:
        """Flow *text*, wrapped to *width*, from the cursor; continuation lines indented *hang*."""
        wrapped = self.wrap(text, width - hang, font)
        for index, line in enumerate(wrapped):
            self.ensure(font.leading)
            self.top += font.leading
            self.text(x + (hang if index else 0), self.top, line, font)

    # -- the file ----------------------------------------------------------------------------------

    def finish(self, *, title: str, author: str, page_label: str) -> bytes:
        """Number the pages (when there are several) and serialise the document."""
        borb = self._borb
        if len(self.pages) > 1:
            for number, page in enumerate(self.pages, start=1):
                label = page_label.format(page=number, pages=len(self.pages))
                self.text(_RIGHT, _FOOTER_RULE + 11, label, _TINY_MUTED, align="right", page=page)
        trailer = self._document["Trailer"]
        info = trailer["Info"]
        # A file has no creation date of its own that would not make output differ per run.
        for key in ("CreationDate", "ModDate"):
            info.pop(key, None)
        info[borb.name("Title")] = borb.hexstr(_pdf_text_string(title))
        info[borb.name("Author")] = borb.hexstr(_pdf_text_string(author))
        trailer[borb.name("ID")] = [borb.hexstr(_ID_PLACEHOLDER), borb.hexstr(_ID_PLACEHOLDER)]
        # borb's PDF.write would also count the document for its usage statistics and, after 64
        # unlicensed documents, print a licence reminder on the host's stdout; the visitor it
        # delegates to writes the same bytes without either.
        visitor = borb.FacadeVisitor()
        visitor.visit(self._document)
        data: bytes = visitor.bytes()
        # The ID is a hash of the document itself (same length, so no offset changes).
        placeholder = f"<{_ID_PLACEHOLDER}> <{_ID_PLACEHOLDER}>".encode()
        digest = hashlib.sha256(data).hexdigest()[:32].upper()
        return data.replace(placeholder, f"<{digest}> <{digest}>".encode(), 1)


def _release_layout_caches(borb: types.SimpleNamespace) -> None:
    """Empty borb's size caches, which keep every element ever measured alive.

    borb memoises ``get_size`` per element with :func:`functools.cache`; without this a process
    rendering many documents would grow without bound. Emptying them only costs other threads a
    re-measurement.
    """
    for element in (borb.Chunk, borb.Shape):
        cache_clear = getattr(element.get_size, "cache_clear", None)
        if cache_clear is not None:
            cache_clear()


# -- shared parts of invoices and letters --------------------------------------------------------------


def _country_name(code: str, locale: str) -> str:
    from .._locale import babel_locale

    try:
        return str(babel_locale(locale).territories.get(code, code))
    except ValidationError:
        return code


def _creditor_details(creditor: Creditor, labels: dict[str, str], locale: str) -> list[str]:
    lines = [*creditor.address.lines(), _country_name(creditor.country, locale)]
    if creditor.vat_number:
        lines.append(f"{labels['vat_no']} {creditor.vat_number}")
    if creditor.coc_number:
        lines.append(f"{labels['coc_no']} {creditor.coc_number}")
    account = creditor.bank_account
    if account is not None:
        lines.append(f"IBAN {_group(account.iban)}")
        if account.bic:
            lines.append(f"BIC {account.bic}")
    brand = creditor.brand
    contact = brand.reply_to or brand.email_from
    lines += [item for item in (brand.phone, contact, brand.website) if item]
    return lines


def _footer(creditor: Creditor, labels: dict[str, str], locale: str) -> list[str]:
    country = _country_name(creditor.country, locale)
    first = " · ".join([creditor.name, *creditor.address.lines(), country])
    legal = []
    if creditor.vat_number:
        legal.append(f"{labels['vat_no']} {creditor.vat_number}")
    if creditor.coc_number:
        legal.append(f"{labels['coc_no']} {creditor.coc_number}")
    if creditor.bank_account is not None:
        legal.append(f"IBAN {_group(creditor.bank_account.iban)}")
        if creditor.bank_account.bic:
            legal.append(f"BIC {creditor.bank_account.bic}")
    return [first, " · ".join(legal)] if legal else [first]


def _group(text: str) -> str:
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _draw_letterhead(
    canvas: _Canvas,
    creditor: Creditor,
    *,
    details: Sequence[str],
    recipient: Sequence[str],
    window: Literal["left", "right"],
) -> None:
    """The brand, the creditor's details and the address block in the envelope's window."""
    brand_font = _Font(16, bold=True, color=canvas.primary)
    brand_lines = canvas.wrap(creditor.brand.name, round(95 * _MM), brand_font)[:2]
    below_brand = canvas.lines(_LEFT, _TOP + 6, brand_lines, brand_font)
    window_left = (
        round(20 * _MM) if window == "left" else round(_PAGE_WIDTH - 20 * _MM - _WINDOW_WIDTH)
    )
    details_x = round(125 * _MM) if window == "left" else _LEFT
    details_top = _TOP if window == "left" else below_brand + 4
    details_width = _RIGHT - details_x if window == "left" else round(60 * _MM)
    top = canvas.lines(
        details_x,
        details_top,
        canvas.wrap(creditor.name, details_width, _Font(8, bold=True)),
        _Font(8, bold=True),
    )
    wrapped = [line for item in details for line in canvas.wrap(item, details_width, _SMALL_MUTED)]
    canvas.lines(details_x, top, wrapped, _SMALL_MUTED)

    address_x = round(window_left + _WINDOW_INSET)
    address_width = round(_WINDOW_WIDTH - 2 * _WINDOW_INSET)
    return_line = " · ".join([creditor.name, *creditor.address.lines()])
    canvas.text(
        address_x, _RETURN_LINE, _fit(canvas, return_line, address_width, _TINY_MUTED), _TINY_MUTED
    )
    address_lines = [line for item in recipient for line in canvas.wrap(item, address_width, _BODY)]
    canvas.lines(address_x, _ADDRESS_TOP, address_lines[:6], _BODY)


def _fit(canvas: _Canvas, text: str, width: int, font: _Font) -> str:
    """*text* cut (with an ellipsis) to fit *width* on one line."""
    text = _printable(text)
    if canvas.width(text, font) <= width:
        return text
    while text and canvas.width(text + "...", font) > width:
        text = text[:-1]
    return text.rstrip() + "..."


def _postal_lines(debtor: Debtor, creditor: Creditor) -> list[str]:
    """The debtor's address for the window; the country (in capitals) only when it is abroad."""
    lines = [debtor.name]
    if debtor.address is not None:
        lines += debtor.address.lines()
        if debtor.address.country != creditor.country:
            lines.append(_country_name(debtor.address.country, "en").upper())
    return lines


# -- invoices ------------------------------------------------------------------------------------------


def _amount(money: Money, locale: str) -> str:
    return money.format(locale)


def _unit_price(money: Money, locale: str) -> str:
    """A unit price, which may have more decimals than the currency (``€ 0,0125`` per kWh)."""
    if money.is_rounded:
        return money.format(locale)
    from babel.numbers import format_currency

    from .._locale import babel_locale

    return str(
        format_currency(
            money.amount,
            money.currency,
            locale=babel_locale(locale),
            currency_digits=False,
            decimal_quantization=False,
        )
    )


def _decimal(value: Decimal, locale: str) -> str:
    from babel.numbers import format_decimal

    from .._locale import babel_locale

    return str(format_decimal(value, locale=babel_locale(locale), decimal_quantization=False))


def _percent(value: Decimal, locale: str) -> str:
    from babel.numbers import format_percent

    from .._locale import babel_locale

    return str(format_percent(value / 100, locale=babel_locale(locale), decimal_quantization=False))


def _date(value: dt.date, locale: str) -> str:
    from babel.dates import format_date

    from .._locale import babel_locale

    return str(format_date(value, format="long", locale=babel_locale(locale)))


@frozen
class _Column:
    """A right-aligned figure column of the lines table."""

    label: str
    width: int


def _draw_invoice(
    canvas: _Canvas,
    invoice: Invoice,
    creditor: Creditor,
    debtor: Debtor,
    *,
    window: Literal["left", "right"],
) -> None:
    locale = debtor.locale
    labels = _labels(locale)
    title = f"{labels['invoice']} {invoice.number}"
    _draw_letterhead(
        canvas,
        creditor,
        details=_creditor_details(creditor, labels, locale),
        recipient=_postal_lines(debtor, creditor),
        window=window,
    )
    heading = _Font(16, bold=True, color=canvas.primary)
    canvas.top = _BODY_TOP
    canvas.text(_LEFT, canvas.top, title, heading)
    canvas.continuation = labels["continued"].format(title=title)

    facts = [
        (labels["invoice_date"], _date(invoice.issued_on, locale)),
        (labels["due_date"], _date(invoice.due_on, locale)),
        (labels["customer_number"], debtor.code),
    ]
    if invoice.po_number:
        facts.append((labels["po_number"], invoice.po_number))
    if debtor.vat_number:
        facts.append((labels["customer_vat"], debtor.vat_number))
    column = _WIDTH // len(facts)
    canvas.top += 20
    deepest = canvas.top
    for index, (label, value) in enumerate(facts):
        x = _LEFT + index * column
        below_label = canvas.lines(
            x, canvas.top, canvas.wrap(label, column - 8, _SMALL_MUTED), _SMALL_MUTED
        )
        bottom = canvas.lines(x, below_label + 1, canvas.wrap(value, column - 8, _TABLE), _TABLE)
        deepest = max(deepest, bottom)
    canvas.top = deepest + 6

    if invoice.lines:
        _draw_lines(canvas, invoice, labels, locale)
    _draw_totals(canvas, invoice, labels, locale)
    _draw_payment(canvas, invoice, creditor, labels, locale)


def _draw_lines(canvas: _Canvas, invoice: Invoice, labels: dict[str, str], locale: str) -> None:
    discounts = any(line.discount for line in invoice.lines)
    header_font = _Font(8, bold=True, color=canvas.primary)
    pad = 6
    rows = [_line_cells(line, locale, discounts) for line in invoice.lines]
    names = ["quantity", "unit_price", *(["discount"] if discounts else []), "vat_rate", "net"]
    # Each figure column is as wide as its widest cell; the description takes what is left.
    columns = [
        _Column(
            labels[key],
            max(
                canvas.width(_printable(labels[key]), header_font),
                *(canvas.width(_printable(row[index]), _TABLE) for row in rows),
            )
            + 14,
        )
        for index, key in enumerate(names)
    ]
    description_width = max(_WIDTH - sum(c.width for c in columns), 100)

    def header() -> None:
        canvas.ensure(header_font.leading + 2 * _TABLE.leading)
        canvas.top += header_font.leading
        canvas.text(_LEFT, canvas.top, labels["description"], header_font)
        right = _LEFT + description_width
        for col in columns:
            right += col.width
            canvas.text(right, canvas.top, col.label, header_font, align="right")
        canvas.rule(_LEFT, _RIGHT, canvas.top + 4, color=canvas.primary, thickness=1)
        canvas.top += 4

    canvas.top += 8
    header()
    canvas.on_new_page = header
    try:
        for line, cells in zip(invoice.lines, rows, strict=True):
            described = canvas.wrap(line.description, description_width - pad, _TABLE)
            # A row that fits on a page is never split; a longer one (a description of many
            # lines) continues on the next page, its figures on its first line.
            height = len(described) * _TABLE.leading + pad
            canvas.ensure(height if height <= _ROW_MAX else 4 * _TABLE.leading + pad)
            first = True
            while described:
                room = max((_FLOW_BOTTOM - canvas.top - pad) // _TABLE.leading, 1)
                part, described = described[:room], described[room:]
                baseline = canvas.top + _TABLE.leading + 1
                canvas.lines(_LEFT, baseline, part, _TABLE)
                if first:
                    right = _LEFT + description_width
                    for col, cell in zip(columns, cells, strict=True):
                        right += col.width
                        canvas.text(right, baseline, cell, _TABLE, align="right")
                    first = False
                canvas.top += len(part) * _TABLE.leading + pad
                if described:
                    canvas.add_page()
            canvas.rule(_LEFT, _RIGHT, canvas.top, color=_RULE_COLOR)
    finally:
        canvas.on_new_page = None


def _line_cells(line: InvoiceLine, locale: str, discounts: bool) -> list[str]:
    cells = [_decimal(line.quantity, locale), _unit_price(line.unit_price, locale)]
    if discounts:
        cells.append(_percent(line.discount, locale) if line.discount else "")
    cells += [_percent(line.vat_rate, locale), _amount(line.net, locale)]
    return cells


def _draw_totals(canvas: _Canvas, invoice: Invoice, labels: dict[str, str], locale: str) -> None:
    rows: list[tuple[str, str]] = [(labels["subtotal"], _amount(invoice.net_total, locale))]
    if invoice.lines:
        rows += [
            (
                labels["vat_over"].format(
                    rate=_percent(vat.rate, locale), net=_amount(vat.net, locale)
                ),
                _amount(vat.vat, locale),
            )
            for vat in invoice.vat_breakdown
        ]
    else:
        rows.append((labels["vat"], _amount(invoice.vat_total, locale)))
    total_font = _Font(10, bold=True, color=canvas.primary)
    label_x = _RIGHT - 260
    canvas.ensure(len(rows) * _TABLE.leading + total_font.leading + 20)
    canvas.top += 6
    for label, value in rows:
        canvas.top += _TABLE.leading
        canvas.text(label_x, canvas.top, label, _TABLE)
        canvas.text(_RIGHT, canvas.top, value, _TABLE, align="right")
    canvas.top += 5
    canvas.rule(label_x, _RIGHT, canvas.top, color=canvas.primary, thickness=1)
    canvas.top += total_font.leading + 2
    canvas.text(label_x, canvas.top, labels["total"], total_font)
    canvas.text(_RIGHT, canvas.top, _amount(invoice.gross_total, locale), total_font, align="right")


def _draw_payment(
    canvas: _Canvas, invoice: Invoice, creditor: Creditor, labels: dict[str, str], locale: str
) -> None:
    gross = invoice.gross_total
    if not gross.is_positive:
        return
    amount = _amount(gross, locale)
    due = _date(invoice.due_on, locale)
    heading = _Font(10, bold=True, color=canvas.primary)
    account = creditor.bank_account
    rows: list[tuple[str, str]] = []
    if account is None:
        intro = labels["pay_by"].format(amount=amount, date=due, number=invoice.number)
    else:
        intro = labels["pay_by_transfer"].format(amount=amount, date=due)
        transfer = TransferDetails.for_invoices(account, [invoice.number], gross)
        rows = [
            (labels["beneficiary"], transfer.beneficiary),
            ("IBAN", transfer.iban_display),
            *([("BIC", transfer.bic)] if transfer.bic else []),
            (labels["reference"], transfer.reference_display),
        ]
    canvas.ensure(heading.leading * 2 + _TABLE.leading * (len(rows) + 2) + 24)
    canvas.top += 24
    canvas.text(_LEFT, canvas.top, labels["payment"], heading)
    canvas.top += 2
    canvas.paragraph(intro, _TABLE)
    for label, value in rows:
        canvas.top += _TABLE.leading
        canvas.text(_LEFT, canvas.top, label, _SMALL_MUTED)
        canvas.text(_LEFT + 110, canvas.top, value, _TABLE)


# -- letters -------------------------------------------------------------------------------------------


@frozen
class _Line:
    text: str
    subject: bool = False


def _letter_blocks(message: OutgoingMessage) -> list[list[_Line]]:
    """The message text in blocks (separated by blank lines), without what the page draws itself.

    The built-in letter layout writes the sender, the recipient and the creditor's details into
    the text; the PDF places those in the letterhead, the window and the footer, so leading
    blocks made only of those lines, and a trailing footer block, are left out. The line with the
    subject is marked; a text without it gets the subject as its first line.
    """
    text = message.text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in text.split("\n"):
        line = raw.rstrip()
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)

    creditor = message.creditor
    known = {
        creditor.name,
        *creditor.address.lines(),
        *(line.strip() for line in message.recipient.splitlines()),
        message.debtor.name,
        *(message.debtor.address.lines() if message.debtor.address else ()),
    }
    while blocks and all(line.strip() in known for line in blocks[0]):
        blocks.pop(0)
    footer_start = f"{creditor.name} · "
    while blocks and blocks[-1][0].strip().startswith(footer_start):
        blocks.pop()

    subject = message.subject.strip()
    marked = [
        [_Line(line, subject=bool(subject) and line.strip().endswith(subject)) for line in block]
        for block in blocks
    ]
    if subject and not any(line.subject for block in marked for line in block):
        marked.insert(0, [_Line(subject, subject=True)])
    return marked


def _recipient_lines(message: OutgoingMessage) -> list[str]:
    """The window's address: ``message.recipient``, a trailing country code made postal."""
    lines = [line.strip() for line in message.recipient.splitlines() if line.strip()]
    country = message.debtor.country
    if len(lines) > 1 and country is not None and lines[-1].upper() == country:
        lines.pop()
        if country != message.creditor.country:
            lines.append(_country_name(country, "en").upper())
    return lines


def _draw_letter(
    canvas: _Canvas, message: OutgoingMessage, *, window: Literal["left", "right"]
) -> None:
    creditor = message.creditor
    labels = _labels(message.locale)
    _draw_letterhead(
        canvas,
        creditor,
        details=_creditor_details(creditor, labels, message.locale),
        recipient=_recipient_lines(message),
        window=window,
    )
    subject_font = _Font(10, bold=True, color=canvas.primary)
    canvas.top = _BODY_TOP - _BODY.leading
    for index, block in enumerate(_letter_blocks(message)):
        if index:
            canvas.top += 8
        for line in block:
            stripped = line.text.lstrip(" ")
            indent = canvas.width(" ", _BODY) * 2 * (len(line.text) - len(stripped))
            hang = canvas.width("- ", _BODY) if stripped.startswith("- ") else 0
            canvas.paragraph(
                stripped,
                subject_font if line.subject else _BODY,
                x=_LEFT + indent,
                width=_WIDTH - indent,
                hang=hang,
            )


# -- the renderer --------------------------------------------------------------------------------------


def _safe_filename(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "document"


class PdfRenderer:
    """Renders invoices and letters as A4 PDF documents (the ``DocumentRenderer`` port).

    Invoices show the creditor's legal details (name, address, VAT and company numbers, bank
    account), the debtor's address in the window of an envelope, the invoice number, dates and
    order number, the lines with quantity, unit price, VAT rate and amount, the VAT per rate and
    the totals exactly as :class:`~creditflow.Invoice` computes them, and how to pay. Letters put
    the recipient in the window, the message text (date, subject and paragraphs, as composed) on
    the page and the creditor's details in the footer. Headings use the brand's primary colour;
    words and amounts follow the debtor's locale.

    Output is deterministic: the same input gives the same bytes. Safe to share between threads.

    Args:
        window: Where the envelope's address window is: ``"left"`` (DIN 5008 form B, the default)
            or ``"right"``.

    Raises:
        MissingExtraError: borb is not installed (``pip install 'creditflow[pdf]'``).

    .. versionadded:: 0.1.0
    """

    def __init__(self, *, window: Literal["left", "right"] = "left") -> None:
        if window not in ("left", "right"):
            raise ValidationError(f"PdfRenderer window {window!r} must be 'left' or 'right'")
        if not _borb_installed():
            raise MissingExtraError("borb", "pdf")
        self.window: Literal["left", "right"] = window

    def __repr__(self) -> str:
        return f"<PdfRenderer window={self.window!r}>"

    def render_invoice(self, invoice: Invoice, *, creditor: Creditor, debtor: Debtor) -> Attachment:
        """The invoice as a PDF: parties, lines, VAT per rate, totals and payment details.

        Args:
            invoice: The invoice; with lines, or with a plain total and its VAT.
            creditor: Who sends it (legal details, bank account, brand).
            debtor: Who owes it; the address goes in the window, the locale sets words and amounts.

        Returns:
            ``invoice-<number>.pdf`` as ``application/pdf``.
        """
        borb = _load_borb()
        labels = _labels(debtor.locale)
        try:
            canvas = _Canvas(
                borb,
                primary=creditor.brand.primary_color,
                footer=_footer(creditor, labels, debtor.locale),
            )
            _draw_invoice(canvas, invoice, creditor, debtor, window=self.window)
            data = canvas.finish(
                title=f"{labels['invoice']} {invoice.number}",
                author=creditor.name,
                page_label=labels["page"],
            )
        finally:
            _release_layout_caches(borb)
        return Attachment(
            filename=f"invoice-{_safe_filename(invoice.number)}.pdf",
            content_type="application/pdf",
            data=data,
        )

    def render_letter(self, message: OutgoingMessage) -> Attachment:
        """The message as a printable PDF letter for a window envelope.

        Args:
            message: A letter message; ``recipient`` holds the postal address as lines.

        Returns:
            ``letter-<name>.pdf`` as ``application/pdf``, named like the letter channel's files.
        """
        borb = _load_borb()
        labels = _labels(message.locale)
        try:
            canvas = _Canvas(
                borb,
                primary=message.creditor.brand.primary_color,
                footer=_footer(message.creditor, labels, message.locale),
            )
            _draw_letter(canvas, message, window=self.window)
            data = canvas.finish(
                title=message.subject, author=message.creditor.name, page_label=labels["page"]
            )
        finally:
            _release_layout_caches(borb)
        return Attachment(
            filename=f"letter-{letter_name(message)}.pdf",
            content_type="application/pdf",
            data=data,
        )
