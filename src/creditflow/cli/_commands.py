"""The commands, on click and rich."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import importlib.util
import os
import pathlib
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .._manager import CreditManager
from .._message_kind import MessageKind
from .._money import Money
from ..errors import CreditflowError, NotFoundError, TemplateError
from ..events import (
    DirectDebitReversed,
    FeeCharged,
    MessageSent,
    PaymentPlanAgreed,
    PaymentPlanCompleted,
    PaymentPlanDefaulted,
    PaymentReceived,
    ReCollectionSubmitted,
)
from ..ports import Store
from ..render import TemplatePart
from ._demo import (
    START,
    DemoSettings,
    build_manager,
    days_done,
    generate,
    load_settings,
    run_demo,
    save_settings,
)

EXIT_FAILURES, EXIT_USAGE, EXIT_INPUT, EXIT_UNEXPECTED = 1, 2, 3, 4

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class _Exit(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, code: int) -> None:
        self.code = code


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    stderr.print(f"[bold red]error:[/] {message}")
    raise _Exit(code)


def _open_store(path: pathlib.Path, *, create: bool = False) -> Store:
    if not create and not path.exists():
        _fail(
            f"database {str(path)!r} does not exist; give the path of a creditflow database "
            f"(run 'creditflow demo' to make one)"
        )
    from ..adapters.sqlite import SqliteStore

    return SqliteStore(path)


def _manager(db: pathlib.Path, app: str | None, now: dt.datetime | None) -> CreditManager:
    store = _open_store(db)
    if app is not None:
        module_name, _, attribute = app.partition(":")
        # As Python itself does for ``python -m``: the host's module is found in the current
        # folder (the console script's own folder is on the path instead).
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            factory: Callable[[Store], CreditManager] = getattr(
                importlib.import_module(module_name), attribute or "make_manager"
            )
        except (ImportError, AttributeError) as exc:
            _fail(
                f"--app {app!r} cannot be loaded ({exc}); give module:function, where the "
                f"function takes a store and returns a CreditManager"
            )
        return factory(store)
    settings = load_settings(db.parent)
    if settings is None:
        _fail(
            f"{str(db)!r} is not a demo database and no --app was given; pass "
            f"--app module:function that builds your CreditManager from a store"
        )
    from ..testing import SettableClock

    clock = SettableClock(now or START + dt.timedelta(days=days_done(db.parent)))
    return build_manager(settings, store, clock)[0]


def _parse_now(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        _fail(f"--now {value!r} is not an ISO date-time such as 2026-03-01T07:00+00:00", EXIT_USAGE)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _parse_date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r} is not a date such as 2026-03-31", EXIT_USAGE)


@contextlib.contextmanager
def _errors(debug: bool) -> Iterator[None]:
    try:
        yield
    except _Exit:
        raise
    except (CreditflowError, OSError) as exc:
        if debug:
            raise
        _fail(str(exc).rstrip(".") + ".")
    except Exception as exc:
        if debug:
            raise
        _fail(
            f"unexpected error: {exc!r} (run again with --debug for the traceback)", EXIT_UNEXPECTED
        )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-sentence errors.")
@click.pass_context
def group(ctx: click.Context, debug: bool) -> None:
    """creditflow: credit management (dunning) from the terminal."""
    ctx.obj = {"debug": debug}


@group.command()
@click.option(
    "--out",
    default="creditflow-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the database and the messages.",
)
@click.option("--debtors", default=60, show_default=True, type=int, help="How many debtors.")
@click.option("--days", default=120, show_default=True, type=int, help="How many days to simulate.")
@click.option(
    "--seed", default=7, show_default=True, type=int, help="Random seed (same seed, same demo)."
)
@click.pass_obj
def demo(obj: dict[str, Any], out: str, debtors: int, days: int, seed: int) -> None:
    """Generate a portfolio in NL, BE, DE and FR and dun it day by day on SQLite."""
    with _errors(obj["debug"]):
        settings = DemoSettings(out=out, debtors=debtors, days=days, seed=seed)
        previous = load_settings(settings.folder)
        resume_from = 0
        if previous is not None and previous == settings and settings.database.exists():
            resume_from = days_done(settings.folder)
            if resume_from:
                stdout.print(f"Resuming the demo in {out} after day {resume_from} of {days}.")
        elif settings.database.exists() or (settings.folder / "messages").exists():
            _fail(f"{out!r} holds another demo (other options); choose another --out or remove it")
        save_settings(settings)
        store = _open_store(settings.database, create=True)
        with Progress(
            TextColumn("[bold]dunning[/] day"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=stdout,
            transient=True,
        ) as bar:
            task = bar.add_task("days", total=days, completed=resume_from)
            manager = run_demo(
                settings,
                store,
                resume_from=resume_from,
                progress=lambda done: bar.update(task, completed=done),
            )
        _summary(settings, manager)


_REASONS = {
    "AM04": "insufficient funds",
    "MD06": "refunded",
    "AC04": "account closed",
    "MS02": "refused by the debtor",
}


def _summary(settings: DemoSettings, manager: CreditManager) -> None:
    portfolio = generate(settings)
    statuses: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    reversals: Counter[str] = Counter()
    plans: dict[str, set[str]] = {"agreed": set(), "completed": set(), "defaulted": set()}
    submitted: set[str] = set()
    recollected: set[str] = set()
    invoiced = collected = fees = Money.zero("EUR")
    for invoice in portfolio.invoices:
        try:
            status = manager.invoice_status(invoice.number)
        except NotFoundError:
            continue  # issued after the last simulated day
        statuses[status.status.value] += 1
        invoiced += status.original_amount
        collected += status.paid_amount  # net of reversed direct debits
        references: set[str] = set()
        for event in status.history:
            if isinstance(event, PaymentReceived):
                if event.payment.reference in references:
                    recollected.add(event.payment.reference)
            elif isinstance(event, FeeCharged):
                fees += event.amount
            elif isinstance(event, MessageSent):
                channels[str(event.channel)] += 1
            elif isinstance(event, DirectDebitReversed):
                reversals[event.reason_code or "none"] += 1
            elif isinstance(event, ReCollectionSubmitted):
                references.add(event.collection_reference)
                submitted.add(event.collection_reference)
            elif isinstance(event, PaymentPlanAgreed):
                plans["agreed"].add(event.plan.reference)
            elif isinstance(event, PaymentPlanCompleted):
                plans["completed"].add(event.plan_reference)
            elif isinstance(event, PaymentPlanDefaulted):
                plans["defaulted"].add(event.plan_reference)
    table = Table(
        title=f"creditflow demo: {settings.debtors} debtors, {settings.days} days, seed {settings.seed}"
    )
    table.add_column("what")
    table.add_column("figure", justify="right")
    table.add_row("invoices", str(sum(statuses.values())))
    table.add_row("invoiced", invoiced.round().format("en"))
    rate = f"{collected.amount / invoiced.amount:.1%}" if invoiced.is_positive else "-"
    table.add_row("collected", f"{collected.round().format('en')} ({rate})")
    table.add_row("collection costs charged", fees.round().format("en"))
    for channel in sorted(channels):
        table.add_row(f"messages by {channel}", str(channels[channel]))
    table.add_row("direct debits reversed", str(sum(reversals.values())))
    for code in sorted(reversals):
        table.add_row(f"  {code} ({_REASONS.get(code, 'other')})", str(reversals[code]))
    table.add_row("re-collections submitted / paid", f"{len(submitted)} / {len(recollected)}")
    for outcome in ("agreed", "completed", "defaulted"):
        table.add_row(f"payment plans {outcome}", str(len(plans[outcome])))
    for status_name in sorted(statuses):
        table.add_row(f"cases {status_name}", str(statuses[status_name]))
    stdout.print(table)
    stdout.print(
        f"Messages: {settings.folder / 'messages'} (e-mails as .eml, SMS as text, letters as "
        f"{'PDF' if importlib.util.find_spec('borb') else 'text; PDF with the pdf extra'})."
    )
    stdout.print(
        f"Database: {settings.database}  (try: creditflow status "
        f"{portfolio.invoices[0].number} --db {settings.database})"
    )


@group.command()
@click.option("--db", "db", required=True, type=click.Path(dir_okay=False, path_type=pathlib.Path))
@click.option("--now", "now", default=None, help="ISO date-time to run at (default: now).")
@click.option(
    "--app", default=None, help="module:function building your CreditManager from a store."
)
@click.pass_obj
def run(obj: dict[str, Any], db: pathlib.Path, now: str | None, app: str | None) -> None:
    """Process everything due, exactly once, and print the run report."""
    with _errors(obj["debug"]):
        moment = _parse_now(now)
        manager = _manager(db, app, moment)
        report = manager.run(moment)
        table = Table(title=f"run of {report.today}")
        table.add_column("what")
        table.add_column("count", justify="right")
        for name in (
            "due_cases",
            "steps_executed",
            "events_recorded",
            "effects_queued",
            "messages_sent",
            "delivery_failures",
            "conflicts",
        ):
            table.add_row(name.replace("_", " "), str(getattr(report, name)))
        stdout.print(table)
        for error in report.errors:
            stderr.print(f"[red]{error.invoice_number}[/]: {error.error}")
        if not report.ok:
            raise _Exit(EXIT_FAILURES)


@group.command()
@click.argument("invoice")
@click.option("--db", "db", required=True, type=click.Path(dir_okay=False, path_type=pathlib.Path))
@click.option(
    "--app", default=None, help="module:function building your CreditManager from a store."
)
@click.pass_obj
def status(obj: dict[str, Any], invoice: str, db: pathlib.Path, app: str | None) -> None:
    """Show an invoice's account, status and history."""
    with _errors(obj["debug"]):
        manager = _manager(db, app, None)
        current = manager.invoice_status(invoice)
        table = Table(title=f"invoice {invoice}: {current.status.value}")
        table.add_column("account")
        table.add_column("amount", justify="right")
        for label, amount in (
            ("original", current.original_amount),
            ("open principal", current.open_principal),
            ("open costs", current.open_costs),
            ("open interest", current.open_interest),
            ("open in all", current.open_amount),
            ("paid", current.paid_amount),
            ("credited", current.credited_amount),
        ):
            table.add_row(label, str(amount.round()))
        stdout.print(table)
        stdout.print(
            f"schema {current.schema_key} v{current.schema_version}; last step: "
            f"{current.last_step or '-'}; next: {current.next_step or '-'} on "
            f"{current.next_action_on or '-'}"
        )
        if current.payment_plan is not None:
            stdout.print(f"payment plan {current.payment_plan} (active)")
        if current.direct_debit_excluded:
            stdout.print("direct debit: stopped for this invoice (links deny it)")
        if current.mandate_flag is not None:
            stdout.print(f"mandate flagged: {current.mandate_flag}")
        history = Table(title="history")
        for column in ("#", "date", "event"):
            history.add_column(column)
        for event in current.history:
            history.add_row(str(event.sequence), event.occurred_on.isoformat(), event.type_name)
        stdout.print(history)


