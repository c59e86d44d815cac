"""The German, French and EU-floor packs: simple interest, flat fees, and no fees for consumers."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings

from creditflow import Money
from creditflow._fees import DayCount, NoFee
from creditflow.errors import CurrencyMismatchError, ValidationError
from creditflow.rules import de, eu, fr

from .strategies import euros, periods


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


H2_2025 = (dt.date(2025, 7, 1), dt.date(2026, 1, 1))  # 184 days


class TestGermany:
    def test_business_worked_example(self) -> None:
        """1,000 in default through H2 2025 at 1.27 + 9 = 10.27 % earns 51.77, plus EUR 40."""
        interest = de.default_interest(eur("1000"), *H2_2025, consumer=False)
        assert interest.round() == eur("51.77")
        assert de.flat_fee(consumer=False) == eur("40")

    def test_consumer_worked_example(self) -> None:
        """1,000 in default through H2 2025 at 1.27 + 5 = 6.27 % earns 31.61, and no flat fee."""
        interest = de.default_interest(eur("1000"), *H2_2025, consumer=True)
        assert interest.round() == eur("31.61")
        assert isinstance(de.flat_fee(consumer=True), NoFee)

    def test_period_spanning_a_base_rate_change(self) -> None:
        """A period across 1 July 2025 uses 2.27 % before and 1.27 % after (B2B, + 9 points)."""
        interest = de.default_interest(
            eur("1000"), dt.date(2025, 6, 1), dt.date(2025, 8, 1), consumer=False
        )
        # 1,000 x 11.27 % x 30/365 = 9.2630 and 1,000 x 10.27 % x 31/365 = 8.7225
        assert interest.round() == eur("17.99")

    def test_act_360_gives_more_interest(self) -> None:
        """Counting the same days over 360 gives more interest than over 365."""
        on_365 = de.default_interest(eur("1000"), *H2_2025, consumer=False)
        on_360 = de.default_interest(
            eur("1000"), *H2_2025, consumer=False, day_count=DayCount.ACT_360
        )
        assert on_360 > on_365

    def test_no_rate_before_2024_is_refused(self) -> None:
        """The base rate table starts in 2024; an earlier period is refused with what to do."""
        with pytest.raises(ValidationError, match=r"extended"):
            de.default_interest(eur("1"), dt.date(2023, 6, 1), dt.date(2024, 2, 1), consumer=True)

    def test_end_before_start_is_refused(self) -> None:
        """A period ending before it starts is refused."""
        with pytest.raises(ValidationError, match="before its start"):
            de.default_interest(eur("1"), dt.date(2025, 2, 1), dt.date(2025, 1, 1), consumer=True)

    @settings(deadline=None, max_examples=200)
    @given(principal=euros(), days=periods())
    def test_interest_is_additive_over_sub_periods(
        self, principal: Money, days: tuple[dt.date, dt.date, dt.date]
    ) -> None:
        """Simple interest over a period equals the sum over any split of it."""
        start, middle, end = days
        whole = de.default_interest(principal, start, end, consumer=False)
        parts = de.default_interest(principal, start, middle, consumer=False) + (
            de.default_interest(principal, middle, end, consumer=False)
        )
        assert abs(whole - parts) < eur("0.0000000001")


class TestFrance:
    def test_business_worked_example(self) -> None:
        """1,000 paid 30 days late in August 2025 at 2.15 + 10 = 12.15 % costs 9.99, plus EUR 40."""
        penalties = fr.late_penalties(eur("1000"), dt.date(2025, 8, 1), dt.date(2025, 8, 31))
        assert penalties.round() == eur("9.99")
        assert fr.recovery_indemnity(consumer=False) == eur("40")

    def test_consumer_owes_no_recovery_fee(self) -> None:
        """A French consumer may not be charged recovery fees (art. L111-8 CPCE)."""
        answer = fr.recovery_indemnity(consumer=True)
        assert isinstance(answer, NoFee)
        assert "L111-8" in answer.reason
        assert fr.consumer_recovery_fee() == answer

    def test_consumer_interest_uses_the_legal_rate(self) -> None:
        """Against a consumer, 1,000 over H1 2026 (181 days) at 2.62 % earns 12.99."""
        interest = fr.legal_interest(eur("1000"), dt.date(2026, 1, 1), dt.date(2026, 7, 1))
        assert interest.round() == eur("12.99")

    def test_private_creditor_uses_the_higher_legal_rate(self) -> None:
        """A private creditor's legal rate (6.67 % in H1 2026) is higher than a business's."""
        business = fr.legal_interest(eur("1000"), dt.date(2026, 1, 1), dt.date(2026, 7, 1))
        private = fr.legal_interest(
            eur("1000"), dt.date(2026, 1, 1), dt.date(2026, 7, 1), private_creditor=True
        )
        assert private.round() == eur("33.08")
        assert private > business

    def test_non_euro_is_refused(self) -> None:
        """Penalties on an amount in another currency are refused."""
        with pytest.raises(CurrencyMismatchError, match="CHF"):
            fr.late_penalties(Money("1000", "CHF"), dt.date(2025, 8, 1), dt.date(2025, 8, 31))

    @settings(deadline=None, max_examples=200)
    @given(principal=euros(), days=periods())
    def test_penalties_are_additive_over_sub_periods(
        self, principal: Money, days: tuple[dt.date, dt.date, dt.date]
    ) -> None:
        """Late penalties over a period equal the sum over any split of it."""
        start, middle, end = days
        whole = fr.late_penalties(principal, start, end)
        parts = fr.late_penalties(principal, start, middle) + fr.late_penalties(
            principal, middle, end
        )
        assert abs(whole - parts) < eur("0.0000000001")


class TestDirectiveFloor:
    def test_worked_example(self) -> None:
        """1,000 paid 30 days late in H2 2025 at 2.15 + 8 = 10.15 % costs 8.34, plus EUR 40."""
        interest = eu.late_payment_interest(eur("1000"), dt.date(2025, 8, 1), dt.date(2025, 8, 31))
        assert interest.round() == eur("8.34")
        assert eu.recovery_costs(consumer=False) == eur("40")

    def test_consumers_are_outside_the_directive(self) -> None:
        """The Directive's EUR 40 does not apply to consumers."""
        assert isinstance(eu.recovery_costs(consumer=True), NoFee)

    def test_negative_principal_is_refused(self) -> None:
        """A negative principal is refused."""
        with pytest.raises(ValidationError, match="must not be negative"):
            eu.late_payment_interest(eur("-1"), dt.date(2025, 8, 1), dt.date(2025, 8, 31))

    def test_float_principal_is_refused(self) -> None:
        """A float principal is a TypeError."""
        with pytest.raises(TypeError, match="must be Money"):
            eu.late_payment_interest(1.5, dt.date(2025, 8, 1), dt.date(2025, 8, 31))  # type: ignore[arg-type]

    @settings(deadline=None, max_examples=200)
    @given(principal=euros(), days=periods())
    def test_interest_is_additive_over_sub_periods(
        self, principal: Money, days: tuple[dt.date, dt.date, dt.date]
    ) -> None:
        """Directive interest over a period equals the sum over any split of it."""
        start, middle, end = days
        whole = eu.late_payment_interest(principal, start, end, day_count=DayCount.ACT_ACT)
        parts = eu.late_payment_interest(
            principal, start, middle, day_count=DayCount.ACT_ACT
        ) + eu.late_payment_interest(principal, middle, end, day_count=DayCount.ACT_ACT)
        assert abs(whole - parts) < eur("0.0000000001")

    @given(principal=euros(), days=periods())
    def test_interest_is_deterministic(
        self, principal: Money, days: tuple[dt.date, dt.date, dt.date]
    ) -> None:
        """The same arguments give the same interest."""
        start, _, end = days
        assert eu.late_payment_interest(principal, start, end) == eu.late_payment_interest(
            principal, start, end
        )
