"""The MessageChannel contract, run against every channel adapter and the recording fake."""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Iterator

import httpx
import pytest

from creditflow import Channel
from creditflow.adapters.letters import FolderLetterService, LetterChannel
from creditflow.adapters.sms import HttpSmsChannel
from creditflow.adapters.smtp import SmtpChannel
from creditflow.errors import DeliveryError
from creditflow.ports import MessageChannel, OutgoingMessage
from creditflow.testing import RecordingChannel

from .conftest import RecordingHandler, outgoing

Delivered = Callable[[], int]


@pytest.fixture(params=["recording-email", "smtp", "recording-sms", "http-sms", "letters"])
def subject(
    request: pytest.FixtureRequest, tmp_path: pathlib.Path
) -> Iterator[tuple[MessageChannel, Channel, Delivered]]:
    """A channel, the channel it serves, and how many deliveries really happened."""
    name = request.param
    if name == "smtp":
        handler: RecordingHandler
        handler, port = request.getfixturevalue("smtp_server")
        yield (
            SmtpChannel("127.0.0.1", port, security="none"),
            Channel.EMAIL,
            lambda: len(handler.messages),
        )
    elif name == "http-sms":
        posted: list[httpx.Request] = []

        def gateway(req: httpx.Request) -> httpx.Response:
            posted.append(req)
            return httpx.Response(200, json={"id": f"m{len(posted)}"})

        client = httpx.Client(transport=httpx.MockTransport(gateway))
        yield HttpSmsChannel(client, "https://sms.test/send"), Channel.SMS, lambda: len(posted)
    elif name == "letters":
        yield (
            LetterChannel(FolderLetterService(tmp_path)),
            Channel.LETTER,
            lambda: len(list(tmp_path.glob("*.json"))),
        )
    else:
        channel = Channel.EMAIL if name == "recording-email" else Channel.SMS
        fake = RecordingChannel(channel)
        yield fake, channel, lambda: len(fake.sent)


def test_channel_satisfies_the_port(subject: tuple[MessageChannel, Channel, Delivered]) -> None:
    """Every adapter is a MessageChannel."""
    channel, _, _ = subject
    assert isinstance(channel, MessageChannel)


def test_one_key_is_delivered_once(subject: tuple[MessageChannel, Channel, Delivered]) -> None:
    """Contract: the same idempotency key twice delivers once and returns the same reference."""
    channel, kind, delivered = subject
    message = outgoing(kind, key="contract/1")
    first = channel.send(message)
    assert channel.send(message) == first
    assert delivered() == 1
    channel.send(outgoing(kind, key="contract/2"))
    assert delivered() == 2


def test_a_message_for_another_channel_is_refused(
    subject: tuple[MessageChannel, Channel, Delivered],
) -> None:
    """Contract: a message for another channel is a permanent error, nothing delivered."""
    channel, kind, delivered = subject
    other = Channel.LETTER if kind != Channel.LETTER else Channel.EMAIL
    message: OutgoingMessage = outgoing(other, key="contract/other")
    with pytest.raises(DeliveryError) as caught:
        channel.send(message)
    assert caught.value.permanent
    assert delivered() == 0
