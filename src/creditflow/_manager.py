"""``CreditManager``: the verbs a host calls, for one creditor, over its store and ports."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import attrs
from attrs import frozen

from ._account import AllocationPolicy
from ._delivery import Member, deliver_messages, group_key, revoke_payment_links
from ._invoice import CreditNote, Invoice, Payment
from ._money import Money
from ._parties import Channel, Creditor, Debtor
from ._reports import InvoiceStatus, RunError, RunReport, Timeline, TimelineEntry
from .engine._calendar import BusinessCalendar
from .engine._case import Case, CaseStatus, evolve
from .engine._decide import (
    Decision,
    DecisionContext,
    _interest_events,
    decide,
    next_action_on,
)
from .engine._effects import DeliverMessage, Effect, RequestHandover, RequestSubscriptionStop
from .engine._schema import DunningSchema, HandOver, SchemaRule, StopSubscription
from .errors import (
    ConcurrencyError,
    CurrencyMismatchError,
    DeliveryError,
    DuplicateError,
    InvalidStateError,
    NotFoundError,
    SchemaError,
    ValidationError,
)
from .events import (
    AgencyStatus,
    AgencyStatusChanged,
    CasePaused,
    CaseResumed,
    CaseStopped,
    CaseWrittenOff,
    CreditNoteApplied,
    Event,
    FeeCharged,
    HandedOver,
    HandoverFailed,
    HoldKind,
    InterestAccrued,
    InvoiceRegistered,
    PaymentReceived,
    RecallRequested,
    StepExecuted,
    SubscriptionStopped,
)
from .ports import (
    Claim,
    Clock,
    CollectionAgency,
    DebtorRecord,
    DirectDebitCollector,
    DocumentRenderer,
    EventSink,
    MessageChannel,
    OutboxEntry,
    PaymentLinks,
    Store,
    Subscriptions,
    UnitOfWork,
)
from .render import MessageComposer, Templates

__all__ = ["CreditManager", "RetryPolicy", "SendWindow"]

log = logging.getLogger("creditflow")


@frozen(kw_only=True)
class RetryPolicy:
    """How a failing port is retried: exponential back-off, then the next channel."""

    max_attempts: int = 4
    """Attempts per channel (or per handover / subscription call) before giving up on it."""
    first_delay: dt.timedelta = dt.timedelta(minutes=5)
    max_delay: dt.timedelta = dt.timedelta(hours=6)

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after the *attempts*-th failure."""
        return min(self.first_delay * (1 << max(attempts - 1, 0)), self.max_delay)


@frozen(kw_only=True)
class SendWindow:
    """Hours in the debtor's time zone in which e-mail and SMS go out (letters any time)."""

    start: dt.time = dt.time(8, 0)
    end: dt.time = dt.time(21, 0)

    def next_open(self, now: dt.datetime, time_zone: str) -> dt.datetime:
        """*now* if it is inside the window in *time_zone*, else the window's next opening."""
        local = now.astimezone(zoneinfo.ZoneInfo(time_zone))
        if self.start <= local.time() < self.end:
            return now
        day = local.date() if local.time() < self.start else local.date() + dt.timedelta(days=1)
        opening = dt.datetime.combine(day, self.start, tzinfo=local.tzinfo)
        return opening.astimezone(now.tzinfo)


