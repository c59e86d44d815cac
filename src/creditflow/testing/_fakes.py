"""In-memory fakes for the side-effect ports, with the same guarantees as real adapters."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Sequence

from .._invoice import Invoice
from .._parties import Channel, Creditor, Debtor
from ..errors import DeliveryError, ValidationError
from ..events import Event
from ..ports import (
    Attachment,
    Claim,
    CollectionRequest,
    OutgoingMessage,
    PaymentLink,
    PaymentLinkRequest,
)

__all__ = [
    "FakeAgency",
    "FakePaymentLinks",
    "ListSink",
    "RecordingChannel",
    "RecordingCollector",
    "RecordingSubscriptions",
    "SettableClock",
    "TextRenderer",
]


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _Failures:
    """Makes the next *n* calls of a fake fail, to test retries and fallbacks."""

    def __init__(self) -> None:
        self._remaining = 0
        self._permanent = False
        self._error: BaseException | None = None

    def arm(self, times: int, *, permanent: bool, error: BaseException | None) -> None:
        self._remaining = times
        self._permanent = permanent
        self._error = error

    def check(self, what: str) -> None:
        if self._remaining > 0:
            self._remaining -= 1
            if self._error is not None:
                raise self._error
            raise DeliveryError(f"{what} failed (simulated)", permanent=self._permanent)


class RecordingChannel:
    """A channel that records what it delivers, once per idempotency key.

    ``sent`` holds each delivered message once; ``attempts`` counts every call, duplicates
    included. ``fail_next(n)`` makes the next *n* calls raise :class:`DeliveryError`.
    """

    def __init__(self, channel: Channel = Channel.EMAIL) -> None:
        self.channel = channel
        self.sent: list[OutgoingMessage] = []
        self.attempts = 0
        self._by_key: dict[str, str] = {}
        self._failures = _Failures()
        self._lock = threading.Lock()

    def fail_next(
        self, times: int = 1, *, permanent: bool = False, error: BaseException | None = None
    ) -> None:
        """Make the next *times* calls fail (with *error*, or a :class:`DeliveryError`)."""
        self._failures.arm(times, permanent=permanent, error=error)

    def send(self, message: OutgoingMessage) -> str | None:
        """Deliver *message* unless its key was delivered before."""
        with self._lock:
            self.attempts += 1
            if message.channel != self.channel:
                raise DeliveryError(
                    f"{self.channel} channel was given a {message.channel} message", permanent=True
                )
            self._failures.check(f"{self.channel} delivery to {message.recipient!r}")
            if message.idempotency_key in self._by_key:
                return self._by_key[message.idempotency_key]
            reference = f"{self.channel}-{len(self.sent) + 1}"
            self._by_key[message.idempotency_key] = reference
            self.sent.append(message)
            return reference

    def to(self, recipient: str) -> list[OutgoingMessage]:
        """The messages delivered to *recipient*."""
        return [m for m in self.sent if m.recipient == recipient]

    def __repr__(self) -> str:
        return f"<RecordingChannel {self.channel} sent={len(self.sent)}>"


class FakePaymentLinks:
    """Deterministic payment links: the same request key gives the same URL.

    ``requests`` holds each distinct request (with the methods asked for); ``revoked`` the
    revoked references.
    """

    def __init__(self, base_url: str = "https://pay.example.test") -> None:
        self.base_url = base_url.rstrip("/")
        self.requests: list[PaymentLinkRequest] = []
        self.revoked: list[str] = []
        self._links: dict[str, PaymentLink] = {}
        self._failures = _Failures()
        self._lock = threading.Lock()

    def fail_next(self, times: int = 1, *, permanent: bool = False) -> None:
        """Make the next *times* calls fail."""
        self._failures.arm(times, permanent=permanent, error=None)

    def create(self, request: PaymentLinkRequest) -> PaymentLink:
        """The link for *request* (created once per idempotency key)."""
        with self._lock:
            self._failures.check("payment link")
            if not request.amount.is_positive:
                raise DeliveryError(
                    f"payment link amount {request.amount} must be positive", permanent=True
                )
            existing = self._links.get(request.idempotency_key)
            if existing is not None:
                return existing
            reference = _short_hash(request.idempotency_key)
            link = PaymentLink(url=f"{self.base_url}/{reference}", reference=reference)
            self._links[request.idempotency_key] = link
            self.requests.append(request)
            return link

    def revoke(self, reference: str) -> None:
        """Revoke a link; unknown or revoked references are ignored."""
        with self._lock:
            if reference not in self.revoked:
                self.revoked.append(reference)


class RecordingCollector:
    """Records direct-debit collections, once per idempotency key."""

    def __init__(self) -> None:
        self.collections: list[CollectionRequest] = []
        self._by_key: dict[str, str] = {}
        self._failures = _Failures()
        self._lock = threading.Lock()

    def fail_next(self, times: int = 1, *, permanent: bool = False) -> None:
        """Make the next *times* calls fail."""
        self._failures.arm(times, permanent=permanent, error=None)

    def collect(self, request: CollectionRequest) -> str:
        """Submit *request* (once per key); return its reference."""
        with self._lock:
            self._failures.check("direct-debit collection")
            if request.idempotency_key not in self._by_key:
                self._by_key[request.idempotency_key] = f"dd-{len(self.collections) + 1}"
                self.collections.append(request)
            return self._by_key[request.idempotency_key]


class FakeAgency:
    """A collection agency that takes every claim (once per key) and accepts recalls."""

    def __init__(self) -> None:
        self.claims: list[Claim] = []
        self.recalls: list[tuple[str, str]] = []
        self._by_key: dict[str, str] = {}
        self._failures = _Failures()
        self._lock = threading.Lock()

    def fail_next(self, times: int = 1, *, permanent: bool = False) -> None:
        """Make the next *times* calls fail."""
        self._failures.arm(times, permanent=permanent, error=None)

    def hand_over(self, claim: Claim) -> str:
        """Take *claim*; return the agency's reference."""
        with self._lock:
            self._failures.check("handover")
            if claim.idempotency_key not in self._by_key:
                self._by_key[claim.idempotency_key] = f"agency-{len(self.claims) + 1}"
                self.claims.append(claim)
            return self._by_key[claim.idempotency_key]

    def recall(self, agency_reference: str, *, reason: str) -> None:
        """Record a recall request."""
        with self._lock:
            if agency_reference not in self._by_key.values():
                raise DeliveryError(f"the agency has no claim {agency_reference!r}", permanent=True)
            self.recalls.append((agency_reference, reason))


