"""The invoice domain: parties, invoices with lines and VAT, credit notes, payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import creditflow as cf
from creditflow.errors import CurrencyMismatchError, ValidationError

D = dt.date


def eur(amount: str) -> cf.Money:
    return cf.Money(amount, "EUR")


def line(
    description: str = "Widget",
    quantity: str = "1",
    price: str = "10.00",
    vat: str = "21",
    discount: str = "0",
) -> cf.InvoiceLine:
    return cf.InvoiceLine(
        description=description,
        quantity=quantity,
        unit_price=eur(price),
        vat_rate=vat,
        discount=discount,
    )


def invoice(**overrides: object) -> cf.Invoice:
    fields: dict[str, object] = {
        "number": "INV-1",
        "debtor_code": "D1",
        "issued_on": D(2026, 1, 1),
        "due_on": D(2026, 1, 15),
        "currency": "EUR",
        "lines": [line()],
    }
    fields.update(overrides)
    return cf.Invoice(**fields)  # type: ignore[arg-type]


class TestDebtor:
    def test_stores_mobile_numbers_as_e164(self) -> None:
        """Phone numbers are validated with phonenumbers and kept in E.164."""
        debtor = cf.Debtor(
            code="D1", kind=cf.DebtorKind.PERSON, name="Jan", mobile="+31 6 1234 5678"
        )
        assert debtor.mobile == "+31612345678"

    @pytest.mark.parametrize("mobile", ["0612345678", "+31 6", "call me", "+999 1234"])
    def test_refuses_malformed_phone_numbers(self, mobile: str) -> None:
        """A number without country code or that does not exist is refused, naming it."""
        with pytest.raises(ValidationError, match="mobile"):
            cf.Debtor(code="D1", kind=cf.DebtorKind.PERSON, name="Jan", mobile=mobile)

    @pytest.mark.parametrize(
        "email", ["jan", "jan@", "@example.com", "jan @example.com", "jan@example"]
    )
    def test_refuses_malformed_email_addresses(self, email: str) -> None:
        """Addresses that cannot be delivered to are refused."""
        with pytest.raises(ValidationError, match="e-mail"):
            cf.Debtor(code="D1", kind=cf.DebtorKind.PERSON, name="Jan", email=email)

    def test_refuses_unknown_countries(self) -> None:
        """Countries are ISO 3166-1 alpha-2 codes."""
        with pytest.raises(ValidationError, match="'XX'"):
            cf.Address(street="Main 1", city="Nowhere", country="XX")

    def test_refuses_unknown_time_zones_and_locales(self) -> None:
        """Time zones are IANA names and locales are known to CLDR."""
        with pytest.raises(ValidationError, match="Mars/Olympus"):
            cf.Debtor(code="D1", kind=cf.DebtorKind.PERSON, name="Jan", time_zone="Mars/Olympus")
        with pytest.raises(ValidationError, match="locale"):
            cf.Debtor(code="D1", kind=cf.DebtorKind.PERSON, name="Jan", locale="zz-ZZ")

    def test_normalises_locales_and_knows_reachability(self) -> None:
        """Locales are normalised; a channel is reachable only with its contact detail and no flag."""
        debtor = cf.Debtor(
            code="D1",
            kind=cf.DebtorKind.COMPANY,
            name="Acme",
            locale="fr_be",
            email="a@example.be",
            unreachable={cf.Channel.SMS},
        )
        assert debtor.locale == "fr-BE"
        assert debtor.reachable_on(cf.Channel.EMAIL)
        assert not debtor.reachable_on(cf.Channel.SMS)
        assert not debtor.reachable_on(cf.Channel.LETTER)
        assert not debtor.is_consumer

    def test_refuses_invalid_ibans(self) -> None:
        """A creditor's IBAN is checked by schwifty."""
        with pytest.raises(ValidationError, match="IBAN"):
            cf.BankAccount(iban="NL00ABNA0000000000", holder="Acme")


