"""RateTable: rates with effective dates, and periods split where the rate changes."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import given

from creditflow import Money
from creditflow._fees import DayCount
from creditflow.errors import ValidationError
from creditflow.rules import RatePeriod, RateSpan, RateTable
from creditflow.rules._rates import simple_interest

from .strategies import dates, euros

TABLE = RateTable(
    name="test",
    last_verified=dt.date(2025, 7, 1),
    periods=[
        RatePeriod(starts_on=dt.date(2025, 7, 1), percent="2"),
        RatePeriod(starts_on=dt.date(2025, 1, 1), percent="3"),
    ],
)


def test_periods_are_sorted_by_start() -> None:
    """Periods given out of order are kept in date order."""
    assert [p.starts_on for p in TABLE.periods] == [dt.date(2025, 1, 1), dt.date(2025, 7, 1)]


def test_rate_on_a_change_day_is_the_new_rate() -> None:
    """On the day a rate takes effect, it is the new rate; the day before, the old one."""
    assert TABLE.rate_on(dt.date(2025, 6, 30)) == Decimal(3)
    assert TABLE.rate_on(dt.date(2025, 7, 1)) == Decimal(2)


def test_last_rate_stays_in_force() -> None:
    """After the last period its rate stays in force."""
    assert TABLE.rate_on(dt.date(2030, 1, 1)) == Decimal(2)


def test_day_before_the_table_is_refused() -> None:
    """A day before the first period is refused, naming the table and its first day."""
    with pytest.raises(ValidationError, match=r"'test' starts on 2025-01-01"):
        TABLE.rate_on(dt.date(2024, 12, 31))


def test_spans_split_at_rate_changes() -> None:
    """A period across 1 July is split there, each part with its rate."""
    assert TABLE.spans(dt.date(2025, 6, 1), dt.date(2025, 8, 1)) == (
        RateSpan(start=dt.date(2025, 6, 1), end=dt.date(2025, 7, 1), percent=Decimal(3)),
        RateSpan(start=dt.date(2025, 7, 1), end=dt.date(2025, 8, 1), percent=Decimal(2)),
    )


def test_empty_period_has_no_spans() -> None:
    """A period whose end is its start has no spans and no interest."""
    day = dt.date(2025, 3, 1)
    assert TABLE.spans(day, day) == ()
    assert simple_interest(
        Money(100, "EUR"), day, day, table=TABLE, day_count=DayCount.ACT_365
    ).is_zero


def test_plus_adds_points_to_every_rate() -> None:
    """plus(8) adds 8 points to each period."""
    assert [p.percent for p in TABLE.plus(8, name="plus").periods] == [Decimal(11), Decimal(10)]


def test_extended_adds_a_newer_rate() -> None:
    """Extended adds a newly published rate and records the new verification day."""
    newer = TABLE.extended(
        RatePeriod(starts_on=dt.date(2026, 1, 1), percent="1.5"), last_verified=dt.date(2026, 1, 2)
    )
    assert newer.rate_on(dt.date(2026, 2, 1)) == Decimal("1.5")
    assert newer.last_verified == dt.date(2026, 1, 2)


def test_two_periods_on_one_day_are_refused() -> None:
    """A table with two rates starting on the same day is refused."""
    with pytest.raises(ValidationError, match="two periods"):
        TABLE.extended(
            RatePeriod(starts_on=dt.date(2025, 1, 1), percent="9"),
            last_verified=dt.date(2025, 7, 1),
        )


def test_empty_table_is_refused() -> None:
    """A table without periods is refused."""
    with pytest.raises(ValidationError, match="no periods"):
        RateTable(name="empty", periods=[], last_verified=dt.date(2025, 1, 1))


def test_float_rate_is_refused() -> None:
    """A float percentage is a TypeError, like float money."""
    with pytest.raises(TypeError, match="float"):
        RatePeriod(starts_on=dt.date(2025, 1, 1), percent=2.5)


@given(start=dates(dt.date(2025, 1, 1)), days=dates(dt.date(2025, 1, 1)))
def test_spans_cover_the_period_without_gaps(start: dt.date, days: dt.date) -> None:
    """The spans of a period are contiguous and cover exactly the period."""
    begin, end = sorted((start, days))
    spans = TABLE.spans(begin, end)
    if begin == end:
        assert spans == ()
    else:
        assert spans[0].start == begin
        assert spans[-1].end == end
        assert all(a.end == b.start for a, b in itertools.pairwise(spans))


@given(principal=euros(), start=dates(dt.date(2025, 1, 1)), end=dates(dt.date(2025, 1, 1)))
def test_simple_interest_is_additive_at_rate_changes(
    principal: Money, start: dt.date, end: dt.date
) -> None:
    """Interest over a period equals the sum of the interest over its rate spans."""
    begin, finish = sorted((start, end))
    whole = simple_interest(principal, begin, finish, table=TABLE, day_count=DayCount.ACT_365)
    parts = sum(
        (
            simple_interest(principal, s.start, s.end, table=TABLE, day_count=DayCount.ACT_365)
            for s in TABLE.spans(begin, finish)
        ),
        Money.zero("EUR"),
    )
    assert whole == parts
