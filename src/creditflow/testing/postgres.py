"""A throw-away PostgreSQL server, for tests and benchmarks of :class:`~creditflow.adapters.postgres.PostgresStore`.

:class:`PostgresServer` starts a private PostgreSQL cluster from the locally installed binaries
(``initdb`` and ``pg_ctl``, found on ``PATH`` or in the usual Debian and ``/usr/local``
locations) in a temporary directory, listening on 127.0.0.1 only at a free port, with
``fsync=off`` (it is thrown away, so durability does not matter). PostgreSQL refuses to run as
root: when the current user is root, the server runs as the ``postgres`` user. Stopping it
deletes the directory::

    from creditflow.testing.postgres import PostgresServer, postgres_binaries

    if postgres_binaries() is None:
        ...  # skip: PostgreSQL is not installed
    with PostgresServer() as server:
        store = PostgresStore(server.dsn)

Nothing here is imported by ``import creditflow`` or ``import creditflow.testing``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Final

__all__ = ["PostgresNotInstalledError", "PostgresServer", "postgres_binaries"]

BINARY_DIRECTORIES: Final = (
    "/usr/local/bin",
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/14/bin",
)
"""Where PostgreSQL binaries are looked for when they are not on ``PATH``."""


class PostgresNotInstalledError(RuntimeError):
    """No PostgreSQL binaries (``initdb`` and ``pg_ctl``) were found on this machine."""


def _find(binary: str) -> str | None:
    found = shutil.which(binary)
    if found:
        return found
    for directory in BINARY_DIRECTORIES:
        candidate = Path(directory) / binary
        if candidate.exists():
            return str(candidate)
    return None


def postgres_binaries() -> tuple[str, str] | None:
    """The paths of ``initdb`` and ``pg_ctl``, or ``None`` when PostgreSQL is not installed."""
    initdb, pg_ctl = _find("initdb"), _find("pg_ctl")
    if initdb is None or pg_ctl is None:
        return None
    return initdb, pg_ctl


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, started at once; :meth:`stop` removes it.

    Args:
        settings: Server settings passed as ``-c name=value`` (added to, or replacing, the
            defaults ``fsync=off`` and ``max_connections=100``).
        timeout: Seconds to wait for ``initdb`` and for the server to start or stop.

    Raises:
        PostgresNotInstalledError: ``initdb`` or ``pg_ctl`` cannot be found.
        subprocess.CalledProcessError: ``initdb`` or ``pg_ctl`` failed (the server's log is in
            the error's ``stderr``/``stdout``).

    Use it as a context manager, or call :meth:`stop` yourself.
    """

    def __init__(self, *, settings: Mapping[str, str] | None = None, timeout: int = 120) -> None:
        binaries = postgres_binaries()
        if binaries is None:
            raise PostgresNotInstalledError(
                "PostgreSQL is not installed: no initdb/pg_ctl on PATH or in "
                + ", ".join(BINARY_DIRECTORIES)
            )
        initdb, self._pg_ctl = binaries
        self._timeout = timeout
        self._as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="creditflow-pg-"))
        """The temporary directory: the cluster (``data``), its socket and its ``log``."""
        self.data = self.root / "data"
        self.port = _free_port()
        """The TCP port on 127.0.0.1."""
        try:
            if self._as_root:
                shutil.chown(self.root, "postgres", "postgres")
                self.root.chmod(0o700)
            self._run(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
            options = {"fsync": "off", "max_connections": "100", **(settings or {})}
            flags = " ".join(f"-c {name}={value}" for name, value in options.items())
            self._run(
                self._pg_ctl,
                "-D",
                str(self.data),
                "-o",
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} {flags}",
                "-l",
                str(self.root / "log"),
                "-w",
                "start",
            )
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def __repr__(self) -> str:
        return f"<PostgresServer 127.0.0.1:{self.port} in {self.root}>"

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self, *command: str) -> None:
        if self._as_root:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, capture_output=True, timeout=self._timeout)  # noqa: S603 - the local PostgreSQL binaries with our own arguments

    @property
    def dsn(self) -> str:
        """A libpq connection string for the ``postgres`` database, as the ``postgres`` user."""
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        """A libpq connection string for *database* on this server, as the ``postgres`` user."""
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def stop(self) -> None:
        """Stop the server at once (``-m immediate``) and delete its directory."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self._pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
