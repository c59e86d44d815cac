"""SmtpChannel against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import pathlib
import threading

import pytest

from creditflow.adapters import SqliteSentLedger
from creditflow.adapters.smtp import SmtpChannel, message_id_for
from creditflow.errors import DeliveryError

from .conftest import RecordingHandler, outgoing


def _parse(handler: RecordingHandler, index: int = 0) -> email.message.EmailMessage:
    raw = handler.messages[index].original_content
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_message_arrives_with_headers_both_parts_and_the_attachment(
    smtp_server: tuple[RecordingHandler, int],
) -> None:
    """The server receives multipart text + HTML with the PDF attached and brand headers."""
    handler, port = smtp_server
    channel = SmtpChannel(
        "127.0.0.1",
        port,
        security="none",
        list_unsubscribe=lambda m: f"<https://example.test/unsubscribe/{m.debtor.code}>",
    )
    message = outgoing()
    reference = channel.send(message)

    assert len(handler.messages) == 1
    assert handler.messages[0].rcpt_tos == ["jan@example.test"]
    received = _parse(handler)
    assert received["From"] == "Voorbeeld Energie <billing@example.test>"
    assert received["To"] == "Jan de Vries <jan@example.test>"
    assert received["Reply-To"] == "support@example.test"
    assert received["Subject"] == message.subject
    assert (
        received["Message-ID"]
        == reference
        == message_id_for(message.idempotency_key, "example.test")
    )
    assert received["List-Unsubscribe"] == "<https://example.test/unsubscribe/D-1001>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["X-Creditflow-Key"] == message.idempotency_key
    text = received.get_body(preferencelist=("plain",))
    html = received.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert text.get_content().replace("\r\n", "\n").rstrip() == message.text.rstrip()
    assert "Geachte Jan de Vries," in html.get_content()
    attachments = list(received.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["invoice-2026-0042.pdf"]
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_content() == b"%PDF-1.7 sample"


def test_no_list_unsubscribe_unless_configured(smtp_server: tuple[RecordingHandler, int]) -> None:
    """Without a ``list_unsubscribe`` function the header is not set."""
    handler, port = smtp_server
    SmtpChannel("127.0.0.1", port, security="none").send(outgoing(attachments=()))
    received = _parse(handler)
    assert received["List-Unsubscribe"] is None
    assert not list(received.iter_attachments())


def test_same_key_never_produces_two_messages(smtp_server: tuple[RecordingHandler, int]) -> None:
    """Sending one idempotency key twice, even from two threads, delivers one message."""
    handler, port = smtp_server
    channel = SmtpChannel("127.0.0.1", port, security="none")
    message = outgoing()
    results: list[str | None] = []
    threads = [
        threading.Thread(target=lambda: results.append(channel.send(message))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert channel.send(message) == results[0]
    assert len(set(results)) == 1
    assert len(handler.messages) == 1
    channel.send(outgoing(key="another-key"))
    assert len(handler.messages) == 2


def test_sqlite_ledger_remembers_across_restarts(
    smtp_server: tuple[RecordingHandler, int], tmp_path: pathlib.Path
) -> None:
    """With a SQLite ledger a restarted process does not send a delivered key again."""
    handler, port = smtp_server
    first = SmtpChannel(
        "127.0.0.1", port, security="none", ledger=SqliteSentLedger(tmp_path / "s.db")
    )
    reference = first.send(outgoing())
    again = SmtpChannel(
        "127.0.0.1", port, security="none", ledger=SqliteSentLedger(tmp_path / "s.db")
    )
    assert again.send(outgoing()) == reference
    assert len(handler.messages) == 1


def test_refused_recipient_is_a_permanent_error(smtp_server: tuple[RecordingHandler, int]) -> None:
    """A 5xx refusal of the address is permanent (the dispatcher falls back at once)."""
    handler, port = smtp_server
    handler.refuse["jan@example.test"] = "550 5.1.1 No such user"
    channel = SmtpChannel("127.0.0.1", port, security="none")
    with pytest.raises(DeliveryError, match="550") as caught:
        channel.send(outgoing())
    assert caught.value.permanent
    assert not handler.messages


def test_temporary_refusal_is_retried_later(smtp_server: tuple[RecordingHandler, int]) -> None:
    """A 4xx refusal is not permanent, and the key is not marked sent."""
    handler, port = smtp_server
    handler.refuse["jan@example.test"] = "451 4.3.0 Try again later"
    channel = SmtpChannel("127.0.0.1", port, security="none")
    with pytest.raises(DeliveryError) as caught:
        channel.send(outgoing())
    assert not caught.value.permanent
    del handler.refuse["jan@example.test"]
    channel.send(outgoing())
    assert len(handler.messages) == 1


def test_unreachable_server_is_a_temporary_error() -> None:
    """No server listening is a transient failure naming the server."""
    from .conftest import _free_port

    port = _free_port()
    channel = SmtpChannel("127.0.0.1", port, security="none", timeout=2)
    with pytest.raises(DeliveryError, match=f"127.0.0.1:{port}") as caught:
        channel.send(outgoing())
    assert not caught.value.permanent


def test_starttls_against_a_server_without_it_fails_cleanly(
    smtp_server: tuple[RecordingHandler, int],
) -> None:
    """Asking for STARTTLS where the server offers none is a delivery error, nothing sent."""
    handler, port = smtp_server
    with pytest.raises(DeliveryError, match=r"(?i)starttls"):
        SmtpChannel("127.0.0.1", port, security="starttls", timeout=5).send(outgoing())
    assert not handler.messages


def test_message_without_sender_address_is_refused() -> None:
    """Without Brand.email_from or from_address the channel says what to configure."""
    import attrs

    message = outgoing()
    brand = attrs.evolve(message.creditor.brand, email_from=None)
    message = attrs.evolve(message, creditor=attrs.evolve(message.creditor, brand=brand))
    with pytest.raises(DeliveryError, match="email_from") as caught:
        SmtpChannel("127.0.0.1", 1, security="none").send(message)
    assert caught.value.permanent
