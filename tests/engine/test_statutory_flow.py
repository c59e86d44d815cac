"""Rule packs in the engine: a Dutch consumer gets the 14-day letter before any collection costs."""

from __future__ import annotations

import datetime as dt

import pytest
from harness import DUE, Harness, eur

import creditflow as cf
from creditflow import events as ev
from creditflow.errors import SchemaError
from creditflow.rules import StatutoryFee, nl


def dutch_schema(gap: int) -> cf.DunningSchema:
    return cf.DunningSchema(
        key="nl-b2c",
        steps=[
            cf.Step(
                name="14-day letter",
                trigger=cf.Trigger.days_after_due(7),
                actions=[
                    cf.SendMessage(
                        channel=cf.Channel.LETTER, kind=cf.MessageKind.FOURTEEN_DAY_LETTER
                    )
                ],
            ),
            cf.Step(
                name="collection costs",
                trigger=cf.Trigger.days_after_previous(gap),
                actions=[
                    cf.ChargeFee(rule=StatutoryFee()),
                    cf.SendMessage(channel=cf.Channel.EMAIL),
                ],
            ),
        ],
    )


def test_letter_states_the_costs_and_the_fee_follows_after_the_term() -> None:
    """The letter announces the WIK amount and its deadline; the fee is charged only after it."""
    h = Harness()
    h.manager.register_schema(dutch_schema(gap=21))
    h.debtor()
    h.manager.register_invoice(
        cf.Invoice(
            number="INV-1",
            debtor_code="D1",
            issued_on=dt.date(2026, 1, 5),
            due_on=DUE,
            currency="EUR",
            total=eur("121.00"),
        ),
        schema_key="nl-b2c",
    )
    h.run_days(60)
    letter = h.letter.sent[0]
    posted = DUE + dt.timedelta(days=7)
    assert "40,00" in letter.text
    fees = h.sink.of_type(ev.FeeCharged)
    assert [f.amount for f in fees] == [nl.collection_costs(eur("121.00"))] == [eur("40.00")]
    assert fees[0].occurred_on > nl.fourteen_day_letter_deadline(posted)


def test_a_schema_charging_before_the_letter_is_refused_at_registration() -> None:
    """The engine refuses a statutory fee that does not follow a compliant 14-day letter."""
    h = Harness()
    with pytest.raises(SchemaError, match="14-day letter|fourteen"):
        h.manager.register_schema(
            cf.DunningSchema(
                key="bad",
                steps=[
                    cf.Step(
                        name="costs",
                        trigger=cf.Trigger.days_after_due(7),
                        actions=[cf.ChargeFee(rule=StatutoryFee())],
                    ),
                ],
            )
        )
    with pytest.raises(SchemaError):
        h.manager.register_schema(dutch_schema(gap=5))
