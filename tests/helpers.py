"""Shared set-up for the scenario tests: a schema, a debtor, invoices and a day-by-day driver."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import creditflow as cf
from creditflow.testing import SettableClock

EUR = "EUR"


def eur(amount: str) -> cf.Money:
    return cf.Money(amount, EUR)


def schema(key: str = "b2c") -> cf.DunningSchema:
    """Reminder, fee with final notice, handover: a plain four-step flow."""
    return cf.DunningSchema(
        key=key,
        steps=[
            cf.Step(
                name="reminder",
                trigger=cf.Trigger.days_after_due(7),
                actions=[cf.SendMessage(channel=cf.Channel.EMAIL)],
            ),
            cf.Step(
                name="second reminder",
                trigger=cf.Trigger.days_after_due(14),
                actions=[
                    cf.SendMessage(channel=cf.Channel.EMAIL),
                    cf.ChargeFee(rule=cf.FixedFee(amount=eur("15.00"))),
                ],
            ),
            cf.Step(
                name="final notice",
                trigger=cf.Trigger.days_after_due(28),
                actions=[
                    cf.SendMessage(channel=cf.Channel.EMAIL, kind=cf.MessageKind.FINAL_NOTICE)
                ],
            ),
            cf.Step(
                name="handover", trigger=cf.Trigger.days_after_due(42), actions=[cf.HandOver()]
            ),
        ],
    )


def debtor(code: str = "d1") -> cf.Debtor:
    return cf.Debtor(
        code=code,
        kind=cf.DebtorKind.PERSON,
        name=f"Debtor {code}",
        email=f"{code}@example.nl",
        locale="nl-NL",
        address=cf.Address(
            street="Dorpsstraat 1", postal_code="1234 AB", city="Utrecht", country="NL"
        ),
    )


def invoice(
    number: str,
    total: str = "121.00",
    *,
    debtor_code: str = "d1",
    issued_on: dt.date = dt.date(2026, 1, 5),
    due_on: dt.date = dt.date(2026, 1, 19),
    currency: str = EUR,
) -> cf.Invoice:
    return cf.Invoice(
        number=number,
        debtor_code=debtor_code,
        issued_on=issued_on,
        due_on=due_on,
        currency=currency,
        total=cf.Money(total, currency),
        vat=cf.Money("0", currency),
    )


def setup(manager: cf.CreditManager, *numbers_and_totals: tuple[str, str]) -> None:
    """Register the schema, debtor ``d1`` and the given invoices."""
    manager.register_schema(schema())
    manager.upsert_debtor(debtor())
    for number, total in numbers_and_totals:
        manager.register_invoice(invoice(number, total), schema_key="b2c")


def run_until(
    manager: cf.CreditManager,
    clock: SettableClock,
    until: dt.date,
    each_day: Callable[[dt.date], None] | None = None,
) -> None:
    """Run the manager once a day up to and including *until*, calling *each_day* before a run."""
    while True:
        today = manager.today()
        if each_day is not None:
            each_day(today)
        manager.run()
        if today >= until:
            return
        clock.advance(days=1)


def pay(
    manager: cf.CreditManager,
    number: str,
    amount: str,
    on: dt.date,
    reference: str,
    method: str = "ideal",
) -> cf.InvoiceStatus:
    return manager.record_payment(
        number, cf.Payment(amount=eur(amount), method=method, reference=reference, paid_on=on)
    )


class World:
    """A manager wired to fresh fakes (for Hypothesis tests, which cannot use function fixtures)."""

    def __init__(self, *, with_collector: bool = True, store: Any = None) -> None:
        from creditflow.testing import (
            FakeAgency,
            FakePaymentLinks,
            InMemoryStore,
            ListSink,
            RecordingChannel,
            RecordingCollector,
        )

        self.clock = SettableClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
        self.email = RecordingChannel(cf.Channel.EMAIL)
        self.links = FakePaymentLinks()
        self.agency = FakeAgency()
        self.collector = RecordingCollector()
        self.events = ListSink()
        self.manager = cf.CreditManager(
            creditor=cf.Creditor(
                key="acme",
                name="Acme B.V.",
                address=cf.Address(
                    street="Keizersgracht 1", postal_code="1015 CJ", city="Amsterdam", country="NL"
                ),
            ),
            store=InMemoryStore() if store is None else store,
            channels={cf.Channel.EMAIL: self.email},
            payment_links=self.links,
            collector=self.collector if with_collector else None,
            agency=self.agency,
            events=self.events,
            clock=self.clock,
            send_window=None,
        )
