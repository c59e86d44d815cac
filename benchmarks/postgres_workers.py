"""Scenario 5: one worker process against two, on PostgreSQL, over the same due cases.

A throw-away PostgreSQL server (``creditflow.testing.postgres``) holds a portfolio of D due cases,
loaded fast: two template cases are registered through ``CreditManager`` and cloned with SQL,
like ``_portfolio.build`` does for SQLite. Each measurement runs on a fresh copy of that database
(``CREATE DATABASE ... TEMPLATE``): first one worker process, then two worker processes that
start together at a barrier, each calling ``manager.run(now)``. Every worker's channel appends
each delivered idempotency key to one shared file; a key found there twice is a duplicate.

Throughput is due cases over the wall-clock time from the barrier to the last worker's end.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import pathlib
import tempfile
import time
from typing import Any

from . import _portfolio, _timing

DUE_TEMPLATE = "TPLDUE"
LATER_TEMPLATE = "TPLLATER"


class KeyLogChannel:
    """An e-mail channel that appends each delivered idempotency key to a shared file.

    One ``write`` of one short line to a file opened with ``O_APPEND`` is atomic, so several
    processes can share the file.
    """

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.delivered = 0

    def send(self, message: Any) -> str:
        os.write(self._fd, (message.idempotency_key + "\n").encode())
        self.delivered += 1
        return f"bench-{message.idempotency_key}"

    def close(self) -> None:
        os.close(self._fd)


def _database(dsn: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


def build(server: Any, name: str, *, due: int, later: int) -> None:
    """A database *name* with *due* cases due today and *later* due in 30 days.

    The two template cases are registered through the API (so the rows are exactly what
    creditflow writes); the others are copies with SQL, only the invoice number (and the event
    ids) differ.
    """
    import psycopg

    from creditflow.adapters.postgres import PostgresStore

    _database(server.dsn, f"CREATE DATABASE {name}")
    dsn = server.dsn_for(name)
    with PostgresStore(dsn) as store:
        _portfolio.register_templates(store)
    with psycopg.connect(dsn) as db:
        for template, count, offset in ((DUE_TEMPLATE, due, 0), (LATER_TEMPLATE, later, due)):
            if count <= 0:
                continue
            numbers = (
                "SELECT 'INV' || lpad((i + %(offset)s)::text, 8, '0') AS number "
                "FROM generate_series(1, %(count)s) AS i"
            )
            params = {"template": template, "count": count, "offset": offset}
            db.execute(
                f"""INSERT INTO cf_cases (creditor, invoice_number, debtor_code, version, status,
                        next_action_on, snapshot, created_at, updated_at)
                    SELECT c.creditor, n.number, c.debtor_code, c.version, c.status,
                        c.next_action_on,
                        replace(c.snapshot::text, '"' || c.invoice_number || '"',
                                '"' || n.number || '"')::jsonb,
                        c.created_at, c.updated_at
                    FROM cf_cases AS c, ({numbers}) AS n
                    WHERE c.invoice_number = %(template)s""",
                params,
            )
            db.execute(
                f"""INSERT INTO cf_events (creditor, invoice_number, sequence, event_id, type,
                        occurred_on, body, recorded_at)
                    SELECT e.creditor, n.number, e.sequence, x.id, e.type, e.occurred_on,
                        replace(replace(e.body::text, '"' || e.invoice_number || '"',
                                        '"' || n.number || '"'),
                                e.event_id::text, x.id::text)::jsonb,
                        e.recorded_at
                    FROM cf_events AS e, ({numbers}) AS n,
                        LATERAL (SELECT md5(e.event_id::text || n.number)::uuid AS id) AS x
                    WHERE e.invoice_number = %(template)s""",
                params,
            )
        db.execute(
            "DELETE FROM cf_events WHERE invoice_number = ANY(%s)",
            ([DUE_TEMPLATE, LATER_TEMPLATE],),
        )
        db.execute(
            "DELETE FROM cf_cases WHERE invoice_number = ANY(%s)", ([DUE_TEMPLATE, LATER_TEMPLATE],)
        )
    _database(dsn, "VACUUM ANALYZE")


def _warm_up(manager: Any) -> None:
    """Compile the templates and load the locale data, so that the timed run does not."""
    import attrs

    from creditflow.render import sample_request

    request = sample_request(_portfolio.MESSAGE_KIND, locale=_portfolio.DEBTOR.locale)
    manager.templates.compose(attrs.evolve(request, creditor=_portfolio.CREDITOR))


def worker(dsn: str, log_path: str, batch_size: int, start: Any, results: Any) -> None:
    """One worker process: open the store, wait at the barrier, ``run``; put its figures on *results*."""
    try:
        from creditflow.adapters.postgres import PostgresStore

        channel = KeyLogChannel(log_path)
        store = PostgresStore(dsn)
        manager = _portfolio.manager(store, channel, batch_size=batch_size)  # type: ignore[arg-type]
        _warm_up(manager)
        start.wait(120)
        began = time.monotonic()
        report = manager.run(_portfolio.NOW)
        ended = time.monotonic()
        store.close()
        channel.close()
        results.put(
            {
                "began": began,
                "ended": ended,
                "due_cases": report.due_cases,
                "steps_executed": report.steps_executed,
                "messages_sent": report.messages_sent,
                "conflicts": report.conflicts,
                "errors": len(report.errors),
            }
        )
    except BaseException as exc:
        results.put({"failed": repr(exc)})
        raise


def timed(dsn: str, workers: int, log_path: pathlib.Path, batch_size: int) -> dict[str, Any]:
    """Run *workers* worker processes together over the database at *dsn*."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=worker, args=(dsn, str(log_path), batch_size, start, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=900) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    failed = [r["failed"] for r in reports if "failed" in r]
    if failed:
        raise RuntimeError(f"a worker failed: {failed}")
    delivered = collections.Counter(log_path.read_text().split())
    return {
        "seconds": max(r["ended"] for r in reports) - min(r["began"] for r in reports),
        "due_cases": [r["due_cases"] for r in reports],
        "steps_executed": sum(r["steps_executed"] for r in reports),
        "messages_sent": sum(r["messages_sent"] for r in reports),
        "conflicts": sum(r["conflicts"] for r in reports),
        "errors": sum(r["errors"] for r in reports),
        "keys": len(delivered),
        "duplicates": sum(count - 1 for count in delivered.values() if count > 1),
    }


