"""``decide``: what should happen to a case today. Pure: no clock, no I/O, no globals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs
from attrs import frozen

from .._fees import FeeContext, InterestContext, NoFee, SentMessage
from .._message_kind import MessageKind
from .._money import Money, Rounding
from .._parties import Creditor, Debtor
from ..errors import ValidationError
from ..events import (
    CasePaused,
    CaseResumed,
    Event,
    FeeCharged,
    HandoverRequested,
    HoldKind,
    InterestAccrued,
    StepExecuted,
    StepSkipped,
)
from ._calendar import BusinessCalendar
from ._case import Case
from ._effects import DeliverMessage, Effect, RequestHandover, RequestSubscriptionStop, effect_key
from ._plan import DIRECT_DEBIT, decide_plan, plan_next_action_on
from ._schema import (
    Anchor,
    ChargeFee,
    DayKind,
    DunningSchema,
    HandOver,
    SendMessage,
    StartInterest,
    Step,
    StopSubscription,
)

__all__ = ["Decision", "DecisionContext", "decide", "next_action_on", "step_date"]


@frozen(kw_only=True)
class DecisionContext:
    """What ``decide`` may look at besides the case: the parties and the calendar."""

    debtor: Debtor
    creditor: Creditor
    calendar: BusinessCalendar


@frozen(kw_only=True)
class Decision:
    """What ``decide`` returns: events to record and effects to queue, in one unit of work.

    ``events`` have no sequence numbers yet: :meth:`numbered` gives them theirs.
    """

    events: tuple[Event, ...] = ()
    effects: tuple[Effect, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.events)


def _offset(day: dt.date, days: int, kind: DayKind, calendar: BusinessCalendar) -> dt.date:
    if kind is DayKind.BUSINESS:
        return calendar.add_business_days(day, days)
    return day + dt.timedelta(days=days)


def _planned(case: Case, schema: DunningSchema, index: int, calendar: BusinessCalendar) -> dt.date:
    """The date of step *index* if every step had run on its own planned date."""
    trigger = schema.steps[index].trigger
    if trigger.anchor is Anchor.PREVIOUS_STEP:
        base = case.invoice.due_on if index == 0 else _planned(case, schema, index - 1, calendar)
    elif trigger.anchor is Anchor.INVOICE_DATE:
        base = case.invoice.issued_on
    else:
        base = case.invoice.due_on
    return _offset(base, trigger.days, trigger.day_kind, calendar)


def step_date(case: Case, schema: DunningSchema, index: int, calendar: BusinessCalendar) -> dt.date:
    """The date step *index* runs, given what the case has done so far.

    A step runs on its planned date, but never on or before the day the previous step ran: when
    a step ran late (the case was paused, or registered late), the steps after it keep their
    spacing, so a debtor never gets two reminders at once and legal terms stay whole. A step the
    case was sent to (``resumed_on``, when a payment plan defaults) runs on that day.
    """
    if case.resumed_on is not None and index == case.step_index:
        return case.resumed_on  # sent to this step (a payment plan defaulted): it runs at once
    trigger = schema.steps[index].trigger
    last = case.last_step_on
    if trigger.anchor is Anchor.PREVIOUS_STEP and last is not None:
        return _offset(last, trigger.days, trigger.day_kind, calendar)
    planned = _planned(case, schema, index, calendar)
    if last is None or index == 0:
        return planned
    previous_planned = _planned(case, schema, index - 1, calendar)
    delay = (last - previous_planned).days
    if delay > 0:
        planned = _offset(planned, delay, DayKind.CALENDAR, calendar)
    return max(planned, last + dt.timedelta(days=1))


def next_action_on(case: Case, schema: DunningSchema, calendar: BusinessCalendar) -> dt.date | None:
    """The next date on which ``decide`` has something to do, or None (the due-case index)."""
    if case.ended is not None or case.account.is_settled:
        return None
    if _plan_runs(case):
        assert case.plan is not None
        return plan_next_action_on(case.plan)
    if case.holds:
        ends = [h.until for h in case.holds if h.until is not None]
        return min(ends) if ends else None
    if not case.is_running:
        return None
    if case.redo_message_of_step is not None:
        return case.opened_on
    if case.step_index < min(len(schema.steps), case.last_step):
        return step_date(case, schema, case.step_index, calendar)
    return None


def _plan_runs(case: Case) -> bool:
    """Whether the case is the lead of an active plan held by nothing but the plan."""
    plan = case.active_plan
    return (
        plan is not None
        and plan.is_lead
        and all(h.kind is HoldKind.PAYMENT_PLAN for h in case.holds)
    )


def _event(case: Case, today: dt.date, cls: type[Event], **fields: object) -> Event:
    # Sequence numbers are placeholders here; ``_numbered`` sets the real ones.
    return cls(
        creditor=case.creditor,
        invoice_number=case.invoice_number,
        sequence=0,
        occurred_on=today,
        **fields,
    )


def decide(case: Case, schema: DunningSchema, today: dt.date, context: DecisionContext) -> Decision:
    """What should happen to *case* on *today*: the events to record and the effects to queue.

    Pure and deterministic. At most one schema step runs per call, so a case that is late (paused,
    registered after its due date) catches up one step per day and never floods the debtor.

    Raises:
        ValidationError: *schema* is not the case's schema version.
    """
    if (schema.key, schema.version) != (case.schema_key, case.schema_version):
        raise ValidationError(
            f"invoice {case.invoice_number!r} runs on schema {case.schema_key!r} "
            f"v{case.schema_version}, not {schema.key!r} v{schema.version}"
        )
    events: list[Event] = []
    if case.ended is not None or case.account.is_settled:
        return Decision()
    for hold in case.holds:
        if hold.until is not None and hold.until <= today:
            resumed = _event(case, today, CaseResumed, kind=hold.kind, reason="the pause ended")
            events.append(resumed)
    if events:
        case = attrs.evolve(
            case, holds=tuple(h for h in case.holds if h.until is None or h.until > today)
        )
    if _plan_runs(case):
        plan_events, plan_effects = decide_plan(case, schema, today)
        return _numbered(
            case, Decision(events=(*events, *plan_events), effects=tuple(plan_effects))
        )
    if not case.is_running:
        return _numbered(case, Decision(events=tuple(events)))
    if case.redo_message_of_step is not None:
        decision = _redo_message(case, schema, today, context)
        return _numbered(
            case, Decision(events=(*events, *decision.events), effects=decision.effects)
        )
    index = case.step_index
    if (
        index >= min(len(schema.steps), case.last_step)
        or step_date(case, schema, index, context.calendar) > today
    ):
        return _numbered(case, Decision(events=tuple(events)))
    step = schema.steps[index]
    decision = _run_step(case, schema, step, index, today, context)
    return _numbered(case, Decision(events=(*events, *decision.events), effects=decision.effects))


def _numbered(case: Case, decision: Decision) -> Decision:
    events = tuple(
        attrs.evolve(event, sequence=case.version + offset)
        for offset, event in enumerate(decision.events, start=1)
    )
    return Decision(events=events, effects=decision.effects)


def _unreachable_reason(debtor: Debtor, message: SendMessage) -> str | None:
    if any(debtor.reachable_on(channel) for channel in message.channels):
        return None
    names = ", ".join(str(c) for c in message.channels)
    return (
        f"debtor {debtor.code!r} cannot be reached on {names}: add the missing contact details "
        f"(upsert_debtor) or resume the invoice"
    )


def _interest_events(
    case: Case,
    schema: DunningSchema,
    today: dt.date,
    context: DecisionContext,
    interest_from: dt.date | None,
) -> list[Event]:
    start = case.interest_posted_until if case.interest_from is not None else interest_from
    step = case.interest_step if case.interest_from is not None else case.step_index
    if start is None or step is None or start >= today:
        return []
    rule = next(a.rule for a in schema.steps[step].actions if isinstance(a, StartInterest))
    principal = case.account.open_principal
    if not principal.is_positive:
        return []
    exact = rule.interest(
        InterestContext(
            principal=principal,
            start=start,
            end=today,
            interest_from=case.interest_from or start,
            open_interest=case.account.open_interest,
            debtor=context.debtor,
            creditor=context.creditor,
        )
    )
    amount = exact.round(Rounding.HALF_UP)
    if not amount.is_positive:
        return []
    return [
        _event(
            case,
            today,
            InterestAccrued,
            amount=amount,
            start=start,
            end=today,
            description=rule.describe(),
        )
    ]


def _fee_context(
    case: Case, today: dt.date, context: DecisionContext, index: int, sent: Sequence[SentMessage]
) -> FeeContext:
    return FeeContext(
        today=today,
        invoice=case.invoice,
        account=case.account,
        debtor=context.debtor,
        creditor=context.creditor,
        step_index=index,
        sent=tuple(sent),
    )


def _announced_fee(
    case: Case,
    schema: DunningSchema,
    index: int,
    today: dt.date,
    context: DecisionContext,
    kind: MessageKind,
) -> Money | None:
    """What the next fee step would charge once this letter's term has passed."""
    letter = SentMessage(kind=kind, step_index=index, sent_on=today)
    later = today + dt.timedelta(days=60)
    for next_index in range(index + 1, len(schema.steps)):
        for action in schema.steps[next_index].actions:
            if isinstance(action, ChargeFee):
                fee = action.rule.fee(
                    _fee_context(case, later, context, next_index, (*case.sent, letter))
                )
                return None if isinstance(fee, NoFee) else fee.round()
    return None


