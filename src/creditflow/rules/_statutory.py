"""Statutory fee and interest rules for dunning schemas; the debtor's country picks the law."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

import attrs
from attrs import field, frozen

from creditflow._countries import EU_COUNTRY_CODES
from creditflow._fees import DayCount, FeeContext, InterestContext, InterestRule, MessageKind, NoFee
from creditflow._money import Money
from creditflow.engine._schema import Anchor, DayKind
from creditflow.errors import SchemaError, ValidationError

from . import be, de, eu, fr, nl
from ._common import require_euro

if TYPE_CHECKING:
    from creditflow.engine._schema import DunningSchema, Step

__all__ = ["LETTER_STEP_MIN_GAP_DAYS", "NlBusinessFee", "StatutoryFee", "StatutoryInterest"]

LETTER_STEP_MIN_GAP_DAYS: Final = 16
"""The fewest calendar days a statutory-fee step may be scheduled after a Dutch 14-day letter step.

Industry practice allows about 16 days after the letter date (2 days for the presumed delivery and
14 to pay). It is a floor for the schema check only: at run time the fee is charged only when the
exact term (:func:`creditflow.rules.nl.fourteen_day_letter_deadline`) has passed, which takes at
least 17 days and up to about 19 when the delivery presumption skips a Sunday, a Monday or a
holiday. Schedule the step 19 or more days after the letter to charge on the step's own date.
"""


class NlBusinessFee(enum.Enum):
    """What :class:`StatutoryFee` charges a Dutch business debtor."""

    FLAT = "flat"
    """The EUR 40 fixed compensation of art. 6:96 lid 4 BW (Directive 2011/7/EU art. 6)."""
    BIK = "bik"
    """The BIK staffel, which is not mandatory between businesses but which courts use as the
    reference; use it when the creditor's terms stipulate it."""


