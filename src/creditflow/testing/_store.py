"""An in-memory store: the ``Store`` port without a database, for tests and simulations."""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from ..engine._case import Case
from ..engine._effects import Effect
from ..engine._schema import DunningSchema
from ..errors import (
    ConcurrencyError,
    CreditflowError,
    DuplicateError,
    StoreError,
    ValidationError,
)
from ..events import Event
from ..ports import DebtorRecord, OutboxEntry, UnitOfWork

__all__ = ["InMemoryStore"]

_Key = tuple[str, str]
T = TypeVar("T")


class _State:
    def __init__(self) -> None:
        self.schemas: dict[tuple[str, str], dict[int, DunningSchema]] = {}
        self.debtors: dict[_Key, DebtorRecord] = {}
        self.events: dict[_Key, list[Event]] = {}
        self.snapshots: dict[_Key, Case] = {}
        self.next_action: dict[_Key, dt.date | None] = {}
        self.by_date: dict[str, dict[dt.date, set[str]]] = {}
        self.dates: dict[str, list[dt.date]] = {}
        self.of_debtor: dict[_Key, list[str]] = {}
        self.outbox: dict[str, dict[str, OutboxEntry]] = {}

    def index(self, creditor: str, number: str, when: dt.date | None) -> None:
        key = (creditor, number)
        buckets = self.by_date.setdefault(creditor, {})
        dates = self.dates.setdefault(creditor, [])
        old = self.next_action.get(key)
        if old is not None:
            bucket = buckets[old]
            bucket.discard(number)
            if not bucket:
                del buckets[old]
                dates.pop(bisect.bisect_left(dates, old))
        self.next_action[key] = when
        if when is not None:
            if when not in buckets:
                buckets[when] = set()
                bisect.insort(dates, when)
            buckets[when].add(number)


class _Schemas:
    def __init__(self, uow: _UnitOfWork) -> None:
        self._uow = uow

    def add(self, creditor: str, schema: DunningSchema) -> None:
        versions = self._uow.state.schemas.get((creditor, schema.key), {})
        if schema.version in versions:
            raise DuplicateError(f"schema {schema.key!r} version {schema.version} exists already")
        if self._uow.check:
            _storable(schema, DunningSchema)
        self._uow.staged_schemas[(creditor, schema.key, schema.version)] = schema

    def get(self, creditor: str, key: str, version: int | None = None) -> DunningSchema | None:
        versions = dict(self._uow.state.schemas.get((creditor, key), {}))
        for (c, k, v), schema in self._uow.staged_schemas.items():
            if (c, k) == (creditor, key):
                versions[v] = schema
        if not versions:
            return None
        return versions.get(max(versions) if version is None else version)


class _Debtors:
    def __init__(self, uow: _UnitOfWork) -> None:
        self._uow = uow

    def put(self, creditor: str, record: DebtorRecord) -> None:
        if self._uow.check:
            _storable(record, DebtorRecord)
        self._uow.staged_debtors[(creditor, record.debtor.code)] = record

    def get(self, creditor: str, code: str) -> DebtorRecord | None:
        key = (creditor, code)
        return self._uow.staged_debtors.get(key, self._uow.state.debtors.get(key))


class _Cases:
    def __init__(self, uow: _UnitOfWork) -> None:
        self._uow = uow

    def _version(self, key: _Key) -> int:
        staged = self._uow.staged_cases.get(key)
        if staged is not None:
            return staged[1].version
        snapshot = self._uow.state.snapshots.get(key)
        return snapshot.version if snapshot is not None else 0

    def append(
        self,
        creditor: str,
        events: Sequence[Event],
        *,
        expected_version: int,
        case: Case,
        next_action_on: dt.date | None,
    ) -> None:
        key = (creditor, case.invoice_number)
        if self._uow.check:
            for event in events:
                _storable(event, Event)
            _storable(case, Case)
        current = self._version(key)
        if current != expected_version:
            if expected_version == 0:
                raise DuplicateError(f"invoice {case.invoice_number!r} is registered already")
            raise ConcurrencyError(
                f"invoice {case.invoice_number!r} is at version {current}, not {expected_version}: "
                f"another writer changed it first"
            )
        for offset, event in enumerate(events, start=1):
            if (
                event.sequence != expected_version + offset
                or event.invoice_number != case.invoice_number
            ):
                raise ValidationError(
                    f"event {event.type_name} #{event.sequence} does not follow version "
                    f"{expected_version + offset - 1} of invoice {case.invoice_number!r}"
                )
        previous = self._uow.staged_cases.get(key)
        staged_events = (previous[0] if previous else []) + list(events)
        self._uow.staged_cases[key] = (staged_events, case, next_action_on)

    def load(self, creditor: str, invoice_number: str) -> Case | None:
        key = (creditor, invoice_number)
        staged = self._uow.staged_cases.get(key)
        if staged is not None:
            return staged[1]
        return self._uow.state.snapshots.get(key)

    def events(self, creditor: str, invoice_number: str, *, after: int = 0) -> Iterator[Event]:
        key = (creditor, invoice_number)
        stored = list(self._uow.state.events.get(key, ()))
        staged = self._uow.staged_cases.get(key)
        if staged is not None:
            stored += staged[0]
        return iter([e for e in stored if e.sequence > after])

    def due(self, creditor: str, today: dt.date, *, limit: int) -> list[str]:
        state = self._uow.state
        result: list[str] = []
        for when in state.dates.get(creditor, []):
            if when > today or len(result) >= limit:
                break
            result.extend(sorted(state.by_date[creditor][when]))
        return result[:limit]

    def of_debtor(self, creditor: str, debtor_code: str) -> list[str]:
        numbers = list(self._uow.state.of_debtor.get((creditor, debtor_code), []))
        for (c, number), (_, case, _) in self._uow.staged_cases.items():
            if c == creditor and case.debtor_code == debtor_code and number not in numbers:
                numbers.append(number)
        return numbers


