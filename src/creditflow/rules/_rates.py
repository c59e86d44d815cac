"""Rate tables with effective dates, and splitting a period where the rate changes.

Statutory rates change on set dates (mostly 1 January and 1 July). A computation that spans a
change uses each period's rate, so every rule pack goes through :meth:`RateTable.spans`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from decimal import Decimal

import attrs
from attrs import field, frozen

from creditflow import _validate as v
from creditflow._fees import DayCount, year_fraction
from creditflow._money import Money
from creditflow.errors import ValidationError

__all__ = ["RatePeriod", "RateSpan", "RateTable", "simple_interest", "split_at"]


@frozen(kw_only=True)
class RatePeriod:
    """A yearly percentage in force from ``starts_on`` until the next period of its table starts."""

    starts_on: dt.date = field(validator=attrs.validators.instance_of(dt.date))
    percent: Decimal = field(converter=v.decimal_field)
    """The yearly rate in percent: ``Decimal("10.15")`` is 10.15 % a year."""
    source: str = ""
    """Where the figure comes from (publisher, or "derived: ..." when computed from a formula)."""


@frozen(kw_only=True)
class RateSpan:
    """A stretch of days ``[start, end)`` with one rate."""

    start: dt.date
    end: dt.date
    percent: Decimal


def _periods(values: Iterable[RatePeriod]) -> tuple[RatePeriod, ...]:
    periods = tuple(values)
    for period in periods:
        if not isinstance(period, RatePeriod):
            raise TypeError(f"a rate table holds RatePeriod values, got {period!r}")
    return tuple(sorted(periods, key=lambda p: p.starts_on))


@frozen(kw_only=True)
class RateTable:
    """Yearly percentages with the dates they take effect.

    The last period's rate stays in force until a newer period is added: a table is only as
    current as ``last_verified`` says. When a new rate is published, build an updated table
    with :meth:`extended` and pass it to the rule pack's ``table`` parameter.

    Example:
        >>> table = RateTable(name="example", last_verified=dt.date(2025, 7, 1), periods=[
        ...     RatePeriod(starts_on=dt.date(2025, 1, 1), percent="3"),
        ...     RatePeriod(starts_on=dt.date(2025, 7, 1), percent="2")])
        >>> table.rate_on(dt.date(2025, 8, 1))
        Decimal('2')
    """

    name: str = field(validator=v.non_empty)
    periods: tuple[RatePeriod, ...] = field(converter=_periods)
    last_verified: dt.date = field(validator=attrs.validators.instance_of(dt.date))
    """The day the table was last checked against its publishers."""

    def __attrs_post_init__(self) -> None:
        if not self.periods:
            raise ValidationError(f"rate table {self.name!r} has no periods")
        starts = [p.starts_on for p in self.periods]
        if len(set(starts)) != len(starts):
            raise ValidationError(f"rate table {self.name!r} has two periods starting on one day")

    @property
    def first_day(self) -> dt.date:
        """The first day the table has a rate for."""
        return self.periods[0].starts_on

    def period_on(self, day: dt.date) -> RatePeriod:
        """The period in force on *day*.

        Raises:
            ValidationError: *day* is before the first period of the table.
        """
        if day < self.first_day:
            raise ValidationError(
                f"rate table {self.name!r} starts on {self.first_day}, so it has no rate for "
                f"{day}; pass a table that covers that day (RateTable.extended)"
            )
        found = self.periods[0]
        for period in self.periods:
            if period.starts_on > day:
                break
            found = period
        return found

    def rate_on(self, day: dt.date) -> Decimal:
        """The yearly percentage in force on *day*."""
        return self.period_on(day).percent

    def spans(self, start: dt.date, end: dt.date) -> tuple[RateSpan, ...]:
        """Split ``[start, end)`` where the rate changes; empty when *end* is not after *start*."""
        if end <= start:
            return ()
        self.period_on(start)  # refuses a start before the table
        boundaries = [p.starts_on for p in self.periods if start < p.starts_on < end]
        return tuple(
            RateSpan(start=a, end=b, percent=self.rate_on(a))
            for a, b in split_at(start, end, boundaries)
        )

    def plus(self, points: Decimal | int | str, *, name: str) -> RateTable:
        """This table with *points* added to every rate (e.g. a base rate + 9 points)."""
        margin = v.decimal_field(points)
        return RateTable(
            name=name,
            last_verified=self.last_verified,
            periods=[attrs.evolve(p, percent=p.percent + margin) for p in self.periods],
        )

    def extended(self, *periods: RatePeriod, last_verified: dt.date) -> RateTable:
        """This table with *periods* added (a newly published rate), checked on *last_verified*."""
        return RateTable(
            name=self.name, periods=(*self.periods, *periods), last_verified=last_verified
        )


def split_at(
    start: dt.date, end: dt.date, boundaries: Iterable[dt.date]
) -> tuple[tuple[dt.date, dt.date], ...]:
    """Split ``[start, end)`` at every boundary strictly inside it, in order."""
    if end <= start:
        return ()
    cuts = sorted({b for b in boundaries if start < b < end})
    edges = [start, *cuts, end]
    return tuple(itertools.pairwise(edges))


def simple_interest(
    principal: Money,
    start: dt.date,
    end: dt.date,
    *,
    table: RateTable,
    day_count: DayCount,
) -> Money:
    """Simple (non-compounding) interest on *principal* over ``[start, end)``, exact.

    Each stretch with one rate earns ``principal x rate x year fraction``; the stretches are
    added. The result is not rounded.
    """
    total = Money.zero(principal.currency)
    for span in table.spans(start, end):
        total += principal * (span.percent / 100) * year_fraction(span.start, span.end, day_count)
    return total
