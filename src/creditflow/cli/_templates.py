"""``creditflow templates``: check a folder of message templates, preview one with sample data.

The template editor's back end (:meth:`Templates.validate <creditflow.render.Templates.validate>`
and :meth:`~creditflow.render.Templates.preview`) from the terminal. Files are found where
:meth:`Templates.from_directory <creditflow.render.Templates.from_directory>` looks for them:
``<locale>/<name>.j2`` for every creditor and ``<creditor>/<locale>/<name>.j2`` for one.
"""

from __future__ import annotations

import os
import pathlib
import re
import traceback
from collections.abc import Iterable

import attrs
from attrs import frozen

from .._message_kind import MessageKind
from .._parties import Channel
from ..errors import TemplateError
from ..render import ComposeRequest, TemplatePart, Templates, sample_request

__all__ = ["Problem", "TemplateFile", "check_folder", "find_templates", "preview"]

_LOCALE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")
_WHERE = re.compile(r"^(?:template|\S+?\.j2)(?:, line \d+)?: ")
_LAYOUT_PARTS = {f"_{part.value}": part for part in TemplatePart}
_KINDS = {kind.value: kind for kind in MessageKind}
_PART_CHANNELS = {
    TemplatePart.SUBJECT: Channel.EMAIL,
    TemplatePart.TEXT: Channel.EMAIL,
    TemplatePart.HTML: Channel.EMAIL,
    TemplatePart.SMS: Channel.SMS,
    TemplatePart.LETTER: Channel.LETTER,
}


@frozen(kw_only=True)
class TemplateFile:
    """A template file in a folder, and what creditflow uses it for."""

    path: pathlib.Path
    """Relative to the folder."""
    locale: str
    name: str
    """``reminder``, ``gentle_reminder``, or a layout or partial such as ``_html``."""
    creditor: str | None = None
    part: TemplatePart | None = None
    """The one part the file is for (``reminder.html.j2``); None: every part."""

    @property
    def kind(self) -> MessageKind | None:
        """The message kind the file's name stands for (None: a layout or one of the user's own)."""
        return _KINDS.get(self.name)

    @property
    def is_layout(self) -> bool:
        """Whether the file is a layout or partial (``_html.j2``, ``_phrases.j2``)."""
        return self.name.startswith("_")

    def describe(self, custom_kind: MessageKind) -> str:
        """What the file is checked as, for the report."""
        if self.is_layout:
            part = _LAYOUT_PARTS.get(self.name)
            return f"layout of the {part.value} part" if part else "partial of every part"
        kind = self.kind or custom_kind
        what = kind.value if self.kind else f"own template, checked as a {kind.value}"
        return f"{what}, {self.part.value if self.part else 'every part'}"


@frozen(kw_only=True)
class Problem:
    """What is wrong with a template file, and where."""

    path: pathlib.Path
    """Relative to the folder."""
    line: int | None
    message: str

    def render(self, folder: str) -> str:
        """``folder/path:line: message``, as compilers and editors write it."""
        where = os.path.join(folder, str(self.path))
        return f"{where}:{self.line}: {self.message}" if self.line else f"{where}: {self.message}"


def find_templates(folder: pathlib.Path) -> tuple[list[TemplateFile], list[Problem]]:
    """The template files under *folder*, and the files creditflow would never look at."""
    files: list[TemplateFile] = []
    problems: list[Problem] = []
    for path in sorted(folder.rglob("*.j2")):
        if not path.is_file():
            continue
        relative = path.relative_to(folder)
        *dirs, filename = relative.parts
        stem = filename.removesuffix(".j2")
        name, _, part_name = stem.partition(".")
        part = next((p for p in TemplatePart if p.value == part_name), None)
        if part_name and part is None:
            problems.append(
                Problem(
                    path=relative,
                    line=None,
                    message=f"{part_name!r} is not a part of a message; name the file "
                    f"{name}.j2 or {name}.<part>.j2 with a part of "
                    f"{', '.join(p.value for p in TemplatePart)}",
                )
            )
            continue
        if len(dirs) == 1 and _LOCALE.match(dirs[0]):
            files.append(TemplateFile(path=relative, locale=dirs[0], name=name, part=part))
        elif len(dirs) == 2 and _LOCALE.match(dirs[1]):
            files.append(
                TemplateFile(path=relative, creditor=dirs[0], locale=dirs[1], name=name, part=part)
            )
        else:
            problems.append(
                Problem(
                    path=relative,
                    line=None,
                    message="creditflow does not look here: put templates in <locale>/ (e.g. "
                    "nl/reminder.j2) or <creditor>/<locale>/ (e.g. acme/nl-BE/reminder.j2)",
                )
            )
    return files, problems


