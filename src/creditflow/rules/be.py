"""Belgium: consumer debts (Book XIX WER) and late payment in commercial transactions.

* Consumers: Wet van 4 mei 2023 (BS 23 May 2023), which added Book XIX "Schulden van de
  consument" to the Wetboek van economisch recht; in force 1 September 2023, and from 1 December
  2023 also for earlier contracts whose arrears arise after 1 September 2023. The first reminder
  is free; a damage clause may be applied only after a 14-day waiting period, and only up to the
  maximum of :func:`consumer_damages_cap`.
* Businesses: Wet van 2 augustus 2002 (as amended by the Wet van 14 augustus 2021): interest by
  operation of law, a EUR 40 lump sum, and payment terms of at most 60 days.

All amounts are in euro. Nothing here reads a clock: every date is an argument.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

from creditflow._fees import DayCount
from creditflow._money import Money, Rounding
from creditflow.errors import ValidationError

from ._common import EURO, is_public_holiday, require_euro, require_period, require_positive
from ._rates import RatePeriod, RateTable, simple_interest

__all__ = [
    "BUSINESS_FLAT_FEE",
    "COMMERCIAL_RATES",
    "DAMAGES_CAP",
    "DEFAULT_PAYMENT_TERM_DAYS",
    "MAX_PAYMENT_TERM_DAYS",
    "MEDIUMS",
    "RATES_LAST_VERIFIED",
    "REMINDER_FEE_CAP",
    "WAITING_PERIOD_DAYS",
    "business_payment_due_date",
    "commercial_interest",
    "consumer_damages_cap",
    "reminder_fee_cap",
    "reminder_waiting_period_end",
]

_LAW: Final = "Belgian Book XIX WER"

DAMAGES_CAP: Final = Money(2_000, EURO)
"""The damage clause against a consumer never exceeds EUR 2,000 (reached at a balance of 39,200)."""

REMINDER_FEE_CAP: Final = Money("7.50", EURO)
"""The most a consumer may be charged for a reminder after the first, postage not included."""

WAITING_PERIOD_DAYS: Final = 14
"""Calendar days between the first reminder and the first day a damage clause may be charged."""

MEDIUMS: Final = frozenset({"letter", "email"})
"""The reminder mediums :func:`reminder_waiting_period_end` knows: paper and electronic."""

BUSINESS_FLAT_FEE: Final = Money(40, EURO)
"""The lump sum for recovery costs owed by a business that pays late, without notice."""

DEFAULT_PAYMENT_TERM_DAYS: Final = 30
"""The legal payment term between businesses when none (or an unlawful one) was agreed."""

MAX_PAYMENT_TERM_DAYS: Final = 60
"""The longest payment term two businesses may agree since 1 February 2022."""

_BAND_1_TOP: Final = Decimal("150.00")
_BAND_2_TOP: Final = Decimal("500.00")


def consumer_damages_cap(balance: Money) -> Money:
    """The most a damage clause may charge a consumer on an outstanding *balance*.

    * up to EUR 150.00: EUR 20;
    * from 150.01 to 500.00: EUR 30 plus 10 % of the part above 150;
    * above 500.00: EUR 65 plus 5 % of the part above 500, at most EUR 2,000.

    The law's "the part between 150.01 and 500" is read as ``balance - 150`` (reading it as
    ``balance - 150.01`` changes the exact value by at most 0.001). The result is rounded half-up
    to cents. The clause itself must be in the contract, accepted by the consumer and
    reciprocal; this computes only the legal maximum.

    Raises:
        TypeError: *balance* is not Money (e.g. a float).
        CurrencyMismatchError: *balance* is not in EUR.
        ValidationError: *balance* is zero or negative.

    Example:
        >>> consumer_damages_cap(Money("200.00", "EUR"))
        Money('35.00', 'EUR')
    """
    require_euro(balance, what="balance", law=_LAW)
    require_positive(balance, what="balance")
    amount = balance.amount
    if amount <= _BAND_1_TOP:
        exact = Decimal(20)
    elif amount <= _BAND_2_TOP:
        exact = 30 + (amount - _BAND_1_TOP) * Decimal("0.10")
    else:
        exact = 65 + (amount - _BAND_2_TOP) * Decimal("0.05")
    return Money(exact, EURO).min(DAMAGES_CAP).round(Rounding.HALF_UP)


def _is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_public_holiday("BE", day)


def reminder_waiting_period_end(sent_on: dt.date, *, medium: str) -> dt.date:
    """The last (14th) day of the waiting period after a first reminder sent on *sent_on*.

    A damage clause may be charged from the day after. For a paper reminder (``"letter"``), day 1
    is the third working day after sending (Monday to Friday, Belgian public holidays excluded;
    whether Saturday counts as a working day was not verified, so it does not count here, which
    gives the later, safer date). For an electronic reminder (``"email"``), day 1 is the day after
    sending.

    Raises:
        ValidationError: *medium* is neither ``"letter"`` nor ``"email"``.

    Example:
        >>> reminder_waiting_period_end(dt.date(2026, 3, 2), medium="letter")
        datetime.date(2026, 3, 18)
    """
    if medium == "email":
        first_day = sent_on + dt.timedelta(days=1)
    elif medium == "letter":
        first_day = sent_on
        working_days = 0
        while working_days < 3:
            first_day += dt.timedelta(days=1)
            if _is_working_day(first_day):
                working_days += 1
    else:
        raise ValidationError(
            f"reminder medium {medium!r} is unknown; use 'letter' (paper) or 'email' "
            f"(any electronic durable medium)"
        )
    return first_day + dt.timedelta(days=WAITING_PERIOD_DAYS - 1)


def reminder_fee_cap(
    reminder_number: int, *, postage: Money | None = None, free_reminders: int = 1
) -> Money:
    """The most a consumer may be charged for reminder number *reminder_number* (1 is the first).

    The first reminder is free; each later one may cost at most EUR 7.50 plus the postage in force
    when it is sent.

    Args:
        reminder_number: 1 for the first reminder, 2 for the second, and so on.
        postage: The postage of a paper reminder; none for electronic reminders.
        free_reminders: How many reminders are free. For contracts for the regular supply of goods
            or services, reminders for three missed due dates per calendar year are free: pass 3
            and count reminders per calendar year.

    Raises:
        ValidationError: *reminder_number* or *free_reminders* below 1, or negative postage.
        CurrencyMismatchError: *postage* not in EUR.
    """
    if reminder_number < 1 or free_reminders < 1:
        raise ValidationError(
            f"reminder_number ({reminder_number}) and free_reminders ({free_reminders}) start at 1"
        )
    if reminder_number <= free_reminders:
        return Money.zero(EURO)
    if postage is None:
        return REMINDER_FEE_CAP
    require_euro(postage, what="postage", law=_LAW)
    if postage.is_negative:
        raise ValidationError(f"postage must not be negative, got {postage}")
    return REMINDER_FEE_CAP + postage


# -- businesses --------------------------------------------------------------------------------

RATES_LAST_VERIFIED: Final = dt.date(2025, 12, 26)
"""The day this pack's rate tables were last checked against their sources."""

