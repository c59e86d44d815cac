"""What ``SqliteStore`` adds to the contract: files it refuses, migrations, the due index, WAL."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest
from _store_samples import CREDITOR, DAY, debtor_record, new_case

from creditflow.adapters.sqlite import SCHEMA_VERSION, SqliteStore
from creditflow.errors import StoreError


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _register(store: SqliteStore, number: str, next_action_on: dt.date | None) -> None:
    first, case = new_case(number)
    with store.unit_of_work() as uow:
        uow.cases.append(
            CREDITOR, [first], expected_version=0, case=case, next_action_on=next_action_on
        )
        uow.commit()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(tmp_path / "creditflow.db")
    yield store  # type: ignore[misc]
    store.close()


class TestFilesItRefuses:
    def test_not_a_sqlite_file(self, tmp_path: Path) -> None:
        """A file that is not SQLite is refused, naming the path, and left untouched."""
        path = tmp_path / "notes.txt"
        path.write_text("these are my notes, not a database\n" * 100)
        before = _digest(path)
        with pytest.raises(StoreError, match=r"notes\.txt.*not a SQLite database"):
            SqliteStore(path)
        assert _digest(path) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]

    def test_damaged_file(self, tmp_path: Path) -> None:
        """A SQLite header followed by garbage is refused as damaged, and left untouched."""
        path = tmp_path / "broken.db"
        path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 16)
        before = _digest(path)
        with pytest.raises(StoreError, match=r"broken\.db.*not a usable SQLite database"):
            SqliteStore(path)
        assert _digest(path) == before

    def test_foreign_sqlite_database(self, tmp_path: Path) -> None:
        """Another application's SQLite database is refused and left untouched."""
        path = tmp_path / "app.db"
        with closing(sqlite3.connect(path)) as db, db:
            db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
            db.execute("INSERT INTO users (name) VALUES ('ann')")
        before = _digest(path)
        with pytest.raises(StoreError, match=r"app\.db.*not a creditflow database"):
            SqliteStore(path)
        assert _digest(path) == before

    def test_other_application_id(self, tmp_path: Path) -> None:
        """An empty database stamped by another application is refused."""
        path = tmp_path / "stamped.db"
        with closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA application_id = 1234")
        with pytest.raises(StoreError, match="another application"):
            SqliteStore(path)

    def test_database_of_a_newer_creditflow(self, tmp_path: Path) -> None:
        """A database with a newer layout is refused with advice, and left untouched."""
        path = tmp_path / "creditflow.db"
        SqliteStore(path).close()
        with closing(sqlite3.connect(path)) as db, db:
            db.execute("UPDATE cf_meta SET value = '99' WHERE key = 'schema_version'")
        before = _digest(path)
        with pytest.raises(StoreError, match=r"newer creditflow.*Upgrade creditflow"):
            SqliteStore(path)
        assert _digest(path) == before

    def test_a_directory(self, tmp_path: Path) -> None:
        """A directory is not a database file."""
        with pytest.raises(StoreError, match="is a directory"):
            SqliteStore(tmp_path)


class TestLayout:
    def test_new_file_gets_the_current_layout(self, tmp_path: Path) -> None:
        """A new database records creditflow and its layout version, in WAL mode."""
        path = tmp_path / "new.db"
        store = SqliteStore(path)
        assert store.schema_version() == SCHEMA_VERSION
        store.close()
        with closing(sqlite3.connect(path)) as db:
            meta = dict(db.execute("SELECT key, value FROM cf_meta").fetchall())
            assert meta["application"] == "creditflow"
            assert meta["schema_version"] == str(SCHEMA_VERSION)
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION

    def test_reopening_keeps_the_data(self, tmp_path: Path) -> None:
        """Closing and opening again finds everything, without migrating twice."""
        path = tmp_path / "creditflow.db"
        store = SqliteStore(path)
        _register(store, "INV-1", DAY)
        store.close()
        with closing(sqlite3.connect(path)) as db:
            migrated = db.execute("SELECT value FROM cf_meta WHERE key = 'migrated_at'").fetchone()
        store = SqliteStore(path)
        with store.unit_of_work() as uow:
            assert uow.cases.due(CREDITOR, DAY, limit=10) == ["INV-1"]
        store.close()
        with closing(sqlite3.connect(path)) as db:
            again = db.execute("SELECT value FROM cf_meta WHERE key = 'migrated_at'").fetchone()
        assert again == migrated

    def test_in_memory(self) -> None:
        """``:memory:`` works, across units of work and threads, until closed."""
        store = SqliteStore(":memory:")
        _register(store, "INV-1", DAY)
        seen: list[list[str]] = []

        def look() -> None:
            with store.unit_of_work() as uow:
                seen.append(uow.cases.due(CREDITOR, DAY, limit=10))

        thread = threading.Thread(target=look)
        thread.start()
        thread.join()
        assert seen == [["INV-1"]]
        store.close()

    def test_two_stores_on_one_file(self, tmp_path: Path) -> None:
        """Two store objects on one file (as two processes would) see each other's commits."""
        first = SqliteStore(tmp_path / "shared.db")
        second = SqliteStore(tmp_path / "shared.db")
        _register(first, "INV-1", DAY)
        with second.unit_of_work() as uow:
            assert uow.cases.due(CREDITOR, DAY, limit=10) == ["INV-1"]
        first.close()
        second.close()

    def test_backup(self, sqlite_store: SqliteStore, tmp_path: Path) -> None:
        """``backup`` writes a consistent copy that opens as a store."""
        _register(sqlite_store, "INV-1", DAY)
        sqlite_store.backup(tmp_path / "copy.db")
        copy = SqliteStore(tmp_path / "copy.db")
        with copy.unit_of_work() as uow:
            assert uow.cases.load(CREDITOR, "INV-1") == new_case("INV-1")[1]
        copy.close()

    def test_unreadable_snapshot_is_rebuilt_from_events(self, sqlite_store: SqliteStore) -> None:
        """Snapshots are an optimisation: a damaged one is replaced by replaying the events."""
        _register(sqlite_store, "INV-1", DAY)
        with closing(sqlite3.connect(sqlite_store.path)) as db, db:
            db.execute("UPDATE cf_cases SET snapshot = '{\"broken\": true}'")
        with sqlite_store.unit_of_work() as uow:
            assert uow.cases.load(CREDITOR, "INV-1") == new_case("INV-1")[1]


