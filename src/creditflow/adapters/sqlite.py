"""The embedded default store: one SQLite file, on the standard library's :mod:`sqlite3`.

``SqliteStore("credit.db")`` keeps everything creditflow stores in one file: the events (the
truth, append-only), case snapshots with the due-date index, debtors, all schema versions and the
outbox of side effects. It serves one process (threads included); for several worker processes
or machines use :class:`creditflow.adapters.postgres.PostgresStore`.

Each unit of work is one SQLite transaction, begun with ``BEGIN IMMEDIATE`` so writers queue up
instead of failing half-way; the database runs in WAL mode, so readers never wait for a writer.
The database's layout is versioned: opening a file of an older creditflow migrates it, a file of a
newer creditflow is refused, and so is any file that is not a creditflow database.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final, Literal

from .. import serialization
from ..engine._case import Case
from ..engine._effects import Effect
from ..engine._schema import DunningSchema
from ..errors import ConcurrencyError, DuplicateError, StoreError, ValidationError
from ..events import Event
from ..ports import DebtorRecord, OutboxEntry, UnitOfWork
from ._records import check_events, check_version, rebuild_case, utc_text

__all__ = ["SqliteStore"]

SCHEMA_VERSION: Final = 1
"""The layout version this creditflow writes (kept in the ``cf_meta`` table)."""

APPLICATION_ID: Final = 0x4346_4C57
"""Written into the SQLite header (``PRAGMA application_id``): "CFLW"."""

_SQLITE_MAGIC: Final = b"SQLite format 3\x00"

Synchronous = Literal["NORMAL", "FULL"]
"""The SQLite ``synchronous`` levels a store may run with."""

# Each entry migrates the layout from version ``index`` to ``index + 1``. Never edit an entry that
# has been released: add a new one.
_MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """CREATE TABLE cf_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        """CREATE TABLE cf_events (
            position INTEGER PRIMARY KEY AUTOINCREMENT,
            creditor TEXT NOT NULL,
            invoice_number TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            event_id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            occurred_on TEXT NOT NULL,
            body TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            UNIQUE (creditor, invoice_number, sequence)
        )""",
        """CREATE TABLE cf_cases (
            creditor TEXT NOT NULL,
            invoice_number TEXT NOT NULL,
            debtor_code TEXT NOT NULL,
            version INTEGER NOT NULL,
            status TEXT NOT NULL,
            next_action_on TEXT,
            snapshot TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (creditor, invoice_number)
        )""",
        """CREATE INDEX cf_cases_due ON cf_cases (creditor, next_action_on, invoice_number)
            WHERE next_action_on IS NOT NULL""",
        "CREATE INDEX cf_cases_debtor ON cf_cases (creditor, debtor_code)",
        """CREATE TABLE cf_debtors (
            creditor TEXT NOT NULL,
            code TEXT NOT NULL,
            body TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (creditor, code)
        )""",
        """CREATE TABLE cf_schemas (
            creditor TEXT NOT NULL,
            key TEXT NOT NULL,
            version INTEGER NOT NULL,
            body TEXT NOT NULL,
            registered_at TEXT NOT NULL,
            PRIMARY KEY (creditor, key, version)
        )""",
        """CREATE TABLE cf_outbox (
            creditor TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            invoice_number TEXT NOT NULL,
            type TEXT NOT NULL,
            effect TEXT NOT NULL,
            available_at TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            channel_index INTEGER NOT NULL,
            last_error TEXT,
            done INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (creditor, idempotency_key)
        )""",
        "CREATE INDEX cf_outbox_pending ON cf_outbox (creditor, done, available_at)",
    ),
)


def _now_text() -> str:
    return utc_text(dt.datetime.now(dt.UTC))


def _is_memory(path: str) -> bool:
    return path == ":memory:" or path.startswith("file::memory:")


