"""Shared fixtures: a real SMTP server on 127.0.0.1 and sample outgoing messages."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from creditflow import Channel, MessageKind
from creditflow.ports import Attachment, OutgoingMessage
from creditflow.render import sample_request


class RecordingHandler:
    """An aiosmtpd handler that keeps every message and refuses chosen recipients."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[RecordingHandler, int]]:
    """An SMTP server on 127.0.0.1 that records what it receives."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def outgoing(
    channel: Channel = Channel.EMAIL,
    *,
    key: str = "acme/2026-0042/nl@1/1/message/0#email",
    kind: MessageKind = MessageKind.REMINDER,
    **changes: Any,
) -> OutgoingMessage:
    """A rendered reminder for the sample debtor, ready for a channel."""
    from creditflow.render import Templates

    request = sample_request(kind, locale="nl-NL", channel=channel)
    composed = Templates().compose(request)
    recipient = {
        Channel.EMAIL: "jan@example.test",
        Channel.SMS: "+31612345678",
        Channel.LETTER: "Jan de Vries\nLindelaan 5\n1234 AB Amersfoort\nNL",
    }.get(channel, "D-1001")
    message = OutgoingMessage(
        idempotency_key=key,
        channel=channel,
        kind=kind,
        creditor=request.creditor,
        debtor=request.debtor,
        invoice_numbers=("2026-0042",),
        recipient=recipient,
        subject=composed.subject,
        text=composed.text,
        html=composed.html,
        attachments=(
            Attachment(
                filename="invoice-2026-0042.pdf",
                content_type="application/pdf",
                data=b"%PDF-1.7 sample",
            ),
        ),
        payment_url=request.payment_url,
        locale="nl-NL",
    )
    return attrs.evolve(message, **changes)
