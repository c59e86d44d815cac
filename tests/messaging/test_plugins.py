"""Plugin channels from the ``creditflow.channels`` entry-point group."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from creditflow.adapters import _plugins, load_channel
from creditflow.errors import CreditflowError
from creditflow.ports import MessageChannel, OutgoingMessage


class WhatsAppChannel:
    """A plugin channel, as a third-party package would write it."""

    def __init__(self, token: str = "none") -> None:
        self.token = token

    def send(self, message: OutgoingMessage) -> str | None:
        return f"wa-{message.idempotency_key}"


class NotAChannel:
    """Something with no send method."""


def broken_factory() -> MessageChannel:
    raise RuntimeError("missing API token")


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend these plugins are installed."""
    points = [
        EntryPoint("whatsapp", f"{__name__}:WhatsAppChannel", _plugins.CHANNEL_GROUP),
        EntryPoint("fax", f"{__name__}:NotAChannel", _plugins.CHANNEL_GROUP),
        EntryPoint("telex", "creditflow_telex_missing:Channel", _plugins.CHANNEL_GROUP),
        EntryPoint("pager", f"{__name__}:broken_factory", _plugins.CHANNEL_GROUP),
    ]

    def entry_points(*, group: str) -> list[EntryPoint]:
        return [p for p in points if p.group == group]

    monkeypatch.setattr(_plugins, "entry_points", entry_points)


@pytest.mark.usefixtures("installed")
def test_plugin_channel_is_loaded_and_built_with_options() -> None:
    """A registered class is instantiated with the options and satisfies MessageChannel."""
    channel = load_channel("whatsapp", token="s3cret")
    assert isinstance(channel, WhatsAppChannel)
    assert channel.token == "s3cret"
    assert isinstance(channel, MessageChannel)


@pytest.mark.usefixtures("installed")
def test_missing_plugin_names_the_group_and_what_is_installed() -> None:
    """Asking for a plugin nobody installed says so and lists the installed ones."""
    with pytest.raises(
        CreditflowError, match=r"no channel plugin 'sms2'.*creditflow\.channels.*whatsapp"
    ):
        load_channel("sms2")


@pytest.mark.usefixtures("installed")
def test_plugin_that_is_not_a_channel_is_refused() -> None:
    """A plugin whose object has no send method is refused, naming the entry point."""
    with pytest.raises(CreditflowError, match=r"'fax'.*NotAChannel.*not a MessageChannel"):
        load_channel("fax")


@pytest.mark.usefixtures("installed")
def test_plugin_that_cannot_be_imported_names_the_entry_point() -> None:
    """An entry point whose module is missing names the entry point and its target."""
    with pytest.raises(CreditflowError, match=r"'telex' \(creditflow_telex_missing:Channel\)"):
        load_channel("telex")


@pytest.mark.usefixtures("installed")
def test_plugin_factory_that_fails_names_the_entry_point() -> None:
    """A factory that raises is reported with the entry point and the error."""
    with pytest.raises(CreditflowError, match=r"'pager'.*missing API token"):
        load_channel("pager")
