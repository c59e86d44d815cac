"""``creditflow demo``: a realistic portfolio, dunned day by day, with every message on disk.

Besides invoices paid on time, late, in part or never, some debtors pay by SEPA direct debit and
a share of those debits come back (``AM04`` is collected again through the demo's
:class:`DemoCollector`; ``MD06``, ``AC04``, ``MS02`` stop direct debit and the invoice is dunned),
and a few debtors who do not pay agree a payment plan after the first reminder (most keep it, one
defaults).

Deterministic for a given seed: the same options give the same database contents, the same
message files and the same summary. Interrupted and started again with the same options, it
continues where it stopped; every message is still written once.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import pathlib
import random
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

import attrs
from attrs import frozen

from .._invoice import Invoice, InvoiceLine, Payment
from .._manager import CreditManager
from .._message_kind import MessageKind
from .._money import Money
from .._parties import Address, BankAccount, Brand, Channel, Creditor, Debtor, DebtorKind
from .._plans import PlanInterval
from ..engine import (
    CaseStatus,
    ChargeFee,
    DunningSchema,
    HandOver,
    SchemaRule,
    SendMessage,
    StartInterest,
    Step,
    Trigger,
)
from ..engine._plan import PlanOutcome
from ..errors import CreditflowError, NotFoundError, ValidationError
from ..events import (
    DirectDebitReversed,
    Event,
    PaymentReceived,
    ReCollectionScheduled,
    ReCollectionSubmitted,
)
from ..ports import CollectionRequest, DocumentRenderer, Store
from ..rules import StatutoryFee, StatutoryInterest
from ..testing import FakeAgency, FakePaymentLinks, SettableClock, TextRenderer
from ._files import FolderChannel

__all__ = ["DemoCollector", "DemoSettings", "build_manager", "run_demo"]

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


DIRECT_DEBIT = "sepa_direct_debit"
SETTLE_DAYS = 2
"""Days after its collection date on which the bank reports a re-collection's outcome."""


@frozen(kw_only=True)
class PlannedPayment:
    """A payment the simulated debtor makes on a given day."""

    invoice_number: str
    on: dt.date
    amount: Money
    method: str
    reference: str


@frozen(kw_only=True)
class PlannedReversal:
    """A direct debit the debtor's bank sends back, and what becomes of its re-collections."""

    invoice_number: str
    on: dt.date
    amount: Money
    reason_code: str
    payment_reference: str
    bounces: int = 0
    """How many re-collections come back too (``AM04`` again) before one is paid."""


@frozen(kw_only=True)
class PlannedPlan:
    """A payment plan a debtor agrees after the first reminder: kept, or paid once and dropped."""

    invoice_number: str
    agreed_on: dt.date
    kept: bool


@frozen(kw_only=True)
class Portfolio:
    """The generated debtors, their invoices (with the day each is issued) and what they do."""

    debtors: tuple[Debtor, ...]
    invoices: tuple[Invoice, ...]
    payments: tuple[PlannedPayment, ...]
    reversals: tuple[PlannedReversal, ...] = ()
    plans: tuple[PlannedPlan, ...] = ()
    behaviours: dict[str, str] = attrs.field(factory=dict, hash=False)
    mandates: frozenset[str] = frozenset()
    """The codes of the debtors who pay by SEPA direct debit."""


def generate(settings: DemoSettings) -> Portfolio:
    """A deterministic portfolio for the settings' seed."""
    rng = random.Random(settings.seed)  # noqa: S311 - a reproducible demo, not cryptography
    # Direct debits and payment plans draw from a stream of their own, so the debtors, invoices
    # and other payments are the same whichever share of them pays by direct debit.
    extra = random.Random(f"creditflow-demo/{settings.seed}")  # noqa: S311
    debtors: list[Debtor] = []
    invoices: list[Invoice] = []
    payments: list[PlannedPayment] = []
    reversals: list[PlannedReversal] = []
    behaviours: dict[str, str] = {}
    mandates: set[str] = set()
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
        # Reversal notices go by e-mail: direct-debit payers have an address to send them to.
        mandate = email is not None and extra.random() < 0.3
        if mandate:
            mandates.add(code)
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
            planned = _payments(rng, invoice, behaviour)
            if mandate:
                planned, reversal = _direct_debits(extra, invoice, behaviour, reversals)
                reversals += [reversal] if reversal is not None else []
            payments += planned
    plans = _plans(extra, debtors, invoices, behaviours, mandates)
    planned_invoices = {plan.invoice_number for plan in plans}
    return Portfolio(
        debtors=tuple(debtors),
        invoices=tuple(invoices),
        payments=tuple(
            sorted(
                (p for p in payments if p.invoice_number not in planned_invoices),
                key=lambda p: (p.on, p.invoice_number, p.reference),
            )
        ),
        reversals=tuple(sorted(reversals, key=lambda r: (r.on, r.invoice_number))),
        plans=plans,
        behaviours=behaviours,
        mandates=frozenset(mandates),
    )


