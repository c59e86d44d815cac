"""Payment plans through ``CreditManager``: instalments hold the dunning while they are honoured."""

from __future__ import annotations

import datetime as dt

import pytest

import creditflow as cf
from creditflow import events as ev
from creditflow.testing import FakeAgency, ListSink, RecordingChannel, SettableClock

from ..helpers import eur, pay, run_until, setup

AGREED = dt.date(2026, 1, 27)
START = dt.date(2026, 2, 1)


@pytest.fixture
def manager(
    creditflow_manager: cf.CreditManager, creditflow_clock: SettableClock
) -> cf.CreditManager:
    """A manager with INV-1 (121.00) whose first reminder went out, on 27 January 2026."""
    setup(creditflow_manager, ("INV-1", "121.00"))
    run_until(creditflow_manager, creditflow_clock, AGREED)
    return creditflow_manager


def _pay_on_due_dates(
    manager: cf.CreditManager, plan: cf.PaymentPlan, *, skip: tuple[int, ...] = (), late: int = 0
):
    def each_day(today: dt.date) -> None:
        for installment in plan.installments:
            number = installment.number
            if number in skip:
                continue
            if today == installment.due_on + dt.timedelta(days=late if number == 2 else 0):
                pay(manager, plan.lead_invoice, str(installment.amount.amount), today, f"i{number}")

    return each_day


def _dunning_sent(events: ListSink, number: str, after: dt.date) -> list[ev.Event]:
    """The schema's own messages (not the plan's) sent for *number* after *after*."""
    return [
        e
        for e in events.of_type(ev.MessageSent)
        if e.invoice_number == number
        and e.occurred_on > after
        and isinstance(e, ev.MessageSent)
        and "/plan:" not in e.idempotency_key
    ]


class TestKeptPlans:
    def test_plan_kept_to_the_end_settles_the_invoice_without_dunning(
        self,
        manager: cf.CreditManager,
        creditflow_clock: SettableClock,
        creditflow_events: ListSink,
    ) -> None:
        """Three instalments paid on their due dates complete the plan; no reminder goes out."""
        plan = manager.create_payment_plan("INV-1", installments=3, start_on=START)
        assert [i.amount for i in plan.installments] == [eur("40.34"), eur("40.33"), eur("40.33")]
        assert manager.invoice_status("INV-1").status is cf.CaseStatus.PAUSED_BY_PAYMENT_PLAN
        run_until(manager, creditflow_clock, dt.date(2026, 5, 1), _pay_on_due_dates(manager, plan))
        status = manager.payment_plan("INV-1")
        assert status.outcome is cf.PlanOutcome.COMPLETED
        assert manager.invoice_status("INV-1").status is cf.CaseStatus.PAID
        assert len(creditflow_events.of_type(ev.InstallmentDue)) == 3
        assert not creditflow_events.of_type(ev.InstallmentMissed)
        assert len(creditflow_events.of_type(ev.PaymentPlanCompleted)) == 1
        assert _dunning_sent(creditflow_events, "INV-1", AGREED) == []

    def test_invitations_carry_a_link_for_the_instalment(
        self, manager: cf.CreditManager, creditflow_links, creditflow_email: RecordingChannel
    ) -> None:
        """The invitation's payment link asks for the instalment, not the whole invoice."""
        manager.create_payment_plan("INV-1", installments=2, start_on=START)
        manager.run()
        assert creditflow_links.requests[-1].amount == eur("60.50")
        assert "Payment plan PP-INV-1-1" in creditflow_links.requests[-1].description
        assert creditflow_email.sent[-1].kind is cf.MessageKind.PAYMENT_INVITATION

    def test_one_instalment_late_then_cured_keeps_the_plan(
        self,
        manager: cf.CreditManager,
        creditflow_clock: SettableClock,
        creditflow_events: ListSink,
    ) -> None:
        """Instalment 2 is missed, reminded, then paid before default: the plan runs on."""
        plan = manager.create_payment_plan("INV-1", installments=3, start_on=START)
        run_until(
            manager, creditflow_clock, dt.date(2026, 5, 1), _pay_on_due_dates(manager, plan, late=9)
        )
        missed = creditflow_events.of_type(ev.InstallmentMissed)
        assert [e.number for e in missed if isinstance(e, ev.InstallmentMissed)] == [2]
        paid = [
            e
            for e in creditflow_events.of_type(ev.InstallmentPaid)
            if isinstance(e, ev.InstallmentPaid) and e.number == 2
        ]
        assert paid[0].late
        assert paid[0].settled
        assert not creditflow_events.of_type(ev.PaymentPlanDefaulted)
        assert manager.payment_plan("INV-1").outcome is cf.PlanOutcome.COMPLETED

    def test_early_payoff_settles_the_plan_at_once(
        self, manager: cf.CreditManager, creditflow_events: ListSink
    ) -> None:
        """Paying the whole plan total early completes it and settles the invoice."""
        plan = manager.create_payment_plan("INV-1", installments=4, start_on=START)
        pay(manager, "INV-1", "121.00", AGREED, "all")
        assert manager.payment_plan("INV-1").outcome is cf.PlanOutcome.COMPLETED
        assert manager.invoice_status("INV-1").status is cf.CaseStatus.PAID
        paid = creditflow_events.of_type(ev.InstallmentPaid)
        assert [e.number for e in paid if isinstance(e, ev.InstallmentPaid)] == [1, 2, 3, 4]
        assert plan.total == eur("121.00")

    def test_overpayment_is_kept_as_a_credit_balance(self, manager: cf.CreditManager) -> None:
        """Paying more than the plan's total completes it and keeps the rest as credit."""
        manager.create_payment_plan("INV-1", installments=2, start_on=START)
        status = pay(manager, "INV-1", "130.00", AGREED, "more")
        assert status.credit_balance == eur("9.00")
        assert manager.payment_plan("INV-1").outcome is cf.PlanOutcome.COMPLETED

    def test_recording_the_same_payment_twice_counts_once(self, manager: cf.CreditManager) -> None:
        """A retried webhook does not pay an instalment twice."""
        manager.create_payment_plan("INV-1", installments=2, start_on=START)
        pay(manager, "INV-1", "60.50", START, "once")
        pay(manager, "INV-1", "60.50", START, "once")
        assert manager.payment_plan("INV-1").paid_total == eur("60.50")
        with pytest.raises(cf.errors.DuplicateError, match="once"):
            pay(manager, "INV-1", "10.00", START, "once")


