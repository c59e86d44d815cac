"""A creditflow channel plugin: messages go to the inbox of the host's customer portal.

The portal is stood in for by a folder with one JSON-lines file per debtor code (a plugin
channel's ``message.recipient`` is the debtor's code). Swap ``_deliver`` for a call to your
portal's API; keep the rest: it is what the ``MessageChannel`` protocol asks of every channel.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import threading

from creditflow.errors import DeliveryError
from creditflow.ports import OutgoingMessage

__all__ = ["InboxChannel"]


class InboxChannel:
    """Puts each message in the debtor's portal inbox, at most once per idempotency key.

    Args:
        folder: where the inboxes are (created when needed).
    """

    def __init__(self, folder: str | os.PathLike[str] = "inbox") -> None:
        self.folder = pathlib.Path(folder)
        self._lock = threading.Lock()  # the manager may call send() from several threads

    def send(self, message: OutgoingMessage) -> str | None:
        """Deliver *message*; return its reference in the inbox.

        Raises:
            DeliveryError: the debtor has no inbox id (permanent: the step's fallback channel is
                used), or the inbox cannot be written (retried with back-off).
        """
        if not message.recipient:
            raise DeliveryError("the debtor has no portal inbox", permanent=True)
        # The reference derives from the idempotency key, so a message offered again (after a
        # crash, or a run started twice) is recognised and not delivered a second time.
        reference = "inbox-" + hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:16]
        with self._lock:
            inbox = self.folder / f"{message.recipient}.jsonl"
            if inbox.exists() and reference in inbox.read_text(encoding="utf-8"):
                return reference
            try:
                self._deliver(inbox, reference, message)
            except OSError as exc:
                raise DeliveryError(f"inbox {inbox} cannot be written: {exc}") from exc
        return reference

    def _deliver(self, inbox: pathlib.Path, reference: str, message: OutgoingMessage) -> None:
        inbox.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            "reference": reference,
            "kind": message.kind.value,
            "invoices": list(message.invoice_numbers),
            "subject": message.subject,
            "text": message.text,
            "payment_url": message.payment_url,
        }
        with inbox.open("a", encoding="utf-8") as file:
            file.write(json.dumps(entry, ensure_ascii=False) + "\n")