class _Schemas:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def add(self, creditor: str, schema: DunningSchema) -> None:
        try:
            self._db.execute(
                "INSERT INTO cf_schemas (creditor, key, version, body, registered_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (creditor, schema.key, schema.version, serialization.dumps(schema), _now_text()),
            )
        except sqlite3.IntegrityError:
            raise DuplicateError(
                f"schema {schema.key!r} version {schema.version} exists already"
            ) from None

    def get(self, creditor: str, key: str, version: int | None = None) -> DunningSchema | None:
        if version is None:
            row = self._db.execute(
                "SELECT body FROM cf_schemas WHERE creditor = ? AND key = ? "
                "ORDER BY version DESC LIMIT 1",
                (creditor, key),
            ).fetchone()
        else:
            row = self._db.execute(
                "SELECT body FROM cf_schemas WHERE creditor = ? AND key = ? AND version = ?",
                (creditor, key, version),
            ).fetchone()
        return None if row is None else serialization.loads(row[0], DunningSchema)


class _Debtors:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def put(self, creditor: str, record: DebtorRecord) -> None:
        self._db.execute(
            "INSERT INTO cf_debtors (creditor, code, body, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (creditor, code) DO UPDATE SET body = excluded.body, "
            "updated_at = excluded.updated_at",
            (creditor, record.debtor.code, serialization.dumps(record), _now_text()),
        )

    def get(self, creditor: str, code: str) -> DebtorRecord | None:
        row = self._db.execute(
            "SELECT body FROM cf_debtors WHERE creditor = ? AND code = ?", (creditor, code)
        ).fetchone()
        return None if row is None else serialization.loads(row[0], DebtorRecord)


class _Cases:
    def __init__(self, connection: sqlite3.Connection) -> None:
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
        number = case.invoice_number
        row = self._db.execute(
            "SELECT version FROM cf_cases WHERE creditor = ? AND invoice_number = ?",
            (creditor, number),
        ).fetchone()
        check_version(number, 0 if row is None else row[0], expected_version)
        check_events(number, events, expected_version)
        now = _now_text()
        try:
            self._db.executemany(
                "INSERT INTO cf_events (creditor, invoice_number, sequence, event_id, type, "
                "occurred_on, body, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        creditor,
                        number,
                        event.sequence,
                        event.event_id,
                        event.type_name,
                        event.occurred_on.isoformat(),
                        serialization.dumps(event),
                        now,
                    )
                    for event in events
                ],
            )
        except sqlite3.IntegrityError:
            raise ConcurrencyError(
                f"invoice {number!r} got events from another writer first"
            ) from None
        values = (
            case.debtor_code,
            case.version,
            case.status.value,
            None if next_action_on is None else next_action_on.isoformat(),
            serialization.dumps(case),
            now,
        )
        if row is None:
            self._db.execute(
                "INSERT INTO cf_cases (debtor_code, version, status, next_action_on, snapshot, "
                "updated_at, creditor, invoice_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, creditor, number),
            )
        else:
            self._db.execute(
                "UPDATE cf_cases SET debtor_code = ?, version = ?, status = ?, "
                "next_action_on = ?, snapshot = ?, updated_at = ? "
                "WHERE creditor = ? AND invoice_number = ?",
                (*values, creditor, number),
            )

    def load(self, creditor: str, invoice_number: str) -> Case | None:
        row = self._db.execute(
            "SELECT snapshot FROM cf_cases WHERE creditor = ? AND invoice_number = ?",
            (creditor, invoice_number),
        ).fetchone()
        if row is None:
            return None
        try:
            snapshot: Case | None = serialization.loads(row[0], Case)
        except StoreError:
            snapshot = None  # snapshots are an optimisation: replay the events instead
        after = 0 if snapshot is None else snapshot.version
        return rebuild_case(
            snapshot, self.events(creditor, invoice_number, after=after), invoice_number
        )

    def events(self, creditor: str, invoice_number: str, *, after: int = 0) -> Iterator[Event]:
        rows = self._db.execute(
            "SELECT body FROM cf_events WHERE creditor = ? AND invoice_number = ? "
            "AND sequence > ? ORDER BY sequence",
            (creditor, invoice_number, after),
        ).fetchall()
        return iter([serialization.loads(body, Event) for (body,) in rows])

    def due(self, creditor: str, today: dt.date, *, limit: int) -> list[str]:
        rows = self._db.execute(_DUE_QUERY, (creditor, today.isoformat(), limit)).fetchall()
        return [number for (number,) in rows]

    def of_debtor(self, creditor: str, debtor_code: str) -> list[str]:
        rows = self._db.execute(
            "SELECT invoice_number FROM cf_cases WHERE creditor = ? AND debtor_code = ? "
            "ORDER BY rowid",
            (creditor, debtor_code),
        ).fetchall()
        return [number for (number,) in rows]


