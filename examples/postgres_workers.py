"""Two worker processes share one run on PostgreSQL: each case is decided and sent by one worker.

Needs a PostgreSQL server and the ``postgres`` extra (``pip install 'creditflow[postgres]'``)::

    CREDITFLOW_POSTGRES_DSN="postgresql://user@localhost/dbname" python examples/postgres_workers.py

The example works in a PostgreSQL schema of its own (``creditflow_example_<pid>``) and drops it
at the end. Without ``CREDITFLOW_POSTGRES_DSN`` it says how to run it and exits.
"""

import datetime as dt
import multiprocessing
import os
import sys
from collections import Counter

import creditflow as cf
from creditflow.testing import RecordingChannel, SettableClock

DSN_VARIABLE = "CREDITFLOW_POSTGRES_DSN"
INVOICES = 100
ISSUED = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
RUN_AT = dt.datetime(2026, 1, 27, 7, 0, tzinfo=dt.UTC)  # eight days after every due date

CREDITOR = cf.Creditor(
    key="acme",
    name="Acme B.V.",
    address=cf.Address(street="Keizersgracht 1", city="Amsterdam", country="NL"),
)
SCHEMA = cf.DunningSchema(
    key="consumer",
    steps=[
        cf.Step(
            name="reminder",
            trigger=cf.Trigger.days_after_due(7),
            actions=[cf.SendMessage(channel=cf.Channel.EMAIL, payment_link=False)],
        )
    ],
)


def make_manager(store, email, clock=None) -> cf.CreditManager:
    """The host's composition root: the same manager in every process, on a store of its own."""
    return cf.CreditManager(
        creditor=CREDITOR,
        store=store,
        channels={cf.Channel.EMAIL: email},
        clock=clock,
        send_window=None,
        batch_size=10,  # each worker leases 10 due cases at a time, so the two take turns
    )


def set_up(dsn: str, schema: str) -> None:
    """Register the schema, the debtors and their invoices (once, before the workers start)."""
    from creditflow.adapters.postgres import PostgresStore

    with PostgresStore(dsn, schema=schema) as store:
        manager = make_manager(store, RecordingChannel(), SettableClock(ISSUED))
        manager.register_schema(SCHEMA)
        for n in range(1, INVOICES + 1):
            manager.upsert_debtor(
                cf.Debtor(
                    code=f"D-{n}",
                    kind=cf.DebtorKind.PERSON,
                    name=f"Debtor {n}",
                    email=f"debtor{n}@example.nl",
                )
            )
            manager.register_invoice(
                cf.Invoice(
                    number=f"2026-{n:04d}",
                    debtor_code=f"D-{n}",
                    issued_on=ISSUED.date(),
                    due_on=dt.date(2026, 1, 19),
                    currency="EUR",
                    total=cf.Money("30.25", "EUR"),
                ),
                schema_key="consumer",
            )


def worker(name: str, dsn: str, schema: str, start, results) -> None:
    """One worker process: its own store and manager, one ``run``, then report what it sent."""
    from creditflow.adapters.postgres import PostgresStore

    # In production: SmtpChannel(..., ledger=<a SentLedger the workers share>).
    email = RecordingChannel(cf.Channel.EMAIL)
    with PostgresStore(dsn, schema=schema) as store:
        manager = make_manager(store, email)
        start.wait()  # both workers begin together
        report = manager.run(RUN_AT)
    results.put((name, report.due_cases, [m.idempotency_key for m in email.sent]))


def drop(dsn: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


def main() -> int:
    dsn = os.environ.get(DSN_VARIABLE)
    if not dsn:
        print(
            f"This example needs a PostgreSQL server. Set {DSN_VARIABLE} and run it again, e.g.\n"
            f'  {DSN_VARIABLE}="postgresql://postgres@localhost/postgres" '
            f"python {sys.argv[0]}\n"
            f"It works in a schema of its own and drops it at the end "
            f"(pip install 'creditflow[postgres]' first)."
        )
        return 0
    schema = f"creditflow_example_{os.getpid()}"
    try:
        set_up(dsn, schema)
        context = multiprocessing.get_context("spawn")
        start, results = context.Barrier(2), context.Queue()
        processes = [
            context.Process(target=worker, args=(f"worker-{n}", dsn, schema, start, results))
            for n in (1, 2)
        ]
        for process in processes:
            process.start()
        outcomes = sorted(results.get(timeout=300) for _ in processes)
        for process in processes:
            process.join(timeout=60)
    finally:
        drop(dsn, schema)

    sent = Counter(key for _, _, keys in outcomes for key in keys)
    for name, due_cases, keys in outcomes:
        print(f"{name}: leased and decided {due_cases} cases, sent {len(keys)} reminders")
    print(f"together: {len(sent)} reminders for {INVOICES} invoices, none twice")
    assert len(sent) == INVOICES
    assert max(sent.values()) == 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
