"""What PdfRenderer draws: invoices with lines, VAT and totals; letters for window envelopes."""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil
import subprocess
from decimal import Decimal

import attrs
import pytest

import creditflow as cf
from creditflow.ports import DocumentRenderer

from .conftest import invoice, letter, page_count, parties, plain, shown

pytest.importorskip("borb", reason="the pdf extra (borb) is not installed")

from creditflow.adapters.pdf import PdfRenderer

MM = 72 / 25.4
PAGE_HEIGHT = 842


def texts(data: bytes) -> list[str]:
    return [line.text for line in shown(data)]


def joined(data: bytes) -> str:
    return "\n".join(texts(data))


def from_top_mm(y: float) -> float:
    return (PAGE_HEIGHT - y) / MM


def assert_inside_margins(data: bytes) -> None:
    """Text stays 10 mm from the top; only the footer (7 pt) goes below 30 mm from the bottom."""
    for line in shown(data):
        assert from_top_mm(line.y) >= 10, line
        assert line.y / MM >= (12 if line.size == 7 else 29), line


# -- the file ------------------------------------------------------------------------------------


def test_renderer_satisfies_the_document_renderer_port() -> None:
    """PdfRenderer is a DocumentRenderer."""
    assert isinstance(PdfRenderer(), DocumentRenderer)


def test_invoice_is_an_a4_pdf_attachment() -> None:
    """The invoice comes back as ``invoice-<number>.pdf``, a PDF of A4 pages."""
    creditor, debtor = parties()
    document = PdfRenderer().render_invoice(invoice(), creditor=creditor, debtor=debtor)
    assert document.filename == "invoice-2026-0042.pdf"
    assert document.content_type == "application/pdf"
    assert document.data.startswith(b"%PDF-")
    assert document.data.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [0 0 595 842]" in document.data


def test_letter_is_named_like_the_letter_channel_files() -> None:
    """The letter comes back as ``letter-<invoice numbers>-<key hash>.pdf``."""
    document = PdfRenderer().render_letter(letter())
    assert document.filename.startswith("letter-2026-0042-")
    assert document.filename.endswith(".pdf")
    assert document.content_type == "application/pdf"
    assert document.data.startswith(b"%PDF-")


def test_file_names_keep_only_safe_characters() -> None:
    """An invoice number with slashes or spaces gives a plain file name."""
    creditor, debtor = parties()
    document = PdfRenderer().render_invoice(
        invoice("INV/2026 42"), creditor=creditor, debtor=debtor
    )
    assert document.filename == "invoice-INV_2026_42.pdf"


