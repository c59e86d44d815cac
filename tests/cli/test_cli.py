"""The command line: the demo, run, status and simulate, and their errors."""

from __future__ import annotations

import contextlib
import datetime as dt
import filecmp
import io
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

import creditflow as cf
from creditflow import events as ev
from creditflow.cli import _demo as demo_module
from creditflow.cli import main
from creditflow.cli._demo import START, DemoSettings, build_manager, generate
from creditflow.testing import SettableClock

SMALL = ["--debtors", "12", "--days", "70", "--seed", "3"]
RICH = ["--debtors", "20", "--days", "90", "--seed", "26"]
"""A demo with reversals of every kind, a re-collection that bounces, a kept and a dropped plan."""


def demo(out: pathlib.Path, *options: str) -> int:
    return main(["demo", "--out", str(out), *(options or SMALL)])


def message_files(out: pathlib.Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted((out / "messages").rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    assert demo(out) == 0
    return out


def test_demo_writes_messages_a_person_can_open(finished: pathlib.Path) -> None:
    """E-mails are .eml files with a subject and a payment link; letters and SMS are files too."""
    emails = sorted((finished / "messages" / "email").glob("*.eml"))
    assert emails
    text = emails[0].read_text()
    assert "Subject:" in text
    assert "Message-ID:" in text
    assert "https://pay.lumen.example/" in text
    assert list((finished / "messages" / "letters").iterdir())


def test_demo_with_the_same_seed_is_identical_byte_for_byte(
    finished: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two runs with the same options give the same summary and the same message files."""
    capsys.readouterr()
    assert demo(tmp_path / "a") == 0
    first = capsys.readouterr().out.replace(str(tmp_path / "a"), "OUT")
    assert demo(tmp_path / "b") == 0
    second = capsys.readouterr().out.replace(str(tmp_path / "b"), "OUT")
    assert first == second
    assert "collected" in first
    assert message_files(tmp_path / "a") == message_files(tmp_path / "b") == message_files(finished)


def test_interrupted_demo_continues_and_sends_nothing_twice(
    finished: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """Ctrl-C in the middle, then the same command again: the same files as an uninterrupted run."""
    out = tmp_path / "interrupted"
    command = [sys.executable, "-m", "creditflow.cli", "demo", "--out", str(out), *SMALL]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    progress = out / "progress.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (
            progress.exists()
            and json.loads(progress.read_text() or '{"days_done": 0}')["days_done"] >= 20
        ):
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the demo finished before it could be interrupted")
    assert process.returncode == 130, err
    assert b"nothing is lost" in err
    assert demo(out) == 0
    assert message_files(out) == message_files(finished)


def test_run_status_and_simulate_on_the_demo_database(
    finished: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The ops commands read the demo's database and print tables."""
    db = str(finished / "creditflow.db")
    assert main(["status", "2026-00001-1", "--db", db]) == 0
    assert "history" in capsys.readouterr().out
    assert main(["simulate", "2026-00001-1", "--db", db, "--until", "2026-12-31"]) == 0
    capsys.readouterr()
    assert main(["run", "--db", db]) == 0
    assert "due cases" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message", "code"),
    [
        (["status", "NOPE"], "invoice 'NOPE' is not registered", 3),
        (["simulate", "2026-00001-1", "--until", "31-12-2026"], "is not a date", 2),
        (["run", "--now", "yesterday"], "is not an ISO date-time", 2),
    ],
)
def test_bad_input_is_one_clear_sentence_and_a_non_zero_exit(
    finished: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
    code: int,
) -> None:
    """No traceback: one sentence on stderr naming the value."""
    assert main([*arguments, "--db", str(finished / "creditflow.db")]) == code
    err = capsys.readouterr().err
    assert message in " ".join(err.split())
    assert "Traceback" not in err


def test_unreadable_or_missing_database(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing file and a file that is not a database each get one sentence and exit 3."""
    assert main(["status", "X", "--db", str(tmp_path / "missing.db")]) == 3
    assert "does not exist" in capsys.readouterr().err
    junk = tmp_path / "demo.json"
    junk.write_text('{"debtors": 1, "days": 1, "seed": 1}')
    garbage = tmp_path / "creditflow.db"
    garbage.write_bytes(b"this is not a database" * 100)
    assert main(["status", "X", "--db", str(garbage)]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert str(garbage.name) in err


def test_demo_refuses_to_mix_two_demos_in_one_folder(
    finished: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Other options on an existing demo folder are refused, and nothing there changes."""
    before = filecmp.dircmp(finished, finished)
    assert demo(finished, "--debtors", "13", "--days", "70", "--seed", "3") == 3
    assert "another demo" in capsys.readouterr().err
    assert before.left_list == sorted(os.listdir(finished))


# -- direct debits and payment plans in the demo ----------------------------------------------


def _rich_settings(out: pathlib.Path) -> DemoSettings:
    return DemoSettings(out=str(out), debtors=20, days=90, seed=26)


def _manager_on(out: pathlib.Path) -> cf.CreditManager:
    from creditflow.adapters.sqlite import SqliteStore

    settings = _rich_settings(out)
    clock = SettableClock(START + dt.timedelta(days=settings.days))
    return build_manager(settings, SqliteStore(settings.database), clock)[0]


def _events(out: pathlib.Path, cls: type[ev.Event]) -> list[ev.Event]:
    manager = _manager_on(out)
    return [
        event
        for invoice in generate(_rich_settings(out)).invoices
        for event in manager.history(invoice.number)
        if isinstance(event, cls)
    ]


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, str]:
    out = tmp_path_factory.mktemp("rich") / "out"
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        assert demo(out, *RICH) == 0
    return out, printed.getvalue()


def test_portfolio_has_direct_debits_reversals_and_plans() -> None:
    """Some debtors pay by direct debit; reversals carry several codes; one plan of several defaults."""
    portfolio = generate(DemoSettings(out="x", debtors=60, days=120, seed=7))
    assert portfolio.mandates
    debits = [p for p in portfolio.payments if p.method == "sepa_direct_debit"]
    assert {p.invoice_number for p in debits} >= {r.invoice_number for r in portfolio.reversals}
    assert {r.reason_code for r in portfolio.reversals} == {"AM04", "MD06", "AC04", "MS02"}
    assert any(r.bounces for r in portfolio.reversals)
    assert len(portfolio.plans) >= 2
    assert [p.kept for p in portfolio.plans].count(False) == 1
    planned = {p.invoice_number for p in portfolio.plans}
    assert not planned & {p.invoice_number for p in portfolio.payments}


def test_am04_is_re_collected_through_the_demo_collector(rich: tuple[pathlib.Path, str]) -> None:
    """Every AM04 gets a re-collection; the bank books it (or bounces it) two days after."""
    out, _ = rich
    submitted = _events(out, ev.ReCollectionSubmitted)
    paid = {
        e.payment.reference: e
        for e in _events(out, ev.PaymentReceived)
        if isinstance(e, ev.PaymentReceived)
    }
    assert submitted
    booked = 0
    for event in submitted:
        assert isinstance(event, ev.ReCollectionSubmitted)
        assert event.collection_reference.startswith(f"rc-{event.invoice_number}-")
        payment = paid.get(event.collection_reference)
        if payment is not None:
            assert payment.payment.method == "sepa_direct_debit"
            assert payment.occurred_on == event.collect_on + dt.timedelta(days=2)
            booked += 1
    bounced = [
        e
        for e in _events(out, ev.DirectDebitReversed)
        if isinstance(e, ev.DirectDebitReversed) and e.payment_reference.startswith("rc-")
    ]
    assert bounced
    assert booked == len(submitted) - len(bounced)


def test_final_codes_stop_direct_debit(rich: tuple[pathlib.Path, str]) -> None:
    """MD06, AC04 and MS02 are not re-collected: the invoice is dunned without direct debit."""
    out, _ = rich
    manager = _manager_on(out)
    stopping = [
        e
        for e in _events(out, ev.DirectDebitReversed)
        if isinstance(e, ev.DirectDebitReversed) and e.reason_code != "AM04"
    ]
    assert {e.reason_code for e in stopping} == {"MD06", "AC04", "MS02"}
    for event in stopping:
        status = manager.invoice_status(event.invoice_number)
        assert status.direct_debit_excluded
        assert not any(isinstance(e, ev.ReCollectionScheduled) for e in status.history)


def test_plans_are_kept_or_default(rich: tuple[pathlib.Path, str]) -> None:
    """A kept plan completes with three instalments; the dropped one defaults and dunning resumes."""
    out, _ = rich
    manager = _manager_on(out)
    outcomes = {}
    for planned in generate(_rich_settings(out)).plans:
        outcomes[planned.kept] = manager.payment_plan(planned.invoice_number)
    assert outcomes[True].outcome is cf.PlanOutcome.COMPLETED
    assert all(i.is_paid for i in outcomes[True].installments)
    assert outcomes[False].outcome is cf.PlanOutcome.DEFAULTED
    assert [i.is_paid for i in outcomes[False].installments] == [True, False, False]


def test_summary_counts_reversals_re_collections_and_plans(rich: tuple[pathlib.Path, str]) -> None:
    """The summary table gains rows for reversals by code, re-collections and plans."""
    _, printed = rich
    lines = {" ".join(line.strip("│ ").split()) for line in printed.splitlines()}
    assert "direct debits reversed │ 8" in lines
    assert "AM04 (insufficient funds) │ 5" in lines
    assert "re-collections submitted / paid │ 5 / 4" in lines
    assert "payment plans agreed │ 2" in lines
    assert "payment plans completed │ 1" in lines
    assert "payment plans defaulted │ 1" in lines


def test_demo_interrupted_while_a_re_collection_is_out_continues_identically(
    rich: tuple[pathlib.Path, str],
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Stopped after a re-collection went out and before the bank booked it: the same result."""
    out, printed = rich
    first = min(
        (
            e
            for e in _events(out, ev.ReCollectionSubmitted)
            if isinstance(e, ev.ReCollectionSubmitted)
        ),
        key=lambda e: e.occurred_on,
    )
    stop_after = (first.occurred_on - START.date()).days + 1
    mark = demo_module._mark_progress

    def interrupt(settings: DemoSettings, done: int) -> None:
        mark(settings, done)
        if done == stop_after:
            raise KeyboardInterrupt

    again = tmp_path / "again"
    monkeypatch.setattr(demo_module, "_mark_progress", interrupt)
    assert demo(again, *RICH) == 130
    assert "nothing is lost" in capsys.readouterr().err
    monkeypatch.setattr(demo_module, "_mark_progress", mark)
    assert demo(again, *RICH) == 0
    resumed = capsys.readouterr().out
    assert f"after day {stop_after}" in resumed
    assert message_files(again) == message_files(out)
    table = resumed[resumed.index("creditflow demo:") :].replace(str(again), "OUT")
    assert table == printed[printed.index("creditflow demo:") :].replace(str(out), "OUT")


def test_app_module_is_found_in_the_current_folder(
    finished: pathlib.Path,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--app module:function`` imports the host's module from the folder the command runs in."""
    (tmp_path / "host_app_for_cli.py").write_text(
        "from creditflow.cli._demo import build_manager, load_settings, START\n"
        "from creditflow.testing import SettableClock\n"
        "import pathlib\n"
        "def make_manager(store):\n"
        f"    settings = load_settings(pathlib.Path({str(finished)!r}))\n"
        "    return build_manager(settings, store, SettableClock(START))[0]\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "host_app_for_cli", raising=False)
    db = str(finished / "creditflow.db")
    assert (
        main(["status", "2026-00001-1", "--db", db, "--app", "host_app_for_cli:make_manager"]) == 0
    )
    assert "history" in capsys.readouterr().out