class TestNestedUnitsOfWork:
    def test_inner_commit_waits_for_the_outer(self, sqlite_store: SqliteStore) -> None:
        """A nested unit of work is a savepoint: durable only when the outer one commits."""
        with sqlite_store.unit_of_work() as outer:
            with sqlite_store.unit_of_work() as inner:
                inner.debtors.put(CREDITOR, debtor_record("D-1"))
                inner.commit()
            assert outer.debtors.get(CREDITOR, "D-1") is not None
        with sqlite_store.unit_of_work() as uow:
            assert uow.debtors.get(CREDITOR, "D-1") is None

    def test_inner_rollback_keeps_the_outer(self, sqlite_store: SqliteStore) -> None:
        """A nested unit of work left without commit undoes only its own work."""
        with sqlite_store.unit_of_work() as outer:
            outer.debtors.put(CREDITOR, debtor_record("D-1"))
            with sqlite_store.unit_of_work() as inner:
                inner.debtors.put(CREDITOR, debtor_record("D-2"))
            outer.commit()
        with sqlite_store.unit_of_work() as uow:
            assert uow.debtors.get(CREDITOR, "D-1") is not None
            assert uow.debtors.get(CREDITOR, "D-2") is None


class TestDueIndex:
    def test_due_query_uses_the_index(self, sqlite_store: SqliteStore) -> None:
        """``due`` searches the (creditor, next_action_on) index: no table scan, no sort."""
        from creditflow.adapters.sqlite import _DUE_QUERY, _PENDING_QUERY

        with closing(sqlite3.connect(sqlite_store.path)) as db:
            plan = " | ".join(
                row[3]
                for row in db.execute(
                    "EXPLAIN QUERY PLAN " + _DUE_QUERY, (CREDITOR, DAY.isoformat(), 10)
                )
            )
            assert "USING COVERING INDEX cf_cases_due" in plan, plan
            assert "SCAN" not in plan, plan
            assert "TEMP B-TREE" not in plan, plan
            plan = " | ".join(
                row[3]
                for row in db.execute(
                    "EXPLAIN QUERY PLAN " + _PENDING_QUERY, (CREDITOR, "2026-01-05T00:00:00", 10)
                )
            )
            assert "USING INDEX cf_outbox_pending" in plan, plan

    def test_cost_does_not_grow_with_open_cases(self, tmp_path: Path) -> None:
        """Finding 3 due cases costs the same among 20 or 2,000 open cases that are not due."""

        def steps(open_cases: int) -> int:
            store = SqliteStore(tmp_path / f"{open_cases}.db")
            with store.unit_of_work() as uow:
                for i in range(open_cases):
                    first, case = new_case(f"LATER-{i:05}")
                    uow.cases.append(
                        CREDITOR,
                        [first],
                        expected_version=0,
                        case=case,
                        next_action_on=DAY + dt.timedelta(days=1 + i % 300),
                    )
                uow.commit()
            for i in range(3):
                _register(store, f"DUE-{i}", DAY)
            store.close()
            counter = [0]
            with closing(sqlite3.connect(tmp_path / f"{open_cases}.db")) as db:

                def count() -> int:
                    counter[0] += 1
                    return 0

                db.set_progress_handler(count, 1)
                from creditflow.adapters.sqlite import _DUE_QUERY

                rows = db.execute(_DUE_QUERY, (CREDITOR, DAY.isoformat(), 100)).fetchall()
                assert len(rows) == 3
            return counter[0]

        assert steps(2000) <= steps(20) + 5