def _utc(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValidationError(
            f"now {now.isoformat()} has no time zone; pass an aware datetime, e.g. "
            f"datetime.now(timezone.utc)"
        )
    return now.astimezone(dt.UTC)


class CreditManager:
    """Credit management for one creditor: the verbs a host calls.

    Everything is stored through ``store``; side effects go through the ports, each exactly once
    (see :meth:`run`). Only ``creditor`` and ``store`` are required: a port that is not given is
    simply not available, and a schema that needs it is refused at registration.

    Thread safety: a manager may be shared by threads; each call works in its own unit of work.
    """

    def __init__(
        self,
        *,
        creditor: Creditor,
        store: Store,
        channels: Mapping[Channel, MessageChannel] | None = None,
        payment_links: PaymentLinks | None = None,
        collector: DirectDebitCollector | None = None,
        agency: CollectionAgency | None = None,
        subscriptions: Subscriptions | None = None,
        events: EventSink | Sequence[EventSink] | None = None,
        clock: Clock | None = None,
        renderer: DocumentRenderer | None = None,
        templates: MessageComposer | None = None,
        schema_rules: Sequence[SchemaRule] = (),
        default_schema: str | None = None,
        allocation_policy: AllocationPolicy = AllocationPolicy.DUTCH_CIVIL_CODE,
        send_window: SendWindow | None = SendWindow(),
        retry: RetryPolicy = RetryPolicy(),
        payment_link_days: int = 30,
        batch_size: int = 500,
        group_messages: bool = False,
    ) -> None:
        if not isinstance(creditor, Creditor):
            raise TypeError(f"creditor must be a Creditor, got {type(creditor).__name__}")
        self.creditor = creditor
        self.store = store
        self.channels: dict[Channel, MessageChannel] = dict(channels or {})
        self.payment_links = payment_links
        self.collector = collector
        self.agency = agency
        self.subscriptions = subscriptions
        if events is None:
            self._sinks: tuple[EventSink, ...] = ()
        elif isinstance(events, Sequence):
            self._sinks = tuple(events)
        else:
            self._sinks = (events,)
        if clock is None:
            from .adapters.clock import SystemClock

            clock = SystemClock()
        self.clock = clock
        self.renderer = renderer
        self.templates: MessageComposer = templates if templates is not None else Templates()
        self.schema_rules = tuple(schema_rules)
        self.default_schema = default_schema
        self.allocation_policy = allocation_policy
        self.send_window = send_window
        self.retry = retry
        self.payment_link_days = payment_link_days
        self.batch_size = batch_size
        self.group_messages = group_messages
        """Send one message per debtor, day, kind and channel listing all its invoices due then."""
        self.calendar = BusinessCalendar(creditor.country)
        self._schemas: dict[tuple[str, int], DunningSchema] = {}

    def __repr__(self) -> str:
        return f"<CreditManager creditor={self.creditor.key!r}>"

    # -- time ------------------------------------------------------------------------------------

    def _now(self, now: dt.datetime | None) -> dt.datetime:
        return _utc(self.clock.now() if now is None else now)

    def today(self, now: dt.datetime | None = None) -> dt.date:
        """The business date in the creditor's time zone (from the clock, or *now*)."""
        return self._now(now).astimezone(zoneinfo.ZoneInfo(self.creditor.time_zone)).date()

    # -- plumbing ----------------------------------------------------------------------------------

    @contextmanager
    def _uow(self) -> Iterator[UnitOfWork]:
        with self.store.unit_of_work() as uow:
            yield uow

    def _publish(self, events: Sequence[Event]) -> None:
        try:
            revoke_payment_links(self, events)
        except Exception:
            log.exception("revoking payment links failed; the links still expire")
        for sink in self._sinks:
            try:
                sink.publish(events)
            except Exception:
                log.exception("event sink %r failed; the events are stored and stay stored", sink)

    def _schema(self, uow: UnitOfWork, key: str, version: int | None = None) -> DunningSchema:
        if version is not None and (key, version) in self._schemas:
            return self._schemas[(key, version)]
        schema = uow.schemas.get(self.creditor.key, key, version)
        if schema is None:
            known = "" if version is None else f" version {version}"
            raise NotFoundError(
                f"no dunning schema {key!r}{known} is registered for creditor "
                f"{self.creditor.key!r}; call register_schema first"
            )
        self._schemas[(schema.key, schema.version)] = schema
        return schema

    def _case(self, uow: UnitOfWork, invoice_number: str) -> Case:
        case = uow.cases.load(self.creditor.key, invoice_number)
        if case is None:
            raise NotFoundError(
                f"invoice {invoice_number!r} is not registered for creditor "
                f"{self.creditor.key!r}; call register_invoice first"
            )
        return case

    def _debtor(self, uow: UnitOfWork, code: str) -> DebtorRecord:
        record = uow.debtors.get(self.creditor.key, code)
        if record is None:
            raise NotFoundError(
                f"debtor {code!r} is not known to creditor {self.creditor.key!r}; "
                f"call upsert_debtor first"
            )
        return record

    def _context(self, debtor: Debtor) -> DecisionContext:
        return DecisionContext(debtor=debtor, creditor=self.creditor, calendar=self.calendar)

    def _event(
        self, case: Case, cls: type[Event], on: dt.date, offset: int, **fields: object
    ) -> Event:
        return cls(
            creditor=self.creditor.key,
            invoice_number=case.invoice_number,
            sequence=case.version + offset,
            occurred_on=on,
            **fields,
        )

    def _append(self, uow: UnitOfWork, case: Case, events: Sequence[Event]) -> Case:
        """Fold *events* into *case* and store both; returns the new case."""
        if not events:
            return case
        new = case
        for event in events:
            new = evolve(new, event)
        schema = self._schema(uow, new.schema_key, new.schema_version)
        uow.cases.append(
            self.creditor.key,
            events,
            expected_version=case.version,
            case=new,
            next_action_on=next_action_on(new, schema, self.calendar),
        )
        return new

    def _numbered(
        self, case: Case, on: dt.date, *specs: tuple[type[Event], dict[str, object]]
    ) -> list[Event]:
        return [
            self._event(case, cls, on, offset, **fields)
            for offset, (cls, fields) in enumerate(specs, start=1)
        ]

    def _change(
        self, invoice_number: str, build: Callable[[UnitOfWork, Case], list[Event]]
    ) -> Case:
        """Load a case, build events with *build*, store them and publish them, in one unit of work."""
        with self._uow() as uow:
            case = self._case(uow, invoice_number)
            events = build(uow, case)
            case = self._append(uow, case, events)
            uow.commit()
        self._publish(events)
        return case

    # -- schemas and debtors --------------------------------------------------------------------

    def register_schema(self, schema: DunningSchema) -> DunningSchema:
        """Register a dunning schema (or a new version of one).

        Registering the same version again with the same steps does nothing; a changed schema
        needs a higher ``version``. Cases already running keep the version they started with.

        Raises:
            SchemaError: the schema breaks a rule pack's legal order of steps, uses a channel,
                agency or subscription port this manager has not got, or reuses a version.
        """
        if not isinstance(schema, DunningSchema):
            raise TypeError(f"expected a DunningSchema, got {type(schema).__name__}")
        schema.check()
        self._check_ports(schema)
        with self._uow() as uow:
            latest = uow.schemas.get(self.creditor.key, schema.key)
            if latest is not None:
                existing = uow.schemas.get(self.creditor.key, schema.key, schema.version)
                if existing == schema:
                    return existing
                if schema.version <= latest.version:
                    raise SchemaError(
                        f"schema {schema.key!r} version {schema.version} is already registered "
                        f"(latest is {latest.version}); register the change as version "
                        f"{latest.version + 1}"
                    )
            uow.schemas.add(self.creditor.key, schema)
            uow.commit()
        self._schemas[(schema.key, schema.version)] = schema
        return schema

    def _check_ports(self, schema: DunningSchema) -> None:
        for step in schema.steps:
            message = step.message
            if message is not None:
                missing = [str(c) for c in message.channels if c not in self.channels]
                if missing:
                    raise SchemaError(
                        f"schema {schema.key!r} step {step.name!r} sends on {missing} but this "
                        f"manager has no adapter for it; pass channels={{Channel(...): adapter}}"
                    )
            for action in step.actions:
                if isinstance(action, HandOver) and self.agency is None:
                    raise SchemaError(
                        f"schema {schema.key!r} step {step.name!r} hands over to a collection "
                        f"agency but this manager has no agency port; pass agency=..."
                    )
                if isinstance(action, StopSubscription) and self.subscriptions is None:
                    raise SchemaError(
                        f"schema {schema.key!r} step {step.name!r} stops subscriptions but this "
                        f"manager has no subscriptions port; pass subscriptions=..."
                    )

    def upsert_debtor(self, debtor: Debtor) -> None:
        """Add or update a debtor. Cases paused because the debtor was unreachable are resumed."""
        if not isinstance(debtor, Debtor):
            raise TypeError(f"expected a Debtor, got {type(debtor).__name__}")
        today = self.today()
        published: list[Event] = []
        with self._uow() as uow:
            record = uow.debtors.get(self.creditor.key, debtor.code)
            record = attrs.evolve(record, debtor=debtor) if record else DebtorRecord(debtor=debtor)
            uow.debtors.put(self.creditor.key, record)
            for number in uow.cases.of_debtor(self.creditor.key, debtor.code):
                case = self._case(uow, number)
                if case.hold(HoldKind.VALIDATION) is not None:
                    events = self._numbered(
                        case,
                        today,
                        (
                            CaseResumed,
                            {
                                "kind": HoldKind.VALIDATION,
                                "reason": "the debtor's details were updated",
                            },
                        ),
                    )
                    self._append(uow, case, events)
                    published += events
            uow.commit()
        self._publish(published)

    def debtor(self, code: str) -> Debtor:
        """The stored debtor with *code*."""
        with self._uow() as uow:
            return self._debtor(uow, code).debtor

    # -- invoices ---------------------------------------------------------------------------------

    def _choose_schema(self, debtor: Debtor, schema_key: str | None) -> str:
        if schema_key is not None:
            return schema_key
        for rule in self.schema_rules:
            if rule.matches(debtor):
                return rule.schema_key
        if self.default_schema is not None:
            return self.default_schema
        raise ValidationError(
            f"no schema for debtor {debtor.code!r}: pass schema_key=..., or give the manager "
            f"schema_rules that match the debtor, or a default_schema"
        )

    def register_invoice(
        self,
        invoice: Invoice,
        *,
        schema_key: str | None = None,
        max_step: int | None = None,
    ) -> InvoiceStatus:
        """Hand an invoice to credit management; its case starts on the schema's latest version.

        Raises:
            NotFoundError: the debtor or the schema is unknown.
            DuplicateError: an invoice with this number is registered already.
            ValidationError: a step's threshold is in another currency, or ``max_step`` is negative.
        """
        if not isinstance(invoice, Invoice):
            raise TypeError(f"expected an Invoice, got {type(invoice).__name__}")
        if max_step is not None and max_step < 0:
            raise ValidationError(f"max_step must be 0 or more, got {max_step}")
        today = self.today()
        with self._uow() as uow:
            record = self._debtor(uow, invoice.debtor_code)
            key = self._choose_schema(record.debtor, schema_key)
            schema = self._schema(uow, key)
            for step in schema.steps:
                threshold = step.min_open_amount
                if threshold is not None and threshold.currency != invoice.currency:
                    raise CurrencyMismatchError(
                        f"invoice {invoice.number!r} is in {invoice.currency} but schema "
                        f"{schema.key!r} step {step.name!r} has a threshold of {threshold}; "
                        f"use a schema for {invoice.currency}"
                    )
            if uow.cases.load(self.creditor.key, invoice.number) is not None:
                raise DuplicateError(
                    f"invoice {invoice.number!r} is registered already for creditor "
                    f"{self.creditor.key!r}; each invoice number is registered once"
                )
            first: list[Event] = [
                InvoiceRegistered(
                    creditor=self.creditor.key,
                    invoice_number=invoice.number,
                    sequence=1,
                    occurred_on=today,
                    invoice=invoice,
                    schema_key=schema.key,
                    schema_version=schema.version,
                    max_step=max_step,
                )
            ]
            case = evolve(None, first[0])
            if record.is_paused:
                first.append(
                    CasePaused(
                        creditor=self.creditor.key,
                        invoice_number=invoice.number,
                        sequence=2,
                        occurred_on=today,
                        kind=HoldKind.DEBTOR,
                        reason=record.hold_reason or "",
                        until=record.hold_until,
                    )
                )
                case = evolve(case, first[1])
            uow.cases.append(
                self.creditor.key,
                first,
                expected_version=0,
                case=case,
                next_action_on=next_action_on(case, schema, self.calendar),
            )
            uow.commit()
        self._publish(first)
        return self.invoice_status(invoice.number)

    def _accrue(self, uow: UnitOfWork, case: Case, on: dt.date) -> list[Event]:
        """Interest up to *on*, posted before money moves (payments pay interest first)."""
        if case.interest_from is None:
            return []
        schema = self._schema(uow, case.schema_key, case.schema_version)
        record = self._debtor(uow, case.debtor_code)
        events = _interest_events(case, schema, on, self._context(record.debtor), None)
        return [attrs.evolve(e, sequence=case.version + i) for i, e in enumerate(events, start=1)]

    def create_credit_note(self, credit_note: CreditNote) -> InvoiceStatus:
        """Lower an invoice's principal; a credit for all that is open settles it.

        Raises:
            ValidationError: the credit note is larger than the open principal (both amounts named).
        """
        if not isinstance(credit_note, CreditNote):
            raise TypeError(f"expected a CreditNote, got {type(credit_note).__name__}")

        def build(uow: UnitOfWork, case: Case) -> list[Event]:
            gross = credit_note.gross
            if gross.currency != case.account.currency:
                raise CurrencyMismatchError(
                    f"credit note {credit_note.number!r} is in {gross.currency} but invoice "
                    f"{case.invoice_number!r} is in {case.account.currency}"
                )
            if gross > case.account.open_principal:
                raise ValidationError(
                    f"credit note {credit_note.number!r} of {gross} exceeds the open principal "
                    f"{case.account.open_principal} of invoice {case.invoice_number!r}; credit at "
                    f"most what is open"
                )
            for event in uow.cases.events(self.creditor.key, case.invoice_number):
                if (
                    isinstance(event, CreditNoteApplied)
                    and event.credit_note.number == credit_note.number
                ):
                    raise DuplicateError(
                        f"credit note {credit_note.number!r} was applied to invoice "
                        f"{case.invoice_number!r} already"
                    )
            events = self._accrue(uow, case, credit_note.issued_on)
            events.append(
                self._event(
                    case,
                    CreditNoteApplied,
                    credit_note.issued_on,
                    len(events) + 1,
                    credit_note=credit_note,
                )
            )
            return events

        self._change(credit_note.invoice_number, build)
        return self.invoice_status(credit_note.invoice_number)

    def record_payment(self, invoice_number: str, payment: Payment) -> InvoiceStatus:
        """Record money received for an invoice, allocated by the manager's allocation policy.

        Recording the same payment (same reference, same amount) again does nothing, so a retried
        webhook is harmless. Overpayment is kept as a credit balance.

        Raises:
            NotFoundError: the invoice is unknown.
            CurrencyMismatchError: the payment is in another currency.
            DuplicateError: the reference was recorded before with other details.
        """
        if not isinstance(payment, Payment):
            raise TypeError(f"expected a Payment, got {type(payment).__name__}")
        with self._uow() as uow:
            case = self._case(uow, invoice_number)
            for event in uow.cases.events(self.creditor.key, invoice_number):
                if (
                    isinstance(event, PaymentReceived)
                    and event.payment.reference == payment.reference
                ):
                    if event.payment == payment:
                        return self.invoice_status(invoice_number)
                    raise DuplicateError(
                        f"payment {payment.reference!r} was recorded for invoice "
                        f"{invoice_number!r} already, with other details ({event.payment.amount} "
                        f"on {event.payment.paid_on}); each reference counts once"
                    )
            events = self._accrue(uow, case, payment.paid_on)
            account = case.account
            for event in events:
                account = account.apply(event)
            allocation = account.allocate(payment, self.allocation_policy)
            events.append(
                self._event(
                    case,
                    PaymentReceived,
                    payment.paid_on,
                    len(events) + 1,
                    payment=payment,
                    allocation=allocation,
                )
            )
            self._append(uow, case, events)
            uow.commit()
        self._publish(events)
        return self.invoice_status(invoice_number)

    # -- pause, stop, dispute, write-off ---------------------------------------------------------

    def _require_open(self, case: Case, verb: str) -> None:
        if case.status.is_final:
            raise InvalidStateError(
                f"cannot {verb} invoice {case.invoice_number!r}: its credit management has ended "
                f"({case.status.value})"
            )

    def _hold(
        self, invoice_number: str, kind: HoldKind, reason: str, until: dt.date | None, verb: str
    ) -> InvoiceStatus:
        today = self.today()
        if until is not None and until <= today:
            raise ValidationError(f"pause end date {until} is not after today ({today})")

        def build(uow: UnitOfWork, case: Case) -> list[Event]:
            self._require_open(case, verb)
            return [self._event(case, CasePaused, today, 1, kind=kind, reason=reason, until=until)]

        self._change(invoice_number, build)
        return self.invoice_status(invoice_number)

    def _release(
        self, invoice_number: str, kinds: tuple[HoldKind, ...], verb: str
    ) -> InvoiceStatus:
        today = self.today()

        def build(uow: UnitOfWork, case: Case) -> list[Event]:
            held = [h for h in case.holds if h.kind in kinds]
            if not held:
                other = ", ".join(h.kind.value for h in case.holds) or "none"
                raise InvalidStateError(
                    f"cannot {verb} invoice {case.invoice_number!r}: it is not paused that way "
                    f"(status {case.status.value}; holds: {other})"
                )
            return [
                self._event(case, CaseResumed, today, i, kind=h.kind, reason=verb)
                for i, h in enumerate(held, start=1)
            ]

        self._change(invoice_number, build)
        return self.invoice_status(invoice_number)

    def pause_invoice(
        self, invoice_number: str, *, reason: str, until: dt.date | None = None
    ) -> InvoiceStatus:
        """Pause dunning of one invoice, until a date (then it resumes by itself) or a resume."""
        return self._hold(invoice_number, HoldKind.MANUAL, reason, until, "pause")

    def resume_invoice(self, invoice_number: str) -> InvoiceStatus:
        """End a manual (or validation) pause; steps that fell due meanwhile run at the next run.

        Raises:
            InvalidStateError: the invoice is not paused by hand or for validation.
        """
        return self._release(invoice_number, (HoldKind.MANUAL, HoldKind.VALIDATION), "resume")

    def open_dispute(self, invoice_number: str, *, reason: str) -> InvoiceStatus:
        """The debtor disputes the invoice: dunning waits until :meth:`resolve_dispute`."""
        return self._hold(invoice_number, HoldKind.DISPUTE, reason, None, "dispute")

    def resolve_dispute(self, invoice_number: str) -> InvoiceStatus:
        """End a dispute; dunning continues where it was."""
        return self._release(invoice_number, (HoldKind.DISPUTE,), "resolve the dispute of")

    def stop_invoice(self, invoice_number: str, *, reason: str) -> InvoiceStatus:
        """End dunning of an invoice for good (what is open stays open)."""
        today = self.today()

        def build(uow: UnitOfWork, case: Case) -> list[Event]:
            self._require_open(case, "stop")
            return [self._event(case, CaseStopped, today, 1, reason=reason)]

        self._change(invoice_number, build)
        return self.invoice_status(invoice_number)

    def write_off(self, invoice_number: str, *, reason: str) -> InvoiceStatus:
        """Give up on what is open of an invoice."""
        today = self.today()

        def build(uow: UnitOfWork, case: Case) -> list[Event]:
            self._require_open(case, "write off")
            return [self._event(case, CaseWrittenOff, today, 1, reason=reason)]

        self._change(invoice_number, build)
        return self.invoice_status(invoice_number)

    def pause_debtor(self, debtor_code: str, *, reason: str, until: dt.date | None = None) -> None:
        """Pause dunning of all of a debtor's invoices, and of any registered while paused."""
        today = self.today()
        if until is not None and until <= today:
            raise ValidationError(f"pause end date {until} is not after today ({today})")
        published: list[Event] = []
        with self._uow() as uow:
            record = self._debtor(uow, debtor_code)
            uow.debtors.put(
                self.creditor.key, attrs.evolve(record, hold_reason=reason, hold_until=until)
            )
            for number in uow.cases.of_debtor(self.creditor.key, debtor_code):
                case = self._case(uow, number)
                if case.status.is_final:
                    continue
                events = self._numbered(
                    case,
                    today,
                    (CasePaused, {"kind": HoldKind.DEBTOR, "reason": reason, "until": until}),
                )
                self._append(uow, case, events)
                published += events
            uow.commit()
        self._publish(published)

    def resume_debtor(self, debtor_code: str) -> None:
        """End a debtor-wide pause.

        Raises:
            InvalidStateError: the debtor is not paused.
        """
        today = self.today()
        published: list[Event] = []
        with self._uow() as uow:
            record = self._debtor(uow, debtor_code)
            if not record.is_paused:
                raise InvalidStateError(f"debtor {debtor_code!r} is not paused")
            uow.debtors.put(
                self.creditor.key, attrs.evolve(record, hold_reason=None, hold_until=None)
            )
            for number in uow.cases.of_debtor(self.creditor.key, debtor_code):
                case = self._case(uow, number)
                if case.hold(HoldKind.DEBTOR) is None:
                    continue
                events = self._numbered(
                    case,
                    today,
                    (CaseResumed, {"kind": HoldKind.DEBTOR, "reason": "the debtor was resumed"}),
                )
                self._append(uow, case, events)
                published += events
            uow.commit()
        self._publish(published)

    # -- collection agency --------------------------------------------------------------------------

    def record_agency_status(
        self, invoice_number: str, status: AgencyStatus, *, note: str = ""
    ) -> InvoiceStatus:
        """Record what the collection agency reported (accepted, refused, collected, ...)."""
        today = self.today()

        def build(uow: UnitOfWork, case: Case) -> list[Event]:
            if case.agency.value in ("none",):
                raise InvalidStateError(
                    f"invoice {invoice_number!r} was never handed to a collection agency"
                )
            return [self._event(case, AgencyStatusChanged, today, 1, status=status, note=note)]

        self._change(invoice_number, build)
        return self.invoice_status(invoice_number)

    def recall_from_agency(self, invoice_number: str, *, reason: str) -> InvoiceStatus:
        """Ask the agency to hand the claim back; confirm with ``record_agency_status(RECALLED)``."""
        today = self.today()
        reference: list[str] = []

        def build(uow: UnitOfWork, case: Case) -> list[Event]:
            if case.status is not CaseStatus.AT_AGENCY:
                raise InvalidStateError(
                    f"invoice {invoice_number!r} is not at a collection agency "
                    f"(status {case.status.value})"
                )
            for event in uow.cases.events(self.creditor.key, invoice_number):
                if isinstance(event, HandedOver):
                    reference.append(event.agency_reference)
            return [self._event(case, RecallRequested, today, 1, reason=reason)]

        self._change(invoice_number, build)
        if self.agency is not None and reference:
            self.agency.recall(reference[-1], reason=reason)
        return self.invoice_status(invoice_number)

    # -- the run ----------------------------------------------------------------------------------------

    def run(self, now: dt.datetime | None = None) -> RunReport:
        """Process everything due, exactly once.

        For each due case (the store's index, so the cost grows with what is due, not with what
        is open): decide, then record the events and queue the side effects in one unit of work.
        Then deliver the queued effects to the ports, recording each result as an event. Running
        twice, every hour instead of once a day, or again after a crash at any point produces the
        same messages, fees and calls as one clean run.
        """
        now = self._now(now)
        today = self.today(now)
        stats = _Stats()
        done: set[str] = set()
        while True:
            with self._uow() as uow:
                due = [
                    n
                    for n in uow.cases.due(self.creditor.key, today, limit=self.batch_size)
                    if n not in done
                ]
            if not due:
                break
            for number in due:
                done.add(number)
                stats.due_cases += 1
                try:
                    self._advance(number, today, now, stats)
                except ConcurrencyError:
                    stats.conflicts += 1
                except Exception as exc:
                    log.exception("invoice %s failed in the run", number)
                    stats.errors.append(RunError(invoice_number=number, error=str(exc)))
        self.dispatch(now, _stats=stats)
        return stats.report(today)

    def _advance(
        self, invoice_number: str, today: dt.date, now: dt.datetime, stats: _Stats
    ) -> None:
        for _ in range(8):  # a case reaches its fixed point for *today* in a few decisions
            with self._uow() as uow:
                case = self._case(uow, invoice_number)
                schema = self._schema(uow, case.schema_key, case.schema_version)
                debtor = self._debtor(uow, case.debtor_code).debtor
                decision = decide(case, schema, today, self._context(debtor))
                if not decision:
                    # Nothing to do today: make sure the index agrees, so the case is not due again.
                    uow.cases.append(
                        self.creditor.key,
                        (),
                        expected_version=case.version,
                        case=case,
                        next_action_on=next_action_on(case, schema, self.calendar),
                    )
                    uow.commit()
                    return
                self._append(uow, case, decision.events)
                uow.outbox.add(
                    self.creditor.key,
                    [
                        OutboxEntry(
                            effect=effect, available_at=self._available_at(effect, debtor, now)
                        )
                        for effect in decision.effects
                    ],
                )
                uow.commit()
            stats.steps_executed += sum(isinstance(e, StepExecuted) for e in decision.events)
            stats.events_recorded += len(decision.events)
            stats.effects_queued += len(decision.effects)
            self._publish(decision.events)

    def _available_at(self, effect: Effect, debtor: Debtor, now: dt.datetime) -> dt.datetime:
        if (
            isinstance(effect, DeliverMessage)
            and self.send_window is not None
            and effect.channels[0] != Channel.LETTER
        ):
            return self.send_window.next_open(now, debtor.time_zone)
        return now

    def dispatch(
        self, now: dt.datetime | None = None, *, _stats: _Stats | None = None
    ) -> RunReport:
        """Deliver queued side effects whose time has come (``run`` calls this itself)."""
        now = self._now(now)
        stats = _stats if _stats is not None else _Stats()
        tried: set[str] = set()
        while True:
            with self._uow() as uow:
                entries = [
                    e
                    for e in uow.outbox.pending(self.creditor.key, now, limit=self.batch_size)
                    if e.idempotency_key not in tried
                ]
            if not entries:
                break
            for entry in entries:
                if entry.idempotency_key in tried:
                    continue  # went out with an earlier entry's grouped message
                tried.add(entry.idempotency_key)
                group = [entry]
                if self.group_messages and group_key(entry) is not None:
                    group += [
                        e
                        for e in entries
                        if e.idempotency_key not in tried and group_key(e) == group_key(entry)
                    ]
                    tried.update(e.idempotency_key for e in group)
                try:
                    if len(group) > 1:
                        self._deliver_group(group, now, stats)
                    else:
                        self._deliver(entry, now, stats)
                except ConcurrencyError:
                    stats.conflicts += 1
                except Exception as exc:
                    log.exception("effect %s failed", entry.idempotency_key)
                    stats.errors.append(
                        RunError(invoice_number=entry.effect.invoice_number, error=str(exc))
                    )
        return stats.report(self.today(now))

    def _finish(
        self,
        entry: OutboxEntry,
        specs: Sequence[tuple[type[Event], dict[str, object]]],
        now: dt.datetime,
        *,
        done: bool = True,
        retry_at: dt.datetime | None = None,
        attempts: int | None = None,
        channel_index: int | None = None,
        error: str | None = None,
    ) -> list[Event]:
        """Record a delivery's outcome: its events and the entry's new state, in one unit of work."""
        with self._uow() as uow:
            case = self._case(uow, entry.effect.invoice_number)
            today = self.today(now)
            events = self._numbered(case, today, *specs)
            self._append(uow, case, events)
            uow.outbox.update(
                self.creditor.key,
                attrs.evolve(
                    entry,
                    done=done,
                    available_at=retry_at if retry_at is not None else entry.available_at,
                    attempts=entry.attempts if attempts is None else attempts,
                    channel_index=entry.channel_index if channel_index is None else channel_index,
                    last_error=error if error is not None else entry.last_error,
                ),
            )
            uow.commit()
        self._publish(events)
        return events

    def _deliver(self, entry: OutboxEntry, now: dt.datetime, stats: _Stats) -> None:
        effect = entry.effect
        with self._uow() as uow:
            case = self._case(uow, effect.invoice_number)
            debtor = self._debtor(uow, effect.debtor_code).debtor
        if isinstance(effect, DeliverMessage):
            self._deliver_message(entry, effect, case, debtor, now, stats)
        elif isinstance(effect, RequestHandover):
            self._call_port(
                entry,
                now,
                stats,
                lambda: self._hand_over(effect, case, debtor),
                lambda ref: (
                    HandedOver,
                    {"idempotency_key": effect.idempotency_key, "agency_reference": ref},
                ),
                lambda error: (
                    HandoverFailed,
                    {"idempotency_key": effect.idempotency_key, "error": error},
                ),
            )
        elif isinstance(effect, RequestSubscriptionStop):

            def stop() -> str:
                assert self.subscriptions is not None
                self.subscriptions.stop(
                    effect.subscription_reference,
                    idempotency_key=effect.idempotency_key,
                    reason=f"invoice {effect.invoice_number} is unpaid",
                )
                return effect.subscription_reference

            self._call_port(
                entry,
                now,
                stats,
                stop,
                lambda ref: (
                    SubscriptionStopped,
                    {"idempotency_key": effect.idempotency_key, "subscription_reference": ref},
                ),
                None,
            )
        else:  # pragma: no cover - every effect type is handled above
            raise TypeError(f"unknown effect {effect!r}")

    def _hand_over(self, effect: RequestHandover, case: Case, debtor: Debtor) -> str:
        if self.agency is None:
            raise DeliveryError("no collection agency port is configured", permanent=True)
        with self._uow() as uow:
            history = tuple(uow.cases.events(self.creditor.key, case.invoice_number))
        return self.agency.hand_over(
            Claim(
                idempotency_key=effect.idempotency_key,
                creditor=self.creditor,
                debtor=debtor,
                invoice=case.invoice,
                open_principal=case.account.open_principal,
                open_costs=case.account.open_costs,
                open_interest=case.account.open_interest,
                history=history,
            )
        )

    def _call_port(
        self,
        entry: OutboxEntry,
        now: dt.datetime,
        stats: _Stats,
        call: Callable[[], str],
        success: Callable[[str], tuple[type[Event], dict[str, object]]],
        failure: Callable[[str], tuple[type[Event], dict[str, object]]] | None,
    ) -> None:
        try:
            reference = call()
        except Exception as exc:
            stats.delivery_failures += 1
            attempts = entry.attempts + 1
            permanent = isinstance(exc, DeliveryError) and exc.permanent
            if permanent or attempts >= self.retry.max_attempts:
                specs = [failure(str(exc))] if failure is not None else []
                self._finish(entry, specs, now, attempts=attempts, error=str(exc))
                stats.errors.append(
                    RunError(invoice_number=entry.effect.invoice_number, error=str(exc))
                )
            else:
                self._finish(
                    entry,
                    [],
                    now,
                    done=False,
                    attempts=attempts,
                    error=str(exc),
                    retry_at=now + self.retry.delay(attempts),
                )
            return
        self._finish(entry, [success(reference)], now)

    def _deliver_message(
        self,
        entry: OutboxEntry,
        effect: DeliverMessage,
        case: Case,
        debtor: Debtor,
        now: dt.datetime,
        stats: _Stats,
    ) -> None:
        member = Member(entry=entry, effect=effect, case=case, debtor=debtor)
        deliver_messages(self, [member], now, stats)

    def _deliver_group(
        self, entries: Sequence[OutboxEntry], now: dt.datetime, stats: _Stats
    ) -> None:
        """Deliver several queued messages of one debtor as one message (``group_messages``)."""
        members: list[Member] = []
        with self._uow() as uow:
            for entry in entries:
                assert isinstance(entry.effect, DeliverMessage)
                case = self._case(uow, entry.effect.invoice_number)
                debtor = self._debtor(uow, entry.effect.debtor_code).debtor
                members.append(Member(entry=entry, effect=entry.effect, case=case, debtor=debtor))
        deliver_messages(self, members, now, stats)

    # -- looking -------------------------------------------------------------------------------------

    def history(self, invoice_number: str) -> tuple[Event, ...]:
        """Every event of the invoice, in order: its audit trail."""
        with self._uow() as uow:
            self._case(uow, invoice_number)
            return tuple(uow.cases.events(self.creditor.key, invoice_number))

    def invoice_status(self, invoice_number: str, *, on: dt.date | None = None) -> InvoiceStatus:
        """Where the invoice stands: open amounts, status, step, next date, holds and history."""
        on = on or self.today()
        with self._uow() as uow:
            case = self._case(uow, invoice_number)
            schema = self._schema(uow, case.schema_key, case.schema_version)
            debtor = self._debtor(uow, case.debtor_code).debtor
            history = tuple(uow.cases.events(self.creditor.key, invoice_number))
        account = case.account
        pending = _interest_events(case, schema, on, self._context(debtor), None)
        unposted = sum(
            (e.amount for e in pending if isinstance(e, InterestAccrued)),
            Money.zero(account.currency),
        )
        last_step = next(
            (e.step_name for e in reversed(history) if isinstance(e, StepExecuted)), None
        )
        steps_left = case.step_index < min(len(schema.steps), case.last_step)
        return InvoiceStatus(
            invoice_number=invoice_number,
            debtor_code=case.debtor_code,
            status=case.status,
            currency=account.currency,
            original_amount=account.principal,
            open_principal=account.open_principal,
            open_costs=account.open_costs,
            open_interest=account.open_interest,
            open_amount=account.open_total,
            paid_amount=account.paid_total,
            credited_amount=account.credited,
            credit_balance=account.credit_balance,
            unposted_interest=unposted,
            schema_key=case.schema_key,
            schema_version=case.schema_version,
            last_step=last_step,
            next_step=schema.steps[case.step_index].name if steps_left else None,
            next_action_on=next_action_on(case, schema, self.calendar),
            holds=case.holds,
            history=history,
        )

    def simulate(self, invoice_number: str, *, until: dt.date) -> Timeline:
        """What will happen to the invoice, day by day, if nothing is paid.

        The same engine runs forward on a copy of the case, with every message assumed delivered
        and every handover accepted; nothing is stored or sent.
        """
        today = self.today()
        if until < today:
            raise ValidationError(f"simulate until {until} is before today ({today})")
        with self._uow() as uow:
            case = self._case(uow, invoice_number)
            schema = self._schema(uow, case.schema_key, case.schema_version)
            debtor = self._debtor(uow, case.debtor_code).debtor
        context = self._context(debtor)
        entries: list[TimelineEntry] = []
        day: dt.date | None = today
        while day is not None and day <= until:
            decision = decide(case, schema, day, context)
            case, entry = _simulated(case, decision, day)
            if entry is not None:
                entries.append(entry)
            following = next_action_on(case, schema, self.calendar)
            day = None if following is None else max(following, day + dt.timedelta(days=1))
        return Timeline(invoice_number=invoice_number, until=until, entries=tuple(entries))


def _simulated(case: Case, decision: Decision, day: dt.date) -> tuple[Case, TimelineEntry | None]:
    """Apply a decision to a case as if every effect succeeded; describe the day."""
    if not decision.events:
        return case, None
    events = list(decision.events)
    for effect in decision.effects:
        if isinstance(effect, RequestHandover):
            events.append(
                HandedOver(
                    creditor=case.creditor,
                    invoice_number=case.invoice_number,
                    sequence=0,
                    occurred_on=day,
                    idempotency_key=effect.idempotency_key,
                    agency_reference="(simulated)",
                )
            )
    step: str | None = None
    what: list[str] = []
    fee: Money | None = None
    interest: Money | None = None
    for event in events:
        case = evolve(case, attrs.evolve(event, sequence=case.version + 1))
        match event:
            case StepExecuted(step_name=name):
                step = name
                what.append(f"step {name}")
            case FeeCharged(amount=amount, description=description):
                fee = amount if fee is None else fee + amount
                what.append(f"fee {amount} ({description})")
            case InterestAccrued(amount=amount):
                interest = amount if interest is None else interest + amount
                what.append(f"interest {amount}")
            case CasePaused(kind=kind, reason=reason):
                what.append(f"paused ({kind.value}): {reason}")
            case CaseResumed(kind=kind):
                what.append(f"resumed ({kind.value})")
            case HandedOver():
                what.append("handed over to the collection agency")
            case _:
                pass
    channel = next((e.channels[0] for e in decision.effects if isinstance(e, DeliverMessage)), None)
    if channel is not None:
        what.append(f"message on {channel}")
    return case, TimelineEntry(
        on=day,
        step=step,
        what=tuple(what),
        channel=channel,
        fee=fee,
        interest=interest,
        open_amount=case.account.open_total,
        status=case.status,
    )


def _recipient(debtor: Debtor, channel: Channel) -> str:
    if channel == Channel.EMAIL:
        return debtor.email or ""
    if channel == Channel.SMS:
        return debtor.mobile or ""
    if channel == Channel.LETTER and debtor.address is not None:
        return "\n".join((debtor.name, *debtor.address.lines(), debtor.address.country))
    return debtor.code


class _Stats:
    """Counters of one run, turned into a :class:`RunReport` at the end."""

    def __init__(self) -> None:
        self.due_cases = 0
        self.steps_executed = 0
        self.events_recorded = 0
        self.effects_queued = 0
        self.messages_sent = 0
        self.delivery_failures = 0
        self.conflicts = 0
        self.errors: list[RunError] = []

    def report(self, today: dt.date) -> RunReport:
        return RunReport(
            today=today,
            due_cases=self.due_cases,
            steps_executed=self.steps_executed,
            events_recorded=self.events_recorded,
            effects_queued=self.effects_queued,
            messages_sent=self.messages_sent,
            delivery_failures=self.delivery_failures,
            conflicts=self.conflicts,
            errors=tuple(self.errors),
        )
