"""Small attrs validators and converters shared by the domain types.

Each raises :class:`~creditflow.errors.ValidationError` naming the class, the field and the value.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

import attrs

from ._countries import COUNTRY_CODES
from ._money import Money, to_decimal
from .errors import ValidationError

T = TypeVar("T")

# Deliberately permissive (RFC 5322 allows much); it catches what breaks delivery: spaces, a
# missing "@", an empty part, a domain without a dot.
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\].]{2,}$")


def _where(instance: object, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def non_empty(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"{_where(instance, attribute)} must be a non-empty string, got {value!r}"
        )


def country(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require an ISO 3166-1 alpha-2 code."""
    if value not in COUNTRY_CODES:
        raise ValidationError(
            f"{_where(instance, attribute)} {value!r} is not an ISO 3166-1 alpha-2 country code; "
            f"use an upper-case code such as 'NL'"
        )


def upper(value: object) -> object:
    """Upper-case a string (country and currency codes), leave anything else for the validator."""
    return value.strip().upper() if isinstance(value, str) else value


def email(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    """Require a plausible e-mail address (or None)."""
    if value is not None and (not isinstance(value, str) or not _EMAIL.match(value)):
        raise ValidationError(
            f"{_where(instance, attribute)} {value!r} is not an e-mail address like name@example.com"
        )


def time_zone(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    """Require an IANA time-zone name."""
    if not _is_time_zone(value):
        raise ValidationError(
            f"{_where(instance, attribute)} {value!r} is not an IANA time zone such as 'Europe/Amsterdam'"
        )


@lru_cache(maxsize=512)
def _is_time_zone(value: object) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def decimal_field(value: object) -> Decimal:
    """Convert ``str``/``int``/``Decimal`` to ``Decimal``; refuse ``float``."""
    return to_decimal(value, field="value")


def money(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a :class:`Money` (or None where the field is optional)."""
    if value is not None and not isinstance(value, Money):
        raise TypeError(
            f"{_where(instance, attribute)} must be Money, got {type(value).__name__} ({value!r})"
        )


def not_negative(
    instance: object, attribute: attrs.Attribute[Any], value: Money | Decimal | None
) -> None:
    """Require zero or more."""
    amount = value.amount if isinstance(value, Money) else value
    if amount is not None and amount < 0:
        raise ValidationError(f"{_where(instance, attribute)} must not be negative, got {value}")


def positive(instance: object, attribute: attrs.Attribute[Any], value: Money | Decimal) -> None:
    """Require more than zero."""
    amount = value.amount if isinstance(value, Money) else value
    if amount <= 0:
        raise ValidationError(f"{_where(instance, attribute)} must be more than zero, got {value}")


def to_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    """Turn any iterable into a tuple (collections on frozen classes are tuples)."""
    if isinstance(values, str | bytes):
        raise TypeError(f"expected a collection, got a string {values!r}")
    return tuple(values)


def frozen_tags(values: Iterable[str]) -> frozenset[str]:
    """Tags as a frozenset of stripped, lower-case strings."""
    if isinstance(values, str):
        raise TypeError(f"tags must be a collection of strings, got the string {values!r}")
    return frozenset(v.strip().lower() for v in values)


def string_mapping(values: Mapping[str, str]) -> dict[str, str]:
    """A copy of a ``str → str`` mapping (metadata)."""
    result = dict(values)
    for key, value in result.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"metadata keys and values must be str, got {key!r}: {value!r}")
    return result
