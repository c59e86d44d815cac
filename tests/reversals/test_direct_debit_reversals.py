"""Reversed direct debits: re-collected where the reason code allows it, dunned where it does not."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

import creditflow as cf
from creditflow import errors
from creditflow import events as ev

from ..helpers import World, debtor, eur, invoice, pay, run_until, schema, setup

DD = "sepa_direct_debit"
DUE = dt.date(2026, 1, 19)


@pytest.fixture
def world() -> World:
    """INV-1 (121.00) paid by direct debit on its due date; the clock on 22 January 2026."""
    world = World()
    setup(world.manager, ("INV-1", "121.00"))
    pay(world.manager, "INV-1", "121.00", DUE, "dd-0", method=DD)
    world.clock.set(dt.datetime(2026, 1, 22, 9, tzinfo=dt.UTC))
    return world


def reverse(world: World, code: str, amount: str = "121.00", reference: str | None = None):
    return world.manager.record_direct_debit_reversal(
        "INV-1",
        amount=eur(amount),
        reason_code=code,
        on=world.manager.today(),
        payment_reference=reference,
    )


def _of(world: World, cls: type[ev.Event]) -> list[ev.Event]:
    return world.events.of_type(cls)


class TestReCollection:
    def test_am04_is_collected_again_and_the_retry_pays(self, world: World) -> None:
        """AM04 re-opens the invoice; the retry five TARGET2 days later settles it."""
        status = reverse(world, "AM04")
        assert status.status is cf.CaseStatus.AWAITING_RECOLLECTION
        assert status.open_amount == eur("121.00")
        scheduled = _of(world, ev.ReCollectionScheduled)[0]
        assert isinstance(scheduled, ev.ReCollectionScheduled)
        assert scheduled.collect_on == dt.date(2026, 1, 29)
        run_until(world.manager, world.clock, dt.date(2026, 1, 27))
        assert world.collector.collections == []  # submitted D-1, not earlier
        run_until(world.manager, world.clock, dt.date(2026, 1, 28))
        (request,) = world.collector.collections
        assert (request.amount, request.collect_on) == (eur("121.00"), dt.date(2026, 1, 29))
        assert request.original_payment_reference == "dd-0"
        status = pay(world.manager, "INV-1", "121.00", dt.date(2026, 1, 29), "dd-1", method=DD)
        assert status.status is cf.CaseStatus.PAID
        assert status.holds == ()

    def test_no_dunning_while_the_re_collection_is_pending(self, world: World) -> None:
        """Reminders wait for the re-collection's outcome (the reversal notice aside)."""
        reverse(world, "AM04")
        run_until(world.manager, world.clock, dt.date(2026, 2, 1))
        kinds = [m.kind for m in world.email.sent]
        assert kinds == [cf.MessageKind.REVERSAL_NOTICE]
        assert world.links.requests[0].methods.disallowed == (DD,)

    def test_am04_until_exhausted_then_dunned_without_direct_debit(self, world: World) -> None:
        """After the policy's two re-presentments fail, direct debit stops and dunning starts."""
        reverse(world, "AM04")
        run_until(world.manager, world.clock, dt.date(2026, 1, 29))
        pay(world.manager, "INV-1", "121.00", dt.date(2026, 1, 29), "dd-1", method=DD)
        world.clock.advance(days=3)
        reverse(world, "AM04", reference="dd-1")
        run_until(world.manager, world.clock, dt.date(2026, 2, 9))
        assert len(world.collector.collections) == 2
        # The second re-collection is rejected before settlement: never recorded as paid.
        status = reverse(world, "AM04")
        assert status.status is cf.CaseStatus.ACTIVE
        assert status.direct_debit_excluded
        exhausted = _of(world, ev.ReCollectionExhausted)
        assert [e.attempts for e in exhausted if isinstance(e, ev.ReCollectionExhausted)] == [2]
        run_until(world.manager, world.clock, dt.date(2026, 2, 20))
        assert len(world.collector.collections) == 2
        reminders = [m for m in world.email.sent if m.kind is cf.MessageKind.REMINDER]
        assert reminders
        assert all(DD in r.methods.disallowed for r in world.links.requests[-1:])

    def test_payday_policy_collects_on_the_next_payday(self) -> None:
        """With ``payday=25`` the re-collection falls on the 25th (rolled to a TARGET2 day)."""
        world = World()
        world.manager.register_schema(
            attrs.evolve(schema("payday"), recollection=cf.ReCollectionPolicy(payday=25))
        )
        world.manager.upsert_debtor(debtor())
        world.manager.register_invoice(invoice("INV-1"), schema_key="payday")
        pay(world.manager, "INV-1", "121.00", DUE, "dd-0", method=DD)
        world.clock.set(dt.datetime(2026, 3, 30, 9, tzinfo=dt.UTC))
        reverse(world, "AM04")
        scheduled = _of(world, ev.ReCollectionScheduled)[0]
        assert isinstance(scheduled, ev.ReCollectionScheduled)
        assert scheduled.collect_on == dt.date(2026, 4, 27)  # the 25th is a Saturday

    def test_re_collection_goes_through_a_sqlite_store(self, tmp_path) -> None:
        """The re-collection's outbox entry is stored by SQLite and submitted D-1."""
        from creditflow.adapters.sqlite import SqliteStore

        world = World(store=SqliteStore(tmp_path / "credit.db"))
        setup(world.manager, ("INV-1", "121.00"))
        pay(world.manager, "INV-1", "121.00", DUE, "dd-0", method=DD)
        world.clock.set(dt.datetime(2026, 1, 22, 9, tzinfo=dt.UTC))
        reverse(world, "AM04")
        run_until(world.manager, world.clock, dt.date(2026, 1, 28))
        (request,) = world.collector.collections
        assert request.collect_on == dt.date(2026, 1, 29)
        assert _of(world, ev.ReCollectionSubmitted)


