"""Several worker processes on one PostgreSQL database: every case and message exactly once."""

from __future__ import annotations

import collections
import multiprocessing
from collections.abc import Callable
from pathlib import Path

import pytest
from _store_worker import DeliveryLog, messages_sent, postgres_worker_process, setup

from creditflow.ports import Store

INVOICES = 40


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_share_the_due_cases(
    make_postgres_store: Callable[..., Store],
    postgres_dsn: str,
    postgres_schema: str,
    tmp_path: Path,
) -> None:
    """Two processes running ``run`` at once handle each case once and send each message once."""
    store = make_postgres_store()
    numbers = setup(store, INVOICES)
    log = tmp_path / "deliveries.db"
    DeliveryLog(log)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(
            target=postgres_worker_process,
            args=(postgres_dsn, postgres_schema, str(log), start, 5, results),
        )
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    results.close()
    results.join_thread()

    assert sum(r["due_cases"] for r in reports) == INVOICES, reports
    assert sum(r["steps_executed"] for r in reports) == INVOICES, reports
    assert sum(r["conflicts"] for r in reports) == 0, reports
    assert sum(r["errors"] for r in reports) == 0, reports
    assert all(r["due_cases"] > 0 for r in reports), f"both workers took cases: {reports}"

    calls = collections.Counter(DeliveryLog(log).calls())
    assert len(calls) == INVOICES
    assert set(calls.values()) == {1}, "no message was offered to the channel twice"
    recorded = collections.Counter(messages_sent(store, numbers))
    assert len(recorded) == INVOICES
    assert set(recorded.values()) == {1}
