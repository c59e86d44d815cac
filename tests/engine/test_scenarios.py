"""Real dunning scenarios through CreditManager with the in-memory fakes."""

from __future__ import annotations

import datetime as dt

import pytest
from harness import DUE, Harness, consumer_schema, eur

import creditflow as cf
from creditflow import events as ev
from creditflow.errors import (
    CurrencyMismatchError,
    DuplicateError,
    InvalidStateError,
    NotFoundError,
    SchemaError,
    ValidationError,
)


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    harness.debtor()
    return harness


def days_after_due(n: int) -> dt.date:
    return DUE + dt.timedelta(days=n)


class TestThreeStepConsumerFlow:
    def test_unpaid_invoice_gets_email_sms_fee_letter_then_handover_over_60_days(
        self, h: Harness
    ) -> None:
        """Each step runs on its date, once, and the case ends at the agency."""
        h.invoice()
        h.run_days(60)
        assert [m.kind for m in h.email.sent] == [cf.MessageKind.REMINDER]
        assert len(h.sms.sent) == 1
        assert len(h.letter.sent) == 1
        executed = {e.step_name: e.occurred_on for e in h.sink.of_type(ev.StepExecuted)}
        assert executed == {
            "reminder": days_after_due(7),
            "sms": days_after_due(14),
            "letter": days_after_due(28),
            "handover": days_after_due(42),
        }
        status = h.manager.invoice_status("INV-1")
        assert status.status is cf.CaseStatus.AT_AGENCY
        assert status.open_costs == eur("5.00")
        assert status.open_interest.is_positive
        assert len(h.agency.claims) == 1
        assert h.agency.claims[0].open_costs == eur("5.00")

    def test_every_message_carries_a_payment_link_for_the_open_amount(self, h: Harness) -> None:
        """Links are created through the port with the amount open at the step."""
        h.invoice()
        h.until(days_after_due(14))
        assert [r.amount for r in h.links.requests] == [eur("121.00"), eur("126.00")]
        assert all(m.payment_url and m.payment_url in m.text for m in h.email.sent + h.sms.sent)

    def test_paid_halfway_stops_all_further_steps(self, h: Harness) -> None:
        """A full payment after the first reminder ends dunning: no SMS, no fee."""
        h.invoice()
        h.until(days_after_due(10))
        status = h.pay("121.00")
        assert status.status is cf.CaseStatus.PAID
        assert status.next_action_on is None
        h.run_days(50)
        assert len(h.email.sent) == 1
        assert h.sms.sent == []
        assert h.agency.claims == []

    def test_partly_paid_invoice_continues_with_the_new_open_amount(self, h: Harness) -> None:
        """A partial payment re-anchors nothing: the next step comes on time, for what is left."""
        h.invoice()
        h.until(days_after_due(10))
        h.pay("100.00")
        h.until(days_after_due(14))
        assert h.links.requests[-1].amount == eur("26.00")  # 21.00 open + 5.00 fee
        assert h.manager.invoice_status("INV-1").open_amount == eur("26.00")

    def test_payment_after_the_fee_pays_the_fee_first(self, h: Harness) -> None:
        """Art. 6:44 BW: costs, then interest, then principal."""
        h.invoice()
        h.until(days_after_due(14))
        status = h.pay("10.00")
        assert (status.open_costs, status.open_principal) == (eur("0"), eur("116.00"))

    def test_credited_in_full_settles_and_stops_dunning(self, h: Harness) -> None:
        """A credit note for all that is open ends the case as credited."""
        h.invoice()
        h.until(days_after_due(8))
        status = h.manager.create_credit_note(
            cf.CreditNote(
                number="CN-1", invoice_number="INV-1", issued_on=h.today, amount=eur("121.00")
            )
        )
        assert status.status is cf.CaseStatus.CREDITED
        h.run_days(40)
        assert h.sms.sent == []

    def test_credit_note_larger_than_the_open_principal_is_refused(self, h: Harness) -> None:
        """The error names both amounts, and nothing changes."""
        h.invoice()
        h.pay("100.00")
        with pytest.raises(
            ValidationError, match=r"EUR 50\.00 exceeds the open principal EUR 21\.00"
        ):
            h.manager.create_credit_note(
                cf.CreditNote(
                    number="CN-1", invoice_number="INV-1", issued_on=h.today, amount=eur("50.00")
                )
            )
        assert h.manager.invoice_status("INV-1").open_amount == eur("21.00")

    def test_paused_with_an_end_date_resumes_by_itself_and_keeps_the_spacing(
        self, h: Harness
    ) -> None:
        """Steps due while paused run after the pause; the next keep their distance."""
        h.invoice()
        h.until(days_after_due(7))
        h.manager.pause_invoice("INV-1", reason="customer called", until=days_after_due(20))
        assert h.manager.invoice_status("INV-1").status is cf.CaseStatus.PAUSED
        h.until(days_after_due(19))
        assert h.sms.sent == []
        h.until(days_after_due(40))
        executed = {e.step_name: e.occurred_on for e in h.sink.of_type(ev.StepExecuted)}
        assert executed["sms"] == days_after_due(20)
        assert executed["letter"] == days_after_due(34)  # 14 days after the delayed SMS, as planned
        assert h.sink.of_type(ev.CaseResumed)[0].occurred_on == days_after_due(20)

    def test_paused_debtor_holds_all_invoices_including_new_ones(self, h: Harness) -> None:
        """A debtor-wide pause covers invoices registered while it lasts."""
        h.invoice("INV-1")
        h.manager.pause_debtor("D1", reason="bankruptcy check")
        h.invoice("INV-2")
        h.run_days(30)
        assert h.email.sent == []
        assert h.manager.invoice_status("INV-2").status is cf.CaseStatus.PAUSED
        h.manager.resume_debtor("D1")
        h.run_days(1)
        assert len(h.email.sent) == 2

    def test_missing_email_pauses_for_validation_until_the_debtor_is_fixed(self) -> None:
        """A step that cannot reach the debtor pauses the case, visibly; adding the address resumes it."""
        h = Harness()
        h.debtor(email=None, mobile=None)
        h.invoice()
        h.until(days_after_due(8))
        status = h.manager.invoice_status("INV-1")
        assert status.status is cf.CaseStatus.PAUSED_DUE_TO_VALIDATION
        assert "cannot be reached on email" in status.holds[0].reason
        h.debtor(email="jan@example.nl")
        h.run_days(1)
        assert len(h.email.sent) == 1
        assert h.manager.invoice_status("INV-1").status is cf.CaseStatus.ACTIVE

    def test_schema_changed_while_in_flight_keeps_the_old_version(self, h: Harness) -> None:
        """Version 2 applies to new invoices only; a running invoice keeps version 1."""
        h.invoice("INV-1")
        h.until(days_after_due(8))
        h.manager.register_schema(consumer_schema(version=2, fee="9.00"))
        h.invoice("INV-2")
        h.until(days_after_due(15))
        fees = {e.invoice_number: e.amount for e in h.sink.of_type(ev.FeeCharged)}
        assert fees["INV-1"] == eur("5.00")
        assert h.manager.invoice_status("INV-2").schema_version == 2

    def test_sms_falls_back_to_email_when_the_debtor_has_no_mobile(self) -> None:
        """The fallback channel is used and the event says why."""
        h = Harness()
        h.debtor(mobile=None)
        h.invoice()
        h.until(days_after_due(14))
        assert len(h.email.sent) == 2
        assert h.sms.sent == []

    def test_failing_channel_is_retried_with_back_off_then_falls_back(self, h: Harness) -> None:
        """Four failed SMS attempts, then the e-mail fallback; nothing is lost."""
        h.invoice()
        h.until(days_after_due(13))
        h.sms.fail_next(10)
        h.run_days(2, runs_per_day=24)
        failures = h.sink.of_type(ev.MessageFailed)
        assert len(failures) == 4
        assert [m.kind for m in h.email.sent].count(cf.MessageKind.REMINDER) == 2
        assert h.sink.of_type(ev.SentViaFallback)

    def test_stopped_invoice_gets_nothing_more(self, h: Harness) -> None:
        """Stop ends dunning for good; a later resume is refused."""
        h.invoice()
        h.manager.stop_invoice("INV-1", reason="goodwill")
        h.run_days(60)
        assert h.email.sent == []
        with pytest.raises(InvalidStateError, match="ended"):
            h.manager.pause_invoice("INV-1", reason="x")

    def test_dispute_holds_dunning_until_resolved(self, h: Harness) -> None:
        """A disputed invoice waits; resolving it continues where it was."""
        h.invoice()
        h.manager.open_dispute("INV-1", reason="goods damaged")
        h.until(days_after_due(10))
        assert h.manager.invoice_status("INV-1").status is cf.CaseStatus.PAUSED_BY_DISPUTE
        h.manager.resolve_dispute("INV-1")
        h.run_days(1)
        assert len(h.email.sent) == 1

    def test_threshold_skips_a_step_below_the_minimum_open_amount(self) -> None:
        """A step with min_open_amount does nothing for small balances."""
        h = Harness()
        h.manager.register_schema(
            cf.DunningSchema(
                key="b2c",
                version=2,
                steps=[
                    cf.Step(
                        name="reminder",
                        trigger=cf.Trigger.days_after_due(7),
                        actions=[cf.SendMessage(channel=cf.Channel.EMAIL)],
                        min_open_amount=eur("50"),
                    ),
                ],
            )
        )
        h.debtor()
        h.invoice(total="20.00")
        h.run_days(30)
        assert h.email.sent == []
        assert h.sink.of_type(ev.StepSkipped)

    def test_max_step_cuts_the_schema_short(self, h: Harness) -> None:
        """With max_step=1 only the first step ever runs."""
        h.invoice(max_step=1)
        h.run_days(60)
        assert len(h.email.sent) == 1
        assert h.sms.sent == []


