"""Exactly once, and deterministic: the properties the whole design stands on."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from harness import DUE, Harness
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import creditflow as cf
from creditflow import events as ev
from creditflow.engine import replay

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def portfolio(h: Harness, invoices: int) -> None:
    h.debtor("D1")
    h.debtor("D2", mobile=None, name="Piet")
    for index in range(invoices):
        h.invoice(f"INV-{index}", debtor="D1" if index % 2 else "D2", total=f"{50 + index}.00")


class Crash(BaseException):
    """A process dying in the middle of a run (not an Exception: nothing catches it)."""


@SETTINGS
@given(invoices=st.integers(1, 4), days=st.integers(1, 60))
def test_running_twice_at_the_same_instant_sends_nothing_new(invoices: int, days: int) -> None:
    """A second run at the same moment finds nothing to do."""
    h = Harness()
    portfolio(h, invoices)
    h.run_days(days)
    h.manager.run()
    before = h.outcome()
    events_before = len(h.sink.events)
    report = h.manager.run()
    assert h.outcome() == before
    assert len(h.sink.events) == events_before
    assert report.steps_executed == report.messages_sent == 0


@SETTINGS
@given(invoices=st.integers(1, 4), runs_per_day=st.sampled_from([2, 3, 24]))
def test_running_every_hour_equals_running_once_a_day(invoices: int, runs_per_day: int) -> None:
    """The same messages, fees and agency calls whatever the run frequency."""
    daily, hourly = Harness(), Harness()
    portfolio(daily, invoices)
    portfolio(hourly, invoices)
    daily.run_days(60)
    hourly.run_days(60, runs_per_day=runs_per_day)
    assert daily.outcome() == hourly.outcome()


@SETTINGS
@given(
    invoices=st.integers(1, 4),
    crash_after=st.integers(0, 20),
    where=st.sampled_from(["email", "sms", "letter", "links", "agency"]),
)
def test_a_crash_at_any_point_still_delivers_each_message_exactly_once(
    invoices: int, crash_after: int, where: str
) -> None:
    """Kill the dispatcher after any number of calls, run again: every effect happens once."""
    clean, crashed = Harness(), Harness()
    portfolio(clean, invoices)
    portfolio(crashed, invoices)
    clean.run_days(60)

    fake = getattr(crashed, where)
    original = (
        fake.hand_over if where == "agency" else fake.create if where == "links" else fake.send
    )
    calls = {"n": 0}

    def dying(*args: object, **kwargs: object) -> object:
        result = original(*args, **kwargs)  # the port did its work ...
        calls["n"] += 1
        if calls["n"] == crash_after + 1:
            raise Crash  # ... and the process died before creditflow recorded it
        return result

    attr = "hand_over" if where == "agency" else "create" if where == "links" else "send"
    setattr(fake, attr, dying)
    for _ in range(60):
        try:
            crashed.manager.run()
        except Crash:
            crashed.manager.run()  # the restarted process runs again at the same moment
        crashed.clock.advance(days=1)
    assert crashed.outcome() == clean.outcome()
    for channel in (crashed.email, crashed.sms, crashed.letter):
        keys = [m.idempotency_key for m in channel.sent]
        assert len(keys) == len(set(keys))


@SETTINGS
@given(invoices=st.integers(1, 3), pay_day=st.integers(0, 50), amount=st.integers(1, 20000))
def test_replaying_a_case_rebuilds_the_identical_state(
    invoices: int, pay_day: int, amount: int
) -> None:
    """The stored snapshot equals the fold of the stored events."""
    h = Harness()
    portfolio(h, invoices)
    h.run_days(pay_day)
    h.manager.record_payment(
        "INV-0",
        cf.Payment(
            amount=cf.Money.from_minor_units(amount, "EUR"),
            method="ideal",
            reference="p",
            paid_on=h.today,
        ),
    )
    h.run_days(60 - pay_day)
    for index in range(invoices):
        number = f"INV-{index}"
        with h.store.unit_of_work() as uow:
            snapshot = uow.cases.load("acme", number)
            events = list(uow.cases.events("acme", number))
        assert replay(events) == snapshot
        assert replay(events) == replay(list(events))


def test_simulate_agrees_with_what_run_then_does_day_by_day() -> None:
    """The simulated timeline is what the real runs do, date for date and fee for fee."""
    h = Harness()
    h.debtor()
    h.invoice()
    timeline = h.manager.simulate("INV-1", until=DUE + dt.timedelta(days=60))
    h.run_days(70)
    executed = [(e.occurred_on, e.step_name) for e in h.sink.of_type(ev.StepExecuted)]
    assert [(e.on, e.step) for e in timeline.entries] == executed
    fees = [e.amount for e in h.sink.of_type(ev.FeeCharged)]
    assert [e.fee for e in timeline.entries if e.fee is not None] == fees
    interest = [e.amount for e in h.sink.of_type(ev.InterestAccrued)]
    assert [e.interest for e in timeline.entries if e.interest is not None] == interest
    assert timeline.entries[-1].status is cf.CaseStatus.AT_AGENCY


def test_decide_is_pure() -> None:
    """The same case, schema, day and context give equal decisions, and the case is unchanged."""
    h = Harness()
    h.debtor()
    h.invoice()
    with h.store.unit_of_work() as uow:
        case = uow.cases.load("acme", "INV-1")
        schema = uow.schemas.get("acme", "b2c", 1)
    assert case is not None
    assert schema is not None
    copy = attrs.evolve(case)
    context = cf.engine.DecisionContext(
        debtor=h.manager.debtor("D1"), creditor=h.manager.creditor, calendar=h.manager.calendar
    )
    day = DUE + dt.timedelta(days=7)
    first = cf.engine.decide(case, schema, day, context)
    assert first == cf.engine.decide(case, schema, day, context)
    assert case == copy
    assert [e.type_name for e in first.events] == ["StepExecuted"]


@pytest.mark.parametrize("runs", [1, 2, 5])
def test_event_sequence_numbers_are_gapless_per_invoice(runs: int) -> None:
    """Each invoice's events are numbered 1, 2, 3, ... in the order they were published."""
    h = Harness()
    portfolio(h, 3)
    h.run_days(60, runs_per_day=runs)
    by_invoice: dict[str, list[int]] = {}
    for event in h.sink.events:
        by_invoice.setdefault(event.invoice_number, []).append(event.sequence)
    for sequence in by_invoice.values():
        assert sequence == list(range(1, len(sequence) + 1))
