"""Fee and interest rules: how much a step charges, as pure functions of the case.

A schema step names a rule; the engine asks it for an amount on the step's date. Rules never read
a clock or any outside state: everything they may look at is in the context handed to them.
Rule packs (:mod:`creditflow.rules`) add the statutory rules of each country.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs
from attrs import field, frozen

from . import _validate as v
from ._account import Account
from ._invoice import Invoice
from ._message_kind import MessageKind
from ._money import Money, Rounding
from ._parties import Creditor, Debtor
from .errors import CurrencyMismatchError, ValidationError

if TYPE_CHECKING:
    from .engine._schema import DunningSchema

__all__ = [
    "DayCount",
    "FeeContext",
    "FeeRule",
    "FixedFee",
    "FixedRateInterest",
    "InterestContext",
    "InterestRule",
    "MessageKind",
    "NoFee",
    "PercentageFee",
    "SentMessage",
]


@frozen(kw_only=True)
class SentMessage:
    """A message a case's steps queued: its kind, the step and the date."""

    kind: MessageKind
    step_index: int
    sent_on: dt.date


@frozen(kw_only=True)
class FeeContext:
    """Everything a fee rule may look at on the step's date."""

    today: dt.date
    invoice: Invoice
    account: Account
    debtor: Debtor
    creditor: Creditor
    step_index: int
    sent: tuple[SentMessage, ...] = ()
    """Messages the case queued before this step, oldest first."""


@frozen
class NoFee:
    """A fee rule's answer when nothing may be charged, with the reason (recorded on the case)."""

    reason: str


@runtime_checkable
class FeeRule(Protocol):
    """How much admin cost a step adds.

    Implementations must be pure and deterministic: the same context gives the same answer. An
    amount is posted as admin costs, rounded half-up to the currency's minor unit; :class:`NoFee`
    posts nothing and records why.
    """

    def describe(self) -> str:
        """A short text for documents and events, e.g. "Collection costs (WIK)"."""
        ...

    def fee(self, context: FeeContext) -> Money | NoFee:
        """The fee on ``context.today``, or :class:`NoFee` with the reason."""
        ...

    def check_schema(self, schema: DunningSchema, step_index: int) -> None:
        """Refuse (``SchemaError``) a schema in which this fee at *step_index* would be unlawful."""
        ...


def _positive_money(instance: object, attribute: attrs.Attribute[Money], value: Money) -> None:
    v.money(instance, attribute, value)
    v.positive(instance, attribute, value)


@frozen(kw_only=True)
class FixedFee:
    """A fixed admin fee, e.g. ``FixedFee(amount=Money("7.50", "EUR"))``."""

    amount: Money = field(validator=_positive_money)
    description: str = "Administration costs"

    def describe(self) -> str:
        """The fee's description."""
        return self.description

    def fee(self, context: FeeContext) -> Money | NoFee:
        """The fixed amount, in the invoice's currency."""
        if self.amount.currency != context.account.currency:
            raise CurrencyMismatchError(
                f"fixed fee {self.amount} cannot be charged on invoice "
                f"{context.invoice.number!r} in {context.account.currency}"
            )
        return self.amount

    def check_schema(self, schema: DunningSchema, step_index: int) -> None:
        """A fixed fee is valid anywhere in a schema."""


@frozen(kw_only=True)
class PercentageFee:
    """A percentage of the open principal, optionally between a minimum and a maximum."""

    percent: Decimal = field(converter=v.decimal_field, validator=v.positive)
    minimum: Money | None = field(default=None, validator=v.money)
    maximum: Money | None = field(default=None, validator=v.money)
    description: str = "Administration costs"

    def __attrs_post_init__(self) -> None:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValidationError(
                f"PercentageFee minimum {self.minimum} is above its maximum {self.maximum}"
            )

    def describe(self) -> str:
        """The fee's description."""
        return self.description

    def fee(self, context: FeeContext) -> Money | NoFee:
        """``percent`` of the open principal, clamped, rounded half-up."""
        amount = context.account.open_principal * self.percent / 100
        if self.minimum is not None:
            amount = amount.max(self.minimum)
        if self.maximum is not None:
            amount = amount.min(self.maximum)
        return amount.round(Rounding.HALF_UP)

    def check_schema(self, schema: DunningSchema, step_index: int) -> None:
        """A percentage fee is valid anywhere in a schema."""


class DayCount(enum.Enum):
    """How days are counted when interest is computed over a period."""

    ACT_365 = "act/365"
    """Actual days over 365, leap years included. The default (Dutch and German practice)."""
    ACT_ACT = "act/act"
    """Actual days over the actual length of each calendar year (365 or 366)."""
    ACT_360 = "act/360"
    """Actual days over 360 (money-market convention)."""


@frozen(kw_only=True)
class InterestContext:
    """What an interest rule may look at: a period with a constant open principal."""

    principal: Money
    """The open principal during the whole period."""
    start: dt.date
    """First day of the period (inclusive)."""
    end: dt.date
    """Day after the period (exclusive)."""
    interest_from: dt.date
    """The day interest began to run (the default date): anniversaries for yearly compounding."""
    open_interest: Money
    """Interest posted before the period and not yet paid."""
    debtor: Debtor
    creditor: Creditor


@runtime_checkable
class InterestRule(Protocol):
    """Late-payment interest over a period.

    Implementations must be pure; the result is exact (unrounded) and is rounded when posted.
    Interest over a period must equal the sum over any split of it into sub-periods when the rule
    does not compound.
    """

    def describe(self) -> str:
        """A short text for documents and events, e.g. "Statutory interest (art. 6:119 BW)"."""
        ...

    def interest(self, context: InterestContext) -> Money:
        """Interest over ``[context.start, context.end)``."""
        ...


def year_fraction(start: dt.date, end: dt.date, day_count: DayCount) -> Decimal:
    """The fraction of a year from *start* (inclusive) to *end* (exclusive)."""
    if end <= start:
        return Decimal(0)
    if day_count is DayCount.ACT_365:
        return Decimal((end - start).days) / Decimal(365)
    if day_count is DayCount.ACT_360:
        return Decimal((end - start).days) / Decimal(360)
    total = Decimal(0)
    cursor = start
    while cursor < end:
        year_end = dt.date(cursor.year + 1, 1, 1)
        stop = min(end, year_end)
        days_in_year = (year_end - dt.date(cursor.year, 1, 1)).days
        total += Decimal((stop - cursor).days) / Decimal(days_in_year)
        cursor = stop
    return total


@frozen(kw_only=True)
class FixedRateInterest:
    """Simple interest at a fixed yearly percentage (a contractual rate)."""

    annual_percent: Decimal = field(converter=v.decimal_field, validator=v.positive)
    day_count: DayCount = DayCount.ACT_365
    description: str = "Interest"

    def describe(self) -> str:
        """The rule's description."""
        return self.description

    def interest(self, context: InterestContext) -> Money:
        """``principal × rate × year fraction``, unrounded."""
        fraction = year_fraction(context.start, context.end, self.day_count)
        return context.principal * (self.annual_percent / 100) * fraction