def _payments(rng: random.Random, invoice: Invoice, behaviour: str) -> list[PlannedPayment]:
    total = invoice.gross_total
    method = rng.choice(["ideal", "bank_transfer", "paypal", "card"])
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


_FINAL_CODES = ("MD06", "AC04", "MS02")
"""Reversal codes that stop direct debit: a refund, a closed account, a refusal by the debtor."""


def _direct_debits(
    rng: random.Random, invoice: Invoice, behaviour: str, earlier: list[PlannedReversal]
) -> tuple[list[PlannedPayment], PlannedReversal | None]:
    """The invoice collected by direct debit on its due date, and whether the debit comes back.

    A debtor who pays on time keeps the money in the account. One who pays late is short of
    funds (``AM04``): the debit is re-collected, every third time twice. One who pays in part or
    never has the debit refunded, the account closed, or refuses it (the codes take turns, so
    each shows up): direct debit stops, the invoice is dunned, and a partial payer pays half by
    bank transfer later.
    """
    total = invoice.gross_total
    debit = PlannedPayment(
        invoice_number=invoice.number,
        amount=total,
        method=DIRECT_DEBIT,
        on=invoice.due_on,
        reference=f"dd-{invoice.number}",
    )
    if behaviour == "on time":
        return [debit], None
    if behaviour == "late":
        reversal = PlannedReversal(
            invoice_number=invoice.number,
            on=invoice.due_on + dt.timedelta(days=rng.randrange(2, 5)),
            amount=total,
            reason_code="AM04",
            payment_reference=debit.reference,
            bounces=1 if sum(r.reason_code == "AM04" for r in earlier) % 3 == 1 else 0,
        )
        return [debit], reversal
    code = _FINAL_CODES[sum(r.reason_code != "AM04" for r in earlier) % len(_FINAL_CODES)]
    # A refund (MD06) comes weeks later; a closed account or a refusal within days.
    days = rng.randrange(10, 35) if code == "MD06" else rng.randrange(2, 5)
    reversal = PlannedReversal(
        invoice_number=invoice.number,
        on=invoice.due_on + dt.timedelta(days=days),
        amount=total,
        reason_code=code,
        payment_reference=debit.reference,
    )
    planned = [debit]
    if behaviour == "partly":
        planned.append(
            PlannedPayment(
                invoice_number=invoice.number,
                amount=total.allocate(2)[0],
                method="bank_transfer",
                on=reversal.on + dt.timedelta(days=rng.randrange(10, 21)),
                reference=f"pay-{invoice.number}",
            )
        )
    return planned, reversal


PLAN_AFTER_DUE = 10
"""Days after the due date on which a plan is agreed: after the first reminder (due + 7)."""


def _plans(
    rng: random.Random,
    debtors: list[Debtor],
    invoices: list[Invoice],
    behaviours: dict[str, str],
    mandates: set[str],
) -> tuple[PlannedPlan, ...]:
    """Plans for about a third of the debtors who pay in part or never (the last one defaults)."""
    reachable = {d.code for d in debtors if d.email is not None}
    first_invoice: dict[str, Invoice] = {}
    for invoice in invoices:
        first_invoice.setdefault(invoice.debtor_code, invoice)
    candidates = [
        invoice
        for code, invoice in first_invoice.items()
        if behaviours[code] in ("partly", "never") and code in reachable and code not in mandates
    ]
    if not candidates:
        return ()
    chosen = sorted(
        rng.sample(candidates, max(1, round(len(candidates) / 3))), key=lambda i: i.number
    )
    return tuple(
        PlannedPlan(
            invoice_number=invoice.number,
            agreed_on=invoice.due_on + dt.timedelta(days=PLAN_AFTER_DUE),
            kept=len(chosen) == 1 or position < len(chosen) - 1,
        )
        for position, invoice in enumerate(chosen)
    )


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


