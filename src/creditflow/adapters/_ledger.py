"""Sent-key ledgers: how adapters for channels that cannot dedupe remember what they sent.

SMTP has no idempotency key: a message handed to the server twice is delivered twice. So the
SMTP (and, as a second line of defence, the SMS) adapter keeps a ledger of the idempotency keys it
has delivered, with the provider reference of each. The ledger is pluggable: the in-memory one
serves a single process; :class:`SqliteSentLedger` survives restarts; a host with several machines
passes its own (e.g. a table in its database) implementing :class:`SentLedger`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Protocol, runtime_checkable

__all__ = ["MemorySentLedger", "SentLedger", "SqliteSentLedger"]


@runtime_checkable
class SentLedger(Protocol):
    """Remembers which idempotency keys a channel delivered, and their provider references.

    Must: keep a recorded key for ever (or at least as long as creditflow may retry it, weeks);
    be safe to call from several threads.
    """

    def reference(self, idempotency_key: str) -> str | None:
        """The reference recorded for *idempotency_key*, or ``None`` if it was never sent."""
        ...

    def record(self, idempotency_key: str, reference: str) -> None:
        """Remember that *idempotency_key* was delivered as *reference*."""
        ...


class MemorySentLedger:
    """A ledger in memory: enough for one process that does not restart between retries."""

    def __init__(self) -> None:
        self._sent: dict[str, str] = {}
        self._lock = threading.Lock()

    def reference(self, idempotency_key: str) -> str | None:
        """The recorded reference, if any."""
        with self._lock:
            return self._sent.get(idempotency_key)

    def record(self, idempotency_key: str, reference: str) -> None:
        """Record a delivery."""
        with self._lock:
            self._sent.setdefault(idempotency_key, reference)

    def __len__(self) -> int:
        return len(self._sent)


class SqliteSentLedger:
    """A ledger in a SQLite file: survives restarts of a single-machine host."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._connection = sqlite3.connect(os.fspath(path), check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._connection:
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS creditflow_sent "
                "(idempotency_key TEXT PRIMARY KEY, reference TEXT NOT NULL)"
            )

    def reference(self, idempotency_key: str) -> str | None:
        """The recorded reference, if any."""
        with self._lock:
            row = self._connection.execute(
                "SELECT reference FROM creditflow_sent WHERE idempotency_key = ?",
                (idempotency_key,),
            ).fetchone()
        return None if row is None else str(row[0])

    def record(self, idempotency_key: str, reference: str) -> None:
        """Record a delivery (a key recorded before keeps its first reference)."""
        with self._lock, self._connection:
            self._connection.execute(
                "INSERT OR IGNORE INTO creditflow_sent (idempotency_key, reference) VALUES (?, ?)",
                (idempotency_key, reference),
            )

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._connection.close()


class KeyLocks:
    """One lock per idempotency key, so the same message is never sent by two threads at once."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._users: dict[str, int] = {}
        self._guard = threading.Lock()

    def acquire(self, key: str) -> threading.Lock:
        """Take the lock of *key* (release it with :meth:`release`)."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
            self._users[key] = self._users.get(key, 0) + 1
        lock.acquire()
        return lock

    def release(self, key: str) -> None:
        """Release the lock of *key*; forget it when nobody waits for it."""
        with self._guard:
            self._locks[key].release()
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]
