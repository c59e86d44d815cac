"""Side effects the engine decides on: what the outbox holds until a port has carried it out.

Each effect has a deterministic ``idempotency_key``; the store keeps one outbox entry per key, and
ports receive the key so that a retried delivery is recognised and not carried out twice.
"""

from __future__ import annotations

import datetime as dt

from attrs import frozen

from .._message_kind import MessageKind
from .._money import Money
from .._parties import Channel
from ._schema import PaymentMethods

__all__ = [
    "CollectDirectDebit",
    "DeliverMessage",
    "Effect",
    "RequestHandover",
    "RequestSubscriptionStop",
    "effect_key",
]


def effect_key(
    creditor: str,
    invoice_number: str,
    schema_key: str,
    schema_version: int,
    step_index: int,
    action: str,
    attempt: int = 0,
) -> str:
    """The idempotency key of one action of one step of one case (stable across runs)."""
    return (
        f"{creditor}/{invoice_number}/{schema_key}@{schema_version}/{step_index}/{action}/{attempt}"
    )


@frozen(kw_only=True)
class Effect:
    """What every effect carries."""

    idempotency_key: str
    creditor: str
    invoice_number: str
    debtor_code: str
    decided_on: dt.date


@frozen(kw_only=True)
class DeliverMessage(Effect):
    """Send a message about the invoice on the first channel that reaches the debtor."""

    step_index: int
    step_name: str
    kind: MessageKind
    template: str
    channels: tuple[Channel, ...]
    open_amount: Money
    open_principal: Money
    open_costs: Money
    open_interest: Money
    payment_link: bool = True
    link_required: bool = False
    payment_methods: PaymentMethods = PaymentMethods()
    announced_fee: Money | None = None
    """The collection costs a 14-day letter must state (what the next fee step will charge)."""
    pay_by: dt.date | None = None
    """The last day to pay that the message states (e.g. the end of the 14-day term)."""
    attach_invoice: bool = False
    plan_reference: str | None = None
    """Set for a payment plan's messages (invitations, reminders, last chance of instalments)."""
    link_description: str | None = None
    """What the payment link says it pays (default: the invoice)."""


@frozen(kw_only=True)
class CollectDirectDebit(Effect):
    """Collect a reversed direct debit again on the debtor's mandate (a re-presentment).

    The outbox entry becomes available on the submission day (one TARGET2 business day before
    ``collect_on``); the amount collected is what is open on the invoice then, at most
    ``amount`` plus any reversal fee charged since.
    """

    collect_on: dt.date
    amount: Money
    attempt: int
    original_payment_reference: str


@frozen(kw_only=True)
class RequestHandover(Effect):
    """Hand the claim to the collection agency."""

    open_amount: Money


@frozen(kw_only=True)
class RequestSubscriptionStop(Effect):
    """Stop the host's subscription behind the invoice."""

    subscription_reference: str
