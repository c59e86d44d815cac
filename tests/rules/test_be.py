"""The Belgian pack: the consumer damages cap, the waiting period, reminder fees, B2B rules."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings

from creditflow import Money
from creditflow.errors import CurrencyMismatchError, ValidationError
from creditflow.rules import be

from .strategies import dates, euros


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


class TestConsumerDamagesCap:
    @pytest.mark.parametrize(
        ("balance", "cap"),
        [
            ("50.00", "20.00"),  # BE-1
            ("200.00", "35.00"),  # BE-5
            ("39200.00", "2000.00"),  # BE-13
        ],
    )
    def test_worked_examples(self, balance: str, cap: str) -> None:
        """The worked examples BE-1, BE-5 and BE-13 of the reference give their caps."""
        assert be.consumer_damages_cap(eur(balance)) == eur(cap)

    @pytest.mark.parametrize(
        ("balance", "cap"),
        [
            ("0.01", "20.00"),
            ("150.00", "20.00"),
            ("150.01", "30.00"),  # jumps from 20 to 30
            ("500.00", "65.00"),
            ("500.01", "65.00"),  # 65.0005 rounds half-up to 65.00: continuous at 500
            ("500.10", "65.01"),  # 65.005 rounds half-up
            ("39199.99", "2000.00"),
            ("39200.01", "2000.00"),
            ("1000000.00", "2000.00"),
        ],
    )
    def test_band_edges(self, balance: str, cap: str) -> None:
        """The cap at and around 150, 500 and the 2,000 ceiling follows the bands."""
        assert be.consumer_damages_cap(eur(balance)) == eur(cap)

    def test_half_cent_tie_rounds_up(self) -> None:
        """An exact cap of 30.005 (on 150.05) is rounded half-up to 30.01."""
        assert be.consumer_damages_cap(eur("150.05")) == eur("30.01")

    @settings(max_examples=300)
    @given(balance=euros(max_value="10000000"))
    def test_cap_never_exceeds_2000(self, balance: Money) -> None:
        """Whatever the balance, the cap is between EUR 20 and EUR 2,000."""
        assert eur("20") <= be.consumer_damages_cap(balance) <= be.DAMAGES_CAP

    @given(a=euros(), b=euros())
    def test_cap_is_monotonic(self, a: Money, b: Money) -> None:
        """A larger balance never gives a lower cap."""
        low, high = sorted((a, b))
        assert be.consumer_damages_cap(low) <= be.consumer_damages_cap(high)

    def test_float_is_refused(self) -> None:
        """A float balance is a TypeError."""
        with pytest.raises(TypeError, match="float"):
            be.consumer_damages_cap(150.0)  # type: ignore[arg-type]

    def test_negative_balance_is_refused(self) -> None:
        """A negative balance is refused, naming the amount."""
        with pytest.raises(ValidationError, match=r"balance must be more than zero, got EUR -5"):
            be.consumer_damages_cap(eur("-5"))

    def test_non_euro_balance_is_refused(self) -> None:
        """A balance in another currency is refused."""
        with pytest.raises(CurrencyMismatchError, match="GBP"):
            be.consumer_damages_cap(Money("200", "GBP"))


class TestWaitingPeriod:
    def test_paper_reminder_starts_on_the_third_working_day(self) -> None:
        """[S] A letter sent Mon 2026-03-02: day 1 is Thu 03-05, the last day 2026-03-18."""
        end = be.reminder_waiting_period_end(dt.date(2026, 3, 2), medium="letter")
        assert end == dt.date(2026, 3, 18)

    def test_email_reminder_starts_the_next_day(self) -> None:
        """[S] An e-mail sent 2026-03-02: day 1 is 03-03, the last day 2026-03-16."""
        end = be.reminder_waiting_period_end(dt.date(2026, 3, 2), medium="email")
        assert end == dt.date(2026, 3, 16)

    def test_weekend_is_not_a_working_day(self) -> None:
        """A letter sent Thu 2026-05-07: working days Fri, Mon, Tue, so the end is 2026-05-25."""
        end = be.reminder_waiting_period_end(dt.date(2026, 5, 7), medium="letter")
        assert end == dt.date(2026, 5, 25)

    def test_public_holiday_is_not_a_working_day(self) -> None:
        """Ascension Day 2026-05-14 is skipped: a letter sent Tue 05-12 ends on 2026-05-31."""
        end = be.reminder_waiting_period_end(dt.date(2026, 5, 12), medium="letter")
        assert end == dt.date(2026, 5, 31)

    @pytest.mark.parametrize("medium", ["sms", "Letter", ""])
    def test_unknown_medium_is_refused(self, medium: str) -> None:
        """A medium other than 'letter' or 'email' is refused, naming it."""
        with pytest.raises(ValidationError, match=f"medium {medium!r} is unknown"):
            be.reminder_waiting_period_end(dt.date(2026, 3, 2), medium=medium)

    @settings(deadline=None)
    @given(sent_on=dates())
    def test_letter_never_ends_before_email(self, sent_on: dt.date) -> None:
        """A paper reminder's waiting period ends 2 or more days after an e-mail's."""
        letter = be.reminder_waiting_period_end(sent_on, medium="letter")
        email = be.reminder_waiting_period_end(sent_on, medium="email")
        assert (letter - email).days >= 2


class TestReminderFees:
    def test_first_reminder_is_free(self) -> None:
        """The first reminder costs nothing."""
        assert be.reminder_fee_cap(1) == Money.zero("EUR")

    def test_later_reminder_costs_at_most_7_50_plus_postage(self) -> None:
        """The second reminder may cost 7.50 plus the postage."""
        assert be.reminder_fee_cap(2) == eur("7.50")
        assert be.reminder_fee_cap(2, postage=eur("1.96")) == eur("9.46")

    def test_regular_supply_contracts_have_three_free_reminders(self) -> None:
        """With three free reminders (regular supply), the third is free and the fourth not."""
        assert be.reminder_fee_cap(3, free_reminders=3) == Money.zero("EUR")
        assert be.reminder_fee_cap(4, free_reminders=3) == eur("7.50")

    def test_reminder_number_zero_is_refused(self) -> None:
        """Reminders are numbered from 1."""
        with pytest.raises(ValidationError, match="start at 1"):
            be.reminder_fee_cap(0)


class TestBusinesses:
    def test_interest_runs_at_the_semester_rate(self) -> None:
        """1,000 over the 182 days of H1 2024 at 12.5 % earns 62.33 (act/365)."""
        interest = be.commercial_interest(eur("1000"), dt.date(2024, 1, 1), dt.date(2024, 7, 1))
        assert interest.round() == eur("62.33")

    @pytest.mark.parametrize(
        ("agreed", "due"),
        [
            (None, dt.date(2026, 3, 31)),
            (45, dt.date(2026, 4, 15)),
            (60, dt.date(2026, 4, 30)),
            (61, dt.date(2026, 3, 31)),
        ],
    )
    def test_payment_term(self, agreed: int | None, due: dt.date) -> None:
        """No term gives 30 days; up to 60 days is kept; a longer term falls back to 30 days."""
        start = dt.date(2026, 3, 1)
        assert be.business_payment_due_date(start, agreed_term_days=agreed) == due

    def test_flat_fee_is_40(self) -> None:
        """A late business owes a EUR 40 lump sum."""
        assert eur("40") == be.BUSINESS_FLAT_FEE
