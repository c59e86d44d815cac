"""The Dutch pack: BIK collection costs, the 14-day letter and statutory interest."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditflow import Money
from creditflow._fees import DayCount
from creditflow.errors import CurrencyMismatchError, ValidationError
from creditflow.rules import RatePeriod, RateTable, nl

from .strategies import dates, euros


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


class TestCollectionCosts:
    @pytest.mark.parametrize(
        ("principal", "fee", "uplifted"),
        [
            ("100.00", "40.00", "48.40"),  # NL-1
            ("2500.00", "375.00", "453.75"),  # NL-5
            ("1000000.00", "6775.00", "8197.75"),  # NL-15
        ],
    )
    def test_worked_examples(self, principal: str, fee: str, uplifted: str) -> None:
        """The worked examples NL-1, NL-5 and NL-15 of the reference give their fees."""
        assert nl.collection_costs(eur(principal)) == eur(fee)
        assert nl.collection_costs(eur(principal), vat_uplift=True) == eur(uplifted)

    @pytest.mark.parametrize(
        ("principal", "fee"),
        [
            ("2500.00", "375.00"),
            ("2500.01", "375.00"),  # 375.001
            ("5000.00", "625.00"),
            ("5000.20", "625.01"),
            ("10000.00", "875.00"),
            ("10000.50", "875.01"),  # 875.005 rounds up
            ("200000.00", "2775.00"),
            ("200002.00", "2775.01"),
            ("999998.00", "6774.99"),
            ("999999.99", "6775.00"),  # 6774.99995 rounds half-up to the cap
            ("1000000.00", "6775.00"),
            ("1000000.01", "6775.00"),
            ("5000000.00", "6775.00"),
        ],
    )
    def test_band_edges(self, principal: str, fee: str) -> None:
        """The cumulative fee at and just past each band edge matches the staffel."""
        assert nl.collection_costs(eur(principal)) == eur(fee)

    @pytest.mark.parametrize(
        ("principal", "fee"),
        [("266.66", "40.00"), ("266.67", "40.00"), ("266.73", "40.01"), ("266.80", "40.02")],
    )
    def test_minimum_governs_below_266_67(self, principal: str, fee: str) -> None:
        """The EUR 40 minimum governs up to 266.67; above it the 15 % band takes over."""
        assert nl.collection_costs(eur(principal)) == eur(fee)

    def test_half_cent_tie_rounds_up(self) -> None:
        """An exact fee of 40.005 (on 266.70) is rounded half-up to 40.01, not to the even 40.00."""
        assert nl.collection_costs(eur("266.70")) == eur("40.01")

    def test_minimum_is_uplifted_too(self) -> None:
        """The VAT uplift also applies to the EUR 40 minimum (40 x 1.21 = 48.40)."""
        assert nl.collection_costs(eur("1.00"), vat_uplift=True) == eur("48.40")

    def test_float_is_refused(self) -> None:
        """A float principal is a TypeError: it cannot hold cents exactly."""
        with pytest.raises(TypeError, match="float"):
            nl.collection_costs(0.5)  # type: ignore[arg-type]

    @pytest.mark.parametrize("principal", ["-0.01", "-100", "0"])
    def test_non_positive_principal_is_refused(self, principal: str) -> None:
        """Zero and negative principals are refused, naming the amount."""
        with pytest.raises(ValidationError, match=r"principal must be more than zero"):
            nl.collection_costs(eur(principal))

    def test_non_euro_principal_is_refused(self) -> None:
        """A principal in another currency is refused with the currency and the fix named."""
        with pytest.raises(CurrencyMismatchError, match=r"USD.*EUR"):
            nl.collection_costs(Money("100.00", "USD"))

    @settings(max_examples=300)
    @given(principal=euros())
    def test_costs_stay_between_minimum_and_maximum(self, principal: Money) -> None:
        """Without uplift the costs are never below EUR 40 nor above EUR 6,775."""
        assert nl.BIK_MINIMUM <= nl.collection_costs(principal) <= nl.BIK_MAXIMUM

    @settings(max_examples=300)
    @given(a=euros(), b=euros())
    def test_costs_are_monotonic_in_the_principal(self, a: Money, b: Money) -> None:
        """A larger principal never gives lower costs."""
        low, high = sorted((a, b))
        assert nl.collection_costs(low) <= nl.collection_costs(high)

    @given(principal=euros())
    def test_costs_are_rounded_cents(self, principal: Money) -> None:
        """The costs are always a whole number of cents."""
        assert nl.collection_costs(principal, vat_uplift=True).is_rounded


class TestSeveralInvoices:
    def test_aggregate_applies_the_staffel_once(self) -> None:
        """Aggregated, two invoices of 2,500 are costed as one principal of 5,000."""
        costs = nl.collection_costs_for([eur("2500"), eur("2500")])
        assert costs == eur("625.00")

    def test_separately_charges_each_invoice(self) -> None:
        """Charged one by one, each invoice carries its own fee (and its own minimum)."""
        costs = nl.collection_costs_for([eur("2500"), eur("100")], aggregate=False)
        assert costs == eur("415.00")

    def test_no_invoices_is_refused(self) -> None:
        """An empty list of principals is refused."""
        with pytest.raises(ValidationError, match="at least one"):
            nl.collection_costs_for([])


class TestFourteenDayLetter:
    def test_tuesday_posting(self) -> None:
        """[S] Posted Tue 2026-03-03: delivered Thu 03-05, the 14th day is Thu 2026-03-19."""
        assert nl.presumed_delivery(dt.date(2026, 3, 3)) == dt.date(2026, 3, 5)
        assert nl.fourteen_day_letter_deadline(dt.date(2026, 3, 3)) == dt.date(2026, 3, 19)

    def test_friday_posting_skips_sunday_and_monday(self) -> None:
        """[S] Posted Fri 2026-03-06: delivered Tue 03-10, the 14th day is 2026-03-24."""
        assert nl.presumed_delivery(dt.date(2026, 3, 6)) == dt.date(2026, 3, 10)
        assert nl.fourteen_day_letter_deadline(dt.date(2026, 3, 6)) == dt.date(2026, 3, 24)

    def test_public_holiday_is_not_counted(self) -> None:
        """Good Friday 2026-04-03 is skipped: posted Wed 04-01, delivered Sat 04-04."""
        assert nl.presumed_delivery(dt.date(2026, 4, 1)) == dt.date(2026, 4, 4)
        assert nl.fourteen_day_letter_deadline(dt.date(2026, 4, 1)) == dt.date(2026, 4, 18)

    def test_christmas_and_new_year_crossing(self) -> None:
        """Posted Thu 2026-12-24: Christmas, Sunday and Monday skipped, so the term ends in 2027."""
        assert nl.presumed_delivery(dt.date(2026, 12, 24)) == dt.date(2026, 12, 30)
        assert nl.fourteen_day_letter_deadline(dt.date(2026, 12, 24)) == dt.date(2027, 1, 13)

    @settings(deadline=None)
    @given(posted=dates())
    def test_term_ends_16_to_20_days_after_posting(self, posted: dt.date) -> None:
        """The 14th day always falls 16 to 20 days after posting (delivery takes 2 to 6 days)."""
        days = (nl.fourteen_day_letter_deadline(posted) - posted).days
        assert 16 <= days <= 20


SIX_PERCENT = RateTable(
    name="hypothetical 6 %",
    last_verified=dt.date(2025, 1, 1),
    periods=[RatePeriod(starts_on=dt.date(2000, 1, 1), percent="6")],
)


class TestStatutoryInterest:
    def test_full_year_at_six_percent_is_six_percent(self) -> None:
        """10,000 at a constant 6 % from 2023-07-01 earns 600.00 in its first (leap) year."""
        interest = nl.statutory_interest(
            eur("10000"),
            dt.date(2023, 7, 1),
            dt.date(2024, 7, 1),
            commercial=False,
            table=SIX_PERCENT,
        )
        assert interest == eur("600")

    @pytest.mark.parametrize(
        ("day_count", "second_part"), [(DayCount.ACT_ACT, "319.74"), (DayCount.ACT_365, "320.61")]
    )
    def test_compounding_on_the_anniversary(self, day_count: DayCount, second_part: str) -> None:
        """A year on, the base is 10,600: 184 more days earn 319.74 (act/act), 320.61 (act/365)."""
        interest = nl.statutory_interest(
            eur("10000"),
            dt.date(2023, 7, 1),
            dt.date(2025, 1, 1),
            commercial=False,
            table=SIX_PERCENT,
            day_count=day_count,
        )
        assert interest.round() == eur("600.00") + eur(second_part)

    def test_real_consumer_rates_split_at_the_rate_change(self) -> None:
        """1,000 from 2024-03-01 to 2025-02-28: 58.68 at 7 % (act/365), then 9.70 at 6 %."""
        first = nl.consumer_interest(eur("1000"), dt.date(2024, 3, 1), dt.date(2025, 1, 1))
        second = nl.statutory_interest(
            eur("1000"),
            dt.date(2025, 1, 1),
            dt.date(2025, 3, 1),
            commercial=False,
            interest_from=dt.date(2024, 3, 1),
        )
        whole = nl.consumer_interest(eur("1000"), dt.date(2024, 3, 1), dt.date(2025, 3, 1))
        assert first.round() == eur("58.68")
        assert second.round() == eur("9.70")
        assert whole == first + second  # no compounding before the anniversary 2025-03-01

    def test_act_act_divides_leap_year_days_by_366(self) -> None:
        """On act/act the 306 days of 2024 at 7 % earn 58.52 instead of 58.68."""
        interest = nl.statutory_interest(
            eur("1000"),
            dt.date(2024, 3, 1),
            dt.date(2025, 1, 1),
            commercial=False,
            day_count=DayCount.ACT_ACT,
            whole_years=False,
        )
        assert interest.round() == eur("58.52")

    def test_commercial_rate_is_used_for_businesses(self) -> None:
        """30 days of H2 2025 at the handelsrente of 10.15 % on 1,000 earn 8.34."""
        interest = nl.commercial_interest(eur("1000"), dt.date(2025, 8, 1), dt.date(2025, 8, 31))
        assert interest.round() == eur("8.34")

    def test_last_known_rate_continues(self) -> None:
        """After the last table entry (1 July 2025) its rate stays in force until updated."""
        interest = nl.consumer_interest(eur("1000"), dt.date(2026, 1, 1), dt.date(2026, 3, 2))
        assert interest.round() == eur("6.58")  # 1,000 x 4 % x 60/365; at 6 % it would be 9.86

    def test_earlier_interest_joins_the_base_on_the_anniversary(self) -> None:
        """Unpaid interest from the first year earns interest from the anniversary on."""
        interest = nl.statutory_interest(
            eur("10000"),
            dt.date(2024, 7, 1),
            dt.date(2024, 7, 2),
            commercial=False,
            interest_from=dt.date(2023, 7, 1),
            earlier_interest=eur("600"),
            table=SIX_PERCENT,
        )
        assert interest.round() == eur("1.74")  # 10,600 x 6 % / 365; without it 1.64

    def test_earlier_interest_waits_for_the_next_anniversary(self) -> None:
        """Interest from before a mid-year start does not earn interest before an anniversary."""
        interest = nl.statutory_interest(
            eur("10000"),
            dt.date(2023, 8, 1),
            dt.date(2023, 8, 2),
            commercial=False,
            interest_from=dt.date(2023, 7, 1),
            earlier_interest=eur("50"),
            table=SIX_PERCENT,
        )
        assert interest.round() == eur("1.64")  # 10,000 x 6 % / 365; with it 1.65

    def test_leap_day_anniversary_falls_on_first_of_march(self) -> None:
        """A default from 29 February 2024 compounds on 1 March 2025."""
        days = nl.anniversaries(dt.date(2024, 2, 29), dt.date(2024, 2, 29), dt.date(2026, 3, 1))
        assert days == (dt.date(2025, 3, 1), dt.date(2026, 3, 1))

    def test_period_before_the_table_is_refused(self) -> None:
        """A period before the first rate of the table is refused, naming the first day."""
        with pytest.raises(ValidationError, match="starts on 2023-01-01"):
            nl.consumer_interest(eur("100"), dt.date(2022, 12, 1), dt.date(2023, 2, 1))

    def test_negative_principal_is_refused(self) -> None:
        """A negative principal is refused."""
        with pytest.raises(ValidationError, match="must not be negative"):
            nl.consumer_interest(eur("-1"), dt.date(2024, 1, 1), dt.date(2024, 2, 1))

    def test_interest_from_after_start_is_refused(self) -> None:
        """The default cannot start after the period it accrues over."""
        with pytest.raises(ValidationError, match="interest_from"):
            nl.statutory_interest(
                eur("1"),
                dt.date(2024, 1, 1),
                dt.date(2024, 2, 1),
                commercial=False,
                interest_from=dt.date(2024, 1, 2),
            )

    @settings(deadline=None)
    @given(principal=euros(), start=dates(), days=st.integers(0, 900))
    def test_interest_is_deterministic(self, principal: Money, start: dt.date, days: int) -> None:
        """The same arguments always give the same interest."""
        end = start + dt.timedelta(days=days)
        first = nl.consumer_interest(principal, start, end)
        assert first == nl.consumer_interest(principal, start, end)