class TestDefault:
    def test_defaulted_plan_resumes_dunning_at_the_configured_step(
        self,
        manager: cf.CreditManager,
        creditflow_clock: SettableClock,
        creditflow_events: ListSink,
        creditflow_agency: FakeAgency,
    ) -> None:
        """Unpaid instalments default the plan; the invoice goes on at its final notice."""
        policy = cf.PaymentPlanPolicy(resume_at_step="final notice")
        plan = manager.create_payment_plan("INV-1", installments=3, start_on=START, policy=policy)
        run_until(manager, creditflow_clock, dt.date(2026, 2, 1), _pay_on_due_dates(manager, plan))
        run_until(manager, creditflow_clock, dt.date(2026, 4, 30))
        defaulted = creditflow_events.of_type(ev.PaymentPlanDefaulted)
        assert len(defaulted) == 1
        assert defaulted[0].occurred_on == dt.date(2026, 3, 25)  # 1 March + 7 + 3 + 14 days
        steps = [
            e.step_name
            for e in creditflow_events.of_type(ev.StepExecuted)
            if isinstance(e, ev.StepExecuted) and e.occurred_on > AGREED
        ]
        assert steps == ["final notice", "handover"]
        status = manager.invoice_status("INV-1")
        assert status.open_amount == plan.total - plan.installments[0].amount
        assert len(creditflow_agency.claims) == 1

    def test_default_after_a_number_of_missed_instalments(
        self,
        manager: cf.CreditManager,
        creditflow_clock: SettableClock,
        creditflow_events: ListSink,
    ) -> None:
        """With ``default_after_missed=2`` the second missed instalment ends the plan."""
        policy = cf.PaymentPlanPolicy(default_after_missed=2, default_days_after=None)
        manager.create_payment_plan(
            "INV-1", installments=4, start_on=START, interval=cf.PlanInterval.WEEK, policy=policy
        )
        run_until(manager, creditflow_clock, dt.date(2026, 3, 31))
        defaulted = creditflow_events.of_type(ev.PaymentPlanDefaulted)
        assert len(defaulted) == 1
        assert defaulted[0].occurred_on == dt.date(2026, 2, 15)  # instalment 2 due 8 Feb + 7 days
        assert "2 instalments missed" in defaulted[0].reason

    def test_straight_to_handover_on_default(
        self, manager: cf.CreditManager, creditflow_clock: SettableClock
    ) -> None:
        """Resuming at the handover step sends the invoice straight to the collection agency."""
        policy = cf.PaymentPlanPolicy(resume_at_step="handover")
        manager.create_payment_plan("INV-1", installments=2, start_on=START, policy=policy)
        run_until(manager, creditflow_clock, dt.date(2026, 2, 25))
        assert manager.payment_plan("INV-1").ended_on == dt.date(2026, 2, 25)
        assert manager.invoice_status("INV-1").status is cf.CaseStatus.AT_AGENCY

    def test_terminate_resumes_dunning_where_it_was(
        self, manager: cf.CreditManager, creditflow_clock: SettableClock, creditflow_events
    ) -> None:
        """Terminating a plan lifts the hold; the invoice's next step follows."""
        manager.create_payment_plan("INV-1", installments=2, start_on=START)
        status = manager.terminate_payment_plan("INV-1", reason="debtor asked")
        assert status.outcome is cf.PlanOutcome.TERMINATED
        assert manager.invoice_status("INV-1").status is cf.CaseStatus.ACTIVE
        run_until(manager, creditflow_clock, dt.date(2026, 2, 2))
        steps = creditflow_events.of_type(ev.StepExecuted)
        assert steps[-1].step_name == "second reminder"
        assert steps[-1].occurred_on == dt.date(2026, 2, 2)


