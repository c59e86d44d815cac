"""``SmtpChannel``: e-mail over SMTP with the standard library (``smtplib``, ``email``).

Messages go out as ``multipart/alternative`` (text and HTML) inside ``multipart/mixed`` when there
are attachments. ``From`` and ``Reply-To`` come from the creditor's :class:`~creditflow.Brand`.
The ``Message-ID`` is derived from the idempotency key, so a message sent again is recognisable
as the same message by any mail system; and because SMTP itself cannot dedupe, the channel keeps
a :class:`~creditflow.adapters.SentLedger` of the keys it delivered and never hands one key to the
server twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, formatdate
from typing import Literal

from .._parties import Channel
from ..errors import DeliveryError, ValidationError
from ..ports import OutgoingMessage
from ._ledger import KeyLocks, MemorySentLedger, SentLedger

__all__ = ["SmtpChannel", "message_id_for"]

Security = Literal["starttls", "ssl", "none"]


def message_id_for(idempotency_key: str, domain: str) -> str:
    """The ``Message-ID`` of the message with *idempotency_key*: the same key, the same id."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def build_email(
    message: OutgoingMessage,
    *,
    from_address: str | None = None,
    message_id_domain: str | None = None,
    list_unsubscribe: str | None = None,
    date: dt.datetime | None = None,
) -> EmailMessage:
    """The e-mail for *message*: headers, text and HTML parts, attachments.

    Everything but ``Date`` (now, unless *date* is given) derives from the message: the
    ``Message-ID`` and the MIME boundaries come from the idempotency key, so the same message
    built twice is the same bytes.

    Raises:
        DeliveryError: (permanent) there is no recipient or no sender address.
    """
    if not message.recipient:
        raise DeliveryError(
            f"message {message.idempotency_key!r} has no e-mail address for debtor "
            f"{message.debtor.code!r}",
            permanent=True,
        )
    brand = message.creditor.brand
    sender = brand.email_from or from_address
    if not sender:
        raise DeliveryError(
            f"no sender address: set Brand.email_from of creditor {message.creditor.key!r} "
            f"or SmtpChannel(from_address=...)",
            permanent=True,
        )
    domain = message_id_domain or sender.rpartition("@")[2]
    email = EmailMessage()
    email["From"] = formataddr((brand.name, sender))
    email["To"] = formataddr((message.debtor.name, message.recipient))
    if brand.reply_to:
        email["Reply-To"] = brand.reply_to
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True) if date is None else format_datetime(date)
    email["Message-ID"] = message_id_for(message.idempotency_key, domain)
    email["Content-Language"] = message.locale
    email["X-Creditflow-Key"] = message.idempotency_key
    email["X-Creditflow-Invoices"] = ", ".join(message.invoice_numbers)
    if list_unsubscribe:
        email["List-Unsubscribe"] = list_unsubscribe
        if "https://" in list_unsubscribe:
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.text)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:24]
    for index, part in enumerate(p for p in email.walk() if p.is_multipart()):
        part.set_boundary(f"=_{digest}_{index}")
    return email


class SmtpChannel:
    """Sends e-mail through an SMTP server.

    Args:
        host: The server's host name.
        port: Its port (587 for STARTTLS, 465 for SSL, 25 plain).
        security: ``"starttls"`` (upgrade the connection), ``"ssl"`` (TLS from the start) or
            ``"none"`` (only for a relay on the same machine).
        username: Log in with this user name (and *password*), if given.
        password: The password for *username*.
        from_address: The sender when the brand has no ``email_from``.
        ledger: Where delivered keys are remembered (default: in memory).
        list_unsubscribe: Gives the ``List-Unsubscribe`` header value for a message (e.g.
            ``"<https://example.com/unsubscribe?d=D-1>"``), or ``None`` for none. Unsubscribing
            should make the host flag the debtor unreachable by e-mail, so that the next message
            goes on the step's fallback channel; legally required notices are not optional.
        message_id_domain: The domain part of ``Message-ID`` (default: the sender's domain).
        timeout: Seconds to wait for the server.
        ssl_context: The TLS context (default: the system's trusted certificates).
    """

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        from_address: str | None = None,
        ledger: SentLedger | None = None,
        list_unsubscribe: Callable[[OutgoingMessage], str | None] | None = None,
        message_id_domain: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("starttls", "ssl", "none"):
            raise ValidationError(f"SMTP security {security!r} is not 'starttls', 'ssl' or 'none'")
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self._password = password
        self.from_address = from_address
        self.ledger: SentLedger = ledger if ledger is not None else MemorySentLedger()
        self.list_unsubscribe = list_unsubscribe
        self.message_id_domain = message_id_domain
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._locks = KeyLocks()

    def __repr__(self) -> str:
        return f"<SmtpChannel {self.host}:{self.port} {self.security}>"

    def build(self, message: OutgoingMessage) -> EmailMessage:
        """The e-mail for *message*: headers, text and HTML parts, attachments.

        Raises:
            DeliveryError: (permanent) there is no recipient or no sender address.
        """
        unsubscribe = self.list_unsubscribe(message) if self.list_unsubscribe else None
        return build_email(
            message,
            from_address=self.from_address,
            message_id_domain=self.message_id_domain,
            list_unsubscribe=unsubscribe,
        )

    def _connect(self) -> smtplib.SMTP:
        context = self._ssl_context or ssl.create_default_context()
        server: smtplib.SMTP
        if self.security == "ssl":
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                server.starttls(context=context)
            if self.username is not None:
                server.login(self.username, self._password or "")
        except BaseException:
            server.close()
            raise
        return server

    def send(self, message: OutgoingMessage) -> str | None:
        """Deliver *message* once; a key delivered before returns its ``Message-ID`` again.

        Raises:
            DeliveryError: the server refused or could not be reached; ``permanent`` for 5xx
                refusals of the recipient or the message.
        """
        if message.channel != Channel.EMAIL:
            raise DeliveryError(
                f"SmtpChannel was given a {message.channel} message", permanent=True
            )
        key = message.idempotency_key
        self._locks.acquire(key)
        try:
            earlier = self.ledger.reference(key)
            if earlier is not None:
                return earlier
            email = self.build(message)
            reference = str(email["Message-ID"])
            self._deliver(email, message)
            self.ledger.record(key, reference)
            return reference
        finally:
            self._locks.release(key)

    def _deliver(self, email: EmailMessage, message: OutgoingMessage) -> None:
        to = message.recipient
        try:
            with self._connect() as server:
                server.send_message(email, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients.get(to, (0, b""))
            raise DeliveryError(
                f"the SMTP server refused recipient {to!r}: {code} {_text(reply)}",
                permanent=500 <= code < 600,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"the SMTP server refused message {message.idempotency_key!r} to {to!r}: "
                f"{exc.smtp_code} {_text(exc.smtp_error)}",
                permanent=500 <= exc.smtp_code < 600
                and not isinstance(exc, smtplib.SMTPAuthenticationError),
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"could not deliver to the SMTP server {self.host}:{self.port}: {exc}"
            ) from exc


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
