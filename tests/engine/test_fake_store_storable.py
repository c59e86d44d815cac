"""The in-memory store refuses what a database store could not keep, so fakes cannot drift."""

from __future__ import annotations

import attrs
import pytest
from harness import Harness, eur

import creditflow as cf
from creditflow import serialization
from creditflow.adapters.sqlite import SqliteStore
from creditflow.errors import ValidationError
from creditflow.testing import InMemoryStore


@attrs.frozen
class LoyaltyFee:
    """A host's own fee rule: five euros, never registered for storage."""

    def describe(self) -> str:
        return "Loyalty fee"

    def fee(self, context: cf.FeeContext) -> cf.Money | cf.NoFee:
        return eur("5.00")

    def check_schema(self, schema: cf.DunningSchema, step_index: int) -> None:
        return None


def schema_with(rule: cf.FeeRule, key: str) -> cf.DunningSchema:
    return cf.DunningSchema(
        key=key,
        steps=[
            cf.Step(
                name="fee", trigger=cf.Trigger.days_after_due(7), actions=[cf.ChargeFee(rule=rule)]
            ),
        ],
    )


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_an_unregistered_custom_rule_is_refused_by_fake_and_real_store_alike(
    store: str, tmp_path: object
) -> None:
    """The fake says no where SQLite says no, with a message naming the fix."""
    backend = InMemoryStore() if store == "memory" else SqliteStore(f"{tmp_path}/x.db")
    h = Harness(store=backend)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"register_rule\(LoyaltyFee\)"):
        h.manager.register_schema(schema_with(LoyaltyFee(), "loyalty"))


def test_registered_custom_rule_is_stored_and_the_check_can_be_switched_off() -> None:
    """After register_rule the fake accepts it; check_storable=False skips the check."""
    Harness(store=InMemoryStore(check_storable=False)).manager.register_schema(
        schema_with(LoyaltyFee(), "unchecked")
    )

    @serialization.register_rule
    @attrs.frozen
    class RegisteredFee(LoyaltyFee):
        """The same fee, registered."""

    Harness().manager.register_schema(schema_with(RegisteredFee(), "registered"))
