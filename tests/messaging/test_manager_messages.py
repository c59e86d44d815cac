"""Messages through CreditManager with the fakes: links, fallbacks, grouping, revocation."""

from __future__ import annotations

import datetime as dt

import pytest

import creditflow as cf
from creditflow import Channel, MessageKind, Money
from creditflow.events import (
    Event,
    MessageFailed,
    MessageSent,
    PaymentLinkCreated,
    SentViaFallback,
)
from creditflow.testing import (
    FakePaymentLinks,
    InMemoryStore,
    ListSink,
    RecordingChannel,
    SettableClock,
    TextRenderer,
)

DUE = dt.date(2026, 1, 5)


def schema(
    *, fallbacks: tuple[Channel, ...] = (Channel.SMS,), link_required: bool = False
) -> cf.DunningSchema:
    return cf.DunningSchema(
        key="standard",
        steps=[
            cf.Step(
                name="reminder",
                trigger=cf.Trigger.days_after_due(7),
                actions=[
                    cf.SendMessage(
                        channel=Channel.EMAIL,
                        kind=MessageKind.REMINDER,
                        fallbacks=fallbacks,
                        link_required=link_required,
                        attach_invoice=True,
                    )
                ],
            )
        ],
    )


def debtor(code: str = "D-1", **changes: object) -> cf.Debtor:
    fields: dict[str, object] = {
        "code": code,
        "kind": cf.DebtorKind.PERSON,
        "name": "Jan de Vries",
        "address": cf.Address(
            street="Lindelaan 5", postal_code="1234 AB", city="Amersfoort", country="NL"
        ),
        "email": f"{code.lower()}@example.test",
        "mobile": "+31612345678",
        "locale": "nl-NL",
    }
    fields.update(changes)
    return cf.Debtor(**fields)  # type: ignore[arg-type]


def invoice(number: str, debtor_code: str = "D-1", total: str = "121.00") -> cf.Invoice:
    return cf.Invoice(
        number=number,
        debtor_code=debtor_code,
        issued_on=DUE - dt.timedelta(days=14),
        due_on=DUE,
        currency="EUR",
        total=Money(total, "EUR"),
    )


class World:
    """A manager wired to fakes, with a clock at the due date."""

    def __init__(
        self, *, group: bool = False, link_required: bool = False, **schema_options: object
    ) -> None:
        self.clock = SettableClock(dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
        self.email = RecordingChannel(Channel.EMAIL)
        self.sms = RecordingChannel(Channel.SMS)
        self.letter = RecordingChannel(Channel.LETTER)
        self.links = FakePaymentLinks()
        self.events = ListSink()
        self.manager = cf.CreditManager(
            creditor=cf.Creditor(
                key="acme",
                name="Acme B.V.",
                address=cf.Address(
                    street="Keizersgracht 1", postal_code="1015 CJ", city="Amsterdam", country="NL"
                ),
                bank_account=cf.BankAccount(
                    iban="NL91ABNA0417164300", bic="ABNANL2A", holder="Acme B.V."
                ),
                brand=cf.Brand(name="Acme", email_from="billing@acme.test"),
            ),
            store=InMemoryStore(),
            channels={
                Channel.EMAIL: self.email,
                Channel.SMS: self.sms,
                Channel.LETTER: self.letter,
            },
            payment_links=self.links,
            events=self.events,
            clock=self.clock,
            renderer=TextRenderer(),
            send_window=None,
            group_messages=group,
        )
        self.manager.register_schema(schema(link_required=link_required, **schema_options))  # type: ignore[arg-type]

    def register(self, *invoices: cf.Invoice, debtors: tuple[cf.Debtor, ...] = (debtor(),)) -> None:
        for d in debtors:
            self.manager.upsert_debtor(d)
        for i in invoices:
            self.manager.register_invoice(i, schema_key="standard")

    def run_on(self, day: dt.date, hour: int = 9) -> cf.RunReport:
        self.clock.set(dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC))
        return self.manager.run()

    def of(self, cls: type[Event], number: str | None = None) -> list[Event]:
        return [e for e in self.events.of_type(cls) if number is None or e.invoice_number == number]


REMINDER_DAY = DUE + dt.timedelta(days=7)


