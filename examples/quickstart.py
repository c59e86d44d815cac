"""A minimal embedding: one creditor, one schema, one unpaid invoice, sixty days of dunning.

Runs on the in-memory fakes so it needs nothing but creditflow; swap the store and channels for
real adapters (SQLite, SMTP, ...) in a host application.
"""

import datetime as dt

import creditflow as cf
from creditflow.testing import FakePaymentLinks, InMemoryStore, RecordingChannel, SettableClock

clock = SettableClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
email, sms = RecordingChannel(cf.Channel.EMAIL), RecordingChannel(cf.Channel.SMS)
manager = cf.CreditManager(
    creditor=cf.Creditor(
        key="acme",
        name="Acme B.V.",
        address=cf.Address(
            street="Keizersgracht 1", postal_code="1015 CJ", city="Amsterdam", country="NL"
        ),
    ),
    store=InMemoryStore(),
    channels={cf.Channel.EMAIL: email, cf.Channel.SMS: sms},
    payment_links=FakePaymentLinks(),
    clock=clock,
)
manager.register_schema(
    cf.DunningSchema(
        key="consumer",
        steps=[
            cf.Step(
                name="reminder",
                trigger=cf.Trigger.days_after_due(7),
                actions=[cf.SendMessage(channel=cf.Channel.EMAIL)],
            ),
            cf.Step(
                name="second reminder",
                trigger=cf.Trigger.days_after_due(21),
                actions=[
                    cf.SendMessage(channel=cf.Channel.SMS, fallbacks=[cf.Channel.EMAIL]),
                    cf.ChargeFee(rule=cf.FixedFee(amount=cf.Money("7.50", "EUR"))),
                ],
            ),
        ],
    )
)
manager.upsert_debtor(
    cf.Debtor(
        code="D-1",
        kind=cf.DebtorKind.PERSON,
        name="Jan Jansen",
        email="jan@example.nl",
        locale="nl-NL",
    )
)
manager.register_invoice(
    cf.Invoice(
        number="2026-0001",
        debtor_code="D-1",
        issued_on=dt.date(2026, 1, 5),
        due_on=dt.date(2026, 1, 19),
        currency="EUR",
        lines=[
            cf.InvoiceLine(
                description="Subscription January",
                quantity=1,
                unit_price=cf.Money("25.00", "EUR"),
                vat_rate=21,
            )
        ],
    ),
    schema_key="consumer",
)

for entry in manager.simulate("2026-0001", until=dt.date(2026, 3, 31)).entries:
    print(f"{entry.on}  {entry.step:<16} {entry.channel or ''!s:<6} open {entry.open_amount}")

for _ in range(60):
    manager.run()
    clock.advance(days=1)

status = manager.invoice_status("2026-0001")
print(f"\n{status.status.value}: open {status.open_amount} (costs {status.open_costs})")
print(
    f"e-mails sent: {len(email.sent)}, SMS sent: {len(sms.sent)} (the debtor has no mobile: fell back)"
)
print("\n" + email.sent[0].text)
