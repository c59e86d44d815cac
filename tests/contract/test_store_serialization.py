"""``creditflow.serialization``: versioned records that round-trip and survive added fields."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import attrs
import pytest
from _store_samples import (
    debtor_record,
    event_strategy,
    every_effect,
    every_event,
    money,
    new_case,
    schema,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import creditflow as cf
from creditflow import serialization
from creditflow.engine._case import Case
from creditflow.engine._effects import Effect
from creditflow.errors import StoreError, ValidationError
from creditflow.events import Event, FeeCharged, MessageSent, event_types
from creditflow.ports import DebtorRecord


class TestRoundTrip:
    @settings(max_examples=300, deadline=None)
    @given(st.sampled_from(sorted(event_types().items())).flatmap(lambda i: event_strategy(i[1])))
    def test_any_event(self, event: Event) -> None:
        """Every event type, with arbitrary field values, reads back equal from JSON text."""
        assert serialization.loads(serialization.dumps(event), Event) == event

    def test_every_event_type_is_covered(self) -> None:
        """The samples hold one event of every registered type, and each round-trips."""
        events = every_event()
        assert {e.type_name for e in events} == set(event_types())
        for event in events:
            loaded = serialization.loads(serialization.dumps(event), Event)
            assert loaded == event
            assert type(loaded) is type(event)

    def test_every_effect_type(self) -> None:
        """Every effect type reads back equal, as its own class."""
        effects = every_effect()
        assert {type(e).__name__ for e in effects} == set(serialization.effect_types())
        for effect in effects:
            loaded = serialization.loads(serialization.dumps(effect), Effect)
            assert loaded == effect
            assert type(loaded) is type(effect)

    def test_schema_with_every_rule(self) -> None:
        """A schema with every step action and every built-in rule reads back equal."""
        original = schema()
        assert serialization.loads(serialization.dumps(original), cf.DunningSchema) == original

    def test_case_and_debtor(self) -> None:
        """Case snapshots and debtor records read back equal."""
        case = new_case()[1]
        assert serialization.loads(serialization.dumps(case), Case) == case
        record = debtor_record(hold="holiday")
        assert serialization.loads(serialization.dumps(record), DebtorRecord) == record


class TestFormat:
    def test_envelope(self) -> None:
        """A record names its format version, its type and holds the fields under ``data``."""
        record = serialization.dump(every_event()[1])
        assert record["format"] == serialization.FORMAT_VERSION
        assert record["type"] == every_event()[1].type_name
        assert set(record) == {"format", "type", "data"}

    def test_values_are_portable(self) -> None:
        """Money is a string amount with its currency; dates ISO; channels by name; enums by value."""
        event = MessageSent(
            creditor="acme",
            invoice_number="INV-1",
            sequence=2,
            occurred_on=dt.date(2026, 1, 5),
            idempotency_key="k",
            channel=cf.Channel.SMS,
            template="reminder",
        )
        data = serialization.dump(event)["data"]
        assert data["occurred_on"] == "2026-01-05"
        assert data["channel"] == "sms"
        fee = FeeCharged(
            creditor="acme",
            invoice_number="INV-1",
            sequence=3,
            occurred_on=event.occurred_on,
            amount=money("12.500"),
            description="fee",
        )
        assert serialization.dump(fee)["data"]["amount"] == {"amount": "12.500", "currency": "EUR"}

    def test_text_is_stable(self) -> None:
        """The same value always gives the same text (sorted keys, sets sorted)."""
        record = debtor_record()
        assert serialization.dumps(record) == serialization.dumps(debtor_record())
        assert json.loads(serialization.dumps(record))["data"]["debtor"]["tags"] == [
            "b2c",
            "regular",
        ]


class TestTolerance:
    @pytest.mark.parametrize("event", every_event(), ids=lambda e: e.type_name)
    def test_fields_with_defaults_may_be_missing(self, event: Event) -> None:
        """A record written before a field with a default existed loads with the default."""
        record = serialization.dump(event)
        optional = [
            f.name for f in attrs.fields(type(event)) if f.default is not attrs.NOTHING and f.init
        ]
        for name in optional:
            del record["data"][name]
        loaded = serialization.load(record, Event)
        expected = attrs.evolve(
            event,
            **{
                name: (f.default.factory() if isinstance(f.default, attrs.Factory) else f.default)  # type: ignore[union-attr]
                for name, f in attrs.fields_dict(type(event)).items()
                if name in optional
            },
        )
        assert loaded == expected

    def test_removed_optional_field(self) -> None:
        """Concretely: a MessageSent stored without ``provider_reference`` still loads."""
        sent = next(e for e in every_event() if isinstance(e, MessageSent))
        text = serialization.dumps(sent)
        stored: dict[str, Any] = json.loads(text)
        del stored["data"]["provider_reference"]
        loaded = serialization.loads(json.dumps(stored), Event)
        assert isinstance(loaded, MessageSent)
        assert loaded.provider_reference is None

    def test_unknown_fields_are_ignored(self) -> None:
        """Fields this version does not know (from a later minor release) are ignored."""
        record = serialization.dump(every_event()[1])
        record["data"]["added_later"] = {"x": 1}
        assert serialization.load(record, Event) == every_event()[1]


class TestRefusals:
    def test_newer_format(self) -> None:
        """A record from a newer format is refused, saying to upgrade."""
        record = serialization.dump(every_event()[0])
        record["format"] = serialization.FORMAT_VERSION + 1
        with pytest.raises(StoreError, match="newer creditflow"):
            serialization.load(record, Event)

    def test_unknown_type(self) -> None:
        """An event type this version does not know is refused by name."""
        record = serialization.dump(every_event()[1])
        record["type"] = "EventFromTheFuture"
        with pytest.raises(StoreError, match="EventFromTheFuture"):
            serialization.load(record, Event)

    def test_wrong_kind(self) -> None:
        """An effect record is not read as an event."""
        with pytest.raises(StoreError, match="is not a Event"):
            serialization.load(serialization.dump(every_effect()[0]), Event)

    def test_invalid_data(self) -> None:
        """A record missing a required field is refused, naming the class."""
        record = serialization.dump(every_event()[1])
        del record["data"]["creditor"]
        with pytest.raises(StoreError, match=every_event()[1].type_name):
            serialization.load(record, Event)

    def test_not_json_and_not_a_record(self) -> None:
        """Text that is not JSON, or JSON that is no record, is refused."""
        with pytest.raises(StoreError, match="not valid JSON"):
            serialization.loads("{", Event)
        with pytest.raises(StoreError, match="not a creditflow record"):
            serialization.loads("[1, 2]", Event)


@attrs.frozen(kw_only=True)
class _FlatRateFee:
    """A host's own fee rule."""

    amount: cf.Money
    factor: Decimal = Decimal(1)

    def describe(self) -> str:
        return "flat"

    def fee(self, context: cf.FeeContext) -> cf.Money:
        return self.amount

    def check_schema(self, schema: cf.DunningSchema, step_index: int) -> None:
        return None


