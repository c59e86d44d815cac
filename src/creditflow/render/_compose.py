"""The message composer port and the built-in, sandboxed Jinja2 templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Protocol, runtime_checkable

from attrs import frozen

from .._invoice import Invoice
from .._message_kind import MessageKind
from .._money import Money
from .._parties import Channel, Creditor, Debtor

__all__ = ["ComposeRequest", "ComposedMessage", "MessageComposer", "Templates"]


@frozen(kw_only=True)
class ComposeRequest:
    """Everything a message template may show."""

    kind: MessageKind
    template: str
    channel: Channel
    creditor: Creditor
    debtor: Debtor
    invoices: tuple[Invoice, ...]
    open_amount: Money
    open_principal: Money
    open_costs: Money
    open_interest: Money
    today: dt.date
    payment_url: str | None = None
    announced_fee: Money | None = None
    pay_by: dt.date | None = None

    @property
    def locale(self) -> str:
        """The debtor's locale."""
        return self.debtor.locale


@frozen(kw_only=True)
class ComposedMessage:
    """A rendered message: subject, plain text and (for e-mail) HTML."""

    subject: str
    text: str
    html: str | None = None


@runtime_checkable
class MessageComposer(Protocol):
    """Turns a compose request into a message. Must be deterministic and side-effect free."""

    def compose(self, request: ComposeRequest) -> ComposedMessage:
        """Render the message for *request*."""
        ...


_HEADLINES: Mapping[MessageKind, str] = {
    MessageKind.PAYMENT_INVITATION: "Invoice {number}",
    MessageKind.REMINDER: "Reminder: invoice {number} is overdue",
    MessageKind.FINAL_NOTICE: "Final notice: invoice {number}",
    MessageKind.FOURTEEN_DAY_LETTER: "Final reminder before collection costs: invoice {number}",
    MessageKind.FIRST_REMINDER_BE: "Reminder: invoice {number}",
    MessageKind.PLAN_INVITATION: "A payment plan for invoice {number}",
    MessageKind.PLAN_CONFIRMATION: "Your payment plan for invoice {number}",
    MessageKind.INSTALLMENT_REMINDER: "Instalment reminder: invoice {number}",
    MessageKind.HANDOVER_NOTICE: "Invoice {number} handed to a collection agency",
    MessageKind.CREDIT_NOTE_NOTICE: "Credit note for invoice {number}",
    MessageKind.REVERSAL_NOTICE: "Your direct debit for invoice {number} was reversed",
}

_TEXT = """\
Dear {{ debtor.name }},

{{ headline }}.
{% for invoice in invoices %}
Invoice {{ invoice.number }} of {{ invoice.issued_on | date }}, due {{ invoice.due_on | date }}.
{%- endfor %}

Open amount: {{ open_amount | money }}
{%- if open_costs.is_positive %} (of which costs {{ open_costs | money }}){% endif %}
{%- if announced_fee %}
If you do not pay by {{ pay_by | date }}, collection costs of {{ announced_fee | money }} will be added.
{%- endif %}
{%- if payment_url %}

Pay now: {{ payment_url }}
{%- endif %}

{{ creditor.brand.name }}
"""

_SMS = (
    "{{ creditor.brand.name }}: {{ headline }}. Open: {{ open_amount | money }}."
    "{% if payment_url %} Pay: {{ payment_url }}{% endif %}"
)


class Templates:
    """The built-in message templates, rendered in Jinja2's immutable sandbox.

    Amounts and dates are formatted for the debtor's locale (babel). Pass ``overrides`` (template
    name → Jinja2 source) to replace the text of a template.
    """

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self._overrides = dict(overrides or {})

    @cached_property
    def _environment(self) -> Any:
        from jinja2 import StrictUndefined
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        return ImmutableSandboxedEnvironment(
            undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
        )

    def compose(self, request: ComposeRequest) -> ComposedMessage:
        """Render *request* with the built-in (or overridden) template of its kind."""
        from babel.dates import format_date

        from .._locale import babel_locale

        locale = babel_locale(request.locale)
        number = ", ".join(i.number for i in request.invoices)
        headline = _HEADLINES[request.kind].format(number=number)
        env = self._environment.overlay()
        env.filters["money"] = lambda m: m.round().format(request.locale)
        env.filters["date"] = lambda d: format_date(d, format="long", locale=locale)
        variables = {
            "headline": headline,
            "creditor": request.creditor,
            "debtor": request.debtor,
            "invoices": request.invoices,
            "open_amount": request.open_amount,
            "open_costs": request.open_costs,
            "open_interest": request.open_interest,
            "open_principal": request.open_principal,
            "announced_fee": request.announced_fee,
            "pay_by": request.pay_by,
            "payment_url": request.payment_url,
            "today": request.today,
        }
        source = self._overrides.get(
            request.template, _SMS if request.channel == Channel.SMS else _TEXT
        )
        text = env.from_string(source).render(variables)
        return ComposedMessage(subject=headline, text=text)
