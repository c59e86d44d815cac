"""Crash safety on SQLite: a worker SIGKILLed in the middle of ``run`` loses and repeats nothing."""

from __future__ import annotations

import collections
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from _store_worker import DeliveryLog, messages_sent

from creditflow.adapters.sqlite import SqliteStore

WORKER = Path(__file__).with_name("_store_worker.py")
INVOICES = 10


def _env() -> dict[str, str]:
    source = str(Path(__file__).resolve().parents[2] / "src")
    paths = [source, os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def _worker(db: Path, log: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(db), str(log), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def _finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


def _kill_when_ready(process: subprocess.Popen[str]) -> None:
    """Wait for the worker to reach its stall point, then SIGKILL it there."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 120)
    assert ready, "the worker never reached its stall point"
    line = process.stdout.readline()
    assert line.strip() == "READY", (line, process.stderr.read() if process.stderr else "")
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)  # reaps the process and closes its pipes
    assert process.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_delivers_every_message_once(tmp_path: Path) -> None:
    """Killed while deciding and again while delivering, the reruns send each message once."""
    db, log = tmp_path / "creditflow.db", tmp_path / "deliveries.db"
    _finish(_worker(db, log, "setup", str(INVOICES)))

    # 1: killed in the deciding half, after 4 cases' steps were committed (nothing sent yet).
    first = _worker(db, log, "run", "--stall-after-steps", "4")
    _kill_when_ready(first)
    assert DeliveryLog(log).calls() == []

    # 2: a fresh process decides the rest, then is killed inside a delivery, after 3 sends.
    second = _worker(db, log, "run", "--stall-after-sends", "3")
    _kill_when_ready(second)
    calls_before_rerun = DeliveryLog(log).calls()
    assert len(calls_before_rerun) == 3
    in_flight = calls_before_rerun[-1]  # delivered, but its outcome was never recorded

    # 3: a clean run in a fresh process finishes the work.
    out = _finish(_worker(db, log, "run"))
    assert out.startswith("DONE")

    delivery_log = DeliveryLog(log)
    calls = collections.Counter(delivery_log.calls())
    deliveries = collections.Counter(delivery_log.deliveries())
    store = SqliteStore(db)
    try:
        numbers = [f"INV-{i:03}" for i in range(INVOICES)]
        # The channel sees the effect's key with the channel appended.
        recorded = collections.Counter(f"{key}#email" for key in messages_sent(store, numbers))
    finally:
        store.close()

    assert len(deliveries) == INVOICES, "every invoice's reminder was delivered"
    assert set(deliveries.values()) == {1}, "no message was delivered twice"
    assert set(recorded) == set(deliveries)
    assert set(recorded.values()) == {1}, "each delivery is recorded once"
    # A key is offered to the channel again only when a crash hid its outcome: the one in flight.
    repeated = {key for key, count in calls.items() if count > 1}
    assert repeated <= {in_flight}
    assert calls[in_flight] <= 2

    # A fourth run finds nothing left to do.
    out = _finish(_worker(db, log, "run"))
    assert out.split()[1] == "0"
    assert collections.Counter(DeliveryLog(log).calls()) == calls
