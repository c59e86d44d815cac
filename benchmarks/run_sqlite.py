"""Scenario 2: ``manager.run(now)`` on SQLite against a bare sqlite3 + Jinja2 floor."""

from __future__ import annotations

import pathlib
import sqlite3
import tempfile
import time
from collections.abc import Callable

import jinja2

from creditflow.adapters.sqlite import SqliteStore
from creditflow.testing import RecordingChannel

from . import _portfolio, _timing

FLOOR_TEMPLATE = """\
Dear {{ name }},

Reminder: invoice {{ number }} is overdue.

Open amount: {{ amount }}

{{ creditor }}
"""


def timed_run(path: pathlib.Path) -> tuple[float, int]:
    """Seconds for one ``run`` over the database at *path*, and messages sent."""
    channel = RecordingChannel()
    store = SqliteStore(path)
    manager = _portfolio.manager(store, channel)
    started = time.perf_counter()
    report = manager.run(_portfolio.NOW)
    elapsed = time.perf_counter() - started
    store.close()
    assert report.ok, report.errors
    return elapsed, len(channel.sent)


def floor(
    path: pathlib.Path, due: int, render: Callable[[int, str], object] | None = None
) -> float:
    """The same work by hand: due rows by index, update, one event and one outbox row each, and
    the same number of messages rendered by bare Jinja2; one transaction per case, like the run.

    *render* (message index, invoice number) replaces the short floor template, e.g. with bare
    Jinja2 rendering creditflow's own reminder templates (scenario 6's floor).
    """
    template = jinja2.Environment(autoescape=False).from_string(FLOOR_TEMPLATE)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {_synchronous()}")
    started = time.perf_counter()
    rows = db.execute(
        "SELECT invoice_number, snapshot FROM cf_cases WHERE creditor = 'bench' "
        "AND next_action_on IS NOT NULL AND next_action_on <= ? ORDER BY next_action_on, "
        "invoice_number LIMIT ?",
        (_portfolio.TODAY.isoformat(), due),
    ).fetchall()
    for index, (number, snapshot) in enumerate(rows):
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "UPDATE cf_cases SET version = version + 1, next_action_on = '2026-03-16' "
            "WHERE creditor = 'bench' AND invoice_number = ?",
            (number,),
        )
        db.execute(
            "INSERT INTO cf_events (creditor, invoice_number, sequence, event_id, type, "
            "occurred_on, body, recorded_at) VALUES ('bench', ?, 99, ?, 'StepExecuted', "
            "'2026-03-02', ?, '')",
            (number, f"floor-{number}", snapshot[:200]),
        )
        db.execute(
            "INSERT INTO cf_outbox VALUES ('bench', ?, ?, 'DeliverMessage', ?, '', 0, 0, "
            "NULL, 0, '', '')",
            (f"floor-{number}", number, snapshot[:400]),
        )
        db.execute("COMMIT")
        if render is None:
            template.render(
                name="Debtor Name", number=number, amount="€ 30,25", creditor="Bench B.V."
            )
        else:
            render(index, number)
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def _synchronous() -> str:
    """The ``synchronous`` level ``SqliteStore`` runs with by default (the floor uses the same).

    It is a setting of each connection, not of the file, so it is read from a store's connection.
    """
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(pathlib.Path(folder) / "probe.db")
        try:
            with store.unit_of_work() as uow:
                level = uow.connection.execute("PRAGMA synchronous").fetchone()[0]  # type: ignore[attr-defined]
        finally:
            store.close()
    return {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[level]


def measure(
    open_invoices: int,
    due: int,
    workdir: pathlib.Path,
    *,
    with_floor: bool = True,
    patience: float = 0,
) -> dict[str, float]:
    """Time the run (and the floor) on fresh copies of the same portfolio.

    Waits up to *patience* seconds for other processes to leave the CPUs idle first. The run's
    time is kept in ``_portfolio.RUN_SECONDS`` for other scenarios.
    """
    _portfolio.portfolio(open_invoices, due)  # built before anything is timed
    _timing.wait_until_quiet(timeout=patience)
    run_copy = _portfolio.fresh_copy(open_invoices, due, workdir / "run.db")
    run_seconds, sent = timed_run(run_copy)
    run_copy.unlink()
    assert sent == due, f"expected {due} messages, sent {sent}"
    _portfolio.RUN_SECONDS[open_invoices, due] = run_seconds
    figures = {"run_s": run_seconds}
    if with_floor:
        floor_copy = _portfolio.fresh_copy(open_invoices, due, workdir / "floor.db")
        figures["floor_s"] = floor(floor_copy, due)
        floor_copy.unlink()
        render = _same_templates(due)
        floor_copy = _portfolio.fresh_copy(open_invoices, due, workdir / "floor.db")
        figures["floor_same_templates_s"] = floor(floor_copy, due, render)
        floor_copy.unlink()
    return figures


def _same_templates(count: int) -> Callable[[int, str], object]:
    """Bare Jinja2 rendering creditflow's reminder templates (subject, text, HTML), as in
    scenario 6; the variables of each message are made beforehand."""
    from creditflow.render import Templates

    from . import templates

    variables = [Templates().context(request) for request in templates.requests(count)]
    renderer = templates._floor_renderer()
    return lambda index, number: renderer(variables[index])


def run(quick: bool) -> dict[str, object]:
    """Due cases per second through creditflow and the ratio to the floor."""
    due = 200 if quick else 10_000
    with tempfile.TemporaryDirectory() as folder:
        figures = measure(due * 10, due, pathlib.Path(folder), patience=0 if quick else 60)
    return {
        "open_invoices": due * 10,
        "due": due,
        "run_due_per_s": round(due / figures["run_s"]),
        "floor_due_per_s": round(due / figures["floor_s"]),
        "ratio_run_to_floor": round(figures["run_s"] / figures["floor_s"], 2),
        "target": "<= 4",
        "ratio_to_floor_rendering_the_same_templates": round(
            figures["run_s"] / figures["floor_same_templates_s"], 2
        ),
    }