@group.command()
@click.argument("invoice")
@click.option("--db", "db", required=True, type=click.Path(dir_okay=False, path_type=pathlib.Path))
@click.option("--until", "until", required=True, help="Last date to simulate (YYYY-MM-DD).")
@click.option(
    "--app", default=None, help="module:function building your CreditManager from a store."
)
@click.pass_obj
def simulate(
    obj: dict[str, Any], invoice: str, db: pathlib.Path, until: str, app: str | None
) -> None:
    """Show what will happen to an invoice, day by day, if nothing is paid."""
    with _errors(obj["debug"]):
        last = _parse_date(until, "--until")
        manager = _manager(db, app, None)
        timeline = manager.simulate(invoice, until=last)
        table = Table(title=f"invoice {invoice} until {last}, if nothing is paid")
        for column in ("date", "step", "channel", "fee", "interest", "open", "status"):
            table.add_column(column)
        for entry in timeline.entries:
            table.add_row(
                entry.on.isoformat(),
                entry.step or "-",
                str(entry.channel or "-"),
                str(entry.fee or "-"),
                str(entry.interest or "-"),
                str(entry.open_amount.round()),
                entry.status.value,
            )
        stdout.print(table)
        if not timeline.entries:
            stdout.print("Nothing happens in that period.")


