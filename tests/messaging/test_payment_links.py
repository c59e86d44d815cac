"""HttpPaymentLinks with httpx.MockTransport, and the payment-link contract its fake shares."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from creditflow import Money, PaymentMethods
from creditflow.adapters.payment_links import HttpPaymentLinks
from creditflow.errors import DeliveryError
from creditflow.ports import PaymentLinkRequest, PaymentLinks
from creditflow.testing import FakePaymentLinks


class Provider:
    """A fake provider API: one link per Idempotency-Key, DELETE revokes, 404 for unknown ids."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.links: dict[str, str] = {}
        self.revoked: set[str] = set()
        self.fail_with: int | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail_with is not None:
            return httpx.Response(self.fail_with, text="provider trouble")
        if request.method == "POST":
            key = request.headers["Idempotency-Key"]
            link_id = self.links.setdefault(key, f"pl_{len(self.links) + 1}")
            return httpx.Response(201, json={"id": link_id, "url": f"https://pay.test/{link_id}"})
        link_id = request.url.path.rsplit("/", 1)[-1]
        if link_id not in self.links.values():
            return httpx.Response(404)
        self.revoked.add(link_id)
        return httpx.Response(204)


def link_request(key: str = "acme/1/s@1/0/message/0/link", **changes: object) -> PaymentLinkRequest:
    import attrs

    request = PaymentLinkRequest(
        idempotency_key=key,
        creditor="acme",
        invoice_number="2026-0042",
        debtor_code="D-1",
        amount=Money("161.00", "EUR"),
        description="Invoice 2026-0042",
        locale="nl-NL",
        expires_on=dt.date(2026, 3, 4),
        methods=PaymentMethods(allowed=("ideal", "bancontact"), disallowed=("paypal",)),
    )
    return attrs.evolve(request, **changes)


def http_links(provider: Provider) -> HttpPaymentLinks:
    client = httpx.Client(transport=httpx.MockTransport(provider))
    return HttpPaymentLinks(
        client, "https://api.pay.test/v2/links", headers={"Authorization": "Bearer k"}
    )


@pytest.fixture(params=["http", "fake"])
def links(request: pytest.FixtureRequest) -> PaymentLinks:
    """The real adapter (against the fake provider) and the in-memory fake, for contract tests."""
    if request.param == "http":
        return http_links(Provider())
    return FakePaymentLinks()


def test_same_key_gives_the_same_link(links: PaymentLinks) -> None:
    """Contract: the same idempotency key returns the same link; another key another link."""
    first = links.create(link_request())
    assert links.create(link_request()) == first
    assert links.create(link_request("other")).url != first.url


def test_revoking_an_unknown_or_revoked_link_does_nothing(links: PaymentLinks) -> None:
    """Contract: revoke is idempotent and ignores unknown references."""
    link = links.create(link_request())
    links.revoke(link.reference)
    links.revoke(link.reference)
    links.revoke("no-such-link")


def test_zero_amount_is_refused(links: PaymentLinks) -> None:
    """Contract: a link for nothing is a permanent error."""
    with pytest.raises(DeliveryError) as caught:
        links.create(link_request(amount=Money("0", "EUR")))
    assert caught.value.permanent


def test_request_carries_methods_amount_expiry_and_idempotency_key() -> None:
    """The provider gets allowed and disallowed methods, the amount and the key header."""
    provider = Provider()
    link = http_links(provider).create(link_request())
    assert link.url == "https://pay.test/pl_1"
    assert link.reference == "pl_1"
    (request,) = provider.requests
    assert request.headers["Idempotency-Key"] == "acme/1/s@1/0/message/0/link"
    assert request.headers["Authorization"] == "Bearer k"
    body = json.loads(request.content)
    assert body["amount"] == "161.00"
    assert body["currency"] == "EUR"
    assert sorted(body["allowed_methods"]) == ["bancontact", "ideal"]
    assert body["disallowed_methods"] == ["paypal"]
    assert body["expires_on"] == "2026-03-04"


def test_revoke_deletes_the_link() -> None:
    """Revoking sends DELETE to the link's URL."""
    provider = Provider()
    links = http_links(provider)
    link = links.create(link_request())
    links.revoke(link.reference)
    assert provider.revoked == {"pl_1"}
    assert provider.requests[-1].method == "DELETE"
    assert str(provider.requests[-1].url) == "https://api.pay.test/v2/links/pl_1"


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (401, True), (429, False), (502, False)]
)
def test_provider_errors_become_delivery_errors(status: int, permanent: bool) -> None:
    """Errors of the provider are DeliveryErrors, permanent for client errors."""
    provider = Provider()
    provider.fail_with = status
    with pytest.raises(DeliveryError, match=str(status)) as caught:
        http_links(provider).create(link_request())
    assert caught.value.permanent is permanent


def test_answer_without_url_is_an_error() -> None:
    """An answer the adapter cannot read is a DeliveryError, not a crash."""
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})))
    with pytest.raises(DeliveryError, match="no url"):
        HttpPaymentLinks(client, "https://x.test").create(link_request())
