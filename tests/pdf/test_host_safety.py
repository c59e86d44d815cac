"""Rendering leaves the host alone: no output, signal handlers, threads, network or memory growth.

borb, left to itself, counts every document it writes, sends the counts to its authors over the
network, installs SIGINT/SIGTERM handlers and an ``atexit`` hook to do so, and prints a licence
reminder on stdout after every 64 documents. None of that may reach a host that embeds creditflow.
"""

from __future__ import annotations

import atexit
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import invoice, letter, parties

pytest.importorskip("borb", reason="the pdf extra (borb) is not installed")

from creditflow.adapters.pdf import PdfRenderer

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)
ROOT = pathlib.Path(__file__).resolve().parents[2]


def _atexit_callbacks() -> int:
    count = getattr(atexit, "_ncallbacks", None)
    return int(count()) if count is not None else 0


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every way out to the network raises and is recorded."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args))
        raise OSError("the network is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.fixture
def host_state() -> Iterator[None]:
    """Signal handlers, running threads and ``atexit`` hooks are the same after the test."""
    handlers = {number: signal.getsignal(number) for number in SIGNALS}
    threads = {thread.ident for thread in threading.enumerate()}
    hooks = _atexit_callbacks()
    yield
    assert {number: signal.getsignal(number) for number in SIGNALS} == handlers
    assert {thread.ident for thread in threading.enumerate()} <= threads
    assert _atexit_callbacks() == hooks


def render_documents(count: int) -> None:
    """Render *count* documents, invoices and letters by turns, each a little different."""
    renderer = PdfRenderer()
    creditor, debtor = parties()
    message = letter()
    for index in range(count):
        if index % 2:
            renderer.render_letter(message)
        else:
            renderer.render_invoice(invoice(f"2026-{index:04d}"), creditor=creditor, debtor=debtor)


def test_rendering_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    """Past borb's reminder thresholds (64, 128 documents) nothing reaches stdout or stderr."""
    render_documents(130)
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


def test_rendering_keeps_signal_handlers_threads_and_exit_hooks(host_state: None) -> None:
    """SIGINT, SIGTERM and SIGALRM handlers, threads and ``atexit`` hooks are unchanged."""
    render_documents(70)


def test_rendering_opens_no_connection(no_network: list[str]) -> None:
    """No socket connects and no host name is looked up while documents are rendered."""
    render_documents(70)
    assert no_network == []


def test_a_fresh_host_process_keeps_its_handlers_hooks_threads_and_output() -> None:
    """In a new interpreter (borb never used before), 70 documents change nothing of the host.

    borb installs its handlers once per process, at its first counted document, so this is
    checked where that first document is one of ours.
    """
    code = """
import atexit, json, signal, sys, threading
from pdf.test_host_safety import SIGNALS, _atexit_callbacks, render_documents
handlers = {int(n): repr(signal.getsignal(n)) for n in SIGNALS}
threads, hooks = threading.active_count(), _atexit_callbacks()
render_documents(70)
print(json.dumps({
    "handlers": {int(n): repr(signal.getsignal(n)) for n in SIGNALS} == handlers,
    "threads": threading.active_count() == threads,
    "hooks": _atexit_callbacks() == hooks,
}))
"""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=300,
    )
    *printed, summary = result.stdout.splitlines()
    assert {**json.loads(summary), "stdout": printed, "stderr": result.stderr} == {
        "handlers": True,
        "threads": True,
        "hooks": True,
        "stdout": [],
        "stderr": "",
    }


def test_usage_statistics_are_switched_off_before_the_first_document() -> None:
    """After rendering, borb's usage statistics are opted out."""
    from borb.pdf import UsageStatistics

    PdfRenderer().render_letter(letter())
    # borb keeps the switch in a private class attribute; there is no public getter.
    assert UsageStatistics._UsageStatistics__HAS_OPTED_IN is False  # type: ignore[attr-defined]


@pytest.mark.slow
def test_two_hundred_documents_with_every_guard_on(
    capfd: pytest.CaptureFixture[str], no_network: list[str], host_state: None
) -> None:
    """200 documents in a loop: quiet, offline, handlers untouched, in bounded time."""
    started = time.perf_counter()
    render_documents(200)
    elapsed = time.perf_counter() - started
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert no_network == []
    assert elapsed < 120, f"200 documents took {elapsed:.1f} s"


def test_layout_caches_do_not_grow_with_the_number_of_documents() -> None:
    """The per-element size caches of borb are empty after each document (no unbounded growth)."""
    from borb.pdf import Chunk, Shape

    render_documents(4)
    assert Chunk.get_size.cache_info().currsize == 0
    assert Shape.get_size.cache_info().currsize == 0


def test_rendering_from_many_threads_gives_the_same_documents() -> None:
    """Eight threads rendering at once produce exactly what one thread does."""
    renderer = PdfRenderer()
    creditor, debtor = parties()
    numbers = [f"2026-{index:04d}" for index in range(24)]

    def render(number: str) -> bytes:
        return renderer.render_invoice(invoice(number), creditor=creditor, debtor=debtor).data

    serial = [render(number) for number in numbers]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(render, numbers))
    assert parallel == serial


def test_borbs_own_writer_would_print_a_licence_reminder() -> None:
    """The ``PDF.write`` of borb prints on stdout after 64 documents, even opted out.

    That is why the renderer serialises documents without it.

    If this fails, a new borb stopped doing so and the renderer's workaround can be revisited.
    """
    code = """
import io
from borb.pdf import PDF, Document, Page, UsageStatistics
UsageStatistics.opt_out()
for _ in range(64):
    document = Document()
    document.append_page(Page())
    PDF.write(what=document, where_to=io.BytesIO())
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert "borb" in result.stdout
