"""Dunning schemas: versioned, ordered steps, each with a trigger and its actions."""

from __future__ import annotations

import calendar as calendar_module
import datetime as dt
import enum
import re
from collections.abc import Iterable
from typing import Any, Final

import attrs
from attrs import field, frozen

from .. import _validate as v
from .._fees import FeeRule, InterestRule, MessageKind
from .._money import Money
from .._parties import Channel, Debtor, DebtorKind
from ..errors import SchemaError, ValidationError
from ._calendar import Target2Calendar

__all__ = [
    "NEVER_RETRIED",
    "Anchor",
    "ChargeFee",
    "DayKind",
    "DunningSchema",
    "HandOver",
    "PaymentMethods",
    "ReCollectionPolicy",
    "SchemaRule",
    "SendMessage",
    "StartInterest",
    "Step",
    "StepAction",
    "StopSubscription",
    "Trigger",
]

_KEY: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")


class Anchor(enum.Enum):
    """What a step's day offset counts from."""

    DUE_DATE = "due_date"
    INVOICE_DATE = "invoice_date"
    PREVIOUS_STEP = "previous_step"
    """The date the previous step actually ran (the first step counts from the due date)."""


class DayKind(enum.Enum):
    """Whether offsets count every day or only the creditor's business days."""

    CALENDAR = "calendar"
    BUSINESS = "business"
    """Monday to Friday, the creditor country's public holidays excluded (``holidays``)."""


@frozen(kw_only=True)
class Trigger:
    """When a step runs: ``days`` after its anchor, in calendar or business days.

    Use the constructors: :meth:`days_after_due` (negative for invitations before the due date),
    :meth:`days_after_previous`, :meth:`on_invoice_date`.
    """

    days: int = field(validator=attrs.validators.instance_of(int))
    anchor: Anchor = Anchor.DUE_DATE
    day_kind: DayKind = DayKind.CALENDAR

    @classmethod
    def days_after_due(cls, days: int, *, business: bool = False) -> Trigger:
        """*days* after the due date (``-3`` is three days before it)."""
        return cls(days=days, anchor=Anchor.DUE_DATE, day_kind=_kind(business))

    @classmethod
    def days_after_previous(cls, days: int, *, business: bool = False) -> Trigger:
        """*days* after the previous step ran."""
        if days < 0:
            raise ValidationError(f"days_after_previous must not be negative, got {days}")
        return cls(days=days, anchor=Anchor.PREVIOUS_STEP, day_kind=_kind(business))

    @classmethod
    def on_invoice_date(cls, days: int = 0) -> Trigger:
        """On the invoice date (a payment invitation), or *days* after it."""
        return cls(days=days, anchor=Anchor.INVOICE_DATE)


def _kind(business: bool) -> DayKind:
    return DayKind.BUSINESS if business else DayKind.CALENDAR


