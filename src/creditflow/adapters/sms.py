"""``HttpSmsChannel``: SMS through a JSON gateway over HTTP, with honest segment counting.

An SMS is sent in GSM-7 when every character is in the GSM 03.38 alphabet (the extension table's
characters such as ``€`` and ``[`` count twice), else in UCS-2. One message holds 160 GSM-7
characters or 70 UCS-2 code units; longer texts are split into segments of 153 or 67. Gateways
bill per segment, so the channel refuses (or, if configured, truncates) texts over a maximum.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final, Literal

from attrs import frozen

from .._parties import Channel
from ..errors import DeliveryError, ValidationError
from ..ports import OutgoingMessage
from ._http import raise_for_status
from ._ledger import KeyLocks, MemorySentLedger, SentLedger

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpSmsChannel", "SmsPayload", "SmsSegments", "count_segments"]

_GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION: Final = frozenset("^{}\\[~]|€\f")
_E164: Final = re.compile(r"^\+[1-9][0-9]{1,14}$")


@frozen(kw_only=True)
class SmsSegments:
    """How a text travels as SMS: its encoding, its length in units, and the segments it takes."""

    encoding: Literal["GSM-7", "UCS-2"]
    units: int
    """Septets (GSM-7, extension characters count 2) or UTF-16 code units (UCS-2)."""
    segments: int


def _costs(text: str) -> tuple[Literal["GSM-7", "UCS-2"], list[int]]:
    if all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in text):
        return "GSM-7", [2 if c in _GSM7_EXTENSION else 1 for c in text]
    return "UCS-2", [len(c.encode("utf-16-le")) // 2 for c in text]


def _pack(costs: list[int], size: int) -> int:
    """Segments needed when characters are packed greedily; a pair never straddles two."""
    segments, used = 1, 0
    for cost in costs:
        if used + cost > size:
            segments, used = segments + 1, 0
        used += cost
    return segments


def count_segments(text: str) -> SmsSegments:
    """The encoding and number of segments *text* takes as SMS.

    >>> count_segments("a" * 160).segments, count_segments("a" * 161).segments
    (1, 2)
    >>> count_segments("€").units, count_segments("ç").encoding
    (2, 'UCS-2')
    """
    encoding, costs = _costs(text)
    units = sum(costs)
    single, multi = (160, 153) if encoding == "GSM-7" else (70, 67)
    segments = 1 if units <= single else _pack(costs, multi)
    return SmsSegments(encoding=encoding, units=units, segments=segments)


def _truncate(text: str, max_segments: int, keep_suffix: str | None) -> str:
    """*text* shortened to fit *max_segments*, ending in an ellipsis (and *keep_suffix*)."""
    suffix = ""
    if keep_suffix and text.endswith(keep_suffix):
        text, suffix = text[: -len(keep_suffix)].rstrip(), " " + keep_suffix
    encoding = count_segments(text + suffix).encoding
    ellipsis = "..." if encoding == "GSM-7" else "…"
    for end in range(len(text), -1, -1):
        candidate = text[:end].rstrip() + ellipsis + suffix
        if count_segments(candidate).segments <= max_segments:
            return candidate
    raise DeliveryError("the SMS cannot be shortened to fit", permanent=True)


@frozen(kw_only=True)
class SmsPayload:
    """What the gateway is asked to send; ``body`` maps it to the gateway's JSON."""

    to: str
    sender: str | None
    text: str
    idempotency_key: str
    encoding: str
    segments: int


def default_body(payload: SmsPayload) -> Mapping[str, object]:
    """The JSON body most gateways accept: ``to``, ``from``, ``text``, ``reference``."""
    body: dict[str, object] = {
        "to": payload.to,
        "text": payload.text,
        "reference": payload.idempotency_key,
    }
    if payload.sender:
        body["from"] = payload.sender
    return body


def default_reference(response: httpx.Response) -> str | None:
    """The message id from a JSON response (``id``, ``message_id`` or ``reference``)."""
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, Mapping):
        for name in ("id", "message_id", "reference"):
            if data.get(name) is not None:
                return str(data[name])
    return None