def _run_step(
    case: Case,
    schema: DunningSchema,
    step: Step,
    index: int,
    today: dt.date,
    context: DecisionContext,
) -> Decision:
    if step.min_open_amount is not None and case.account.open_total < step.min_open_amount:
        return Decision(
            events=(
                _event(
                    case,
                    today,
                    StepSkipped,
                    step_index=index,
                    step_name=step.name,
                    reason=f"open amount {case.account.open_total} is below the step's threshold "
                    f"{step.min_open_amount}",
                ),
            )
        )
    message = step.message
    if message is not None:
        reason = _unreachable_reason(context.debtor, message)
        if reason is not None:
            return Decision(
                events=(_event(case, today, CasePaused, kind=HoldKind.VALIDATION, reason=reason),)
            )

    def key(action: str) -> str:
        return effect_key(
            case.creditor,
            case.invoice_number,
            case.schema_key,
            case.schema_version,
            index,
            action,
            case.attempts,
        )

    start_interest = next((a for a in step.actions if isinstance(a, StartInterest)), None)
    interest_from: dt.date | None = None
    if start_interest is not None and case.interest_from is None:
        interest_from = (
            case.invoice.due_on + dt.timedelta(days=1) if start_interest.from_due else today
        )
    events = _interest_events(case, schema, today, context, interest_from)
    scratch = case
    for event in events:
        scratch = attrs.evolve(scratch, account=scratch.account.apply(event))

    notes: list[str] = []
    for action in step.actions:
        if isinstance(action, ChargeFee):
            fee = action.rule.fee(_fee_context(scratch, today, context, index, scratch.sent))
            if isinstance(fee, NoFee):
                notes.append(f"{action.rule.describe()}: {fee.reason}")
                continue
            fee = fee.round(Rounding.HALF_UP)
            if fee.is_positive:
                charged = _event(
                    case,
                    today,
                    FeeCharged,
                    amount=fee,
                    description=action.rule.describe(),
                    step_index=index,
                )
                events.append(charged)
                scratch = attrs.evolve(scratch, account=scratch.account.apply(charged))

    effects: list[Effect] = []
    common: dict[str, Any] = {
        "creditor": case.creditor,
        "invoice_number": case.invoice_number,
        "debtor_code": case.debtor_code,
        "decided_on": today,
    }
    if message is not None:
        effects.append(
            _message_effect(
                scratch, schema, message, index, step.name, today, context, key("message"), common
            )
        )
    if any(isinstance(a, HandOver) for a in step.actions):
        effects.append(
            RequestHandover(
                idempotency_key=key("handover"), open_amount=scratch.account.open_total, **common
            )
        )
    if any(isinstance(a, StopSubscription) for a in step.actions):
        reference = case.invoice.subscription_reference
        if reference is None:
            notes.append("stop subscription: the invoice has no subscription reference")
        else:
            effects.append(
                RequestSubscriptionStop(
                    idempotency_key=key("subscription"), subscription_reference=reference, **common
                )
            )
    events.append(
        _event(
            case,
            today,
            StepExecuted,
            step_index=index,
            step_name=step.name,
            schema_key=case.schema_key,
            schema_version=case.schema_version,
            effect_keys=tuple(e.idempotency_key for e in effects),
            message_kind=message.kind if message is not None else None,
            interest_from=interest_from,
            notes=tuple(notes),
        )
    )
    handover = next((e for e in effects if isinstance(e, RequestHandover)), None)
    if handover is not None:
        events.append(
            _event(
                case,
                today,
                HandoverRequested,
                idempotency_key=handover.idempotency_key,
                step_index=index,
            )
        )
    return Decision(events=tuple(events), effects=tuple(effects))


