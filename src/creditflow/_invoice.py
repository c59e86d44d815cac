"""Invoices, their lines and VAT, credit notes and payments."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from decimal import Decimal
from functools import cached_property
from typing import Any

import attrs
from attrs import field, frozen

from . import _validate as v
from ._money import Money, Rounding
from .errors import CurrencyMismatchError, ValidationError

__all__ = [
    "CreditNote",
    "Invoice",
    "InvoiceLine",
    "Payment",
    "PaymentMethod",
    "VatLine",
    "VatRounding",
]

_HUNDRED = Decimal(100)


def _date(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise TypeError(
            f"{type(instance).__name__}.{attribute.name} must be a datetime.date (not a datetime), "
            f"got {value!r}"
        )


def _percentage(instance: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    if not Decimal(0) <= value <= _HUNDRED:
        raise ValidationError(
            f"{type(instance).__name__}.{attribute.name} must be a percentage from 0 to 100, got {value}"
        )


@frozen(kw_only=True)
class InvoiceLine:
    """One line of an invoice: ``quantity × unit_price``, less a discount percentage, plus VAT.

    ``unit_price`` is net (excluding VAT); ``vat_rate`` and ``discount`` are percentages
    (``Decimal("21")`` is 21 %).
    """

    description: str = field(validator=v.non_empty)
    quantity: Decimal = field(converter=v.decimal_field, validator=v.not_negative)
    unit_price: Money = field(validator=v.money)
    vat_rate: Decimal = field(default=Decimal(0), converter=v.decimal_field, validator=_percentage)
    discount: Decimal = field(default=Decimal(0), converter=v.decimal_field, validator=_percentage)

    @property
    def currency(self) -> str:
        """The line's currency."""
        return self.unit_price.currency

    @property
    def net_exact(self) -> Money:
        """The unrounded net amount of the line."""
        return self.unit_price * self.quantity * ((_HUNDRED - self.discount) / _HUNDRED)

    @property
    def net(self) -> Money:
        """The line's net amount, rounded half-up to the minor unit."""
        return self.net_exact.round()


class VatRounding(enum.Enum):
    """Where VAT is rounded on an invoice with lines.

    Line nets are always rounded per line (what the debtor sees on each line adds up).
    """

    PER_RATE = "per_rate"
    """VAT is computed on the sum of the line nets of each rate and rounded once per rate. The
    default: what most EU invoicing rules and accounting systems expect."""
    PER_LINE = "per_line"
    """VAT is rounded on every line and the rounded amounts are summed."""


@frozen(kw_only=True)
class VatLine:
    """The VAT breakdown of one rate on an invoice."""

    rate: Decimal
    net: Money
    vat: Money

    @property
    def gross(self) -> Money:
        """Net plus VAT at this rate."""
        return self.net + self.vat


@frozen(kw_only=True)
class Invoice:
    """An invoice handed to creditflow for credit management.

    Either with ``lines`` (totals and a per-rate VAT breakdown are computed, see
    :class:`VatRounding`) or, for hosts that do not send lines, with a plain ``total`` (gross,
    including VAT) and its ``vat``.
    """

    number: str = field(validator=v.non_empty)
    debtor_code: str = field(validator=v.non_empty)
    issued_on: dt.date = field(validator=_date)
    due_on: dt.date = field(validator=_date)
    currency: str = field(converter=v.upper)
    lines: tuple[InvoiceLine, ...] = field(default=(), converter=v.to_tuple)
    total: Money | None = field(default=None, validator=v.money)
    vat: Money | None = field(default=None, validator=v.money)
    vat_rounding: VatRounding = VatRounding.PER_RATE
    po_number: str | None = None
    subscription_reference: str | None = None
    metadata: Mapping[str, str] = field(factory=dict, converter=v.string_mapping, hash=False)

    def __attrs_post_init__(self) -> None:
        Money.zero(self.currency)  # validates the currency code
        if self.due_on < self.issued_on:
            raise ValidationError(
                f"invoice {self.number!r}: due date {self.due_on} is before the issue date "
                f"{self.issued_on}; a due date on or after the issue date is required"
            )
        if self.lines and self.total is not None:
            raise ValidationError(
                f"invoice {self.number!r} has both lines and a total; give lines (totals are "
                f"computed) or a total with its VAT, not both"
            )
        if not self.lines and self.total is None:
            raise ValidationError(
                f"invoice {self.number!r} has neither lines nor a total; give one of them"
            )
        for index, line in enumerate(self.lines):
            if not isinstance(line, InvoiceLine):
                raise TypeError(
                    f"invoice {self.number!r} line {index} is not an InvoiceLine: {line!r}"
                )
            if line.currency != self.currency:
                raise CurrencyMismatchError(
                    f"invoice {self.number!r} is in {self.currency} but line {index} "
                    f"({line.description!r}) is in {line.currency}; one currency per invoice"
                )
        for name in ("total", "vat"):
            amount: Money | None = getattr(self, name)
            if amount is None:
                continue
            if amount.currency != self.currency:
                raise CurrencyMismatchError(
                    f"invoice {self.number!r} is in {self.currency} but its {name} is {amount}"
                )
            if amount.is_negative:
                raise ValidationError(f"invoice {self.number!r}: {name} {amount} is negative")
            if not amount.is_rounded:
                raise ValidationError(
                    f"invoice {self.number!r}: {name} {amount} is not in whole minor units"
                )
        if self.total is not None and self.vat is not None and self.vat > self.total:
            raise ValidationError(
                f"invoice {self.number!r}: VAT {self.vat} exceeds the gross total {self.total}"
            )

    @cached_property
    def vat_breakdown(self) -> tuple[VatLine, ...]:
        """Net and VAT per rate, highest rate first (empty for a total-only invoice)."""
        by_rate: dict[Decimal, list[InvoiceLine]] = {}
        for line in self.lines:
            by_rate.setdefault(line.vat_rate, []).append(line)
        zero = Money.zero(self.currency)
        breakdown = []
        for rate in sorted(by_rate, reverse=True):
            lines = by_rate[rate]
            net = sum((line.net for line in lines), zero)
            if self.vat_rounding is VatRounding.PER_RATE:
                vat = (net * rate / _HUNDRED).round(Rounding.HALF_UP)
            else:
                vat = sum(((line.net * rate / _HUNDRED).round() for line in lines), zero)
            breakdown.append(VatLine(rate=rate, net=net, vat=vat))
        return tuple(breakdown)

    @property
    def vat_total(self) -> Money:
        """The invoice's VAT."""
        if not self.lines:
            return self.vat if self.vat is not None else Money.zero(self.currency)
        return sum((line.vat for line in self.vat_breakdown), Money.zero(self.currency))

    @property
    def net_total(self) -> Money:
        """The invoice's amount before VAT."""
        if not self.lines:
            assert self.total is not None
            return self.total - self.vat_total
        return sum((line.net for line in self.vat_breakdown), Money.zero(self.currency))

    @property
    def gross_total(self) -> Money:
        """What the debtor owes for the invoice: net plus VAT. This is the claim's principal."""
        if not self.lines:
            assert self.total is not None
            return self.total
        return self.net_total + self.vat_total


