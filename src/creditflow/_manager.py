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
from ._message_kind import MessageKind
from ._money import Money
from ._parties import Channel, Creditor, Debtor
from ._plans import PaymentPlan, PaymentPlanPolicy, PlanInterval, add_months, build_schedule
from ._reports import (
    InstallmentStatus,
    InvoiceStatus,
    PaymentPlanStatus,
    RunError,
    RunReport,
    Timeline,
    TimelineEntry,
)
from .engine._calendar import BusinessCalendar, Target2Calendar
from .engine._case import AgencyState, Case, CaseStatus, evolve
from .engine._decide import (
    Decision,
    DecisionContext,
    _interest_events,
    decide,
    next_action_on,
)
from .engine._effects import (
    CollectDirectDebit,
    DeliverMessage,
    Effect,
    RequestHandover,
    RequestSubscriptionStop,
)
from .engine._plan import (
    DIRECT_DEBIT,
    PlanState,
    allocate_to_installments,
    resume_step,
    unallocate_from_installments,
)
from .engine._schema import (
    DunningSchema,
    HandOver,
    PaymentMethods,
    SchemaRule,
    StopSubscription,
)
from .engine._schema import reason_code as _reason_code
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
    Allocation,
    CasePaused,
    CaseResumed,
    CaseStopped,
    CaseWrittenOff,
    CreditNoteApplied,
    DirectDebitReversed,
    Event,
    FeeCharged,
    HandedOver,
    HandoverFailed,
    HoldKind,
    InstallmentDue,
    InstallmentMissed,
    InstallmentPaid,
    InstallmentPaymentReversed,
    InterestAccrued,
    InvoiceRegistered,
    MandateFlagged,
    PaymentPlanAgreed,
    PaymentPlanCompleted,
    PaymentPlanDefaulted,
    PaymentPlanLastChance,
    PaymentPlanTerminated,
    PaymentReceived,
    RecallRequested,
    ReCollectionCancelled,
    ReCollectionExhausted,
    ReCollectionScheduled,
    ReCollectionSubmitted,
    StepExecuted,
    SubscriptionStopped,
)
from .ports import (
    Claim,
    Clock,
    CollectionAgency,
    CollectionRequest,
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

_DEFAULT_PLAN_POLICY = PaymentPlanPolicy()


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
        payment_plan_policy: PaymentPlanPolicy = _DEFAULT_PLAN_POLICY,
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
        self.payment_plan_policy = payment_plan_policy
        self.group_messages = group_messages
        """Send one message per debtor, day, kind and channel listing all its invoices due then."""
        self.calendar = BusinessCalendar(creditor.country)
        self.target2 = Target2Calendar()
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

    def _emit(
        self,
        uow: UnitOfWork,
        invoice_number: str,
        on: dt.date,
        *specs: tuple[type[Event], dict[str, object]],
    ) -> list[Event]:
        """Number *specs* after the case's current version, append them, return the events."""
        case = self._case(uow, invoice_number)
        events = self._numbered(case, on, *specs)
        self._append(uow, case, events)
        return events

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
            if record.is_paused and (record.hold_until is None or record.hold_until > today):
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
        if case.interest_from is None or case.active_plan is not None:
            return []  # no interest runs while a payment plan holds the invoice
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
            self._require_no_plan(case, f"apply credit note {credit_note.number!r} to")
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
            if case.active_plan is not None:
                published = self._record_plan_payment(uow, case, payment)
                if published is None:
                    return self.invoice_status(invoice_number)
                uow.commit()
                self._publish(published)
                return self.invoice_status(invoice_number)
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
            case = self._append(uow, case, events)
            events += self._end_recollection_hold(uow, case, payment)
            uow.commit()
        self._publish(events)
        return self.invoice_status(invoice_number)

    def _end_recollection_hold(self, uow: UnitOfWork, case: Case, payment: Payment) -> list[Event]:
        """A payment is the outcome a pending re-collection waited for: dunning may go on."""
        if case.hold(HoldKind.DIRECT_DEBIT) is None:
            return []
        return self._emit(
            uow,
            case.invoice_number,
            payment.paid_on,
            (
                CaseResumed,
                {"kind": HoldKind.DIRECT_DEBIT, "reason": f"payment {payment.reference} received"},
            ),
        )

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
        return self._end(invoice_number, CaseStopped, reason, "stop")

    def write_off(self, invoice_number: str, *, reason: str) -> InvoiceStatus:
        """Give up on what is open of an invoice."""
        return self._end(invoice_number, CaseWrittenOff, reason, "write off")

    def _end(self, invoice_number: str, cls: type[Event], reason: str, verb: str) -> InvoiceStatus:
        today = self.today()

        def build(uow: UnitOfWork, case: Case) -> list[Event]:
            self._require_open(case, verb)
            self._require_no_plan(case, verb)
            return [self._event(case, cls, today, 1, reason=reason)]

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
            if case.agency is AgencyState.NONE:
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

    # -- payment plans ------------------------------------------------------------------------------

    def _require_no_plan(self, case: Case, verb: str) -> None:
        plan = case.active_plan
        if plan is not None:
            raise InvalidStateError(
                f"cannot {verb} invoice {case.invoice_number!r}: it is in active payment plan "
                f"{plan.plan.reference!r}; terminate the plan first (terminate_payment_plan)"
            )

    def _lead_state(self, uow: UnitOfWork, state: PlanState) -> PlanState:
        """The authoritative progress of *state*'s plan: the one on its lead invoice's case."""
        if state.is_lead:
            return state
        lead = self._case(uow, state.plan.lead_invoice).plan
        assert lead is not None
        assert lead.plan.reference == state.plan.reference
        return lead

    def create_payment_plan(
        self,
        invoice_numbers: str | Sequence[str],
        *,
        start_on: dt.date,
        installments: int | None = None,
        installment_amount: Money | None = None,
        interval: PlanInterval = PlanInterval.MONTH,
        down_payment: Money | None = None,
        fee: Money | None = None,
        reference: str | None = None,
        policy: PaymentPlanPolicy | None = None,
    ) -> PaymentPlan:
        """Agree a payment plan over open invoices of one debtor; their dunning waits while it runs.

        The plan total is what is open on the invoices today (principal, costs, and interest up
        to today, which is posted first) plus the optional plan ``fee`` (charged as costs on the
        lead invoice, the one due first). It is paid by ``installments`` equal instalments or by
        instalments of ``installment_amount`` (the last one smaller), one ``interval`` apart from
        ``start_on``, after an optional ``down_payment`` due today. While the plan is active its
        invoices are paused (status ``paused_by_payment_plan``): no reminders, fees or interest.
        Each instalment is invited, reminded and given a last chance under ``policy`` (default:
        the manager's ``payment_plan_policy``); when the plan defaults the invoices resume their
        own dunning.

        Args:
            invoice_numbers: one invoice number or several, all of one debtor and currency.
            start_on: the due date of the first regular instalment.
            installments: how many regular instalments (give this or ``installment_amount``).
            installment_amount: the amount of each regular instalment.
            interval: how far apart the instalments fall (monthly by default).
            down_payment: paid first, due today.
            fee: a fee for the plan, added to the plan total.
            reference: the plan's reference (default ``PP-<lead invoice>-<n>``).
            policy: invitations, reminders, default and where dunning resumes.

        Returns:
            The agreed plan with its schedule.

        Raises:
            NotFoundError: an invoice is unknown.
            ValidationError: no or repeated invoices, invoices of two debtors or in two
                currencies, a bad count or amount, or a start date too far in the past.
            InvalidStateError: an invoice is settled, stopped, with an agency, or already in an
                active plan.

        .. versionadded:: 0.1.0
        """
        numbers = (invoice_numbers,) if isinstance(invoice_numbers, str) else tuple(invoice_numbers)
        if not numbers:
            raise ValidationError("a payment plan needs at least one invoice number")
        repeated = sorted({n for n in numbers if numbers.count(n) > 1})
        if repeated:
            raise ValidationError(f"invoice numbers {repeated} are listed more than once")
        policy = policy if policy is not None else self.payment_plan_policy
        if not isinstance(start_on, dt.date) or isinstance(start_on, dt.datetime):
            raise TypeError(f"start_on must be a datetime.date, got {start_on!r}")
        today = self.today()
        earliest = today - dt.timedelta(days=policy.backdate_days)
        if start_on < earliest:
            raise ValidationError(
                f"start_on {start_on} is more than {policy.backdate_days} days before today "
                f"({today}); start the plan on {earliest} or later"
            )
        missing = [str(c) for c in policy.channels if c not in self.channels]
        if missing:
            raise ValidationError(
                f"the payment plan's messages go on {missing} but this manager has no adapter "
                f"for it; pass channels={{...}} or another PaymentPlanPolicy.channel"
            )
        published: list[Event] = []
        with self._uow() as uow:
            cases = [self._case(uow, number) for number in numbers]
            for case in cases:
                if case.status.is_final:
                    raise InvalidStateError(
                        f"invoice {case.invoice_number!r} cannot be put in a payment plan: its "
                        f"credit management has ended ({case.status.value})"
                    )
                if case.agency.value not in ("none", "recalled"):
                    raise InvalidStateError(
                        f"invoice {case.invoice_number!r} cannot be put in a payment plan: it is "
                        f"with a collection agency ({case.status.value}); recall it first"
                    )
                active = case.active_plan
                if active is not None:
                    raise InvalidStateError(
                        f"invoice {case.invoice_number!r} is already in active payment plan "
                        f"{active.plan.reference!r}; terminate it first"
                    )
            debtors = sorted({c.debtor_code for c in cases})
            if len(debtors) > 1:
                owners = ", ".join(f"{c.invoice_number}: {c.debtor_code}" for c in cases)
                raise ValidationError(
                    f"a payment plan covers invoices of one debtor, got debtors {debtors} "
                    f"({owners})"
                )
            currencies = sorted({c.account.currency for c in cases})
            if len(currencies) > 1:
                raise CurrencyMismatchError(
                    f"a payment plan covers invoices in one currency, got {currencies}"
                )
            currency = currencies[0]
            cases.sort(key=lambda c: (c.invoice.due_on, c.invoice_number))
            ordered = tuple(c.invoice_number for c in cases)
            lead = cases[0]
            nothing = Money.zero(currency)
            if fee is not None:
                if not isinstance(fee, Money):
                    raise TypeError(f"fee must be Money, got {type(fee).__name__}")
                if fee.currency != currency or fee.is_negative or not fee.is_rounded:
                    raise ValidationError(
                        f"plan fee {fee} must be zero or more, in whole minor units of {currency}"
                    )
            accrued: dict[str, list[Event]] = {}
            principal, costs, interest = nothing, nothing, nothing
            for case in cases:
                accrual = self._accrue(uow, case, today)
                accrued[case.invoice_number] = accrual
                account = case.account
                for event in accrual:
                    account = account.apply(event)
                principal += account.open_principal.max(nothing)
                costs += account.open_costs.max(nothing)
                interest += account.open_interest.max(nothing)
            plan_fee = fee if fee is not None else nothing
            total = principal + costs + interest + plan_fee
            if not (principal + costs + interest).is_positive:
                raise InvalidStateError(f"nothing is open on invoices {list(ordered)} to plan")
            schedule = build_schedule(
                total,
                start_on=start_on,
                interval=interval,
                count=installments,
                installment_amount=installment_amount,
                down_payment=down_payment,
                down_payment_on=min(today, start_on),
            )
            if reference is None:
                agreed = sum(
                    isinstance(e, PaymentPlanAgreed)
                    for e in uow.cases.events(self.creditor.key, lead.invoice_number)
                )
                reference = f"PP-{lead.invoice_number}-{agreed + 1}"
            plan = PaymentPlan(
                reference=reference,
                debtor_code=lead.debtor_code,
                currency=currency,
                invoice_numbers=ordered,
                agreed_on=today,
                open_principal=principal,
                open_costs=costs,
                open_interest=interest,
                fee=plan_fee,
                total=total,
                interval=interval,
                start_on=start_on,
                installments=schedule,
                policy=policy,
            )
            for case in cases:
                # Every invoice's schema must have the step the plan resumes at.
                resume_step(plan, self._schema(uow, case.schema_key, case.schema_version), 0)
            for case in cases:
                number = case.invoice_number
                self._append(uow, case, accrued[number])
                published += accrued[number]
                specs: list[tuple[type[Event], dict[str, object]]] = []
                if number == plan.lead_invoice and plan_fee.is_positive:
                    description = f"payment plan {reference} fee"
                    specs.append((FeeCharged, {"amount": plan_fee, "description": description}))
                specs.append((PaymentPlanAgreed, {"plan": plan}))
                specs.append(
                    (
                        CasePaused,
                        {"kind": HoldKind.PAYMENT_PLAN, "reason": f"payment plan {reference}"},
                    )
                )
                published += self._emit(uow, number, today, *specs)
            uow.commit()
        self._publish(published)
        return plan

    def _record_plan_payment(
        self, uow: UnitOfWork, case: Case, payment: Payment
    ) -> list[Event] | None:
        """Record a payment on an invoice of an active plan (None: recorded before, same details).

        The payment goes to the plan's instalments in due order. On the invoices it pays what is
        open on the named invoice first, then on the plan's other invoices in the plan's order
        (each split over costs, interest and principal by the allocation policy); what exceeds
        everything open is a credit balance on the named invoice.
        """
        state = case.active_plan
        assert state is not None
        plan = state.plan
        currency = case.account.currency
        if payment.amount.currency != currency:
            raise CurrencyMismatchError(
                f"payment {payment.reference!r} is in {payment.amount.currency} but invoice "
                f"{case.invoice_number!r} is in {currency}"
            )
        earlier = [
            event.payment
            for number in plan.invoice_numbers
            for event in uow.cases.events(self.creditor.key, number)
            if isinstance(event, PaymentReceived) and event.payment.reference == payment.reference
        ]
        if earlier:
            same = sum((p.amount for p in earlier), Money.zero(currency)) == payment.amount and all(
                (p.method, p.paid_on) == (payment.method, payment.paid_on) for p in earlier
            )
            if same:
                return None
            raise DuplicateError(
                f"payment {payment.reference!r} was recorded for payment plan {plan.reference!r} "
                f"already, with other details; each reference counts once"
            )
        lead_state = self._lead_state(uow, state)
        order = [case.invoice_number] + [
            n for n in plan.invoice_numbers if n != case.invoice_number
        ]
        remaining = payment.amount
        shares: dict[str, Money] = {}
        for number in order:
            open_total = self._case(uow, number).account.open_total
            share = remaining.min(open_total.max(Money.zero(currency)))
            if share.is_positive:
                shares[number] = share
                remaining -= share
        if remaining.is_positive:
            shares[case.invoice_number] = shares.get(case.invoice_number, Money.zero(currency)) + (
                remaining
            )
        published: list[Event] = []
        for number in order:
            if number not in shares:
                continue
            part = attrs.evolve(payment, amount=shares[number])
            account = self._case(uow, number).account
            allocation = account.allocate(part, self.allocation_policy)
            published += self._emit(
                uow,
                number,
                payment.paid_on,
                (PaymentReceived, {"payment": part, "allocation": allocation}),
            )
            published += self._end_recollection_hold(uow, self._case(uow, number), payment)
        to_plan = payment.amount - remaining
        specs: list[tuple[type[Event], dict[str, object]]] = [
            (
                InstallmentPaid,
                {
                    "plan_reference": plan.reference,
                    "number": number,
                    "amount": amount,
                    "payment_reference": payment.reference,
                    "settled": settled,
                    "late": late,
                },
            )
            for number, amount, settled, late in allocate_to_installments(
                lead_state, to_plan, payment.paid_on
            )
        ]
        if specs:
            published += self._emit(uow, plan.lead_invoice, payment.paid_on, *specs)
        lead_state = self._lead_state(uow, self._case(uow, plan.lead_invoice).plan or state)
        if not lead_state.open_total.is_positive:
            published += self._end_plan(
                uow, plan, payment.paid_on, PaymentPlanCompleted, {}, resume=False
            )
        return published

    def _end_plan(
        self,
        uow: UnitOfWork,
        plan: PaymentPlan,
        on: dt.date,
        cls: type[Event],
        fields: dict[str, object],
        *,
        resume: bool,
        skip: str | None = None,
    ) -> list[Event]:
        """End *plan* on each of its invoices (but *skip*) and lift the plan's hold.

        With *resume*, each invoice resumes at its schema's step named by the plan's policy.
        """
        published: list[Event] = []
        for number in plan.invoice_numbers:
            if number == skip:
                continue
            case = self._case(uow, number)
            extra = dict(fields)
            if resume and "resume_at_step" not in fields:
                schema = self._schema(uow, case.schema_key, case.schema_version)
                extra["resume_at_step"] = resume_step(plan, schema, case.step_index)
            specs: list[tuple[type[Event], dict[str, object]]] = [
                (cls, {"plan_reference": plan.reference, **extra})
            ]
            if case.hold(HoldKind.PAYMENT_PLAN) is not None:
                reason = f"payment plan {plan.reference} {cls.type_name.removeprefix('PaymentPlan').lower()}"
                specs.append((CaseResumed, {"kind": HoldKind.PAYMENT_PLAN, "reason": reason}))
            published += self._emit(uow, number, on, *specs)
        return published

    def terminate_payment_plan(
        self, invoice_number: str, *, reason: str, resume_at_step: str | None = None
    ) -> PaymentPlanStatus:
        """End the active payment plan covering *invoice_number* (any invoice of the plan).

        What is still open stays open on the invoices, where the payments left it; each invoice
        resumes its dunning where it was, or at the step named ``resume_at_step``.

        Raises:
            InvalidStateError: the invoice is not in an active payment plan.
            ValidationError: an invoice's schema has no step named ``resume_at_step``.

        .. versionadded:: 0.1.0
        """
        today = self.today()
        with self._uow() as uow:
            case = self._case(uow, invoice_number)
            state = case.active_plan
            if state is None:
                raise InvalidStateError(
                    f"invoice {invoice_number!r} is not in an active payment plan "
                    f"(status {case.status.value})"
                )
            plan = state.plan
            lead_state = self._lead_state(uow, state)
            steps: dict[str, int | None] = {}
            for number in plan.invoice_numbers:
                covered = self._case(uow, number)
                schema = self._schema(uow, covered.schema_key, covered.schema_version)
                steps[number] = None if resume_at_step is None else schema.index_of(resume_at_step)
            published: list[Event] = []
            for number in plan.invoice_numbers:
                published += self._end_one(uow, plan, number, today, reason, lead_state, steps)
            uow.commit()
        self._publish(published)
        return self.payment_plan(invoice_number)

    def _end_one(
        self,
        uow: UnitOfWork,
        plan: PaymentPlan,
        number: str,
        today: dt.date,
        reason: str,
        lead_state: PlanState,
        steps: Mapping[str, int | None],
    ) -> list[Event]:
        specs: list[tuple[type[Event], dict[str, object]]] = [
            (
                PaymentPlanTerminated,
                {
                    "plan_reference": plan.reference,
                    "reason": reason,
                    "open_amount": lead_state.open_total,
                    "resume_at_step": steps[number],
                },
            ),
            (
                CaseResumed,
                {
                    "kind": HoldKind.PAYMENT_PLAN,
                    "reason": f"payment plan {plan.reference} terminated",
                },
            ),
        ]
        return self._emit(uow, number, today, *specs)

    def payment_plan(self, invoice_number: str) -> PaymentPlanStatus:
        """The latest payment plan covering *invoice_number*: its schedule and progress.

        Raises:
            NotFoundError: the invoice was never in a payment plan.

        .. versionadded:: 0.1.0
        """
        with self._uow() as uow:
            case = self._case(uow, invoice_number)
            if case.plan is None:
                raise NotFoundError(f"invoice {invoice_number!r} was never in a payment plan")
            state = self._lead_state(uow, case.plan)
        return _plan_status(state)

    # -- direct-debit reversals ------------------------------------------------------------------

    def record_direct_debit_reversal(
        self,
        invoice_number: str,
        *,
        amount: Money,
        reason_code: str,
        on: dt.date,
        payment_reference: str | None = None,
    ) -> InvoiceStatus:
        """Record a SEPA direct debit that came back: a reject, a return, or a refund.

        The payment is taken back from the invoice's account (credit balance first, then the
        parts in the reverse of the allocation order) and the invoice re-opens. The schema's
        :class:`~creditflow.ReCollectionPolicy` then decides: for a retryable reason code
        (default ``AM04``, ``MS03``) with re-presentments left, a re-collection is scheduled on a
        TARGET2 business day and dunning waits for its outcome (a ``record_payment`` or another
        reversal); for any other code (unknown codes included) direct debit stops for the invoice
        and normal dunning takes over, with direct debit denied in its payment links. A reversal
        of a re-collection that was submitted but never recorded as paid (a reject before
        settlement) moves no money. A mandate unused for 36 months, or a debtor's second
        reversal that may not be retried, flags the mandate (``MandateFlagged``).

        Args:
            invoice_number: the invoice the direct debit paid.
            amount: what came back (at most what is left of the payment).
            reason_code: the bank's ISO reason code, four letters or digits (``AM04``).
            on: the day the reversal was booked.
            payment_reference: the reversed payment (default: the latest direct debit that is
                not fully reversed, else the re-collection awaiting its outcome).

        Raises:
            ValidationError: a malformed reason code, an amount above what direct debit paid,
                an invoice never debited, or a refund (``MD06``) after the 8-week term.
            NotFoundError: the invoice is unknown.

        .. versionadded:: 0.1.0
        """
        code = _reason_code(reason_code)
        if not isinstance(amount, Money):
            raise TypeError(f"amount must be Money, got {type(amount).__name__}")
        if not amount.is_positive or not amount.is_rounded:
            raise ValidationError(
                f"reversal amount {amount} must be more than zero, in whole minor units"
            )
        if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
            raise TypeError(f"on must be a datetime.date, got {on!r}")
        published: list[Event] = []
        effects: list[Effect] = []
        with self._uow() as uow:
            case = self._case(uow, invoice_number)
            if amount.currency != case.account.currency:
                raise CurrencyMismatchError(
                    f"reversal of {amount} is in {amount.currency} but invoice "
                    f"{invoice_number!r} is in {case.account.currency}"
                )
            schema = self._schema(uow, case.schema_key, case.schema_version)
            policy = schema.recollection
            fee = policy.reversal_fee
            if fee is not None and fee.currency != case.account.currency:
                raise CurrencyMismatchError(
                    f"schema {schema.key!r} charges a reversal fee of {fee} but invoice "
                    f"{invoice_number!r} is in {case.account.currency}"
                )
            reference, parts = self._reversal_parts(uow, case, amount, payment_reference, code, on)
            retryable = policy.is_retryable(code)
            attempts = case.recollections
            collect_on = policy.collect_on(on, self.target2)
            flag = (
                None if case.mandate_flag else self._mandate_flag(uow, case, retryable, collect_on)
            )
            recollect = (
                retryable
                and attempts < policy.max_attempts
                and flag is None
                and case.mandate_flag is None
                and not case.direct_debit_excluded
                and self.collector is not None
            )
            taken_back = Money.zero(case.account.currency)
            for number, part in parts:
                holder = self._case(uow, number)
                if holder.account.direct_debit_paid().is_positive and any(
                    p.reference == reference for p in holder.account.payments
                ):
                    unallocated = holder.account.unallocate(reference, part, self.allocation_policy)
                else:
                    unallocated = Allocation.zero(holder.account.currency)
                taken_back += unallocated.total - unallocated.credit
                published += self._emit(
                    uow,
                    number,
                    on,
                    (
                        DirectDebitReversed,
                        {
                            "payment_reference": reference,
                            "amount": part,
                            "unallocated": unallocated,
                            "reason_code": code,
                            "retryable": retryable,
                            "stops_direct_debit": not recollect,
                        },
                    ),
                )
            plan = case.active_plan
            if plan is not None and taken_back.is_positive:
                lead = self._lead_state(uow, plan)
                reversed_specs: list[tuple[type[Event], dict[str, object]]] = [
                    (
                        InstallmentPaymentReversed,
                        {
                            "plan_reference": lead.plan.reference,
                            "number": number,
                            "amount": share,
                            "payment_reference": reference,
                        },
                    )
                    for number, share in unallocate_from_installments(lead, taken_back)
                ]
                published += self._emit(uow, lead.plan.lead_invoice, on, *reversed_specs)
            specs: list[tuple[type[Event], dict[str, object]]] = []
            if fee is not None and fee.is_positive:
                specs.append(
                    (FeeCharged, {"amount": fee, "description": f"direct debit reversal ({code})"})
                )
            if recollect:
                key = f"{self.creditor.key}/{invoice_number}/recollect/{attempts + 1}"
                collect_amount = amount + (fee or Money.zero(amount.currency))
                specs.append(
                    (
                        ReCollectionScheduled,
                        {
                            "idempotency_key": key,
                            "attempt": attempts + 1,
                            "collect_on": collect_on,
                            "amount": collect_amount,
                            "original_payment_reference": reference,
                            "reason_code": code,
                        },
                    )
                )
                until = collect_on + dt.timedelta(days=policy.outcome_days)
                reason = f"re-collection of {reference} on {collect_on}"
                specs.append(
                    (CasePaused, {"kind": HoldKind.DIRECT_DEBIT, "reason": reason, "until": until})
                )
                effects.append(
                    CollectDirectDebit(
                        idempotency_key=key,
                        creditor=self.creditor.key,
                        invoice_number=invoice_number,
                        debtor_code=case.debtor_code,
                        decided_on=on,
                        collect_on=collect_on,
                        amount=collect_amount,
                        attempt=attempts + 1,
                        original_payment_reference=reference,
                    )
                )
            else:
                if retryable and attempts >= policy.max_attempts:
                    specs.append(
                        (ReCollectionExhausted, {"attempts": attempts, "reason_code": code})
                    )
                if case.hold(HoldKind.DIRECT_DEBIT) is not None:
                    reason = f"direct debit stopped after reversal {code}"
                    specs.append((CaseResumed, {"kind": HoldKind.DIRECT_DEBIT, "reason": reason}))
            if flag is not None:
                specs.append((MandateFlagged, {"debtor_code": case.debtor_code, "reason": flag}))
            published += self._emit(uow, invoice_number, on, *specs)
            case = self._case(uow, invoice_number)
            debtor = self._debtor(uow, case.debtor_code).debtor
            if (
                policy.notify
                and policy.channel in self.channels
                and case.account.open_total.is_positive
            ):
                effects.append(self._reversal_notice(case, policy.channel, on, recollect))
            now = self._now(None)
            uow.outbox.add(
                self.creditor.key,
                [
                    OutboxEntry(effect=e, available_at=self._reversal_available_at(e, debtor, now))
                    for e in effects
                ],
            )
            uow.commit()
        self._publish(published)
        return self.invoice_status(invoice_number)

    def _reversal_parts(
        self,
        uow: UnitOfWork,
        case: Case,
        amount: Money,
        payment_reference: str | None,
        code: str,
        on: dt.date,
    ) -> tuple[str, list[tuple[str, Money]]]:
        """Which payment a reversal takes back, and how much from which invoice.

        A payment under a plan may have been spread over the plan's invoices: it is taken back
        from the plan's last invoice first. A reversal of a submitted re-collection that was
        never recorded as paid (a reject) takes back nothing.
        """
        number = case.invoice_number
        state = case.active_plan
        numbers = [number] if state is None else list(reversed(state.plan.invoice_numbers))
        if number not in numbers:
            numbers.append(number)
        received: dict[str, dt.date] = {}
        for holder in numbers:
            for event in uow.cases.events(self.creditor.key, holder):
                if isinstance(event, PaymentReceived) and event.payment.is_direct_debit:
                    received.setdefault(event.payment.reference, event.payment.paid_on)
        left: dict[str, list[tuple[str, Money]]] = {}
        for holder in numbers:
            for record in self._case(uow, holder).account.payments:
                remaining = record.amount - record.reversed
                if record.method == DIRECT_DEBIT and remaining.is_positive:
                    left.setdefault(record.reference, []).append((holder, remaining))
        submitted = self._awaiting_recollection(uow, case)
        reference = payment_reference
        if reference is None:
            own = [r.reference for r in case.account.payments if r.reference in left]
            if own:
                reference = own[-1]
            elif submitted is not None:
                reference = submitted[0]
            else:
                raise ValidationError(
                    f"invoice {number!r} has no direct debit to reverse: it was never debited "
                    f"(or every direct debit was reversed already)"
                )
        if reference in left:
            available = sum((m for _, m in left[reference]), Money.zero(amount.currency))
            if amount > available:
                raise ValidationError(
                    f"reversal of {amount} for invoice {number!r} is larger than what direct "
                    f"debit {reference!r} paid and was not reversed yet ({available})"
                )
            paid_on = received.get(reference)
            if code == "MD06" and paid_on is not None and on > paid_on + dt.timedelta(weeks=8):
                raise ValidationError(
                    f"refund (MD06) of direct debit {reference!r} on {on} is more than 8 weeks "
                    f"after it was collected on {paid_on}; an unauthorised debit is MD01"
                )
            if paid_on is not None and on < paid_on:
                raise ValidationError(
                    f"reversal on {on} is before direct debit {reference!r} was collected "
                    f"({paid_on})"
                )
            parts: list[tuple[str, Money]] = []
            rest = amount
            for holder, remaining in left[reference]:
                share = rest.min(remaining)
                if share.is_positive:
                    parts.append((holder, share))
                    rest -= share
            return reference, parts
        if submitted is not None and submitted[0] == reference:
            if amount > submitted[1]:
                raise ValidationError(
                    f"reversal of {amount} for invoice {number!r} is larger than re-collection "
                    f"{reference!r} ({submitted[1]})"
                )
            return reference, [(number, amount)]
        if reference in received:
            raise ValidationError(
                f"direct debit {reference!r} of invoice {number!r} was reversed in full already"
            )
        raise ValidationError(
            f"invoice {number!r} was never debited with reference {reference!r}; name a direct "
            f"debit recorded with record_payment(method='sepa_direct_debit')"
        )

    def _awaiting_recollection(self, uow: UnitOfWork, case: Case) -> tuple[str, Money] | None:
        """The submitted re-collection the case waits for (its reference and amount), if any."""
        if case.hold(HoldKind.DIRECT_DEBIT) is None:
            return None
        submitted: tuple[str, Money] | None = None
        for event in uow.cases.events(self.creditor.key, case.invoice_number):
            if isinstance(event, ReCollectionSubmitted):
                submitted = (event.collection_reference, event.amount)
            elif isinstance(event, ReCollectionScheduled):
                submitted = None
        return submitted

    def _mandate_flag(
        self, uow: UnitOfWork, case: Case, retryable: bool, collect_on: dt.date
    ) -> str | None:
        """Why the debtor's mandate must be flagged with this reversal (None: it need not)."""
        last_used: dt.date | None = None
        refused = 0 if retryable else 1
        for number in uow.cases.of_debtor(self.creditor.key, case.debtor_code):
            for event in uow.cases.events(self.creditor.key, number):
                if isinstance(event, PaymentReceived) and event.payment.is_direct_debit:
                    paid_on = event.payment.paid_on
                    last_used = paid_on if last_used is None else max(last_used, paid_on)
                elif isinstance(event, DirectDebitReversed) and not event.retryable:
                    refused += 1
                elif isinstance(event, MandateFlagged):
                    return None  # flagged before; the flag holds for the debtor
        if last_used is not None and collect_on > add_months(last_used, 36):
            return f"the mandate was last used on {last_used}: unused for 36 months, it has lapsed"
        if refused >= 2:
            return f"{refused} direct-debit reversals that may not be retried"
        return None

    def _reversal_notice(
        self, case: Case, channel: Channel, on: dt.date, recollect: bool
    ) -> DeliverMessage:
        account = case.account
        what = "re-collection announced" if recollect else "direct debit stopped"
        return DeliverMessage(
            idempotency_key=f"{self.creditor.key}/{case.invoice_number}/reversal@{case.version}",
            creditor=self.creditor.key,
            invoice_number=case.invoice_number,
            debtor_code=case.debtor_code,
            decided_on=on,
            step_index=case.step_index,
            step_name=f"direct debit reversed: {what}",
            kind=MessageKind.REVERSAL_NOTICE,
            template="reversal_notice",
            channels=(channel,),
            open_amount=account.open_total,
            open_principal=account.open_principal,
            open_costs=account.open_costs,
            open_interest=account.open_interest,
            payment_methods=PaymentMethods().without(DIRECT_DEBIT),
        )

    def _reversal_available_at(
        self, effect: Effect, debtor: Debtor, now: dt.datetime
    ) -> dt.datetime:
        if isinstance(effect, CollectDirectDebit):
            # Submitted one TARGET2 business day before the collection date (D-1).
            submit_on = self.target2.add_business_days(effect.collect_on, -1)
            local = dt.datetime.combine(
                submit_on, dt.time(0, 0), tzinfo=zoneinfo.ZoneInfo(self.creditor.time_zone)
            )
            return max(now, local.astimezone(dt.UTC))
        return self._available_at(effect, debtor, now)

    def _collect_again(
        self,
        entry: OutboxEntry,
        effect: CollectDirectDebit,
        case: Case,
        now: dt.datetime,
        stats: _Stats,
    ) -> None:
        key = effect.idempotency_key
        reason: str | None = None
        if case.account.is_settled or case.status.is_final:
            reason = f"the invoice is {case.status.value}"
        elif case.hold(HoldKind.DIRECT_DEBIT) is None:
            reason = "the invoice no longer waits for a re-collection"
        elif self.collector is None:
            reason = "no direct-debit collector port is configured"
        if reason is not None:
            self._finish(
                entry, [(ReCollectionCancelled, {"idempotency_key": key, "reason": reason})], now
            )
            return
        amount = effect.amount.min(case.account.open_total)
        collector = self.collector
        assert collector is not None
        self._call_port(
            entry,
            now,
            stats,
            lambda: collector.collect(
                CollectionRequest(
                    idempotency_key=key,
                    creditor=self.creditor.key,
                    invoice_number=effect.invoice_number,
                    debtor_code=effect.debtor_code,
                    amount=amount,
                    collect_on=effect.collect_on,
                    original_payment_reference=effect.original_payment_reference,
                )
            ),
            lambda ref: (
                ReCollectionSubmitted,
                {
                    "idempotency_key": key,
                    "collection_reference": ref,
                    "amount": amount,
                    "collect_on": effect.collect_on,
                },
            ),
            lambda error: (ReCollectionCancelled, {"idempotency_key": key, "reason": error}),
        )

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
                after = self._append(uow, case, decision.events)
                published = list(decision.events)
                defaulted = next(
                    (e for e in decision.events if isinstance(e, PaymentPlanDefaulted)), None
                )
                if defaulted is not None and case.plan is not None:
                    published += self._end_plan(
                        uow,
                        case.plan.plan,
                        today,
                        PaymentPlanDefaulted,
                        {"reason": defaulted.reason, "open_amount": defaulted.open_amount},
                        resume=True,
                        skip=case.invoice_number,
                    )
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
            stats.events_recorded += len(published)
            stats.effects_queued += len(decision.effects)
            self._publish(published)
            upcoming = next_action_on(after, schema, self.calendar)
            if upcoming is None or upcoming > today:
                return  # the fixed point for today: no need to decide again

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
        case: Case | None = None,
    ) -> list[Event]:
        """Record a delivery's outcome: its events and the entry's new state, in one unit of work.

        *case* is the case as the delivery loaded it: it saves loading it again, and when another
        writer changed it meanwhile the store refuses the stale version and the outcome is
        recorded on the current one instead.
        """
        updated = attrs.evolve(
            entry,
            done=done,
            available_at=retry_at if retry_at is not None else entry.available_at,
            attempts=entry.attempts if attempts is None else attempts,
            channel_index=entry.channel_index if channel_index is None else channel_index,
            last_error=error if error is not None else entry.last_error,
        )
        today = self.today(now)
        while True:
            try:
                with self._uow() as uow:
                    current = (
                        case if case is not None else self._case(uow, entry.effect.invoice_number)
                    )
                    events = self._numbered(current, today, *specs)
                    self._append(uow, current, events)
                    uow.outbox.update(self.creditor.key, updated)
                    uow.commit()
            except ConcurrencyError:
                if case is None:
                    raise
                case = None  # stale: record the outcome on the case as it is now
                continue
            break
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
        elif isinstance(effect, CollectDirectDebit):
            self._collect_again(entry, effect, case, now, stats)
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
        pending = (
            []
            if case.active_plan is not None
            else _interest_events(case, schema, on, self._context(debtor), None)
        )
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
            payment_plan=case.active_plan.plan.reference if case.active_plan else None,
            direct_debit_excluded=case.direct_debit_excluded,
            mandate_flag=case.mandate_flag,
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
            lead: Case | None = None
            plan = case.active_plan
            if plan is not None and not plan.is_lead:
                # The plan's instalments fall due on its lead invoice: simulate that one too,
                # and let this invoice follow it when the plan defaults.
                lead = self._case(uow, plan.plan.lead_invoice)
                lead_schema = self._schema(uow, lead.schema_key, lead.schema_version)
        context = self._context(debtor)
        entries: list[TimelineEntry] = []
        day: dt.date | None = today
        while day is not None and day <= until:
            if lead is not None and lead.active_plan is not None:
                lead_decision = decide(lead, lead_schema, day, context)
                lead, lead_entry = _simulated(lead, lead_decision, day, debtor)
                if lead_entry is not None:
                    entries.append(attrs.evolve(lead_entry, open_amount=case.account.open_total))
                for event in lead_decision.events:
                    if isinstance(event, PaymentPlanDefaulted) and case.plan is not None:
                        followed = (
                            attrs.evolve(
                                event,
                                invoice_number=case.invoice_number,
                                resume_at_step=resume_step(case.plan.plan, schema, case.step_index),
                            ),
                            _simulated_resume(case, day),
                        )
                        case, _ = _simulated(case, Decision(events=followed), day, debtor)
            decision = decide(case, schema, day, context)
            case, entry = _simulated(case, decision, day, debtor)
            if entry is not None:
                entries.append(entry)
            candidates = [next_action_on(case, schema, self.calendar)]
            if lead is not None:
                candidates.append(next_action_on(lead, lead_schema, self.calendar))
            dates = [d for d in candidates if d is not None]
            day = max(min(dates), day + dt.timedelta(days=1)) if dates else None
        return Timeline(
            invoice_number=invoice_number,
            until=until,
            entries=tuple(entries),
            payment_plan=plan.plan if plan is not None else None,
        )


