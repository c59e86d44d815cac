"""Sample records for storage tests: one of every event and effect type, built from their fields.

Values are derived from each field's type, so an event type added later is covered without a
change here; a field of a type this module does not know fails loudly (add it to ``_simple``).
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

import creditflow as cf
from creditflow.engine._case import Case, evolve
from creditflow.events import Allocation, Event, InvoiceRegistered
from creditflow.ports import DebtorRecord

CREDITOR = "acme"
DAY = dt.date(2026, 1, 5)


def money(amount: str = "12.50") -> cf.Money:
    return cf.Money(amount, "EUR")


def invoice(number: str = "INV-1", debtor_code: str = "D-1") -> cf.Invoice:
    return cf.Invoice(
        number=number,
        debtor_code=debtor_code,
        issued_on=dt.date(2025, 12, 1),
        due_on=dt.date(2025, 12, 31),
        currency="EUR",
        lines=[
            cf.InvoiceLine(
                description="Hosting", quantity="2", unit_price=money("50.00"), vat_rate="21"
            )
        ],
        po_number="PO-7",
        metadata={"source": "billing"},
    )


def debtor(code: str = "D-1") -> cf.Debtor:
    return cf.Debtor(
        code=code,
        kind=cf.DebtorKind.PERSON,
        name="Jan Jansen",
        address=cf.Address(
            street="Dorpsstraat 1", postal_code="1234 AB", city="Utrecht", country="NL"
        ),
        email="jan@example.com",
        mobile="+31612345678",
        locale="nl-NL",
        unreachable=frozenset({cf.Channel.SMS}),
        tags=frozenset({"regular", "b2c"}),
    )


def debtor_record(code: str = "D-1", hold: str | None = None) -> DebtorRecord:
    return DebtorRecord(
        debtor=debtor(code), hold_reason=hold, hold_until=dt.date(2026, 3, 1) if hold else None
    )


def schema(key: str = "standard", version: int = 1) -> cf.DunningSchema:
    from creditflow.rules._statutory import StatutoryFee, StatutoryInterest

    return cf.DunningSchema(
        key=key,
        version=version,
        steps=[
            cf.Step(
                name="reminder",
                trigger=cf.Trigger.days_after_due(7),
                actions=[cf.SendMessage(channel=cf.Channel.EMAIL, fallbacks=[cf.Channel.LETTER])],
            ),
            cf.Step(
                name="fee",
                trigger=cf.Trigger.days_after_previous(14, business=True),
                actions=[
                    cf.ChargeFee(rule=cf.FixedFee(amount=money("7.50"))),
                    cf.ChargeFee(rule=cf.PercentageFee(percent="5", minimum=money("1.00"))),
                    cf.ChargeFee(rule=StatutoryFee(countries=["NL", "BE"])),
                    cf.StartInterest(
                        rule=StatutoryInterest(fallback=cf.FixedRateInterest(annual_percent="8"))
                    ),
                ],
                min_open_amount=money("5.00"),
            ),
            cf.Step(
                name="handover",
                trigger=cf.Trigger.days_after_previous(30),
                actions=[cf.HandOver(), cf.StopSubscription()],
            ),
        ],
        description=f"{key} v{version}",
    )


def registered(number: str = "INV-1", debtor_code: str = "D-1") -> InvoiceRegistered:
    return InvoiceRegistered(
        creditor=CREDITOR,
        invoice_number=number,
        sequence=1,
        occurred_on=DAY,
        invoice=invoice(number, debtor_code),
        schema_key="standard",
        schema_version=1,
    )


def new_case(number: str = "INV-1", debtor_code: str = "D-1") -> tuple[Event, Case]:
    """The first event of a case and the case after it."""
    first = registered(number, debtor_code)
    return first, evolve(None, first)


# -- values from types ----------------------------------------------------------------------------

_SPECIAL: dict[Any, Any] = {
    cf.Money: money(),
    cf.Invoice: invoice(),
    cf.CreditNote: cf.CreditNote(
        number="CN-1", invoice_number="INV-1", issued_on=DAY, amount=money("10.00"), reason="x"
    ),
    cf.Payment: cf.Payment(amount=money("20.00"), method="ideal", reference="PAY-1", paid_on=DAY),
    Allocation: Allocation(
        costs=money("1.00"), interest=money("0.50"), principal=money("18.50"), credit=money("0")
    ),
    cf.Channel: cf.Channel.LETTER,
    cf.PaymentMethods: cf.PaymentMethods(allowed=["ideal", "card"], disallowed=["paypal"]),
    dt.date: DAY,
    dt.datetime: dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC),
    Decimal: Decimal("1.25"),
    str: "text é €",
    int: 3,
    bool: True,
}


def sample_value(declared: Any, name: str = "") -> Any:
    """A valid, non-default value of type *declared* (optional fields get a value too)."""
    if declared in _SPECIAL:
        return _SPECIAL[declared]
    origin = typing.get_origin(declared)
    args = typing.get_args(declared)
    if origin in (typing.Union, types.UnionType):
        real = [a for a in args if a is not type(None)]
        return sample_value(real[0], name)
    if origin is tuple:
        return (sample_value(args[0], name),)
    if origin is frozenset:
        return frozenset({sample_value(args[0], name)})
    if isinstance(declared, type) and issubclass(declared, enum.Enum):
        return list(declared)[-1]
    if isinstance(declared, type) and attrs.has(declared):
        return build(declared)
    raise TypeError(f"no sample for field {name!r} of type {declared!r}; add one to _SPECIAL")


def build(cls: type[Any], **overrides: Any) -> Any:
    """An instance of the attrs class *cls* with a sample value in every field."""
    attrs.resolve_types(cls)
    values = {
        field.alias or field.name: sample_value(field.type, field.name)
        for field in attrs.fields(cls)
        if field.name not in overrides and field.init
    }
    return cls(**{**values, **overrides})


def every_event(number: str = "INV-1") -> list[Event]:
    """One event of every registered type for invoice *number*, numbered 1, 2, 3, ..."""
    events: list[Event] = [registered(number)]
    for name, cls in sorted(cf.events.event_types().items()):
        if cls is InvoiceRegistered:
            continue
        events.append(
            build(
                cls,
                creditor=CREDITOR,
                invoice_number=number,
                sequence=len(events) + 1,
                occurred_on=DAY + dt.timedelta(days=len(events)),
            )
        )
        assert events[-1].type_name == name
    return events


def every_effect(number: str = "INV-1") -> list[Any]:
    """One effect of every type stores know, for invoice *number*."""
    from creditflow.serialization import effect_types

    return [
        build(
            cls,
            idempotency_key=f"{CREDITOR}/{number}/standard@1/0/{name}/0",
            creditor=CREDITOR,
            invoice_number=number,
        )
        for name, cls in sorted(effect_types().items())
    ]


# -- Hypothesis strategies ------------------------------------------------------------------------

_texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=20).filter(
    lambda s: s.strip() != ""
)
_dates = st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31))
_amounts = st.decimals(
    min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=4, allow_nan=False
).map(lambda d: cf.Money(d, "EUR"))
_SIMPLE: dict[Any, st.SearchStrategy[Any]] = {
    cf.Money: _amounts,
    str: _texts,
    int: st.integers(0, 10**6),
    bool: st.booleans(),
    dt.date: _dates,
    Decimal: st.decimals(places=6, allow_nan=False, allow_infinity=False),
    cf.Channel: st.sampled_from([cf.Channel.EMAIL, cf.Channel.SMS, cf.Channel.LETTER]),
}


def strategy_for(declared: Any) -> st.SearchStrategy[Any]:
    """Values of type *declared*; the domain's composite values come from their samples."""
    if declared in _SIMPLE:
        return _SIMPLE[declared]
    if declared in _SPECIAL:
        return st.just(_SPECIAL[declared])
    origin = typing.get_origin(declared)
    args = typing.get_args(declared)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([strategy_for(a) for a in args if a is not type(None)] + [st.none()])
    if origin is tuple:
        return st.lists(strategy_for(args[0]), max_size=3).map(tuple)
    if isinstance(declared, type) and issubclass(declared, enum.Enum):
        return st.sampled_from(list(declared))
    if isinstance(declared, type) and attrs.has(declared):
        return st.just(build(declared))
    raise TypeError(f"no strategy for type {declared!r}")


def event_strategy(cls: type[Event]) -> st.SearchStrategy[Event]:
    """Events of type *cls* with arbitrary field values."""
    attrs.resolve_types(cls)
    fields = {
        field.alias or field.name: strategy_for(field.type)
        for field in attrs.fields(cls)
        if field.init
    }
    return st.builds(cls, **fields)