class _Outbox:
    def __init__(self, uow: _UnitOfWork) -> None:
        self._uow = uow

    def add(self, creditor: str, entries: Sequence[OutboxEntry]) -> None:
        stored = self._uow.state.outbox.get(creditor, {})
        for entry in entries:
            if self._uow.check:
                _storable(entry.effect, Effect)
            key = (creditor, entry.idempotency_key)
            if entry.idempotency_key not in stored and key not in self._uow.staged_outbox:
                self._uow.staged_outbox[key] = entry

    def pending(self, creditor: str, now: dt.datetime, *, limit: int) -> list[OutboxEntry]:
        entries = [
            e
            for e in self._uow.state.outbox.get(creditor, {}).values()
            if not e.done and e.available_at <= now
        ]
        entries.sort(key=lambda e: (e.available_at, e.idempotency_key))
        return entries[:limit]

    def update(self, creditor: str, entry: OutboxEntry) -> None:
        key = (creditor, entry.idempotency_key)
        stored = self._uow.state.outbox.get(creditor, {})
        if entry.idempotency_key not in stored and key not in self._uow.staged_outbox:
            raise ValidationError(f"no outbox entry {entry.idempotency_key!r} to update")
        self._uow.staged_outbox[key] = entry


def _storable(value: T, kind: type[T]) -> None:
    """Refuse *value* unless it survives a trip through the serialisation the real stores use."""
    from .. import serialization

    try:
        back = serialization.loads(serialization.dumps(value), kind)
    except CreditflowError:
        raise  # the same error a database store raises (e.g. an unregistered rule)
    except Exception as exc:
        raise StoreError(
            f"{type(value).__name__} cannot be stored: {exc}; a database store would refuse it too "
            f"(register custom fee or interest rules with creditflow.serialization.register_rule)"
        ) from exc
    if back != value:
        raise StoreError(
            f"{type(value).__name__} does not come back equal from storage: {value!r} became "
            f"{back!r}"
        )


class _UnitOfWork:
    def __init__(self, state: _State, *, check: bool = False) -> None:
        self.state = state
        self.check = check
        self.staged_schemas: dict[tuple[str, str, int], DunningSchema] = {}
        self.staged_debtors: dict[_Key, DebtorRecord] = {}
        self.staged_cases: dict[_Key, tuple[list[Event], Case, dt.date | None]] = {}
        self.staged_outbox: dict[_Key, OutboxEntry] = {}
        self.schemas = _Schemas(self)
        self.debtors = _Debtors(self)
        self.cases = _Cases(self)
        self.outbox = _Outbox(self)

    def commit(self) -> None:
        state = self.state
        for (creditor, schema_key, version), schema in self.staged_schemas.items():
            state.schemas.setdefault((creditor, schema_key), {})[version] = schema
        state.debtors.update(self.staged_debtors)
        for key, (events, case, when) in self.staged_cases.items():
            if key not in state.snapshots:
                state.of_debtor.setdefault((key[0], case.debtor_code), []).append(key[1])
            state.events.setdefault(key, []).extend(events)
            state.snapshots[key] = case
            state.index(key[0], key[1], when)
        for (creditor, entry_key), entry in self.staged_outbox.items():
            state.outbox.setdefault(creditor, {})[entry_key] = entry
        self.staged_schemas.clear()
        self.staged_debtors.clear()
        self.staged_cases.clear()
        self.staged_outbox.clear()


class InMemoryStore:
    """The ``Store`` port in memory: atomic, isolated units of work, nothing on disk.

    A unit of work holds the store's lock from start to end, so units of work from several
    threads run one after the other (serialisable), and leaving one without ``commit()`` discards
    everything it staged.

    Args:
        check_storable: Write every event, snapshot, effect, schema and debtor through
            :mod:`creditflow.serialization` and back, and refuse (``StoreError``) what would not
            come back equal, as a database store would. On by default, so that a test on the fake
            fails where production on SQLite or PostgreSQL would (a host's fee rule that was never
            registered with ``serialization.register_rule``, say). ``False`` keeps objects as they
            are, for speed.
    """

    def __init__(self, *, check_storable: bool = True) -> None:
        self._state = _State()
        self._lock = threading.RLock()
        self.check_storable = check_storable

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """Begin a unit of work."""
        with self._lock:
            yield _UnitOfWork(self._state, check=self.check_storable)

    def __repr__(self) -> str:
        return f"<InMemoryStore cases={len(self._state.snapshots)}>"
