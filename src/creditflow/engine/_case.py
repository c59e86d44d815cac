"""The dunning case of one invoice and its state machine (``evolve``)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs
from attrs import frozen

from .._account import Account
from .._fees import SentMessage
from .._invoice import Invoice
from ..errors import ValidationError
from ..events import (
    AgencyStatus,
    AgencyStatusChanged,
    CasePaused,
    CaseResumed,
    CaseStopped,
    CaseWrittenOff,
    DirectDebitReversed,
    Event,
    HandedOver,
    HandoverRequested,
    HoldKind,
    InterestAccrued,
    InvoiceRegistered,
    MandateFlagged,
    PaymentPlanAgreed,
    PaymentPlanCompleted,
    PaymentPlanDefaulted,
    PaymentPlanTerminated,
    RecallRequested,
    ReCollectionExhausted,
    ReCollectionScheduled,
    SkippedNoChannelLeft,
    StepExecuted,
    StepSkipped,
)
from ._plan import PlanState, is_plan_event

__all__ = ["AgencyState", "Case", "CaseStatus", "Hold", "evolve", "replay"]


class CaseStatus(enum.Enum):
    """Where an invoice stands in credit management (the statuses payment providers report)."""

    ACTIVE = "active"
    """Following its schema."""
    PAUSED = "paused"
    """Paused by hand or for the debtor (optionally until a date, then it resumes by itself)."""
    PAUSED_BY_DISPUTE = "paused_by_dispute"
    PAUSED_BY_PAYMENT_PLAN = "paused_by_payment_plan"
    AWAITING_RECOLLECTION = "awaiting_recollection"
    """A reversed direct debit is being collected again; dunning waits for the outcome."""
    PAUSED_DUE_TO_VALIDATION = "paused_due_to_validation"
    """A step could not run: the debtor cannot be reached on any of its channels."""
    PENDING_HANDOVER = "pending_handover"
    AT_AGENCY = "at_agency"
    AGENCY_FINISHED = "agency_finished"
    RECALLED = "recalled"
    PAID = "paid"
    CREDITED = "credited"
    """Settled by credit notes (at least in part)."""
    WRITTEN_OFF = "written_off"
    STOPPED = "stopped"

    @property
    def is_final(self) -> bool:
        """Whether dunning has ended for good."""
        return self in _FINAL


_FINAL = frozenset(
    {
        CaseStatus.PAID,
        CaseStatus.CREDITED,
        CaseStatus.WRITTEN_OFF,
        CaseStatus.STOPPED,
        CaseStatus.AGENCY_FINISHED,
    }
)

_HOLD_STATUS = {
    HoldKind.PAYMENT_PLAN: CaseStatus.PAUSED_BY_PAYMENT_PLAN,
    HoldKind.DIRECT_DEBIT: CaseStatus.AWAITING_RECOLLECTION,
    HoldKind.DISPUTE: CaseStatus.PAUSED_BY_DISPUTE,
    HoldKind.VALIDATION: CaseStatus.PAUSED_DUE_TO_VALIDATION,
    HoldKind.MANUAL: CaseStatus.PAUSED,
    HoldKind.DEBTOR: CaseStatus.PAUSED,
}


class AgencyState(enum.Enum):
    """Where the claim is with the collection agency."""

    NONE = "none"
    PENDING = "pending"
    AT_AGENCY = "at_agency"
    FINISHED = "finished"
    RECALL_PENDING = "recall_pending"
    RECALLED = "recalled"


@frozen(kw_only=True)
class Hold:
    """One reason the case is paused."""

    kind: HoldKind
    reason: str
    since: dt.date
    until: dt.date | None = None


@frozen(kw_only=True)
class Case:
    """The state of one invoice's credit management: its account and its place in the schema.

    A case is never changed in place: :func:`evolve` returns the case after one event, and
    :func:`replay` folds a whole stream. ``version`` is the sequence number of the last event.
    """

    creditor: str
    invoice: Invoice
    schema_key: str
    schema_version: int
    max_step: int | None
    account: Account
    version: int
    opened_on: dt.date
    step_index: int = 0
    """The next step to run."""
    last_step_on: dt.date | None = None
    holds: tuple[Hold, ...] = ()
    ended: CaseStatus | None = None
    """STOPPED or WRITTEN_OFF once a verb ended the case."""
    agency: AgencyState = AgencyState.NONE
    interest_from: dt.date | None = None
    """Interest runs from this day (set by a ``StartInterest`` step)."""
    interest_step: int | None = None
    """The step whose ``StartInterest`` rule applies."""
    interest_posted_until: dt.date | None = None
    sent: tuple[SentMessage, ...] = ()
    redo_message_of_step: int | None = None
    """A step whose message reached no channel; it is sent again when the validation hold ends."""
    attempts: int = 0
    """How often a message of the current redo was tried (part of the idempotency key)."""
    plan: PlanState | None = None
    """The payment plan covering the invoice (the latest one, active or ended)."""
    direct_debit_excluded: bool = False
    """Direct debit may no longer collect this invoice: its payment links deny it."""
    recollections: int = 0
    """Re-presentments of reversed direct debits scheduled so far."""
    mandate_flag: str | None = None
    """Why the debtor's mandate was flagged (lapsed, or reversals that may not be retried)."""
    resumed_on: dt.date | None = None
    """The day dunning was sent to ``step_index`` (a plan's default): that step runs then."""

    @property
    def invoice_number(self) -> str:
        """The invoice (and so the case) number."""
        return self.invoice.number

    @property
    def debtor_code(self) -> str:
        """The debtor's code."""
        return self.invoice.debtor_code

    @property
    def status(self) -> CaseStatus:
        """The status a payment provider would report."""
        if self.ended is not None:
            return self.ended
        if self.account.is_settled:
            return CaseStatus.CREDITED if self.account.credited.is_positive else CaseStatus.PAID
        if self.agency is AgencyState.FINISHED:
            return CaseStatus.AGENCY_FINISHED
        if self.agency in (AgencyState.AT_AGENCY, AgencyState.RECALL_PENDING):
            return CaseStatus.AT_AGENCY
        if self.agency is AgencyState.PENDING:
            return CaseStatus.PENDING_HANDOVER
        if self.holds:
            kinds = {h.kind for h in self.holds}
            for kind, status in _HOLD_STATUS.items():
                if kind in kinds:
                    return status
        if self.agency is AgencyState.RECALLED:
            return CaseStatus.RECALLED
        return CaseStatus.ACTIVE

    @property
    def is_running(self) -> bool:
        """Whether schema steps may run: open, not ended, not held, not with an agency."""
        return (
            self.ended is None
            and not self.account.is_settled
            and not self.holds
            and self.agency in (AgencyState.NONE, AgencyState.RECALLED)
        )

    @property
    def last_step(self) -> int:
        """One past the last step this case may run (``max_step`` cuts the schema short)."""
        return self.max_step if self.max_step is not None else 1 << 30

    @property
    def active_plan(self) -> PlanState | None:
        """The payment plan holding this invoice, if one is active."""
        return self.plan if self.plan is not None and self.plan.active else None

    def hold(self, kind: HoldKind) -> Hold | None:
        """The hold of *kind*, if the case has one."""
        return next((h for h in self.holds if h.kind is kind), None)


