"""Payment plans (betaalregelingen): instalments that hold the dunning while they are honoured.

A :class:`PaymentPlan` is the agreed plan as a value: the invoices it covers, what was owed when
it was agreed, and its schedule of :class:`Installment` s. The plan's terms for reminders and
default are a :class:`PaymentPlanPolicy`. :func:`build_schedule` computes a schedule; the
:class:`~creditflow.CreditManager` verbs ``create_payment_plan`` and ``terminate_payment_plan``
agree and end plans.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import attrs
from attrs import field, frozen

from . import _validate as v
from ._money import Money
from ._parties import Channel
from .errors import ValidationError

__all__ = [
    "Installment",
    "PaymentPlan",
    "PaymentPlanPolicy",
    "PlanInterval",
    "add_months",
    "build_schedule",
]


def add_months(anchor: dt.date, months: int) -> dt.date:
    """*anchor* plus *months* calendar months, clamped to the end of a shorter month.

    ``add_months(date(2026, 1, 31), 1)`` is 28 February 2026; ``add_months(date(2026, 1, 31), 2)``
    is 31 March (always counted from the anchor, never chained).
    """
    import pendulum  # calendar arithmetic that clamps to month ends, as the law counts months

    moved = pendulum.Date(anchor.year, anchor.month, anchor.day).add(months=months)
    return dt.date(moved.year, moved.month, moved.day)


class PlanInterval(enum.Enum):
    """How far apart the instalments of a plan fall."""

    DAY = "day"
    WEEK = "week"
    TWO_WEEKS = "two_weeks"
    MONTH = "month"
    TWO_MONTHS = "two_months"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"

    def nth(self, anchor: dt.date, index: int) -> dt.date:
        """The date of the instalment *index* intervals after *anchor* (0 is *anchor* itself).

        Month-based intervals count from the anchor and clamp to the month's end (31 January,
        28 February, 31 March, 30 April, ...), so a short month never shifts later dates.
        """
        days = _DAYS.get(self)
        if days is not None:
            return anchor + dt.timedelta(days=days * index)
        return add_months(anchor, _MONTHS[self] * index)


_DAYS = {PlanInterval.DAY: 1, PlanInterval.WEEK: 7, PlanInterval.TWO_WEEKS: 14}
_MONTHS = {
    PlanInterval.MONTH: 1,
    PlanInterval.TWO_MONTHS: 2,
    PlanInterval.QUARTER: 3,
    PlanInterval.HALF_YEAR: 6,
    PlanInterval.YEAR: 12,
}


def _not_negative_days(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(
            f"{type(instance).__name__}.{attribute.name} must be a whole number of days, 0 or "
            f"more, got {value!r}"
        )


@frozen(kw_only=True)
class PaymentPlanPolicy:
    """How a plan's instalments are dunned and when the plan defaults.

    Each instalment is a due item of its own: an invitation ``invitation_days_before`` its due
    date (None: no invitation), and when it is still unpaid ``reminder_days_after`` the due date
    it is *missed* and a reminder goes out. ``last_chance_days_after`` the first missed instalment,
    a last chance for the whole remainder goes out. The plan **defaults** ``default_days_after``
    the last chance if an instalment is still missed, or as soon as ``default_after_missed``
    instalments are missed at once (whichever comes first; set either to None to switch it off).

    On default the covered invoices resume their own dunning: at once at the step named
    ``resume_at_step`` (e.g. the final notice, or the handover step to go straight to the
    collection agency), or else where each invoice was when the plan was agreed.

    .. versionadded:: 0.1.0
    """

    invitation_days_before: int | None = field(default=7, validator=_not_negative_days)
    reminder_days_after: int = field(default=7, validator=_not_negative_days)
    last_chance_days_after: int = field(default=3, validator=_not_negative_days)
    default_days_after: int | None = field(default=14, validator=_not_negative_days)
    default_after_missed: int | None = field(default=None)
    channel: Channel = field(default=Channel.EMAIL, validator=attrs.validators.instance_of(Channel))
    fallbacks: tuple[Channel, ...] = field(default=(), converter=v.to_tuple)
    resume_at_step: str | None = None
    backdate_days: int = field(default=7, validator=_not_negative_days)
    """How far in the past a plan's start date may lie (a plan agreed by phone last week)."""

    def __attrs_post_init__(self) -> None:
        missed = self.default_after_missed
        if missed is not None and (not isinstance(missed, int) or missed < 1):
            raise ValidationError(
                f"PaymentPlanPolicy.default_after_missed must be 1 or more (or None), got {missed!r}"
            )
        if self.default_days_after is None and missed is None:
            raise ValidationError(
                "a payment plan must be able to default: set default_days_after, "
                "default_after_missed, or both"
            )

    @property
    def channels(self) -> tuple[Channel, ...]:
        """The channel of plan messages, then its fallbacks."""
        return (self.channel, *self.fallbacks)


@frozen(kw_only=True)
class Installment:
    """One instalment of a plan: its number (from 1), due date and amount."""

    number: int
    due_on: dt.date
    amount: Money
    is_down_payment: bool = False


