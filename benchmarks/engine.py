"""Scenario 1: the pure engine (``decide`` + ``evolve``) over N cases, against a bare loop."""

from __future__ import annotations

import datetime as dt

import creditflow as cf
from creditflow.engine import BusinessCalendar, Case, DecisionContext, decide, evolve
from creditflow.events import InvoiceRegistered

from . import _portfolio
from ._timing import best_of

# The same creditor, schema and day as the storage scenarios, so the figures compare.
CREDITOR, SCHEMA, TODAY = _portfolio.CREDITOR, _portfolio.SCHEMA, _portfolio.TODAY
DEBTOR = cf.Debtor(code="D", kind=cf.DebtorKind.PERSON, name="Debtor", email="d@example.nl")


def make_cases(count: int) -> list[Case]:
    """*count* registered cases with due dates spread over 60 days (about 1 in 6 due today)."""
    cases = []
    for index in range(count):
        due = TODAY - dt.timedelta(days=index % 60)
        invoice = cf.Invoice(
            number=f"B{index}",
            debtor_code="D",
            issued_on=due,
            due_on=due,
            currency="EUR",
            total=cf.Money("100.00", "EUR"),
        )
        cases.append(
            evolve(
                None,
                InvoiceRegistered(
                    creditor="bench",
                    invoice_number=invoice.number,
                    sequence=1,
                    occurred_on=due,
                    invoice=invoice,
                    schema_key="bench",
                    schema_version=1,
                ),
            )
        )
    return cases


def run(quick: bool) -> dict[str, object]:
    """Cases decided per second by the engine and by the floor, and their ratio."""
    count = 2_000 if quick else 50_000
    cases = make_cases(count)
    context = DecisionContext(debtor=DEBTOR, creditor=CREDITOR, calendar=BusinessCalendar("NL"))
    offsets = [step.trigger.days for step in SCHEMA.steps]

    def engine() -> int:
        acted = 0
        for case in cases:
            decision = decide(case, SCHEMA, TODAY, context)
            after = case
            for event in decision.events:
                after = evolve(after, event)
            acted += bool(decision.events)
        return acted

    rows = [(c.invoice.due_on, c.step_index, c.last_step_on) for c in cases]

    def floor() -> int:
        # The same due/not-due decision, hand-written over the same data.
        acted = 0
        for due_on, step_index, last_step_on in rows:
            if step_index >= len(offsets):
                continue
            when = due_on + dt.timedelta(days=offsets[step_index])
            if last_step_on is not None and when <= last_step_on:
                when = last_step_on + dt.timedelta(days=1)
            acted += when <= TODAY
        return acted

    assert engine() == floor(), "the floor must make the same decisions as the engine"
    repeat = 3
    engine_s = best_of(repeat, engine)
    floor_s = best_of(repeat, floor)
    return {
        "cases": count,
        "engine_cases_per_s": round(count / engine_s),
        "floor_cases_per_s": round(count / floor_s),
        "ratio_engine_to_floor": round(engine_s / floor_s, 1),
    }
