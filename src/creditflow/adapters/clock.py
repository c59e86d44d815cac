"""The system clock: the one place where creditflow reads the real time."""

from __future__ import annotations

import datetime as dt

__all__ = ["SystemClock"]


class SystemClock:
    """The machine's clock, in UTC (the manager converts to the creditor's time zone)."""

    def now(self) -> dt.datetime:
        """The current instant."""
        return dt.datetime.now(dt.UTC)

    def __repr__(self) -> str:
        return "SystemClock()"