class TestSeveralInvoices:
    def test_plan_over_three_invoices(
        self,
        creditflow_manager: cf.CreditManager,
        creditflow_clock: SettableClock,
        creditflow_events: ListSink,
    ) -> None:
        """One plan holds three invoices; payments spread over them and settle all three."""
        setup(creditflow_manager, ("A-1", "100.00"), ("A-2", "50.00"), ("A-3", "30.00"))
        plan = creditflow_manager.create_payment_plan(
            ["A-3", "A-1", "A-2"], installment_amount=eur("70.00"), start_on=dt.date(2026, 1, 20)
        )
        assert plan.invoice_numbers == ("A-1", "A-2", "A-3")
        assert [i.amount for i in plan.installments] == [eur("70.00"), eur("70.00"), eur("40.00")]
        for number in plan.invoice_numbers:
            status = creditflow_manager.invoice_status(number)
            assert status.status is cf.CaseStatus.PAUSED_BY_PAYMENT_PLAN
            assert status.payment_plan == plan.reference
        run_until(
            creditflow_manager,
            creditflow_clock,
            dt.date(2026, 3, 25),
            lambda today: [
                pay(creditflow_manager, "A-3", str(i.amount.amount), today, f"p{i.number}")
                for i in plan.installments
                if i.due_on == today
            ],
        )
        for number in plan.invoice_numbers:
            assert creditflow_manager.invoice_status(number).status is cf.CaseStatus.PAID
        assert creditflow_manager.payment_plan("A-2").outcome is cf.PlanOutcome.COMPLETED
        assert _dunning_sent(creditflow_events, "A-1", dt.date(2026, 1, 5)) == []

    def test_default_of_a_plan_over_two_invoices_resumes_both(
        self,
        creditflow_manager: cf.CreditManager,
        creditflow_clock: SettableClock,
        creditflow_events: ListSink,
    ) -> None:
        """When the plan defaults, every covered invoice leaves the plan and is dunned again."""
        setup(creditflow_manager, ("A-1", "100.00"), ("A-2", "50.00"))
        creditflow_manager.create_payment_plan(
            ["A-1", "A-2"], installments=2, start_on=dt.date(2026, 1, 20)
        )
        run_until(creditflow_manager, creditflow_clock, dt.date(2026, 3, 31))
        for number in ("A-1", "A-2"):
            assert creditflow_manager.invoice_status(number).payment_plan is None
            assert _dunning_sent(creditflow_events, number, dt.date(2026, 2, 1))


