"""The dunning engine: schemas, cases, and the pure ``decide`` and ``evolve`` functions.

Nothing here reads a clock, the environment or global state: ``today`` is always passed in, so the
same inputs always give the same decisions.
"""

from __future__ import annotations

from ._calendar import BusinessCalendar, Target2Calendar
from ._case import AgencyState, Case, CaseStatus, Hold, evolve, replay
from ._decide import Decision, DecisionContext, decide, next_action_on, step_date
from ._effects import (
    CollectDirectDebit,
    DeliverMessage,
    Effect,
    RequestHandover,
    RequestSubscriptionStop,
    effect_key,
)
from ._schema import (
    NEVER_RETRIED,
    Anchor,
    ChargeFee,
    DayKind,
    DunningSchema,
    HandOver,
    PaymentMethods,
    ReCollectionPolicy,
    SchemaRule,
    SendMessage,
    StartInterest,
    Step,
    StepAction,
    StopSubscription,
    Trigger,
)

__all__ = [
    "NEVER_RETRIED",
    "AgencyState",
    "Anchor",
    "BusinessCalendar",
    "Case",
    "CaseStatus",
    "ChargeFee",
    "CollectDirectDebit",
    "DayKind",
    "Decision",
    "DecisionContext",
    "DeliverMessage",
    "DunningSchema",
    "Effect",
    "HandOver",
    "Hold",
    "PaymentMethods",
    "ReCollectionPolicy",
    "RequestHandover",
    "RequestSubscriptionStop",
    "SchemaRule",
    "SendMessage",
    "StartInterest",
    "Step",
    "StepAction",
    "StopSubscription",
    "Target2Calendar",
    "Trigger",
    "decide",
    "effect_key",
    "evolve",
    "next_action_on",
    "replay",
    "step_date",
]
