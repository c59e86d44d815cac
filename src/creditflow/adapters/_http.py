"""What the HTTP adapters share: turning HTTP answers into delivery errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import DeliveryError

if TYPE_CHECKING:
    import httpx

__all__ = ["raise_for_status"]


def raise_for_status(response: httpx.Response, what: str) -> None:
    """Turn an HTTP error status into a DeliveryError (permanent for client errors)."""
    if response.is_success:
        return
    status = response.status_code
    permanent = 400 <= status < 500 and status not in (408, 409, 425, 429)
    raise DeliveryError(
        f"{what}: the service answered {status} {response.reason_phrase}: {response.text[:200]}",
        permanent=permanent,
    )