class TestBadInput:
    def test_unknown_schema_key(self, h: Harness) -> None:
        """Registering an invoice on a schema that does not exist names the key."""
        with pytest.raises(NotFoundError, match="'nope'"):
            h.manager.register_invoice(
                cf.Invoice(
                    number="X",
                    debtor_code="D1",
                    issued_on=dt.date(2026, 1, 5),
                    due_on=DUE,
                    currency="EUR",
                    total=eur("1"),
                ),
                schema_key="nope",
            )

    def test_invoice_registered_twice(self, h: Harness) -> None:
        """The same number twice is refused and the first stays as it was."""
        h.invoice()
        with pytest.raises(DuplicateError, match="INV-1"):
            h.invoice(total="999.00")
        assert h.manager.invoice_status("INV-1").open_amount == eur("121.00")

    def test_payment_for_an_unknown_invoice(self, h: Harness) -> None:
        """The error names the invoice and says what to do."""
        with pytest.raises(NotFoundError, match=r"'NOPE'.*register_invoice"):
            h.pay("1.00", number="NOPE")

    def test_payment_in_another_currency(self, h: Harness) -> None:
        """A USD payment on a EUR invoice is refused; nothing is recorded."""
        h.invoice()
        with pytest.raises(CurrencyMismatchError, match="USD"):
            h.manager.record_payment(
                "INV-1",
                cf.Payment(
                    amount=cf.Money("10", "USD"), method="card", reference="p", paid_on=h.today
                ),
            )
        assert len(h.manager.history("INV-1")) == 1

    def test_the_same_payment_twice_counts_once(self, h: Harness) -> None:
        """A retried webhook with the same payment is harmless; other details are refused."""
        h.invoice()
        h.pay("10.00")
        h.pay("10.00")
        assert h.manager.invoice_status("INV-1").open_amount == eur("111.00")
        with pytest.raises(DuplicateError, match="p1"):
            h.pay("20.00")

    def test_resume_of_an_invoice_that_is_not_paused(self, h: Harness) -> None:
        """Resuming a running invoice is an error naming its status."""
        h.invoice()
        with pytest.raises(InvalidStateError, match=r"not paused.*active"):
            h.manager.resume_invoice("INV-1")

    def test_unknown_debtor(self, h: Harness) -> None:
        """An invoice for a debtor that was never upserted is refused."""
        with pytest.raises(NotFoundError, match="upsert_debtor"):
            h.invoice(debtor="GHOST")

    def test_schema_needing_a_port_the_manager_lacks(self) -> None:
        """A channel without an adapter is refused when the schema is registered."""
        manager = cf.CreditManager(creditor=Harness().manager.creditor, store=Harness().store)
        with pytest.raises(SchemaError, match="no adapter"):
            manager.register_schema(consumer_schema())

    def test_changed_schema_with_the_same_version(self, h: Harness) -> None:
        """A changed schema must get a new version; the same one again is a no-op."""
        h.manager.register_schema(consumer_schema())
        with pytest.raises(SchemaError, match="version 2"):
            h.manager.register_schema(consumer_schema(fee="6.00"))

    def test_naive_now_is_refused(self, h: Harness) -> None:
        """run(now) needs an aware datetime."""
        with pytest.raises(ValidationError, match="time zone"):
            h.manager.run(dt.datetime(2026, 1, 1, 9))