def evolve(case: Case | None, event: Event) -> Case:
    """The case after *event*. Pure: the same case and event always give the same result.

    Raises:
        ValidationError: the event does not follow the case (wrong invoice or sequence number).
    """
    if case is None:
        if not isinstance(event, InvoiceRegistered):
            raise ValidationError(
                f"a case starts with InvoiceRegistered, got {event.type_name} for "
                f"invoice {event.invoice_number!r}"
            )
        return Case(
            creditor=event.creditor,
            invoice=event.invoice,
            schema_key=event.schema_key,
            schema_version=event.schema_version,
            max_step=event.max_step,
            account=Account.start(event.invoice.gross_total),
            version=event.sequence,
            opened_on=event.occurred_on,
        )
    if event.invoice_number != case.invoice_number or event.sequence != case.version + 1:
        raise ValidationError(
            f"event {event.type_name} #{event.sequence} for invoice {event.invoice_number!r} "
            f"does not follow case {case.invoice_number!r} at version {case.version}"
        )
    case = attrs.evolve(case, account=case.account.apply(event), version=event.sequence)
    if case.plan is not None and is_plan_event(event):
        case = _after_plan_event(case, event)
    match event:
        case StepExecuted(step_index=index, message_kind=kind, interest_from=interest_from):
            if kind is not None:
                sent = SentMessage(kind=kind, step_index=index, sent_on=event.occurred_on)
                case = attrs.evolve(case, sent=(*case.sent, sent))
            if interest_from is not None and case.interest_from is None:
                case = attrs.evolve(
                    case,
                    interest_from=interest_from,
                    interest_step=index,
                    interest_posted_until=interest_from,
                )
            if case.redo_message_of_step == index:
                return attrs.evolve(case, redo_message_of_step=None, attempts=case.attempts + 1)
            return attrs.evolve(
                case,
                step_index=index + 1,
                last_step_on=event.occurred_on,
                attempts=0,
                resumed_on=None,
            )
        case StepSkipped(step_index=index):
            return attrs.evolve(case, step_index=index + 1, resumed_on=None)
        case CasePaused(kind=kind, reason=reason, until=until):
            held = tuple(h for h in case.holds if h.kind is not kind)
            hold = Hold(kind=kind, reason=reason, since=event.occurred_on, until=until)
            return attrs.evolve(case, holds=(*held, hold))
        case CaseResumed(kind=kind):
            return attrs.evolve(case, holds=tuple(h for h in case.holds if h.kind is not kind))
        case CaseStopped():
            return attrs.evolve(case, ended=CaseStatus.STOPPED)
        case CaseWrittenOff():
            return attrs.evolve(case, ended=CaseStatus.WRITTEN_OFF)
        case InterestAccrued(end=end):
            return attrs.evolve(case, interest_posted_until=end)
        case SkippedNoChannelLeft(step_index=index):
            return attrs.evolve(case, redo_message_of_step=index)
        case HandoverRequested():
            return attrs.evolve(case, agency=AgencyState.PENDING)
        case HandedOver():
            return attrs.evolve(case, agency=AgencyState.AT_AGENCY)
        case RecallRequested():
            return attrs.evolve(case, agency=AgencyState.RECALL_PENDING)
        case AgencyStatusChanged(status=status):
            return attrs.evolve(case, agency=_AGENCY_AFTER[status])
        case PaymentPlanAgreed(plan=plan):
            return attrs.evolve(case, plan=PlanState.start(plan, case.invoice_number))
        case DirectDebitReversed(stops_direct_debit=stops):
            return attrs.evolve(case, direct_debit_excluded=case.direct_debit_excluded or stops)
        case ReCollectionScheduled():
            return attrs.evolve(case, recollections=case.recollections + 1)
        case ReCollectionExhausted():
            return attrs.evolve(case, direct_debit_excluded=True)
        case MandateFlagged(reason=reason):
            return attrs.evolve(case, mandate_flag=reason)
        case _:
            return case


