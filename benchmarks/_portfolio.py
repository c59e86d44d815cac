"""Large portfolios for the storage benchmarks, loaded fast.

Registering a million invoices one by one through the API would measure the loader, not the run.
So two template cases are registered through ``CreditManager`` (one due today, one due in the
future) and then cloned inside SQLite with one ``INSERT ... SELECT`` each: the rows are exactly
what creditflow itself wrote, only the invoice numbers differ.

Scenarios that need the same portfolio share it: :func:`portfolio` builds each size once per
process (runs work on copies), and :data:`RUN_SECONDS` keeps the time of a run over each size
once measured, so that one scenario can use another's measurement instead of repeating it.
"""

from __future__ import annotations

import atexit
import datetime as dt
import pathlib
import shutil
import sqlite3
import tempfile

import creditflow as cf
from creditflow.adapters.sqlite import SqliteStore
from creditflow.testing import RecordingChannel, SettableClock

TODAY = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CREDITOR = cf.Creditor(
    key="bench",
    name="Bench B.V.",
    address=cf.Address(street="Damrak 1", postal_code="1012 LG", city="Amsterdam", country="NL"),
)
SCHEMA = cf.DunningSchema(
    key="bench",
    steps=[
        cf.Step(
            name="reminder",
            trigger=cf.Trigger.days_after_due(7),
            actions=[cf.SendMessage(channel=cf.Channel.EMAIL)],
        ),
        cf.Step(
            name="second reminder",
            trigger=cf.Trigger.days_after_due(21),
            actions=[
                cf.SendMessage(channel=cf.Channel.EMAIL),
                cf.ChargeFee(rule=cf.FixedFee(amount=cf.Money("5.00", "EUR"))),
            ],
        ),
    ],
)


def manager(
    store: cf.ports.Store, channel: RecordingChannel, *, batch_size: int = 1000
) -> cf.CreditManager:
    """The benchmark creditor's manager: e-mail to a recording channel, no send window."""
    return cf.CreditManager(
        creditor=CREDITOR,
        store=store,
        channels={cf.Channel.EMAIL: channel},
        clock=SettableClock(NOW),
        send_window=None,
        batch_size=batch_size,
    )


DEBTOR = cf.Debtor(
    code="D",
    kind=cf.DebtorKind.PERSON,
    name="Debtor Name",
    email="debtor@example.nl",
    locale="nl-NL",
)
MESSAGE_KIND = cf.MessageKind.REMINDER
"""The kind of the messages the schema sends (for warming up the templates)."""
TEMPLATE_NUMBERS = ("TPLDUE", "TPLLATER")
"""The template invoices: one due today, one due in 30 days."""


def register_templates(store: cf.ports.Store) -> None:
    """Register the schema, the debtor and the two template invoices through the API."""
    clock = SettableClock(NOW - dt.timedelta(days=7))
    setup = cf.CreditManager(
        creditor=CREDITOR, store=store, channels={cf.Channel.EMAIL: RecordingChannel()}, clock=clock
    )
    setup.register_schema(SCHEMA)
    setup.upsert_debtor(DEBTOR)
    for number, due_on in zip(
        TEMPLATE_NUMBERS, (TODAY - dt.timedelta(days=7), TODAY + dt.timedelta(days=30)), strict=True
    ):
        setup.register_invoice(
            cf.Invoice(
                number=number,
                debtor_code=DEBTOR.code,
                issued_on=due_on - dt.timedelta(days=14),
                due_on=due_on,
                currency="EUR",
                lines=[
                    cf.InvoiceLine(
                        description="Energy",
                        quantity=100,
                        unit_price=cf.Money("0.25", "EUR"),
                        vat_rate=21,
                    )
                ],
            ),
            schema_key="bench",
        )


def build(path: pathlib.Path, *, open_invoices: int, due: int) -> None:
    """A database with *open_invoices* open invoices of which *due* are due today.

    The copies are written without a journal and in key order (so every index grows at its end),
    then the database is put back into WAL mode, as creditflow keeps it.
    """
    store = SqliteStore(path)
    register_templates(store)
    store.close()
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -1000000")  # 1 GB: the indexes stay in memory
        db.execute("BEGIN")
        for template, count, offset in zip(
            TEMPLATE_NUMBERS, (due, open_invoices - due), (0, due), strict=True
        ):
            if count <= 0:
                continue
            number = f"printf('INV%08d', i + {offset})"
            db.execute(f"""
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})
                INSERT INTO cf_cases SELECT creditor, {number}, debtor_code, version, status,
                    next_action_on, replace(snapshot, '"{template}"', '"' || {number} || '"'),
                    updated_at FROM n, cf_cases WHERE invoice_number = '{template}' ORDER BY i""")
            db.execute(f"""
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})
                INSERT INTO cf_events (creditor, invoice_number, sequence, event_id, type,
                    occurred_on, body, recorded_at)
                SELECT creditor, {number}, sequence, printf('%s-%08d', event_id, i), type,
                    occurred_on, replace(body, '"{template}"', '"' || {number} || '"'), recorded_at
                FROM n, cf_events WHERE invoice_number = '{template}' ORDER BY i, sequence""")
        for template in TEMPLATE_NUMBERS:
            db.execute("DELETE FROM cf_cases WHERE invoice_number = ?", (template,))
            db.execute("DELETE FROM cf_events WHERE invoice_number = ?", (template,))
        db.execute("COMMIT")
        db.execute("PRAGMA journal_mode = WAL")
    finally:
        db.close()


RUN_SECONDS: dict[tuple[int, int], float] = {}
"""Seconds of one ``run`` over a fresh copy of ``portfolio(open_invoices, due)``, once measured."""

_built: dict[tuple[int, int], pathlib.Path] = {}


def portfolio(open_invoices: int, due: int) -> pathlib.Path:
    """The database of :func:`build` for these sizes, built once per process; do not modify it."""
    key = (open_invoices, due)
    if key not in _built:
        folder = pathlib.Path(tempfile.mkdtemp(prefix="creditflow-bench-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / f"portfolio-{open_invoices}-{due}.db"
        build(path, open_invoices=open_invoices, due=due)
        _built[key] = path
    return _built[key]


def fresh_copy(open_invoices: int, due: int, path: pathlib.Path) -> pathlib.Path:
    """A copy of :func:`portfolio` at *path* (a stale WAL beside it is removed first)."""
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)  # a stale WAL next to a fresh copy corrupts it
    shutil.copyfile(portfolio(open_invoices, due), path)
    return path
