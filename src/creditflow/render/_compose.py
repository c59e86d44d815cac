"""The message composer port and the built-in, sandboxed Jinja2 templates.

Templates are looked up per creditor and locale through a chain of loaders, like Jinja's
``ChoiceLoader``: the user's templates for the creditor, then the user's templates, then the
built-in ones, first for the debtor's full locale (``nl-BE``), then its language (``nl``), then
English. Every template is rendered in Jinja's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`
with :class:`~jinja2.StrictUndefined`; HTML is autoescaped, text is not.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import threading
import traceback
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from attrs import frozen

from .._banking import TransferDetails
from .._invoice import Invoice
from .._message_kind import MessageKind
from .._money import Money
from .._parties import Channel, Creditor, Debtor
from ..errors import TemplateError
from ._catalogue import (
    LAYOUT_VARIABLE,
    TemplatePart,
    TemplateVariable,
    parts_for,
    required_variables,
    variables,
)

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Environment, Template

__all__ = [
    "ComposeRequest",
    "ComposedMessage",
    "InvoiceItem",
    "MessageComposer",
    "Templates",
    "locale_chain",
]


@frozen(kw_only=True)
class InvoiceItem:
    """One invoice of a message, as templates see it (``invoices`` / ``invoice``)."""

    invoice: Invoice
    open_amount: Money
    """What is open of this invoice (principal, costs and interest)."""
    payment_url: str | None = None
    """This invoice's own payment link, if one was created."""

    @property
    def number(self) -> str:
        """The invoice number."""
        return self.invoice.number

    @property
    def issued_on(self) -> dt.date:
        """The invoice date."""
        return self.invoice.issued_on

    @property
    def due_on(self) -> dt.date:
        """The due date."""
        return self.invoice.due_on

    @property
    def total(self) -> Money:
        """The invoice's gross total."""
        return self.invoice.gross_total


@frozen(kw_only=True)
class ComposeRequest:
    """Everything a message template may show.

    ``items`` gives each invoice's own open amount and payment link; when it is empty (one
    invoice), they are taken from ``open_amount`` and ``payment_url``.
    """

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
    items: tuple[InvoiceItem, ...] = ()

    @property
    def locale(self) -> str:
        """The debtor's locale."""
        return self.debtor.locale

    @property
    def invoice_items(self) -> tuple[InvoiceItem, ...]:
        """``items``, or one item per invoice built from the request's totals."""
        if self.items:
            return self.items
        single = len(self.invoices) == 1
        return tuple(
            InvoiceItem(
                invoice=invoice,
                open_amount=self.open_amount if single else invoice.gross_total,
                payment_url=self.payment_url if single else None,
            )
            for invoice in self.invoices
        )


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


def locale_chain(locale: str) -> tuple[str, ...]:
    """The locales whose templates are tried, most specific first: ``nl-BE`` → ``nl`` → ``en``."""
    tags: list[str] = []
    parts = locale.replace("_", "-").split("-")
    for end in range(len(parts), 0, -1):
        tag = "-".join(parts[:end])
        if tag not in tags:
            tags.append(tag)
    if "en" not in tags:
        tags.append("en")
    return tuple(tags)


def _safe_name(name: str) -> bool:
    """Whether *name* stays inside the template set (no absolute paths, no ``..``)."""
    pieces = name.replace("\\", "/").split("/")
    return not name.startswith(("/", "\\")) and ".." not in pieces and ":" not in name


@functools.cache
def _sandbox_class() -> type[Environment]:
    """Jinja's immutable sandbox, with its attribute verdicts remembered per type and name.

    The sandbox asks, for every ``{{ a.b }}``, whether attribute ``b`` of ``a`` is safe. Its
    answer depends only on the type of ``a`` and the name (a private or internal attribute, a
    method that mutates a list or dict), never on the value, so it is computed once per
    ``(type, name)``: the same rules, without paying for them at every render.
    """
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class CachingSandbox(ImmutableSandboxedEnvironment):
        _verdicts: ClassVar[dict[tuple[type, str], bool]] = {}

        def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
            key = (type(obj), attr)
            verdict = self._verdicts.get(key)
            if verdict is None:
                verdict = super().is_safe_attribute(obj, attr, value)
                self._verdicts[key] = verdict
            return verdict

    return CachingSandbox


