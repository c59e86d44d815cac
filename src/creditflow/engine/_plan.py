"""A payment plan's progress on its lead invoice's case, and what is due for it on a day. Pure.

Why the plan lives on a case: the store's due index is per case, and a plan always covers at
least one invoice. The plan's *lead* invoice (the one due first) carries the plan's progress
(instalments invited, paid, missed) and its ``next_action_on`` is the plan's next date, so runs
find due plans through the same index as due invoices and the ``Store`` port needs nothing new.
The other covered invoices carry the agreed plan (``PaymentPlanAgreed``) and a payment-plan hold.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen

from .._message_kind import MessageKind
from .._money import Money
from .._plans import PaymentPlan
from ..events import (
    CaseResumed,
    Event,
    HoldKind,
    InstallmentDue,
    InstallmentMissed,
    InstallmentPaid,
    InstallmentPaymentReversed,
    PaymentPlanAgreed,
    PaymentPlanCompleted,
    PaymentPlanDefaulted,
    PaymentPlanLastChance,
    PaymentPlanTerminated,
)
from ._effects import DeliverMessage, Effect
from ._schema import DunningSchema, PaymentMethods

if TYPE_CHECKING:
    from ._case import Case

__all__ = [
    "PlanOutcome",
    "PlanState",
    "allocate_to_installments",
    "decide_plan",
    "plan_next_action_on",
    "resume_step",
    "unallocate_from_installments",
]

DIRECT_DEBIT = "sepa_direct_debit"


class PlanOutcome(enum.Enum):
    """How a plan stands."""

    ACTIVE = "active"
    COMPLETED = "completed"
    DEFAULTED = "defaulted"
    TERMINATED = "terminated"


@frozen(kw_only=True)
class PlanState:
    """A plan as one covered case knows it; only the lead case's progress is authoritative."""

    plan: PaymentPlan
    is_lead: bool
    outcome: PlanOutcome = PlanOutcome.ACTIVE
    paid: tuple[Money, ...] = ()
    """What was paid toward each instalment (in instalment order)."""
    invited: frozenset[int] = frozenset()
    missed: tuple[tuple[int, dt.date], ...] = ()
    """Instalments missed and not yet paid, with the day each was missed."""
    last_chance_on: dt.date | None = None
    ended_on: dt.date | None = None

    @classmethod
    def start(cls, plan: PaymentPlan, invoice_number: str) -> PlanState:
        """The state right after *plan* was agreed, as *invoice_number*'s case keeps it."""
        nothing = Money.zero(plan.currency)
        return cls(
            plan=plan,
            is_lead=plan.lead_invoice == invoice_number,
            paid=tuple(nothing for _ in plan.installments),
        )

    @property
    def active(self) -> bool:
        """Whether the plan still holds the dunning."""
        return self.outcome is PlanOutcome.ACTIVE

    @property
    def paid_total(self) -> Money:
        """Everything paid toward the plan."""
        return sum(self.paid, Money.zero(self.plan.currency))

    @property
    def open_total(self) -> Money:
        """What is still to be paid under the plan."""
        return self.plan.total - self.paid_total

    def open_of(self, number: int) -> Money:
        """What is still open of instalment *number*."""
        return self.plan.installment(number).amount - self.paid[number - 1]

    def is_paid(self, number: int) -> bool:
        """Whether instalment *number* is paid in full."""
        return not self.open_of(number).is_positive

    def is_missed(self, number: int) -> bool:
        """Whether instalment *number* is missed and still unpaid."""
        return any(n == number for n, _ in self.missed)

    def overdue(self, today: dt.date) -> Money:
        """What is open of the instalments due on or before *today*."""
        return sum(
            (
                self.open_of(i.number)
                for i in self.plan.installments
                if i.due_on <= today and not self.is_paid(i.number)
            ),
            Money.zero(self.plan.currency),
        )

    def after(self, event: Event) -> PlanState:
        """The state after *event* (events that are not about this plan change nothing)."""
        match event:
            case InstallmentDue(number=number):
                return attrs.evolve(self, invited=self.invited | {number})
            case InstallmentPaid(number=number, amount=amount, settled=settled):
                paid = _add(self.paid, number, amount)
                missed = self.missed
                if settled:
                    missed = tuple((n, on) for n, on in missed if n != number)
                return attrs.evolve(
                    self,
                    paid=paid,
                    missed=missed,
                    last_chance_on=self.last_chance_on if missed else None,
                )
            case InstallmentPaymentReversed(number=number, amount=amount):
                return attrs.evolve(self, paid=_add(self.paid, number, -amount))
            case InstallmentMissed(number=number):
                return attrs.evolve(self, missed=(*self.missed, (number, event.occurred_on)))
            case PaymentPlanLastChance():
                return attrs.evolve(self, last_chance_on=event.occurred_on)
            case PaymentPlanCompleted():
                return self._ended(PlanOutcome.COMPLETED, event.occurred_on)
            case PaymentPlanDefaulted():
                return self._ended(PlanOutcome.DEFAULTED, event.occurred_on)
            case PaymentPlanTerminated():
                return self._ended(PlanOutcome.TERMINATED, event.occurred_on)
            case _:
                return self

    def _ended(self, outcome: PlanOutcome, on: dt.date) -> PlanState:
        return attrs.evolve(self, outcome=outcome, ended_on=on)


