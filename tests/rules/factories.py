"""Builders for the values rule tests need: debtors, creditors and fee contexts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from creditflow import Account, Address, Creditor, Debtor, DebtorKind, Invoice, Money
from creditflow._fees import FeeContext, InterestContext, MessageKind, SentMessage
from creditflow._parties import Channel
from creditflow.engine._schema import ChargeFee, DunningSchema, SendMessage, Step, Trigger


def debtor(country: str | None = "NL", *, consumer: bool = True) -> Debtor:
    """A consumer (or business) debtor living in *country* (no address when None)."""
    address = None if country is None else Address(street="Straat 1", city="Stad", country=country)
    return Debtor(
        code="D-1",
        kind=DebtorKind.PERSON if consumer else DebtorKind.COMPANY,
        name="Debtor",
        address=address,
    )


def creditor(*, can_deduct_vat: bool = True) -> Creditor:
    """A Dutch creditor."""
    return Creditor(
        key="acme",
        name="Acme BV",
        address=Address(street="Kade 1", city="Amsterdam", country="NL"),
        can_deduct_vat=can_deduct_vat,
    )


def fee_context(
    *,
    principal: str = "1000.00",
    currency: str = "EUR",
    country: str | None = "NL",
    consumer: bool = True,
    today: dt.date = dt.date(2026, 4, 1),
    sent: Sequence[tuple[MessageKind, dt.date]] = (),
    costs: str | None = None,
    can_deduct_vat: bool = True,
) -> FeeContext:
    """A fee context for an invoice of *principal*, with the given messages sent before."""
    amount = Money(principal, currency)
    invoice = Invoice(
        number="INV-1",
        debtor_code="D-1",
        issued_on=dt.date(2026, 1, 1),
        due_on=dt.date(2026, 1, 31),
        currency=currency,
        total=amount,
        vat=Money.zero(currency),
    )
    account = Account.start(amount)
    if costs is not None:
        account = attrs.evolve(account, costs=Money(costs, currency))
    return FeeContext(
        today=today,
        invoice=invoice,
        account=account,
        debtor=debtor(country, consumer=consumer),
        creditor=creditor(can_deduct_vat=can_deduct_vat),
        step_index=len(sent),
        sent=tuple(
            SentMessage(kind=kind, step_index=i, sent_on=day) for i, (kind, day) in enumerate(sent)
        ),
    )


def interest_context(
    *,
    principal: str = "1000.00",
    start: dt.date,
    end: dt.date,
    country: str | None = "NL",
    consumer: bool = True,
    interest_from: dt.date | None = None,
    open_interest: str = "0",
) -> InterestContext:
    """An interest context over ``[start, end)``."""
    return InterestContext(
        principal=Money(principal, "EUR"),
        start=start,
        end=end,
        interest_from=interest_from or start,
        open_interest=Money(open_interest, "EUR"),
        debtor=debtor(country, consumer=consumer),
        creditor=creditor(),
    )


def letter_step(name: str = "letter", *, trigger: Trigger | None = None) -> Step:
    """A step that sends the Dutch 14-day letter."""
    return Step(
        name=name,
        trigger=trigger or Trigger.days_after_due(7),
        actions=[SendMessage(channel=Channel.LETTER, kind=MessageKind.FOURTEEN_DAY_LETTER)],
    )


def reminder_step(name: str = "reminder", *, trigger: Trigger | None = None) -> Step:
    """A step that sends a plain reminder."""
    return Step(
        name=name,
        trigger=trigger or Trigger.days_after_due(3),
        actions=[SendMessage(channel=Channel.EMAIL)],
    )


def fee_step(rule: object, *, trigger: Trigger, name: str = "costs") -> Step:
    """A step that charges *rule*."""
    return Step(name=name, trigger=trigger, actions=[ChargeFee(rule=rule)])  # type: ignore[arg-type]


def schema(*steps: Step) -> DunningSchema:
    """A schema keyed ``nl-consumer`` with *steps*."""
    return DunningSchema(key="nl-consumer", steps=steps)