def _chain_loader(user: BaseLoader | None, creditor_key: str, locale: str) -> BaseLoader:
    """A loader resolving a bare template name through the creditor's and locale's chain."""
    from jinja2 import BaseLoader, PackageLoader, TemplateNotFound

    package = PackageLoader("creditflow.render", "templates")
    candidates: list[tuple[BaseLoader, str]] = []
    for tag in locale_chain(locale):
        if user is not None:
            candidates += [(user, f"{creditor_key}/{tag}"), (user, tag)]
        candidates.append((package, tag))

    class ChainLoader(BaseLoader):
        def get_source(
            self, environment: Environment, template: str
        ) -> tuple[str, str | None, Any]:
            if not _safe_name(template):
                raise TemplateNotFound(template)
            for loader, prefix in candidates:
                try:
                    return loader.get_source(environment, f"{prefix}/{template}")
                except TemplateNotFound:
                    continue
            raise TemplateNotFound(template)

    return ChainLoader()


def _clean_text(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _one_line(text: str, *, plain_spaces: bool = False) -> str:
    """*text* on one line.

    With *plain_spaces* (SMS) no-break spaces become spaces too: they are not in the GSM-7
    alphabet and would make the message cost more segments.
    """
    if plain_spaces:
        return " ".join(text.split())
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def _problem_line(exc: BaseException) -> int | None:
    """The template line where *exc* happened (Jinja puts template frames into tracebacks)."""
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if not frame.filename.endswith(".py"):
            return frame.lineno
    return None


def _failing_file(exc: BaseException) -> str | None:
    """The file of the template in which *exc* happened, when Jinja knows it."""
    filename = getattr(exc, "filename", None)
    if isinstance(filename, str):
        return filename
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if not frame.filename.endswith(".py"):
            return frame.filename
    return None


def _elsewhere(exc: BaseException, name: str | None) -> str | None:
    """The file *exc* happened in, if it is another template than *name* (a layout, an include).

    Templates from strings and mappings have no file (Jinja calls them ``<template>``): for them
    nothing can be told apart and None is returned.
    """
    filename = _failing_file(exc)
    if filename is None or filename.startswith("<"):
        return None
    if name is not None and filename.replace(os.sep, "/").endswith(f"/{name}"):
        return None
    return filename


def _template_error(exc: BaseException, name: str | None) -> TemplateError:
    from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    # A problem in a layout or an included template is reported there, not in the one rendered.
    name = _elsewhere(exc, name) or name
    if isinstance(exc, TemplateError):
        lineno = exc.lineno if exc.lineno is not None else _problem_line(exc)
        where = f" (line {lineno})" if lineno else ""
        return TemplateError(
            f"{name or 'template'}{where}: {exc}", lineno=lineno, template_name=name
        )
    lineno = _problem_line(exc)
    where = f"{name or 'template'}" + (f", line {lineno}" if lineno else "")
    if isinstance(exc, TemplateSyntaxError):
        what = f"syntax error: {exc.message}"
    elif isinstance(exc, TemplateNotFound):
        what = (
            f"template {exc.name!r} not found; templates may only include or extend other "
            f"templates of the creditor's template set"
        )
    elif isinstance(exc, SecurityError):
        what = f"not allowed in a message template: {exc}"
    elif isinstance(exc, UndefinedError):
        what = f"{exc.message}; see Templates.variables(kind) for what a template may use"
    else:
        what = f"{type(exc).__name__}: {exc}"
    return TemplateError(f"{where}: {what}", lineno=lineno, template_name=name)


class Templates:
    """The message templates: built-in ones for every kind in nl, en, de and fr, and the user's.

    Pass ``loader`` (any Jinja loader, e.g. ``FileSystemLoader("templates")``) or ``overrides``
    (a mapping of template path to source, served by a ``DictLoader``) to replace built-in
    templates. Paths are ``<locale>/<name>`` for every creditor, or
    ``<creditor key>/<locale>/<name>`` for one creditor, e.g. ``"nl/reminder.j2"`` or
    ``"acme/nl-BE/_html.j2"``. A kind's template ``<name>.j2`` defines blocks and
    ``{% extends layout %}``; the layouts ``_subject.j2``, ``_text.j2``, ``_html.j2``, ``_sms.j2``
    and ``_letter.j2`` place them. A part-specific ``<name>.<part>.j2`` (e.g.
    ``reminder.html.j2``) replaces the layout for that part.

    Rendering is sandboxed (``ImmutableSandboxedEnvironment``) with ``StrictUndefined``; HTML is
    autoescaped. Amounts and dates are formatted for the debtor's locale (filters ``money`` and
    ``date``). Safe to share between threads.
    """

    def __init__(
        self,
        overrides: Mapping[str, str] | None = None,
        *,
        loader: BaseLoader | None = None,
        auto_reload: bool = False,
    ) -> None:
        from jinja2 import ChoiceLoader, DictLoader

        sources: list[BaseLoader] = []
        if loader is not None:
            sources.append(loader)
        if overrides:
            sources.append(DictLoader(dict(overrides)))
        self._user: BaseLoader | None = (
            None if not sources else sources[0] if len(sources) == 1 else ChoiceLoader(sources)
        )
        self._environments: dict[tuple[str, str, bool], Environment] = {}
        self._resolved: dict[tuple[int, tuple[str, ...], TemplatePart], str] = {}
        self._lock = threading.Lock()
        self.auto_reload = auto_reload
        """Check template files for changes at every render (a template editor wants this)."""

    @classmethod
    def from_directory(
        cls, path: str | os.PathLike[str], *, auto_reload: bool = False
    ) -> Templates:
        """Templates overridden by the files under *path* (``<locale>/<name>``, ``<creditor>/<locale>/<name>``).

        With *auto_reload*, edited files are picked up without a restart (at the cost of a file
        check at every render).
        """
        from jinja2 import FileSystemLoader

        return cls(loader=FileSystemLoader(os.fspath(path)), auto_reload=auto_reload)

    # -- environments ----------------------------------------------------------------------------

    def environment(self, creditor_key: str, locale: str, *, autoescape: bool) -> Environment:
        """The sandboxed environment for one creditor and locale (cached)."""
        cache_key = (creditor_key, locale, autoescape)
        with self._lock:
            env = self._environments.get(cache_key)
            if env is None:
                env = self._new_environment(
                    _chain_loader(self._user, creditor_key, locale),
                    autoescape=autoescape,
                    auto_reload=self.auto_reload,
                )
                self._environments[cache_key] = env
            return env

    @staticmethod
    def _new_environment(
        loader: BaseLoader, *, autoescape: bool, auto_reload: bool = False
    ) -> Environment:
        from jinja2 import StrictUndefined

        from ._filters import FILTERS

        env = _sandbox_class()(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=autoescape,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=auto_reload,
        )
        env.filters.update(FILTERS)
        return env

    # -- composing ---------------------------------------------------------------------------------

    def context(self, request: ComposeRequest) -> dict[str, Any]:
        """The variables a template of *request* sees (see :meth:`variables`)."""
        items = request.invoice_items
        transfer: TransferDetails | None = None
        account = request.creditor.bank_account
        if account is not None and request.open_amount.is_positive:
            transfer = TransferDetails.for_invoices(
                account, [i.number for i in items], request.open_amount
            )
        return {
            "kind": request.kind.value,
            "channel": str(request.channel),
            "locale": request.locale,
            "today": request.today,
            "creditor": request.creditor,
            "brand": request.creditor.brand,
            "debtor": request.debtor,
            "invoices": items,
            "invoice": items[0] if items else None,
            "open_amount": request.open_amount,
            "open_principal": request.open_principal,
            "open_costs": request.open_costs,
            "open_interest": request.open_interest,
            "payment_url": request.payment_url,
            "transfer": transfer,
            "announced_fee": request.announced_fee,
            "pay_by": request.pay_by,
        }

    def _load(self, env: Environment, names: Sequence[str], part: TemplatePart) -> Template:
        from jinja2 import TemplateNotFound

        # Which candidate exists is remembered per environment: looking up the ones that do not
        # costs an exception and a search through the whole loader chain at every render.
        memo = (id(env), tuple(names), part)
        known = None if self.auto_reload else self._resolved.get(memo)
        if known is not None:
            return env.get_template(known)
        tried: list[str] = []
        for name in names:
            for candidate in (f"{name}.{part.value}.j2", f"{name}.j2"):
                try:
                    template = env.get_template(candidate)
                except TemplateNotFound as exc:
                    if exc.name != candidate:
                        raise  # the template exists, but one it includes does not
                    tried.append(candidate)
                    continue
                self._resolved[memo] = candidate
                return template
        raise TemplateError(f"no template found for {part.value}; tried {', '.join(tried)}")

    def render_part(
        self,
        request: ComposeRequest,
        part: TemplatePart,
        *,
        context: Mapping[str, Any] | None = None,
    ) -> str:
        """Render one part of *request*'s message (*context*: :meth:`context`, if already built).

        Raises:
            TemplateError: the template is missing, broken, or uses what it may not (with the
                template's name and line).
        """
        env = self.environment(request.creditor.key, request.locale, autoescape=part.autoescape)
        names = [request.template]
        if request.kind.value not in names:
            names.append(request.kind.value)
        template_name: str | None = None
        try:
            template = self._load(env, names, part)
            template_name = template.name
            variables = self.context(request) if context is None else context
            output = template.render({**variables, LAYOUT_VARIABLE: f"_{part.value}.j2"})
        except Exception as exc:
            raise _template_error(exc, template_name) from exc
        if part is TemplatePart.HTML:
            return output.strip() + "\n"
        if part in (TemplatePart.SUBJECT, TemplatePart.SMS):
            return _one_line(output, plain_spaces=part is TemplatePart.SMS)
        return _clean_text(output)

    def compose(self, request: ComposeRequest) -> ComposedMessage:
        """Render *request*'s message with its template (or its kind's), in the debtor's locale.

        Raises:
            TemplateError: a template cannot be rendered (named, with the line).
        """
        parts = parts_for(request.channel)
        context = self.context(request)
        rendered = {part: self.render_part(request, part, context=context) for part in parts}
        body = next(p for p in parts if p is not TemplatePart.SUBJECT and p.is_body)
        return ComposedMessage(
            subject=rendered[TemplatePart.SUBJECT],
            text=rendered[body],
            html=rendered.get(TemplatePart.HTML),
        )

    # -- the template editor -------------------------------------------------------------------------

    def variables(self, kind: MessageKind) -> tuple[TemplateVariable, ...]:
        """Every variable a template of *kind* may use; the legally required ones are marked."""
        return variables(kind)

    def validate(
        self,
        source: str,
        *,
        kind: MessageKind,
        part: TemplatePart | None = None,
        locale: str = "en",
        creditor_key: str = "sample",
        request: ComposeRequest | None = None,
    ) -> None:
        """Check a template a user wrote, before it is saved.

        Checks, in order: the syntax; variables the kind does not offer; the variables the law
        requires for *kind* (e.g. ``announced_fee`` and ``pay_by`` in a 14-day letter, for body
        parts); then renders it with sample data (or *request*) to catch unknown attributes and
        anything the sandbox refuses. *part* is the part it is for (``None``: a kind template
        with blocks, checked for every part).

        Raises:
            TemplateError: with ``lineno`` of the first problem and ``problems`` listing all.
                When rendering fails in another template (a layout or an included template
                of the set, loaded from a file), ``template_name`` is that file and ``lineno``
                its line; otherwise ``template_name`` is None: the problem is in *source*.
        """
        from jinja2 import TemplateSyntaxError, meta, nodes

        env = self.environment(creditor_key, locale, autoescape=part is TemplatePart.HTML)
        try:
            tree = env.parse(source)
        except TemplateSyntaxError as exc:
            raise _template_error(exc, None) from None
        known = {v.name for v in variables(kind)} | {LAYOUT_VARIABLE} | set(env.globals)
        # Names the template sets itself at the top (e.g. ``numbers`` used in blocks).
        known |= {n.name for n in tree.find_all(nodes.Name) if n.ctx == "store"}
        problems: list[tuple[int | None, str]] = []
        undeclared = meta.find_undeclared_variables(tree)
        for name in sorted(undeclared - known):
            line = next(
                (n.lineno for n in tree.find_all(nodes.Name) if n.name == name and n.ctx == "load"),
                None,
            )
            problems.append((line, f"unknown variable {name!r}"))
        if part is None or part.is_body:
            for name in required_variables(kind):
                if name not in undeclared and not self._uses_elsewhere(env, tree, name):
                    problems.append(
                        (
                            1,
                            f"a {kind.value} must show {name!r} (the law requires it); "
                            f"add {{{{ {name} }}}} to the template",
                        )
                    )
        failed_in: str | None = None
        if not problems:
            for check_part in (part,) if part is not None else _block_parts(tree):
                try:
                    self.preview(source, kind=kind, part=check_part, locale=locale, request=request)
                except TemplateError as exc:
                    problems.append((exc.lineno, str(exc)))
                    failed_in = exc.template_name
                    break
        if problems:
            problems.sort(key=lambda p: p[0] or 0)
            message = "; ".join(f"line {line}: {text}" if line else text for line, text in problems)
            raise TemplateError(
                f"the template is not valid: {message}",
                lineno=problems[0][0],
                template_name=failed_in,
                problems=tuple(problems),
            )

    @staticmethod
    def _uses_elsewhere(env: Environment, tree: Any, name: str) -> bool:
        """Whether a template that *tree* includes or extends (by a fixed name) shows *name*."""
        from jinja2 import TemplateNotFound, meta

        seen: set[str] = set()
        pending = [n for n in meta.find_referenced_templates(tree) if n is not None]
        while pending:
            referenced = pending.pop()
            if referenced in seen:
                continue
            seen.add(referenced)
            try:
                source, _, _ = env.loader.get_source(env, referenced)  # type: ignore[union-attr]
            except TemplateNotFound:
                continue
            sub = env.parse(source)
            if name in meta.find_undeclared_variables(sub):
                return True
            pending += [n for n in meta.find_referenced_templates(sub) if n is not None]
        return False

    def preview(
        self,
        source: str,
        *,
        kind: MessageKind,
        part: TemplatePart = TemplatePart.HTML,
        locale: str = "en",
        request: ComposeRequest | None = None,
    ) -> str:
        """Render a template a user is editing with sample data (or *request*).

        Raises:
            TemplateError: it cannot be rendered (with the line).
        """
        from ._sample import sample_request

        request = request or sample_request(kind, locale=locale)
        env = self.environment(request.creditor.key, locale, autoescape=part.autoescape)
        try:
            template = env.from_string(source)
            return template.render({**self.context(request), LAYOUT_VARIABLE: f"_{part.value}.j2"})
        except Exception as exc:
            raise _template_error(exc, None) from exc

    def template_names(self) -> Iterator[str]:
        """The built-in templates (``<locale>/<name>``), e.g. to copy one as a starting point."""
        from jinja2 import PackageLoader

        yield from PackageLoader("creditflow.render", "templates").list_templates()


def _block_parts(tree: Any) -> tuple[TemplatePart, ...]:
    """The parts a kind template is rendered for: all, when it extends the layout."""
    from jinja2 import nodes

    if any(isinstance(n, nodes.Extends) for n in tree.find_all(nodes.Extends)):
        return tuple(TemplatePart)
    return (TemplatePart.TEXT,)