@frozen(kw_only=True)
class PaymentPlan:
    """An agreed payment plan over one or more open invoices of one debtor.

    ``total`` is what was open on the invoices when the plan was agreed (principal, costs and
    interest) plus the plan ``fee``; the ``installments`` add up to it exactly. The first of
    ``invoice_numbers`` (the one due first) is the plan's *lead* invoice: its case keeps the
    plan's progress and is where the plan's instalments fall due.

    .. versionadded:: 0.1.0
    """

    reference: str = field(validator=v.non_empty)
    debtor_code: str
    currency: str
    invoice_numbers: tuple[str, ...] = field(converter=v.to_tuple)
    agreed_on: dt.date
    open_principal: Money
    open_costs: Money
    open_interest: Money
    fee: Money
    total: Money
    interval: PlanInterval
    start_on: dt.date
    installments: tuple[Installment, ...] = field(converter=v.to_tuple)
    policy: PaymentPlanPolicy = PaymentPlanPolicy()

    def __attrs_post_init__(self) -> None:
        scheduled = sum((i.amount for i in self.installments), Money.zero(self.total.currency))
        if scheduled != self.total:
            raise ValidationError(
                f"payment plan {self.reference!r}: instalments add up to {scheduled}, not to the "
                f"plan total {self.total}"
            )

    @property
    def lead_invoice(self) -> str:
        """The invoice whose case carries the plan's progress."""
        return self.invoice_numbers[0]

    @property
    def down_payment(self) -> Money | None:
        """The down payment, if the plan has one."""
        first = self.installments[0]
        return first.amount if first.is_down_payment else None

    def installment(self, number: int) -> Installment:
        """The instalment with *number* (from 1)."""
        if not 1 <= number <= len(self.installments):
            raise ValidationError(
                f"payment plan {self.reference!r} has no instalment {number}; it has "
                f"{len(self.installments)}"
            )
        return self.installments[number - 1]


def build_schedule(
    amount: Money,
    *,
    start_on: dt.date,
    interval: PlanInterval,
    count: int | None = None,
    installment_amount: Money | None = None,
    down_payment: Money | None = None,
    down_payment_on: dt.date | None = None,
) -> tuple[Installment, ...]:
    """The instalments that pay *amount*: by *count* or by *installment_amount*.

    A *down_payment* is instalment 1, due on *down_payment_on* (default: *start_on*); the rest is
    spread over instalments from *start_on*, one *interval* apart. By count the parts come from
    :meth:`Money.allocate`, so they differ by at most one minor unit (earlier ones are larger)
    and add up exactly; by amount every instalment is *installment_amount* except the last,
    which is what remains.

    Raises:
        ValidationError: both or neither of *count* and *installment_amount*, a count below 1,
            a non-positive or unrounded amount, a down payment not below *amount*, or more
            instalments than minor units to pay.
    """
    currency = amount.currency
    if not amount.is_positive:
        raise ValidationError(f"a payment plan needs a positive amount to pay, got {amount}")
    if (count is None) == (installment_amount is None):
        raise ValidationError(
            "give the number of instalments (installments=...) or the instalment amount "
            "(installment_amount=...), not both and not neither"
        )
    rest = amount
    schedule: list[Installment] = []
    if down_payment is not None:
        _check_amount(down_payment, currency, "down payment")
        if down_payment >= amount:
            raise ValidationError(
                f"down payment {down_payment} must be less than the plan total {amount}; "
                f"without instalments it is simply a payment"
            )
        schedule.append(
            Installment(
                number=1,
                due_on=down_payment_on or start_on,
                amount=down_payment,
                is_down_payment=True,
            )
        )
        rest = amount - down_payment
    if count is not None:
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValidationError(
                f"installments must be a whole number of 1 or more, got {count!r}"
            )
        if count > rest.to_minor_units():
            raise ValidationError(
                f"{count} instalments cannot each be at least one minor unit of {rest}"
            )
        parts = rest.allocate(count)
    else:
        assert installment_amount is not None
        _check_amount(installment_amount, currency, "instalment amount")
        full, last = divmod(rest.to_minor_units(), installment_amount.to_minor_units())
        ratios = [installment_amount.to_minor_units()] * full + ([last] if last else [])
        parts = rest.allocate(ratios)
    offset = len(schedule)
    for index, part in enumerate(parts):
        schedule.append(
            Installment(
                number=offset + index + 1, due_on=interval.nth(start_on, index), amount=part
            )
        )
    return tuple(schedule)


def _check_amount(amount: Money, currency: str, what: str) -> None:
    if not isinstance(amount, Money):
        raise TypeError(f"{what} must be Money, got {type(amount).__name__}")
    if amount.currency != currency:
        raise ValidationError(f"{what} {amount} is not in the plan's currency {currency}")
    if not amount.is_positive or not amount.is_rounded:
        raise ValidationError(f"{what} {amount} must be positive and in whole minor units")