class HttpSmsChannel:
    """Sends SMS by POSTing JSON to a gateway, on an injected :class:`httpx.Client`.

    Args:
        client: The HTTP client (its timeouts and proxies apply; tests pass one on a
            ``MockTransport``).
        url: The gateway's send endpoint.
        headers: Extra headers, e.g. ``{"Authorization": "Bearer ..."}``.
        sender: The sender id when the brand has no ``sms_sender``.
        body: Maps an :class:`SmsPayload` to the gateway's JSON (default :func:`default_body`).
        reference: Reads the provider's reference from the response.
        max_segments: The most segments one message may take.
        overflow: ``"refuse"`` a longer text (a permanent :class:`DeliveryError`, so the step's
            fallback channel is used) or ``"truncate"`` it (a payment link at the end is kept).
        ledger: Keys delivered (default: in memory). The ``Idempotency-Key`` header lets the
            gateway dedupe too; the ledger covers gateways that do not.
    """

    def __init__(
        self,
        client: httpx.Client,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        sender: str | None = None,
        body: Callable[[SmsPayload], Mapping[str, object]] = default_body,
        reference: Callable[[httpx.Response], str | None] = default_reference,
        max_segments: int = 3,
        overflow: Literal["refuse", "truncate"] = "refuse",
        ledger: SentLedger | None = None,
    ) -> None:
        if max_segments < 1:
            raise ValidationError(f"max_segments must be 1 or more, got {max_segments}")
        if overflow not in ("refuse", "truncate"):
            raise ValidationError(f"overflow {overflow!r} is not 'refuse' or 'truncate'")
        self.client = client
        self.url = url
        self.headers = dict(headers or {})
        self.sender = sender
        self.body = body
        self.reference = reference
        self.max_segments = max_segments
        self.overflow = overflow
        self.ledger: SentLedger = ledger if ledger is not None else MemorySentLedger()
        self._locks = KeyLocks()

    def __repr__(self) -> str:
        return f"<HttpSmsChannel {self.url}>"

    def payload(self, message: OutgoingMessage) -> SmsPayload:
        """What would be sent for *message* (after the length check).

        Raises:
            DeliveryError: (permanent) the number is not E.164 or the text is too long.
        """
        if not _E164.match(message.recipient):
            raise DeliveryError(
                f"SMS recipient {message.recipient!r} of debtor {message.debtor.code!r} is not an "
                f"E.164 number (e.g. '+31612345678')",
                permanent=True,
            )
        text = message.text
        counted = count_segments(text)
        if counted.segments > self.max_segments:
            if self.overflow == "refuse":
                raise DeliveryError(
                    f"SMS {message.idempotency_key!r} takes {counted.segments} segments "
                    f"({counted.units} {counted.encoding} units), over the maximum of "
                    f"{self.max_segments}; shorten the template or raise max_segments",
                    permanent=True,
                )
            text = _truncate(text, self.max_segments, message.payment_url)
            counted = count_segments(text)
        return SmsPayload(
            to=message.recipient,
            sender=message.creditor.brand.sms_sender or self.sender,
            text=text,
            idempotency_key=message.idempotency_key,
            encoding=counted.encoding,
            segments=counted.segments,
        )

    def send(self, message: OutgoingMessage) -> str | None:
        """Send *message* once; a key sent before returns its reference again.

        Raises:
            DeliveryError: bad number, text too long, or the gateway refused (permanent for 4xx
                other than 408 and 429) or could not be reached.
        """
        import httpx

        if message.channel != Channel.SMS:
            raise DeliveryError(
                f"HttpSmsChannel was given a {message.channel} message", permanent=True
            )
        payload = self.payload(message)
        key = message.idempotency_key
        self._locks.acquire(key)
        try:
            earlier = self.ledger.reference(key)
            if earlier is not None:
                return earlier
            try:
                response = self.client.post(
                    self.url,
                    json=dict(self.body(payload)),
                    headers={**self.headers, "Idempotency-Key": key},
                )
            except httpx.HTTPError as exc:
                raise DeliveryError(
                    f"the SMS gateway {self.url} could not be reached: {exc}"
                ) from exc
            raise_for_status(response, f"SMS {key!r} to {message.recipient}")
            reference = self.reference(response) or key
            self.ledger.record(key, reference)
            return reference
        finally:
            self._locks.release(key)