def _countries(values: Iterable[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        raise TypeError(f"countries must be a collection of codes, got the string {values!r}")
    return frozenset(str(c).strip().upper() for c in values)


def _medium(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in be.MEDIUMS:
        raise ValidationError(
            f"StatutoryFee.be_reminder_medium {value!r} is unknown; use 'letter' or 'email'"
        )


@frozen(kw_only=True)
class StatutoryFee:
    """The collection costs the law of the debtor's country allows, charged once per invoice.

    The law is chosen by ``context.debtor.country`` and consumer or business by
    ``context.debtor.kind``. The base is the invoice's open principal. Costs already charged on
    the invoice count towards the statutory amount, so a second statutory-fee step charges only
    what is left (usually nothing).

    ============  =====================================================================
    country       what is charged
    ============  =====================================================================
    NL consumer   BIK collection costs, only after the term of a 14-day letter passed
    NL business   EUR 40 (``nl_business=NlBusinessFee.FLAT``) or the BIK staffel
    BE consumer   the damage-clause maximum, never for the first reminder, and only
                  after its 14-day waiting period
    BE business   EUR 40
    DE, FR, EU    EUR 40 against a business (Directive 2011/7/EU for EU countries
                  without a pack); nothing against a consumer
    other         nothing (no statutory fee is known outside the EU)
    ============  =====================================================================

    Attributes:
        consumers: Charge consumers where the law allows it. With ``False`` the fee never
            applies to consumers, and schemas need no 14-day letter.
        businesses: Charge businesses.
        countries: Only charge debtors in these countries (ISO codes); ``None`` means all.
        nl_business: What a Dutch business debtor is charged.
        vat_uplift: Add 21 % VAT to Dutch BIK costs. Applied only when the creditor also
            cannot deduct VAT (``Creditor.can_deduct_vat`` is false); see
            :func:`creditflow.rules.nl.collection_costs` for the legal conditions.
        be_reminder_medium: How the Belgian first reminder is sent (``"letter"`` or ``"email"``);
            the fee context does not carry the channel. ``"letter"`` gives the later end of the
            waiting period.
        description: The text shown on documents and events.
    """

    consumers: bool = True
    businesses: bool = True
    countries: frozenset[str] | None = field(default=None, converter=_countries)
    nl_business: NlBusinessFee = field(
        default=NlBusinessFee.FLAT, validator=attrs.validators.instance_of(NlBusinessFee)
    )
    vat_uplift: bool = False
    be_reminder_medium: str = field(default="letter", validator=_medium)
    description: str = "Statutory collection costs"

    def describe(self) -> str:
        """The fee's description."""
        return self.description

    @property
    def applies_to_dutch_consumers(self) -> bool:
        """Whether this fee may be charged to Dutch consumers (and so needs a 14-day letter)."""
        return self.consumers and (self.countries is None or "NL" in self.countries)

    def fee(self, context: FeeContext) -> Money | NoFee:
        """The statutory collection costs on ``context.today``, or :class:`NoFee` with the reason.

        Raises:
            CurrencyMismatchError: the invoice is not in euro and the debtor's law sets its
                amounts in euro.
        """
        debtor = context.debtor
        consumer = debtor.is_consumer
        if consumer and not self.consumers:
            return NoFee("this statutory fee is configured not to charge consumers")
        if not consumer and not self.businesses:
            return NoFee("this statutory fee is configured not to charge businesses")
        country = debtor.country
        if country is None:
            return NoFee(f"debtor {debtor.code!r} has no address, so its country's law is unknown")
        if self.countries is not None and country not in self.countries:
            return NoFee(f"this statutory fee is not configured for debtors in {country}")
        if country not in EU_COUNTRY_CODES:
            return NoFee(f"no statutory collection costs are known for {country} (outside the EU)")
        principal = context.account.open_principal
        require_euro(
            principal,
            what=f"the open principal of invoice {context.invoice.number!r}",
            law=f"the law of {country}",
        )
        if not principal.is_positive:
            return NoFee(f"invoice {context.invoice.number!r} has no open principal")
        amount = self._statutory_amount(context, country, consumer=consumer)
        if isinstance(amount, NoFee):
            return amount
        remaining = amount - context.account.costs
        if not remaining.is_positive:
            return NoFee(
                f"the statutory maximum of {amount} is reached: {context.account.costs} "
                f"was charged on invoice {context.invoice.number!r} already"
            )
        return remaining

    def _statutory_amount(
        self, context: FeeContext, country: str, *, consumer: bool
    ) -> Money | NoFee:
        principal = context.account.open_principal
        uplift = self.vat_uplift and not context.creditor.can_deduct_vat
        if country == "NL":
            if consumer:
                return self._dutch_consumer_costs(context, uplift=uplift)
            if self.nl_business is NlBusinessFee.BIK:
                return nl.collection_costs(principal, vat_uplift=uplift)
            return nl.BUSINESS_FLAT_FEE
        if country == "BE":
            return self._belgian_consumer_damages(context) if consumer else be.BUSINESS_FLAT_FEE
        if country == "DE":
            return de.flat_fee(consumer=consumer)
        if country == "FR":
            return fr.recovery_indemnity(consumer=consumer)
        if consumer:
            return NoFee(f"no statutory collection costs for consumers are known for {country}")
        return eu.recovery_costs(consumer=False)

    def _dutch_consumer_costs(self, context: FeeContext, *, uplift: bool) -> Money | NoFee:
        letters = [m for m in context.sent if m.kind is MessageKind.FOURTEEN_DAY_LETTER]
        if not letters:
            return NoFee(
                "no 14-day letter (art. 6:96 lid 6 BW) was sent, so a Dutch consumer owes no "
                "collection costs"
            )
        deadlines = sorted(nl.fourteen_day_letter_deadline(m.sent_on) for m in letters)
        if deadlines[0] >= context.today:
            return NoFee(
                f"the 14-day letter's term runs until {deadlines[0]}; collection costs are due "
                f"from {_day_after(deadlines[0])} if unpaid"
            )
        return nl.collection_costs(context.account.open_principal, vat_uplift=uplift)

    def _belgian_consumer_damages(self, context: FeeContext) -> Money | NoFee:
        reminders = [m for m in context.sent if m.kind is MessageKind.FIRST_REMINDER_BE]
        if not reminders:
            return NoFee(
                "the first reminder to a Belgian consumer is free, and no first reminder "
                "(MessageKind.FIRST_REMINDER_BE) was sent before this step"
            )
        first = min(m.sent_on for m in reminders)
        waiting_ends = be.reminder_waiting_period_end(first, medium=self.be_reminder_medium)
        if context.today <= waiting_ends:
            return NoFee(
                f"the waiting period after the first reminder of {first} runs until "
                f"{waiting_ends}; a damage clause may be charged from {_day_after(waiting_ends)}"
            )
        return be.consumer_damages_cap(context.account.open_principal)

    def check_schema(self, schema: DunningSchema, step_index: int) -> None:
        """Refuse a schema that would charge a Dutch consumer without a proper 14-day letter.

        When this fee may apply to Dutch consumers, an earlier step must send a
        ``MessageKind.FOURTEEN_DAY_LETTER`` message, and this step must be scheduled at least
        :data:`LETTER_STEP_MIN_GAP_DAYS` calendar days after it. The check is a floor; the fee
        itself is charged only when the exact term has passed.

        Raises:
            SchemaError: naming the schema, the step and what is required.
        """
        if not self.applies_to_dutch_consumers:
            return
        steps = schema.steps
        step = steps[step_index]
        where = f"schema {schema.key!r} v{schema.version}, step {step.name!r}"
        letters = [
            index
            for index, earlier in enumerate(steps[:step_index])
            if earlier.message is not None
            and earlier.message.kind is MessageKind.FOURTEEN_DAY_LETTER
        ]
        if not letters:
            raise SchemaError(
                f"{where} charges statutory collection costs, which a Dutch consumer owes only "
                f"after a 14-day letter (art. 6:96 lid 6 BW): add an earlier step that sends "
                f"MessageKind.FOURTEEN_DAY_LETTER, or configure the fee not to apply to Dutch "
                f"consumers (StatutoryFee(consumers=False) or countries without 'NL')"
            )
        gaps = {index: _min_days_between(steps, index, step_index) for index in letters}
        known = {index: gap for index, gap in gaps.items() if gap is not None}
        if known and max(known.values()) >= LETTER_STEP_MIN_GAP_DAYS:
            return
        if not known:
            raise SchemaError(
                f"{where} charges statutory collection costs, but how many days after the 14-day "
                f"letter step {steps[letters[-1]].name!r} it runs cannot be told (a trigger "
                f"counts from the invoice date or in business days before the letter); anchor the "
                f"step to the letter step or the due date, in calendar days, at least "
                f"{LETTER_STEP_MIN_GAP_DAYS} days after the letter"
            )
        letter, gap = max(known.items(), key=lambda item: item[1])
        raise SchemaError(
            f"{where} charges statutory collection costs {gap} days after the 14-day letter step "
            f"{steps[letter].name!r}; a Dutch consumer owes them only after the letter's term "
            f"(2 days for delivery and 14 to pay), so schedule the step at least "
            f"{LETTER_STEP_MIN_GAP_DAYS} calendar days after the letter"
        )


def _day_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1)


def _due_offset(steps: tuple[Step, ...], index: int) -> int | None:
    """Days from the due date to the step's scheduled date, when that is exact."""
    trigger = steps[index].trigger
    if trigger.day_kind is not DayKind.CALENDAR:
        return None
    if trigger.anchor is Anchor.DUE_DATE:
        return trigger.days
    if trigger.anchor is Anchor.PREVIOUS_STEP:
        if index == 0:  # the first step counts from the due date
            return trigger.days
        before = _due_offset(steps, index - 1)
        return None if before is None else before + trigger.days
    return None


def _min_days_between(steps: tuple[Step, ...], first: int, last: int) -> int | None:
    """The fewest calendar days from step *first* to step *last*, or None when it is unknown.

    A business-day offset counts as at least as many calendar days.
    """
    total = 0
    index = last
    while index > first:
        trigger = steps[index].trigger
        if trigger.anchor is Anchor.PREVIOUS_STEP:
            total += trigger.days
            index -= 1
            continue
        if trigger.anchor is Anchor.DUE_DATE:
            letter_offset = _due_offset(steps, first)
            return None if letter_offset is None else total + trigger.days - letter_offset
        return None
    return total


@frozen(kw_only=True)
class StatutoryInterest:
    """Statutory late-payment interest under the law of the debtor's country.

    ============  ==========================================================================
    country       rate
    ============  ==========================================================================
    NL            consumer: art. 6:119 BW; business: art. 6:119a BW; both compound yearly
    DE            base rate + 5 points (consumer) or + 9 points (business), simple
    FR            consumer: taux d'intérêt légal; business: ECB + 10 points, simple
    BE business   the semester rate of the Act of 2 August 2002, simple
    other EU      business: the Directive floor, ECB + 8 points, simple
    ============  ==========================================================================

    Belgian consumers (interest is contractual, capped), consumers elsewhere, and debtors outside
    the EU have no statutory rate here: they get the ``fallback`` rule, and without one the rule
    raises :class:`~creditflow.errors.ValidationError` rather than guessing.

    Attributes:
        day_count: How days are counted, for every country (the law is not explicit; ACT_365 is
            the default).
        nl_whole_years: For Dutch interest, count a complete year as exactly one year (see
            :func:`creditflow.rules.nl.statutory_interest`).
        fallback: The rule for debtors without a statutory rate here, e.g. a
            :class:`~creditflow.FixedRateInterest` with the contractual rate.
        description: The text shown on documents and events.
    """

    day_count: DayCount = field(
        default=DayCount.ACT_365, validator=attrs.validators.instance_of(DayCount)
    )
    nl_whole_years: bool = True
    fallback: InterestRule | None = None
    description: str = "Statutory interest"

    def describe(self) -> str:
        """The rule's description."""
        return self.description

    def interest(self, context: InterestContext) -> Money:
        """Interest over ``[context.start, context.end)``, exact (not rounded).

        For Dutch debtors, ``context.open_interest`` joins the base at the first anniversary of
        ``context.interest_from`` on or after ``context.start``.

        Raises:
            ValidationError: no statutory rate for the debtor and no ``fallback``; a negative
                principal; a period before the rate table.
            CurrencyMismatchError: the principal is not in euro.
        """
        debtor = context.debtor
        consumer = debtor.is_consumer
        country = debtor.country
        principal, start, end = context.principal, context.start, context.end
        if country == "NL":
            return nl.statutory_interest(
                principal,
                start,
                end,
                commercial=not consumer,
                interest_from=context.interest_from,
                earlier_interest=context.open_interest,
                day_count=self.day_count,
                whole_years=self.nl_whole_years,
            )
        if country == "DE":
            return de.default_interest(
                principal, start, end, consumer=consumer, day_count=self.day_count
            )
        if country == "FR":
            if consumer:
                return fr.legal_interest(principal, start, end, day_count=self.day_count)
            return fr.late_penalties(principal, start, end, day_count=self.day_count)
        if country == "BE" and not consumer:
            return be.commercial_interest(principal, start, end, day_count=self.day_count)
        if country in EU_COUNTRY_CODES and country != "BE" and not consumer:
            return eu.late_payment_interest(principal, start, end, day_count=self.day_count)
        if self.fallback is not None:
            return self.fallback.interest(context)
        who = "consumer" if consumer else "business"
        place = country or "an unknown country"
        raise ValidationError(
            f"no statutory interest rate is known for a {who} debtor in {place} "
            f"(debtor {debtor.code!r}); pass StatutoryInterest(fallback=FixedRateInterest(...)) "
            f"with the contractual rate"
        )