def test_reminder_goes_out_rendered_with_link_and_attachment() -> None:
    """The e-mail carries the Dutch built-in text, HTML, the payment link and the invoice."""
    world = World()
    world.register(invoice("2026-001"))
    world.run_on(REMINDER_DAY)
    (sent,) = world.email.sent
    assert sent.subject == "Herinnering: factuur 2026-001 staat nog open"
    assert sent.html is not None
    assert sent.payment_url is not None
    assert sent.payment_url in sent.text
    assert "RF" in sent.text  # structured transfer reference
    assert [a.filename for a in sent.attachments] == ["invoice-2026-001.txt"]
    (link,) = world.of(PaymentLinkCreated)
    assert isinstance(link, PaymentLinkCreated)
    assert link.reference is not None
    assert link.url == sent.payment_url


def test_permanent_email_failure_falls_back_to_sms() -> None:
    """A refused e-mail address sends the reminder by SMS and records the fallback."""
    world = World()
    world.register(invoice("2026-001"))
    world.email.fail_next(1, permanent=True)
    world.run_on(REMINDER_DAY)
    world.run_on(REMINDER_DAY, hour=10)  # the fallback goes at the next dispatch
    assert not world.email.sent
    (sms,) = world.sms.sent
    assert "\n" not in sms.text
    assert sms.text.startswith("Acme: herinnering, factuur 2026-001")
    (fallback,) = world.of(SentViaFallback)
    assert isinstance(fallback, SentViaFallback)
    assert fallback.channel == Channel.SMS
    assert fallback.instead_of == Channel.EMAIL


def test_unreachable_debtor_gets_a_letter() -> None:
    """A debtor without e-mail and mobile gets the reminder as a letter with the address."""
    world = World(fallbacks=(Channel.SMS, Channel.LETTER))
    world.register(invoice("2026-001"), debtors=(debtor(email=None, mobile=None),))
    world.run_on(REMINDER_DAY)
    (letter,) = world.letter.sent
    assert letter.recipient.startswith("Jan de Vries\nLindelaan 5")
    assert "Betreft: Herinnering: factuur 2026-001" in letter.text


def test_invoices_of_one_debtor_due_the_same_day_go_in_one_message() -> None:
    """With group_messages one e-mail lists both invoices; each invoice records MessageSent."""
    world = World(group=True)
    world.register(invoice("2026-001"), invoice("2026-002", total="60.50"))
    world.run_on(REMINDER_DAY)
    (sent,) = world.email.sent
    assert sent.invoice_numbers == ("2026-001", "2026-002")
    assert "facturen 2026-001, 2026-002" in sent.subject
    assert "Totaal te betalen: € 181,50".replace(" 1", "\xa01") in sent.text
    assert len(sent.attachments) == 2
    sent_events = world.of(MessageSent)
    assert sorted(e.invoice_number for e in sent_events) == ["2026-001", "2026-002"]
    assert len({e.provider_reference for e in sent_events}) == 1  # type: ignore[attr-defined]
    links = world.of(PaymentLinkCreated)
    assert sorted(e.invoice_number for e in links) == ["2026-001", "2026-002"]
    for link in links:
        assert link.url in sent.text  # type: ignore[attr-defined]


def test_without_grouping_each_invoice_gets_its_own_message() -> None:
    """By default every invoice has its own message."""
    world = World()
    world.register(invoice("2026-001"), invoice("2026-002"))
    world.run_on(REMINDER_DAY)
    assert sorted(m.invoice_numbers for m in world.email.sent) == [("2026-001",), ("2026-002",)]


def test_grouping_keeps_debtors_and_days_apart() -> None:
    """Invoices of other debtors, or due another day, are not put in the same message."""
    world = World(group=True)
    later = cf.Invoice(
        number="2026-003",
        debtor_code="D-1",
        issued_on=DUE - dt.timedelta(days=10),
        due_on=DUE + dt.timedelta(days=2),
        currency="EUR",
        total=Money("10.00", "EUR"),
    )
    world.register(
        invoice("2026-001"),
        invoice("2026-002", debtor_code="D-2"),
        later,
        debtors=(debtor("D-1"), debtor("D-2")),
    )
    world.run_on(REMINDER_DAY)
    world.run_on(REMINDER_DAY + dt.timedelta(days=2))
    assert sorted(m.invoice_numbers for m in world.email.sent) == [
        ("2026-001",),
        ("2026-002",),
        ("2026-003",),
    ]


def test_grouped_message_retried_after_a_failure_goes_out_once() -> None:
    """A grouped e-mail that fails once is retried as the same message, delivered once."""
    world = World(group=True)
    world.register(invoice("2026-001"), invoice("2026-002"))
    world.email.fail_next(1)
    world.run_on(REMINDER_DAY)
    assert not world.email.sent
    assert len(world.of(MessageFailed)) == 2
    world.run_on(REMINDER_DAY, hour=12)
    world.run_on(REMINDER_DAY, hour=18)
    (sent,) = world.email.sent
    assert sent.invoice_numbers == ("2026-001", "2026-002")
    assert len(world.of(MessageSent)) == 2


