"""Worker processes for storage tests: a manager on a real store, deliveries logged to a file.

Run as a script (the crash test starts it and SIGKILLs it)::

    python _store_worker.py DB LOG setup INVOICES
    python _store_worker.py DB LOG run [--stall-after-steps N | --stall-after-sends N]

When stalling, the worker prints ``READY`` once it is inside the run at the chosen point and
then sleeps, so the parent can kill it there. ``run_postgres_worker`` is the same worker for
PostgreSQL, started with :mod:`multiprocessing`.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import creditflow as cf
from creditflow.events import Event, MessageSent
from creditflow.ports import OutgoingMessage, Store
from creditflow.testing import SettableClock

NOW = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC)
CREDITOR = cf.Creditor(
    key="acme",
    name="Acme B.V.",
    address=cf.Address(
        street="Keizersgracht 1", postal_code="1015 CJ", city="Amsterdam", country="NL"
    ),
)
SCHEMA = cf.DunningSchema(
    key="standard",
    steps=[
        cf.Step(
            name="reminder",
            trigger=cf.Trigger.days_after_due(7),
            actions=[cf.SendMessage(channel=cf.Channel.EMAIL, payment_link=False)],
        )
    ],
)


class DeliveryLog:
    """A SQLite file that records every ``send`` call and every real delivery, across processes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        with closing(self._db()) as db, db:
            db.execute("CREATE TABLE IF NOT EXISTS calls (key TEXT NOT NULL, pid INTEGER NOT NULL)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS deliveries (key TEXT NOT NULL, reference TEXT NOT NULL)"
            )

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60, isolation_level="IMMEDIATE")

    def send(self, key: str) -> tuple[str, bool]:
        """Record a call for *key*; deliver unless delivered before. Returns (reference, new)."""
        db = self._db()
        try:
            with db:
                db.execute("INSERT INTO calls VALUES (?, ?)", (key, os.getpid()))
                seen = db.execute(
                    "SELECT reference FROM deliveries WHERE key = ?", (key,)
                ).fetchone()
                if seen is not None:  # the channel contract: one delivery per key
                    return str(seen[0]), False
                reference = f"mail-{key}"
                db.execute("INSERT INTO deliveries VALUES (?, ?)", (key, reference))
                return reference, True
        finally:
            db.close()

    def calls(self) -> list[str]:
        """Every key ``send`` was called with, in call order."""
        with closing(self._db()) as db:
            return [key for (key,) in db.execute("SELECT key FROM calls ORDER BY rowid")]

    def deliveries(self) -> list[str]:
        """Every key that was really delivered (once each, unless the contract broke)."""
        with closing(self._db()) as db:
            return [key for (key,) in db.execute("SELECT key FROM deliveries ORDER BY rowid")]


def _stall() -> None:
    print("READY", flush=True)
    time.sleep(3600)


class LoggingChannel:
    """An e-mail channel that keeps to the channel contract and logs to a :class:`DeliveryLog`."""

    def __init__(
        self, log: DeliveryLog, *, stall_after: int | None = None, pause: float = 0
    ) -> None:
        self.log = log
        self.stall_after = stall_after
        self.pause = pause
        self.delivered = 0

    def send(self, message: OutgoingMessage) -> str | None:
        reference, new = self.log.send(message.idempotency_key)
        if self.pause:
            time.sleep(self.pause)
        self.delivered += new
        if self.stall_after is not None and self.delivered >= self.stall_after:
            _stall()  # killed here: delivered, but the outcome is not recorded yet
        return reference


class StallingSink:
    """An event sink that stalls once *stall_after* steps were committed."""

    def __init__(self, stall_after: int) -> None:
        self.stall_after = stall_after
        self.steps = 0

    def publish(self, events: Sequence[Event]) -> None:
        self.steps += sum(e.type_name == "StepExecuted" for e in events)
        if self.steps >= self.stall_after:
            _stall()


class SlowSink:
    """An event sink that takes a little time, as real ones do (so that workers interleave)."""

    def __init__(self, pause: float) -> None:
        self.pause = pause

    def publish(self, events: Sequence[Event]) -> None:
        time.sleep(self.pause)


