"""``creditflow demo``: a realistic portfolio, dunned day by day, with every message on disk.

Deterministic for a given seed: the same options give the same database contents, the same
message files and the same summary. Interrupted and started again with the same options, it
continues where it stopped; every message is still written once.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import random
from collections.abc import Callable, Iterator
from decimal import Decimal

import attrs
from attrs import frozen

from .._invoice import Invoice, InvoiceLine, Payment
from .._manager import CreditManager
from .._message_kind import MessageKind
from .._money import Money
from .._parties import Address, BankAccount, Brand, Channel, Creditor, Debtor, DebtorKind
from ..engine import (
    ChargeFee,
    DunningSchema,
    HandOver,
    SchemaRule,
    SendMessage,
    StartInterest,
    Step,
    Trigger,
)
from ..errors import ValidationError
from ..events import PaymentReceived
from ..ports import Store
from ..rules import StatutoryFee, StatutoryInterest
from ..testing import FakeAgency, FakePaymentLinks, SettableClock, TextRenderer
from ._files import FolderChannel

__all__ = ["DemoSettings", "build_manager", "run_demo"]

START = dt.datetime(2026, 1, 5, 7, 0, tzinfo=dt.UTC)
"""The first simulated morning (a Monday); runs happen at 07:00 UTC each day."""

CREDITOR = Creditor(
    key="lumen",
    name="Lumen Energie B.V.",
    address=Address(street="Stationsplein 10", postal_code="3511 ED", city="Utrecht", country="NL"),
    vat_number="NL000099998B57",
    coc_number="12345678",
    bank_account=BankAccount(
        iban="NL91ABNA0417164300", bic="ABNANL2A", holder="Lumen Energie B.V."
    ),
    brand=Brand(
        name="Lumen Energie",
        email_from="facturen@lumen.example",
        reply_to="klantenservice@lumen.example",
        primary_color="#0b3d91",
        accent_color="#f5a623",
        website="https://lumen.example",
    ),
)


@frozen(kw_only=True)
class DemoSettings:
    """What ``creditflow demo`` was asked for (kept next to the database, to resume or run on)."""

    out: str
    debtors: int = 60
    days: int = 120
    seed: int = 7

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.debtors <= 100_000:
            raise ValidationError(f"--debtors {self.debtors} must be from 1 to 100000")
        if not 1 <= self.days <= 3650:
            raise ValidationError(f"--days {self.days} must be from 1 to 3650")

    @property
    def folder(self) -> pathlib.Path:
        return pathlib.Path(self.out)

    @property
    def database(self) -> pathlib.Path:
        return self.folder / "creditflow.db"

    @property
    def settings_file(self) -> pathlib.Path:
        return self.folder / "demo.json"


_PEOPLE = {
    "NL": (
        ["Jan", "Sanne", "Daan", "Emma", "Lucas", "Julia"],
        ["de Vries", "Jansen", "Bakker", "Visser", "Smit"],
        "nl-NL",
        "Europe/Amsterdam",
        ("Dorpsstraat", "3511", "Utrecht"),
        ("+3161", 7),
    ),
    "BE": (
        ["Lotte", "Arthur", "Louise", "Noah", "Camille"],
        ["Peeters", "Janssens", "Dubois", "Lambert"],
        "nl-BE",
        "Europe/Brussels",
        ("Kerkstraat", "2000", "Antwerpen"),
        ("+32470", 6),
    ),
    "DE": (
        ["Lena", "Felix", "Mia", "Paul", "Hannah"],
        ["Müller", "Schmidt", "Schneider", "Fischer"],
        "de-DE",
        "Europe/Berlin",
        ("Hauptstraße", "10115", "Berlin"),
        ("+49151", 8),
    ),
    "FR": (
        ["Léa", "Hugo", "Chloé", "Louis", "Manon"],
        ["Martin", "Bernard", "Dubois", "Thomas"],
        "fr-FR",
        "Europe/Paris",
        ("Rue de la Paix", "75002", "Paris"),
        ("+3361", 7),
    ),
}
_COMPANIES = ["Bouwbedrijf", "Bakkerij", "Garage", "Studio", "Handel", "Atelier"]
_VAT = {"NL": "21", "BE": "21", "DE": "19", "FR": "20"}


def schemas() -> list[DunningSchema]:
    """The demo's dunning schemas: Dutch consumers, other consumers, and businesses."""
    interest = StartInterest(rule=StatutoryInterest())
    return [
        DunningSchema(
            key="consumer-nl",
            description="Dutch consumers: the WIK route",
            steps=[
                Step(
                    name="payment invitation",
                    trigger=Trigger.on_invoice_date(),
                    actions=[
                        SendMessage(channel=Channel.EMAIL, kind=MessageKind.PAYMENT_INVITATION)
                    ],
                ),
                Step(
                    name="reminder",
                    trigger=Trigger.days_after_due(7),
                    actions=[SendMessage(channel=Channel.EMAIL, fallbacks=[Channel.LETTER])],
                ),
                Step(
                    name="14-day letter",
                    trigger=Trigger.days_after_due(14),
                    actions=[
                        SendMessage(channel=Channel.LETTER, kind=MessageKind.FOURTEEN_DAY_LETTER)
                    ],
                ),
                Step(
                    name="collection costs",
                    trigger=Trigger.days_after_previous(21),
                    actions=[
                        ChargeFee(rule=StatutoryFee()),
                        interest,
                        SendMessage(channel=Channel.SMS, fallbacks=[Channel.EMAIL]),
                    ],
                ),
                Step(
                    name="final notice",
                    trigger=Trigger.days_after_previous(14),
                    actions=[SendMessage(channel=Channel.LETTER, kind=MessageKind.FINAL_NOTICE)],
                ),
                Step(
                    name="handover",
                    trigger=Trigger.days_after_previous(14),
                    actions=[HandOver()],
                    min_open_amount=Money("50.00", "EUR"),
                ),
            ],
        ),
        DunningSchema(
            key="consumer-eu",
            description="Belgian, German and French consumers",
            steps=[
                Step(
                    name="payment invitation",
                    trigger=Trigger.on_invoice_date(),
                    actions=[
                        SendMessage(channel=Channel.EMAIL, kind=MessageKind.PAYMENT_INVITATION)
                    ],
                ),
                Step(
                    name="first reminder",
                    trigger=Trigger.days_after_due(7),
                    actions=[
                        SendMessage(
                            channel=Channel.EMAIL,
                            kind=MessageKind.FIRST_REMINDER_BE,
                            fallbacks=[Channel.LETTER],
                        )
                    ],
                ),
                Step(
                    name="second reminder",
                    trigger=Trigger.days_after_previous(21),
                    actions=[
                        ChargeFee(rule=StatutoryFee(countries={"BE", "DE", "FR"})),
                        SendMessage(channel=Channel.SMS, fallbacks=[Channel.EMAIL]),
                    ],
                ),
                Step(
                    name="final notice",
                    trigger=Trigger.days_after_previous(14),
                    actions=[SendMessage(channel=Channel.LETTER, kind=MessageKind.FINAL_NOTICE)],
                ),
                Step(
                    name="handover",
                    trigger=Trigger.days_after_previous(14),
                    actions=[HandOver()],
                    min_open_amount=Money("50.00", "EUR"),
                ),
            ],
        ),
        DunningSchema(
            key="business",
            description="Businesses in every country",
            steps=[
                Step(
                    name="reminder",
                    trigger=Trigger.days_after_due(3, business=True),
                    actions=[SendMessage(channel=Channel.EMAIL)],
                ),
                Step(
                    name="costs and interest",
                    trigger=Trigger.days_after_due(14),
                    actions=[
                        ChargeFee(rule=StatutoryFee(consumers=False)),
                        interest,
                        SendMessage(channel=Channel.EMAIL, fallbacks=[Channel.LETTER]),
                    ],
                ),
                Step(
                    name="final notice",
                    trigger=Trigger.days_after_previous(14),
                    actions=[SendMessage(channel=Channel.LETTER, kind=MessageKind.FINAL_NOTICE)],
                ),
                Step(
                    name="handover", trigger=Trigger.days_after_previous(14), actions=[HandOver()]
                ),
            ],
        ),
    ]