_DUE_QUERY: Final = (
    "SELECT invoice_number FROM cf_cases "
    "WHERE creditor = ? AND next_action_on IS NOT NULL AND next_action_on <= ? "
    "ORDER BY next_action_on, invoice_number LIMIT ?"
)

_PENDING_QUERY: Final = (
    "SELECT effect, available_at, attempts, channel_index, last_error, done FROM cf_outbox "
    "WHERE creditor = ? AND done = 0 AND available_at <= ? "
    "ORDER BY available_at, idempotency_key LIMIT ?"
)


class _Outbox:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def add(self, creditor: str, entries: Sequence[OutboxEntry]) -> None:
        now = _now_text()
        self._db.executemany(
            "INSERT INTO cf_outbox (creditor, idempotency_key, invoice_number, type, effect, "
            "available_at, attempts, channel_index, last_error, done, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (creditor, idempotency_key) DO NOTHING",
            [
                (
                    creditor,
                    entry.idempotency_key,
                    entry.effect.invoice_number,
                    type(entry.effect).__name__,
                    serialization.dumps(entry.effect),
                    utc_text(entry.available_at),
                    entry.attempts,
                    entry.channel_index,
                    entry.last_error,
                    int(entry.done),
                    now,
                    now,
                )
                for entry in entries
            ],
        )

    def pending(self, creditor: str, now: dt.datetime, *, limit: int) -> list[OutboxEntry]:
        rows = self._db.execute(_PENDING_QUERY, (creditor, utc_text(now), limit)).fetchall()
        return [
            OutboxEntry(
                effect=serialization.loads(effect, Effect),
                available_at=dt.datetime.fromisoformat(available_at),
                attempts=attempts,
                channel_index=channel_index,
                last_error=last_error,
                done=bool(done),
            )
            for effect, available_at, attempts, channel_index, last_error, done in rows
        ]

    def update(self, creditor: str, entry: OutboxEntry) -> None:
        cursor = self._db.execute(
            "UPDATE cf_outbox SET available_at = ?, attempts = ?, channel_index = ?, "
            "last_error = ?, done = ?, updated_at = ? WHERE creditor = ? AND idempotency_key = ?",
            (
                utc_text(entry.available_at),
                entry.attempts,
                entry.channel_index,
                entry.last_error,
                int(entry.done),
                _now_text(),
                creditor,
                entry.idempotency_key,
            ),
        )
        if cursor.rowcount == 0:
            raise ValidationError(f"no outbox entry {entry.idempotency_key!r} to update")


class _SqliteUnitOfWork:
    """One transaction (or, nested in another unit of work of the same thread, a savepoint)."""

    def __init__(self, connection: sqlite3.Connection, savepoint: str | None) -> None:
        self.connection = connection
        self.savepoint = savepoint
        self.schemas = _Schemas(connection)
        self.debtors = _Debtors(connection)
        self.cases = _Cases(connection)
        self.outbox = _Outbox(connection)

    def begin(self) -> None:
        if self.savepoint is None:
            self.connection.execute("BEGIN IMMEDIATE")
        else:
            self.connection.execute(f"SAVEPOINT {self.savepoint}")

    def commit(self) -> None:
        """Make the work durable (a nested unit of work: part of the outer one's transaction)."""
        if self.savepoint is None:
            self.connection.execute("COMMIT")
        else:
            self.connection.execute(f"RELEASE SAVEPOINT {self.savepoint}")
        self.begin()  # what follows in the with-block is a new unit of work

    def rollback(self) -> None:
        if self.savepoint is None:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
        else:
            self.connection.execute(f"ROLLBACK TO SAVEPOINT {self.savepoint}")
            self.connection.execute(f"RELEASE SAVEPOINT {self.savepoint}")


