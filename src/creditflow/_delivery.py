"""Delivering queued messages: channel choice, payment links, grouping, and revoking links.

The manager's dispatcher hands over one queued :class:`~creditflow.engine.DeliverMessage` entry,
or (with ``group_messages=True``) every entry of one debtor due the same day on the same channel
for the same kind of message; they go out as one message listing all the invoices, and each
invoice still records its own events (``PaymentLinkCreated``, ``MessageSent``, ...).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

from attrs import frozen

from ._message_kind import MessageKind
from ._money import Money, Rounding
from ._parties import Channel, Debtor
from .engine._case import Case, CaseStatus
from .engine._effects import DeliverMessage
from .errors import DeliveryError
from .events import (
    CasePaused,
    CaseStopped,
    CaseWrittenOff,
    CreditNoteApplied,
    Event,
    HandedOver,
    HandoverRequested,
    HoldKind,
    MessageCancelled,
    MessageFailed,
    MessageSent,
    PaymentLinkCreated,
    PaymentReceived,
    SentViaFallback,
    SkippedNoChannelLeft,
)
from .ports import Attachment, OutboxEntry, OutgoingMessage, PaymentLinkRequest
from .render import ComposeRequest, InvoiceItem

if TYPE_CHECKING:
    from ._manager import CreditManager, _Stats

__all__ = ["Member", "deliver_messages", "group_key", "revoke_payment_links"]

log = logging.getLogger("creditflow")

Spec = tuple[type[Event], dict[str, object]]

_LINK_FAILED = "payment link: "
"""Prefix of ``last_error`` while the payment link is being retried."""
_WITHOUT_LINK = "without link: "
"""Prefix of ``last_error`` once the message goes without its link (the link gave up)."""


@frozen(kw_only=True)
class Member:
    """One queued message of a delivery, with the case and debtor it was loaded with."""

    entry: OutboxEntry
    effect: DeliverMessage
    case: Case
    debtor: Debtor

    @property
    def key(self) -> str:
        """The effect's idempotency key."""
        return self.effect.idempotency_key


def group_key(entry: OutboxEntry) -> Hashable | None:
    """What queued messages must share to go out as one (``None``: never grouped)."""
    effect = entry.effect
    if not isinstance(effect, DeliverMessage):
        return None
    return (
        effect.debtor_code,
        effect.kind,
        effect.decided_on,
        effect.channels,
        entry.channel_index,
        effect.open_amount.currency,
        effect.plan_reference,
    )


def _cancelled(case: Case, effect: DeliverMessage) -> str | None:
    """Why a queued message must not go out any more (None: it may)."""
    status = case.status
    plan = case.active_plan
    if effect.plan_reference is not None:
        if case.account.is_settled or plan is None or plan.plan.reference != effect.plan_reference:
            return f"payment plan {effect.plan_reference} is no longer active"
        return None
    if status.is_final or (
        status in (CaseStatus.AT_AGENCY, CaseStatus.PENDING_HANDOVER)
        and effect.kind is not MessageKind.HANDOVER_NOTICE
    ):
        return f"the invoice is {status.value} since the message was queued"
    if plan is not None and effect.kind is not MessageKind.REVERSAL_NOTICE:
        return f"the invoice is in payment plan {plan.plan.reference} since the message was queued"
    return None


def deliver_messages(
    manager: CreditManager, members: Sequence[Member], now: dt.datetime, stats: _Stats
) -> None:
    """Deliver one message for *members* (one, or a group of one debtor's invoices).

    Each member's outcome is recorded on its own case, in its own unit of work.
    """
    live: list[Member] = []
    for member in members:
        reason = _cancelled(member.case, member.effect)
        if reason is not None:
            manager._finish(
                member.entry,
                [(MessageCancelled, {"idempotency_key": member.key, "reason": reason})],
                now,
            )
        else:
            live.append(member)
    if not live:
        return
    lead = live[0]
    channels = lead.effect.channels
    index = lead.entry.channel_index
    while index < len(channels) and not (
        channels[index] in manager.channels and lead.debtor.reachable_on(channels[index])
    ):
        index += 1
    if index >= len(channels):
        for member in live:
            manager._finish(member.entry, _no_channel_left(member), now)
        return
    channel = channels[index]
    ready: list[tuple[Member, str | None, list[Spec]]] = []
    without_link: set[str] = set()
    for member in live:
        outcome = _payment_link(manager, member, channel, now, stats)
        if outcome is not None:
            url, specs, gave_up = outcome
            ready.append((member, url, specs))
            if gave_up:
                without_link.add(member.key)
    if not ready:
        return
    try:
        message = compose(manager, ready, channel)
        reference = manager.channels[channel].send(message)
    except Exception as exc:
        stats.delivery_failures += 1
        for member, _, _ in ready:
            _failed(manager, member, channel, index, exc, now, member.key in without_link)
        return
    for member, _, specs in ready:
        if index > 0:
            specs.append(
                (
                    SentViaFallback,
                    {
                        "idempotency_key": member.key,
                        "channel": channel,
                        "instead_of": channels[0],
                        "reason": _reason(member.entry.last_error)
                        or f"debtor cannot be reached on {channels[0]}",
                    },
                )
            )
        specs.append(
            (
                MessageSent,
                {
                    "idempotency_key": member.key,
                    "channel": channel,
                    "template": member.effect.template,
                    "provider_reference": reference,
                },
            )
        )
        manager._finish(member.entry, specs, now, case=member.case)
        stats.messages_sent += 1


