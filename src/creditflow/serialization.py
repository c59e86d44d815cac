"""Stable, versioned JSON for everything a store keeps: events, effects, schemas, cases, debtors.

Stores write records with :func:`dump` (a JSON-ready ``dict``) or :func:`dumps` (a JSON string) and
read them back with :func:`load` / :func:`loads`. Every record is an envelope::

    {"format": 1, "type": "FeeCharged", "data": {...the fields...}}

``format`` is :data:`FORMAT_VERSION` when written; a record from a newer creditflow (a higher
format) is refused with :class:`~creditflow.errors.StoreError` rather than misread. ``type`` names
the concrete class: the event's ``type_name``, the effect's or rule's class name. Loading tolerates
fields that are missing when they have a default (so events written today still load after an
event type grows a field with a default) and ignores fields it does not know.

Values are written so that they read the same in any language: amounts as strings
(``{"amount": "12.50", "currency": "EUR"}``), dates and datetimes in ISO 8601, channels by name,
enums by value, sets as sorted lists.

Fee and interest rules in schemas are written with a type tag too. The built-in rules are
registered; a host with rules of its own registers them with :func:`register_rule`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final, TypeVar, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn
from cattrs.strategies import configure_tagged_union

from ._fees import FeeRule, FixedFee, FixedRateInterest, InterestRule, PercentageFee
from ._money import Money
from ._parties import Channel
from .engine._effects import (
    CollectDirectDebit,
    DeliverMessage,
    Effect,
    RequestHandover,
    RequestSubscriptionStop,
)
from .engine._schema import (
    ChargeFee,
    HandOver,
    SendMessage,
    StartInterest,
    StepAction,
    StopSubscription,
)
from .errors import StoreError, ValidationError
from .events import Event, event_types

__all__ = [
    "FORMAT_VERSION",
    "dump",
    "dumps",
    "effect_types",
    "load",
    "loads",
    "register_rule",
    "rule_types",
]

FORMAT_VERSION: Final = 1
"""The format every record is written in. Raised when a change cannot be read by older code."""

T = TypeVar("T")

_EFFECTS: Final[dict[str, type[Effect]]] = {
    cls.__name__: cls
    for cls in (CollectDirectDebit, DeliverMessage, RequestHandover, RequestSubscriptionStop)
}
_RULES: dict[str, type[Any]] = {}
_RULE_TAGS: dict[type[Any], str] = {}
_RULE_TAG: Final = "type"


def effect_types() -> dict[str, type[Effect]]:
    """Every effect class by the name stores write for it."""
    return dict(_EFFECTS)


def rule_types() -> dict[str, type[Any]]:
    """Every registered fee and interest rule class by its type tag."""
    return dict(_RULES)


def _sorted_list(values: frozenset[Any]) -> list[Any]:
    items = [_converter.unstructure(v) for v in values]
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def _structure_rule(data: Any, declared: Any) -> Any:
    if not isinstance(data, Mapping) or _RULE_TAG not in data:
        raise ValidationError(f"a stored {_name(declared)} has no {_RULE_TAG!r} tag: {data!r}")
    tag = data[_RULE_TAG]
    cls = _RULES.get(tag)
    if cls is None:
        raise ValidationError(
            f"stored rule type {tag!r} is not registered; register the class with "
            f"creditflow.serialization.register_rule before opening the store"
        )
    return _converter.structure(data, cls)


def _unstructure_rule(rule: Any) -> Any:
    cls = type(rule)
    if cls not in _RULE_TAGS:
        raise ValidationError(
            f"rule {rule!r} cannot be stored: its class {cls.__qualname__} is not registered; "
            f"register it with creditflow.serialization.register_rule({cls.__name__})"
        )
    return _converter.unstructure(rule, cls)


def _name(declared: Any) -> str:
    return str(getattr(declared, "__name__", declared))


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=False)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Decimal, lambda value, _: Decimal(str(value)))
    converter.register_unstructure_hook(
        Money, lambda money: {"amount": str(money.amount), "currency": money.currency}
    )
    converter.register_structure_hook(
        Money, lambda value, _: Money(str(value["amount"]), value["currency"])
    )
    converter.register_unstructure_hook(dt.date, lambda day: day.isoformat())
    converter.register_structure_hook(dt.date, lambda value, _: dt.date.fromisoformat(value))
    converter.register_unstructure_hook(dt.datetime, lambda moment: moment.isoformat())
    converter.register_structure_hook(
        dt.datetime, lambda value, _: dt.datetime.fromisoformat(value)
    )
    converter.register_unstructure_hook(Channel, lambda channel: channel.name)
    converter.register_structure_hook(Channel, lambda value, _: Channel(value))
    converter.register_unstructure_hook_func(_is_frozenset, _sorted_list)
    converter.register_unstructure_hook_func(_is_rule_protocol, _unstructure_rule)
    converter.register_structure_hook_func(_is_rule_protocol, _structure_rule)
    return converter


def _is_frozenset(declared: Any) -> bool:
    return declared is frozenset or get_origin(declared) is frozenset


def _is_rule_protocol(declared: Any) -> bool:
    return declared is FeeRule or declared is InterestRule


_converter: Final = _make_converter()
configure_tagged_union(
    StepAction,
    _converter,
    tag_name="action",
    tag_generator=lambda cls: cls.__name__,
)
_ACTIONS: Final = (SendMessage, ChargeFee, StartInterest, HandOver, StopSubscription)


def register_rule(cls: type[T], *, name: str | None = None) -> type[T]:
    """Make a fee or interest rule class storable (usable as a class decorator).

    The class must be an attrs class whose fields the converter can write (strings, numbers,
    ``Decimal``, ``Money``, dates, enums, other registered rules). The tag defaults to the class
    name; it is written into every stored schema that uses the rule, so keep it stable.

    Raises:
        ValidationError: *cls* is not an attrs class, or another class has the tag.

    .. versionadded:: 0.1.0
    """
    rule_class: type[Any] = cls
    if not attrs.has(rule_class):
        raise ValidationError(f"rule class {cls!r} must be an attrs class to be stored")
    tag = name or cls.__name__
    existing = _RULES.get(tag)
    if existing is not None and existing is not cls:
        raise ValidationError(
            f"rule tag {tag!r} is taken by {existing.__module__}.{existing.__qualname__}; "
            f"pass another name=..."
        )
    if _RULE_TAGS.get(cls, tag) != tag:
        raise ValidationError(
            f"rule class {cls.__qualname__} is registered already as {_RULE_TAGS[cls]!r}; "
            f"a stored tag must not change"
        )
    _RULES[tag] = cls
    _RULE_TAGS[cls] = tag
    fields_of = make_dict_unstructure_fn(cls, _converter)

    def unstructure(rule: Any) -> dict[str, Any]:
        return {_RULE_TAG: tag, **fields_of(rule)}

    _converter.register_unstructure_hook(cls, unstructure)
    return cls


for _rule in (FixedFee, PercentageFee, FixedRateInterest):
    register_rule(_rule)


def _register_statutory_rules() -> None:
    from .rules._statutory import StatutoryFee, StatutoryInterest

    register_rule(StatutoryFee)
    register_rule(StatutoryInterest)


_register_statutory_rules()


def _tag_of(value: object) -> tuple[str, type[Any]]:
    if isinstance(value, Event):
        return value.type_name, type(value)
    cls = type(value)
    if isinstance(value, Effect):
        if _EFFECTS.get(cls.__name__) is not cls:
            raise ValidationError(f"effect {value!r} is of an unknown type; it cannot be stored")
        return cls.__name__, cls
    if cls in _RULE_TAGS:
        return _RULE_TAGS[cls], cls
    if isinstance(value, _ACTIONS):
        return cls.__name__, cls
    if not attrs.has(cls):
        raise ValidationError(f"{value!r} is not a record creditflow stores")
    return cls.__name__, cls


def _resolve(tag: str, kind: type[T]) -> type[T]:
    found: type[Any] | None
    if issubclass(kind, Event):
        found = event_types().get(tag)
    elif issubclass(kind, Effect):
        found = _EFFECTS.get(tag)
    elif tag == kind.__name__:
        found = kind
    else:
        found = _RULES.get(tag)
    if found is None or not issubclass(found, kind):
        raise StoreError(
            f"a stored record of type {tag!r} is not a {kind.__name__}; the store holds a record "
            f"this version of creditflow does not know"
        )
    result: type[T] = found
    return result


def dump(value: object) -> dict[str, Any]:
    """The record envelope of *value*, ready for ``json.dumps`` (or a ``jsonb`` column).

    Raises:
        ValidationError: *value* holds something that cannot be stored (e.g. an unregistered rule).
    """
    tag, cls = _tag_of(value)
    return {"format": FORMAT_VERSION, "type": tag, "data": _converter.unstructure(value, cls)}


def load(record: Mapping[str, Any], kind: type[T]) -> T:
    """Read a record envelope written by :func:`dump` as a *kind* (``Event`` gives the subclass).

    Raises:
        StoreError: the record is from a newer creditflow, of another type, or does not hold a
            valid *kind*; the message says which.
    """
    if not isinstance(record, Mapping) or "type" not in record or "data" not in record:
        raise StoreError(f"a stored {kind.__name__} is not a creditflow record: {record!r:.200}")
    version = record.get("format")
    if not isinstance(version, int) or version < 1:
        raise StoreError(f"a stored {kind.__name__} has no valid format version: {version!r}")
    if version > FORMAT_VERSION:
        raise StoreError(
            f"a stored {record['type']} is in format {version}, written by a newer creditflow "
            f"(this one reads formats up to {FORMAT_VERSION}); upgrade creditflow"
        )
    cls = _resolve(str(record["type"]), kind)
    try:
        return _converter.structure(record["data"], cls)
    except Exception as exc:
        detail = "; ".join(_messages(exc)) or str(exc)
        raise StoreError(f"a stored {cls.__name__} cannot be read: {detail}") from exc


def _messages(exc: BaseException) -> list[str]:
    if isinstance(exc, BaseExceptionGroup):
        notes = getattr(exc, "__notes__", [])
        found: list[str] = []
        for inner in exc.exceptions:
            found += _messages(inner)
        return found or [*notes, str(exc)]
    notes = [n for n in getattr(exc, "__notes__", []) if isinstance(n, str)]
    return [f"{type(exc).__name__}: {exc}" + (f" ({'; '.join(notes)})" if notes else "")]


def dumps(value: object) -> str:
    """:func:`dump` as compact JSON text with sorted keys (stable bytes for the same value)."""
    return json.dumps(dump(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes, kind: type[T]) -> T:
    """Read JSON text written by :func:`dumps` as a *kind*.

    Raises:
        StoreError: the text is not JSON, or :func:`load` refuses the record.
    """
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise StoreError(f"a stored {kind.__name__} is not valid JSON: {exc}") from None
    return load(record, kind)