def run(quick: bool) -> dict[str, object]:
    """Due cases per second with one worker and with two, their ratio, and duplicate deliveries."""
    from creditflow.testing.postgres import PostgresServer, postgres_binaries

    if postgres_binaries() is None:
        return {"skipped": "PostgreSQL is not installed (no initdb/pg_ctl found)"}
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return {"skipped": "psycopg is not installed (pip install 'creditflow[postgres]')"}
    due = 100 if quick else 2_000
    rounds = 1 if quick else 2
    # A worker leases one batch of due cases at a time: 20 batches share the work out evenly.
    batch_size = max(1, due // 20)
    seconds: dict[int, list[float]] = {1: [], 2: []}
    busy: list[float | None] = []
    duplicates = conflicts = 0
    split: list[int] = []
    with PostgresServer() as server, tempfile.TemporaryDirectory() as folder:
        build(server, "cf_portfolio", due=due, later=due)
        for attempt in range(rounds):  # alternating, so that a disturbance hits both alike
            for workers in (1, 2):
                name = f"cf_run_{attempt}_{workers}"
                _database(server.dsn, f"CREATE DATABASE {name} TEMPLATE cf_portfolio")
                log = pathlib.Path(folder) / f"delivered-{name}.txt"
                log.touch()
                busy.append(_timing.wait_until_quiet(timeout=0 if quick else 60))
                outcome = timed(server.dsn_for(name), workers, log, batch_size)
                _database(server.dsn, f"DROP DATABASE {name}")
                assert sum(outcome["due_cases"]) == due, outcome
                assert outcome["steps_executed"] == due, outcome
                assert outcome["errors"] == 0, outcome
                assert outcome["keys"] == due, outcome
                seconds[workers].append(outcome["seconds"])
                duplicates += outcome["duplicates"]
                conflicts += outcome["conflicts"]
                if workers == 2:
                    split = outcome["due_cases"]
    one, two = min(seconds[1]), min(seconds[2])
    return {
        "due": due,
        "one_worker_due_per_s": round(due / one),
        "two_workers_due_per_s": round(due / two),
        "ratio_two_to_one": round(one / two, 2),
        "cases_per_worker": split,
        "duplicates": duplicates,
        "conflicts": conflicts,
        "cpu_busy_before": busy,
        "target": ">= 1.6, 0 duplicates",
    }