def _reason(last_error: str | None) -> str | None:
    if last_error is None:
        return None
    for prefix in (_WITHOUT_LINK,):
        if last_error.startswith(prefix):
            return last_error[len(prefix) :]
    return last_error


def _no_channel_left(member: Member) -> list[Spec]:
    effect = member.effect
    if effect.plan_reference is not None or effect.kind is MessageKind.REVERSAL_NOTICE:
        # A plan or reversal notice that reaches no one is not retried and pauses nothing: the
        # plan's next notice (and in the end its default) still follows on its own dates.
        return [
            (
                MessageFailed,
                {
                    "idempotency_key": member.key,
                    "channel": effect.channels[0],
                    "error": f"no channel reaches debtor {member.debtor.code!r}",
                    "attempt": member.entry.attempts + 1,
                    "final": True,
                },
            )
        ]
    return [
        (
            SkippedNoChannelLeft,
            {
                "idempotency_key": member.key,
                "channels": effect.channels,
                "step_index": effect.step_index,
            },
        ),
        (
            CasePaused,
            {
                "kind": HoldKind.VALIDATION,
                "reason": f"no channel of step {effect.step_name!r} reached debtor "
                f"{member.debtor.code!r} ({', '.join(map(str, effect.channels))})",
            },
        ),
    ]


def _payment_link(
    manager: CreditManager, member: Member, channel: Channel, now: dt.datetime, stats: _Stats
) -> tuple[str | None, list[Spec], bool] | None:
    """The member's link URL, its event, and whether the link was given up on.

    ``None`` when the member must wait for the link.

    A failing link is retried with the manager's back-off. When the retries are used up, a step
    that allows it (``link_required=False``) sends without the link; one that requires it keeps
    being retried: nothing is lost.
    """
    effect, entry = member.effect, member.entry
    if (
        not effect.payment_link
        or manager.payment_links is None
        or not effect.open_amount.is_positive
        or member.case.status in (CaseStatus.AT_AGENCY, CaseStatus.PENDING_HANDOVER)
    ):
        return None, [], False
    if (entry.last_error or "").startswith(_WITHOUT_LINK):
        return None, [], True
    amount = effect.open_amount.round(Rounding.HALF_UP)
    try:
        link = manager.payment_links.create(
            PaymentLinkRequest(
                idempotency_key=f"{member.key}/link",
                creditor=manager.creditor.key,
                invoice_number=effect.invoice_number,
                debtor_code=member.debtor.code,
                amount=amount,
                description=effect.link_description or f"Invoice {effect.invoice_number}",
                locale=member.debtor.locale,
                expires_on=effect.decided_on + dt.timedelta(days=manager.payment_link_days),
                methods=effect.payment_methods,
            )
        )
    except Exception as exc:
        attempts = entry.attempts + 1
        if effect.link_required or attempts < manager.retry.max_attempts:
            stats.delivery_failures += 1
            manager._finish(
                entry,
                [
                    (
                        MessageFailed,
                        {
                            "idempotency_key": member.key,
                            "channel": channel,
                            "error": f"{_LINK_FAILED}{exc}",
                            "attempt": attempts,
                        },
                    )
                ],
                now,
                done=False,
                attempts=attempts,
                error=f"{_LINK_FAILED}{exc}",
                retry_at=now + manager.retry.delay(attempts),
            )
            return None
        log.warning("payment link for %s failed (%s); sending without a link", member.key, exc)
        return None, [], True
    spec: Spec = (
        PaymentLinkCreated,
        {
            "idempotency_key": member.key,
            "url": link.url,
            "reference": link.reference,
            "amount": amount,
            "allowed_methods": effect.payment_methods.allowed,
            "disallowed_methods": effect.payment_methods.disallowed,
        },
    )
    return link.url, [spec], False


def _failed(
    manager: CreditManager,
    member: Member,
    channel: Channel,
    index: int,
    exc: Exception,
    now: dt.datetime,
    without_link: bool,
) -> None:
    """Record a failed delivery: retry with back-off, or go on to the next channel.

    Attempts spent on the payment link do not count against the channel.
    """
    entry = member.entry
    attempts = 1 if (entry.last_error or "").startswith(_LINK_FAILED) else entry.attempts + 1
    error = f"{_WITHOUT_LINK if without_link else ''}{exc}"
    permanent = isinstance(exc, DeliveryError) and exc.permanent
    next_channel = permanent or attempts >= manager.retry.max_attempts
    has_next = index + 1 < len(member.effect.channels)
    specs: list[Spec] = [
        (
            MessageFailed,
            {
                "idempotency_key": member.key,
                "channel": channel,
                "error": str(exc),
                "attempt": attempts,
                "final": next_channel and not has_next,
            },
        )
    ]
    if next_channel:
        manager._finish(
            entry,
            specs,
            now,
            done=False,
            attempts=0,
            channel_index=index + 1,
            error=error,
            retry_at=now,
        )
    else:
        manager._finish(
            entry,
            specs,
            now,
            done=False,
            attempts=attempts,
            error=error,
            retry_at=now + manager.retry.delay(attempts),
        )