def _methods(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError(f"payment methods must be a collection of names, got the string {values!r}")
    return tuple(sorted({str(m).strip().lower() for m in values}))


@frozen(kw_only=True)
class PaymentMethods:
    """Which payment methods a payment link may offer: an allow list, a deny list, or both.

    An empty allow list means "whatever the provider offers", less the deny list.
    """

    allowed: tuple[str, ...] = field(default=(), converter=_methods)
    disallowed: tuple[str, ...] = field(default=(), converter=_methods)

    def __attrs_post_init__(self) -> None:
        both = set(self.allowed) & set(self.disallowed)
        if both:
            raise ValidationError(f"payment methods {sorted(both)} are both allowed and disallowed")

    def without(self, *methods: str) -> PaymentMethods:
        """These methods, with *methods* denied too (e.g. direct debit after a refusal)."""
        allowed = tuple(m for m in self.allowed if m not in methods)
        if self.allowed and not allowed:
            allowed = self.allowed  # keep the step's intent visible; the deny list wins anyway
        return PaymentMethods(
            allowed=tuple(m for m in allowed if m not in methods),
            disallowed=(*self.disallowed, *methods),
        )


@frozen(kw_only=True)
class SendMessage:
    """Send a message on ``channel``, else on the first reachable of ``fallbacks``.

    ``template`` defaults to the kind's name (``"reminder"``); the message carries a payment link
    for the open amount unless ``payment_link`` is false. ``methods_before_due`` and
    ``methods_after_due`` set the link's payment methods (seed: per reminder).
    """

    channel: Channel = field(validator=attrs.validators.instance_of(Channel))
    kind: MessageKind = MessageKind.REMINDER
    template: str = field(default=attrs.Factory(lambda self: self.kind.value, takes_self=True))
    fallbacks: tuple[Channel, ...] = field(default=(), converter=v.to_tuple)
    payment_link: bool = True
    link_required: bool = False
    """When the link cannot be created: wait and retry (True) or send without a link (False)."""
    methods_before_due: PaymentMethods = PaymentMethods()
    methods_after_due: PaymentMethods = PaymentMethods()
    attach_invoice: bool = False

    def __attrs_post_init__(self) -> None:
        if self.channel in self.fallbacks:
            raise ValidationError(f"channel {self.channel} is also listed as its own fallback")

    @property
    def channels(self) -> tuple[Channel, ...]:
        """The channel, then the fallbacks, in order."""
        return (self.channel, *self.fallbacks)


@frozen(kw_only=True)
class ChargeFee:
    """Add admin costs computed by ``rule`` (a :class:`~creditflow.FixedFee`, a statutory fee, ...)."""

    rule: FeeRule


@frozen(kw_only=True)
class StartInterest:
    """Start late-payment interest under ``rule`` from the day after the due date (or ``from_due``)."""

    rule: InterestRule
    from_due: bool = True
    """Interest runs from the day after the due date (True) or from this step's date (False)."""


@frozen(kw_only=True)
class HandOver:
    """Hand the invoice to the collection agency (the ``CollectionAgency`` port)."""


@frozen(kw_only=True)
class StopSubscription:
    """Stop the host's subscription behind the invoice (the ``Subscriptions`` port)."""


StepAction = SendMessage | ChargeFee | StartInterest | HandOver | StopSubscription
_ACTIONS: Final = (SendMessage, ChargeFee, StartInterest, HandOver, StopSubscription)


def _actions(values: Iterable[Any]) -> tuple[StepAction, ...]:
    result = tuple(values)
    for action in result:
        if not isinstance(action, _ACTIONS):
            raise TypeError(
                f"{action!r} is not a step action; use SendMessage, ChargeFee, StartInterest, "
                f"HandOver or StopSubscription"
            )
    return result


@frozen(kw_only=True)
class Step:
    """One step of a schema: when it runs, what it does, and below which open amount it is skipped."""

    name: str = field(validator=v.non_empty)
    trigger: Trigger
    actions: tuple[StepAction, ...] = field(converter=_actions)
    min_open_amount: Money | None = field(default=None, validator=v.money)
    """Skip the step while the open amount is below this threshold."""

    def __attrs_post_init__(self) -> None:
        if not self.actions:
            raise ValidationError(f"step {self.name!r} has no actions")
        if sum(isinstance(a, SendMessage) for a in self.actions) > 1:
            raise ValidationError(
                f"step {self.name!r} sends more than one message; give each message its own step"
            )

    @property
    def message(self) -> SendMessage | None:
        """The step's message, if it sends one."""
        return next((a for a in self.actions if isinstance(a, SendMessage)), None)


_REASON_CODE: Final = re.compile(r"^[A-Z0-9]{4}$")

NEVER_RETRIED: Final = frozenset(
    {"AC01", "AC04", "AC06", "AG01", "AM05", "MD01", "MD06", "MD07", "MS02", "SL01"}
)
"""Reason codes that must never be collected again automatically, whatever the policy says:
closed or wrong accounts, no mandate, debtor refunds and refusals, a deceased debtor."""


def reason_code(value: object) -> str:
    """A SEPA R-transaction reason code, upper-cased: four letters or digits (``AM04``).

    Raises:
        ValidationError: *value* is not four letters or digits.
    """
    code = value.strip().upper() if isinstance(value, str) else ""
    if not _REASON_CODE.match(code):
        raise ValidationError(
            f"reason code {value!r} is not a SEPA reason code: four letters or digits such as "
            f"'AM04' or 'MD06'"
        )
    return code


def _reason_codes(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        raise TypeError(f"retry_codes must be a collection of codes, got the string {values!r}")
    return frozenset(reason_code(v) for v in values)


def _payday(instance: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and not 1 <= value <= 31:
        raise ValidationError(
            f"ReCollectionPolicy.payday must be a day of the month (1-31), got {value}"
        )


@frozen(kw_only=True)
class ReCollectionPolicy:
    """What to do when a SEPA direct debit comes back (reject, return, refund).

    Codes in ``retry_codes`` (default ``AM04`` insufficient funds and ``MS03`` reason not
    specified, as PSPs retry them) are collected again, at most ``max_attempts`` times per invoice,
    ``business_days`` TARGET2 days after the reversal, or on the next ``payday`` (a day of the
    month, e.g. 25, rolled to a TARGET2 day) at least that many TARGET2 days later. Dunning waits
    for the outcome up to ``outcome_days`` after the collection date. Every other code, known or
    not, stops direct debit for the invoice: it is dunned with ``sepa_direct_debit`` denied in its
    payment links. Codes in :data:`NEVER_RETRIED` (closed account, no mandate, refund, refusal,
    deceased, ...) are never retried even if listed.

    ``reversal_fee`` is charged as costs on each reversal (where the contract allows it);
    with ``notify`` the debtor gets a payment invitation on ``channel`` whose link offers other
    payment methods than direct debit.
    """

    retry_codes: frozenset[str] = field(
        default=frozenset({"AM04", "MS03"}), converter=_reason_codes
    )
    max_attempts: int = field(default=2, validator=attrs.validators.ge(0))
    business_days: int = field(default=5, validator=attrs.validators.ge(1))
    payday: int | None = field(default=None, validator=_payday)
    outcome_days: int = field(default=14, validator=attrs.validators.ge(1))
    reversal_fee: Money | None = field(default=None, validator=v.money)
    notify: bool = True
    channel: Channel = field(default=Channel.EMAIL, validator=attrs.validators.instance_of(Channel))

    def is_retryable(self, code: str) -> bool:
        """Whether a reversal with *code* may be collected again."""
        return code in self.retry_codes and code not in NEVER_RETRIED

    def collect_on(self, reversed_on: dt.date, calendar: Target2Calendar) -> dt.date:
        """The day a re-collection after a reversal on *reversed_on* is due (a TARGET2 day)."""
        earliest = calendar.add_business_days(reversed_on, self.business_days)
        if self.payday is None:
            return earliest
        day = earliest
        while True:
            last = calendar_module.monthrange(day.year, day.month)[1]
            candidate = dt.date(day.year, day.month, min(self.payday, last))
            if candidate >= earliest:
                return calendar.add_business_days(candidate, 0)
            day = candidate.replace(day=1) + dt.timedelta(days=32)


def _key(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _KEY.match(value):
        raise ValidationError(
            f"{type(instance).__name__}.{attribute.name} {value!r} must be 1-100 letters, digits, "
            f"'_', '.', ':' or '-'"
        )


@frozen(kw_only=True)
class DunningSchema:
    """A versioned, ordered dunning flow (a "CM schema", "Mahnverfahren", "procédure de relance").

    Registering a schema with a key that exists adds a new version; an invoice keeps the version
    its case started with, so changing a schema never changes an invoice already in flight.
    """

    key: str = field(validator=_key)
    version: int = field(default=1, validator=attrs.validators.instance_of(int))
    steps: tuple[Step, ...] = field(converter=v.to_tuple)
    description: str = ""
    recollection: ReCollectionPolicy = ReCollectionPolicy()
    """What happens when a direct debit for an invoice on this schema comes back."""

    def __attrs_post_init__(self) -> None:
        if self.version < 1:
            raise SchemaError(f"schema {self.key!r} version must be 1 or more, got {self.version}")
        if not self.steps:
            raise SchemaError(f"schema {self.key!r} has no steps")
        names = [s.name for s in self.steps]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise SchemaError(f"schema {self.key!r} has steps with the same name: {duplicates}")

    def check(self) -> None:
        """Run every fee rule's legal checks (rule packs refuse unlawful orders of steps).

        Raises:
            SchemaError: naming the step and what the law requires.
        """
        for index, step in enumerate(self.steps):
            for action in step.actions:
                if isinstance(action, ChargeFee):
                    action.rule.check_schema(self, index)

    def index_of(self, step_name: str) -> int:
        """The position of the step named *step_name*."""
        for index, step in enumerate(self.steps):
            if step.name == step_name:
                return index
        raise ValidationError(
            f"schema {self.key!r} v{self.version} has no step {step_name!r}; "
            f"its steps are {[s.name for s in self.steps]}"
        )


def _kind_set(values: Iterable[DebtorKind]) -> frozenset[DebtorKind]:
    return frozenset(values)


def _country_set(values: Iterable[str]) -> frozenset[str]:
    return frozenset(str(c).strip().upper() for c in values)


@frozen(kw_only=True)
class SchemaRule:
    """Choose a schema by what is known of the debtor (seed: a flow that fits payment behaviour).

    Every given condition must hold; the first matching rule of a manager wins. ``tags`` must all
    be on the debtor.
    """

    schema_key: str = field(validator=_key)
    kinds: frozenset[DebtorKind] = field(default=frozenset(), converter=_kind_set)
    countries: frozenset[str] = field(default=frozenset(), converter=_country_set)
    tags: frozenset[str] = field(default=frozenset(), converter=v.frozen_tags)

    def matches(self, debtor: Debtor) -> bool:
        """Whether this rule applies to *debtor*."""
        if self.kinds and debtor.kind not in self.kinds:
            return False
        if self.countries and debtor.country not in self.countries:
            return False
        return self.tags <= debtor.tags
