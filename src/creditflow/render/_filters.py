"""Jinja2 filters for message templates: amounts, dates and safe HTML fragments."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any, Final

from jinja2 import pass_context, pass_eval_context
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from markupsafe import Markup, escape

from .._locale import babel_locale
from .._money import Money
from ..errors import TemplateError

__all__ = ["FILTERS"]

_COLOR: Final = re.compile(r"^(#[0-9A-Fa-f]{3}|#[0-9A-Fa-f]{6}|[a-zA-Z]{3,20})$")


def _locale_of(context: Context) -> str:
    locale = context.get("locale")
    return locale if isinstance(locale, str) else "en"


@pass_context
def money(context: Context, value: Money | None) -> str:
    """An amount for the debtor's locale (``€ 1.234,50`` in ``nl-NL``), rounded half-up."""
    if not isinstance(value, Money):
        raise TemplateError(f"the 'money' filter needs an amount, got {value!r}")
    return _formatted_money(value.round(), _locale_of(context))


@lru_cache(maxsize=4096)
def _formatted_money(value: Money, locale: str) -> str:
    # A reminder shows the same few amounts in several parts (subject, text, HTML): format once.
    return value.format(locale)


@pass_context
def date(context: Context, value: dt.date | None, format: str = "long") -> str:
    """A date for the debtor's locale; *format* is ``short``, ``medium``, ``long`` or ``full``."""
    if not isinstance(value, dt.date):
        raise TemplateError(f"the 'date' filter needs a date, got {value!r}")
    if format not in ("short", "medium", "long", "full"):
        raise TemplateError(f"date format {format!r} is not short, medium, long or full")
    return _formatted_date(value, format, _locale_of(context))


@lru_cache(maxsize=4096)
def _formatted_date(value: dt.date, format: str, locale: str) -> str:
    # Messages of one run show the same few dates over and over: format each once per locale.
    from babel.dates import format_date

    return str(format_date(value, format=format, locale=babel_locale(locale)))


def css_color(value: str) -> str:
    """A brand colour safe to put in a ``style`` attribute (``#rgb``, ``#rrggbb`` or a name)."""
    if not isinstance(value, str) or not _COLOR.match(value):
        raise TemplateError(
            f"brand colour {value!r} is not a colour; use '#rrggbb' (e.g. '#1a1a2e') or a name"
        )
    return value


def url(value: str | None) -> str:
    """A link target that is ``http(s)``: anything else (``javascript:``) is refused."""
    if not isinstance(value, str) or not re.match(r"^https?://", value, re.IGNORECASE):
        raise TemplateError(f"{value!r} is not an http(s) URL")
    return value


@pass_eval_context
def paragraphs(eval_ctx: EvalContext, value: Any) -> str:
    """Text with blank lines between paragraphs as ``<p>`` elements (HTML) or as it is (text)."""
    if not eval_ctx.autoescape:
        return "\n\n".join(_chunks(str(value)))
    # Markup is escaped already; anything else is escaped here, so each chunk is safe HTML.
    source = value if isinstance(value, Markup) else escape(value)
    paragraph = Markup("<p>{}</p>")
    return Markup("\n").join(paragraph.format(Markup(chunk)) for chunk in _chunks(str(source)))  # noqa: S704


def _chunks(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"\n\s*\n", text.strip()) if c.strip()]


FILTERS: Final[dict[str, Any]] = {
    "money": money,
    "date": date,
    "css_color": css_color,
    "url": url,
    "paragraphs": paragraphs,
}
