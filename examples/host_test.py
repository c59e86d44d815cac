"""How a host application tests its integration with creditflow, with the fakes and fixtures.

Installing creditflow registers a pytest plugin: ``creditflow_manager`` is a manager for a sample
Dutch creditor wired to in-memory fakes, which the other ``creditflow_*`` fixtures return. A test
registers what the host would register, moves the clock, runs, and looks at what was sent.

Copy this file into your test suite, or run it as it is: ``python examples/host_test.py``.
"""

import datetime as dt
import subprocess
import sys

import pytest

import creditflow as cf
from creditflow import events
from creditflow.testing import FakePaymentLinks, ListSink, RecordingChannel, SettableClock

SCHEMA = cf.DunningSchema(
    key="b2c",
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


def bill(manager: cf.CreditManager, number: str = "INV-1", total: str = "121.00") -> None:
    """What the host does when it sends an invoice: the debtor, then the invoice, due in 14 days."""
    manager.upsert_debtor(
        cf.Debtor(
            code="C-42",
            kind=cf.DebtorKind.PERSON,
            name="Sanne de Vries",
            email="sanne@example.nl",
            locale="nl-NL",
        )
    )
    today = manager.today()
    manager.register_invoice(
        cf.Invoice(
            number=number,
            debtor_code="C-42",
            issued_on=today,
            due_on=today + dt.timedelta(days=14),
            currency="EUR",
            total=cf.Money(total, "EUR"),
        ),
        schema_key="b2c",
    )


def run_days(manager: cf.CreditManager, clock: SettableClock, days: int) -> None:
    """The host's daily job, *days* times."""
    for _ in range(days):
        clock.advance(days=1)
        manager.run()


@pytest.fixture
def manager(creditflow_manager: cf.CreditManager) -> cf.CreditManager:
    """The fixture's manager with the host's schema registered."""
    creditflow_manager.register_schema(SCHEMA)
    return creditflow_manager


def test_first_reminder_a_week_after_the_due_date(
    manager: cf.CreditManager, creditflow_clock: SettableClock, creditflow_email: RecordingChannel
) -> None:
    """Nothing before day 7 after the due date; then one e-mail with a payment link."""
    bill(manager)
    run_days(manager, creditflow_clock, 14 + 6)
    assert creditflow_email.sent == []
    run_days(manager, creditflow_clock, 1)
    (reminder,) = creditflow_email.sent
    assert reminder.recipient == "sanne@example.nl"
    assert reminder.kind is cf.MessageKind.REMINDER
    assert reminder.payment_url is not None


def test_paid_invoices_are_left_alone_and_their_links_revoked(
    manager: cf.CreditManager,
    creditflow_clock: SettableClock,
    creditflow_email: RecordingChannel,
    creditflow_links: FakePaymentLinks,
) -> None:
    """A payment recorded by the host's webhook handler ends dunning and revokes the link."""
    bill(manager)
    run_days(manager, creditflow_clock, 21)
    status = manager.record_payment(
        "INV-1",
        cf.Payment(
            amount=cf.Money("121.00", "EUR"),
            method="ideal",
            reference="psp-123",
            paid_on=manager.today(),
        ),
    )
    assert status.status is cf.CaseStatus.PAID
    assert creditflow_links.revoked
    run_days(manager, creditflow_clock, 60)
    assert len(creditflow_email.sent) == 1


def test_running_twice_a_day_sends_nothing_twice(
    manager: cf.CreditManager, creditflow_clock: SettableClock, creditflow_email: RecordingChannel
) -> None:
    """The host's scheduler may start the job as often as it likes."""
    bill(manager)
    for _ in range(40):
        creditflow_clock.advance(days=1)
        manager.run()
        manager.run()
    assert len(creditflow_email.sent) == 2  # the reminder, then the SMS step's fallback e-mail


def test_a_failing_mail_server_is_retried(
    manager: cf.CreditManager,
    creditflow_clock: SettableClock,
    creditflow_email: RecordingChannel,
    creditflow_events: ListSink,
) -> None:
    """A delivery failure is an event, and the message goes out on a later run."""
    bill(manager)
    run_days(manager, creditflow_clock, 20)
    creditflow_email.fail_next(1)
    run_days(manager, creditflow_clock, 1)
    assert creditflow_events.of_type(events.MessageFailed)
    assert creditflow_email.sent == []
    creditflow_clock.advance(days=1)
    manager.run()
    assert len(creditflow_email.sent) == 1


def test_the_host_can_show_the_future(manager: cf.CreditManager) -> None:
    """``simulate`` answers "what happens when, if nothing is paid" for a customer screen."""
    bill(manager)
    timeline = manager.simulate("INV-1", until=manager.today() + dt.timedelta(days=60))
    assert [entry.step for entry in timeline.entries] == ["reminder", "second reminder"]
    assert timeline.entries[-1].fee == cf.Money("7.50", "EUR")


if __name__ == "__main__":
    # pytest in a fresh interpreter: this one has imported creditflow already, too early for
    # pytest's assertion rewriting of the plugin.
    command = [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider"]
    raise SystemExit(subprocess.call(command))
