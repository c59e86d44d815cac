"""StatutoryInterest: the debtor's country and kind pick the statutory rate."""

from __future__ import annotations

import datetime as dt

import pytest

from creditflow import Money
from creditflow._fees import FixedRateInterest, InterestRule
from creditflow.errors import ValidationError
from creditflow.rules import StatutoryInterest, nl

from .factories import interest_context

AUG_START, AUG_END = dt.date(2025, 8, 1), dt.date(2025, 8, 31)  # 30 days in H2 2025


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def test_is_an_interest_rule() -> None:
    """StatutoryInterest satisfies the InterestRule protocol and describes itself."""
    assert isinstance(StatutoryInterest(), InterestRule)
    assert StatutoryInterest().describe() == "Statutory interest"


@pytest.mark.parametrize(
    ("country", "consumer", "expected"),
    [
        ("NL", True, "3.29"),  # 4 %
        ("NL", False, "8.34"),  # 10.15 %
        ("DE", True, "5.15"),  # 1.27 + 5
        ("DE", False, "8.44"),  # 1.27 + 9
        ("FR", True, "2.27"),  # taux légal, autres cas, 2.76 %
        ("FR", False, "9.99"),  # 2.15 + 10
        ("BE", False, "8.63"),  # 10.5 %
        ("AT", False, "8.34"),  # Directive floor, 2.15 + 8
    ],
)
def test_rate_by_country_and_kind(country: str, consumer: bool, expected: str) -> None:
    """1,000 over 30 days in August 2025 earns the rate of the debtor's country and kind."""
    context = interest_context(country=country, consumer=consumer, start=AUG_START, end=AUG_END)
    assert StatutoryInterest().interest(context).round() == eur(expected)


def test_dutch_interest_compounds_with_open_interest() -> None:
    """For a Dutch debtor, interest open at an anniversary earns interest from then on."""
    start = dt.date(2025, 7, 1)
    context = interest_context(
        start=start,
        end=dt.date(2025, 7, 31),
        interest_from=dt.date(2024, 7, 1),
        open_interest="70.00",
    )
    expected = nl.statutory_interest(
        eur("1070.00"),
        start,
        dt.date(2025, 7, 31),
        commercial=False,
        interest_from=dt.date(2024, 7, 1),
    )
    assert StatutoryInterest().interest(context) == expected


@pytest.mark.parametrize(("country", "consumer"), [("BE", True), ("AT", True), ("US", False)])
def test_no_statutory_rate_without_fallback_is_refused(country: str, consumer: bool) -> None:
    """Without a statutory rate and without a fallback the rule refuses instead of guessing."""
    context = interest_context(country=country, consumer=consumer, start=AUG_START, end=AUG_END)
    with pytest.raises(ValidationError, match=rf"in {country}.*fallback"):
        StatutoryInterest().interest(context)


def test_fallback_is_used_where_no_statutory_rate_is_known() -> None:
    """A Belgian consumer gets the fallback rule's (contractual) interest."""
    context = interest_context(country="BE", consumer=True, start=AUG_START, end=AUG_END)
    rule = StatutoryInterest(fallback=FixedRateInterest(annual_percent="8"))
    assert rule.interest(context).round() == eur("6.58")
