"""Development sessions: ``nox -s tests lint typecheck docs examples bench``."""

from __future__ import annotations

import pathlib

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "examples"]
nox.options.default_venv_backend = "venv"

ROOT = pathlib.Path(__file__).parent
TEST_DEPS = ["pytest>=8", "hypothesis>=6.100", "aiosmtpd>=1.4"]


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Run the whole test suite (PostgreSQL tests start a throw-away server when one is installed)."""
    session.install("-e", ".[all]", *TEST_DEPS)
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.6")
    paths = ["src", "tests", "examples", "benchmarks", "docs/_ext", "noxfile.py"]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the library."""
    session.install("-e", ".[all]", "mypy>=1.10", "pytest>=8")
    session.run("mypy", "--strict", "src")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Build the documentation website into ``site/``, with warnings as errors."""
    session.install(
        "-e",
        ".[all]",
        "mkdocs>=1.6",
        "mkdocs-material>=9",
        "mkdocstrings[python]>=0.25",
        "ruff>=0.6",  # mkdocstrings formats the signatures with it
    )
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")


@nox.session(python="3.11")
def examples(session: nox.Session) -> None:
    """Run every example script."""
    session.install("-e", ".[all]", *TEST_DEPS)
    for example in sorted((ROOT / "examples").glob("*.py")):
        session.run("python", str(example))


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Run the benchmarks (``nox -s bench -- --quick`` for a short smoke run)."""
    session.install("-e", ".[all]")
    session.run("python", "-m", "benchmarks", *session.posargs)
