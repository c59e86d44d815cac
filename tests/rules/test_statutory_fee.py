"""StatutoryFee: the law of the debtor's country decides what a fee step charges."""

from __future__ import annotations

import datetime as dt

import pytest

from creditflow import Money
from creditflow._fees import FeeRule, MessageKind, NoFee
from creditflow.errors import CurrencyMismatchError, ValidationError
from creditflow.rules import NlBusinessFee, StatutoryFee

from .factories import fee_context

LETTER = MessageKind.FOURTEEN_DAY_LETTER
FIRST_BE = MessageKind.FIRST_REMINDER_BE
POSTED = dt.date(2026, 3, 3)  # the term runs until 2026-03-19


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def test_is_a_fee_rule() -> None:
    """StatutoryFee satisfies the FeeRule protocol and describes itself."""
    fee = StatutoryFee()
    assert isinstance(fee, FeeRule)
    assert fee.describe() == "Statutory collection costs"


class TestDutchConsumers:
    def test_charged_after_the_letter_term(self) -> None:
        """The day after the letter's 14th day, BIK costs on the open principal are charged."""
        context = fee_context(sent=[(LETTER, POSTED)], today=dt.date(2026, 3, 20))
        assert StatutoryFee().fee(context) == eur("150.00")

    def test_not_charged_on_the_last_day_of_the_term(self) -> None:
        """On the letter's 14th day itself nothing is charged, and the reason names the dates."""
        context = fee_context(sent=[(LETTER, POSTED)], today=dt.date(2026, 3, 19))
        answer = StatutoryFee().fee(context)
        assert isinstance(answer, NoFee)
        assert "2026-03-19" in answer.reason
        assert "2026-03-20" in answer.reason

    def test_not_charged_without_a_letter(self) -> None:
        """Without a 14-day letter a Dutch consumer owes no collection costs."""
        context = fee_context(sent=[(MessageKind.REMINDER, POSTED)], today=dt.date(2026, 6, 1))
        answer = StatutoryFee().fee(context)
        assert isinstance(answer, NoFee)
        assert "14-day letter" in answer.reason

    def test_vat_uplift_needs_a_creditor_that_cannot_deduct(self) -> None:
        """The 21 % uplift is added only when configured and the creditor cannot deduct VAT."""
        after = dt.date(2026, 3, 20)
        sent = [(LETTER, POSTED)]
        deducts = fee_context(sent=sent, today=after, can_deduct_vat=True)
        cannot = fee_context(sent=sent, today=after, can_deduct_vat=False)
        assert StatutoryFee(vat_uplift=True).fee(deducts) == eur("150.00")
        assert StatutoryFee(vat_uplift=True).fee(cannot) == eur("181.50")
        assert StatutoryFee().fee(cannot) == eur("150.00")

    def test_costs_already_charged_count_towards_the_maximum(self) -> None:
        """Costs charged earlier are deducted; once the statutory amount is reached, no more."""
        after = dt.date(2026, 3, 20)
        part = fee_context(sent=[(LETTER, POSTED)], today=after, costs="100.00")
        full = fee_context(sent=[(LETTER, POSTED)], today=after, costs="150.00")
        assert StatutoryFee().fee(part) == eur("50.00")
        answer = StatutoryFee().fee(full)
        assert isinstance(answer, NoFee)
        assert "already" in answer.reason

    def test_consumers_can_be_excluded(self) -> None:
        """With consumers=False a consumer is never charged."""
        context = fee_context(sent=[(LETTER, POSTED)], today=dt.date(2026, 3, 20))
        assert isinstance(StatutoryFee(consumers=False).fee(context), NoFee)


class TestDutchBusinesses:
    def test_flat_40_by_default(self) -> None:
        """A Dutch business owes the EUR 40 fixed compensation, without any letter."""
        context = fee_context(consumer=False, principal="10000.00")
        assert StatutoryFee().fee(context) == eur("40")

    def test_bik_as_an_option(self) -> None:
        """With nl_business=BIK a Dutch business is charged the staffel."""
        context = fee_context(consumer=False, principal="10000.00")
        assert StatutoryFee(nl_business=NlBusinessFee.BIK).fee(context) == eur("875.00")