class SqliteStore:
    """The ``Store`` port on one SQLite file (or ``":memory:"``).

    Args:
        path: The database file; created with its tables when it does not exist. ``":memory:"``
            keeps everything in memory for the life of the store (tests, simulations).
        timeout: Seconds a unit of work waits for another writer before it fails.
        synchronous: SQLite's ``synchronous`` level. ``"NORMAL"`` (the default) does not wait for
            the disk at every commit: in WAL mode a crash of the process or the host application
            loses nothing, and a power cut can lose at most the last transactions, whose effects
            are then delivered again under the same idempotency keys (which every port must
            recognise). ``"FULL"`` waits for the disk at every commit, several times slower.

    Raises:
        StoreError: the file is not a SQLite database, is damaged, belongs to another
            application, or was written by a newer creditflow. Nothing is written to it then.

    A unit of work is a transaction: ``uow.commit()`` makes it durable, leaving the ``with`` block
    without it rolls it back. Units of work of different threads run one after the other (each
    thread uses its own connection); a unit of work opened inside another one of the same thread
    becomes a savepoint of the outer transaction, durable only when the outer one commits.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        synchronous: Synchronous = "NORMAL",
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValidationError(
                f"synchronous {synchronous!r} is not 'NORMAL' or 'FULL'; creditflow needs one of them"
            )
        self.path = os.fspath(path)
        self.timeout = timeout
        self.synchronous: Synchronous = synchronous
        self._memory = _is_memory(self.path)
        self._idle: list[sqlite3.Connection] = []
        self._all: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._memory_lock = threading.RLock()
        self._local = threading.local()
        self._closed = False
        if not self._memory:
            _check_file(Path(self.path))
        connection = self._connect()
        try:
            _open_database(connection, self.path, memory=self._memory)
        except BaseException:
            self._discard(connection)
            raise
        self._idle.append(connection)

    def __repr__(self) -> str:
        return f"<SqliteStore {self.path!r}>"

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- connections ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(
                self.path,
                timeout=self.timeout,
                isolation_level=None,  # transactions are begun and ended explicitly
                check_same_thread=False,  # one unit of work at a time uses a connection
                uri=self.path.startswith("file:"),
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.path!r}: {exc}") from None
        self._all.append(connection)
        return connection

    def _discard(self, connection: sqlite3.Connection) -> None:
        connection.close()
        with self._pool_lock:
            if connection in self._all:
                self._all.remove(connection)

    def _acquire(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"the store {self.path!r} is closed")
        with self._pool_lock:
            if self._idle:
                return self._idle.pop()
        connection = self._connect()
        _configure(connection, self.timeout, self.synchronous)
        return connection

    def _release(self, connection: sqlite3.Connection) -> None:
        with self._pool_lock:
            if not self._closed:
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        """Close the store's connections (a ``:memory:`` database is gone afterwards)."""
        with self._pool_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    # -- units of work ---------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection for this thread's use only (the one connection of a memory database)."""
        if self._memory:
            self._memory_lock.acquire()
        try:
            connection = self._acquire()
            try:
                yield connection
            except BaseException:
                if connection.in_transaction:  # a failed rollback: do not reuse the connection
                    self._discard(connection)
                else:
                    self._release(connection)
                raise
            self._release(connection)
        finally:
            if self._memory:
                self._memory_lock.release()

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """Begin a unit of work: one ``BEGIN IMMEDIATE`` transaction.

        Raises:
            StoreError: the database stayed locked by another writer for ``timeout`` seconds.
        """
        stack: list[_SqliteUnitOfWork] = self._local.__dict__.setdefault("stack", [])
        if stack:
            uow = _SqliteUnitOfWork(stack[-1].connection, f"cf_uow_{len(stack)}")
            uow.begin()
            stack.append(uow)
            try:
                yield uow
            finally:
                stack.pop()
                uow.rollback()
            return
        with self._connection() as connection:
            uow = _SqliteUnitOfWork(connection, None)
            try:
                uow.begin()
            except sqlite3.OperationalError as exc:
                raise StoreError(
                    f"SQLite database {self.path!r} stayed locked by another writer for "
                    f"{self.timeout} s ({exc}); retry later or raise the timeout"
                ) from None
            stack.append(uow)
            try:
                yield uow
            finally:
                stack.pop()
                uow.rollback()

    def backup(self, target: str | os.PathLike[str]) -> None:
        """Copy the whole database, consistently, to the file *target* (while in use).

        Uses SQLite's online backup: units of work may go on meanwhile. Restore by opening the
        copy with ``SqliteStore(target)``.
        """
        with self._connection() as source:
            destination = sqlite3.connect(os.fspath(target))
            try:
                source.backup(destination)
            finally:
                destination.close()

    def schema_version(self) -> int:
        """The layout version of the open database."""
        with self._connection() as connection:
            row = connection.execute(
                "SELECT value FROM cf_meta WHERE key = 'schema_version'"
            ).fetchone()
            return int(row[0])


