"""What the SQL stores share: reading stored records back, and checks on what they are given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from ..engine._case import Case, replay
from ..errors import ConcurrencyError, DuplicateError, StoreError, ValidationError
from ..events import Event

__all__ = [
    "check_events",
    "check_version",
    "rebuild_case",
    "utc",
    "utc_text",
]


def utc(moment: dt.datetime) -> dt.datetime:
    """*moment* in UTC; a naive datetime is refused (its instant is unknown)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(
            f"datetime {moment.isoformat()} has no time zone; stores keep instants, pass an "
            f"aware datetime such as datetime.now(timezone.utc)"
        )
    return moment.astimezone(dt.UTC)


def utc_text(moment: dt.datetime) -> str:
    """*moment* as fixed-width UTC text, so that text order is time order (SQLite columns)."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def check_version(invoice_number: str, current: int, expected: int) -> None:
    """Refuse an append that does not start at the case's stored version.

    Raises:
        DuplicateError: *expected* is 0 (a new case) but the case exists.
        ConcurrencyError: another writer moved the case on since it was loaded.
    """
    if current == expected:
        return
    if expected == 0:
        raise DuplicateError(f"invoice {invoice_number!r} is registered already")
    raise ConcurrencyError(
        f"invoice {invoice_number!r} is at version {current}, not {expected}: "
        f"another writer changed it first"
    )


def check_events(invoice_number: str, events: Sequence[Event], expected: int) -> None:
    """Require *events* to continue the case's stream right after version *expected*."""
    for offset, event in enumerate(events, start=1):
        if event.sequence != expected + offset or event.invoice_number != invoice_number:
            raise ValidationError(
                f"event {event.type_name} #{event.sequence} does not follow version "
                f"{expected + offset - 1} of invoice {invoice_number!r}"
            )


def rebuild_case(snapshot: Case | None, later: Iterable[Event], invoice_number: str) -> Case:
    """The case from its snapshot (if readable) and the events after it.

    Snapshots are an optimisation: when the snapshot is missing or unreadable the caller passes
    ``None`` and every event of the case, and the case is replayed from the start.
    """
    try:
        return replay(later, snapshot)
    except ValidationError as exc:
        raise StoreError(
            f"the stored events of invoice {invoice_number!r} do not form a valid case: {exc}"
        ) from exc
