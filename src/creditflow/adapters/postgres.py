"""The store for several workers: PostgreSQL on psycopg 3 (the ``postgres`` extra).

``PostgresStore(dsn)`` keeps the same records as :class:`~creditflow.adapters.sqlite.SqliteStore`
and passes the same contract, and adds what many worker processes on many machines need:
**leases**. ``due()`` claims the cases it returns (``SELECT … FOR UPDATE SKIP LOCKED`` and a
``leased_until`` column), so two workers running ``CreditManager.run()`` at the same time never
get the same case; ``pending()`` claims outbox entries the same way, and leaves alone the entries
of cases another worker holds. A lease ends when it expires (a crashed worker's cases go to the
next worker after ``lease``), and an outbox entry's lease ends when its new state is stored.

Leases are taken in a short transaction of their own, committed at once, so they hold whatever
the caller's unit of work does afterwards; the port's methods keep their signatures. The worker
owning a lease is this store object in this process and thread: the same worker asking again
gets its own leased rows back.

psycopg is imported only when a ``PostgresStore`` is created.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from .. import serialization
from ..engine._case import Case
from ..engine._effects import Effect
from ..engine._schema import DunningSchema
from ..errors import (
    ConcurrencyError,
    DuplicateError,
    MissingExtraError,
    StoreError,
    ValidationError,
)
from ..events import Event
from ..ports import DebtorRecord, OutboxEntry, UnitOfWork
from ._records import check_events, check_version, rebuild_case, utc

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresStore"]

SCHEMA_VERSION: Final = 1
"""The layout version this creditflow writes (kept in the ``cf_meta`` table)."""

_SCHEMA_NAME: Final = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# Each entry migrates the layout from version ``index`` to ``index + 1``. Never edit an entry that
# has been released: add a new one.
_MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """CREATE TABLE cf_meta (
            key text PRIMARY KEY,
            value text NOT NULL
        )""",
        """CREATE TABLE cf_events (
            position bigserial PRIMARY KEY,
            creditor text NOT NULL,
            invoice_number text NOT NULL,
            sequence integer NOT NULL,
            event_id uuid NOT NULL UNIQUE,
            type text NOT NULL,
            occurred_on date NOT NULL,
            body jsonb NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (creditor, invoice_number, sequence)
        )""",
        """CREATE TABLE cf_cases (
            creditor text NOT NULL,
            invoice_number text NOT NULL,
            debtor_code text NOT NULL,
            version integer NOT NULL,
            status text NOT NULL,
            next_action_on date,
            snapshot jsonb NOT NULL,
            leased_by text,
            leased_until timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (creditor, invoice_number)
        )""",
        """CREATE INDEX cf_cases_due ON cf_cases (creditor, next_action_on, invoice_number)
            WHERE next_action_on IS NOT NULL""",
        "CREATE INDEX cf_cases_debtor ON cf_cases (creditor, debtor_code)",
        """CREATE TABLE cf_debtors (
            creditor text NOT NULL,
            code text NOT NULL,
            body jsonb NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (creditor, code)
        )""",
        """CREATE TABLE cf_schemas (
            creditor text NOT NULL,
            key text NOT NULL,
            version integer NOT NULL,
            body jsonb NOT NULL,
            registered_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (creditor, key, version)
        )""",
        """CREATE TABLE cf_outbox (
            creditor text NOT NULL,
            idempotency_key text NOT NULL,
            invoice_number text NOT NULL,
            type text NOT NULL,
            effect jsonb NOT NULL,
            available_at timestamptz NOT NULL,
            attempts integer NOT NULL,
            channel_index integer NOT NULL,
            last_error text,
            done boolean NOT NULL,
            leased_by text,
            leased_until timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (creditor, idempotency_key)
        )""",
        "CREATE INDEX cf_outbox_pending ON cf_outbox (creditor, done, available_at)",
    ),
)

_CLAIM_DUE: Final = """
WITH candidates AS (
    SELECT creditor, invoice_number FROM cf_cases
    WHERE creditor = %(creditor)s
      AND next_action_on IS NOT NULL AND next_action_on <= %(today)s
      AND (leased_until IS NULL OR leased_until < clock_timestamp() OR leased_by = %(worker)s)
    ORDER BY next_action_on, invoice_number
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE cf_cases AS c
SET leased_by = %(worker)s, leased_until = clock_timestamp() + %(lease)s
FROM candidates
WHERE c.creditor = candidates.creditor AND c.invoice_number = candidates.invoice_number
RETURNING c.next_action_on, c.invoice_number
"""

_CLAIM_PENDING: Final = """
WITH candidates AS (
    SELECT o.creditor, o.idempotency_key FROM cf_outbox AS o
    WHERE o.creditor = %(creditor)s AND NOT o.done AND o.available_at <= %(now)s
      AND (o.leased_until IS NULL OR o.leased_until < clock_timestamp()
           OR o.leased_by = %(worker)s)
      AND NOT EXISTS (
          SELECT 1 FROM cf_cases AS c
          WHERE c.creditor = o.creditor AND c.invoice_number = o.invoice_number
            AND c.leased_by <> %(worker)s AND c.leased_until >= clock_timestamp()
      )
    ORDER BY o.available_at, o.idempotency_key
    LIMIT %(limit)s
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE cf_outbox AS o
SET leased_by = %(worker)s, leased_until = clock_timestamp() + %(lease)s
FROM candidates
WHERE o.creditor = candidates.creditor AND o.idempotency_key = candidates.idempotency_key
RETURNING o.available_at, o.idempotency_key, o.effect, o.attempts, o.channel_index,
          o.last_error, o.done
"""


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise MissingExtraError("psycopg", "postgres") from None
    return psycopg


def _redact(dsn: str) -> str:
    """*dsn* with its password replaced by ``***`` (for messages and logs)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        params = conninfo_to_dict(dsn)
    except Exception:
        return "<a connection string that cannot be parsed>"
    if "password" in params:
        params["password"] = "***"  # noqa: S105 - the mask, not a password
    return make_conninfo("", **params)


def _password(dsn: str) -> str | None:
    from psycopg.conninfo import conninfo_to_dict

    try:
        value = conninfo_to_dict(dsn).get("password")
    except Exception:
        return None
    return None if value is None else str(value)


class _Schemas:
    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._db = connection

    def add(self, creditor: str, schema: DunningSchema) -> None:
        from psycopg.types.json import Jsonb

        cursor = self._db.execute(
            "INSERT INTO cf_schemas (creditor, key, version, body) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (creditor, schema.key, schema.version, Jsonb(serialization.dump(schema))),
        )
        if cursor.rowcount == 0:
            raise DuplicateError(f"schema {schema.key!r} version {schema.version} exists already")

    def get(self, creditor: str, key: str, version: int | None = None) -> DunningSchema | None:
        if version is None:
            row = self._db.execute(
                "SELECT body FROM cf_schemas WHERE creditor = %s AND key = %s "
                "ORDER BY version DESC LIMIT 1",
                (creditor, key),
            ).fetchone()
        else:
            row = self._db.execute(
                "SELECT body FROM cf_schemas WHERE creditor = %s AND key = %s AND version = %s",
                (creditor, key, version),
            ).fetchone()
        return None if row is None else serialization.load(row[0], DunningSchema)


class _Debtors:
    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._db = connection

    def put(self, creditor: str, record: DebtorRecord) -> None:
        from psycopg.types.json import Jsonb

        self._db.execute(
            "INSERT INTO cf_debtors (creditor, code, body) VALUES (%s, %s, %s) "
            "ON CONFLICT (creditor, code) DO UPDATE SET body = excluded.body, updated_at = now()",
            (creditor, record.debtor.code, Jsonb(serialization.dump(record))),
        )

    def get(self, creditor: str, code: str) -> DebtorRecord | None:
        row = self._db.execute(
            "SELECT body FROM cf_debtors WHERE creditor = %s AND code = %s", (creditor, code)
        ).fetchone()
        return None if row is None else serialization.load(row[0], DebtorRecord)


class _Cases:
    def __init__(self, store: PostgresStore, connection: psycopg.Connection[Any]) -> None:
        self._store = store
        self._db = connection

    def append(
        self,
        creditor: str,
        events: Sequence[Event],
        *,
        expected_version: int,
        case: Case,
        next_action_on: dt.date | None,
    ) -> None:
        from psycopg.types.json import Jsonb

        number = case.invoice_number
        row = self._db.execute(
            "SELECT version FROM cf_cases WHERE creditor = %s AND invoice_number = %s FOR UPDATE",
            (creditor, number),
        ).fetchone()
        check_version(number, 0 if row is None else row[0], expected_version)
        check_events(number, events, expected_version)
        values = {
            "creditor": creditor,
            "number": number,
            "debtor": case.debtor_code,
            "version": case.version,
            "status": case.status.value,
            "next": next_action_on,
            "snapshot": Jsonb(serialization.dump(case)),
        }
        if row is None:
            cursor = self._db.execute(
                "INSERT INTO cf_cases (creditor, invoice_number, debtor_code, version, status, "
                "next_action_on, snapshot) VALUES (%(creditor)s, %(number)s, %(debtor)s, "
                "%(version)s, %(status)s, %(next)s, %(snapshot)s) ON CONFLICT DO NOTHING",
                values,
            )
            if cursor.rowcount == 0:  # another writer registered it meanwhile
                raise DuplicateError(f"invoice {number!r} is registered already")
        for event in events:
            cursor = self._db.execute(
                "INSERT INTO cf_events (creditor, invoice_number, sequence, event_id, type, "
                "occurred_on, body) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    creditor,
                    number,
                    event.sequence,
                    uuid.UUID(event.event_id),
                    event.type_name,
                    event.occurred_on,
                    Jsonb(serialization.dump(event)),
                ),
            )
            if cursor.rowcount == 0:  # pragma: no cover - the row lock above prevents this
                raise ConcurrencyError(f"invoice {number!r} got events from another writer first")
        if row is not None:
            self._db.execute(
                "UPDATE cf_cases SET debtor_code = %(debtor)s, version = %(version)s, "
                "status = %(status)s, next_action_on = %(next)s, snapshot = %(snapshot)s, "
                "updated_at = now() WHERE creditor = %(creditor)s AND invoice_number = %(number)s",
                values,
            )

    def load(self, creditor: str, invoice_number: str) -> Case | None:
        row = self._db.execute(
            "SELECT snapshot FROM cf_cases WHERE creditor = %s AND invoice_number = %s",
            (creditor, invoice_number),
        ).fetchone()
        if row is None:
            return None
        try:
            snapshot: Case | None = serialization.load(row[0], Case)
        except StoreError:
            snapshot = None  # snapshots are an optimisation: replay the events instead
        after = 0 if snapshot is None else snapshot.version
        later = self.events(creditor, invoice_number, after=after)
        return rebuild_case(snapshot, later, invoice_number)

    def events(self, creditor: str, invoice_number: str, *, after: int = 0) -> Iterator[Event]:
        rows = self._db.execute(
            "SELECT body FROM cf_events WHERE creditor = %s AND invoice_number = %s "
            "AND sequence > %s ORDER BY sequence",
            (creditor, invoice_number, after),
        ).fetchall()
        return iter([serialization.load(body, Event) for (body,) in rows])

    def due(self, creditor: str, today: dt.date, *, limit: int) -> list[str]:
        rows = self._store._claim(
            _CLAIM_DUE, {"creditor": creditor, "today": today, "limit": limit}
        )
        return [number for _, number in sorted((row[0], row[1]) for row in rows)]

    def of_debtor(self, creditor: str, debtor_code: str) -> list[str]:
        rows = self._db.execute(
            "SELECT invoice_number FROM cf_cases WHERE creditor = %s AND debtor_code = %s "
            "ORDER BY created_at, invoice_number",
            (creditor, debtor_code),
        ).fetchall()
        return [number for (number,) in rows]


class _Outbox:
    def __init__(self, store: PostgresStore, connection: psycopg.Connection[Any]) -> None:
        self._store = store
        self._db = connection

    def add(self, creditor: str, entries: Sequence[OutboxEntry]) -> None:
        from psycopg.types.json import Jsonb

        for entry in entries:
            self._db.execute(
                "INSERT INTO cf_outbox (creditor, idempotency_key, invoice_number, type, effect, "
                "available_at, attempts, channel_index, last_error, done) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    creditor,
                    entry.idempotency_key,
                    entry.effect.invoice_number,
                    type(entry.effect).__name__,
                    Jsonb(serialization.dump(entry.effect)),
                    utc(entry.available_at),
                    entry.attempts,
                    entry.channel_index,
                    entry.last_error,
                    entry.done,
                ),
            )

    def pending(self, creditor: str, now: dt.datetime, *, limit: int) -> list[OutboxEntry]:
        rows = self._store._claim(
            _CLAIM_PENDING, {"creditor": creditor, "now": utc(now), "limit": limit}
        )
        rows.sort(key=lambda row: (row[0], row[1]))
        return [
            OutboxEntry(
                effect=serialization.load(effect, Effect),
                available_at=available_at,
                attempts=attempts,
                channel_index=channel_index,
                last_error=last_error,
                done=done,
            )
            for available_at, _, effect, attempts, channel_index, last_error, done in rows
        ]

    def update(self, creditor: str, entry: OutboxEntry) -> None:
        cursor = self._db.execute(
            "UPDATE cf_outbox SET available_at = %s, attempts = %s, channel_index = %s, "
            "last_error = %s, done = %s, leased_by = NULL, leased_until = NULL, "
            "updated_at = now() WHERE creditor = %s AND idempotency_key = %s",
            (
                utc(entry.available_at),
                entry.attempts,
                entry.channel_index,
                entry.last_error,
                entry.done,
                creditor,
                entry.idempotency_key,
            ),
        )
        if cursor.rowcount == 0:
            raise ValidationError(f"no outbox entry {entry.idempotency_key!r} to update")