class TestRules:
    def test_unregistered_rule_is_refused_when_stored(self) -> None:
        """A schema with a rule class nobody registered cannot be stored, with advice."""

        @attrs.frozen
        class Unknown(_FlatRateFee):
            pass

        step = cf.Step(
            name="fee",
            trigger=cf.Trigger.days_after_due(1),
            actions=[cf.ChargeFee(rule=Unknown(amount=money()))],
        )
        with pytest.raises(ValidationError, match="register_rule"):
            serialization.dumps(cf.DunningSchema(key="own", steps=[step]))

    def test_registered_rule_round_trips(self) -> None:
        """A host's rule, once registered, is stored with its tag and read back."""
        serialization.register_rule(_FlatRateFee, name="test.FlatRateFee")
        step = cf.Step(
            name="fee",
            trigger=cf.Trigger.days_after_due(1),
            actions=[cf.ChargeFee(rule=_FlatRateFee(amount=money("3.00"), factor=Decimal("1.5")))],
        )
        original = cf.DunningSchema(key="own", steps=[step])
        text = serialization.dumps(original)
        assert '"type":"test.FlatRateFee"' in text
        assert serialization.loads(text, cf.DunningSchema) == original
        assert serialization.rule_types()["test.FlatRateFee"] is _FlatRateFee

    def test_a_tag_is_one_class(self) -> None:
        """Registering another class under a taken tag is refused."""
        with pytest.raises(ValidationError, match="taken"):
            serialization.register_rule(_FlatRateFee, name="FixedFee")