def test_producer_line_is_kept() -> None:
    """The document information keeps borb's producer line, as borb's licence requires."""
    document = PdfRenderer().render_letter(letter())
    assert b"/Producer (borb)" in document.data


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler) not installed")
def test_an_independent_reader_finds_number_lines_and_total(tmp_path: pathlib.Path) -> None:
    """Poppler's pdftotext reads the invoice number, every line and the gross total."""
    creditor, debtor = parties()
    subject = invoice()
    path = tmp_path / "invoice.pdf"
    path.write_bytes(PdfRenderer().render_invoice(subject, creditor=creditor, debtor=debtor).data)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    text = " ".join(result.stdout.split())
    assert subject.number in text
    for line in subject.lines:
        assert line.description in text
    assert plain(subject.gross_total.format(debtor.locale)) in text


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo (poppler) not installed")
def test_document_information_has_title_and_author(tmp_path: pathlib.Path) -> None:
    """The title names the invoice and the author is the creditor, in any script."""
    creditor, debtor = parties()
    creditor = attrs.evolve(creditor, name="Łódź Énergie (B.V.)")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(PdfRenderer().render_invoice(invoice(), creditor=creditor, debtor=debtor).data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "Title:           Factuur 2026-0042" in info.stdout
    assert "Author:          Łódź Énergie (B.V.)" in info.stdout
    assert "CreationDate" not in info.stdout


# -- invoices ------------------------------------------------------------------------------------


def test_invoice_shows_number_dates_and_order_number() -> None:
    """The title, invoice date, due date, customer number and PO number are on the page."""
    creditor, debtor = parties()
    document = PdfRenderer().render_invoice(invoice(), creditor=creditor, debtor=debtor)
    lines = texts(document.data)
    assert "Factuur 2026-0042" in lines
    assert {"2 januari 2026", "16 januari 2026", "D-1001", "PO-7781"} <= set(lines)
    assert {"Factuurdatum", "Vervaldatum", "Klantnummer", "Uw ordernummer"} <= set(lines)


def test_invoice_shows_the_creditors_legal_details() -> None:
    """Legal name, address, VAT and chamber-of-commerce numbers and the bank account."""
    creditor, debtor = parties()
    text = joined(PdfRenderer().render_invoice(invoice(), creditor=creditor, debtor=debtor).data)
    for expected in (
        "Voorbeeld Energie B.V.",
        "Stationsplein 12",
        "3511 ED Utrecht",
        "Btw-nr. NL000099998B57",
        "KvK-nr. 12345678",
        "IBAN NL91 ABNA 0417 1643 00",
        "BIC ABNANL2A",
    ):
        assert expected in text


def test_invoice_lines_show_quantity_unit_price_vat_and_net() -> None:
    """Each line is one row: description, quantity, unit price, discount, VAT rate, net."""
    creditor, debtor = parties()
    data = PdfRenderer().render_invoice(invoice(), creditor=creditor, debtor=debtor).data
    rows: dict[float, list[str]] = {}
    for line in shown(data):
        rows.setdefault(line.y, []).append(line.text)
    as_rows = [plain(" | ".join(row)) for row in rows.values()]
    assert "Electricity, normal rate, January 2026 | 312,5 | € 0,2875 | 21% | € 89,84" in as_rows
    assert "Standing charge | 1 | € 6,50 | 10% | 21% | € 5,85" in as_rows
    assert "Book: saving energy at home | 2 | € 24,95 | 9% | € 49,90" in as_rows
    header = "Omschrijving | Aantal | Prijs per eenheid | Korting | Btw | Bedrag"
    assert header in as_rows


def test_invoice_totals_are_exactly_what_invoice_computes() -> None:
    """Net total, VAT per rate (on its net) and the gross total as ``Invoice`` computes them."""
    creditor, debtor = parties()
    subject = invoice()
    text = plain(
        joined(PdfRenderer().render_invoice(subject, creditor=creditor, debtor=debtor).data)
    )
    assert plain(subject.net_total.format("nl-NL")) == "€ 145,59"
    assert "Totaal excl. btw\n€ 145,59" in text
    for vat in subject.vat_breakdown:
        rate = f"{vat.rate.normalize():f}%"
        line = f"Btw {rate} over {plain(vat.net.format('nl-NL'))}\n{plain(vat.vat.format('nl-NL'))}"
        assert line in text
    assert "Totaal incl. btw\n" + plain(subject.gross_total.format("nl-NL")) in text
    assert plain(subject.gross_total.format("nl-NL")) == "€ 170,17"


def test_invoice_shows_how_to_pay_by_transfer() -> None:
    """Amount, due date, account holder, IBAN, BIC and the structured RF reference."""
    creditor, debtor = parties()
    text = plain(
        joined(PdfRenderer().render_invoice(invoice(), creditor=creditor, debtor=debtor).data)
    )
    assert "Wij verzoeken u € 170,17 uiterlijk 16 januari 2026 over te maken naar:" in text
    assert "Ten name van\nVoorbeeld Energie B.V." in text
    assert "IBAN\nNL91 ABNA 0417 1643 00" in text
    assert "Betalingskenmerk\nRF88 2026 0042" in text


def test_invoice_without_bank_account_asks_to_quote_the_number() -> None:
    """Without a bank account, the debtor is asked to pay quoting the invoice number."""
    creditor, debtor = parties("en")
    creditor = attrs.evolve(creditor, bank_account=None)
    text = plain(
        joined(PdfRenderer().render_invoice(invoice(), creditor=creditor, debtor=debtor).data)
    )
    assert "Please pay €170.17 by January 16, 2026, quoting invoice number 2026-0042." in text
    assert "IBAN" not in text


def test_total_only_invoice_shows_net_vat_and_total() -> None:
    """An invoice sent without lines shows its total, its VAT and the net amount."""
    creditor, debtor = parties("en")
    subject = invoice(lines=(), total=cf.Money("121.00", "EUR"), vat=cf.Money("21.00", "EUR"))
    text = joined(PdfRenderer().render_invoice(subject, creditor=creditor, debtor=debtor).data)
    assert "Total excl. VAT\n€100.00\nVAT\n€21.00\nTotal incl. VAT\n€121.00" in text
    assert "Description" not in text


def test_debtor_address_sits_in_the_envelope_window() -> None:
    """The debtor's name and address lines start 20–105 mm from the left, 45–90 mm from the top."""
    creditor, debtor = parties()
    data = PdfRenderer().render_invoice(invoice(), creditor=creditor, debtor=debtor).data
    placed = {line.text: line for line in shown(data)}
    for text in ("Jan de Vries", "Lindelaan 5", "1234 AB Amersfoort"):
        line = placed[text]
        assert 20 <= line.x / MM <= 105
        assert 45 <= from_top_mm(line.y) <= 90
    assert "NL" not in placed  # a domestic letter has no country line


def test_right_window_moves_the_address_right() -> None:
    """With ``window="right"`` the address block is in the right half of the page."""
    creditor, debtor = parties()
    data = (
        PdfRenderer(window="right").render_invoice(invoice(), creditor=creditor, debtor=debtor).data
    )
    line = next(line for line in shown(data) if line.text == "Lindelaan 5")
    assert 105 <= line.x / MM <= 190
    assert 45 <= from_top_mm(line.y) <= 90


def test_unknown_window_is_refused() -> None:
    """Only a left or a right window exists."""
    with pytest.raises(cf.errors.ValidationError, match="'middle'"):
        PdfRenderer(window="middle")  # type: ignore[arg-type]


def test_foreign_debtor_gets_the_country_in_capitals() -> None:
    """A debtor abroad gets the destination country as the last address line."""
    creditor, debtor = parties("fr-BE")
    debtor = attrs.evolve(
        debtor,
        address=cf.Address(
            street="Rue Haute 1", postal_code="1000", city="Bruxelles", country="BE"
        ),
    )
    lines = texts(PdfRenderer().render_invoice(invoice(), creditor=creditor, debtor=debtor).data)
    assert lines[lines.index("1000 Bruxelles") + 1] == "BELGIUM"
    assert "Facture 2026-0042" in lines


def test_headings_use_the_brand_colour() -> None:
    """The title is drawn in the brand's primary colour (``#0b3d91``)."""
    creditor, debtor = parties()
    data = PdfRenderer().render_invoice(invoice(), creditor=creditor, debtor=debtor).data
    title = next(line for line in shown(data) if line.text == "Factuur 2026-0042")
    assert title.size == 16
    from .conftest import content_streams

    page = next(s for s in content_streams(data) if b"(Factuur 2026-0042) Tj" in s)
    before_title = page[: page.index(b"(Factuur 2026-0042) Tj")]
    assert before_title.rstrip().rsplit(b" rg", 1)[0].endswith(b"0.0431373 0.2392157 0.5686275")


@pytest.mark.parametrize(
    ("locale", "title", "total"),
    [
        ("en", "Invoice 2026-0042", "Total incl. VAT"),
        ("nl-BE", "Factuur 2026-0042", "Totaal incl. btw"),
        ("de-DE", "Rechnung 2026-0042", "Gesamtbetrag brutto"),
        ("fr-FR", "Facture 2026-0042", "Total TTC"),
    ],
)
def test_words_and_amounts_follow_the_debtors_locale(locale: str, title: str, total: str) -> None:
    """Labels are in the debtor's language and amounts formatted with ``Money.format``."""
    creditor, debtor = parties(locale)
    subject = invoice()
    lines = texts(PdfRenderer().render_invoice(subject, creditor=creditor, debtor=debtor).data)
    assert title in lines
    assert lines[lines.index(total) + 1] == plain(subject.gross_total.format(locale))


def test_long_invoice_continues_on_numbered_pages() -> None:
    """A hundred lines flow over several pages, each numbered, every line and the total shown."""
    creditor, debtor = parties("en")
    subject = invoice(lines=100)
    data = PdfRenderer().render_invoice(subject, creditor=creditor, debtor=debtor).data
    pages = page_count(data)
    assert pages >= 3
    lines = shown(data)
    descriptions = [line.text for line in lines]
    text = " ".join(descriptions)
    for item in subject.lines:
        assert item.description in text
    numbered = [line.text for line in lines if line.text.startswith("Page ")]
    assert numbered == [f"Page {n} of {pages}" for n in range(1, pages + 1)]
    assert sum(1 for text in descriptions if text == "Invoice 2026-0042 (continued)") == pages - 1
    last_line = next(line for line in lines if line.text == subject.lines[-1].description)
    total = next(line for line in lines if line.text == "Total incl. VAT")
    assert (total.page, -total.y) > (last_line.page, -last_line.y)
    assert_inside_margins(data)


def test_description_longer_than_a_page_is_split_over_pages() -> None:
    """A description of hundreds of lines continues on the next pages and stays inside them."""
    creditor, debtor = parties("en")
    long_line = cf.InvoiceLine(
        description="word " * 4000, quantity=1, unit_price=cf.Money("1.00", "EUR")
    )
    data = (
        PdfRenderer()
        .render_invoice(invoice(lines=(long_line,)), creditor=creditor, debtor=debtor)
        .data
    )
    assert page_count(data) >= 3
    assert_inside_margins(data)


def test_text_beyond_the_standard_fonts_is_transliterated() -> None:
    """Characters Helvetica lacks lose accents or become '?'; nothing fails."""
    creditor, debtor = parties("pl-PL")
    odd = cf.InvoiceLine(
        description="Łódź ‘quoted’ – 中文 😀 (paren \\ slash)",
        quantity=Decimal("0.001"),
        unit_price=cf.Money("1.00", "EUR"),
    )
    data = (
        PdfRenderer().render_invoice(invoice(lines=(odd,)), creditor=creditor, debtor=debtor).data
    )
    assert "Lódz ‘quoted’ – ?? ? (paren \\ slash)" in texts(data)


# -- letters -------------------------------------------------------------------------------------


def test_letter_places_recipient_in_the_window_and_text_below() -> None:
    """Recipient in the window; date, subject and paragraphs start below it."""
    message = letter()
    data = PdfRenderer().render_letter(message).data
    placed = {line.text: line for line in shown(data)}
    name = placed["Jan de Vries"]
    assert 20 <= name.x / MM <= 105
    assert 45 <= from_top_mm(name.y) <= 90
    assert "NL" not in placed
    date = placed["Utrecht, 2 februari 2026"]
    assert from_top_mm(date.y) >= 90
    subject = placed[f"Betreft: {message.subject}"]
    assert from_top_mm(subject.y) > from_top_mm(date.y)
    assert "Geachte Jan de Vries," in placed


def test_letter_does_not_repeat_what_the_page_places_itself() -> None:
    """The sender and recipient blocks and the footer of the text are not drawn twice."""
    text = texts(PdfRenderer().render_letter(letter()).data)
    assert text.count("Lindelaan 5") == 1
    assert text.count("Stationsplein 12") == 1  # the letterhead; the footer line joins it in
    footer = [line for line in text if line.startswith("Voorbeeld Energie B.V. · ")]
    assert len(footer) == 2  # the return line above the address, and the page footer


def test_letter_footer_shows_the_creditors_details() -> None:
    """The footer names the creditor with address, VAT and company numbers and IBAN."""
    data = PdfRenderer().render_letter(letter()).data
    footer = [line for line in shown(data) if from_top_mm(line.y) > 270]
    assert [line.text for line in footer] == [
        "Voorbeeld Energie B.V. · Stationsplein 12 · 3511 ED Utrecht · Nederland",
        "Btw-nr. NL000099998B57 · KvK-nr. 12345678 · IBAN NL91 ABNA 0417 1643 00 · BIC ABNANL2A",
    ]


def test_letter_keeps_every_paragraph_of_the_message() -> None:
    """Every non-empty line of the message body is on the page (long ones wrapped)."""
    message = letter()
    shown_text = " ".join(texts(PdfRenderer().render_letter(message).data))
    words = " ".join(plain(shown_text).split())
    for paragraph in ("Volgens onze administratie", "Betalingskenmerk: RF88 2026 0042"):
        assert paragraph in words
    assert message.payment_url is None or message.payment_url in words


def test_letter_without_a_subject_line_gets_the_subject_as_heading() -> None:
    """A text from a custom template without the subject still shows the subject first."""
    message = letter(text="First paragraph.\n\nSecond paragraph.", subject="Your account")
    lines = shown(PdfRenderer().render_letter(message).data)
    body = [line.text for line in lines if from_top_mm(line.y) >= 95 and from_top_mm(line.y) < 270]
    assert body == ["Your account", "First paragraph.", "Second paragraph."]


def test_long_letter_wraps_and_flows_onto_numbered_pages() -> None:
    """A long text and an unbreakable URL stay inside the margins over several pages."""
    url = "https://pay.example.test/" + "a" * 300
    message = letter(text=f"{url}\n\n" + "paragraph text " * 1500, locale="en")
    data = PdfRenderer().render_letter(message).data
    pages = page_count(data)
    assert pages >= 2
    lines = shown(data)
    assert_inside_margins(data)
    assert "".join(
        line.text for line in lines if "a" * 20 in line.text or "pay.example" in line.text
    ).startswith(url)
    assert [line.text for line in lines if line.text.startswith("Page ")] == [
        f"Page {n} of {pages}" for n in range(1, pages + 1)
    ]


def test_letter_through_letter_channel_and_folder_service(tmp_path: pathlib.Path) -> None:
    """``LetterChannel(service, renderer=PdfRenderer())`` posts a PDF letter."""
    from creditflow.adapters.letters import FolderLetterService, LetterChannel

    channel = LetterChannel(FolderLetterService(tmp_path), renderer=PdfRenderer())
    stem = channel.send(letter())
    assert stem is not None
    assert (tmp_path / f"{stem}.pdf").read_bytes().startswith(b"%PDF-")


def test_credit_manager_attaches_pdf_invoices_and_posts_pdf_letters(tmp_path: pathlib.Path) -> None:
    """With ``renderer=PdfRenderer()`` a letter step posts a PDF letter with the PDF invoice."""
    from creditflow.adapters.letters import FolderLetterService, LetterChannel
    from creditflow.testing import InMemoryStore, SettableClock

    creditor, debtor = parties()
    renderer = PdfRenderer()
    clock = SettableClock(dt.datetime(2026, 1, 23, 9, tzinfo=dt.UTC))
    manager = cf.CreditManager(
        creditor=creditor,
        store=InMemoryStore(),
        channels={
            cf.Channel.LETTER: LetterChannel(FolderLetterService(tmp_path), renderer=renderer)
        },
        clock=clock,
        renderer=renderer,
        send_window=None,
    )
    manager.register_schema(
        cf.DunningSchema(
            key="letters",
            steps=[
                cf.Step(
                    name="reminder",
                    trigger=cf.Trigger.days_after_due(7),
                    actions=[cf.SendMessage(channel=cf.Channel.LETTER, attach_invoice=True)],
                )
            ],
        )
    )
    manager.upsert_debtor(debtor)
    manager.register_invoice(invoice(), schema_key="letters")
    manager.run()
    pdfs = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert len(pdfs) == 2
    attached = next(p for p in pdfs if p.endswith("invoice-2026-0042.pdf"))
    assert "Factuur 2026-0042" in texts((tmp_path / attached).read_bytes())
