"""Bad input to ``create_payment_plan``: a clear error naming the value, and nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest

import creditflow as cf
from creditflow import errors

from ..helpers import debtor, eur, invoice, pay, setup

START = dt.date(2026, 2, 1)


@pytest.fixture
def manager(creditflow_manager: cf.CreditManager) -> cf.CreditManager:
    """INV-1 and INV-2 of debtor d1, INV-3 of debtor d2, INV-USD in dollars."""
    setup(creditflow_manager, ("INV-1", "121.00"), ("INV-2", "50.00"))
    creditflow_manager.upsert_debtor(debtor("d2"))
    creditflow_manager.register_invoice(invoice("INV-3", debtor_code="d2"), schema_key="b2c")
    creditflow_manager.register_invoice(
        invoice("INV-USD", "10.00", currency="USD"), schema_key="b2c"
    )
    return creditflow_manager


def _unchanged(manager: cf.CreditManager, *numbers: str) -> None:
    for number in numbers:
        status = manager.invoice_status(number)
        assert status.payment_plan is None
        assert status.status is cf.CaseStatus.ACTIVE
        assert len(status.history) == 1


@pytest.mark.parametrize(
    ("numbers", "kwargs", "error", "names"),
    [
        (["INV-1", "INV-3"], {"installments": 2}, errors.ValidationError, "d2"),
        (["INV-1", "INV-USD"], {"installments": 2}, errors.CurrencyMismatchError, "USD"),
        (["INV-1"], {"installments": 0}, errors.ValidationError, "0"),
        (["INV-1"], {"installments": -3}, errors.ValidationError, "-3"),
        (["INV-1"], {"installment_amount": eur("-5.00")}, errors.ValidationError, "-5.00"),
        (["INV-1"], {"installment_amount": eur("0.00")}, errors.ValidationError, "0.00"),
        (["INV-1"], {}, errors.ValidationError, "installments"),
        (
            ["INV-1"],
            {"installments": 2, "installment_amount": eur("10.00")},
            errors.ValidationError,
            "not both",
        ),
        (
            ["INV-1"],
            {"installments": 2, "down_payment": eur("121.00")},
            errors.ValidationError,
            "121.00",
        ),
        (["INV-1"], {"installments": 2, "fee": eur("-1.00")}, errors.ValidationError, "-1.00"),
        (["INV-1", "INV-1"], {"installments": 2}, errors.ValidationError, "INV-1"),
        ([], {"installments": 2}, errors.ValidationError, "at least one"),
        (["NOPE"], {"installments": 2}, errors.NotFoundError, "NOPE"),
    ],
)
def test_bad_plans_are_refused(
    manager: cf.CreditManager,
    numbers: list[str],
    kwargs: dict[str, object],
    error: type[Exception],
    names: str,
) -> None:
    """Each bad request raises an error naming the value; no invoice changes."""
    with pytest.raises(error, match=names.replace("+", r"\+")):
        manager.create_payment_plan(numbers, start_on=START, **kwargs)  # type: ignore[arg-type]
    _unchanged(manager, "INV-1", "INV-2", "INV-3")


def test_start_date_in_the_past_beyond_the_tolerance(manager: cf.CreditManager) -> None:
    """A start date more than ``backdate_days`` ago is refused, naming both dates."""
    with pytest.raises(errors.ValidationError, match="2025-12-28"):
        manager.create_payment_plan("INV-1", installments=2, start_on=dt.date(2025, 12, 28))
    plan = manager.create_payment_plan("INV-1", installments=2, start_on=dt.date(2025, 12, 29))
    assert plan.start_on == dt.date(2025, 12, 29)


def test_paid_invoice_is_refused(manager: cf.CreditManager) -> None:
    """A paid invoice cannot be put in a plan."""
    pay(manager, "INV-2", "50.00", dt.date(2026, 1, 5), "p")
    with pytest.raises(errors.InvalidStateError, match=r"INV-2.*paid"):
        manager.create_payment_plan(["INV-1", "INV-2"], installments=2, start_on=START)
    _unchanged(manager, "INV-1")


def test_stopped_invoice_is_refused(manager: cf.CreditManager) -> None:
    """A stopped invoice cannot be put in a plan."""
    manager.stop_invoice("INV-2", reason="settled elsewhere")
    with pytest.raises(errors.InvalidStateError, match=r"INV-2.*stopped"):
        manager.create_payment_plan(["INV-1", "INV-2"], installments=2, start_on=START)
    _unchanged(manager, "INV-1")


def test_two_active_plans_on_one_invoice_are_refused(manager: cf.CreditManager) -> None:
    """An invoice is in at most one active plan; after termination a new one may start."""
    manager.create_payment_plan("INV-1", installments=2, start_on=START)
    with pytest.raises(errors.InvalidStateError, match="PP-INV-1-1"):
        manager.create_payment_plan(["INV-2", "INV-1"], installments=2, start_on=START)
    _unchanged(manager, "INV-2")
    manager.terminate_payment_plan("INV-1", reason="renegotiated")
    plan = manager.create_payment_plan(["INV-2", "INV-1"], installments=2, start_on=START)
    assert plan.reference == "PP-INV-1-2"


def test_verbs_that_would_break_a_plan_are_refused(manager: cf.CreditManager) -> None:
    """Credit notes, stop and write-off wait until the plan is terminated."""
    manager.create_payment_plan("INV-1", installments=2, start_on=START)
    note = cf.CreditNote(
        number="CN-1", invoice_number="INV-1", issued_on=dt.date(2026, 1, 5), amount=eur("10.00")
    )
    with pytest.raises(errors.InvalidStateError, match="PP-INV-1-1"):
        manager.create_credit_note(note)
    with pytest.raises(errors.InvalidStateError, match="terminate"):
        manager.stop_invoice("INV-1", reason="x")


def test_terminating_an_invoice_without_a_plan_is_refused(manager: cf.CreditManager) -> None:
    """``terminate_payment_plan`` names the invoice that has no active plan."""
    with pytest.raises(errors.InvalidStateError, match="INV-1"):
        manager.terminate_payment_plan("INV-1", reason="x")


def test_policy_must_be_able_to_default() -> None:
    """A policy without any default rule is refused."""
    with pytest.raises(errors.ValidationError, match="default"):
        cf.PaymentPlanPolicy(default_days_after=None, default_after_missed=None)


def test_resume_step_must_exist_in_every_schema(manager: cf.CreditManager) -> None:
    """A policy resuming at a step the invoice's schema lacks is refused, naming the step."""
    policy = cf.PaymentPlanPolicy(resume_at_step="no such step")
    with pytest.raises(errors.ValidationError, match="no such step"):
        manager.create_payment_plan("INV-1", installments=2, start_on=START, policy=policy)
    _unchanged(manager, "INV-1")
