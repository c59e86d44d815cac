"""Typed, immutable events: the source of truth of every invoice's credit management.

Every change to an invoice is one of these. A case's state (its account and its dunning position)
is :func:`creditflow.engine.evolve` folded over its events; the same events are what the
:class:`~creditflow.ports.EventSink` port receives the moment they are committed (real-time
feedback) and what the audit trail shows.

Each event carries the ``creditor`` it belongs to, its ``invoice_number`` (the case), a per-case
``sequence`` number starting at 1, the business date ``occurred_on`` in the creditor's time zone,
and a deterministic ``event_id`` derived from those, unique across creditors.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar, Final

from attrs import frozen

from ._invoice import CreditNote, Invoice, Payment
from ._message_kind import MessageKind
from ._money import Money
from ._parties import Channel
from ._plans import PaymentPlan

__all__ = [
    "AgencyStatus",
    "AgencyStatusChanged",
    "Allocation",
    "CasePaused",
    "CaseResumed",
    "CaseStopped",
    "CaseWrittenOff",
    "CreditNoteApplied",
    "DirectDebitReversed",
    "Event",
    "FeeCharged",
    "HandedOver",
    "HandoverFailed",
    "HandoverRequested",
    "HoldKind",
    "InstallmentDue",
    "InstallmentMissed",
    "InstallmentPaid",
    "InstallmentPaymentReversed",
    "InterestAccrued",
    "InvoiceRegistered",
    "MandateFlagged",
    "MessageCancelled",
    "MessageFailed",
    "MessageSent",
    "PaymentLinkCreated",
    "PaymentPlanAgreed",
    "PaymentPlanCompleted",
    "PaymentPlanDefaulted",
    "PaymentPlanLastChance",
    "PaymentPlanTerminated",
    "PaymentReceived",
    "PaymentReversed",
    "ReCollectionCancelled",
    "ReCollectionExhausted",
    "ReCollectionScheduled",
    "ReCollectionSubmitted",
    "RecallRequested",
    "SentViaFallback",
    "SkippedNoChannelLeft",
    "StepExecuted",
    "StepSkipped",
    "SubscriptionStopped",
    "event_types",
]

_NAMESPACE: Final = "8f2b1d3e-5c4a-4f6e-9a7b-2c1d0e9f8a6b"


def _event_id(event: Any) -> str:
    import uuid  # only when an id is asked for: uuid is slow to import

    name = f"{event.creditor}/{event.invoice_number}/{event.sequence}"
    return str(uuid.uuid5(uuid.UUID(_NAMESPACE), name))


@frozen(kw_only=True)
class Event:
    """What every event carries."""

    type_name: ClassVar[str] = "Event"

    creditor: str
    invoice_number: str
    sequence: int
    occurred_on: dt.date

    @property
    def event_id(self) -> str:
        """A UUID derived from creditor, invoice and sequence number: unique and stable."""
        return _event_id(self)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.type_name = cls.__name__


_REGISTRY: dict[str, type[Event]] = {}


def _register(cls: type[Event]) -> type[Event]:
    _REGISTRY[cls.__name__] = cls
    return cls


def event_types() -> dict[str, type[Event]]:
    """Every event class by its name (what stores write in their ``type`` column)."""
    return dict(_REGISTRY)


# -- money -------------------------------------------------------------------------------------


@frozen(kw_only=True)
class Allocation:
    """How an amount is split over the parts of an invoice's account."""

    costs: Money
    interest: Money
    principal: Money
    credit: Money
    """What exceeded everything open: kept as a credit balance, never lost."""

    @classmethod
    def zero(cls, currency: str) -> Allocation:
        """Nothing allocated."""
        nothing = Money.zero(currency)
        return cls(costs=nothing, interest=nothing, principal=nothing, credit=nothing)

    @property
    def total(self) -> Money:
        """The whole amount allocated."""
        return self.costs + self.interest + self.principal + self.credit


@_register
@frozen(kw_only=True)
class InvoiceRegistered(Event):
    """An invoice was handed to creditflow; its case starts on the given schema version."""

    invoice: Invoice
    schema_key: str
    schema_version: int
    max_step: int | None = None
    """Steps from this index on are never run (a per-invoice cut of the schema)."""


@_register
@frozen(kw_only=True)
class CreditNoteApplied(Event):
    """A credit note lowered the invoice's principal."""

    credit_note: CreditNote


@_register
@frozen(kw_only=True)
class PaymentReceived(Event):
    """A payment was recorded and allocated over costs, interest and principal."""

    payment: Payment
    allocation: Allocation


@_register
@frozen(kw_only=True)
class PaymentReversed(Event):
    """A payment came back (chargeback, direct-debit reversal, refund); the invoice re-opens."""

    payment_reference: str
    amount: Money
    unallocated: Allocation
    """What the reversal took back from each part of the account."""
    reason_code: str | None = None