def _add(paid: tuple[Money, ...], number: int, amount: Money) -> tuple[Money, ...]:
    return tuple(p + amount if i == number - 1 else p for i, p in enumerate(paid))


def is_plan_event(event: Event) -> bool:
    """Whether *event* changes a plan's state."""
    return isinstance(
        event,
        InstallmentDue
        | InstallmentPaid
        | InstallmentPaymentReversed
        | InstallmentMissed
        | PaymentPlanLastChance
        | PaymentPlanCompleted
        | PaymentPlanDefaulted
        | PaymentPlanTerminated,
    ) and not isinstance(event, PaymentPlanAgreed)


def allocate_to_installments(
    state: PlanState, amount: Money, today: dt.date
) -> list[tuple[int, Money, bool, bool]]:
    """Spread *amount* over the open instalments in due order.

    Returns ``(number, amount, settled, late)`` per instalment that receives money; what exceeds
    the plan's open total is not allocated (the caller keeps it as a credit balance).
    """
    shares: list[tuple[int, Money, bool, bool]] = []
    remaining = amount
    for installment in state.plan.installments:
        if not remaining.is_positive:
            break
        open_amount = state.open_of(installment.number)
        if not open_amount.is_positive:
            continue
        share = remaining.min(open_amount)
        remaining -= share
        late = state.is_missed(installment.number) or installment.due_on < today
        shares.append((installment.number, share, share == open_amount, late))
    return shares


def unallocate_from_installments(state: PlanState, amount: Money) -> list[tuple[int, Money]]:
    """Take *amount* back from the instalments paid last first (the reverse of due order)."""
    shares: list[tuple[int, Money]] = []
    remaining = amount
    for installment in reversed(state.plan.installments):
        if not remaining.is_positive:
            break
        paid = state.paid[installment.number - 1]
        share = remaining.min(paid)
        if share.is_positive:
            shares.append((installment.number, share))
            remaining -= share
    return shares


def resume_step(plan: PaymentPlan, schema: DunningSchema, current: int) -> int | None:
    """The step a covered invoice resumes at when *plan* defaults (None: where it was)."""
    step = plan.policy.resume_at_step
    return None if step is None else schema.index_of(step)


def _plan_dates(state: PlanState) -> list[dt.date]:
    policy = state.plan.policy
    dates: list[dt.date] = []
    for installment in state.plan.installments:
        number = installment.number
        if state.is_paid(number) or state.is_missed(number):
            continue
        if policy.invitation_days_before is not None and number not in state.invited:
            dates.append(installment.due_on - dt.timedelta(days=policy.invitation_days_before))
        dates.append(installment.due_on + dt.timedelta(days=policy.reminder_days_after))
    if state.missed:
        first_missed = min(on for _, on in state.missed)
        if state.last_chance_on is None:
            dates.append(first_missed + dt.timedelta(days=policy.last_chance_days_after))
        elif policy.default_days_after is not None:
            dates.append(state.last_chance_on + dt.timedelta(days=policy.default_days_after))
    return dates


def plan_next_action_on(state: PlanState) -> dt.date | None:
    """The next day something is due for the plan (its lead case's place in the due index)."""
    if not state.active or not state.is_lead:
        return None
    dates = _plan_dates(state)
    return min(dates) if dates else None


