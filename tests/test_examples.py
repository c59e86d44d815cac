"""Every script in ``examples/`` runs as a user would run it: ``python examples/X.py``."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tomllib

import pytest

ROOT = pathlib.Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def run_example(
    path: pathlib.Path, cwd: pathlib.Path, **environment: str | None
) -> subprocess.CompletedProcess[str]:
    """Run *path* in a fresh interpreter from *cwd*, with this source tree importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    for name, value in environment.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, str(path)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_there_are_examples() -> None:
    """The examples the documentation points to exist."""
    names = {path.name for path in EXAMPLES}
    assert {
        "quickstart.py",
        "minimal.py",
        "host_test.py",
        "channel_plugin_demo.py",
        "postgres_workers.py",
    } <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs(path: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """The example exits 0 (PostgreSQL's without a DSN: it says how to run it)."""
    result = run_example(path, tmp_path, CREDITFLOW_POSTGRES_DSN=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip()
    assert list(tmp_path.iterdir()) == []  # examples clean up after themselves


def test_postgres_example_without_a_dsn_says_how_to_run_it(tmp_path: pathlib.Path) -> None:
    """Without ``CREDITFLOW_POSTGRES_DSN`` the example explains itself and does nothing else."""
    result = run_example(
        ROOT / "examples" / "postgres_workers.py", tmp_path, CREDITFLOW_POSTGRES_DSN=None
    )
    assert "CREDITFLOW_POSTGRES_DSN" in result.stdout


@pytest.mark.postgres
def test_postgres_example_shares_the_work_between_two_workers(
    postgres_dsn: str, tmp_path: pathlib.Path
) -> None:
    """On a real server both workers take cases, and every reminder is sent once."""
    result = run_example(
        ROOT / "examples" / "postgres_workers.py", tmp_path, CREDITFLOW_POSTGRES_DSN=postgres_dsn
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "none twice" in result.stdout
    assert result.stdout.count("sent ") == 2


def test_channel_plugin_declares_its_entry_point() -> None:
    """The plugin skeleton registers its channel under the ``creditflow.channels`` group."""
    from creditflow.adapters import CHANNEL_GROUP

    project = tomllib.loads((ROOT / "examples" / "channel_plugin" / "pyproject.toml").read_text())
    assert project["project"]["entry-points"][CHANNEL_GROUP] == {
        "inbox": "creditflow_inbox:InboxChannel"
    }
