"""The "Testing your integration" page's example runs as written."""

from __future__ import annotations

import datetime as dt

import creditflow as cf
from creditflow.testing import RecordingChannel, SettableClock


def test_a_reminder_goes_out_a_week_after_the_due_date(
    creditflow_manager: cf.CreditManager,
    creditflow_clock: SettableClock,
    creditflow_email: RecordingChannel,
) -> None:
    """One e-mail on day 7 after the due date, none before."""
    creditflow_manager.register_schema(
        cf.DunningSchema(
            key="b2c",
            steps=[
                cf.Step(
                    name="reminder",
                    trigger=cf.Trigger.days_after_due(7),
                    actions=[cf.SendMessage(channel=cf.Channel.EMAIL)],
                ),
            ],
        )
    )
    creditflow_manager.upsert_debtor(
        cf.Debtor(code="D1", kind=cf.DebtorKind.PERSON, name="Jan", email="jan@example.nl")
    )
    today = creditflow_manager.today()
    creditflow_manager.register_invoice(
        cf.Invoice(
            number="1",
            debtor_code="D1",
            issued_on=today,
            due_on=today,
            currency="EUR",
            total=cf.Money("10.00", "EUR"),
        ),
        schema_key="b2c",
    )
    creditflow_clock.advance(days=6)
    creditflow_manager.run()
    assert creditflow_email.sent == []
    creditflow_clock.advance(days=1)
    creditflow_manager.run()
    assert [m.recipient for m in creditflow_email.sent] == ["jan@example.nl"]
    assert dt.date(2026, 1, 12) == creditflow_manager.today()