def _sample(
    kind: MessageKind,
    *,
    locale: str,
    part: TemplatePart | None,
    creditor: str | None,
    template: str | None = None,
    grouped: bool = False,
) -> ComposeRequest:
    request = sample_request(
        kind,
        locale=locale,
        channel=_PART_CHANNELS[part] if part is not None else Channel.EMAIL,
        grouped=grouped,
    )
    if creditor is not None:
        request = attrs.evolve(request, creditor=attrs.evolve(request.creditor, key=creditor))
    if template is not None:
        request = attrs.evolve(request, template=template)
    return request


def _location(error: TemplateError) -> tuple[str | None, int | None]:
    """The file and line an error happened in, when a file of a template set is to blame."""
    cause = error.__cause__
    if cause is not None:
        filename = getattr(cause, "filename", None)
        if isinstance(filename, str) and isinstance(getattr(cause, "lineno", None), int):
            return filename, cause.lineno  # type: ignore[attr-defined]
        for frame in reversed(traceback.extract_tb(cause.__traceback__)):
            if not frame.filename.endswith(".py"):
                return frame.filename, frame.lineno
    return error.template_name, error.lineno


def _problems_of(
    error: TemplateError, checked: TemplateFile, folder: pathlib.Path
) -> Iterable[Problem]:
    """*error* as problems of the files to blame: a file of *folder* if it is one, else *checked*."""
    filename, line = _location(error)
    blamed, elsewhere = checked.path, None
    if filename is not None and not filename.startswith("<"):
        try:
            blamed = pathlib.Path(filename).resolve().relative_to(folder.resolve())
        except ValueError:
            elsewhere = filename  # a built-in template fails with this one
    for problem_line, message in error.problems:
        text = _WHERE.sub("", message)
        if elsewhere is not None:
            builtin = pathlib.PurePath(elsewhere)
            shown = f"{builtin.parent.name}/{builtin.name}"
            yield Problem(
                path=checked.path,
                line=None,
                message=f"the built-in template {shown} fails with it (line {line}): {text}",
            )
        else:
            yield Problem(path=blamed, line=problem_line or line, message=text)