class _PostgresUnitOfWork:
    """One transaction (or, nested in another unit of work of the same thread, a savepoint)."""

    def __init__(
        self, store: PostgresStore, connection: psycopg.Connection[Any], savepoint: str | None
    ) -> None:
        self.connection = connection
        self.savepoint = savepoint
        self.schemas = _Schemas(connection)
        self.debtors = _Debtors(connection)
        self.cases = _Cases(store, connection)
        self.outbox = _Outbox(store, connection)

    def begin(self) -> None:
        if self.savepoint is not None:
            self.connection.execute(f"SAVEPOINT {self.savepoint}")

    def commit(self) -> None:
        """Make the work durable (a nested unit of work: part of the outer one's transaction)."""
        if self.savepoint is None:
            self.connection.commit()
        else:
            self.connection.execute(f"RELEASE SAVEPOINT {self.savepoint}")
            self.begin()

    def rollback(self) -> None:
        if self.savepoint is None:
            self.connection.rollback()
        else:
            self.connection.execute(f"ROLLBACK TO SAVEPOINT {self.savepoint}")
            self.connection.execute(f"RELEASE SAVEPOINT {self.savepoint}")


class PostgresStore:
    """The ``Store`` port on PostgreSQL, with leases for several workers.

    Args:
        dsn: A libpq connection string or URL, e.g. ``"postgresql://app@db/credit"``.
        schema: The PostgreSQL schema for creditflow's tables (created if needed); ``None`` uses
            the connection's ``search_path`` (normally ``public``).
        lease: How long a worker holds the cases and outbox entries it claimed. Longer than a
            batch takes to process; a crashed worker's claims pass to others after it.
        pool_size: Idle connections kept for reuse.
        connect_timeout: Seconds to wait for the server when connecting.

    Raises:
        MissingExtraError: psycopg is not installed (``pip install 'creditflow[postgres]'``).
        StoreError: the server cannot be reached or refuses the login (the message shows the DSN
            with its password redacted), or the database was written by a newer creditflow, or
            its ``cf_meta`` table belongs to something else. Nothing is written then.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        dsn: str,
        *,
        schema: str | None = None,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        pool_size: int = 4,
        connect_timeout: int = 10,
    ) -> None:
        self._pg = _psycopg()
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise ValidationError(
                f"PostgreSQL schema name {schema!r} must be lower-case letters, digits and '_'"
            )
        if lease <= dt.timedelta(0):
            raise ValidationError(f"lease must be positive, got {lease}")
        self._dsn = dsn
        self.schema = schema
        self.lease = lease
        self.pool_size = pool_size
        self.connect_timeout = connect_timeout
        self._worker = f"{socket.gethostname()}/{uuid.uuid4().hex[:12]}"
        self._idle: list[psycopg.Connection[Any]] = []
        self._pool_lock = threading.Lock()
        self._local = threading.local()
        self._closed = False
        connection = self._connect()
        try:
            self._migrate(connection)
        finally:
            connection.close()

    def __repr__(self) -> str:
        return f"<PostgresStore {_redact(self._dsn)!r} schema={self.schema!r}>"

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def worker(self) -> str:
        """Who holds this thread's leases: the store object, process and thread."""
        return f"{self._worker}/{os.getpid()}/{threading.get_ident()}"

    # -- connections --------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        pg = self._pg
        try:
            connection: psycopg.Connection[Any] = pg.connect(
                self._dsn, connect_timeout=self.connect_timeout
            )
        except pg.Error as exc:
            message = str(exc).strip()
            password = _password(self._dsn)
            if password:
                message = message.replace(password, "***")
            raise StoreError(
                f"cannot connect to PostgreSQL at {_redact(self._dsn)!r}: {message}"
            ) from None
        if self.schema is not None:
            from psycopg import sql

            try:
                connection.execute(
                    sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema))
                )
                connection.commit()
            except pg.Error as exc:
                connection.close()
                raise StoreError(
                    f"cannot use schema {self.schema!r} in PostgreSQL at "
                    f"{_redact(self._dsn)!r}: {exc}"
                ) from None
        return connection

    def _acquire(self) -> psycopg.Connection[Any]:
        if self._closed:
            raise StoreError("the PostgreSQL store is closed")
        with self._pool_lock:
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed and not connection.broken:
                    return connection
        return self._connect()

    def _release(self, connection: psycopg.Connection[Any]) -> None:
        if connection.closed or connection.broken:
            return
        try:
            connection.rollback()
        except self._pg.Error:
            connection.close()
            return
        with self._pool_lock:
            if not self._closed and len(self._idle) < self.pool_size:
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        """Close the store's idle connections; leases run out by themselves."""
        with self._pool_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _claim(self, query: str, params: dict[str, Any]) -> list[Any]:
        """Run a lease claim in its own transaction, committed at once."""
        connection = self._acquire()
        try:
            rows = connection.execute(
                query, {**params, "worker": self.worker, "lease": self.lease}
            ).fetchall()
            connection.commit()
        except self._pg.OperationalError as exc:
            raise StoreError(f"PostgreSQL failed while claiming work: {exc}") from None
        finally:
            self._release(connection)
        return list(rows)

    # -- layout --------------------------------------------------------------------------------

    def _migrate(self, connection: psycopg.Connection[Any]) -> None:
        where = _redact(self._dsn) + (f" schema {self.schema}" if self.schema else "")
        try:
            connection.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                (f"creditflow-migrate:{self.schema or ''}",),
            )
            exists = connection.execute("SELECT to_regclass('cf_meta') IS NOT NULL").fetchone()
            current = 0
            if exists is not None and exists[0]:
                meta = dict(connection.execute("SELECT key, value FROM cf_meta").fetchall())
                if meta.get("application") != "creditflow":
                    raise StoreError(
                        f"the cf_meta table in {where!r} does not belong to creditflow; use "
                        f"another schema=..."
                    )
                current = int(meta.get("schema_version", 0))
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"database {where!r} has layout version {current}, written by a newer "
                    f"creditflow; this creditflow knows versions up to {SCHEMA_VERSION}. Upgrade "
                    f"creditflow (never downgrade a database)"
                )
            if current < SCHEMA_VERSION and self.schema is not None:
                from psycopg import sql

                connection.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
                )
            for statements in _MIGRATIONS[current:]:
                for statement in statements:
                    connection.execute(statement)
            if current < SCHEMA_VERSION:
                connection.execute(
                    "INSERT INTO cf_meta (key, value) VALUES ('application', 'creditflow'), "
                    "('schema_version', %s), ('migrated_at', now()::text) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(SCHEMA_VERSION),),
                )
            connection.commit()
        except BaseException:
            connection.rollback()
            raise

    def schema_version(self) -> int:
        """The layout version of the database."""
        connection = self._acquire()
        try:
            row = connection.execute(
                "SELECT value FROM cf_meta WHERE key = 'schema_version'"
            ).fetchone()
            return int(row[0]) if row else 0
        finally:
            self._release(connection)

    # -- units of work ---------------------------------------------------------------------------

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """Begin a unit of work: one transaction (READ COMMITTED; appends lock their case row).

        Raises:
            StoreError: the connection to PostgreSQL failed.
        """
        stack: list[_PostgresUnitOfWork] = self._local.__dict__.setdefault("stack", [])
        if stack:
            uow = _PostgresUnitOfWork(self, stack[-1].connection, f"cf_uow_{len(stack)}")
            uow.begin()
            stack.append(uow)
            try:
                yield uow
            finally:
                stack.pop()
                if not uow.connection.broken:
                    uow.rollback()
            return
        connection = self._acquire()
        uow = _PostgresUnitOfWork(self, connection, None)
        stack.append(uow)
        try:
            yield uow
        except self._pg.OperationalError as exc:
            raise StoreError(f"PostgreSQL failed during a unit of work: {exc}") from exc
        finally:
            stack.pop()
            self._release(connection)  # rolls back whatever was not committed
