"""France: late penalties and the EUR 40 indemnity between businesses; consumers pay no fees.

* Between businesses (art. L441-10 C. com.): late penalties are due the day after the payment
  date, without a reminder, at the ECB rate + 10 points unless a contractual rate (at least three
  times the taux d'intérêt légal) was agreed. The first half year uses the ECB rate in force on
  1 January, the second the rate in force on 1 July.
* The indemnité forfaitaire pour frais de recouvrement (art. D441-5 C. com.): EUR 40 per invoice,
  due from the first day late, not reduced by partial payment, not subject to VAT.
* Consumers (art. L111-8 CPCE): charging recovery fees to a non-professional debtor is
  prohibited, with criminal sanctions. Interest is the taux d'intérêt légal.

All amounts are in euro.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from creditflow._fees import DayCount, NoFee
from creditflow._money import Money
from creditflow.errors import ValidationError

from ._common import EURO, require_euro, require_period
from ._rates import RatePeriod, RateTable, simple_interest
from .eu import ECB_REFERENCE_RATES

__all__ = [
    "LEGAL_RATES_OTHER",
    "LEGAL_RATES_PRIVATE_CREDITOR",
    "PENALTY_MARGIN_POINTS",
    "RATES_LAST_VERIFIED",
    "RECOVERY_INDEMNITY",
    "consumer_recovery_fee",
    "late_penalties",
    "legal_interest",
    "recovery_indemnity",
]

RATES_LAST_VERIFIED: Final = dt.date(2025, 12, 26)
"""The day this pack's rate tables were last checked against their sources."""

PENALTY_MARGIN_POINTS: Final = 10
"""Art. L441-10 II C. com.: points above the ECB rate for the default late penalties."""

RECOVERY_INDEMNITY: Final = Money(40, EURO)
"""Art. D441-5 C. com.: the fixed indemnity for recovery costs, per invoice, between businesses."""

_CONSUMER_FEES_FORBIDDEN: Final = (
    "art. L111-8 CPCE forbids charging recovery fees to a consumer in France"
)

LEGAL_RATES_OTHER: Final = RateTable(
    name="FR taux d'intérêt légal, autres cas",
    last_verified=RATES_LAST_VERIFIED,
    periods=[
        RatePeriod(starts_on=dt.date(2025, 1, 1), percent="3.71", source="ksca.fr"),
        RatePeriod(
            starts_on=dt.date(2025, 7, 1), percent="2.76", source="votrexpert.com; cga17.fr"
        ),
        RatePeriod(
            starts_on=dt.date(2026, 1, 1),
            percent="2.62",
            source="Arrêté 15 Dec 2025, JORF 26 Dec 2025",
        ),
    ],
)
"""The legal rate when the creditor is not a private person (a business chasing a consumer).

Last verified 2025-12-26; the 1 January 2026 rate stays in force in this table until updated.
"""

LEGAL_RATES_PRIVATE_CREDITOR: Final = RateTable(
    name="FR taux d'intérêt légal, créancier personne physique",
    last_verified=RATES_LAST_VERIFIED,
    periods=[
        RatePeriod(starts_on=dt.date(2025, 1, 1), percent="7.21", source="ksca.fr"),
        RatePeriod(
            starts_on=dt.date(2025, 7, 1), percent="6.65", source="votrexpert.com; cga17.fr"
        ),
        RatePeriod(
            starts_on=dt.date(2026, 1, 1),
            percent="6.67",
            source="Arrêté 15 Dec 2025, JORF 26 Dec 2025",
        ),
    ],
)
"""The legal rate when the creditor is a natural person not acting professionally."""


def late_penalties(
    principal: Money,
    start: dt.date,
    end: dt.date,
    *,
    day_count: DayCount = DayCount.ACT_365,
    reference_rates: RateTable = ECB_REFERENCE_RATES,
) -> Money:
    """Default late penalties between businesses (ECB rate + 10 points), simple; exact.

    Args:
        principal: The unpaid amount during the period, in EUR.
        start: The day after the payment date on the invoice.
        end: The day after the period.
        day_count: The Code sets none; ``ACT_365`` is the default.
        reference_rates: The ECB rate per half year, without the margin.

    Raises:
        ValidationError: a negative principal or a period before the table.
        CurrencyMismatchError: *principal* not in EUR.

    Example:
        >>> late_penalties(Money(1000, "EUR"), dt.date(2025, 8, 1), dt.date(2025, 8, 31)).round()
        Money('9.99', 'EUR')
    """
    require_euro(principal, what="principal", law="art. L441-10 C. com.")
    if principal.is_negative:
        raise ValidationError(f"principal must not be negative, got {principal}")
    require_period(start, end)
    table = reference_rates.plus(PENALTY_MARGIN_POINTS, name="L441-10 late penalties")
    return simple_interest(principal, start, end, table=table, day_count=day_count)


def legal_interest(
    principal: Money,
    start: dt.date,
    end: dt.date,
    *,
    private_creditor: bool = False,
    day_count: DayCount = DayCount.ACT_365,
) -> Money:
    """Interest at the taux d'intérêt légal (against a consumer), simple; exact.

    When interest starts (art. 1231-6 C. civ.: from the formal notice, the mise en demeure) and
    the +5 points after an enforceable judgment were not verified; the caller chooses *start*.

    Args:
        principal: The unpaid amount during the period, in EUR.
        start: The first day of interest.
        end: The day after the period.
        private_creditor: The creditor is a natural person not acting professionally (the higher
            rate); a business chasing a consumer uses the default, "autres cas".
        day_count: ``ACT_365`` by default.

    Raises:
        ValidationError: a negative principal or a period before the table.
        CurrencyMismatchError: *principal* not in EUR.
    """
    require_euro(principal, what="principal", law="the French taux d'intérêt légal")
    if principal.is_negative:
        raise ValidationError(f"principal must not be negative, got {principal}")
    require_period(start, end)
    table = LEGAL_RATES_PRIVATE_CREDITOR if private_creditor else LEGAL_RATES_OTHER
    return simple_interest(principal, start, end, table=table, day_count=day_count)


def recovery_indemnity(*, consumer: bool) -> Money | NoFee:
    """The EUR 40 indemnity per late invoice between businesses; nothing against a consumer."""
    if consumer:
        return consumer_recovery_fee()
    return RECOVERY_INDEMNITY


def consumer_recovery_fee() -> NoFee:
    """What may be charged to a French consumer for recovery: nothing (art. L111-8 CPCE)."""
    return NoFee(_CONSUMER_FEES_FORBIDDEN)
