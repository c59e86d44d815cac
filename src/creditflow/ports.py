"""The ports: what a host application (or an adapter) provides to creditflow.

Every port is a small :class:`typing.Protocol`. Each docstring starts with what an implementation
must guarantee. :mod:`creditflow.testing` has an in-memory fake for every port, and the fakes pass
the same contract tests as the real adapters in :mod:`creditflow.adapters`.

Ports that carry out side effects (channels, payment links, collector, agency, subscriptions)
receive an ``idempotency_key``. creditflow may call them again with the same key after a crash or
a time-out; an implementation must then not do the thing twice (return the earlier result, or do
nothing). That, with the store's outbox, is what makes every effect happen exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

from attrs import field, frozen

from ._invoice import Invoice
from ._message_kind import MessageKind
from ._money import Money
from ._parties import Channel, Creditor, Debtor
from .engine._case import Case
from .engine._effects import Effect
from .engine._schema import DunningSchema, PaymentMethods
from .events import Event

__all__ = [
    "Attachment",
    "CaseRepository",
    "Claim",
    "Clock",
    "CollectionAgency",
    "CollectionRequest",
    "DebtorRecord",
    "DebtorRepository",
    "DirectDebitCollector",
    "DocumentRenderer",
    "EventSink",
    "LetterService",
    "MessageChannel",
    "Outbox",
    "OutboxEntry",
    "OutgoingMessage",
    "PaymentLink",
    "PaymentLinkRequest",
    "PaymentLinks",
    "SchemaRepository",
    "Store",
    "Subscriptions",
    "UnitOfWork",
]


# -- values that cross the ports ---------------------------------------------------------------------


@frozen(kw_only=True)
class Attachment:
    """A file attached to a message (an invoice PDF, a letter)."""

    filename: str
    content_type: str
    data: bytes = field(repr=lambda d: f"<{len(d)} bytes>")


@frozen(kw_only=True)
class OutgoingMessage:
    """A rendered message, ready for a channel.

    ``recipient`` is what the channel needs: an e-mail address, an E.164 number, or a postal
    address as lines (letters). ``idempotency_key`` identifies the message for good: a channel that
    sees the same key twice must not deliver twice.
    """

    idempotency_key: str
    channel: Channel
    kind: MessageKind
    creditor: Creditor
    debtor: Debtor
    invoice_numbers: tuple[str, ...]
    recipient: str
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    payment_url: str | None = None
    locale: str = "en"


@frozen(kw_only=True)
class PaymentLinkRequest:
    """What a payment link must collect: an amount, by the allowed methods, before an expiry."""

    idempotency_key: str
    creditor: str
    invoice_number: str
    debtor_code: str
    amount: Money
    description: str
    locale: str
    expires_on: dt.date
    methods: PaymentMethods = PaymentMethods()


@frozen(kw_only=True)
class PaymentLink:
    """A created payment link."""

    url: str
    reference: str
    """The provider's id of the link (for revoking it)."""


@frozen(kw_only=True)
class CollectionRequest:
    """A (re-)collection of an amount on the debtor's existing SEPA mandate."""

    idempotency_key: str
    creditor: str
    invoice_number: str
    debtor_code: str
    amount: Money
    collect_on: dt.date
    original_payment_reference: str


@frozen(kw_only=True)
class Claim:
    """What a collection agency receives at handover."""

    idempotency_key: str
    creditor: Creditor
    debtor: Debtor
    invoice: Invoice
    open_principal: Money
    open_costs: Money
    open_interest: Money
    history: tuple[Event, ...]
    """The case's events: the agency's evidence of the reminders sent."""


# -- side-effect ports ---------------------------------------------------------------------------------


@runtime_checkable
class MessageChannel(Protocol):
    """Delivers a rendered message on one channel (e-mail, SMS, letter, or a plugin's).

    Must: not deliver twice for one ``idempotency_key``; raise
    :class:`~creditflow.errors.DeliveryError` when it cannot deliver (``permanent=True`` when a
    retry cannot help, e.g. the address does not exist); return the provider's reference, if any.
    Called from worker threads: it must be safe to call from several threads.
    """

    def send(self, message: OutgoingMessage) -> str | None:
        """Deliver *message*; return the provider's reference."""
        ...


