"""Scenario 6: rendering messages through creditflow's templates against bare Jinja2.

creditflow renders an e-mail reminder for a Dutch consumer (``nl-NL``) with
``Templates().compose(request)``: subject, plain text and HTML, in the sandboxed environment,
through the creditor/locale loader chain, with babel formatting. The floor renders the same
built-in template sources (read from the package) in a bare ``jinja2.Environment`` with the same
layout options, the filters written minimally, and the same variables (computed beforehand by
``Templates.context``, so that building them counts against creditflow only). Both produce the
same text, checked before timing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

import attrs

import creditflow as cf
from creditflow.render import ComposedMessage, ComposeRequest, Templates, sample_request

from ._timing import best_of_alternating

LOCALE = "nl-NL"
KIND = cf.MessageKind.REMINDER
# Where the built-in templates of a reminder in nl-NL come from: the locale chain is
# nl-NL → nl → en, and the layouts exist in English only.
SOURCES = {
    "reminder.j2": "nl/reminder.j2",
    "_phrases.j2": "nl/_phrases.j2",
    "_subject.j2": "en/_subject.j2",
    "_text.j2": "en/_text.j2",
    "_html.j2": "en/_html.j2",
}


def requests(count: int) -> list[ComposeRequest]:
    """*count* reminders of different debtors and invoice numbers (one invoice, payment link)."""
    base = sample_request(KIND, locale=LOCALE)
    made = []
    for index in range(count):
        number = f"2026-{index:06d}"
        invoice = attrs.evolve(base.invoices[0], number=number)
        item = attrs.evolve(
            base.items[0], invoice=invoice, payment_url=f"https://pay.example.test/{number}"
        )
        made.append(
            attrs.evolve(
                base,
                debtor=attrs.evolve(base.debtor, name=f"Debiteur {index}"),
                invoices=(invoice,),
                items=(item,),
                payment_url=item.payment_url,
            )
        )
    return made


def _floor_renderer() -> Callable[[dict[str, Any]], ComposedMessage]:
    """Bare Jinja2 over the same sources: what a host would write without creditflow."""
    import jinja2
    from babel import Locale
    from babel.dates import format_date
    from babel.numbers import format_currency
    from markupsafe import Markup

    folder = resources.files("creditflow.render") / "templates"
    sources = {name: (folder / path).read_text("utf-8") for name, path in SOURCES.items()}
    locale = Locale.parse(LOCALE.replace("-", "_"))

    def money(value: cf.Money) -> str:
        return str(format_currency(value.amount, value.currency, locale=locale))

    def date(value: dt.date, format: str = "long") -> str:
        return str(format_date(value, format=format, locale=locale))

    @jinja2.pass_eval_context
    def paragraphs(eval_ctx: Any, value: Any) -> str:
        chunks = [c.strip() for c in re.split(r"\n\s*\n", str(value).strip()) if c.strip()]
        if not eval_ctx.autoescape:
            return "\n\n".join(chunks)
        return Markup("\n").join(Markup("<p>%s</p>") % Markup(c) for c in chunks)

    filters = {
        "money": money,
        "date": date,
        "css_color": str,
        "url": str,
        "paragraphs": paragraphs,
    }
    environments = {}
    for autoescape in (False, True):
        env = jinja2.Environment(
            loader=jinja2.DictLoader(sources),
            autoescape=autoescape,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(filters)
        environments[autoescape] = env.get_template("reminder.j2")
    text, html = environments[False], environments[True]

    def render(variables: dict[str, Any]) -> ComposedMessage:
        subject = text.render(variables, layout="_subject.j2")
        body = text.render(variables, layout="_text.j2")
        page = html.render(variables, layout="_html.j2")
        lines = [line.rstrip() for line in body.strip().splitlines()]
        return ComposedMessage(
            subject=" ".join(subject.split()),
            text=re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n",
            html=page.strip() + "\n",
        )

    return render


def run(quick: bool) -> dict[str, object]:
    """Messages per second through ``Templates.compose`` and through bare Jinja2, and the ratio."""
    count = 200 if quick else 2_000
    batch = requests(count)
    templates = Templates()
    floor = _floor_renderer()
    variables = [templates.context(request) for request in batch]
    for request, values in zip(batch[:3], variables[:3], strict=True):
        mine, bare = templates.compose(request), floor(values)
        assert mine == bare, f"the floor must render the same message:\n{mine}\n{bare}"

    def creditflow_run() -> None:
        for request in batch:
            templates.compose(request)

    def floor_run() -> None:
        for values in variables:
            floor(values)

    creditflow_s, floor_s = best_of_alternating(3 if quick else 5, creditflow_run, floor_run)
    return {
        "messages": count,
        "creditflow_ms_per_message": round(creditflow_s / count * 1000, 3),
        "floor_ms_per_message": round(floor_s / count * 1000, 3),
        "ratio_creditflow_to_floor": round(creditflow_s / floor_s, 2),
        "target": "<= 1.5",
    }
