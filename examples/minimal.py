"""The smallest embedding: a creditor, a schema with one reminder, a debtor and an invoice.

The same code as the README's quick start. It runs on the in-memory fakes; a host passes
``SqliteStore``/``PostgresStore`` and an SMTP channel instead (see the tutorial).
"""

import datetime as dt

import creditflow as cf
from creditflow.testing import InMemoryStore, RecordingChannel, SettableClock

email = RecordingChannel(cf.Channel.EMAIL)
clock = SettableClock(dt.datetime(2026, 1, 26, 9, 0, tzinfo=dt.UTC))  # a week after the due date
manager = cf.CreditManager(
    creditor=cf.Creditor(
        key="acme",
        name="Acme B.V.",
        address=cf.Address(street="Keizersgracht 1", city="Amsterdam", country="NL"),
    ),
    store=InMemoryStore(),
    channels={cf.Channel.EMAIL: email},
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
        total=cf.Money("30.25", "EUR"),
    ),
    schema_key="consumer",
)

report = manager.run()  # from cron or a worker, as often as you like: each reminder goes out once
manager.run()
print(
    f"{report.messages_sent} message sent: {email.sent[0].subject!r} to {email.sent[0].recipient}"
)
