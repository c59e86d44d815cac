"""Real adapters for the ports: storage, channels, payment links, agencies, documents, clock.

Each adapter imports its heavy dependency only when it is used; a missing optional dependency
raises :class:`~creditflow.errors.MissingExtraError` naming the extra to install. Channel and
payment-link adapters live in their own modules: :mod:`creditflow.adapters.smtp`,
:mod:`creditflow.adapters.sms`, :mod:`creditflow.adapters.letters` and
:mod:`creditflow.adapters.payment_links`; PDF rendering (the ``pdf`` extra) in
:mod:`creditflow.adapters.pdf`.
"""

from __future__ import annotations

from ._ledger import MemorySentLedger, SentLedger, SqliteSentLedger
from ._plugins import CHANNEL_GROUP, available_channels, load_channel

__all__ = [
    "CHANNEL_GROUP",
    "MemorySentLedger",
    "SentLedger",
    "SqliteSentLedger",
    "available_channels",
    "load_channel",
]