def _simulated_resume(case: Case, day: dt.date) -> Event:
    return CaseResumed(
        creditor=case.creditor,
        invoice_number=case.invoice_number,
        sequence=0,
        occurred_on=day,
        kind=HoldKind.PAYMENT_PLAN,
        reason="payment plan defaulted",
    )


def _simulated(
    case: Case, decision: Decision, day: dt.date, debtor: Debtor
) -> tuple[Case, TimelineEntry | None]:
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
            case InstallmentDue(plan_reference=ref, number=number, amount=amount, due_on=due_on):
                what.append(f"payment plan {ref}: instalment {number} of {amount} due {due_on}")
            case InstallmentMissed(plan_reference=ref, number=number, open_amount=amount):
                what.append(f"payment plan {ref}: instalment {number} missed ({amount} open)")
            case PaymentPlanLastChance(plan_reference=ref, open_amount=amount, default_on=on):
                until = f", default on {on}" if on is not None else ""
                what.append(f"payment plan {ref}: last chance for {amount}{until}")
            case PaymentPlanDefaulted(plan_reference=ref, reason=reason, resume_at_step=index):
                resumes = "where it was" if index is None else f"at step {index + 1}"
                what.append(f"payment plan {ref} defaulted ({reason}); dunning resumes {resumes}")
            case _:
                pass
    channel = next(
        (
            next((c for c in e.channels if debtor.reachable_on(c)), e.channels[0])
            for e in decision.effects
            if isinstance(e, DeliverMessage)
        ),
        None,
    )
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


def _plan_status(state: PlanState) -> PaymentPlanStatus:
    plan = state.plan
    return PaymentPlanStatus(
        plan=plan,
        outcome=state.outcome,
        paid_total=state.paid_total,
        open_total=state.open_total,
        installments=tuple(
            InstallmentStatus(
                number=i.number,
                due_on=i.due_on,
                amount=i.amount,
                paid=state.paid[i.number - 1],
                open=state.open_of(i.number),
                invited=i.number in state.invited,
                missed=state.is_missed(i.number),
            )
            for i in plan.installments
        ),
        last_chance_on=state.last_chance_on,
        ended_on=state.ended_on,
    )
