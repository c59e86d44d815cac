"""Plugin channels: channels that other packages register under the ``creditflow.channels`` group."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

from ..errors import CreditflowError
from ..ports import MessageChannel

__all__ = ["CHANNEL_GROUP", "available_channels", "load_channel"]

CHANNEL_GROUP = "creditflow.channels"


def _describe(point: EntryPoint) -> str:
    package = point.dist.name if point.dist is not None else "an unknown package"
    return f"entry point {point.name!r} ({point.value}) of {package}"


def available_channels() -> dict[str, str]:
    """The installed plugin channels: entry-point name → what it points at."""
    return {point.name: point.value for point in entry_points(group=CHANNEL_GROUP)}


def load_channel(name: str, /, **options: Any) -> MessageChannel:
    """Load the channel a plugin registered as *name* in the ``creditflow.channels`` group.

    The entry point may be a :class:`~creditflow.ports.MessageChannel` instance, or a class or
    factory that makes one; *options* are passed to it. Register it in the plugin's
    ``pyproject.toml``::

        [project.entry-points."creditflow.channels"]
        whatsapp = "creditflow_whatsapp:WhatsAppChannel"

    Raises:
        CreditflowError: no plugin is installed under *name*, it fails to import or to build,
            or what it gives is not a channel (the message names the entry point and package).
    """
    points = [p for p in entry_points(group=CHANNEL_GROUP) if p.name == name]
    if not points:
        installed = ", ".join(sorted(available_channels())) or "none"
        raise CreditflowError(
            f"no channel plugin {name!r} is installed (entry-point group {CHANNEL_GROUP!r}; "
            f"installed: {installed}); install the package that provides it"
        )
    point = points[0]
    try:
        target = point.load()
    except Exception as exc:
        raise CreditflowError(f"channel plugin {_describe(point)} cannot be loaded: {exc}") from exc
    channel = target
    if not isinstance(target, MessageChannel) or isinstance(target, type):
        if not callable(target):
            raise CreditflowError(
                f"channel plugin {_describe(point)} is neither a channel nor a factory of one"
            )
        try:
            channel = target(**options)
        except Exception as exc:
            raise CreditflowError(
                f"channel plugin {_describe(point)} could not be created with options "
                f"{sorted(options)}: {exc}"
            ) from exc
    if not isinstance(channel, MessageChannel):
        raise CreditflowError(
            f"channel plugin {_describe(point)} gave {type(channel).__name__}, which is not a "
            f"MessageChannel: it needs a send(message) -> str | None method"
        )
    return channel
