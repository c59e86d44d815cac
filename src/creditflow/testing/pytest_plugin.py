"""pytest fixtures for testing a host's integration with creditflow (loaded automatically).

Each fixture is fresh per test. ``creditflow_manager`` is a :class:`~creditflow.CreditManager` for
a sample Dutch creditor, wired to the in-memory store and the recording fakes that the other
fixtures return, so a test can drive the manager and look at what was sent::

    def test_reminder_goes_out(creditflow_manager, creditflow_clock, creditflow_email):
        ...
        creditflow_clock.advance(days=8)
        creditflow_manager.run()
        assert len(creditflow_email.sent) == 1
"""

from __future__ import annotations

import datetime as dt

import pytest

from .._manager import CreditManager
from .._parties import Address, BankAccount, Channel, Creditor
from . import (
    FakeAgency,
    FakePaymentLinks,
    InMemoryStore,
    ListSink,
    RecordingChannel,
    RecordingCollector,
    RecordingSubscriptions,
    SettableClock,
    TextRenderer,
)

__all__ = [
    "creditflow_agency",
    "creditflow_clock",
    "creditflow_collector",
    "creditflow_creditor",
    "creditflow_email",
    "creditflow_events",
    "creditflow_letter",
    "creditflow_links",
    "creditflow_manager",
    "creditflow_sms",
    "creditflow_store",
    "creditflow_subscriptions",
]


@pytest.fixture
def creditflow_clock() -> SettableClock:
    """A clock at 2026-01-05 09:00 UTC (a Monday), moved with ``advance(days=...)``."""
    return SettableClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def creditflow_store() -> InMemoryStore:
    """An empty in-memory store."""
    return InMemoryStore()


@pytest.fixture
def creditflow_email() -> RecordingChannel:
    """The e-mail channel fake."""
    return RecordingChannel(Channel.EMAIL)


@pytest.fixture
def creditflow_sms() -> RecordingChannel:
    """The SMS channel fake."""
    return RecordingChannel(Channel.SMS)


@pytest.fixture
def creditflow_letter() -> RecordingChannel:
    """The letter channel fake."""
    return RecordingChannel(Channel.LETTER)


@pytest.fixture
def creditflow_links() -> FakePaymentLinks:
    """Deterministic payment links."""
    return FakePaymentLinks()


@pytest.fixture
def creditflow_agency() -> FakeAgency:
    """A collection agency that takes every claim."""
    return FakeAgency()


@pytest.fixture
def creditflow_collector() -> RecordingCollector:
    """A direct-debit collector that records collections."""
    return RecordingCollector()


@pytest.fixture
def creditflow_subscriptions() -> RecordingSubscriptions:
    """Records stopped subscriptions."""
    return RecordingSubscriptions()


@pytest.fixture
def creditflow_events() -> ListSink:
    """Every event the manager publishes."""
    return ListSink()


@pytest.fixture
def creditflow_creditor() -> Creditor:
    """A sample Dutch creditor."""
    return Creditor(
        key="acme",
        name="Acme B.V.",
        address=Address(
            street="Keizersgracht 1", postal_code="1015 CJ", city="Amsterdam", country="NL"
        ),
        vat_number="NL000099998B57",
        coc_number="12345678",
        bank_account=BankAccount(iban="NL91ABNA0417164300", bic="ABNANL2A", holder="Acme B.V."),
    )


@pytest.fixture
def creditflow_manager(
    creditflow_creditor: Creditor,
    creditflow_store: InMemoryStore,
    creditflow_clock: SettableClock,
    creditflow_email: RecordingChannel,
    creditflow_sms: RecordingChannel,
    creditflow_letter: RecordingChannel,
    creditflow_links: FakePaymentLinks,
    creditflow_agency: FakeAgency,
    creditflow_collector: RecordingCollector,
    creditflow_subscriptions: RecordingSubscriptions,
    creditflow_events: ListSink,
) -> CreditManager:
    """A manager for the sample creditor, wired to every fake fixture (no send window)."""
    return CreditManager(
        creditor=creditflow_creditor,
        store=creditflow_store,
        channels={
            Channel.EMAIL: creditflow_email,
            Channel.SMS: creditflow_sms,
            Channel.LETTER: creditflow_letter,
        },
        payment_links=creditflow_links,
        collector=creditflow_collector,
        agency=creditflow_agency,
        subscriptions=creditflow_subscriptions,
        events=creditflow_events,
        clock=creditflow_clock,
        renderer=TextRenderer(),
        send_window=None,
    )