COMMERCIAL_RATES: Final = RateTable(
    name="BE interest in commercial transactions (Wet 2 augustus 2002)",
    last_verified=RATES_LAST_VERIFIED,
    periods=[
        RatePeriod(
            starts_on=dt.date(2023, 1, 1),
            percent="10.5",
            source="BS notice (etaamb.openjustice.be)",
        ),
        RatePeriod(
            starts_on=dt.date(2023, 7, 1),
            percent="12",
            source="derived, unverified: ECB 4.00 + 8, rounded up to the next half point",
        ),
        RatePeriod(starts_on=dt.date(2024, 1, 1), percent="12.5", source="legaleyes.be"),
        RatePeriod(starts_on=dt.date(2024, 7, 1), percent="12.5", source="legaleyes.be"),
        RatePeriod(
            starts_on=dt.date(2025, 1, 1),
            percent="11.5",
            source="derived, unverified: ECB 3.15 + 8, rounded up to the next half point",
        ),
        RatePeriod(
            starts_on=dt.date(2025, 7, 1),
            percent="10.5",
            source="derived, unverified: ECB 2.15 + 8, rounded up to the next half point",
        ),
    ],
)
"""The Belgian rate for late payment between businesses, published each semester by FOD Financiën.

Last verified 2025-12-26. The rates from July 2023 and from 2025 are derived from the ECB rate +
8 points rounded up to the next half point; that rounding matches the published 2024 rate but was
not read in the Act. Check the FOD Financiën notices and update the table (``extended``).
"""


def commercial_interest(
    principal: Money,
    start: dt.date,
    end: dt.date,
    *,
    day_count: DayCount = DayCount.ACT_365,
    table: RateTable = COMMERCIAL_RATES,
) -> Money:
    """Simple interest between businesses over ``[start, end)``, exact (not rounded).

    Interest runs by operation of law, without notice, from the day after the payment date.
    Whether Belgian practice compounds was not verified; the Directive floor is simple interest,
    which this follows.

    Raises:
        ValidationError: a negative principal or a period before the table.
        CurrencyMismatchError: *principal* not in EUR.
    """
    require_euro(principal, what="principal", law="the Belgian Act of 2 August 2002")
    if principal.is_negative:
        raise ValidationError(f"principal must not be negative, got {principal}")
    require_period(start, end)
    return simple_interest(principal, start, end, table=table, day_count=day_count)


def business_payment_due_date(
    term_starts_on: dt.date, *, agreed_term_days: int | None = None
) -> dt.date:
    """The payment date between businesses, given when the term starts and the agreed term.

    Without an agreed term the legal 30 days apply. Since 1 February 2022 an agreed term over 60
    days is deemed unwritten, and the legal 30 days apply instead. Acceptance or verification
    periods count inside the term.

    Raises:
        ValidationError: a negative agreed term.
    """
    if agreed_term_days is not None and agreed_term_days < 0:
        raise ValidationError(f"agreed_term_days must not be negative, got {agreed_term_days}")
    days = (
        DEFAULT_PAYMENT_TERM_DAYS
        if agreed_term_days is None or agreed_term_days > MAX_PAYMENT_TERM_DAYS
        else agreed_term_days
    )
    return term_starts_on + dt.timedelta(days=days)