@runtime_checkable
class PaymentLinks(Protocol):
    """Creates and revokes payment links at the host's payment provider.

    Must: return the same link for the same ``idempotency_key``; offer only the request's allowed
    methods and none of its disallowed ones; raise :class:`~creditflow.errors.DeliveryError` on
    failure. ``revoke`` of an unknown or already revoked link does nothing.
    """

    def create(self, request: PaymentLinkRequest) -> PaymentLink:
        """Create (or return the existing) link for *request*."""
        ...

    def revoke(self, reference: str) -> None:
        """Make the link unusable (the invoice was paid, handed over or put in a plan)."""
        ...


@runtime_checkable
class DirectDebitCollector(Protocol):
    """Submits SEPA direct-debit (re-)collections on existing mandates.

    Must: submit at most one collection per ``idempotency_key``; return the collection's
    reference. The outcome comes back later through ``CreditManager.record_payment`` or
    ``record_direct_debit_reversal``.
    """

    def collect(self, request: CollectionRequest) -> str:
        """Submit *request*; return the collection's reference."""
        ...


@runtime_checkable
class CollectionAgency(Protocol):
    """Hands claims to a collection agency and recalls them.

    Must: accept a claim once per ``idempotency_key`` and return the agency's reference. The agency
    reports back through ``CreditManager.record_agency_status`` and its collections through
    ``record_payment``.
    """

    def hand_over(self, claim: Claim) -> str:
        """Give *claim* to the agency; return the agency's reference."""
        ...

    def recall(self, agency_reference: str, *, reason: str) -> None:
        """Ask the agency to hand the claim back."""
        ...


@runtime_checkable
class Subscriptions(Protocol):
    """Stops the host's subscription behind an invoice.

    Must: be idempotent per ``idempotency_key`` (stopping a stopped subscription does nothing).
    """

    def stop(self, subscription_reference: str, *, idempotency_key: str, reason: str) -> None:
        """Stop the subscription."""
        ...


@runtime_checkable
class EventSink(Protocol):
    """Receives every event the moment its unit of work has committed (real-time feedback).

    Called in commit order, per case in sequence order. Must not raise for delivery problems of its
    own (a webhook sink queues and retries); an exception is logged and does not undo the commit.
    """

    def publish(self, events: Sequence[Event]) -> None:
        """Take *events* (already stored)."""
        ...


@runtime_checkable
class Clock(Protocol):
    """Tells the time. The only place creditflow learns "now"; the engine itself never does.

    Must return a time-zone aware datetime.
    """

    def now(self) -> dt.datetime:
        """The current instant, time-zone aware."""
        ...


@runtime_checkable
class DocumentRenderer(Protocol):
    """Turns an invoice or a letter into a document (PDF in the ``pdf`` extra).

    Must be deterministic for the same input where the format allows it.
    """

    def render_invoice(self, invoice: Invoice, *, creditor: Creditor, debtor: Debtor) -> Attachment:
        """The invoice as a document with its lines, VAT breakdown and totals."""
        ...

    def render_letter(self, message: OutgoingMessage) -> Attachment:
        """A message as a printable letter."""
        ...


# -- the store ------------------------------------------------------------------------------------------


@frozen(kw_only=True)
class DebtorRecord:
    """A debtor as the store keeps it, with a debtor-wide hold if the debtor is paused."""

    debtor: Debtor
    hold_reason: str | None = None
    hold_until: dt.date | None = None

    @property
    def is_paused(self) -> bool:
        """Whether the debtor's dunning is paused."""
        return self.hold_reason is not None


@frozen(kw_only=True)
class OutboxEntry:
    """One side effect waiting to be carried out, with its delivery state."""

    effect: Effect
    available_at: dt.datetime
    """Not to be carried out before this instant (back-off, send windows)."""
    attempts: int = 0
    channel_index: int = 0
    """For messages: which of the effect's channels is being tried."""
    last_error: str | None = None
    done: bool = False

    @property
    def idempotency_key(self) -> str:
        """The effect's key (unique in the outbox)."""
        return self.effect.idempotency_key


class SchemaRepository(Protocol):
    """All versions of the creditor's dunning schemas."""

    def add(self, creditor: str, schema: DunningSchema) -> None:
        """Store *schema*; a version that exists raises :class:`~creditflow.errors.DuplicateError`."""
        ...

    def get(self, creditor: str, key: str, version: int | None = None) -> DunningSchema | None:
        """One version (the latest when *version* is None)."""
        ...


