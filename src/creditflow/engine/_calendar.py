"""Business-day calendars: weekends and the public holidays of a country (``holidays``)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from .._countries import COUNTRY_CODES
from ..errors import ValidationError

__all__ = ["BusinessCalendar", "Target2Calendar"]


@lru_cache(maxsize=4096)
def _holidays(country: str, year: int) -> frozenset[dt.date]:
    import holidays

    try:
        return frozenset(holidays.country_holidays(country, years=year).keys())
    except NotImplementedError:
        return frozenset()  # no calendar known for the country: weekends only


class _WorkingDays:
    """Counting working days, for calendars that know which days are working days."""

    __slots__ = ()

    def is_business_day(self, day: dt.date) -> bool:
        """Whether *day* is a working day."""
        raise NotImplementedError

    def add_business_days(self, day: dt.date, count: int) -> dt.date:
        """The date *count* business days after (negative: before) *day*; 0 rolls forward to one."""
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        current = day
        if remaining == 0:
            while not self.is_business_day(current):
                current += dt.timedelta(days=1)
            return current
        while remaining:
            current += dt.timedelta(days=step)
            if self.is_business_day(current):
                remaining -= 1
        return current

    def roll_forward(self, day: dt.date) -> dt.date:
        """*day* if it is a business day, else the next one."""
        return self.add_business_days(day, 0)


class BusinessCalendar(_WorkingDays):
    """Monday to Friday, less the public holidays of ``country`` (and any ``extra_closed`` days).

    Deterministic: the holiday tables are data, computed per year and cached. A country the
    ``holidays`` package does not know has weekends only.
    """

    __slots__ = ("country", "extra_closed")

    def __init__(self, country: str, *, extra_closed: frozenset[dt.date] = frozenset()) -> None:
        if country not in COUNTRY_CODES:
            raise ValidationError(f"calendar country {country!r} is not an ISO 3166-1 alpha-2 code")
        self.country = country
        self.extra_closed = extra_closed

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.country!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return (self.country, self.extra_closed) == (other.country, other.extra_closed)

    def __hash__(self) -> int:
        return hash((self.country, self.extra_closed))

    def is_business_day(self, day: dt.date) -> bool:
        """Whether *day* is a working day here."""
        return (
            day.weekday() < 5
            and day not in _holidays(self.country, day.year)
            and day not in self.extra_closed
        )


@lru_cache(maxsize=256)
def _target2_closed(year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.financial_holidays("ECB", years=year).keys())


class Target2Calendar(_WorkingDays):
    """TARGET2 business days: the days SEPA counts D-1 and D+n in.

    Closed: weekends, New Year, Good Friday, Easter Monday, 1 May, 25 and 26 December.
    Deterministic: the closing days come from the ``holidays`` package's ECB calendar.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "Target2Calendar()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Target2Calendar)

    def __hash__(self) -> int:
        return hash("TARGET2")

    def is_business_day(self, day: dt.date) -> bool:
        """Whether TARGET2 settles on *day*."""
        return day.weekday() < 5 and day not in _target2_closed(day.year)
