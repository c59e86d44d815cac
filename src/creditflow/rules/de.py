"""Germany: default interest (§ 288 BGB), the base rate (§ 247 BGB) and the EUR 40 flat fee.

* § 288 Abs. 1: where a consumer is involved, the base rate plus 5 points a year.
* § 288 Abs. 2: for payment claims (Entgeltforderungen) where no consumer is involved, the base
  rate plus 9 points.
* § 288 Abs. 5: a creditor of a debtor who is not a consumer may claim a flat EUR 40; it is
  offset against later damages for legal costs (the offsetting was not verified).
* § 289: no interest on interest, so the interest is simple.
* § 247: the base rate (Basiszinssatz) changes on 1 January and 1 July; the Bundesbank publishes it.

Reminder fees (Mahngebühren) have no statutory amount; this pack encodes none. All amounts are in
euro.
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
    "BASE_RATES",
    "BUSINESS_MARGIN_POINTS",
    "CONSUMER_MARGIN_POINTS",
    "FLAT_FEE",
    "RATES_LAST_VERIFIED",
    "default_interest",
    "flat_fee",
]

RATES_LAST_VERIFIED: Final = dt.date(2025, 12, 26)
"""The day this pack's rate tables were last checked against their sources."""

BASE_RATES: Final = RateTable(
    name="Basiszinssatz (§ 247 BGB)",
    last_verified=RATES_LAST_VERIFIED,
    periods=[
        RatePeriod(starts_on=dt.date(2024, 1, 1), percent="3.62", source="§ 247 BGB text (2024)"),
        RatePeriod(starts_on=dt.date(2024, 7, 1), percent="3.37", source="secondary (table)"),
        RatePeriod(starts_on=dt.date(2025, 1, 1), percent="2.27", source="iww.de"),
        RatePeriod(starts_on=dt.date(2025, 7, 1), percent="1.27", source="iww.de; malerblog.net"),
        RatePeriod(starts_on=dt.date(2026, 1, 1), percent="1.27", source="secondary (table)"),
    ],
)
"""The German base rate by half year.

Last verified 2025-12-26. The figure for 1 July 2026 was not verified; the 1 January 2026 rate
stays in force in this table until it is updated from the Bundesbank (``BASE_RATES.extended``).
"""

CONSUMER_MARGIN_POINTS: Final = 5
"""§ 288 Abs. 1 BGB: points above the base rate where a consumer is involved."""

BUSINESS_MARGIN_POINTS: Final = 9
"""§ 288 Abs. 2 BGB: points above the base rate for payment claims without a consumer."""

FLAT_FEE: Final = Money(40, EURO)
"""§ 288 Abs. 5 BGB: the flat fee against a debtor who is not a consumer."""


def default_interest(
    principal: Money,
    start: dt.date,
    end: dt.date,
    *,
    consumer: bool,
    day_count: DayCount = DayCount.ACT_365,
    base_rates: RateTable = BASE_RATES,
) -> Money:
    """Default interest under § 288 BGB over ``[start, end)``: simple, exact (not rounded).

    Args:
        principal: The unpaid amount during the period, in EUR.
        start: The first day of default.
        end: The day after the period.
        consumer: Whether a consumer is involved (base + 5 points) or not (base + 9 points).
        day_count: ``ACT_365`` (the default, as common calculators use) or ``ACT_360``; the BGB
            sets none.
        base_rates: The base rate table, without the margin.

    Raises:
        ValidationError: a negative principal or a period before the table.
        CurrencyMismatchError: *principal* not in EUR.

    Example:
        >>> default_interest(Money(1000, "EUR"), dt.date(2025, 7, 1), dt.date(2026, 1, 1),
        ...                  consumer=False).round()
        Money('51.77', 'EUR')
    """
    require_euro(principal, what="principal", law="§ 288 BGB")
    if principal.is_negative:
        raise ValidationError(f"principal must not be negative, got {principal}")
    require_period(start, end)
    margin = CONSUMER_MARGIN_POINTS if consumer else BUSINESS_MARGIN_POINTS
    table = base_rates.plus(margin, name=f"§ 288 BGB: base rate + {margin} points")
    return simple_interest(principal, start, end, table=table, day_count=day_count)


def flat_fee(*, consumer: bool) -> Money | NoFee:
    """The § 288 Abs. 5 BGB flat fee: EUR 40 against a business, none against a consumer."""
    if consumer:
        return NoFee("§ 288 Abs. 5 BGB: no flat fee against a consumer")
    return FLAT_FEE