def _check_file(
    templates: Templates, folder: pathlib.Path, file: TemplateFile, custom_kind: MessageKind
) -> list[Problem]:
    try:
        source = (folder / file.path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [Problem(path=file.path, line=None, message=f"not UTF-8 text ({exc.reason})")]
    if file.is_layout:
        return _check_layout(templates, folder, file, source)
    kind = file.kind or custom_kind
    try:
        templates.validate(
            source,
            kind=kind,
            part=file.part,
            locale=file.locale,
            creditor_key=file.creditor or "sample",
            request=_sample(kind, locale=file.locale, part=file.part, creditor=file.creditor),
        )
    except TemplateError as error:
        return list(_problems_of(error, file, folder))
    return []


def _check_layout(
    templates: Templates, folder: pathlib.Path, file: TemplateFile, source: str
) -> list[Problem]:
    """A layout or partial is checked by rendering every kind's message through it."""
    from jinja2 import TemplateSyntaxError

    env = templates.environment(file.creditor or "sample", file.locale, autoescape=False)
    try:
        env.parse(source)
    except TemplateSyntaxError as exc:
        return [Problem(path=file.path, line=exc.lineno, message=f"syntax error: {exc.message}")]
    layout_part = _LAYOUT_PARTS.get(file.name)
    parts = (layout_part,) if layout_part is not None else tuple(TemplatePart)
    found: dict[tuple[pathlib.Path, int | None, str], Problem] = {}
    for kind in MessageKind:
        for part in parts:
            request = _sample(kind, locale=file.locale, part=part, creditor=file.creditor)
            try:
                templates.render_part(request, part)
            except TemplateError as error:
                for problem in _problems_of(error, file, folder):
                    if problem.path == file.path:
                        found.setdefault((problem.path, problem.line, problem.message), problem)
    return sorted(found.values(), key=lambda p: (p.line or 0, p.message))


@frozen(kw_only=True)
class CheckReport:
    """What ``creditflow templates check`` found."""

    files: tuple[TemplateFile, ...]
    problems: tuple[Problem, ...]

    def problems_of(self, path: pathlib.Path) -> list[Problem]:
        """The problems found in one file."""
        return [p for p in self.problems if p.path == path]

    @property
    def invalid(self) -> list[pathlib.Path]:
        """The files with problems."""
        return sorted({p.path for p in self.problems})


def check_folder(folder: pathlib.Path, *, custom_kind: MessageKind) -> CheckReport:
    """Check every template under *folder*: syntax, variables, legal content, and a render.

    *custom_kind* is the kind the user's own templates (names that are not a
    :class:`~creditflow.MessageKind`) are checked as.
    """
    files, problems = find_templates(folder)
    templates = Templates.from_directory(folder)
    seen = {(p.path, p.line, p.message) for p in problems}
    for file in files:
        for problem in _check_file(templates, folder, file, custom_kind):
            if (problem.path, problem.line, problem.message) not in seen:
                seen.add((problem.path, problem.line, problem.message))
                problems.append(problem)
    return CheckReport(files=tuple(files), problems=tuple(problems))


def preview(
    name: str,
    *,
    parts: tuple[TemplatePart, ...],
    locale: str,
    folder: pathlib.Path | None,
    kind: MessageKind | None,
    creditor: str | None,
    grouped: bool,
) -> dict[TemplatePart, str]:
    """Render *name* with sample data, each of *parts*.

    *name* is a template name as a step gives it (``reminder``, or one of the user's own such as
    ``gentle_reminder``), looked up as the manager does (the creditor's templates in *folder*,
    then the general ones, then the built-ins; ``nl-BE`` → ``nl`` → ``en``), or the path of a
    ``.j2`` file being edited, rendered with :meth:`Templates.preview
    <creditflow.render.Templates.preview>`.

    Raises:
        TemplateError: the template cannot be rendered (with its file and line).
        ValueError: an unknown kind or a file that cannot be read.
    """
    templates = Templates() if folder is None else Templates.from_directory(folder)
    path = pathlib.Path(name)
    if name.endswith(".j2"):
        if not path.is_file():
            raise ValueError(f"template file {name!r} does not exist")
        stem = path.name.removesuffix(".j2")
        base, _, part_name = stem.partition(".")
        file_part = next((p for p in TemplatePart if p.value == part_name), None)
        chosen = kind or _KINDS.get(base) or MessageKind.REMINDER
        source = path.read_text(encoding="utf-8")
        shown = (file_part,) if file_part is not None else parts
        return {
            part: templates.preview(
                source,
                kind=chosen,
                part=part,
                locale=locale,
                request=_sample(
                    chosen, locale=locale, part=part, creditor=creditor, grouped=grouped
                ),
            )
            for part in shown
        }
    chosen = kind or _KINDS.get(name) or MessageKind.REMINDER
    if name not in _KINDS and not _exists(folder, name, locale, creditor):
        where = "the built-in templates" if folder is None else f"{str(folder)!r}"
        raise ValueError(
            f"there is no template {name!r} for locale {locale!r} in {where}; a step naming it "
            f"would use the {chosen.value} template (preview that, or check the name)"
        )
    return {
        part: templates.render_part(
            _sample(
                chosen, locale=locale, part=part, creditor=creditor, template=name, grouped=grouped
            ),
            part,
        )
        for part in parts
    }


def _exists(folder: pathlib.Path | None, name: str, locale: str, creditor: str | None) -> bool:
    """Whether the lookup chain for *locale* finds a template file called *name* in *folder*."""
    from ..render import locale_chain

    if folder is None:
        return False
    prefixes = [pathlib.Path(creditor)] if creditor is not None else []
    prefixes.append(pathlib.Path())
    filenames = [f"{name}.j2", *(f"{name}.{part.value}.j2" for part in TemplatePart)]
    return any(
        (folder / prefix / tag / filename).is_file()
        for tag in locale_chain(locale)
        for prefix in prefixes
        for filename in filenames
    )
