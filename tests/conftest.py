"""Storage fixtures: every store kind, and a throw-away PostgreSQL server for the session.

PostgreSQL tests use ``CREDITFLOW_TEST_POSTGRES_DSN`` when it is set (each test then works in a
schema of its own, dropped afterwards). Otherwise a server is started from the local PostgreSQL
binaries (``initdb``/``pg_ctl``; as the ``postgres`` user when running as root) in a temporary
directory, listening on 127.0.0.1 only, and stopped when the session ends. Where no PostgreSQL is
installed those tests are skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from creditflow.ports import Store
from creditflow.testing import InMemoryStore

DSN_VARIABLE = "CREDITFLOW_TEST_POSTGRES_DSN"
_BIN_DIRS = ("/usr/local/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")


def _find(binary: str) -> str | None:
    found = shutil.which(binary)
    if found:
        return found
    for directory in _BIN_DIRS:
        candidate = Path(directory) / binary
        if candidate.exists():
            return str(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Server:
    """A PostgreSQL cluster in a temporary directory, run as ``postgres`` when we are root."""

    def __init__(self, initdb: str, pg_ctl: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="creditflow-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._pg_ctl = pg_ctl
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
            self.root.chmod(0o700)
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            f"-c fsync=off -c max_connections=100"
        )
        self._run(
            pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )

    def _run(self, *command: str) -> None:
        if self._as_root:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def stop(self) -> None:
        try:
            self._run(self._pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A DSN of a PostgreSQL server for this session (from the environment, or started here)."""
    configured = os.environ.get(DSN_VARIABLE)
    if configured:
        yield configured
        return
    initdb, pg_ctl = _find("initdb"), _find("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip(
            f"PostgreSQL is not installed (no initdb/pg_ctl found) and {DSN_VARIABLE} is not set"
        )
    server = _Server(initdb, pg_ctl)
    try:
        yield server.dsn
    finally:
        server.stop()


@pytest.fixture
def postgres_schema(postgres_dsn: str) -> Iterator[str]:
    """A fresh PostgreSQL schema name for one test, dropped afterwards."""
    import psycopg
    from psycopg import sql

    name = f"cf_test_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
def make_postgres_store(postgres_dsn: str, postgres_schema: str) -> Iterator[Callable[..., Store]]:
    """Open ``PostgresStore`` instances on the test's own schema (closed at the end)."""
    from creditflow.adapters.postgres import PostgresStore

    opened: list[PostgresStore] = []

    def make(**options: object) -> PostgresStore:
        store = PostgresStore(postgres_dsn, schema=postgres_schema, **options)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store kind in turn: the in-memory fake, SQLite in a file, PostgreSQL."""
    if request.param == "memory":
        yield InMemoryStore()
    elif request.param == "sqlite":
        from creditflow.adapters.sqlite import SqliteStore

        sqlite_store = SqliteStore(tmp_path / "creditflow.db")
        yield sqlite_store
        sqlite_store.close()
    else:
        make = request.getfixturevalue("make_postgres_store")
        yield make()
