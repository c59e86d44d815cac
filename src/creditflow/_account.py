"""The account of one invoice: what was charged, paid and is open, as a fold over its events."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from functools import cached_property
from typing import ClassVar

import attrs
from attrs import frozen

from ._invoice import Payment
from ._money import Money
from .errors import CurrencyMismatchError, DuplicateError, ValidationError
from .events import (
    Allocation,
    CreditNoteApplied,
    Event,
    FeeCharged,
    InterestAccrued,
    InvoiceRegistered,
    PaymentReceived,
    PaymentReversed,
)

__all__ = ["Account", "AllocationPolicy", "Component", "PaymentRecord"]


class Component(enum.Enum):
    """The parts of an open amount, as payment providers report them."""

    COSTS = "costs"
    INTEREST = "interest"
    PRINCIPAL = "principal"


@frozen
class AllocationPolicy:
    """The order in which a payment pays off the parts of an invoice's account.

    The default, :attr:`DUTCH_CIVIL_CODE`, is art. 6:44 BW: first the costs, then the interest,
    then the principal (most EU jurisdictions have the same rule). What is left after everything
    is paid becomes a credit balance.
    """

    order: tuple[Component, ...] = (Component.COSTS, Component.INTEREST, Component.PRINCIPAL)

    def __attrs_post_init__(self) -> None:
        if sorted(c.value for c in self.order) != sorted(c.value for c in Component):
            raise ValidationError(
                f"an allocation order must name costs, interest and principal once each, "
                f"got {[c.value for c in self.order]}"
            )

    DUTCH_CIVIL_CODE: ClassVar[AllocationPolicy]
    PRINCIPAL_FIRST: ClassVar[AllocationPolicy]


AllocationPolicy.DUTCH_CIVIL_CODE = AllocationPolicy()
AllocationPolicy.PRINCIPAL_FIRST = AllocationPolicy(
    (Component.PRINCIPAL, Component.INTEREST, Component.COSTS)
)


@frozen(kw_only=True)
class PaymentRecord:
    """A payment as the account remembers it, to check reversals against."""

    reference: str
    method: str
    amount: Money
    reversed: Money


@frozen(kw_only=True)
class Account:
    """What one invoice owes, split as payment providers report it.

    Built by :meth:`start` and :meth:`apply` (a fold over the invoice's events, so replaying the
    same events always gives the same account). Amounts are exact and in the invoice's currency.
    """

    currency: str
    principal: Money
    """The invoice's gross total."""
    credited: Money
    costs: Money
    """Admin (collection) costs charged."""
    interest: Money
    """Interest posted."""
    paid_principal: Money
    paid_costs: Money
    paid_interest: Money
    credit_balance: Money
    """Paid beyond everything that was open: kept for refund or the next invoice, never lost."""
    payments: tuple[PaymentRecord, ...] = ()

    @classmethod
    def start(cls, principal: Money) -> Account:
        """A fresh account owing *principal*."""
        nothing = Money.zero(principal.currency)
        return cls(
            currency=principal.currency,
            principal=principal,
            credited=nothing,
            costs=nothing,
            interest=nothing,
            paid_principal=nothing,
            paid_costs=nothing,
            paid_interest=nothing,
            credit_balance=nothing,
        )

    @classmethod
    def fold(cls, events: Iterable[Event]) -> Account:
        """The account after *events* (the first must be :class:`InvoiceRegistered`)."""
        account: Account | None = None
        for event in events:
            if account is None:
                if not isinstance(event, InvoiceRegistered):
                    raise ValidationError(
                        f"an invoice's events must start with InvoiceRegistered, got {event.type_name}"
                    )
                account = cls.start(event.invoice.gross_total)
            else:
                account = account.apply(event)
        if account is None:
            raise ValidationError("cannot fold an account from no events")
        return account

    # -- what is open ------------------------------------------------------------------------------

    @cached_property
    def open_principal(self) -> Money:
        """Principal not yet paid or credited."""
        return self.principal - self.credited - self.paid_principal

    @cached_property
    def open_costs(self) -> Money:
        """Admin costs not yet paid."""
        return self.costs - self.paid_costs

    @cached_property
    def open_interest(self) -> Money:
        """Interest posted and not yet paid."""
        return self.interest - self.paid_interest

    @cached_property
    def open_total(self) -> Money:
        """Everything still owed."""
        return self.open_principal + self.open_costs + self.open_interest

    @cached_property
    def paid_total(self) -> Money:
        """Everything received, net of reversals, including any credit balance."""
        return self.paid_principal + self.paid_costs + self.paid_interest + self.credit_balance

    @cached_property
    def is_settled(self) -> bool:
        """Whether nothing is owed any more (paid, credited, or both)."""
        return not self.open_total.is_positive

    def open(self, component: Component) -> Money:
        """What is open of one part."""
        return {
            Component.PRINCIPAL: self.open_principal,
            Component.COSTS: self.open_costs,
            Component.INTEREST: self.open_interest,
        }[component]

    def direct_debit_paid(self) -> Money:
        """Direct-debit payments not yet reversed (what a bank may still take back)."""
        return sum(
            (p.amount - p.reversed for p in self.payments if p.method == "sepa_direct_debit"),
            Money.zero(self.currency),
        )

    # -- deciding allocations (pure; the results go into events) ---------------------------------

    def _check_currency(self, amount: Money, what: str) -> None:
        if amount.currency != self.currency:
            raise CurrencyMismatchError(
                f"{what} {amount} is in {amount.currency} but the invoice is in {self.currency}"
            )

    def allocate(self, payment: Payment, policy: AllocationPolicy) -> Allocation:
        """Split *payment* over what is open in *policy*'s order; the rest becomes credit."""
        self._check_currency(payment.amount, f"payment {payment.reference!r}")
        if any(p.reference == payment.reference for p in self.payments):
            raise DuplicateError(
                f"payment {payment.reference!r} was recorded for this invoice already; "
                f"each payment reference counts once"
            )
        remaining = payment.amount
        parts = {c: Money.zero(self.currency) for c in Component}
        for component in policy.order:
            share = remaining.min(self.open(component).max(Money.zero(self.currency)))
            parts[component] = share
            remaining -= share
        return Allocation(
            costs=parts[Component.COSTS],
            interest=parts[Component.INTEREST],
            principal=parts[Component.PRINCIPAL],
            credit=remaining,
        )

    def unallocate(self, reference: str, amount: Money, policy: AllocationPolicy) -> Allocation:
        """What a reversal of *amount* of payment *reference* takes back from each part.

        A reversal takes back, in this order: the credit balance, then the parts in the reverse of
        *policy*'s order (what was paid last is re-opened first). So the open total after the
        reversal is the open total before it plus what the credit balance did not absorb.
        """
        self._check_currency(amount, f"reversal of {reference!r}")
        record = next((p for p in self.payments if p.reference == reference), None)
        if record is None:
            raise ValidationError(
                f"no payment {reference!r} was recorded for this invoice; reverse a recorded payment"
            )
        if not amount.is_positive or amount > record.amount - record.reversed:
            raise ValidationError(
                f"reversal of {amount} for payment {reference!r} must be more than zero and at most "
                f"what is left of it ({record.amount - record.reversed})"
            )
        paid = {
            Component.COSTS: self.paid_costs,
            Component.INTEREST: self.paid_interest,
            Component.PRINCIPAL: self.paid_principal,
        }
        credit = amount.min(self.credit_balance)
        remaining = amount - credit
        parts = {c: Money.zero(self.currency) for c in Component}
        for component in reversed(policy.order):
            share = remaining.min(paid[component])
            parts[component] = share
            remaining -= share
        return Allocation(
            costs=parts[Component.COSTS],
            interest=parts[Component.INTEREST],
            principal=parts[Component.PRINCIPAL],
            credit=credit,
        )

    # -- the fold ------------------------------------------------------------------------------------

    def apply(self, event: Event) -> Account:
        """The account after *event*; events that do not move money leave it as it is."""
        match event:
            case CreditNoteApplied(credit_note=note):
                return attrs.evolve(self, credited=self.credited + note.gross)
            case PaymentReceived(payment=payment, allocation=a):
                record = PaymentRecord(
                    reference=payment.reference,
                    method=payment.method,
                    amount=payment.amount,
                    reversed=Money.zero(self.currency),
                )
                return attrs.evolve(
                    self,
                    paid_costs=self.paid_costs + a.costs,
                    paid_interest=self.paid_interest + a.interest,
                    paid_principal=self.paid_principal + a.principal,
                    credit_balance=self.credit_balance + a.credit,
                    payments=(*self.payments, record),
                )
            case PaymentReversed(payment_reference=reference, amount=amount, unallocated=a):
                payments = tuple(
                    attrs.evolve(p, reversed=p.reversed + amount) if p.reference == reference else p
                    for p in self.payments
                )
                return attrs.evolve(
                    self,
                    paid_costs=self.paid_costs - a.costs,
                    paid_interest=self.paid_interest - a.interest,
                    paid_principal=self.paid_principal - a.principal,
                    credit_balance=self.credit_balance - a.credit,
                    payments=payments,
                )
            case FeeCharged(amount=amount):
                return attrs.evolve(self, costs=self.costs + amount)
            case InterestAccrued(amount=amount):
                return attrs.evolve(self, interest=self.interest + amount)
            case _:
                return self
