"""Properties of payment plans, for any schedule and any pattern of payments."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

import creditflow as cf
from creditflow import events as ev

from ..helpers import World, eur, pay, run_until, setup

AGREED = dt.date(2026, 1, 27)


@given(
    total_units=st.integers(min_value=1, max_value=10_000_000),
    count=st.integers(min_value=1, max_value=60),
    by_amount=st.booleans(),
    down_share=st.one_of(st.none(), st.floats(min_value=0.01, max_value=0.9)),
    interval=st.sampled_from(list(cf.PlanInterval)),
    start=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)),
)
def test_instalments_always_add_up_to_the_plan_total(
    total_units: int,
    count: int,
    by_amount: bool,
    down_share: float | None,
    interval: cf.PlanInterval,
    start: dt.date,
) -> None:
    """Whatever the count, amount or down payment, the instalments sum to the total exactly."""
    from creditflow._plans import build_schedule

    total = cf.Money.from_minor_units(total_units, "EUR")
    down = None
    if down_share is not None and total_units > 1:
        down = cf.Money.from_minor_units(max(1, int(total_units * down_share)), "EUR")
    rest_units = total_units - (down.to_minor_units() if down else 0)
    count = min(count, rest_units)
    kwargs: dict[str, object] = {"count": count}
    if by_amount:
        kwargs = {
            "installment_amount": cf.Money.from_minor_units(max(1, rest_units // count), "EUR")
        }
    schedule = build_schedule(
        total,
        start_on=start,
        interval=interval,
        down_payment=down,
        **kwargs,  # type: ignore[arg-type]
    )
    assert sum((i.amount for i in schedule), cf.Money.zero("EUR")) == total
    assert all(i.amount.is_positive for i in schedule)
    assert [i.number for i in schedule] == list(range(1, len(schedule) + 1))
    dates = [i.due_on for i in schedule if not i.is_down_payment]
    assert dates == sorted(dates)


payments = st.lists(
    st.tuples(st.integers(min_value=0, max_value=120), st.integers(min_value=1, max_value=9000)),
    max_size=6,
)


def _plan_world(invoices: int, count: int) -> tuple[World, cf.PaymentPlan]:
    world = World()
    setup(world.manager, *[(f"INV-{n}", f"{40 + 30 * n}.00") for n in range(1, invoices + 1)])
    run_until(world.manager, world.clock, AGREED)
    plan = world.manager.create_payment_plan(
        [f"INV-{n}" for n in range(1, invoices + 1)],
        installments=count,
        start_on=dt.date(2026, 2, 1),
        interval=cf.PlanInterval.TWO_WEEKS,
        policy=cf.PaymentPlanPolicy(resume_at_step="final notice"),
    )
    return world, plan


@settings(max_examples=25, deadline=None)
@given(
    invoices=st.integers(min_value=1, max_value=3),
    count=st.integers(min_value=1, max_value=5),
    paid=payments,
    payer=st.integers(min_value=1, max_value=3),
)
def test_no_reminder_for_a_planned_invoice_while_the_plan_is_active(
    invoices: int, count: int, paid: list[tuple[int, int]], payer: int
) -> None:
    """While the plan is active only the plan's own messages go out for its invoices."""
    world, plan = _plan_world(invoices, count)
    by_day = {AGREED + dt.timedelta(days=d): cents for d, cents in paid}
    number = f"INV-{min(payer, invoices)}"

    def each_day(today: dt.date) -> None:
        if today in by_day:
            pay(
                world.manager,
                number,
                str(cf.Money.from_minor_units(by_day[today], "EUR").amount),
                today,
                f"p{today}",
            )

    run_until(world.manager, world.clock, AGREED + dt.timedelta(days=120), each_day)
    status = world.manager.payment_plan(plan.lead_invoice)
    ended = status.ended_on or dt.date.max
    for event in world.events.of_type(ev.MessageSent):
        assert isinstance(event, ev.MessageSent)
        if event.invoice_number in plan.invoice_numbers and AGREED <= event.occurred_on < ended:
            assert "/plan:" in event.idempotency_key, event


@settings(max_examples=25, deadline=None)
@given(
    invoices=st.integers(min_value=1, max_value=3),
    count=st.integers(min_value=2, max_value=5),
    paid=payments,
    payer=st.integers(min_value=1, max_value=3),
)
def test_after_default_the_invoices_owe_what_the_plan_left_unpaid(
    invoices: int, count: int, paid: list[tuple[int, int]], payer: int
) -> None:
    """At default, the open amounts across the invoices add up to the plan's unpaid rest."""
    world, plan = _plan_world(invoices, count)
    by_day = {AGREED + dt.timedelta(days=d): min(cents, 3000) for d, cents in paid}
    number = f"INV-{min(payer, invoices)}"
    manager = world.manager
    for _ in range(150):
        today = manager.today()
        if today in by_day:
            amount = cf.Money.from_minor_units(by_day[today], "EUR")
            pay(manager, number, str(amount.amount), today, f"p{today}")
        manager.run()
        status = manager.payment_plan(plan.lead_invoice)
        if status.outcome is not cf.PlanOutcome.ACTIVE:
            break
        world.clock.advance(days=1)
    if status.outcome is cf.PlanOutcome.DEFAULTED:
        open_amounts = [manager.invoice_status(n).open_amount for n in plan.invoice_numbers]
        assert sum(open_amounts, eur("0")) == plan.total - status.paid_total == status.open_total
        for n in plan.invoice_numbers:
            assert manager.invoice_status(n).payment_plan is None
