"""What a message template may use: the parts of a message and the variables of each kind."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

from attrs import frozen

from .._message_kind import MessageKind
from .._parties import Channel

__all__ = ["TemplatePart", "TemplateVariable", "parts_for", "required_variables", "variables"]


class TemplatePart(enum.Enum):
    """One rendered part of a message.

    Each is rendered from ``<template>.<part>.j2`` if that exists, else from ``<template>.j2``
    extending the layout ``_<part>.j2``.
    """

    SUBJECT = "subject"
    TEXT = "text"
    """The plain-text body of an e-mail (and of plugin channels)."""
    HTML = "html"
    """The HTML body of an e-mail (autoescaped)."""
    SMS = "sms"
    """A short text for SMS."""
    LETTER = "letter"
    """The text of a printed letter, with address blocks."""

    @property
    def autoescape(self) -> bool:
        """Whether values are HTML-escaped in this part."""
        return self is TemplatePart.HTML

    @property
    def is_body(self) -> bool:
        """Whether this part carries the message's content (everything but the subject)."""
        return self is not TemplatePart.SUBJECT


def parts_for(channel: Channel) -> tuple[TemplatePart, ...]:
    """The parts rendered for a message on *channel* (the subject always comes first)."""
    if channel == Channel.EMAIL:
        return (TemplatePart.SUBJECT, TemplatePart.TEXT, TemplatePart.HTML)
    if channel == Channel.SMS:
        return (TemplatePart.SUBJECT, TemplatePart.SMS)
    if channel == Channel.LETTER:
        return (TemplatePart.SUBJECT, TemplatePart.LETTER)
    return (TemplatePart.SUBJECT, TemplatePart.TEXT)


@frozen(kw_only=True)
class TemplateVariable:
    """A variable a template may use, as a template editor lists it."""

    name: str
    description: str
    required: bool = False
    """Whether the law requires a template of this kind to show it."""


_COMMON: Final[tuple[tuple[str, str], ...]] = (
    ("kind", "what the message is for, e.g. 'reminder' (text)"),
    ("channel", "the channel it goes out on: 'email', 'sms', 'letter' or a plugin's name"),
    ("locale", "the debtor's locale, e.g. 'nl-BE'"),
    ("today", "the date the message was decided on (use the 'date' filter)"),
    ("creditor", "the creditor: name, address (.lines()), vat_number, coc_number, bank_account"),
    (
        "brand",
        "the creditor's brand: name, primary_color, accent_color, logo_url, email_from, "
        "reply_to, website, phone",
    ),
    ("debtor", "the debtor: name, code, address, email, mobile, is_consumer"),
    (
        "invoices",
        "the invoices of the message (several when grouped); each has number, "
        "issued_on, due_on, total, open_amount and payment_url",
    ),
    ("invoice", "the first (usually only) invoice of the message"),
    ("open_amount", "everything open: principal, costs and interest (use the 'money' filter)"),
    ("open_principal", "the open principal"),
    ("open_costs", "the open collection costs"),
    ("open_interest", "the open interest"),
    ("payment_url", "the payment link, or None (grouped messages: see each invoice's link)"),
    (
        "transfer",
        "bank-transfer details or None: iban_display, bic, beneficiary, amount, "
        "reference_display, epc_qr",
    ),
    ("announced_fee", "the collection costs the message announces, or None"),
    ("pay_by", "the last day to pay the message states, or None"),
)

_REQUIRED: Final[Mapping[MessageKind, tuple[str, ...]]] = {
    MessageKind.FOURTEEN_DAY_LETTER: ("announced_fee", "pay_by"),
}

LAYOUT_VARIABLE: Final = "layout"
"""Set by the renderer to the layout a kind template extends (``{% extends layout %}``)."""


def variables(kind: MessageKind) -> tuple[TemplateVariable, ...]:
    """Every variable a template of *kind* may use, the legally required ones marked."""
    required = set(_REQUIRED.get(kind, ()))
    return tuple(
        TemplateVariable(name=name, description=description, required=name in required)
        for name, description in _COMMON
    )


def required_variables(kind: MessageKind) -> tuple[str, ...]:
    """The variables the body of a *kind* message must show (the law requires them)."""
    return _REQUIRED.get(kind, ())
