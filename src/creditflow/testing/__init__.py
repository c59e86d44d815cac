"""In-memory fakes of every port and pytest fixtures, for testing a host's integration.

Every fake keeps the guarantees its port documents (idempotency keys, ordering, errors), and runs
through the same contract tests as the real adapter it stands in for. With them a test suite runs
a year of dunning in milliseconds::

    from creditflow.testing import InMemoryStore, RecordingChannel, SettableClock

The pytest plugin (installed with creditflow) provides ready fixtures: ``creditflow_manager``,
``creditflow_clock``, ``creditflow_email``, ``creditflow_sms``, ``creditflow_letter``,
``creditflow_links``, ``creditflow_agency``, ``creditflow_events`` and more.
"""

from __future__ import annotations

from ._fakes import (
    FakeAgency,
    FakePaymentLinks,
    ListSink,
    RecordingChannel,
    RecordingCollector,
    RecordingSubscriptions,
    SettableClock,
    TextRenderer,
)
from ._store import InMemoryStore

__all__ = [
    "FakeAgency",
    "FakePaymentLinks",
    "InMemoryStore",
    "ListSink",
    "RecordingChannel",
    "RecordingCollector",
    "RecordingSubscriptions",
    "SettableClock",
    "TextRenderer",
]
