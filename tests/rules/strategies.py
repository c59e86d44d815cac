"""Hypothesis strategies for rule-pack tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from creditflow import Money


def euros(min_value: str = "0.01", max_value: str = "2000000") -> st.SearchStrategy[Money]:
    """Euro amounts in whole cents between the bounds."""
    return st.decimals(min_value=Decimal(min_value), max_value=Decimal(max_value), places=2).map(
        lambda amount: Money(amount, "EUR")
    )


def dates(
    min_value: dt.date = dt.date(2024, 1, 1), max_value: dt.date = dt.date(2027, 12, 31)
) -> st.SearchStrategy[dt.date]:
    """Days inside the rate tables."""
    return st.dates(min_value=min_value, max_value=max_value)


@st.composite
def periods(draw: st.DrawFn) -> tuple[dt.date, dt.date, dt.date]:
    """Three ordered days ``start <= middle <= end`` inside the rate tables."""
    days = sorted(draw(st.lists(dates(), min_size=3, max_size=3)))
    return days[0], days[1], days[2]