class TestNotRetried:
    def test_md06_is_never_retried_and_dunned_without_direct_debit(self, world: World) -> None:
        """A refund (MD06) is not collected again: dunning starts with direct debit denied."""
        status = reverse(world, "MD06")
        assert status.status is cf.CaseStatus.ACTIVE
        assert status.direct_debit_excluded
        reversed_ = _of(world, ev.DirectDebitReversed)[0]
        assert isinstance(reversed_, ev.DirectDebitReversed)
        assert (reversed_.reason_code, reversed_.retryable) == ("MD06", False)
        run_until(world.manager, world.clock, dt.date(2026, 1, 27))
        assert world.collector.collections == []
        reminder = [m for m in world.email.sent if m.kind is cf.MessageKind.REMINDER]
        assert len(reminder) == 1
        assert world.links.requests[-1].methods.disallowed == (DD,)

    def test_md06_stays_unretried_even_when_listed(self) -> None:
        """Codes that must never be retried are refused by the policy even if listed."""
        policy = cf.ReCollectionPolicy(retry_codes=["AM04", "MD06", "ac04"])
        assert policy.is_retryable("AM04")
        assert not policy.is_retryable("MD06")
        assert not policy.is_retryable("AC04")

    def test_unknown_codes_are_accepted_kept_and_not_retried(self, world: World) -> None:
        """A code the library does not know is recorded as given and treated as final."""
        reverse(world, "zz99")
        reversed_ = _of(world, ev.DirectDebitReversed)[0]
        assert isinstance(reversed_, ev.DirectDebitReversed)
        assert reversed_.reason_code == "ZZ99"
        assert reversed_.stops_direct_debit

    def test_two_non_retryable_reversals_flag_the_mandate(self, world: World) -> None:
        """A debtor's second reversal that may not be retried flags the mandate."""
        world.manager.register_invoice(invoice("INV-2", "20.00"), schema_key="b2c")
        pay(world.manager, "INV-2", "20.00", DUE, "dd-2", method=DD)
        reverse(world, "AC04")
        assert world.manager.invoice_status("INV-1").mandate_flag is None
        status = world.manager.record_direct_debit_reversal(
            "INV-2", amount=eur("20.00"), reason_code="MD01", on=world.manager.today()
        )
        assert status.mandate_flag is not None
        assert "2 direct-debit reversals" in status.mandate_flag
        assert len(_of(world, ev.MandateFlagged)) == 1

    def test_a_lapsed_mandate_is_flagged_and_not_used(self) -> None:
        """A mandate unused for 36 months is flagged; the invoice is dunned instead."""
        world = World()
        setup(world.manager, ("INV-1", "121.00"))
        pay(world.manager, "INV-1", "121.00", dt.date(2022, 12, 1), "dd-old", method=DD)
        world.clock.set(dt.datetime(2026, 1, 22, 9, tzinfo=dt.UTC))
        status = world.manager.record_direct_debit_reversal(
            "INV-1", amount=eur("121.00"), reason_code="MD01", on=dt.date(2026, 1, 22)
        )
        assert status.mandate_flag is not None
        assert "lapsed" in status.mandate_flag
        assert world.collector.collections == []


class TestAllocation:
    def test_reversal_after_a_fee_was_charged_reopens_costs_and_principal(self) -> None:
        """A paid fee re-opens with the principal; the retry pays costs first again."""
        world = World()
        world.manager.register_schema(
            attrs.evolve(
                schema("fee"), recollection=cf.ReCollectionPolicy(reversal_fee=eur("5.00"))
            )
        )
        world.manager.upsert_debtor(debtor())
        world.manager.register_invoice(invoice("INV-1"), schema_key="fee")
        run_until(world.manager, world.clock, dt.date(2026, 2, 2))
        assert world.manager.invoice_status("INV-1").open_amount == eur("136.00")
        pay(world.manager, "INV-1", "136.00", dt.date(2026, 2, 2), "dd-0", method=DD)
        world.clock.advance(days=2)
        status = reverse(world, "AM04", amount="136.00")
        assert (status.open_principal, status.open_costs) == (eur("121.00"), eur("20.00"))
        reversed_ = _of(world, ev.DirectDebitReversed)[0]
        assert isinstance(reversed_, ev.DirectDebitReversed)
        assert reversed_.unallocated.costs == eur("15.00")
        assert reversed_.unallocated.principal == eur("121.00")
        run_until(world.manager, world.clock, dt.date(2026, 2, 12))
        (request,) = world.collector.collections
        assert request.amount == eur("141.00")
        status = pay(world.manager, "INV-1", "141.00", request.collect_on, "dd-1", method=DD)
        received = _of(world, ev.PaymentReceived)[-1]
        assert isinstance(received, ev.PaymentReceived)
        assert received.allocation.costs == eur("20.00")
        assert status.status is cf.CaseStatus.PAID

    def test_partial_reversal_reopens_part(self, world: World) -> None:
        """Reversing part of a debit re-opens that part only."""
        status = reverse(world, "AM04", amount="21.00")
        assert status.open_amount == eur("21.00")


