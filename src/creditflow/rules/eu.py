"""The European floor: the Late Payment Directive 2011/7/EU (between businesses, public bodies).

The default for EU member states that have no rule pack of their own. The Directive sets minimums:
national law may be stricter (the Netherlands compounds yearly), never laxer.

* Statutory interest (art. 2(6)): simple interest at the reference rate plus at least 8 points.
* Reference rate (art. 2(7)): for euro States, the ECB rate on its most recent main refinancing
  operations (MRO). Like the member states that publish the rate, this pack fixes it per half
  year, at the rate in force on 1 January and on 1 July.
* Recovery costs (art. 6): at least EUR 40 per late payment, without a reminder (CJEU C-78/22:
  per payment, including each instalment).

Consumers are outside the Directive.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from creditflow._fees import DayCount, NoFee
from creditflow._money import Money
from creditflow.errors import ValidationError

from ._common import EURO, require_euro, require_period
from ._rates import RatePeriod, RateTable, simple_interest

__all__ = [
    "ECB_REFERENCE_RATES",
    "FLAT_FEE",
    "MARGIN_POINTS",
    "RATES_LAST_VERIFIED",
    "late_payment_interest",
    "recovery_costs",
]

RATES_LAST_VERIFIED: Final = dt.date(2025, 12, 26)
"""The day this pack's rate tables were last checked against their sources."""

ECB_REFERENCE_RATES: Final = RateTable(
    name="ECB main refinancing operations rate, per half year",
    last_verified=RATES_LAST_VERIFIED,
    periods=[
        RatePeriod(starts_on=dt.date(2023, 1, 1), percent="2.50", source="abenslag.nl"),
        RatePeriod(
            starts_on=dt.date(2023, 7, 1), percent="4.00", source="derived: NL handelsrente 12 - 8"
        ),
        RatePeriod(
            starts_on=dt.date(2024, 1, 1),
            percent="4.50",
            source="derived: NL handelsrente 12.5 - 8",
        ),
        RatePeriod(
            starts_on=dt.date(2024, 7, 1),
            percent="4.25",
            source="derived: NL handelsrente 12.25 - 8",
        ),
        RatePeriod(
            starts_on=dt.date(2025, 1, 1),
            percent="3.15",
            source="derived: NL handelsrente 11.15 - 8",
        ),
        RatePeriod(
            starts_on=dt.date(2025, 7, 1),
            percent="2.15",
            source="Bank of Slovenia MRO table (in force since 11 June 2025)",
        ),
        RatePeriod(
            starts_on=dt.date(2026, 1, 1),
            percent="2.15",
            source="derived: MRO unchanged (German base rate unchanged on 1 January 2026)",
        ),
    ],
)
"""The ECB MRO rate in force on 1 January and 1 July of each half year.

Last verified 2025-12-26; the last rate stays in force in this table until it is updated
(``ECB_REFERENCE_RATES.extended(...)``).
"""

MARGIN_POINTS: Final = 8
"""The Directive's minimum margin above the reference rate."""

FLAT_FEE: Final = Money(40, EURO)
"""The fixed minimum compensation for recovery costs, per late payment (art. 6(1))."""


def late_payment_interest(
    principal: Money,
    start: dt.date,
    end: dt.date,
    *,
    day_count: DayCount = DayCount.ACT_365,
    reference_rates: RateTable = ECB_REFERENCE_RATES,
) -> Money:
    """Statutory interest at the Directive floor (reference rate + 8 points), simple; exact.

    Args:
        principal: The unpaid amount during the period, in EUR.
        start: The first day of the period (the day after the payment date).
        end: The day after the period.
        day_count: The Directive sets none; ``ACT_365`` is the default.
        reference_rates: The reference rate per half year, without the margin.

    Raises:
        ValidationError: a negative principal or a period before the table.
        CurrencyMismatchError: *principal* not in EUR.

    Example:
        >>> late_payment_interest(Money(1000, "EUR"), dt.date(2025, 8, 1), dt.date(2025, 8, 31)
        ...                       ).round()
        Money('8.34', 'EUR')
    """
    require_euro(principal, what="principal", law="Directive 2011/7/EU")
    if principal.is_negative:
        raise ValidationError(f"principal must not be negative, got {principal}")
    require_period(start, end)
    table = reference_rates.plus(MARGIN_POINTS, name="Directive 2011/7/EU statutory interest")
    return simple_interest(principal, start, end, table=table, day_count=day_count)


def recovery_costs(*, consumer: bool) -> Money | NoFee:
    """The fixed recovery costs of one late payment: EUR 40 for a business, none for a consumer."""
    if consumer:
        return NoFee("Directive 2011/7/EU does not apply to consumers")
    return FLAT_FEE