class DemoCollector:
    """The demo's bank for direct-debit re-collections: it takes each one and books it later.

    ``collect`` records the request once per idempotency key and returns a reference derived from
    the key, so a re-collection offered again after a crash gets the same reference. The demo
    reports each outcome :data:`SETTLE_DAYS` after the collection date (:meth:`settling`): a
    payment with that reference, or another ``AM04`` for a re-collection that bounces.
    """

    def __init__(self) -> None:
        self.collections: dict[str, tuple[CollectionRequest, str]] = {}

    def collect(self, request: CollectionRequest) -> str:
        """Accept *request* (once per key); return its reference, ``rc-<invoice>-<attempt>``."""
        if request.idempotency_key not in self.collections:
            attempt = request.idempotency_key.rsplit("/", 1)[-1]
            reference = f"rc-{request.invoice_number}-{attempt}"
            self.collections[request.idempotency_key] = (request, reference)
        return self.collections[request.idempotency_key][1]

    def remember(
        self, event: ReCollectionSubmitted, *, debtor_code: str, original_payment_reference: str
    ) -> None:
        """Know a re-collection submitted before the demo was interrupted."""
        request = CollectionRequest(
            idempotency_key=event.idempotency_key,
            creditor=event.creditor,
            invoice_number=event.invoice_number,
            debtor_code=debtor_code,
            amount=event.amount,
            collect_on=event.collect_on,
            original_payment_reference=original_payment_reference,
        )
        self.collections.setdefault(event.idempotency_key, (request, event.collection_reference))

    def settling(self, today: dt.date) -> list[tuple[CollectionRequest, str]]:
        """The re-collections whose outcome the bank reports *today*, in key order."""
        return [
            self.collections[key]
            for key in sorted(self.collections)
            if self.collections[key][0].collect_on + dt.timedelta(days=SETTLE_DAYS) == today
        ]


def build_manager(
    settings: DemoSettings, store: Store, clock: SettableClock
) -> tuple[CreditManager, FakeAgency]:
    """The demo creditor's manager: folder channels, fake payment links, collector and agency."""
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
        collector=DemoCollector(),
        agency=agency,
        clock=clock,
        renderer=TextRenderer(),
        schema_rules=SCHEMA_RULES,
        send_window=None,
    )
    return manager, agency


def _letter_renderer() -> DocumentRenderer:
    """PDF letters when the ``pdf`` extra is installed, text letters otherwise."""
    if importlib.util.find_spec("borb") is None:
        return TextRenderer()
    from ..adapters.pdf import PdfRenderer

    return PdfRenderer()


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
    """Set up (on the first day) and dun the portfolio day by day; returns the manager.

    Each morning, before the run: invoices are issued, debtors pay, banks send direct debits
    back and report re-collections, and debtors agree payment plans and pay their instalments.
    Every action checks the store first, so a day repeated after an interruption does nothing
    twice.
    """
    portfolio = generate(settings)
    clock = SettableClock(START + dt.timedelta(days=resume_from))
    manager, _ = build_manager(settings, store, clock)
    collector = manager.collector
    assert isinstance(collector, DemoCollector)
    if resume_from == 0:
        for schema in schemas():
            manager.register_schema(schema)
        for debtor in portfolio.debtors:
            manager.upsert_debtor(debtor)
    else:
        _restore_collections(manager, collector, portfolio)
    by_issue: dict[dt.date, list[Invoice]] = {}
    for invoice in portfolio.invoices:
        by_issue.setdefault(invoice.issued_on, []).append(invoice)
    by_day: dict[dt.date, list[PlannedPayment]] = {}
    for payment in portfolio.payments:
        by_day.setdefault(payment.on, []).append(payment)
    reversals_by_day: dict[dt.date, list[PlannedReversal]] = {}
    for reversal in portfolio.reversals:
        reversals_by_day.setdefault(reversal.on, []).append(reversal)
    bounces = {r.invoice_number: r.bounces for r in portfolio.reversals}
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
            _pay(manager, planned, today)
        for reversal in reversals_by_day.get(today, []):
            _reverse(manager, reversal, today)
        for request, reference in collector.settling(today):
            _settle(manager, request, reference, today, bounces)
        for plan in portfolio.plans:
            _follow_plan(manager, plan, today)
        manager.run()
        _mark_progress(settings, offset + 1)
        if progress is not None:
            progress(offset + 1)
    return manager