class TestBelgianConsumers:
    def test_first_reminder_is_free(self) -> None:
        """Before a first reminder was sent, a Belgian consumer owes nothing."""
        context = fee_context(country="BE", today=dt.date(2026, 6, 1))
        answer = StatutoryFee().fee(context)
        assert isinstance(answer, NoFee)
        assert "first reminder" in answer.reason

    def test_not_during_the_waiting_period(self) -> None:
        """On the last day of the waiting period (letter sent 2026-03-02: 03-18) nothing is due."""
        context = fee_context(
            country="BE", sent=[(FIRST_BE, dt.date(2026, 3, 2))], today=dt.date(2026, 3, 18)
        )
        assert isinstance(StatutoryFee().fee(context), NoFee)

    def test_damages_cap_after_the_waiting_period(self) -> None:
        """After the waiting period the damages cap on the open balance is charged."""
        context = fee_context(
            country="BE",
            principal="200.00",
            sent=[(FIRST_BE, dt.date(2026, 3, 2))],
            today=dt.date(2026, 3, 19),
        )
        assert StatutoryFee().fee(context) == eur("35.00")

    def test_email_medium_ends_the_waiting_period_sooner(self) -> None:
        """With e-mail reminders the damages are due from 2026-03-17."""
        context = fee_context(
            country="BE",
            principal="200.00",
            sent=[(FIRST_BE, dt.date(2026, 3, 2))],
            today=dt.date(2026, 3, 17),
        )
        assert StatutoryFee(be_reminder_medium="email").fee(context) == eur("35.00")
        assert isinstance(StatutoryFee().fee(context), NoFee)

    def test_unknown_medium_is_refused(self) -> None:
        """An unknown Belgian reminder medium is refused when the fee is configured."""
        with pytest.raises(ValidationError, match="'fax' is unknown"):
            StatutoryFee(be_reminder_medium="fax")


class TestOtherCountries:
    @pytest.mark.parametrize("country", ["BE", "DE", "FR", "AT", "IT"])
    def test_businesses_owe_40(self, country: str) -> None:
        """Businesses in BE, DE, FR and EU countries without a pack owe EUR 40."""
        assert StatutoryFee().fee(fee_context(country=country, consumer=False)) == eur("40")

    @pytest.mark.parametrize("country", ["DE", "FR", "AT"])
    def test_consumers_owe_nothing(self, country: str) -> None:
        """German, French and other consumers outside NL and BE owe no statutory fee."""
        assert isinstance(StatutoryFee().fee(fee_context(country=country)), NoFee)

    def test_french_consumer_reason_names_the_prohibition(self) -> None:
        """For a French consumer the reason cites art. L111-8 CPCE."""
        answer = StatutoryFee().fee(fee_context(country="FR"))
        assert isinstance(answer, NoFee)
        assert "L111-8" in answer.reason

    @pytest.mark.parametrize("country", ["US", "CH", None])
    def test_outside_the_eu_or_unknown_nothing(self, country: str | None) -> None:
        """Outside the EU, or without an address, no statutory fee is charged."""
        assert isinstance(StatutoryFee().fee(fee_context(country=country, consumer=False)), NoFee)

    def test_countries_limit_the_fee(self) -> None:
        """A fee configured for NL only charges nothing in Germany."""
        context = fee_context(country="DE", consumer=False)
        assert isinstance(StatutoryFee(countries={"nl"}).fee(context), NoFee)

    def test_non_euro_invoice_is_refused(self) -> None:
        """An invoice in USD against a German business is refused: the EUR 40 is in euro."""
        context = fee_context(country="DE", consumer=False, currency="USD")
        with pytest.raises(CurrencyMismatchError, match=r"INV-1.*USD"):
            StatutoryFee().fee(context)

    def test_countries_as_a_string_is_refused(self) -> None:
        """countries='NL' (a string, not a collection) is refused rather than read as N and L."""
        with pytest.raises(TypeError, match="collection"):
            StatutoryFee(countries="NL")