def decide_plan(
    case: Case, schema: DunningSchema, today: dt.date, **common: Any
) -> tuple[list[Event], list[Effect]]:
    """What is due today for the plan on the lead *case*: invitations, reminders, default.

    Events come with placeholder sequence numbers (the caller numbers them). Several instalments
    may be handled on one day (an invitation for the next and a reminder for the last).
    """
    state = case.plan
    assert state is not None
    assert state.active
    assert state.is_lead
    plan = state.plan
    policy = plan.policy
    events: list[Event] = []
    effects: list[Effect] = []

    def event(cls: type[Event], **fields: Any) -> Event:
        return cls(
            creditor=case.creditor,
            invoice_number=case.invoice_number,
            sequence=0,
            occurred_on=today,
            **fields,
        )

    def message(what: str, kind: MessageKind, amount: Money, number: int | None) -> str:
        key = f"{case.creditor}/{case.invoice_number}/plan:{plan.reference}/{what}@{case.version}"
        label = f"instalment {number}" if number is not None else "remainder"
        methods = PaymentMethods()
        if case.direct_debit_excluded:
            methods = methods.without(DIRECT_DEBIT)
        nothing = Money.zero(plan.currency)
        effects.append(
            DeliverMessage(
                idempotency_key=key,
                creditor=case.creditor,
                invoice_number=case.invoice_number,
                debtor_code=case.debtor_code,
                decided_on=today,
                step_index=case.step_index,
                step_name=f"payment plan {plan.reference}: {what}",
                kind=kind,
                template=f"installment_{what.split('-', 1)[0]}",
                channels=policy.channels,
                open_amount=amount,
                open_principal=amount,
                open_costs=nothing,
                open_interest=nothing,
                payment_methods=methods,
                plan_reference=plan.reference,
                link_description=f"Payment plan {plan.reference}, {label}",
                **common,
            )
        )
        return key

    for installment in plan.installments:
        number = installment.number
        if state.is_paid(number) or state.is_missed(number):
            continue
        missed_on = installment.due_on + dt.timedelta(days=policy.reminder_days_after)
        if today >= missed_on:
            overdue = state.overdue(today)
            key = message(f"reminder-{number}", MessageKind.INSTALLMENT_REMINDER, overdue, number)
            missed = event(
                InstallmentMissed,
                plan_reference=plan.reference,
                number=number,
                due_on=installment.due_on,
                open_amount=state.open_of(number),
                idempotency_key=key,
            )
            events.append(missed)
            state = state.after(missed)
        elif (
            policy.invitation_days_before is not None
            and number not in state.invited
            and today >= installment.due_on - dt.timedelta(days=policy.invitation_days_before)
        ):
            key = message(
                f"invitation-{number}",
                MessageKind.PAYMENT_INVITATION,
                state.open_of(number),
                number,
            )
            due = event(
                InstallmentDue,
                plan_reference=plan.reference,
                number=number,
                due_on=installment.due_on,
                amount=state.open_of(number),
                idempotency_key=key,
            )
            events.append(due)
            state = state.after(due)

    reason: str | None = None
    if state.missed:
        count = len(state.missed)
        if policy.default_after_missed is not None and count >= policy.default_after_missed:
            reason = (
                f"{count} instalments missed (the plan allows {policy.default_after_missed - 1})"
            )
        elif state.last_chance_on is None:
            first_missed = min(on for _, on in state.missed)
            if today >= first_missed + dt.timedelta(days=policy.last_chance_days_after):
                default_on = (
                    None
                    if policy.default_days_after is None
                    else today + dt.timedelta(days=policy.default_days_after)
                )
                key = message(
                    "last_chance", MessageKind.INSTALLMENT_REMINDER, state.open_total, None
                )
                chance = event(
                    PaymentPlanLastChance,
                    plan_reference=plan.reference,
                    open_amount=state.open_total,
                    default_on=default_on,
                    idempotency_key=key,
                )
                events.append(chance)
                state = state.after(chance)
        elif policy.default_days_after is not None and today >= (
            state.last_chance_on + dt.timedelta(days=policy.default_days_after)
        ):
            reason = (
                f"instalment {state.missed[0][0]} still unpaid {policy.default_days_after} days "
                f"after the last chance"
            )
    if reason is not None:
        # Messages decided today are superseded by the default: the invoice's dunning takes over.
        effects.clear()
        events = [
            attrs.evolve(e, idempotency_key=None)
            if isinstance(e, InstallmentMissed | InstallmentDue)
            else e
            for e in events
            if not isinstance(e, PaymentPlanLastChance)
        ]
        events.append(
            event(
                PaymentPlanDefaulted,
                plan_reference=plan.reference,
                reason=reason,
                open_amount=state.open_total,
                resume_at_step=resume_step(plan, schema, case.step_index),
            )
        )
        events.append(
            event(
                CaseResumed,
                kind=HoldKind.PAYMENT_PLAN,
                reason=f"payment plan {plan.reference} defaulted",
            )
        )
    return events, effects