def _check_file(path: Path) -> None:
    """Refuse what is not a SQLite file before SQLite touches it."""
    if path.is_dir():
        raise StoreError(f"{str(path)!r} is a directory, not a SQLite database file")
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"cannot read {str(path)!r}: {exc}") from None
    if head and head != _SQLITE_MAGIC:
        raise StoreError(
            f"{str(path)!r} is not a SQLite database (it does not start with the SQLite header); "
            f"give creditflow a new file or one it created"
        )


def _configure(
    connection: sqlite3.Connection, timeout: float, synchronous: Synchronous = "NORMAL"
) -> None:
    connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    connection.execute(f"PRAGMA synchronous = {synchronous}")


def _open_database(connection: sqlite3.Connection, path: str, *, memory: bool) -> None:
    """Check that *connection* holds a creditflow database (or none yet); migrate it."""
    try:
        _configure(connection, 30.0)
        tables = {
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            ).fetchall()
        }
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        _check_ownership(connection, path, tables, application_id)
        if not memory:
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - file systems without shared memory
                raise StoreError(f"SQLite database {path!r} cannot use WAL mode (got {mode!r})")
        connection.execute("BEGIN IMMEDIATE")
        try:
            _migrate(connection, path)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path!r} is not a usable SQLite database ({exc}); it may be damaged or not a "
            f"database at all. Restore it from a backup or give creditflow a new file"
        ) from None


def _check_ownership(
    connection: sqlite3.Connection, path: str, tables: set[str], application_id: int
) -> None:
    if application_id not in (0, APPLICATION_ID):
        raise StoreError(
            f"SQLite database {path!r} belongs to another application "
            f"(application_id {application_id:#x}); give creditflow its own file"
        )
    if not tables:
        return
    if "cf_meta" not in tables:
        raise StoreError(
            f"SQLite database {path!r} is not a creditflow database (it has tables "
            f"{sorted(tables)[:5]} but no cf_meta); give creditflow its own file"
        )
    meta = dict(connection.execute("SELECT key, value FROM cf_meta").fetchall())
    if meta.get("application") != "creditflow":
        raise StoreError(f"SQLite database {path!r} is not a creditflow database")
    _refuse_newer(path, int(meta.get("schema_version", 0)))


def _refuse_newer(path: str, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"database {path!r} has layout version {version}, written by a newer creditflow; "
            f"this creditflow knows versions up to {SCHEMA_VERSION}. Upgrade creditflow (never "
            f"downgrade a database)"
        )


def _migrate(connection: sqlite3.Connection, path: str) -> None:
    """Bring the layout to :data:`SCHEMA_VERSION` (inside the caller's transaction)."""
    has_meta = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cf_meta'"
    ).fetchone()
    current = 0
    if has_meta:
        row = connection.execute(
            "SELECT value FROM cf_meta WHERE key = 'schema_version'"
        ).fetchone()
        current = int(row[0]) if row else 0
    _refuse_newer(path, current)
    if current == SCHEMA_VERSION:
        return
    for statements in _MIGRATIONS[current:]:
        for statement in statements:
            connection.execute(statement)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.executemany(
        "INSERT INTO cf_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [
            ("application", "creditflow"),
            ("schema_version", str(SCHEMA_VERSION)),
            ("migrated_at", _now_text()),
        ],
    )