def _sum(amounts: Sequence[Money]) -> Money:
    total = amounts[0]
    for amount in amounts[1:]:
        total = total + amount
    return total


def message_key(members: Sequence[Member], channel: Channel) -> str:
    """The channel's idempotency key: the effect's for one invoice, a stable digest for a group."""
    keys = sorted(m.key for m in members)
    if len(keys) == 1:
        return f"{keys[0]}#{channel}"
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]
    return f"{keys[0]}+{len(keys) - 1}@{digest}#{channel}"


def compose(
    manager: CreditManager,
    ready: Sequence[tuple[Member, str | None, list[Spec]]],
    channel: Channel,
) -> OutgoingMessage:
    """The message for the members ready to go: one invoice, or all of a group's invoices."""
    from ._manager import _recipient

    members = [m for m, _, _ in ready]
    lead = members[0]
    invoices = tuple(m.case.invoice for m in members)
    plan = lead.case.active_plan
    if len(members) == 1 and lead.effect.plan_reference is not None and plan is not None:
        # A plan message is about every invoice the plan covers.
        with manager.store.unit_of_work() as uow:
            invoices = tuple(
                manager._case(uow, number).invoice for number in plan.plan.invoice_numbers
            )
    effects = [m.effect for m in members]
    items = tuple(
        InvoiceItem(invoice=m.case.invoice, open_amount=m.effect.open_amount, payment_url=url)
        for m, url, _ in ready
    )
    fees = [e.announced_fee for e in effects if e.announced_fee is not None]
    pay_by = [e.pay_by for e in effects if e.pay_by is not None]
    single_url = ready[0][1] if len(ready) == 1 else None
    composed = manager.templates.compose(
        ComposeRequest(
            kind=lead.effect.kind,
            template=lead.effect.template,
            channel=channel,
            creditor=manager.creditor,
            debtor=lead.debtor,
            invoices=invoices,
            items=items,
            open_amount=_sum([e.open_amount for e in effects]),
            open_principal=_sum([e.open_principal for e in effects]),
            open_costs=_sum([e.open_costs for e in effects]),
            open_interest=_sum([e.open_interest for e in effects]),
            today=lead.effect.decided_on,
            payment_url=single_url,
            announced_fee=_sum(fees) if fees else None,
            pay_by=min(pay_by) if pay_by else None,
        )
    )
    attachments: list[Attachment] = []
    if manager.renderer is not None:
        attachments += [
            manager.renderer.render_invoice(
                m.case.invoice, creditor=manager.creditor, debtor=m.debtor
            )
            for m in members
            if m.effect.attach_invoice
        ]
    return OutgoingMessage(
        idempotency_key=message_key(members, channel),
        channel=channel,
        kind=lead.effect.kind,
        creditor=manager.creditor,
        debtor=lead.debtor,
        invoice_numbers=tuple(i.number for i in invoices),
        recipient=_recipient(lead.debtor, channel),
        subject=composed.subject,
        text=composed.text,
        html=composed.html,
        attachments=tuple(attachments),
        payment_url=single_url,
        locale=lead.debtor.locale,
    )


# -- revoking links ------------------------------------------------------------------------------------

_ENDING_EVENTS = (
    PaymentReceived,
    CreditNoteApplied,
    CaseStopped,
    CaseWrittenOff,
    HandoverRequested,
    HandedOver,
)


def revoke_payment_links(manager: CreditManager, events: Sequence[Event]) -> list[str]:
    """Revoke the payment links of invoices that *events* (just committed) settled or ended.

    An invoice's links are revoked when it is paid or credited in full, stopped, written off or
    handed to a collection agency: a debtor must not pay through an old link what is no longer
    owed to the creditor. Links are found in the case's ``PaymentLinkCreated`` events. Revoking is
    idempotent at the port, so running this again (a retried webhook) does no harm; a failure is
    logged and does not undo anything (the link still expires). Returns the revoked references.
    """
    if manager.payment_links is None:
        return []
    numbers = sorted({e.invoice_number for e in events if isinstance(e, _ENDING_EVENTS)})
    revoked: list[str] = []
    for number in numbers:
        with manager._uow() as uow:
            case = uow.cases.load(manager.creditor.key, number)
            if case is None or not (
                case.status.is_final
                or case.status in (CaseStatus.AT_AGENCY, CaseStatus.PENDING_HANDOVER)
            ):
                continue
            references = [
                e.reference
                for e in uow.cases.events(manager.creditor.key, number)
                if isinstance(e, PaymentLinkCreated) and e.reference
            ]
        for reference in dict.fromkeys(references):
            try:
                manager.payment_links.revoke(reference)
                revoked.append(reference)
            except Exception:
                log.exception("revoking payment link %s of invoice %s failed", reference, number)
    return revoked