@group.group()
def templates() -> None:
    """Check and preview message templates (the template editor, from the terminal)."""


_PART_NAMES = [part.value for part in TemplatePart]
_KIND_NAMES = [kind.value for kind in MessageKind]


@templates.command()
@click.argument("folder", type=click.Path(path_type=pathlib.Path))
@click.option(
    "--kind",
    "custom_kind",
    default=MessageKind.REMINDER.value,
    show_default=True,
    type=click.Choice(_KIND_NAMES),
    help="The kind your own templates (names that are not a kind) are checked as.",
)
@click.pass_obj
def check(obj: dict[str, Any], folder: pathlib.Path, custom_kind: str) -> None:
    """Check every template in FOLDER: syntax, variables, legal content, and a render.

    FOLDER holds <locale>/<name>.j2 and <creditor>/<locale>/<name>.j2 files, as
    Templates.from_directory reads them. Exits 3 when any template is invalid.
    """
    from ._templates import check_folder

    with _errors(obj["debug"]):
        if not folder.is_dir():
            _fail(f"template folder {str(folder)!r} does not exist or is not a folder")
        report = check_folder(folder, custom_kind=MessageKind(custom_kind))
        if not report.files and not report.problems:
            _fail(
                f"there are no templates (*.j2) in {str(folder)!r}; put them in "
                f"<locale>/<name>.j2, e.g. nl/reminder.j2"
            )
        shown = str(folder)
        placed = {file.path for file in report.files}
        for problem in report.problems:
            if problem.path not in placed:
                stdout.print(problem.render(shown), markup=False)
        for file in report.files:
            problems = report.problems_of(file.path)
            if not problems:
                what = file.describe(MessageKind(custom_kind))
                stdout.print(f"{folder / file.path}: ok ({what})", markup=False)
            for problem in problems:
                stdout.print(problem.render(shown), markup=False)
        checked = len(placed | {p.path for p in report.problems})
        invalid = len(report.invalid)
        if invalid:
            _fail(f"{invalid} of {checked} template files are invalid")
        stdout.print(f"{checked} template files checked, all valid.")


