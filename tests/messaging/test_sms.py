"""HttpSmsChannel with httpx.MockTransport: segments, E.164, idempotency and errors."""

from __future__ import annotations

import json

import httpx
import pytest

from creditflow import Channel
from creditflow.adapters.sms import HttpSmsChannel, count_segments
from creditflow.errors import DeliveryError
from creditflow.ports import OutgoingMessage

from .conftest import outgoing


class Gateway:
    """A fake SMS gateway: records requests, answers with an id or a chosen status."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx.Response(self.status, json={"error": "nope"})
        return httpx.Response(200, json={"id": f"sms-{len(self.requests)}"})

    def channel(self, **options: object) -> HttpSmsChannel:
        client = httpx.Client(transport=httpx.MockTransport(self))
        return HttpSmsChannel(
            client,
            "https://sms.example.test/v1/messages",
            headers={"Authorization": "Bearer t0ken"},
            **options,
        )


def sms(text: str | None = None, **changes: object) -> OutgoingMessage:
    message = outgoing(Channel.SMS, key="k/sms")
    if text is not None:
        changes["text"] = text
    import attrs

    return attrs.evolve(message, **changes)


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),
        ("€" * 81, "GSM-7", 162, 2),
        ("a" * 152 + "€", "GSM-7", 154, 1),
        ("a" * 159 + "€", "GSM-7", 161, 2),
        ("ç" * 70, "UCS-2", 70, 1),
        ("ç" * 71, "UCS-2", 71, 2),
        ("ç" * 134, "UCS-2", 134, 2),
        ("ç" * 135, "UCS-2", 135, 3),
        ("😀" * 35, "UCS-2", 70, 1),
        ("a" * 66 + "😀" + "a" * 67, "UCS-2", 135, 3),
    ],
)
def test_segments_are_counted_like_the_networks_do(
    text: str, encoding: str, units: int, segments: int
) -> None:
    """GSM-7 basic and extension characters, UCS-2 code units, 160/153 and 70/67."""
    counted = count_segments(text)
    assert (counted.encoding, counted.units, counted.segments) == (encoding, units, segments)


def test_sms_is_posted_with_idempotency_key_auth_and_json_body() -> None:
    """The gateway gets JSON with number, sender and text, plus the key and auth headers."""
    gateway = Gateway()
    message = sms()
    reference = gateway.channel(sender="Acme").send(message)
    assert reference == "sms-1"
    (request,) = gateway.requests
    assert request.method == "POST"
    assert str(request.url) == "https://sms.example.test/v1/messages"
    assert request.headers["Idempotency-Key"] == "k/sms"
    assert request.headers["Authorization"] == "Bearer t0ken"
    body = json.loads(request.content)
    assert body == {
        "to": "+31612345678",
        "from": "Acme",
        "text": message.text,
        "reference": "k/sms",
    }


def test_body_mapping_fits_another_gateway() -> None:
    """A body function maps the payload to another gateway's field names."""
    gateway = Gateway()
    channel = gateway.channel(
        body=lambda p: {"recipients": [p.to], "message": p.text, "encoding": p.encoding}
    )
    channel.send(sms("Hello"))
    assert json.loads(gateway.requests[0].content) == {
        "recipients": ["+31612345678"],
        "message": "Hello",
        "encoding": "GSM-7",
    }


def test_same_key_is_sent_once() -> None:
    """A second send with the same key returns the first reference without a request."""
    gateway = Gateway()
    channel = gateway.channel()
    assert channel.send(sms()) == channel.send(sms())
    assert len(gateway.requests) == 1


@pytest.mark.parametrize("number", ["0612345678", "+31 6 12345678", "31612345678", "", "+0612345"])
def test_number_not_in_e164_is_refused(number: str) -> None:
    """Only E.164 numbers are sent; anything else is a permanent error and no request."""
    gateway = Gateway()
    with pytest.raises(DeliveryError, match=r"E\.164") as caught:
        gateway.channel().send(sms(recipient=number))
    assert caught.value.permanent
    assert not gateway.requests


def test_text_over_the_segment_limit_is_refused() -> None:
    """A text needing more segments than allowed is refused permanently, naming the count."""
    gateway = Gateway()
    with pytest.raises(DeliveryError, match="3 segments") as caught:
        gateway.channel(max_segments=2).send(sms("a" * 307))
    assert caught.value.permanent
    assert not gateway.requests


def test_text_over_the_limit_is_truncated_keeping_the_link() -> None:
    """With overflow='truncate' the text is shortened to fit and the payment link is kept."""
    gateway = Gateway()
    url = "https://pay.example.test/abc"
    text = "Herinnering " + "x" * 400 + " " + url
    gateway.channel(max_segments=2, overflow="truncate").send(sms(text, payment_url=url))
    sent = json.loads(gateway.requests[0].content)["text"]
    assert sent.endswith("... " + url)
    assert count_segments(sent).segments == 2


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (422, True), (429, False), (503, False)]
)
def test_gateway_errors_become_delivery_errors(status: int, permanent: bool) -> None:
    """Client errors are permanent; rate limits and server errors are retried."""
    gateway = Gateway(status)
    channel = gateway.channel()
    with pytest.raises(DeliveryError, match=str(status)) as caught:
        channel.send(sms())
    assert caught.value.permanent is permanent
    gateway.status = 200
    assert channel.send(sms()) == "sms-2"


def test_network_failure_is_a_temporary_error() -> None:
    """A connection error is transient."""

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    channel = HttpSmsChannel(httpx.Client(transport=httpx.MockTransport(broken)), "https://x.test")
    with pytest.raises(DeliveryError, match="could not be reached") as caught:
        channel.send(sms())
    assert not caught.value.permanent
