"""What ``PostgresStore`` adds to the contract: leases, clear connection errors, layout checks."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import attrs
import pytest
from _store_samples import CREDITOR, DAY, every_effect, new_case

from creditflow.errors import MissingExtraError, StoreError
from creditflow.ports import OutboxEntry, Store

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.postgres


def _register(store: Store, number: str, next_action_on: dt.date | None = DAY) -> None:
    first, case = new_case(number)
    with store.unit_of_work() as uow:
        uow.cases.append(
            CREDITOR, [first], expected_version=0, case=case, next_action_on=next_action_on
        )
        uow.commit()


def _due(store: Store, limit: int = 10) -> list[str]:
    with store.unit_of_work() as uow:
        return uow.cases.due(CREDITOR, DAY, limit=limit)


def _pending(store: Store) -> list[str]:
    with store.unit_of_work() as uow:
        return [e.idempotency_key for e in uow.outbox.pending(CREDITOR, NOW, limit=10)]


def _queue(store: Store, number: str, key: str) -> OutboxEntry:
    effect = attrs.evolve(every_effect(number)[0], idempotency_key=key)
    entry = OutboxEntry(effect=effect, available_at=NOW)
    with store.unit_of_work() as uow:
        uow.outbox.add(CREDITOR, [entry])
        uow.commit()
    return entry


class TestLeases:
    def test_due_cases_go_to_one_worker(self, make_postgres_store: Callable[..., Store]) -> None:
        """Cases one worker claimed are not given to another while the lease runs."""
        first, second = make_postgres_store(), make_postgres_store()
        for number in ("A", "B", "C"):
            _register(first, number)
        assert _due(first, limit=2) == ["A", "B"]
        assert _due(second) == ["C"]
        assert _due(second) == ["C"]
        assert _due(first) == ["A", "B"], "a worker gets its own leased cases back"

    def test_threads_are_different_workers(self, make_postgres_store: Callable[..., Store]) -> None:
        """Two threads sharing one store object do not get the same cases."""
        store = make_postgres_store()
        for number in ("A", "B"):
            _register(store, number)
        assert _due(store, limit=1) == ["A"]
        seen: list[list[str]] = []
        thread = threading.Thread(target=lambda: seen.append(_due(store)))
        thread.start()
        thread.join()
        assert seen == [["B"]]

    def test_lease_expires_after_a_crash(self, make_postgres_store: Callable[..., Store]) -> None:
        """A crashed worker's cases go to another worker once its lease ran out."""
        crashed = make_postgres_store(lease=dt.timedelta(seconds=0.5))
        survivor = make_postgres_store()
        _register(crashed, "A")
        assert _due(crashed) == ["A"]
        assert _due(survivor) == []
        time.sleep(0.7)
        assert _due(survivor) == ["A"]
        assert _due(crashed) == []

    def test_outbox_entries_go_to_one_worker(
        self, make_postgres_store: Callable[..., Store]
    ) -> None:
        """An outbox entry is claimed by one worker until stored again or expired."""
        first, second = make_postgres_store(), make_postgres_store()
        entry = _queue(first, "INV-1", "k-1")
        assert _pending(first) == ["k-1"]
        assert _pending(second) == []
        retry = attrs.evolve(entry, attempts=1)
        with first.unit_of_work() as uow:
            uow.outbox.update(CREDITOR, retry)  # storing the new state ends the lease
            uow.commit()
        assert _pending(second) == ["k-1"]

    def test_entries_of_a_leased_case_stay_with_its_worker(
        self, make_postgres_store: Callable[..., Store]
    ) -> None:
        """Effects of a case another worker holds wait for that worker (or its lease's end)."""
        first, second = make_postgres_store(), make_postgres_store()
        _register(first, "INV-1")
        _register(first, "INV-2")
        _queue(first, "INV-1", "k-1")
        _queue(first, "INV-2", "k-2")
        assert _due(first, limit=1) == ["INV-1"]
        assert _pending(second) == ["k-2"]
        assert _pending(first) == ["k-1"]