def _paid_before(history: Iterable[Event], reference: str) -> bool:
    """Whether *history* has a payment with *reference* (recorded before an interruption)."""
    return any(isinstance(e, PaymentReceived) and e.payment.reference == reference for e in history)


def _pay(manager: CreditManager, planned: PlannedPayment, today: dt.date) -> None:
    if not _registered(manager, planned.invoice_number):
        return
    status = manager.invoice_status(planned.invoice_number)
    if (
        _paid_before(status.history, planned.reference)
        or status.status.is_final
        or not status.open_amount.is_positive
    ):
        return
    manager.record_payment(
        planned.invoice_number,
        Payment(
            amount=planned.amount.min(status.open_amount),
            method=planned.method,
            reference=planned.reference,
            paid_on=today,
        ),
    )


def _reverse(manager: CreditManager, reversal: PlannedReversal, today: dt.date) -> None:
    """The debtor's bank sends the direct debit back (once: a repeated day finds it recorded)."""
    if not _registered(manager, reversal.invoice_number):
        return
    history = manager.history(reversal.invoice_number)
    if not _paid_before(history, reversal.payment_reference) or any(
        isinstance(e, DirectDebitReversed) and e.payment_reference == reversal.payment_reference
        for e in history
    ):
        return
    manager.record_direct_debit_reversal(
        reversal.invoice_number,
        amount=reversal.amount,
        reason_code=reversal.reason_code,
        on=today,
        payment_reference=reversal.payment_reference,
    )


def _settle(
    manager: CreditManager,
    request: CollectionRequest,
    reference: str,
    today: dt.date,
    bounces: dict[str, int],
) -> None:
    """Report a re-collection's outcome: paid, or (for the first ``bounces``) back with AM04."""
    status = manager.invoice_status(request.invoice_number)
    history = status.history
    if status.status is not CaseStatus.AWAITING_RECOLLECTION or any(
        isinstance(e, DirectDebitReversed) and e.payment_reference == reference for e in history
    ):
        return  # reported before this day was interrupted, or no longer awaited
    attempt = int(request.idempotency_key.rsplit("/", 1)[-1])
    if attempt <= bounces.get(request.invoice_number, 0):
        manager.record_direct_debit_reversal(
            request.invoice_number,
            amount=request.amount,
            reason_code="AM04",
            on=today,
            payment_reference=reference,
        )
    elif not _paid_before(history, reference):
        manager.record_payment(
            request.invoice_number,
            Payment(amount=request.amount, method=DIRECT_DEBIT, reference=reference, paid_on=today),
        )


def _restore_collections(
    manager: CreditManager, collector: DemoCollector, portfolio: Portfolio
) -> None:
    """Tell a fresh collector the re-collections submitted before an interruption."""
    for reversal in portfolio.reversals:
        if not _registered(manager, reversal.invoice_number):
            continue
        status = manager.invoice_status(reversal.invoice_number)
        originals: dict[str, str] = {}
        for event in status.history:
            if isinstance(event, ReCollectionScheduled):
                originals[event.idempotency_key] = event.original_payment_reference
            elif isinstance(event, ReCollectionSubmitted):
                collector.remember(
                    event,
                    debtor_code=status.debtor_code,
                    original_payment_reference=originals.get(event.idempotency_key, ""),
                )


def _follow_plan(manager: CreditManager, planned: PlannedPlan, today: dt.date) -> None:
    """Agree the plan on its day, then pay its instalments on their due dates (kept plans)."""
    if today < planned.agreed_on or not _registered(manager, planned.invoice_number):
        return
    try:
        plan = manager.payment_plan(planned.invoice_number)
    except NotFoundError:
        if today != planned.agreed_on:
            return
        try:
            manager.create_payment_plan(
                planned.invoice_number,
                installments=3,
                start_on=today + dt.timedelta(days=7),
                interval=PlanInterval.TWO_WEEKS,
            )
        except CreditflowError:
            return  # paid, stopped or handed over by now: no plan to agree
        return
    if plan.outcome is not PlanOutcome.ACTIVE:
        return
    for installment in plan.installments:
        if installment.due_on != today or installment.is_paid:
            continue
        if not planned.kept and installment.number > 1:
            return  # pays the first instalment, then stops: the plan defaults
        manager.record_payment(
            planned.invoice_number,
            Payment(
                amount=installment.open,
                method="ideal",
                reference=f"{plan.reference}/{installment.number}",
                paid_on=today,
            ),
        )


def _registered(manager: CreditManager, number: str) -> bool:
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
