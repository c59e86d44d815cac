"""Storage fixtures: every store kind, and a throw-away PostgreSQL server for the session.

PostgreSQL tests use ``CREDITFLOW_TEST_POSTGRES_DSN`` when it is set (each test then works in a
schema of its own, dropped afterwards). Otherwise a server is started from the local PostgreSQL
binaries by :class:`creditflow.testing.postgres.PostgresServer` (as the ``postgres`` user when
running as root) in a temporary directory, listening on 127.0.0.1 only, and stopped when the
session ends. Where no PostgreSQL is installed those tests are skipped, saying so, unless
``CREDITFLOW_REQUIRE_POSTGRES`` is set (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from creditflow.ports import Store
from creditflow.testing import InMemoryStore

DSN_VARIABLE = "CREDITFLOW_TEST_POSTGRES_DSN"
REQUIRE_VARIABLE = "CREDITFLOW_REQUIRE_POSTGRES"
"""Set (as CI does) to fail instead of skipping when no PostgreSQL can be started."""


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A DSN of a PostgreSQL server for this session (from the environment, or started here)."""
    configured = os.environ.get(DSN_VARIABLE)
    if configured:
        yield configured
        return
    from creditflow.testing.postgres import PostgresServer, postgres_binaries

    if postgres_binaries() is None:
        reason = (
            f"PostgreSQL is not installed (no initdb/pg_ctl found) and {DSN_VARIABLE} is not set"
        )
        if os.environ.get(REQUIRE_VARIABLE):
            pytest.fail(f"{reason}, but {REQUIRE_VARIABLE} says the PostgreSQL tests must run")
        pytest.skip(reason)
    server = PostgresServer()
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
