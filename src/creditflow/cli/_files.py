"""A channel that writes each message to a folder where a person can open it.

E-mails become ``.eml`` files (open them in any mail program), SMS and letters text files, or
documents when a :class:`~creditflow.ports.DocumentRenderer` is given. One file per idempotency
key: a message delivered again (after a crash) finds its file and is not written twice.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
from email.message import EmailMessage
from email.utils import format_datetime

from .._parties import Channel
from ..ports import Clock, DocumentRenderer, OutgoingMessage

__all__ = ["FolderChannel"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FolderChannel:
    """Writes messages of one channel to ``folder`` (``.eml`` for e-mail, text otherwise)."""

    def __init__(
        self,
        channel: Channel,
        folder: str | os.PathLike[str],
        *,
        clock: Clock,
        renderer: DocumentRenderer | None = None,
    ) -> None:
        self.channel = channel
        self.folder = pathlib.Path(folder)
        self.clock = clock
        self.renderer = renderer

    def _name(self, message: OutgoingMessage, suffix: str) -> pathlib.Path:
        digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:10]
        day = self.clock.now().date().isoformat()
        invoices = _UNSAFE.sub("-", "+".join(message.invoice_numbers))
        return self.folder / f"{day}_{invoices}_{message.kind.value}_{digest}{suffix}"

    def _existing(self, message: OutgoingMessage) -> pathlib.Path | None:
        digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:10]
        return next(iter(self.folder.glob(f"*_{digest}.*")), None) if self.folder.exists() else None

    def send(self, message: OutgoingMessage) -> str | None:
        """Write *message* unless a file for its key exists; return the file name."""
        existing = self._existing(message)
        if existing is not None:
            return existing.name
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.channel == Channel.EMAIL:
            path, data = self._name(message, ".eml"), self._email(message)
        elif self.renderer is not None and self.channel == Channel.LETTER:
            document = self.renderer.render_letter(message)
            suffix = pathlib.PurePath(document.filename).suffix or ".bin"
            path, data = self._name(message, suffix), document.data
        else:
            path = self._name(message, ".txt")
            data = f"To: {message.recipient}\n\n{message.text}".encode()
        partial = path.with_suffix(path.suffix + ".partial")
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a crash leaves no half-written message behind
        return path.name

    def _email(self, message: OutgoingMessage) -> bytes:
        brand = message.creditor.brand
        email = EmailMessage()
        email["From"] = f"{brand.name} <{brand.email_from or 'billing@example.com'}>"
        email["To"] = f"{message.debtor.name} <{message.recipient}>"
        if brand.reply_to:
            email["Reply-To"] = brand.reply_to
        email["Subject"] = message.subject
        email["Date"] = format_datetime(self.clock.now())
        digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:24]
        domain = (brand.email_from or "creditflow.invalid").rpartition("@")[2]
        email["Message-ID"] = f"<{digest}@{domain}>"  # derived from the key: stable across re-runs
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        for attachment in message.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            email.add_attachment(
                attachment.data,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=attachment.filename,
            )
        return bytes(email)
