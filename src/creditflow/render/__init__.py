"""Rendering messages: templates in the creditor's own style and the debtor's language."""

from __future__ import annotations

from ._catalogue import TemplatePart, TemplateVariable
from ._compose import (
    ComposedMessage,
    ComposeRequest,
    InvoiceItem,
    MessageComposer,
    Templates,
    locale_chain,
)
from ._sample import sample_request

__all__ = [
    "ComposeRequest",
    "ComposedMessage",
    "InvoiceItem",
    "MessageComposer",
    "TemplatePart",
    "TemplateVariable",
    "Templates",
    "locale_chain",
    "sample_request",
]
