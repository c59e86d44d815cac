"""A small harness: a manager on the fakes with the three-step consumer schema."""

from __future__ import annotations

import datetime as dt

import creditflow as cf
from creditflow.testing import (
    FakeAgency,
    FakePaymentLinks,
    InMemoryStore,
    ListSink,
    RecordingChannel,
    SettableClock,
)

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
ISSUED = dt.date(2026, 1, 5)
DUE = dt.date(2026, 1, 19)


def eur(amount: str) -> cf.Money:
    return cf.Money(amount, "EUR")


def consumer_schema(version: int = 1, fee: str = "5.00") -> cf.DunningSchema:
    """E-mail at +7, SMS with a fixed fee at +14, letter with interest at +28, handover at +42."""
    return cf.DunningSchema(
        key="b2c",
        version=version,
        steps=[
            cf.Step(
                name="reminder",
                trigger=cf.Trigger.days_after_due(7),
                actions=[cf.SendMessage(channel=cf.Channel.EMAIL)],
            ),
            cf.Step(
                name="sms",
                trigger=cf.Trigger.days_after_due(14),
                actions=[
                    cf.SendMessage(channel=cf.Channel.SMS, fallbacks=[cf.Channel.EMAIL]),
                    cf.ChargeFee(rule=cf.FixedFee(amount=eur(fee))),
                ],
            ),
            cf.Step(
                name="letter",
                trigger=cf.Trigger.days_after_due(28),
                actions=[
                    cf.SendMessage(channel=cf.Channel.LETTER, kind=cf.MessageKind.FINAL_NOTICE),
                    cf.StartInterest(rule=cf.FixedRateInterest(annual_percent="8")),
                ],
            ),
            cf.Step(
                name="handover", trigger=cf.Trigger.days_after_due(42), actions=[cf.HandOver()]
            ),
        ],
    )


class Harness:
    """A creditor with fakes for every port; ``day(n)`` runs the manager once a day."""

    def __init__(self, *, store: InMemoryStore | None = None) -> None:
        self.clock = SettableClock(START)
        self.store = store if store is not None else InMemoryStore()
        self.email = RecordingChannel(cf.Channel.EMAIL)
        self.sms = RecordingChannel(cf.Channel.SMS)
        self.letter = RecordingChannel(cf.Channel.LETTER)
        self.links = FakePaymentLinks()
        self.agency = FakeAgency()
        self.sink = ListSink()
        self.manager = cf.CreditManager(
            creditor=cf.Creditor(
                key="acme",
                name="Acme B.V.",
                address=cf.Address(
                    street="Keizersgracht 1", postal_code="1015 CJ", city="Amsterdam", country="NL"
                ),
            ),
            store=self.store,
            channels={
                cf.Channel.EMAIL: self.email,
                cf.Channel.SMS: self.sms,
                cf.Channel.LETTER: self.letter,
            },
            payment_links=self.links,
            agency=self.agency,
            events=self.sink,
            clock=self.clock,
            send_window=None,
        )
        self.manager.register_schema(consumer_schema())

    def debtor(self, code: str = "D1", **fields: object) -> cf.Debtor:
        values: dict[str, object] = {
            "code": code,
            "kind": cf.DebtorKind.PERSON,
            "name": "Jan Jansen",
            "email": "jan@example.nl",
            "mobile": "+31612345678",
            "locale": "nl-NL",
            "address": cf.Address(
                street="Dorpsstraat 1", postal_code="3511 AA", city="Utrecht", country="NL"
            ),
        }
        values.update(fields)
        debtor = cf.Debtor(**values)  # type: ignore[arg-type]
        self.manager.upsert_debtor(debtor)
        return debtor

    def invoice(
        self, number: str = "INV-1", total: str = "121.00", debtor: str = "D1", **kwargs: object
    ) -> cf.InvoiceStatus:
        return self.manager.register_invoice(
            cf.Invoice(
                number=number,
                debtor_code=debtor,
                issued_on=ISSUED,
                due_on=DUE,
                currency="EUR",
                total=eur(total),
            ),
            schema_key="b2c",
            **kwargs,
        )  # type: ignore[arg-type]

    @property
    def today(self) -> dt.date:
        return self.manager.today()

    def run_days(self, days: int, *, runs_per_day: int = 1) -> None:
        """Run the manager *runs_per_day* times a day (evenly spread) for *days* days."""
        step = dt.timedelta(hours=24 / runs_per_day)
        for _ in range(days):
            for _ in range(runs_per_day):
                self.manager.run()
                self.clock.advance(step)

    def until(self, date: dt.date) -> None:
        """Run once a day up to and including *date*."""
        while self.today <= date:
            self.manager.run()
            self.clock.advance(days=1)

    def pay(self, amount: str, reference: str = "p1", number: str = "INV-1") -> cf.InvoiceStatus:
        return self.manager.record_payment(
            number,
            cf.Payment(amount=eur(amount), method="ideal", reference=reference, paid_on=self.today),
        )

    def outcome(self) -> tuple[object, ...]:
        """What the outside world saw: messages per channel, fees, handovers."""
        fees = [
            (e.invoice_number, e.occurred_on, e.amount)
            for e in self.sink.of_type(cf.events.FeeCharged)
        ]
        return (
            sorted(m.idempotency_key for m in self.email.sent),
            sorted(m.idempotency_key for m in self.sms.sent),
            sorted(m.idempotency_key for m in self.letter.sent),
            sorted(fees),  # type: ignore[type-var]
            sorted(c.idempotency_key for c in self.agency.claims),
        )