class TestConnecting:
    def test_unreachable_server_password_redacted(self) -> None:
        """A DSN that reaches no server is a StoreError that shows the DSN without password."""
        from creditflow.adapters.postgres import PostgresStore

        with pytest.raises(StoreError) as raised:
            PostgresStore("postgresql://app:s3cr3t-pw@127.0.0.1:1/credit", connect_timeout=2)
        message = str(raised.value)
        assert "s3cr3t-pw" not in message
        assert "password=***" in message
        assert "127.0.0.1" in message
        assert "cannot connect to PostgreSQL" in message

    def test_unknown_database(self, postgres_dsn: str) -> None:
        """A database that does not exist is named in the StoreError."""
        from creditflow.adapters.postgres import PostgresStore

        with pytest.raises(StoreError, match="no_such_db"):
            PostgresStore(postgres_dsn + " dbname=no_such_db password=hunter2")

    def test_malformed_dsn(self) -> None:
        """A DSN that cannot be parsed is a StoreError too."""
        from creditflow.adapters.postgres import PostgresStore

        with pytest.raises(StoreError, match="cannot connect"):
            PostgresStore("host=x password=abc garbage")

    def test_missing_psycopg(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without psycopg the store says which extra to install."""
        from creditflow.adapters.postgres import PostgresStore

        monkeypatch.setitem(sys.modules, "psycopg", None)
        with pytest.raises(MissingExtraError, match=r"creditflow\[postgres\]"):
            PostgresStore("postgresql://localhost/x")

    def test_importing_the_adapter_does_not_import_psycopg(self) -> None:
        """The psycopg package is imported only when a PostgresStore is created."""
        code = (
            "import sys, creditflow, creditflow.adapters.postgres; "
            "assert 'psycopg' not in sys.modules, 'psycopg imported'"
        )
        subprocess.run([sys.executable, "-c", code], check=True)


class TestLayout:
    def test_newer_database_is_refused_untouched(
        self, make_postgres_store: Callable[..., Store], postgres_dsn: str, postgres_schema: str
    ) -> None:
        """A database with a newer layout is refused, and nothing is written to it."""
        import psycopg

        make_postgres_store()
        with psycopg.connect(postgres_dsn, autocommit=True) as db:
            db.execute(
                f"UPDATE {postgres_schema}.cf_meta SET value = '99' WHERE key = 'schema_version'"
            )
            before = db.execute(
                f"SELECT key, value FROM {postgres_schema}.cf_meta ORDER BY key"
            ).fetchall()
        with pytest.raises(StoreError, match="newer creditflow"):
            make_postgres_store()
        with psycopg.connect(postgres_dsn, autocommit=True) as db:
            after = db.execute(
                f"SELECT key, value FROM {postgres_schema}.cf_meta ORDER BY key"
            ).fetchall()
        assert after == before

    def test_foreign_meta_table_is_refused(
        self, make_postgres_store: Callable[..., Store], postgres_dsn: str, postgres_schema: str
    ) -> None:
        """A cf_meta table of something else is not taken over."""
        import psycopg

        with psycopg.connect(postgres_dsn, autocommit=True) as db:
            db.execute(f"CREATE SCHEMA {postgres_schema}")
            db.execute(f"CREATE TABLE {postgres_schema}.cf_meta (key text PRIMARY KEY, value text)")
            db.execute(f"INSERT INTO {postgres_schema}.cf_meta VALUES ('application', 'other')")
        with pytest.raises(StoreError, match="does not belong to creditflow"):
            make_postgres_store()

    def test_several_processes_opening_at_once_migrate_once(
        self, make_postgres_store: Callable[..., Store]
    ) -> None:
        """Stores opened at the same time on a new schema all work (the migration is locked)."""
        errors: list[BaseException] = []
        stores: list[Store] = []

        def open_store() -> None:
            try:
                stores.append(make_postgres_store())
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_store) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        _register(stores[0], "INV-1")
        assert _due(stores[1]) == ["INV-1"]