class RecordingSubscriptions:
    """Records subscriptions stopped, once per idempotency key."""

    def __init__(self) -> None:
        self.stopped: list[str] = []
        self._keys: set[str] = set()
        self._failures = _Failures()
        self._lock = threading.Lock()

    def fail_next(self, times: int = 1, *, permanent: bool = False) -> None:
        """Make the next *times* calls fail."""
        self._failures.arm(times, permanent=permanent, error=None)

    def stop(self, subscription_reference: str, *, idempotency_key: str, reason: str) -> None:
        """Stop the subscription (once per key)."""
        with self._lock:
            self._failures.check("subscription stop")
            if idempotency_key not in self._keys:
                self._keys.add(idempotency_key)
                self.stopped.append(subscription_reference)


class ListSink:
    """Keeps every published event in ``events``, in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def publish(self, events: Sequence[Event]) -> None:
        """Append *events*."""
        with self._lock:
            self.events.extend(events)

    def of_type(self, cls: type[Event]) -> list[Event]:
        """The events of one type."""
        return [e for e in self.events if isinstance(e, cls)]

    def clear(self) -> None:
        """Forget what was published."""
        self.events.clear()


class SettableClock:
    """A clock a test sets and moves: ``SettableClock(datetime(2026, 1, 1, 9, tzinfo=UTC))``."""

    def __init__(self, now: dt.datetime) -> None:
        self._now = self._check(now)

    @staticmethod
    def _check(now: dt.datetime) -> dt.datetime:
        if not isinstance(now, dt.datetime) or now.tzinfo is None:
            raise ValidationError(f"SettableClock needs an aware datetime, got {now!r}")
        return now

    def now(self) -> dt.datetime:
        """The time the test set."""
        return self._now

    def set(self, now: dt.datetime) -> None:
        """Move to *now*."""
        self._now = self._check(now)

    def advance(
        self, delta: dt.timedelta | None = None, *, days: int = 0, hours: int = 0
    ) -> dt.datetime:
        """Move forward by *delta* (or *days* and *hours*); return the new time."""
        step = delta if delta is not None else dt.timedelta(days=days, hours=hours)
        if step < dt.timedelta(0):
            raise ValidationError(f"a clock does not go back (asked to move by {step})")
        self._now += step
        return self._now

    def __repr__(self) -> str:
        return f"SettableClock({self._now.isoformat()})"


class TextRenderer:
    """Renders invoices and letters as plain text (the ``DocumentRenderer`` port without PDF)."""

    def render_invoice(self, invoice: Invoice, *, creditor: Creditor, debtor: Debtor) -> Attachment:
        """The invoice as text: parties, lines, VAT per rate and totals."""
        rows = [
            creditor.name,
            f"Invoice {invoice.number}",
            f"To: {debtor.name}",
            f"Date: {invoice.issued_on.isoformat()}  Due: {invoice.due_on.isoformat()}",
            "",
        ]
        rows += [
            f"{line.description}  {line.quantity} x {line.unit_price}  = {line.net}"
            for line in invoice.lines
        ]
        rows += [f"VAT {vat.rate}% on {vat.net}: {vat.vat}" for vat in invoice.vat_breakdown]
        rows += [f"Total: {invoice.gross_total}"]
        return Attachment(
            filename=f"invoice-{invoice.number}.txt",
            content_type="text/plain",
            data="\n".join(rows).encode(),
        )

    def render_letter(self, message: OutgoingMessage) -> Attachment:
        """The message as a text letter with the address block on top."""
        body = f"{message.recipient}\n\n{message.subject}\n\n{message.text}"
        return Attachment(
            filename=f"letter-{_short_hash(message.idempotency_key)}.txt",
            content_type="text/plain",
            data=body.encode(),
        )
