"""StatutoryFee refuses schemas charging Dutch consumers before the 14-day letter's term."""

from __future__ import annotations

import pytest

from creditflow.engine._schema import Trigger
from creditflow.errors import SchemaError
from creditflow.rules import LETTER_STEP_MIN_GAP_DAYS, StatutoryFee

from .factories import fee_step, letter_step, reminder_step, schema


def test_fee_without_a_letter_is_refused() -> None:
    """A statutory fee with no earlier 14-day letter is refused, naming schema, step and fix."""
    flow = schema(
        reminder_step(),
        fee_step(StatutoryFee(), trigger=Trigger.days_after_previous(30)),
    )
    with pytest.raises(SchemaError) as caught:
        flow.check()
    message = str(caught.value)
    assert "'nl-consumer'" in message
    assert "'costs'" in message
    assert "FOURTEEN_DAY_LETTER" in message


def test_fee_before_the_letter_is_refused() -> None:
    """A fee step placed before the letter step does not count the later letter."""
    flow = schema(
        fee_step(StatutoryFee(), trigger=Trigger.days_after_due(1)),
        letter_step(trigger=Trigger.days_after_previous(1)),
    )
    with pytest.raises(SchemaError, match="FOURTEEN_DAY_LETTER"):
        flow.check()


@pytest.mark.parametrize(
    "trigger",
    [Trigger.days_after_previous(15), Trigger.days_after_due(7 + 15)],
)
def test_fee_too_soon_after_the_letter_is_refused(trigger: Trigger) -> None:
    """A fee 15 days after the letter (by previous step or by due date) is refused."""
    flow = schema(
        letter_step(trigger=Trigger.days_after_due(7)), fee_step(StatutoryFee(), trigger=trigger)
    )
    with pytest.raises(SchemaError, match=r"15 days after the 14-day letter step 'letter'"):
        flow.check()


@pytest.mark.parametrize(
    "trigger",
    [Trigger.days_after_previous(LETTER_STEP_MIN_GAP_DAYS), Trigger.days_after_due(7 + 21)],
)
def test_fee_at_least_16_days_after_the_letter_is_accepted(trigger: Trigger) -> None:
    """A fee 16 or more days after the letter passes the check."""
    flow = schema(
        letter_step(trigger=Trigger.days_after_due(7)), fee_step(StatutoryFee(), trigger=trigger)
    )
    flow.check()


def test_days_between_add_up_over_intermediate_steps() -> None:
    """Two steps of 10 days after the letter put the fee 20 days after it, which is enough."""
    flow = schema(
        letter_step(),
        reminder_step(trigger=Trigger.days_after_previous(10)),
        fee_step(StatutoryFee(), trigger=Trigger.days_after_previous(10)),
    )
    flow.check()


def test_unknown_distance_is_refused() -> None:
    """A fee step counted from the invoice date cannot be checked, so it is refused."""
    flow = schema(letter_step(), fee_step(StatutoryFee(), trigger=Trigger.on_invoice_date(90)))
    with pytest.raises(SchemaError, match="cannot be told"):
        flow.check()


@pytest.mark.parametrize(
    "fee", [StatutoryFee(consumers=False), StatutoryFee(countries=["BE", "DE"])]
)
def test_fee_that_never_applies_to_dutch_consumers_needs_no_letter(fee: StatutoryFee) -> None:
    """A fee configured not to charge Dutch consumers is accepted without a letter."""
    schema(reminder_step(), fee_step(fee, trigger=Trigger.days_after_previous(1))).check()