def test_payment_link_error_is_retried_then_sent_without_link_when_allowed() -> None:
    """A failing link is retried with back-off; when retries run out the reminder goes without."""
    world = World(link_required=False)
    world.register(invoice("2026-001"))
    world.links.fail_next(10)
    world.run_on(REMINDER_DAY)
    assert not world.email.sent
    failures = world.of(MessageFailed)
    assert len(failures) == 1
    assert "payment link" in failures[0].error  # type: ignore[attr-defined]
    for hour in (10, 12, 16, 23):
        world.run_on(REMINDER_DAY, hour=hour)
    (sent,) = world.email.sent
    assert sent.payment_url is None
    assert "NL91 ABNA 0417 1643 00" in sent.text  # the debtor can still pay by transfer
    assert not world.of(PaymentLinkCreated)
    assert len(world.of(MessageFailed)) == cf.RetryPolicy().max_attempts - 1


def test_payment_link_error_keeps_a_required_link_waiting() -> None:
    """A step that requires the link never sends without it; it goes once the link works."""
    world = World(link_required=True)
    world.register(invoice("2026-001"))
    world.links.fail_next(6)
    for day in range(4):
        for hour in (9, 12, 16, 23):
            world.run_on(REMINDER_DAY + dt.timedelta(days=day), hour=hour)
    assert len(world.email.sent) == 1
    (sent,) = world.email.sent
    assert sent.payment_url is not None
    assert len(world.of(MessageFailed)) == 6


def test_email_failure_after_giving_up_on_the_link_still_gets_its_own_retries() -> None:
    """Attempts spent on the link do not use up the e-mail's retries."""
    world = World(link_required=False)
    world.register(invoice("2026-001"))
    world.links.fail_next(cf.RetryPolicy().max_attempts)
    world.email.fail_next(1)
    for hour in (9, 10, 12, 16, 23):
        world.run_on(REMINDER_DAY, hour=hour)
    world.run_on(REMINDER_DAY + dt.timedelta(days=1))
    assert not world.sms.sent
    (sent,) = world.email.sent
    assert sent.payment_url is None


def test_payment_that_settles_the_invoice_revokes_its_link() -> None:
    """Once paid in full, the invoice's payment link is revoked; a partial payment keeps it."""
    world = World()
    world.register(invoice("2026-001"))
    world.run_on(REMINDER_DAY)
    (link,) = world.of(PaymentLinkCreated)
    reference = link.reference  # type: ignore[attr-defined]
    world.manager.record_payment(
        "2026-001",
        cf.Payment(
            amount=Money("21.00", "EUR"), method="ideal", reference="p1", paid_on=REMINDER_DAY
        ),
    )
    assert world.links.revoked == []
    world.manager.record_payment(
        "2026-001",
        cf.Payment(
            amount=Money("100.00", "EUR"), method="ideal", reference="p2", paid_on=REMINDER_DAY
        ),
    )
    assert world.links.revoked == [reference]
    world.manager.record_payment(  # a retried webhook: nothing new, nothing breaks
        "2026-001",
        cf.Payment(
            amount=Money("100.00", "EUR"), method="ideal", reference="p2", paid_on=REMINDER_DAY
        ),
    )
    assert world.links.revoked == [reference]


@pytest.mark.parametrize("verb", ["stop_invoice", "write_off"])
def test_stopping_an_invoice_revokes_its_link(verb: str) -> None:
    """Stopping or writing off an invoice revokes its payment link."""
    world = World()
    world.register(invoice("2026-001"))
    world.run_on(REMINDER_DAY)
    (link,) = world.of(PaymentLinkCreated)
    getattr(world.manager, verb)("2026-001", reason="customer left")
    assert world.links.revoked == [link.reference]  # type: ignore[attr-defined]


def test_revocation_failure_does_not_undo_the_payment() -> None:
    """A provider that cannot revoke is logged; the payment stays recorded."""
    world = World()
    world.register(invoice("2026-001"))
    world.run_on(REMINDER_DAY)

    def broken(reference: str) -> None:
        raise cf.errors.DeliveryError("provider down")

    world.links.revoke = broken  # type: ignore[method-assign]
    status = world.manager.record_payment(
        "2026-001",
        cf.Payment(
            amount=Money("121.00", "EUR"), method="ideal", reference="p1", paid_on=REMINDER_DAY
        ),
    )
    assert status.status is cf.CaseStatus.PAID
