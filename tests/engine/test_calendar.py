"""Business-day calendars: the creditor country's and TARGET2."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditflow.engine import BusinessCalendar
from creditflow.engine._calendar import Target2Calendar
from creditflow.errors import ValidationError

CALENDARS = [
    BusinessCalendar("NL"),
    BusinessCalendar("BE"),
    BusinessCalendar("DE"),
    Target2Calendar(),
]


@given(
    calendar=st.sampled_from(CALENDARS),
    day=st.dates(dt.date(2024, 1, 1), dt.date(2028, 12, 31)),
    count=st.integers(1, 40),
)
def test_adding_business_days_counts_exactly_that_many_working_days(
    calendar: BusinessCalendar | Target2Calendar, day: dt.date, count: int
) -> None:
    """The result is a working day, with exactly *count* working days after *day* up to it."""
    result = calendar.add_business_days(day, count)
    assert calendar.is_business_day(result)
    between = [day + dt.timedelta(days=i) for i in range(1, (result - day).days + 1)]
    assert sum(calendar.is_business_day(d) for d in between) == count
    assert calendar.add_business_days(result, -count) <= day


def test_public_holidays_are_not_business_days() -> None:
    """King's Day in the Netherlands and 1 May for TARGET2 are closed; the next day is open."""
    assert not BusinessCalendar("NL").is_business_day(dt.date(2026, 4, 27))
    assert BusinessCalendar("NL").roll_forward(dt.date(2026, 4, 25)) == dt.date(2026, 4, 28)
    assert not Target2Calendar().is_business_day(dt.date(2026, 5, 1))
    assert Target2Calendar().is_business_day(dt.date(2026, 4, 27))


def test_unknown_country_is_refused() -> None:
    """A calendar needs an ISO country code."""
    with pytest.raises(ValidationError, match="'XX'"):
        BusinessCalendar("XX")
