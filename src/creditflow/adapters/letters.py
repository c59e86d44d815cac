"""Letters: ``LetterChannel`` renders a message as a document and hands it to a ``LetterService``.

:class:`FolderLetterService` is the simplest service: it writes each letter (and its attachments
and a JSON description with the address) into a folder for the host's own print run, named
deterministically by the message's idempotency key, so a letter is written once however often it
is sent.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import threading

from .._parties import Channel
from ..errors import DeliveryError
from ..ports import Attachment, DocumentRenderer, LetterService, OutgoingMessage

__all__ = ["FolderLetterService", "LetterChannel", "letter_name"]


def letter_name(message: OutgoingMessage) -> str:
    """The file stem of a letter: the invoice number(s) and a hash of the idempotency key."""
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:16]
    numbers = re.sub(r"[^A-Za-z0-9._-]+", "_", "+".join(message.invoice_numbers))[:60]
    return f"{numbers}-{digest}" if numbers else digest


def _safe_filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.basename(name)) or "attachment"


def _write(path: pathlib.Path, data: bytes) -> None:
    """Write atomically: a print run never picks up half a file."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


class FolderLetterService:
    """Writes letters into *folder* for a print run: ``<stem><ext>``, attachments and ``<stem>.json``.

    The JSON file is written last and lists the recipient's address lines, the kind, the invoices
    and the files; a print run should pick up letters by their JSON file.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<FolderLetterService {self.folder}>"

    def post_letter(self, document: Attachment, *, message: OutgoingMessage) -> str:
        """Write the letter once; return its file stem (also for a key written before)."""
        stem = letter_name(message)
        manifest = self.folder / f"{stem}.json"
        with self._lock:
            if manifest.exists():
                return stem
            try:
                suffix = pathlib.PurePath(document.filename).suffix or ".bin"
                files = [f"{stem}{suffix}"]
                _write(self.folder / files[0], document.data)
                for index, attachment in enumerate(message.attachments, start=1):
                    name = f"{stem}-{index}-{_safe_filename(attachment.filename)}"
                    _write(self.folder / name, attachment.data)
                    files.append(name)
                description = {
                    "idempotency_key": message.idempotency_key,
                    "creditor": message.creditor.key,
                    "debtor": message.debtor.code,
                    "kind": message.kind.value,
                    "invoice_numbers": list(message.invoice_numbers),
                    "address": message.recipient.splitlines(),
                    "subject": message.subject,
                    "files": files,
                }
                _write(manifest, json.dumps(description, indent=2, ensure_ascii=False).encode())
            except OSError as exc:
                raise DeliveryError(
                    f"could not write letter {stem!r} to {self.folder}: {exc}"
                ) from exc
        return stem


class LetterChannel:
    """The letter channel: renders each message with *renderer* and posts it through *service*.

    Args:
        service: The print-and-mail provider (or :class:`FolderLetterService`).
        renderer: Turns the message into a document (default: a plain-text renderer; pass the
            ``pdf`` extra's renderer for PDF letters).
    """

    def __init__(self, service: LetterService, renderer: DocumentRenderer | None = None) -> None:
        if renderer is None:
            from ..testing._fakes import TextRenderer

            renderer = TextRenderer()
        self.service = service
        self.renderer = renderer

    def __repr__(self) -> str:
        return f"<LetterChannel {self.service!r}>"

    def send(self, message: OutgoingMessage) -> str | None:
        """Render and post *message*; the service posts each idempotency key once.

        Raises:
            DeliveryError: (permanent) the message has no postal address, or the service failed.
        """
        if message.channel != Channel.LETTER:
            raise DeliveryError(
                f"LetterChannel was given a {message.channel} message", permanent=True
            )
        if len(message.recipient.strip().splitlines()) < 2:
            raise DeliveryError(
                f"letter {message.idempotency_key!r} to debtor {message.debtor.code!r} has no "
                f"postal address",
                permanent=True,
            )
        document = self.renderer.render_letter(message)
        return self.service.post_letter(document, message=message)