def _after_plan_event(case: Case, event: Event) -> Case:
    assert case.plan is not None
    case = attrs.evolve(case, plan=case.plan.after(event))
    if isinstance(event, PaymentPlanCompleted | PaymentPlanDefaulted | PaymentPlanTerminated):
        if case.interest_posted_until is not None:
            # No interest runs while a plan holds the invoice: it restarts from the plan's end.
            case = attrs.evolve(
                case, interest_posted_until=max(case.interest_posted_until, event.occurred_on)
            )
        resume = getattr(event, "resume_at_step", None)
        if resume is not None:
            case = attrs.evolve(
                case, step_index=resume, resumed_on=event.occurred_on, redo_message_of_step=None
            )
    return case


_AGENCY_AFTER = {
    AgencyStatus.ACCEPTED: AgencyState.AT_AGENCY,
    AgencyStatus.REFUSED: AgencyState.RECALLED,
    AgencyStatus.COLLECTED: AgencyState.FINISHED,
    AgencyStatus.INCOMPLETE: AgencyState.FINISHED,
    AgencyStatus.RECALLED: AgencyState.RECALLED,
    AgencyStatus.RECALL_FAILED: AgencyState.AT_AGENCY,
}


def replay(events: Iterable[Event], case: Case | None = None) -> Case:
    """Fold *events* into a case (from *case*, a snapshot, if given)."""
    for event in events:
        case = evolve(case, event)
    if case is None:
        raise ValidationError("cannot replay a case from no events")
    return case