class DebtorRepository(Protocol):
    """The creditor's debtors."""

    def put(self, creditor: str, record: DebtorRecord) -> None:
        """Insert or replace a debtor."""
        ...

    def get(self, creditor: str, code: str) -> DebtorRecord | None:
        """The debtor with *code*, if known."""
        ...


class CaseRepository(Protocol):
    """Cases: their events (the truth), snapshots, and the index of due cases.

    ``append`` must be atomic with the rest of the unit of work and must raise
    :class:`~creditflow.errors.ConcurrencyError` when the case's stored version is not
    ``expected_version`` (another writer was first), and
    :class:`~creditflow.errors.DuplicateError` when a case is created twice.
    """

    def append(
        self,
        creditor: str,
        events: Sequence[Event],
        *,
        expected_version: int,
        case: Case,
        next_action_on: dt.date | None,
    ) -> None:
        """Append *events* to their case and store *case* (the state after them) as its snapshot."""
        ...

    def load(self, creditor: str, invoice_number: str) -> Case | None:
        """The current case (from its snapshot and any later events)."""
        ...

    def events(self, creditor: str, invoice_number: str, *, after: int = 0) -> Iterator[Event]:
        """The case's events with a sequence number above *after*, in order."""
        ...

    def due(self, creditor: str, today: dt.date, *, limit: int) -> list[str]:
        """Up to *limit* invoice numbers whose ``next_action_on`` is on or before *today*.

        Earliest date first, then by invoice number. A store shared by several workers may
        lease what it returns (PostgreSQL does): cases another worker holds are left out
        until its lease ends, and the same worker asking again gets its own cases back.
        """
        ...

    def of_debtor(self, creditor: str, debtor_code: str) -> list[str]:
        """The invoice numbers of the debtor's cases."""
        ...


class Outbox(Protocol):
    """Effects waiting for their ports; one entry per idempotency key, ever."""

    def add(self, creditor: str, entries: Sequence[OutboxEntry]) -> None:
        """Queue *entries*; a key that is already queued (or done) is ignored."""
        ...

    def pending(self, creditor: str, now: dt.datetime, *, limit: int) -> list[OutboxEntry]:
        """Entries not done whose ``available_at`` is not after *now*, oldest first.

        A store shared by several workers may lease what it returns, like ``due``; storing an
        entry's new state with ``update`` ends its lease.
        """
        ...

    def update(self, creditor: str, entry: OutboxEntry) -> None:
        """Store the new delivery state of an entry."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the store: everything in it is committed together or not at all."""

    @property
    def schemas(self) -> SchemaRepository:
        """The creditor's dunning schemas."""
        ...

    @property
    def debtors(self) -> DebtorRepository:
        """The creditor's debtors."""
        ...

    @property
    def cases(self) -> CaseRepository:
        """Cases, their events and the due index."""
        ...

    @property
    def outbox(self) -> Outbox:
        """Side effects waiting for their ports."""
        ...

    def commit(self) -> None:
        """Make the work durable. Leaving the ``with`` block without it rolls back."""
        ...


class Store(Protocol):
    """Where creditflow keeps its state (SQLite, PostgreSQL, or the in-memory fake).

    Must: make each unit of work atomic and isolated; keep events append-only; keep outbox keys
    unique for ever; be safe to use from several threads (each with its own unit of work).
    """

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]:
        """Begin a unit of work; commit it with ``uow.commit()`` inside the ``with`` block."""
        ...


# -- letters --------------------------------------------------------------------------------------------


@runtime_checkable
class LetterService(Protocol):
    """Prints and posts letters (a print-and-mail provider, or a folder for the host's own print run).

    Must: post at most one letter per ``message.idempotency_key`` (a second call with the same key
    returns the first call's reference and posts nothing); return the provider's reference; raise
    :class:`~creditflow.errors.DeliveryError` when it cannot take the letter (``permanent=True``
    when a retry cannot help, e.g. the address is not a postal address). Taking the letter is
    enough: postal delivery is not confirmed. Must be safe to call from several threads.
    """

    def post_letter(self, document: Attachment, *, message: OutgoingMessage) -> str:
        """Print and post *document* (the rendered letter) to ``message.recipient``.

        ``message.attachments`` (e.g. the invoice) go in the same envelope.
        """
        ...