class TestInvoice:
    def test_computes_vat_per_rate_and_totals(self) -> None:
        """Lines are rounded per line; VAT is computed per rate on the sum of the nets."""
        inv = invoice(
            lines=[
                line(quantity="3", price="9.99"),
                line(price="10", vat="9"),
                line(price="100", discount="10"),
            ]
        )
        assert [(v.rate, v.net, v.vat) for v in inv.vat_breakdown] == [
            (Decimal(21), eur("119.97"), eur("25.19")),
            (Decimal(9), eur("10.00"), eur("0.90")),
        ]
        assert inv.net_total == eur("129.97")
        assert inv.gross_total == eur("156.06")

    def test_per_line_vat_rounding_is_a_policy(self) -> None:
        """Rounding VAT per line can differ from per rate by a cent; both are supported."""
        lines = [line(price="0.05") for _ in range(3)]
        per_rate = invoice(lines=lines)
        per_line = invoice(lines=lines, vat_rounding=cf.VatRounding.PER_LINE)
        assert per_rate.vat_total == eur("0.03")  # 21 % of 0.15 = 0.0315
        assert per_line.vat_total == eur("0.03")  # 3 x round(0.0105) = 0.03
        odd = [line(price="0.10") for _ in range(3)]
        assert invoice(lines=odd).vat_total == eur("0.06")  # 21 % of 0.30 = 0.063
        assert invoice(lines=odd, vat_rounding=cf.VatRounding.PER_LINE).vat_total == eur("0.06")

    def test_accepts_a_plain_total_without_lines(self) -> None:
        """Hosts that send no lines give a gross total and its VAT."""
        inv = invoice(lines=(), total=eur("121.00"), vat=eur("21.00"))
        assert (inv.net_total, inv.vat_total, inv.gross_total) == (
            eur("100"),
            eur("21"),
            eur("121"),
        )

    def test_refuses_a_due_date_before_the_issue_date(self) -> None:
        """The error names the invoice and both dates."""
        with pytest.raises(ValidationError, match=r"INV-1.*2025-12-31.*2026-01-01"):
            invoice(due_on=D(2025, 12, 31))

    def test_refuses_negative_quantities(self) -> None:
        """Quantities cannot be negative (use a credit note)."""
        with pytest.raises(ValidationError, match="quantity"):
            line(quantity="-1")

    def test_refuses_lines_in_another_currency(self) -> None:
        """One currency per invoice."""
        usd_line = cf.InvoiceLine(description="x", quantity=1, unit_price=cf.Money("1", "USD"))
        with pytest.raises(CurrencyMismatchError, match="USD"):
            invoice(lines=[usd_line])

    def test_refuses_float_prices_and_quantities(self) -> None:
        """Floats never get near money."""
        with pytest.raises(TypeError):
            cf.InvoiceLine(description="x", quantity=1.5, unit_price=eur("1"))  # type: ignore[arg-type]

    def test_needs_lines_or_a_total_but_not_both(self) -> None:
        """An invoice has one source for its amount."""
        with pytest.raises(ValidationError, match="neither"):
            invoice(lines=())
        with pytest.raises(ValidationError, match="both"):
            invoice(total=eur("1"))


class TestCreditNoteAndPayment:
    def test_credit_note_by_lines_credits_their_gross(self) -> None:
        """A credit note by lines credits the lines' amount with VAT."""
        note = cf.CreditNote(
            number="CN-1", invoice_number="INV-1", issued_on=D(2026, 1, 2), lines=[line(price="10")]
        )
        assert note.gross == eur("12.10")

    def test_credit_note_needs_a_positive_amount(self) -> None:
        """Zero or negative credit notes are refused."""
        with pytest.raises(ValidationError, match="more than zero"):
            cf.CreditNote(
                number="CN-1", invoice_number="INV-1", issued_on=D(2026, 1, 2), amount=eur("0")
            )

    def test_payment_needs_a_positive_rounded_amount(self) -> None:
        """Payments are positive whole cents."""
        with pytest.raises(ValidationError):
            cf.Payment(amount=eur("-1"), method="ideal", reference="p", paid_on=D(2026, 1, 1))
        with pytest.raises(ValidationError, match="minor units"):
            cf.Payment(amount=eur("1.001"), method="ideal", reference="p", paid_on=D(2026, 1, 1))
