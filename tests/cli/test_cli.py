"""The command line: the demo, run, status and simulate, and their errors."""

from __future__ import annotations

import filecmp
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from creditflow.cli import main

SMALL = ["--debtors", "12", "--days", "70", "--seed", "3"]


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
