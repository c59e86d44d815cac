"""Hypothesis strategies for creditflow's values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

import creditflow as cf

currencies = st.sampled_from(["EUR", "USD", "GBP", "JPY", "BHD", "CHF"])


def money(
    currency: str = "EUR", *, min_units: int = 0, max_units: int = 10_000_000
) -> st.SearchStrategy[cf.Money]:
    """Rounded amounts in *currency*, as whole minor units."""
    return st.integers(min_units, max_units).map(lambda u: cf.Money.from_minor_units(u, currency))


positive_money = money(min_units=1)

dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 12, 31))

ratios = st.lists(st.integers(0, 1000).map(Decimal), min_size=1, max_size=12).filter(
    lambda rs: sum(rs) > 0
)