@_register
@frozen(kw_only=True)
class FeeCharged(Event):
    """Admin (collection) costs were added to the open amount."""

    amount: Money
    description: str
    step_index: int | None = None


@_register
@frozen(kw_only=True)
class InterestAccrued(Event):
    """Interest over ``start`` (inclusive) to ``end`` (exclusive) was posted to the account."""

    amount: Money
    start: dt.date
    end: dt.date
    description: str = ""


# -- dunning -----------------------------------------------------------------------------------


class HoldKind(enum.Enum):
    """Why a case is paused. Several holds can be on one case at once."""

    MANUAL = "manual"
    DEBTOR = "debtor"
    DISPUTE = "dispute"
    PAYMENT_PLAN = "payment_plan"
    VALIDATION = "validation"
    DIRECT_DEBIT = "direct_debit"
    """A re-collection of a reversed direct debit is under way; dunning waits for its outcome."""


@_register
@frozen(kw_only=True)
class StepExecuted(Event):
    """A schema step ran; its side effects were queued under the given idempotency keys."""

    step_index: int
    step_name: str
    schema_key: str
    schema_version: int
    effect_keys: tuple[str, ...] = ()
    message_kind: MessageKind | None = None
    """The kind of message the step queued, if any."""
    interest_from: dt.date | None = None
    """Set when the step started interest: the day it runs from."""
    notes: tuple[str, ...] = ()
    """Why an action of the step did nothing (e.g. a statutory fee that may not be charged yet)."""


@_register
@frozen(kw_only=True)
class StepSkipped(Event):
    """A step was passed over (e.g. the open amount is below its threshold)."""

    step_index: int
    step_name: str
    reason: str


@_register
@frozen(kw_only=True)
class CasePaused(Event):
    """Dunning is on hold for this invoice; ``until`` ends the hold by itself."""

    kind: HoldKind
    reason: str
    until: dt.date | None = None


@_register
@frozen(kw_only=True)
class CaseResumed(Event):
    """A hold ended (by a verb, or its end date came)."""

    kind: HoldKind
    reason: str = ""


@_register
@frozen(kw_only=True)
class CaseStopped(Event):
    """Dunning ended for good; what is open stays open but nothing more happens."""

    reason: str


@_register
@frozen(kw_only=True)
class CaseWrittenOff(Event):
    """The creditor gave up on what is open."""

    reason: str


@_register
@frozen(kw_only=True)
class MessageSent(Event):
    """A channel accepted a message."""

    idempotency_key: str
    channel: Channel
    template: str
    provider_reference: str | None = None


@_register
@frozen(kw_only=True)
class SentViaFallback(Event):
    """The step's channel could not be used; the message went on a fallback channel."""

    idempotency_key: str
    channel: Channel
    instead_of: Channel
    reason: str


@_register
@frozen(kw_only=True)
class MessageFailed(Event):
    """A delivery attempt failed; ``final`` when no retry or fallback is left."""

    idempotency_key: str
    channel: Channel
    error: str
    attempt: int
    final: bool = False


@_register
@frozen(kw_only=True)
class MessageCancelled(Event):
    """A queued message was not sent: the invoice was settled, stopped or handed over first."""

    idempotency_key: str
    reason: str


@_register
@frozen(kw_only=True)
class SkippedNoChannelLeft(Event):
    """No channel of the step could reach the debtor; the case is paused for validation."""

    idempotency_key: str
    channels: tuple[Channel, ...]
    step_index: int


@_register
@frozen(kw_only=True)
class PaymentLinkCreated(Event):
    """A payment link for the open amount was created for a message."""

    idempotency_key: str
    url: str
    amount: Money
    allowed_methods: tuple[str, ...] = ()
    disallowed_methods: tuple[str, ...] = ()
    reference: str | None = None
    """The provider's id of the link, to revoke it when the invoice is settled or handed over."""


class AgencyStatus(enum.Enum):
    """What a collection agency reported about a claim handed to it."""

    ACCEPTED = "accepted"
    REFUSED = "refused"
    COLLECTED = "collected"
    """Finished: collected in full."""
    INCOMPLETE = "incomplete"
    """Finished without (full) collection."""
    RECALLED = "recalled"
    RECALL_FAILED = "recall_failed"


@_register
@frozen(kw_only=True)
class HandoverRequested(Event):
    """A step hands the invoice to a collection agency; the agency call is queued."""

    idempotency_key: str
    step_index: int


@_register
@frozen(kw_only=True)
class HandedOver(Event):
    """The collection agency took the claim."""

    idempotency_key: str
    agency_reference: str


@_register
@frozen(kw_only=True)
class HandoverFailed(Event):
    """The agency port refused the handover for good; the case stays pending."""

    idempotency_key: str
    error: str