@templates.command()
@click.argument("name")
@click.option("--locale", default="en", show_default=True, help="The debtor's locale, e.g. nl-BE.")
@click.option(
    "--dir",
    "folder",
    default=None,
    type=click.Path(file_okay=False, path_type=pathlib.Path),
    help="Your template folder (default: the built-in templates only).",
)
@click.option(
    "--part",
    "parts",
    multiple=True,
    type=click.Choice(_PART_NAMES),
    help="The part to show (repeat for several; default: subject and text).",
)
@click.option(
    "--kind",
    default=None,
    type=click.Choice(_KIND_NAMES),
    help="The kind your own template stands for (default: from its name, else reminder).",
)
@click.option("--creditor", default=None, help="Preview a creditor's own templates (its key).")
@click.option("--grouped", is_flag=True, help="Sample data with two invoices in one message.")
@click.pass_obj
def preview(
    obj: dict[str, Any],
    name: str,
    locale: str,
    folder: pathlib.Path | None,
    parts: tuple[str, ...],
    kind: str | None,
    creditor: str | None,
    grouped: bool,
) -> None:
    """Render template NAME with sample data.

    NAME is a template name as a step gives it (reminder, fourteen_day_letter, or one of your
    own), looked up as the manager does, or the path of a .j2 file you are editing. With one
    --part the output is that part alone (e.g. --part html > preview.html).
    """
    from ._templates import preview as render_preview

    with _errors(obj["debug"]):
        if folder is not None and not folder.is_dir():
            _fail(f"template folder {str(folder)!r} does not exist or is not a folder")
        chosen = tuple(TemplatePart(p) for p in parts) or (TemplatePart.SUBJECT, TemplatePart.TEXT)
        try:
            rendered = render_preview(
                name,
                parts=chosen,
                locale=locale,
                folder=folder,
                kind=MessageKind(kind) if kind else None,
                creditor=creditor,
                grouped=grouped,
            )
        except TemplateError as exc:
            _fail(str(exc).rstrip("."))
        except ValueError as exc:
            _fail(str(exc))
        if len(rendered) == 1:
            text = next(iter(rendered.values()))
            click.echo(text, nl=not text.endswith("\n"))
            return
        for part, text in rendered.items():
            click.echo(f"--- {part.value} ---")
            click.echo(text.rstrip("\n"))


def cli(argv: list[str] | None = None) -> int:
    """Run the group and return an exit code (click's own usage errors exit 2)."""
    try:
        group.main(args=argv, prog_name="creditflow", standalone_mode=False)
    except _Exit as exit_:
        return exit_.code
    except click.exceptions.Abort:
        stderr.print("interrupted: nothing is lost; run the same command again to continue")
        return 130
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except KeyboardInterrupt:
        stderr.print("interrupted: nothing is lost; run the same command again to continue")
        return 130
    return 0


__all__ = ["cli"]