@frozen(kw_only=True)
class CreditNote:
    """A credit note lowering the principal of one invoice, by amount or by lines.

    It can never exceed what is open of the invoice's principal; a credit note for all of it
    settles the invoice.
    """

    number: str = field(validator=v.non_empty)
    invoice_number: str = field(validator=v.non_empty)
    issued_on: dt.date = field(validator=_date)
    amount: Money | None = field(default=None, validator=v.money)
    lines: tuple[InvoiceLine, ...] = field(default=(), converter=v.to_tuple)
    reason: str = ""

    def __attrs_post_init__(self) -> None:
        if (self.amount is None) == (not self.lines):
            raise ValidationError(
                f"credit note {self.number!r} needs either an amount or lines, not "
                f"{'both' if self.lines else 'neither'}"
            )
        currencies = {line.currency for line in self.lines}
        if len(currencies) > 1:
            raise CurrencyMismatchError(
                f"credit note {self.number!r} mixes currencies {sorted(currencies)}"
            )
        gross = self.gross
        if not gross.is_positive:
            raise ValidationError(
                f"credit note {self.number!r} amount {gross} must be more than zero"
            )
        if not gross.is_rounded:
            raise ValidationError(
                f"credit note {self.number!r} amount {gross} is not in whole minor units"
            )

    @property
    def gross(self) -> Money:
        """The amount credited, VAT included."""
        if self.amount is not None:
            return self.amount
        currency = self.lines[0].currency
        probe = Invoice(
            number=self.number,
            debtor_code="-",
            issued_on=self.issued_on,
            due_on=self.issued_on,
            currency=currency,
            lines=self.lines,
        )
        return probe.gross_total


class PaymentMethod(enum.StrEnum):
    """Common payment methods; any other lower-case name (a provider's own) is accepted too."""

    IDEAL = "ideal"
    BANCONTACT = "bancontact"
    SEPA_DIRECT_DEBIT = "sepa_direct_debit"
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    PAYPAL = "paypal"
    SOFORT = "sofort"
    GIROPAY = "giropay"
    APPLE_PAY = "apple_pay"
    GOOGLE_PAY = "google_pay"
    KLARNA = "klarna"
    COLLECTION_AGENCY = "collection_agency"
    """Money the collection agency collected and passed on."""
    OTHER = "other"


def _method(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"Payment.method {value!r} must be a method name such as 'ideal'")
    return str(value).strip().lower()


@frozen(kw_only=True)
class Payment:
    """Money received for an invoice.

    ``reference`` identifies the payment at the provider or bank; recording the same reference
    twice for one invoice is refused, so a retried webhook never counts a payment twice.
    """

    amount: Money = field(validator=[v.money, v.positive])
    method: str = field(converter=_method)
    reference: str = field(validator=v.non_empty)
    paid_on: dt.date = field(validator=_date)

    def __attrs_post_init__(self) -> None:
        if not self.amount.is_rounded:
            raise ValidationError(
                f"payment {self.reference!r} amount {self.amount} is not in whole minor units"
            )

    @property
    def is_direct_debit(self) -> bool:
        """Whether the payment was a SEPA direct debit (and so can be reversed by the bank)."""
        return self.method == PaymentMethod.SEPA_DIRECT_DEBIT
