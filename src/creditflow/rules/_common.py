"""Checks and calendar helpers shared by the rule packs."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Final

import holidays

from creditflow._money import Money
from creditflow.errors import CurrencyMismatchError, ValidationError

EURO: Final = "EUR"


def require_euro(amount: Money, *, what: str, law: str) -> None:
    """Refuse an amount that is not in euro where *law* sets its amounts in euro.

    Raises:
        TypeError: *amount* is not :class:`Money` (a ``float`` or a bare number).
        CurrencyMismatchError: *amount* is in another currency.
    """
    if not isinstance(amount, Money):
        raise TypeError(
            f"{what} must be Money, got {type(amount).__name__} ({amount!r}); "
            f"write Money('1234.56', 'EUR')"
        )
    if amount.currency != EURO:
        raise CurrencyMismatchError(
            f"{what} {amount} is in {amount.currency}, but {law} sets its amounts in EUR; "
            f"convert the amount to EUR first"
        )


def require_positive(amount: Money, *, what: str) -> None:
    """Refuse zero and negative amounts.

    Raises:
        ValidationError: naming *what* and the amount.
    """
    if not amount.is_positive:
        raise ValidationError(f"{what} must be more than zero, got {amount}")


def require_period(start: dt.date, end: dt.date) -> None:
    """Refuse a period whose end (exclusive) comes before its start."""
    if end < start:
        raise ValidationError(
            f"period end {end} is before its start {start}; the end is the day after the period"
        )


@lru_cache(maxsize=64)
def public_holidays(country: str, year: int) -> frozenset[dt.date]:
    """The national public holidays of *country* in *year*, from the ``holidays`` package."""
    return frozenset(holidays.country_holidays(country, years=year).keys())


def is_public_holiday(country: str, day: dt.date) -> bool:
    """Whether *day* is a national public holiday in *country*."""
    return day in public_holidays(country, day.year)