@_register
@frozen(kw_only=True)
class AgencyStatusChanged(Event):
    """The collection agency reported back."""

    status: AgencyStatus
    note: str = ""


@_register
@frozen(kw_only=True)
class RecallRequested(Event):
    """The creditor asked the agency to give the claim back."""

    reason: str


@_register
@frozen(kw_only=True)
class SubscriptionStopped(Event):
    """The host's subscription behind the invoice was stopped by a step."""

    idempotency_key: str
    subscription_reference: str


# -- direct debits ---------------------------------------------------------------------------------


@_register
@frozen(kw_only=True)
class DirectDebitReversed(PaymentReversed):
    """A SEPA direct debit came back (reject, return, refund) with the bank's reason code.

    ``retryable`` tells whether the re-collection policy allows collecting again for this
    ``reason_code``; when ``stops_direct_debit`` the invoice is dunned with direct debit excluded
    from its payment links. ``unallocated`` is zero for a rejection of a collection that was never
    recorded as paid.
    """

    retryable: bool = False
    stops_direct_debit: bool = False


@_register
@frozen(kw_only=True)
class ReCollectionScheduled(Event):
    """The reversed amount will be collected again on ``collect_on`` (re-presentment ``attempt``)."""

    idempotency_key: str
    attempt: int
    collect_on: dt.date
    amount: Money
    original_payment_reference: str
    reason_code: str


@_register
@frozen(kw_only=True)
class ReCollectionSubmitted(Event):
    """The collector port accepted the re-collection; its outcome comes as a payment or reversal."""

    idempotency_key: str
    collection_reference: str
    amount: Money
    collect_on: dt.date


@_register
@frozen(kw_only=True)
class ReCollectionCancelled(Event):
    """A scheduled re-collection was not submitted (the invoice was settled, or the port refused)."""

    idempotency_key: str
    reason: str


@_register
@frozen(kw_only=True)
class ReCollectionExhausted(Event):
    """The policy's re-presentments are used up; direct debit stops and dunning takes over."""

    attempts: int
    reason_code: str


@_register
@frozen(kw_only=True)
class MandateFlagged(Event):
    """The debtor's direct-debit mandate should not be used without a look by a person.

    Raised when the mandate was unused for 36 months (it has lapsed) or the debtor had two
    reversals that may not be retried.
    """

    debtor_code: str
    reason: str


# -- payment plans -----------------------------------------------------------------------------------


@_register
@frozen(kw_only=True)
class PaymentPlanAgreed(Event):
    """A payment plan covers this invoice (recorded on every invoice of the plan)."""

    plan: PaymentPlan


@_register
@frozen(kw_only=True)
class InstallmentDue(Event):
    """An instalment falls due soon: the debtor was invited to pay it (on the plan's lead invoice)."""

    plan_reference: str
    number: int
    due_on: dt.date
    amount: Money
    idempotency_key: str | None = None
    """The invitation message's key (None when the policy sends no invitation)."""


@_register
@frozen(kw_only=True)
class InstallmentPaid(Event):
    """Money went to an instalment (instalments are paid in due order).

    ``settled`` when the instalment is now paid in full; ``late`` when that happened after it was
    missed (a cure).
    """

    plan_reference: str
    number: int
    amount: Money
    payment_reference: str
    settled: bool
    late: bool = False


@_register
@frozen(kw_only=True)
class InstallmentPaymentReversed(Event):
    """A payment that went to an instalment came back; the instalment is open again."""

    plan_reference: str
    number: int
    amount: Money
    payment_reference: str


@_register
@frozen(kw_only=True)
class InstallmentMissed(Event):
    """An instalment was not paid in time; a reminder went out."""

    plan_reference: str
    number: int
    due_on: dt.date
    open_amount: Money
    idempotency_key: str | None = None


@_register
@frozen(kw_only=True)
class PaymentPlanLastChance(Event):
    """The debtor was given a last chance to pay what is overdue before the plan defaults."""

    plan_reference: str
    open_amount: Money
    default_on: dt.date | None
    idempotency_key: str | None = None


@_register
@frozen(kw_only=True)
class PaymentPlanDefaulted(Event):
    """The plan was not honoured and ended; the invoice's own dunning resumes.

    ``resume_at_step`` is the schema step the invoice resumes at (None: where it was).
    """

    plan_reference: str
    reason: str
    open_amount: Money
    """What was still open of the whole plan (it stays open on the invoices)."""
    resume_at_step: int | None = None


@_register
@frozen(kw_only=True)
class PaymentPlanCompleted(Event):
    """Every instalment of the plan was paid."""

    plan_reference: str


@_register
@frozen(kw_only=True)
class PaymentPlanTerminated(Event):
    """The creditor ended the plan; the invoice's own dunning resumes."""

    plan_reference: str
    reason: str
    open_amount: Money
    resume_at_step: int | None = None