def _message_effect(
    case: Case,
    schema: DunningSchema,
    message: SendMessage,
    index: int,
    step_name: str,
    today: dt.date,
    context: DecisionContext,
    key: str,
    common: dict[str, Any],
) -> DeliverMessage:
    account = case.account
    methods = (
        message.methods_after_due if today > case.invoice.due_on else message.methods_before_due
    )
    if case.direct_debit_excluded:
        methods = methods.without(DIRECT_DEBIT)
    announced = None
    pay_by = None
    if message.kind is MessageKind.FOURTEEN_DAY_LETTER:
        announced = _announced_fee(case, schema, index, today, context, message.kind)
        pay_by = _fourteen_day_term_end(today)
    return DeliverMessage(
        idempotency_key=key,
        step_index=index,
        step_name=step_name,
        kind=message.kind,
        template=message.template,
        channels=message.channels,
        open_amount=account.open_total,
        open_principal=account.open_principal,
        open_costs=account.open_costs,
        open_interest=account.open_interest,
        payment_link=message.payment_link,
        link_required=message.link_required,
        payment_methods=methods,
        announced_fee=announced,
        pay_by=pay_by,
        attach_invoice=message.attach_invoice,
        **common,
    )


def _fourteen_day_term_end(posted_on: dt.date) -> dt.date:
    from ..rules import nl

    return nl.fourteen_day_letter_deadline(posted_on)


def _redo_message(
    case: Case, schema: DunningSchema, today: dt.date, context: DecisionContext
) -> Decision:
    index = case.redo_message_of_step
    assert index is not None
    step = schema.steps[index]
    message = step.message
    assert message is not None
    reason = _unreachable_reason(context.debtor, message)
    if reason is not None:
        return Decision(
            events=(_event(case, today, CasePaused, kind=HoldKind.VALIDATION, reason=reason),)
        )
    key = effect_key(
        case.creditor,
        case.invoice_number,
        case.schema_key,
        case.schema_version,
        index,
        "message",
        case.attempts + 1,
    )
    common: dict[str, Any] = {
        "creditor": case.creditor,
        "invoice_number": case.invoice_number,
        "debtor_code": case.debtor_code,
        "decided_on": today,
    }
    effect = _message_effect(case, schema, message, index, step.name, today, context, key, common)
    executed = _event(
        case,
        today,
        StepExecuted,
        step_index=index,
        step_name=step.name,
        schema_key=case.schema_key,
        schema_version=case.schema_version,
        effect_keys=(key,),
        notes=("message sent again after the validation pause",),
    )
    return Decision(events=(executed,), effects=(effect,))
