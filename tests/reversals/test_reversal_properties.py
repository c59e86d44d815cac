"""Properties of direct-debit reversals, for any sequence of reason codes and outcomes."""

from __future__ import annotations

import datetime as dt

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

import creditflow as cf
from creditflow import events as ev

from ..helpers import World, debtor, eur, invoice, pay, run_until, schema

DD = "sepa_direct_debit"
CODES = ["AM04", "MS03", "MD06", "AC04", "MS02", "ZZ99"]


def _world(policy: cf.ReCollectionPolicy, total: str = "121.00") -> World:
    world = World()
    world.manager.register_schema(attrs.evolve(schema("dd"), recollection=policy))
    world.manager.upsert_debtor(debtor())
    world.manager.register_invoice(invoice("INV-1", total), schema_key="dd")
    return world


@settings(max_examples=40, deadline=None)
@given(
    max_attempts=st.integers(min_value=0, max_value=3),
    steps=st.lists(st.tuples(st.sampled_from(CODES), st.booleans()), min_size=1, max_size=6),
)
def test_never_more_re_presentments_than_the_policy_allows(
    max_attempts: int, steps: list[tuple[str, bool]]
) -> None:
    """The collector is called at most ``max_attempts`` times per invoice, whatever happens."""
    world = _world(cf.ReCollectionPolicy(max_attempts=max_attempts))
    manager = world.manager
    pay(manager, "INV-1", "121.00", dt.date(2026, 1, 5), "dd-0", method=DD)
    for code, paid in steps:
        status = manager.invoice_status("INV-1")
        submitted = [e for e in manager.history("INV-1") if isinstance(e, ev.ReCollectionSubmitted)]
        if status.status is cf.CaseStatus.PAID:
            amount = status.paid_amount
        elif status.status is cf.CaseStatus.AWAITING_RECOLLECTION and submitted:
            amount = submitted[-1].amount
        else:
            break
        manager.record_direct_debit_reversal(
            "INV-1", amount=amount, reason_code=code, on=manager.today()
        )
        run_until(manager, world.clock, manager.today() + dt.timedelta(days=10))
        collections = world.collector.collections
        if (
            paid
            and collections
            and manager.invoice_status("INV-1").status is (cf.CaseStatus.AWAITING_RECOLLECTION)
        ):
            request = collections[-1]
            reference = f"dd-paid-{len(collections)}"
            pay(manager, "INV-1", str(request.amount.amount), manager.today(), reference, method=DD)
        assert len(world.collector.collections) <= max_attempts
    scheduled = [e for e in manager.history("INV-1") if isinstance(e, ev.ReCollectionScheduled)]
    assert len(scheduled) <= max_attempts
    assert len(world.collector.collections) <= max_attempts


@settings(max_examples=40, deadline=None)
@given(
    total_cents=st.integers(min_value=100, max_value=500_000),
    days=st.integers(min_value=0, max_value=40),
    extra_cents=st.integers(min_value=-99, max_value=2_000),
    fee_cents=st.one_of(st.none(), st.integers(min_value=1, max_value=2_500)),
    code=st.sampled_from(CODES),
)
def test_open_amount_after_a_reversal_is_what_was_open_before_the_payment_plus_the_fee(
    total_cents: int, days: int, extra_cents: int, fee_cents: int | None, code: str
) -> None:
    """A whole reversal restores what was open before the debit, plus any reversal fee."""
    fee = None if fee_cents is None else cf.Money.from_minor_units(fee_cents, "EUR")
    total = cf.Money.from_minor_units(total_cents, "EUR")
    world = _world(cf.ReCollectionPolicy(reversal_fee=fee), str(total.amount))
    manager = world.manager
    run_until(manager, world.clock, dt.date(2026, 1, 19) + dt.timedelta(days=days))
    before = manager.invoice_status("INV-1").open_amount
    amount = max(before + cf.Money.from_minor_units(extra_cents, "EUR"), eur("0.01"))
    pay(manager, "INV-1", str(amount.amount), manager.today(), "dd-0", method=DD)
    after = manager.record_direct_debit_reversal(
        "INV-1", amount=amount, reason_code=code, on=manager.today()
    )
    assert after.open_amount == before + (fee or eur("0"))
    assert after.credit_balance == eur("0")