class TestPlans:
    def test_reversal_of_an_instalment_reopens_it_and_collects_again(self) -> None:
        """An instalment paid by direct debit and reversed is open again until re-collected."""
        world = World()
        setup(world.manager, ("INV-1", "121.00"))
        run_until(world.manager, world.clock, dt.date(2026, 1, 27))
        manager = world.manager
        manager.create_payment_plan("INV-1", installments=2, start_on=dt.date(2026, 2, 1))
        pay(manager, "INV-1", "60.50", dt.date(2026, 2, 1), "dd-i1", method=DD)
        assert manager.payment_plan("INV-1").installments[0].is_paid
        world.clock.set(dt.datetime(2026, 2, 4, 9, tzinfo=dt.UTC))
        reverse(world, "AM04", amount="60.50")
        plan = manager.payment_plan("INV-1")
        assert not plan.installments[0].is_paid
        assert plan.outcome is cf.PlanOutcome.ACTIVE
        assert len(_of(world, ev.InstallmentPaymentReversed)) == 1
        run_until(manager, world.clock, dt.date(2026, 2, 10))
        (request,) = world.collector.collections
        assert request.amount == eur("60.50")
        pay(manager, "INV-1", "60.50", request.collect_on, "dd-r1", method=DD)
        plan = manager.payment_plan("INV-1")
        assert plan.installments[0].is_paid
        assert manager.invoice_status("INV-1").status is cf.CaseStatus.PAUSED_BY_PAYMENT_PLAN

    def test_refused_instalment_is_reminded_without_direct_debit(self) -> None:
        """After an MD06 on an instalment, the plan's reminder link denies direct debit."""
        world = World()
        setup(world.manager, ("INV-1", "121.00"))
        run_until(world.manager, world.clock, dt.date(2026, 1, 27))
        manager = world.manager
        manager.create_payment_plan("INV-1", installments=2, start_on=dt.date(2026, 2, 1))
        pay(manager, "INV-1", "60.50", dt.date(2026, 2, 1), "dd-i1", method=DD)
        world.clock.set(dt.datetime(2026, 2, 4, 9, tzinfo=dt.UTC))
        reverse(world, "MD06", amount="60.50")
        run_until(manager, world.clock, dt.date(2026, 2, 8))
        missed = _of(world, ev.InstallmentMissed)
        assert [e.number for e in missed if isinstance(e, ev.InstallmentMissed)] == [1]
        assert world.links.requests[-1].methods.disallowed == (DD,)


class TestBadInput:
    def test_reversal_larger_than_the_direct_debit(self, world: World) -> None:
        """A reversal above what direct debit paid is refused, naming both amounts."""
        with pytest.raises(errors.ValidationError, match=r"EUR 130\.00.*EUR 121\.00"):
            reverse(world, "AM04", amount="130.00")
        assert world.manager.invoice_status("INV-1").status is cf.CaseStatus.PAID

    def test_reversal_of_an_invoice_never_debited(self) -> None:
        """An invoice paid by iDEAL has no direct debit to reverse."""
        world = World()
        setup(world.manager, ("INV-1", "121.00"))
        pay(world.manager, "INV-1", "121.00", DUE, "ideal-1")
        with pytest.raises(errors.ValidationError, match="never debited"):
            reverse(world, "AM04")
        assert world.manager.invoice_status("INV-1").status is cf.CaseStatus.PAID

    @pytest.mark.parametrize("code", ["AM4", "AM045", "", "AM-4", "AM 4", 1234, None])
    def test_malformed_reason_codes(self, world: World, code: object) -> None:
        """A code that is not four letters or digits is refused, naming it."""
        with pytest.raises(errors.ValidationError, match="reason code"):
            reverse(world, code)  # type: ignore[arg-type]
        assert len(world.manager.history("INV-1")) == 2

    def test_unknown_payment_reference(self, world: World) -> None:
        """Naming a debit that was never recorded is refused, naming the reference."""
        with pytest.raises(errors.ValidationError, match="dd-404"):
            reverse(world, "AM04", reference="dd-404")

    def test_refund_after_eight_weeks(self, world: World) -> None:
        """An MD06 refund more than 8 weeks after the debit is refused."""
        with pytest.raises(errors.ValidationError, match="8 weeks"):
            world.manager.record_direct_debit_reversal(
                "INV-1", amount=eur("121.00"), reason_code="MD06", on=dt.date(2026, 4, 1)
            )