def make_manager(
    store: Store, channel: Any, *, sink: Any = None, batch_size: int = 500
) -> cf.CreditManager:
    """A manager for the test creditor on *store*, sending e-mail through *channel*."""
    return cf.CreditManager(
        creditor=CREDITOR,
        store=store,
        channels={cf.Channel.EMAIL: channel},
        events=sink,
        clock=SettableClock(NOW),
        send_window=None,
        batch_size=batch_size,
    )


def setup(store: Store, invoices: int) -> list[str]:
    """Register the schema, a debtor and *invoices* overdue invoices; returns their numbers."""
    manager = make_manager(store, channel=None)
    manager.register_schema(SCHEMA)
    manager.upsert_debtor(
        cf.Debtor(
            code="D-1",
            kind=cf.DebtorKind.COMPANY,
            name="Buyer B.V.",
            email="ap@buyer.example",
            address=cf.Address(
                street="Markt 1", postal_code="3511 AA", city="Utrecht", country="NL"
            ),
        )
    )
    numbers = [f"INV-{i:03}" for i in range(invoices)]
    for number in numbers:
        manager.register_invoice(
            cf.Invoice(
                number=number,
                debtor_code="D-1",
                issued_on=dt.date(2025, 12, 1),
                due_on=dt.date(2025, 12, 31),
                currency="EUR",
                total=cf.Money("100.00", "EUR"),
            ),
            schema_key="standard",
        )
    return numbers


def messages_sent(store: Store, numbers: Sequence[str]) -> list[str]:
    """The idempotency keys of every ``MessageSent`` event of the invoices, duplicates kept."""
    keys: list[str] = []
    with store.unit_of_work() as uow:
        for number in numbers:
            keys += [
                e.idempotency_key
                for e in uow.cases.events(CREDITOR.key, number)
                if isinstance(e, MessageSent)
            ]
    return keys


def run_postgres_worker(
    dsn: str, schema: str, log_path: str, start: Any, batch_size: int
) -> dict[str, int]:
    """One worker process: wait at the *start* barrier, then ``run`` against PostgreSQL; return its counts."""
    from creditflow.adapters.postgres import PostgresStore

    store = PostgresStore(dsn, schema=schema)
    try:
        manager = make_manager(
            store,
            LoggingChannel(DeliveryLog(log_path), pause=0.005),
            sink=SlowSink(0.005),
            batch_size=batch_size,
        )
        start.wait(60)  # a barrier: both workers begin together
        report = manager.run(NOW)
        return {
            "due_cases": report.due_cases,
            "steps_executed": report.steps_executed,
            "messages_sent": report.messages_sent,
            "conflicts": report.conflicts,
            "errors": len(report.errors),
        }
    finally:
        store.close()


def postgres_worker_process(
    dsn: str, schema: str, log_path: str, start: Any, batch_size: int, results: Any
) -> None:
    """The body of a worker process: run, then put its counts (or its error) on *results*."""
    try:
        results.put(run_postgres_worker(dsn, schema, log_path, start, batch_size))
    except BaseException as exc:
        results.put({"failed": repr(exc)})
        raise


def main(argv: list[str]) -> None:
    from creditflow.adapters.sqlite import SqliteStore

    db, log_path, command, *options = argv
    store = SqliteStore(db)
    if command == "setup":
        setup(store, int(options[0]))
        return
    stall_steps = stall_sends = None
    if options and options[0] == "--stall-after-steps":
        stall_steps = int(options[1])
    if options and options[0] == "--stall-after-sends":
        stall_sends = int(options[1])
    manager = make_manager(
        store,
        LoggingChannel(DeliveryLog(log_path), stall_after=stall_sends),
        sink=None if stall_steps is None else StallingSink(stall_steps),
    )
    report = manager.run(NOW)
    print(f"DONE {report.messages_sent} {report.conflicts} {len(report.errors)}", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main(sys.argv[1:])
