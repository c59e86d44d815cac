"""A Griffe extension: the reST markup of creditflow's docstrings, as Markdown for mkdocstrings.

The docstrings are Google style, with Sphinx roles (``:class:`~creditflow.Money```) so they read
well in an editor's hover too. This turns roles into code spans (linked when the target is a
creditflow name), ``.. versionadded::`` into a sentence, reST simple tables into Markdown tables,
and ``::`` before a literal block into ``:``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|meth|func|mod|data|attr|exc|obj):`(?P<body>[^`]+)`")
_TITLED = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^>]+)>$")
_VERSION = re.compile(r"^(?P<indent>[ \t]*)\.\. versionadded:: (?P<version>\S+)\s*$", re.MULTILINE)
_LITERAL = re.compile(r"::\n\n")
_BORDER = re.compile(r"^(?P<indent>[ \t]*)=+(?: +=+)+[ \t]*$")


def _role(match: re.Match[str]) -> str:
    body = match.group("body").strip()
    titled = _TITLED.match(body)
    if titled:
        title, target = titled.group("title"), titled.group("target")
    elif body.startswith("~"):
        target = body[1:]
        title = target.rsplit(".", 1)[-1]
    else:
        title = target = body
    if target.startswith("creditflow."):
        return f"[`{title}`][{target}]"
    return f"`{title}`"


def _cells(line: str, starts: list[int]) -> list[str]:
    ends = [*starts[1:], None]
    return [line[start:end].strip() for start, end in zip(starts, ends, strict=True)]


def _tables(text: str) -> str:
    """Turn reST simple tables (a header between the first two ``===`` borders) into Markdown."""
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        border = _BORDER.match(lines[index])
        if border is None:
            out.append(lines[index])
            index += 1
            continue
        starts = [m.start() for m in re.finditer(r"=+", lines[index])]
        sections: list[list[list[str]]] = [[]]
        end = index + 1
        while end < len(lines) and len(sections) < 3:
            line = lines[end]
            end += 1
            if _BORDER.match(line):
                sections.append([])
            elif sections[-1] and not line[: starts[1]].strip():
                # a continuation line: its first column is empty
                for column, cell in enumerate(_cells(line, starts)):
                    if cell:
                        sections[-1][-1][column] = f"{sections[-1][-1][column]} {cell}".strip()
            else:
                sections[-1].append(_cells(line, starts))
        if len(sections) < 3:
            out.append(lines[index])
            index += 1
            continue
        indent = border.group("indent")
        header, rows = sections[0], sections[1]
        titles = [" ".join(row[c] for row in header).strip() for c in range(len(starts))]
        out.append(indent + "| " + " | ".join(titles) + " |")
        out.append(indent + "|" + "---|" * len(starts))
        out += [indent + "| " + " | ".join(row) + " |" for row in rows]
        index = end
    return "\n".join(out)


def markdown(text: str) -> str:
    """*text* with its reST roles and directives turned into Markdown."""
    text = _tables(_ROLE.sub(_role, text))
    text = _VERSION.sub(r"\g<indent>*Added in version \g<version>.*", text)
    return _LITERAL.sub(":\n\n", text)


class SphinxRoles(griffe.Extension):
    """Rewrites every docstring of the loaded package."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite *obj*'s docstring, once, when Griffe creates it."""
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
