"""The Netherlands: collection costs (WIK/BIK), the 14-day letter and statutory interest.

* Collection costs: Besluit vergoeding voor buitengerechtelijke incassokosten (BIK, Stb. 2012,
  141), art. 2, made under art. 6:96 BW; in force since 1 July 2012.
* The 14-day letter: art. 6:96 lid 6 BW, read with HR 25 November 2016, ECLI:NL:HR:2016:2704.
* Statutory interest: art. 6:119 BW (consumers and other non-commercial claims) and art. 6:119a
  BW (commercial contracts, "handelsrente"), both compounding yearly (lid 2 and lid 3).

All amounts are in euro. Nothing here reads a clock: every date is an argument.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Final

from creditflow._fees import DayCount, year_fraction
from creditflow._money import Money, Rounding
from creditflow.errors import ValidationError

from ._common import EURO, is_public_holiday, require_euro, require_period, require_positive
from ._rates import RatePeriod, RateTable, split_at

__all__ = [
    "BIK_BANDS",
    "BIK_MAXIMUM",
    "BIK_MINIMUM",
    "BUSINESS_FLAT_FEE",
    "COMMERCIAL_RATES",
    "CONSUMER_RATES",
    "LETTER_TERM_DAYS",
    "RATES_LAST_VERIFIED",
    "VAT_UPLIFT_PERCENT",
    "anniversaries",
    "collection_costs",
    "collection_costs_for",
    "commercial_interest",
    "consumer_interest",
    "fourteen_day_letter_deadline",
    "presumed_delivery",
    "statutory_interest",
]

_LAW: Final = "the Dutch BIK"

BIK_BANDS: Final[tuple[tuple[Decimal | None, Decimal], ...]] = (
    (Decimal(2_500), Decimal("0.15")),
    (Decimal(2_500), Decimal("0.10")),
    (Decimal(5_000), Decimal("0.05")),
    (Decimal(190_000), Decimal("0.01")),
    (None, Decimal("0.005")),
)
"""The BIK art. 2 staffel as ``(band width in euro, rate)``; ``None`` is "everything above"."""

BIK_MINIMUM: Final = Money(40, EURO)
"""BIK art. 2 lid 2: never less than EUR 40 (governs every principal below EUR 266.67)."""

BIK_MAXIMUM: Final = Money(6_775, EURO)
"""BIK art. 2 lid 1: never more than EUR 6,775 (reached at a principal of EUR 1,000,000)."""

VAT_UPLIFT_PERCENT: Final = Decimal(21)
"""The general VAT rate of art. 9 lid 1 Wet OB 1968 that BIK art. 2 lid 3 lets a creditor add."""

BUSINESS_FLAT_FEE: Final = Money(40, EURO)
"""The fixed compensation for a late payment under a commercial contract (art. 6:96 lid 4 BW,
implementing art. 6 of Directive 2011/7/EU). The Directive obligation is verified; the BW text was
not read when this pack was written."""

LETTER_TERM_DAYS: Final = 14
"""The payment term the 14-day letter must give, counted from the day after delivery."""

_PRESUMED_DELIVERY_DAYS: Final = 2


def _staffel(principal: Decimal) -> Decimal:
    remaining = principal
    total = Decimal(0)
    for width, rate in BIK_BANDS:
        part = remaining if width is None else min(remaining, width)
        total += part * rate
        remaining -= part
        if remaining <= 0:
            break
    return total


def collection_costs(principal: Money, *, vat_uplift: bool = False) -> Money:
    """The extrajudicial collection costs the BIK allows on *principal*, in euro cents.

    The staffel (15 % of the first EUR 2,500, 10 % of the next 2,500, 5 % of the next 5,000, 1 %
    of the next 190,000, 0.5 % above 200,000) is computed exactly, the minimum of EUR 40 and the
    maximum of EUR 6,775 are applied to the exact value, and the result is rounded half-up to
    cents (the BIK sets no rounding rule; this is the library's convention).

    The base is the principal only: interest already accrued is not part of it.

    Args:
        principal: The unpaid principal (hoofdsom), in EUR.
        vat_uplift: Add 21 % VAT to the rounded fee (BIK art. 2 lid 3). Only lawful when the
            creditor uses a third party that charges VAT, **cannot deduct that VAT**, and
            declares both (towards a consumer: in the 14-day letter). A VAT-registered creditor
            collecting in-house may not use it. The uplift applies to the capped amount
            (6,775 x 1.21 = 8,197.75); whether the cap applies before or after the uplift is
            not settled.

    Returns:
        The fee, rounded half-up to cents.

    Raises:
        TypeError: *principal* is not Money (e.g. a float).
        CurrencyMismatchError: *principal* is not in EUR.
        ValidationError: *principal* is zero or negative.

    Example:
        >>> collection_costs(Money("2500.00", "EUR"))
        Money('375.00', 'EUR')
    """
    require_euro(principal, what="principal", law=_LAW)
    require_positive(principal, what="principal")
    exact = Money(_staffel(principal.amount), EURO).max(BIK_MINIMUM).min(BIK_MAXIMUM)
    fee = exact.round(Rounding.HALF_UP)
    if vat_uplift:
        fee = (fee * (1 + VAT_UPLIFT_PERCENT / 100)).round(Rounding.HALF_UP)
    return fee


def collection_costs_for(
    principals: Iterable[Money], *, aggregate: bool = True, vat_uplift: bool = False
) -> Money:
    """The collection costs for several invoices of one debtor collected together.

    Whether several claims are added into one principal or charged one by one is not settled in
    the sources this pack was built from (the Rapport BGK-integraal 2013 discusses it), so it is a
    choice, not a guess.

    Args:
        principals: The unpaid principal of each invoice, in EUR.
        aggregate: Add the principals and apply the staffel once (default, the lower total), or
            apply it per invoice (each with its own EUR 40 minimum) and add the fees.
        vat_uplift: As in :func:`collection_costs`.

    Raises:
        ValidationError: no principals, or one is zero or negative.
        CurrencyMismatchError: a principal is not in EUR.
    """
    amounts = tuple(principals)
    if not amounts:
        raise ValidationError("collection_costs_for needs at least one principal")
    for amount in amounts:
        require_euro(amount, what="principal", law=_LAW)
        require_positive(amount, what="principal")
    if aggregate:
        return collection_costs(sum(amounts, Money.zero(EURO)), vat_uplift=vat_uplift)
    return sum((collection_costs(a, vat_uplift=vat_uplift) for a in amounts), Money.zero(EURO))


# -- the 14-day letter ---------------------------------------------------------------------------


def _counts_for_delivery(day: dt.date) -> bool:
    # Sundays (6), Mondays (0) and official holidays are not counted towards delivery.
    return day.weekday() not in (0, 6) and not is_public_holiday("NL", day)


def presumed_delivery(posted_on: dt.date) -> dt.date:
    """The day a letter posted on *posted_on* is presumed delivered.

    Delivery is presumed on the second counted day after posting; Sundays, Mondays and Dutch
    public holidays are not counted (the reading of HR 2016:2704 reported by bvvb.nl; a
    secondary source). Holidays come from the ``holidays`` package, whose list may differ from
    the Algemene termijnenwet (e.g. it includes Good Friday).
    """
    day = posted_on
    counted = 0
    while counted < _PRESUMED_DELIVERY_DAYS:
        day += dt.timedelta(days=1)
        if _counts_for_delivery(day):
            counted += 1
    return day


def fourteen_day_letter_deadline(posted_on: dt.date) -> dt.date:
    """The last day to pay under a 14-day letter posted on *posted_on*.

    The 14 days start the day after the presumed delivery (:func:`presumed_delivery`); this is
    the 14th day. Collection costs become due only when nothing was paid by the end of it, so
    the earliest day to charge them is the day after.

    Example:
        >>> fourteen_day_letter_deadline(dt.date(2026, 3, 3))
        datetime.date(2026, 3, 19)
    """
    return presumed_delivery(posted_on) + dt.timedelta(days=LETTER_TERM_DAYS)


# -- statutory interest ----------------------------------------------------------------------------

RATES_LAST_VERIFIED: Final = dt.date(2025, 12, 26)
"""The day this pack's rate tables were last checked against their sources."""

CONSUMER_RATES: Final = RateTable(
    name="NL wettelijke rente (art. 6:119 BW)",
    last_verified=RATES_LAST_VERIFIED,
    periods=[
        RatePeriod(starts_on=dt.date(2023, 1, 1), percent="4", source="nfco.nl; abenslag.nl"),
        RatePeriod(starts_on=dt.date(2023, 7, 1), percent="6", source="watsonlaw.nl"),
        RatePeriod(starts_on=dt.date(2024, 1, 1), percent="7", source="wieringa-advocaten.nl"),
        RatePeriod(starts_on=dt.date(2024, 7, 1), percent="7", source="metaalunie.nl"),
        RatePeriod(starts_on=dt.date(2025, 1, 1), percent="6", source="vvoadvocatuur.nl"),
        RatePeriod(
            starts_on=dt.date(2025, 7, 1),
            percent="4",
            source="derived: ECB MRO 2.15 + 2.25 rounded, change capped at 2 points",
        ),
    ],
)
"""The consumer (non-commercial) statutory interest rate, art. 6:119 BW.

Last verified 2025-12-26. No rate from 1 January 2026 on was seen; the 1 July 2025 rate stays in
force in this table until it is updated (``CONSUMER_RATES.extended(...)``). Check
rijksoverheid.nl "hoogte wettelijke rente" before relying on it for later periods.
"""

COMMERCIAL_RATES: Final = RateTable(
    name="NL wettelijke handelsrente (art. 6:119a BW)",
    last_verified=RATES_LAST_VERIFIED,
    periods=[
        RatePeriod(
            starts_on=dt.date(2023, 1, 1),
            percent="10.5",
            source="abenslag.nl (ECB 2.50 + 8); nfco.nl's 12 % contradicts the formula",
        ),
        RatePeriod(starts_on=dt.date(2023, 7, 1), percent="12", source="watsonlaw.nl"),
        RatePeriod(starts_on=dt.date(2024, 1, 1), percent="12.5", source="wieringa-advocaten.nl"),
        RatePeriod(starts_on=dt.date(2024, 7, 1), percent="12.25", source="metaalunie.nl"),
        RatePeriod(starts_on=dt.date(2025, 1, 1), percent="11.15", source="vvoadvocatuur.nl"),
        RatePeriod(
            starts_on=dt.date(2025, 7, 1), percent="10.15", source="derived: ECB MRO 2.15 + 8"
        ),
    ],
)
"""The commercial statutory interest rate (ECB MRO + 8 points), art. 6:119a and 6:120 lid 2 BW.

Last verified 2025-12-26; the 1 July 2025 rate stays in force in this table until it is updated.
"""


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the year runs to 28 February, the next starts 1 March
        return dt.date(day.year + years, 3, 1)


def anniversaries(interest_from: dt.date, start: dt.date, end: dt.date) -> tuple[dt.date, ...]:
    """The compounding days (yearly anniversaries of *interest_from*) in ``(start, end]``.

    On each of these days the interest of the year just ended is added to the base (art. 6:119
    lid 2 BW). An anniversary of 29 February falls on 1 March.
    """
    found: list[dt.date] = []
    years = 1
    while (day := _add_years(interest_from, years)) <= end:
        if day > start:
            found.append(day)
        years += 1
    return tuple(found)


def statutory_interest(
    principal: Money,
    start: dt.date,
    end: dt.date,
    *,
    commercial: bool,
    interest_from: dt.date | None = None,
    earlier_interest: Money | None = None,
    day_count: DayCount = DayCount.ACT_365,
    whole_years: bool = True,
    table: RateTable | None = None,
) -> Money:
    """Dutch statutory interest over ``[start, end)``, compounding yearly; exact, not rounded.

    Every year, counted from *interest_from* (the first day of default), the interest of that
    year is added to the base. Where the rate changes inside a year, each part uses its rate.

    Args:
        principal: The unpaid principal during the period, in EUR.
        start: The first day of the period.
        end: The day after the period.
        commercial: Use the handelsrente (art. 6:119a, a commercial contract between businesses)
            instead of the consumer rate (art. 6:119).
        interest_from: The first day of default; compounding happens on its anniversaries.
            Defaults to *start*.
        earlier_interest: Interest that accrued before *start* and is unpaid. It joins the base
            at the first anniversary on or after *start*. This is exact when periods start on an
            anniversary (or on *interest_from*) and otherwise never overstates the interest.
        day_count: How broken periods are counted. Which convention Dutch courts and calculators
            use was not verified; ``ACT_365`` is the default, ``ACT_ACT`` divides by 366 in leap
            years.
        whole_years: Count a complete year (anniversary to anniversary) as exactly one year,
            whatever its number of days, so a full year at 6 % earns exactly 6 %. The day count
            then only applies to incomplete years. Set to False to apply the day count
            everywhere.
        table: The rate table; defaults to :data:`COMMERCIAL_RATES` or :data:`CONSUMER_RATES`.

    Raises:
        ValidationError: a negative principal, an end before the start, *interest_from* after
            *start*, or a period before the table's first rate.
        CurrencyMismatchError: amounts not in EUR.
    """
    require_euro(principal, what="principal", law="Dutch statutory interest")
    if principal.is_negative:
        raise ValidationError(f"principal must not be negative, got {principal}")
    require_period(start, end)
    began = start if interest_from is None else interest_from
    if began > start:
        raise ValidationError(f"interest_from {began} is after the start of the period {start}")
    earlier = Money.zero(EURO) if earlier_interest is None else earlier_interest
    require_euro(earlier, what="earlier_interest", law="Dutch statutory interest")
    rates = table or (COMMERCIAL_RATES if commercial else CONSUMER_RATES)

    base = principal
    pending = earlier  # joins the base at the first anniversary on or after the start
    total = Money.zero(EURO)
    for seg_start, seg_end in split_at(start, end, anniversaries(began, start, end)):
        year_start, year_end = _interest_year(began, seg_start)
        if seg_start == year_start and seg_start != began:
            base, pending = base + pending, Money.zero(EURO)
        complete = whole_years and seg_start == year_start and seg_end == year_end
        year_days = Decimal((year_end - year_start).days)
        for span in rates.spans(seg_start, seg_end):
            fraction = (
                Decimal((span.end - span.start).days) / year_days
                if complete
                else year_fraction(span.start, span.end, day_count)
            )
            interest = base * (span.percent / 100) * fraction
            total += interest
            pending += interest
    return total


def _interest_year(interest_from: dt.date, day: dt.date) -> tuple[dt.date, dt.date]:
    """The interest year ``[anniversary, next anniversary)`` that *day* falls in."""
    years = 0
    while _add_years(interest_from, years + 1) <= day:
        years += 1
    return _add_years(interest_from, years), _add_years(interest_from, years + 1)


def consumer_interest(
    principal: Money,
    start: dt.date,
    end: dt.date,
    *,
    day_count: DayCount = DayCount.ACT_365,
    whole_years: bool = True,
) -> Money:
    """Interest at the consumer rate (art. 6:119 BW) from the first day of default *start*.

    See :func:`statutory_interest` for the parameters; the result is exact, not rounded.
    """
    return statutory_interest(
        principal, start, end, commercial=False, day_count=day_count, whole_years=whole_years
    )


def commercial_interest(
    principal: Money,
    start: dt.date,
    end: dt.date,
    *,
    day_count: DayCount = DayCount.ACT_365,
    whole_years: bool = True,
) -> Money:
    """Interest at the commercial rate (art. 6:119a BW) from the first day of default *start*.

    Interest runs from the day after the agreed payment day, or, with none agreed, from 30 days
    after the day after receipt of the invoice. See :func:`statutory_interest`.
    """
    return statutory_interest(
        principal, start, end, commercial=True, day_count=day_count, whole_years=whole_years
    )