SCHEMA_RULES = (
    SchemaRule(schema_key="business", kinds={DebtorKind.COMPANY}),
    SchemaRule(schema_key="consumer-nl", countries={"NL"}),
    SchemaRule(schema_key="consumer-eu"),
)


@frozen(kw_only=True)
class PlannedPayment:
    """A payment the simulated debtor makes on a given day."""

    invoice_number: str
    on: dt.date
    amount: Money
    method: str
    reference: str


@frozen(kw_only=True)
class Portfolio:
    """The generated debtors, their invoices (with the day each is issued) and their payments."""

    debtors: tuple[Debtor, ...]
    invoices: tuple[Invoice, ...]
    payments: tuple[PlannedPayment, ...]
    behaviours: dict[str, str] = attrs.field(factory=dict, hash=False)


def generate(settings: DemoSettings) -> Portfolio:
    """A deterministic portfolio for the settings' seed."""
    rng = random.Random(settings.seed)  # noqa: S311 - a reproducible demo, not cryptography
    debtors: list[Debtor] = []
    invoices: list[Invoice] = []
    payments: list[PlannedPayment] = []
    behaviours: dict[str, str] = {}
    start = START.date()
    horizon = max(1, min(30, settings.days // 3))
    for index in range(settings.debtors):
        country = rng.choices(["NL", "BE", "DE", "FR"], weights=[40, 25, 20, 15])[0]
        first, last, locale, zone, (street, postal, city), phone = _PEOPLE[country]
        if country == "BE" and rng.random() < 0.4:
            locale = "fr-BE"
        company = rng.random() < 0.25
        given, family = rng.choice(first), rng.choice(last)
        name = f"{rng.choice(_COMPANIES)} {family}" if company else f"{given} {family}"
        domain = {"NL": "nl", "BE": "be", "DE": "de", "FR": "fr"}[country]
        email = None if rng.random() < 0.08 else f"{given.lower()}.{index}@example.{domain}"
        mobile = (
            None
            if company or rng.random() < 0.3
            else f"{phone[0]}{rng.randrange(10 ** phone[1]):0{phone[1]}d}"
        )
        code = f"C{index + 1:05d}"
        debtors.append(
            Debtor(
                code=code,
                kind=DebtorKind.COMPANY if company else DebtorKind.PERSON,
                name=name,
                address=Address(
                    street=f"{street} {rng.randint(1, 200)}",
                    postal_code=postal,
                    city=city,
                    country=country,
                ),
                email=email,
                mobile=mobile,
                locale=locale,
                time_zone=zone,
                vat_number=f"{country}123456789B01" if company else None,
                tags={"business" if company else "consumer"},
            )
        )
        behaviour = rng.choices(["on time", "late", "partly", "never"], weights=[45, 25, 10, 20])[0]
        behaviours[code] = behaviour
        for number in range(rng.choice([1, 1, 2, 3])):
            issued = start + dt.timedelta(days=rng.randrange(horizon))
            invoice_number = f"2026-{index + 1:05d}-{number + 1}"
            usage = Decimal(rng.randrange(120, 1800))
            lines = [
                InvoiceLine(
                    description="Electricity (kWh)",
                    quantity=usage,
                    unit_price=Money("0.2431", "EUR"),
                    vat_rate=_VAT[country],
                ),
                InvoiceLine(
                    description="Standing charge",
                    quantity=1,
                    unit_price=Money("7.95", "EUR"),
                    vat_rate=_VAT[country],
                ),
            ]
            invoice = Invoice(
                number=invoice_number,
                debtor_code=code,
                issued_on=issued,
                due_on=issued + dt.timedelta(days=14),
                currency="EUR",
                lines=lines,
            )
            invoices.append(invoice)
            payments += _payments(rng, invoice, behaviour)
    return Portfolio(
        debtors=tuple(debtors),
        invoices=tuple(invoices),
        payments=tuple(sorted(payments, key=lambda p: (p.on, p.invoice_number))),
        behaviours=behaviours,
    )


def _payments(rng: random.Random, invoice: Invoice, behaviour: str) -> list[PlannedPayment]:
    total = invoice.gross_total
    method = rng.choice(["ideal", "bank_transfer", "sepa_direct_debit", "card"])
    reference = f"pay-{invoice.number}"
    if behaviour == "on time":
        return [
            PlannedPayment(
                invoice_number=invoice.number,
                amount=total,
                method=method,
                on=invoice.due_on - dt.timedelta(days=rng.randrange(0, 10)),
                reference=reference,
            )
        ]
    if behaviour == "late":
        # Pays the invoice amount after a reminder; any costs charged by then stay open.
        return [
            PlannedPayment(
                invoice_number=invoice.number,
                amount=total,
                method=method,
                on=invoice.due_on + dt.timedelta(days=rng.randrange(8, 40)),
                reference=reference,
            )
        ]
    if behaviour == "partly":
        return [
            PlannedPayment(
                invoice_number=invoice.number,
                amount=total.allocate(2)[0],
                method=method,
                on=invoice.due_on + dt.timedelta(days=rng.randrange(8, 20)),
                reference=reference,
            )
        ]
    return []


def save_settings(settings: DemoSettings) -> None:
    """Keep the settings next to the database (``creditflow run``/``status`` read them)."""
    settings.folder.mkdir(parents=True, exist_ok=True)
    data = {"debtors": settings.debtors, "days": settings.days, "seed": settings.seed}
    settings.settings_file.write_text(json.dumps(data, indent=2) + "\n")


def load_settings(folder: pathlib.Path) -> DemoSettings | None:
    """The settings of a demo folder, if it is one."""
    path = folder / "demo.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return DemoSettings(
        out=str(folder), debtors=data["debtors"], days=data["days"], seed=data["seed"]
    )


def build_manager(
    settings: DemoSettings, store: Store, clock: SettableClock
) -> tuple[CreditManager, FakeAgency]:
    """The demo creditor's manager: folder channels, fake payment links and agency."""
    messages = settings.folder / "messages"
    renderer = _letter_renderer()
    channels = {
        Channel.EMAIL: FolderChannel(Channel.EMAIL, messages / "email", clock=clock),
        Channel.SMS: FolderChannel(Channel.SMS, messages / "sms", clock=clock),
        Channel.LETTER: FolderChannel(
            Channel.LETTER, messages / "letters", clock=clock, renderer=renderer
        ),
    }
    agency = FakeAgency()
    manager = CreditManager(
        creditor=CREDITOR,
        store=store,
        channels=channels,
        payment_links=FakePaymentLinks("https://pay.lumen.example"),
        agency=agency,
        clock=clock,
        renderer=TextRenderer(),
        schema_rules=SCHEMA_RULES,
        send_window=None,
    )
    return manager, agency


def _letter_renderer() -> TextRenderer:
    return TextRenderer()


def days(settings: DemoSettings) -> Iterator[dt.datetime]:
    """The simulated mornings."""
    for day in range(settings.days):
        yield START + dt.timedelta(days=day)


def run_demo(
    settings: DemoSettings,
    store: Store,
    *,
    progress: Callable[[int], None] | None = None,
    resume_from: int = 0,
) -> CreditManager:
    """Set up (on the first day) and dun the portfolio day by day; returns the manager."""
    portfolio = generate(settings)
    clock = SettableClock(START + dt.timedelta(days=resume_from))
    manager, _ = build_manager(settings, store, clock)
    if resume_from == 0:
        for schema in schemas():
            manager.register_schema(schema)
        for debtor in portfolio.debtors:
            manager.upsert_debtor(debtor)
    by_issue: dict[dt.date, list[Invoice]] = {}
    for invoice in portfolio.invoices:
        by_issue.setdefault(invoice.issued_on, []).append(invoice)
    by_day: dict[dt.date, list[PlannedPayment]] = {}
    for payment in portfolio.payments:
        by_day.setdefault(payment.on, []).append(payment)
    for offset, morning in enumerate(days(settings)):
        if offset < resume_from:
            continue
        clock.set(morning)
        today = morning.date()
        for invoice in by_issue.get(today, []):
            if _registered(manager, invoice.number):
                continue
            manager.register_invoice(invoice)
        for planned in by_day.get(today, []):
            if _registered(manager, planned.invoice_number):
                status = manager.invoice_status(planned.invoice_number)
                paid_before = any(
                    isinstance(e, PaymentReceived) and e.payment.reference == planned.reference
                    for e in status.history
                )
                if paid_before or status.status.is_final or not status.open_amount.is_positive:
                    continue
                amount = planned.amount.min(status.open_amount)
                manager.record_payment(
                    planned.invoice_number,
                    Payment(
                        amount=amount,
                        method=planned.method,
                        reference=planned.reference,
                        paid_on=today,
                    ),
                )
        manager.run()
        _mark_progress(settings, offset + 1)
        if progress is not None:
            progress(offset + 1)
    return manager


def _registered(manager: CreditManager, number: str) -> bool:
    from ..errors import NotFoundError

    try:
        manager.history(number)
    except NotFoundError:
        return False
    return True


def _mark_progress(settings: DemoSettings, done: int) -> None:
    path = settings.folder / "progress.json"
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"days_done": done}) + "\n")
    partial.replace(path)


def days_done(folder: pathlib.Path) -> int:
    """How many simulated days a demo folder has completed."""
    path = folder / "progress.json"
    return int(json.loads(path.read_text())["days_done"]) if path.exists() else 0