class TestSchedule:
    def test_down_payment_and_fee(self, manager: cf.CreditManager) -> None:
        """A down payment is instalment 1, due today; the fee is part of the plan total."""
        plan = manager.create_payment_plan(
            "INV-1",
            installments=2,
            start_on=START,
            down_payment=eur("21.00"),
            fee=eur("5.00"),
        )
        assert plan.total == eur("126.00")
        assert plan.down_payment == eur("21.00")
        first, *rest = plan.installments
        assert (first.due_on, first.is_down_payment) == (AGREED, True)
        assert [i.amount for i in rest] == [eur("52.50"), eur("52.50")]
        assert manager.invoice_status("INV-1").open_costs == eur("5.00")

    def test_monthly_schedule_counts_from_the_anchor(self) -> None:
        """31 January steps to 28 February, 31 March and 30 April, never chained."""
        dates = [cf.PlanInterval.MONTH.nth(dt.date(2026, 1, 31), k) for k in range(4)]
        assert dates == [
            dt.date(2026, 1, 31),
            dt.date(2026, 2, 28),
            dt.date(2026, 3, 31),
            dt.date(2026, 4, 30),
        ]
        assert cf.PlanInterval.QUARTER.nth(dt.date(2024, 11, 30), 1) == dt.date(2025, 2, 28)
        assert cf.PlanInterval.MONTH.nth(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)

    def test_interest_is_frozen_while_the_plan_runs(
        self, creditflow_manager: cf.CreditManager, creditflow_clock: SettableClock
    ) -> None:
        """Interest started before the plan is posted at agreement and does not run during it."""
        creditflow_manager.register_schema(
            cf.DunningSchema(
                key="interest",
                steps=[
                    cf.Step(
                        name="start",
                        trigger=cf.Trigger.days_after_due(1),
                        actions=[cf.StartInterest(rule=cf.FixedRateInterest(annual_percent="10"))],
                    ),
                    cf.Step(
                        name="reminder",
                        trigger=cf.Trigger.days_after_due(60),
                        actions=[cf.SendMessage(channel=cf.Channel.EMAIL)],
                    ),
                ],
            )
        )
        from ..helpers import debtor, invoice

        creditflow_manager.upsert_debtor(debtor())
        creditflow_manager.register_invoice(invoice("I-1", "1000.00"), schema_key="interest")
        run_until(creditflow_manager, creditflow_clock, dt.date(2026, 2, 19))
        plan = creditflow_manager.create_payment_plan(
            "I-1", installments=2, start_on=dt.date(2026, 3, 1)
        )
        assert plan.open_interest.is_positive
        creditflow_clock.advance(days=20)
        status = creditflow_manager.invoice_status("I-1")
        assert status.unposted_interest == eur("0")
        assert status.open_amount == plan.total

    def test_simulate_shows_the_schedule_and_the_default(self, manager: cf.CreditManager) -> None:
        """``simulate`` carries the plan and shows the instalments, the default and the dunning."""
        manager.create_payment_plan("INV-1", installments=2, start_on=START)
        timeline = manager.simulate("INV-1", until=dt.date(2026, 5, 1))
        assert timeline.payment_plan is not None
        assert len(timeline.payment_plan.installments) == 2
        lines = [line for entry in timeline.entries for line in entry.what]
        assert any("instalment 1 of EUR 60.50 due 2026-02-01" in line for line in lines)
        assert any("defaulted" in line for line in lines)
        assert any(entry.step == "handover" for entry in timeline.entries)

    def test_simulate_a_covered_invoice_follows_the_lead(
        self, creditflow_manager: cf.CreditManager
    ) -> None:
        """Simulating the second invoice of a plan shows the plan's default and its dunning."""
        setup(creditflow_manager, ("A-1", "100.00"), ("A-2", "50.00"))
        creditflow_manager.create_payment_plan(
            ["A-1", "A-2"], installments=2, start_on=dt.date(2026, 1, 20)
        )
        timeline = creditflow_manager.simulate("A-2", until=dt.date(2026, 4, 30))
        lines = [line for entry in timeline.entries for line in entry.what]
        assert any("defaulted" in line for line in lines)
        assert any(entry.step == "reminder" for entry in timeline.entries)
