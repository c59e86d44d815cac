"""``HttpPaymentLinks``: payment links from a payment provider's JSON API over HTTP.

``create`` POSTs the amount, description, expiry and the allowed and disallowed payment methods
(what Buckaroo calls ``AllowedServices`` / ``DisallowedServices``) with an ``Idempotency-Key``
header, so a retried request returns the link made the first time. ``revoke`` DELETEs the link;
an unknown or already revoked link (404, 410) is not an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ..errors import DeliveryError
from ..ports import PaymentLink, PaymentLinkRequest
from ._http import raise_for_status

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpPaymentLinks", "default_link_body", "default_link_response"]


def default_link_body(request: PaymentLinkRequest) -> Mapping[str, object]:
    """The JSON body: amount as a decimal string, currency, methods as lists, expiry as ISO date."""
    rounded = request.amount.round()
    return {
        "amount": str(rounded.amount),
        "currency": rounded.currency,
        "description": request.description,
        "invoice_number": request.invoice_number,
        "debtor": request.debtor_code,
        "creditor": request.creditor,
        "locale": request.locale,
        "expires_on": request.expires_on.isoformat(),
        "allowed_methods": list(request.methods.allowed),
        "disallowed_methods": list(request.methods.disallowed),
    }


def default_link_response(response: httpx.Response) -> PaymentLink:
    """Read ``{"id": ..., "url": ...}`` (or ``reference`` / ``checkout_url``) from the answer.

    Raises:
        DeliveryError: the answer has no URL or id.
    """
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, Mapping):
        raise DeliveryError(f"the payment provider answered without JSON: {response.text[:200]}")
    url = data.get("url") or data.get("checkout_url")
    reference = data.get("id") or data.get("reference")
    if not url or not reference:
        raise DeliveryError(f"the payment provider's answer has no url or id: {dict(data)}")
    return PaymentLink(url=str(url), reference=str(reference))


class HttpPaymentLinks:
    """Creates and revokes payment links at an HTTP endpoint, on an injected :class:`httpx.Client`.

    Args:
        client: The HTTP client (tests pass one on a ``MockTransport``).
        endpoint: Where links are created (``POST``); a link is revoked with
            ``DELETE {endpoint}/{reference}`` unless *revoke_url* says otherwise.
        headers: Extra headers, e.g. ``{"Authorization": "Bearer ..."}``.
        body: Maps a request to the provider's JSON (default :func:`default_link_body`).
        parse: Reads the link from the answer (default :func:`default_link_response`).
        revoke_url: The revoke URL for a reference.
    """

    def __init__(
        self,
        client: httpx.Client,
        endpoint: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: Callable[[PaymentLinkRequest], Mapping[str, object]] = default_link_body,
        parse: Callable[[httpx.Response], PaymentLink] = default_link_response,
        revoke_url: Callable[[str], str] | None = None,
    ) -> None:
        self.client = client
        self.endpoint = endpoint.rstrip("/")
        self.headers = dict(headers or {})
        self.body = body
        self.parse = parse
        self.revoke_url = revoke_url or (lambda reference: f"{self.endpoint}/{reference}")

    def __repr__(self) -> str:
        return f"<HttpPaymentLinks {self.endpoint}>"

    def create(self, request: PaymentLinkRequest) -> PaymentLink:
        """Create (or, for a key seen before, get back) the link for *request*.

        Raises:
            DeliveryError: the provider refused (permanent for 4xx other than 408/409/425/429)
                or could not be reached.
        """
        import httpx

        if not request.amount.is_positive:
            raise DeliveryError(
                f"payment link amount {request.amount} for invoice {request.invoice_number!r} "
                f"must be positive",
                permanent=True,
            )
        try:
            response = self.client.post(
                self.endpoint,
                json=dict(self.body(request)),
                headers={**self.headers, "Idempotency-Key": request.idempotency_key},
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"the payment provider {self.endpoint} could not be reached: {exc}"
            ) from exc
        raise_for_status(response, f"payment link for invoice {request.invoice_number!r}")
        return self.parse(response)

    def revoke(self, reference: str) -> None:
        """Make the link unusable; an unknown or revoked link is ignored.

        Raises:
            DeliveryError: the provider could not be reached or failed.
        """
        import httpx

        try:
            response = self.client.delete(
                self.revoke_url(reference),
                headers={**self.headers, "Idempotency-Key": f"revoke/{reference}"},
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"the payment provider {self.endpoint} could not be reached: {exc}"
            ) from exc
        if response.status_code in (404, 410):
            return
        raise_for_status(response, f"revoking payment link {reference!r}")
