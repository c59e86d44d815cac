"""Rendering messages: templates in the creditor's own style and the debtor's language."""

from __future__ import annotations

from ._compose import ComposedMessage, ComposeRequest, MessageComposer, Templates

__all__ = ["ComposeRequest", "ComposedMessage", "MessageComposer", "Templates"]
