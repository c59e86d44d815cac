"""Locale names: accept ``nl-NL`` and ``nl_NL`` alike, validated by babel (CLDR)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from .errors import ValidationError

if TYPE_CHECKING:
    from babel import Locale


@lru_cache(maxsize=256)
def babel_locale(tag: str) -> Locale:
    """Parse a locale tag (``"fr-BE"``, ``"fr_BE"``, ``"fr"``) into a babel :class:`Locale`."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValidationError(
            f"locale {tag!r} is not a known locale; use a tag such as 'nl-NL' or 'fr-BE'"
        ) from None


def normalise_locale(tag: str) -> str:
    """Return the canonical BCP 47 form of a locale tag (``nl_nl`` → ``nl-NL``)."""
    if not isinstance(tag, str) or not tag.strip():
        raise ValidationError(f"locale {tag!r} is not a locale tag; use e.g. 'nl-NL'")
    parsed = babel_locale(tag.strip())
    return "-".join(part for part in (parsed.language, parsed.script, parsed.territory) if part)
