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
        from ..adapters.smtp import build_email

        return bytes(build_email(message, date=self.clock.now()))
