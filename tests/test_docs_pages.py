"""The tutorial and the how-to guides run as written.

Code blocks with a file name (```` ```python title="app.py" ````) are pieces of that file, in the
order they appear: they are written out and run as the reader runs them. Other python blocks of a
page run one after the other in one namespace. ``--8<-- "path"`` lines include a file of the
repository, as the documentation build does.
"""

from __future__ import annotations

import os
import pathlib
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from creditflow.cli import main

ROOT = pathlib.Path(__file__).parent.parent
DOCS = ROOT / "docs"
BLOCK = re.compile(r'^```python(?: title="(?P<file>[^"]+)")?\n(?P<code>.*?)^```', re.S | re.M)
SNIPPET = re.compile(r'^(?P<indent>[ \t]*)--8<-- "(?P<path>[^"]+)"$', re.M)


def _include(code: str) -> str:
    return SNIPPET.sub(lambda m: (ROOT / m.group("path")).read_text().rstrip("\n"), code)


def blocks(page: str) -> list[tuple[str | None, str]]:
    """The python blocks of *page*: (file name or None, code)."""
    text = (DOCS / page).read_text()
    return [(m.group("file"), _include(m.group("code"))) for m in BLOCK.finditer(text)]


def write_files(page: str, folder: pathlib.Path) -> dict[str, pathlib.Path]:
    """Write the titled blocks of *page* into *folder*, one file per title."""
    sources: dict[str, list[str]] = {}
    for name, code in blocks(page):
        if name is not None:
            sources.setdefault(name, []).append(code)
    written = {}
    for name, parts in sources.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(parts))
        written[name] = path
    return written


def run_python(
    script: pathlib.Path, cwd: pathlib.Path, **environment: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **environment}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class _Mailbox:
    """An aiosmtpd handler that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Mailbox, int]]:
    """A mail server on 127.0.0.1 that keeps what it receives, like the tutorial's aiosmtpd."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def test_tutorial_first_run_sends_the_reminder_and_records_the_payment(
    tmp_path: pathlib.Path,
    smtp_server: tuple[_Mailbox, int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``python first_run.py`` sends one Dutch reminder by SMTP and ends with the invoice paid."""
    mailbox, port = smtp_server
    files = write_files("tutorial.md", tmp_path)
    assert set(files) == {"app.py", "first_run.py"}
    assert not [code for name, code in blocks("tutorial.md") if name is None]
    result = run_python(files["first_run.py"], tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 due, 1 sent" in result.stdout
    assert "14-day letter" in result.stdout  # the simulated future
    assert "paid" in result.stdout
    (email,) = mailbox.messages
    assert email.rcpt_tos == ["sanne@example.nl"]
    assert b"Subject: Herinnering" in email.content

    # Step 8: the command line, with the tutorial's composition root.
    number = re.search(r"INV-\d{8}-1", (tmp_path / "credit.db").read_bytes().decode("latin-1"))
    assert number is not None
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    try:
        arguments = ["--db", "credit.db", "--app", "app:make_manager"]
        assert main(["status", number.group(), *arguments]) == 0
        assert "paid" in capsys.readouterr().out
        assert main(["run", *arguments]) == 0
    finally:
        sys.modules.pop("app", None)


HOWTOS = sorted(path.name for path in (DOCS / "howto").glob("*.md"))


def install_channel_plugin(folder: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``pip install ./examples/channel_plugin`` does: the package and its entry point."""
    import tomllib

    plugin = ROOT / "examples" / "channel_plugin"
    project = tomllib.loads((plugin / "pyproject.toml").read_text())["project"]
    dist_info = folder / "site" / f"creditflow_inbox-{project['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\n")
    points = project["entry-points"]["creditflow.channels"]
    (dist_info / "entry_points.txt").write_text(
        "[creditflow.channels]\n" + "".join(f"{k} = {v}\n" for k, v in points.items())
    )
    monkeypatch.syspath_prepend(str(plugin / "src"))
    monkeypatch.syspath_prepend(str(dist_info.parent))


@pytest.mark.parametrize("page", HOWTOS)
def test_howto_code_runs(
    page: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every python block of the how-to runs, in order, in one namespace (in a fresh folder)."""
    if page == "channel-plugin.md":
        install_channel_plugin(tmp_path, monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CREDITFLOW_POSTGRES_DSN", raising=False)
    namespace: dict[str, object] = {"__name__": f"howto_{page.removesuffix('.md')}"}
    for _, code in blocks(f"howto/{page}"):
        exec(compile(code, str(DOCS / "howto" / page), "exec"), namespace)


@pytest.mark.postgres
def test_postgres_howto_worker_and_ledger_work_on_a_real_server(
    postgres_dsn: str,
    postgres_schema: str,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The how-to's worker runs a manager on PostgreSQL and its sent-key ledger round-trips."""
    import psycopg

    import creditflow as cf
    from creditflow.adapters.postgres import PostgresStore
    from creditflow.testing import RecordingChannel

    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{postgres_schema}"')
    dsn = f"{postgres_dsn} options=-csearch_path={postgres_schema}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CREDITFLOW_POSTGRES_DSN", dsn)
    namespace: dict[str, Any] = {"__name__": "howto_postgres"}
    for _, code in blocks("howto/postgres-workers.md"):
        exec(compile(code, "postgres-workers.md", "exec"), namespace)

    def store_in_test_schema(dsn: str, *, schema: str, lease: Any) -> PostgresStore:
        return PostgresStore(dsn, schema=postgres_schema, lease=lease)

    namespace["PostgresStore"] = store_in_test_schema
    namespace["set_up"](dsn, postgres_schema)  # the example's 100 invoices, due in January 2026
    email = RecordingChannel(cf.Channel.EMAIL)
    namespace["work"](
        lambda store: namespace["make_manager"](store, email),
        runs=2,
        every=namespace["dt"].timedelta(0),
    )
    assert len(email.sent) == len({m.idempotency_key for m in email.sent}) == 100

    ledger = namespace["PostgresSentLedger"](dsn)
    try:
        assert ledger.reference("k1") is None
        ledger.record("k1", "ref-1")
        ledger.record("k1", "ref-2")
        assert ledger.reference("k1") == "ref-1"
    finally:
        ledger.close()
