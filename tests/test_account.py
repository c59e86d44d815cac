"""The account of an invoice: a fold over its events, with payments allocated by policy."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

import creditflow as cf
from creditflow import events as ev
from creditflow.errors import CurrencyMismatchError, DuplicateError, ValidationError
from strategies import money

D = dt.date(2026, 1, 1)


def eur(amount: str) -> cf.Money:
    return cf.Money(amount, "EUR")


class Stream:
    """Builds a valid event stream for one invoice."""

    def __init__(self, total: cf.Money) -> None:
        invoice = cf.Invoice(
            number="INV-1",
            debtor_code="D1",
            issued_on=D,
            due_on=D,
            currency=total.currency,
            total=total,
        )
        self.events: list[ev.Event] = [
            ev.InvoiceRegistered(
                creditor="c",
                invoice_number="INV-1",
                sequence=1,
                occurred_on=D,
                invoice=invoice,
                schema_key="s",
                schema_version=1,
            )
        ]

    @property
    def account(self) -> cf.Account:
        return cf.Account.fold(self.events)

    def add(self, cls: type[ev.Event], **fields: object) -> cf.Account:
        self.events.append(
            cls(
                creditor="c",
                invoice_number="INV-1",
                sequence=len(self.events) + 1,
                occurred_on=D,
                **fields,
            )
        )
        return self.account

    def fee(self, amount: cf.Money) -> cf.Account:
        return self.add(ev.FeeCharged, amount=amount, description="fee")

    def interest(self, amount: cf.Money) -> cf.Account:
        return self.add(ev.InterestAccrued, amount=amount, start=D, end=D)

    def pay(
        self,
        amount: cf.Money,
        reference: str = "p1",
        policy: cf.AllocationPolicy = cf.AllocationPolicy.DUTCH_CIVIL_CODE,
    ) -> cf.Account:
        payment = cf.Payment(
            amount=amount, method="sepa_direct_debit", reference=reference, paid_on=D
        )
        return self.add(
            ev.PaymentReceived, payment=payment, allocation=self.account.allocate(payment, policy)
        )

    def reverse(self, amount: cf.Money, reference: str = "p1") -> cf.Account:
        unallocated = self.account.unallocate(
            reference, amount, cf.AllocationPolicy.DUTCH_CIVIL_CODE
        )
        return self.add(
            ev.PaymentReversed,
            payment_reference=reference,
            amount=amount,
            unallocated=unallocated,
            reason_code="AM04",
        )


def test_payments_pay_costs_then_interest_then_principal() -> None:
    """Art. 6:44 BW: a payment goes to costs first, then interest, then principal."""
    stream = Stream(eur("100"))
    stream.fee(eur("15"))
    stream.interest(eur("2"))
    account = stream.pay(eur("20"))
    assert (account.open_costs, account.open_interest, account.open_principal) == (
        eur("0"),
        eur("0"),
        eur("97"),
    )


def test_principal_first_is_a_configurable_policy() -> None:
    """Another allocation order can be chosen."""
    stream = Stream(eur("100"))
    stream.fee(eur("15"))
    account = stream.pay(eur("20"), policy=cf.AllocationPolicy.PRINCIPAL_FIRST)
    assert (account.open_costs, account.open_principal) == (eur("15"), eur("80"))


def test_overpayment_becomes_a_credit_balance() -> None:
    """Paying more than is open keeps the rest; the invoice is settled."""
    account = Stream(eur("100")).pay(eur("130"))
    assert account.credit_balance == eur("30")
    assert account.is_settled
    assert account.paid_total == eur("130")


def test_reversal_reopens_what_the_payment_paid() -> None:
    """A reversed payment takes back the credit first, then principal, interest, costs."""
    stream = Stream(eur("100"))
    stream.fee(eur("10"))
    stream.pay(eur("50"))
    account = stream.reverse(eur("50"))
    assert account.open_total == eur("110")
    assert account.direct_debit_paid() == eur("0")


def test_reversal_larger_than_the_payment_is_refused() -> None:
    """A reversal cannot take back more than was paid."""
    stream = Stream(eur("100"))
    stream.pay(eur("50"))
    with pytest.raises(ValidationError, match="at most"):
        stream.account.unallocate("p1", eur("60"), cf.AllocationPolicy.DUTCH_CIVIL_CODE)
    with pytest.raises(ValidationError, match="no payment 'p9'"):
        stream.account.unallocate("p9", eur("1"), cf.AllocationPolicy.DUTCH_CIVIL_CODE)


def test_the_same_payment_reference_counts_once() -> None:
    """Allocating a reference that was recorded is refused."""
    stream = Stream(eur("100"))
    stream.pay(eur("10"))
    payment = cf.Payment(amount=eur("10"), method="ideal", reference="p1", paid_on=D)
    with pytest.raises(DuplicateError, match="p1"):
        stream.account.allocate(payment, cf.AllocationPolicy.DUTCH_CIVIL_CODE)


def test_payment_in_another_currency_is_refused() -> None:
    """A payment must be in the invoice's currency."""
    payment = cf.Payment(amount=cf.Money("10", "USD"), method="ideal", reference="p", paid_on=D)
    with pytest.raises(CurrencyMismatchError, match="USD"):
        Stream(eur("100")).account.allocate(payment, cf.AllocationPolicy.DUTCH_CIVIL_CODE)


def test_fold_needs_invoice_registered_first() -> None:
    """An event stream starts with the invoice."""
    with pytest.raises(ValidationError, match="InvoiceRegistered"):
        cf.Account.fold(
            [
                ev.FeeCharged(
                    creditor="c",
                    invoice_number="1",
                    sequence=1,
                    occurred_on=D,
                    amount=eur("1"),
                    description="x",
                )
            ]
        )


operations = st.lists(
    st.tuples(st.sampled_from(["fee", "interest", "pay"]), money(min_units=1, max_units=50_000)),
    max_size=12,
)


@given(total=money(min_units=1, max_units=1_000_000), ops=operations)
def test_payments_never_exceed_what_is_open_and_overpayment_is_kept(
    total: cf.Money, ops: list[tuple[str, cf.Money]]
) -> None:
    """Whatever happens, nothing is open below zero and every cent paid is accounted for."""
    stream = Stream(total)
    paid = cf.Money.zero("EUR")
    for index, (kind, amount) in enumerate(ops):
        if kind == "fee":
            stream.fee(amount)
        elif kind == "interest":
            stream.interest(amount)
        else:
            paid += amount
            stream.pay(amount, reference=f"p{index}")
    account = stream.account
    for component in cf.Component:
        assert not account.open(component).is_negative
    assert account.paid_total == paid
    charged = account.principal + account.costs + account.interest
    assert account.open_total + paid - account.credit_balance == charged


@given(total=money(min_units=1, max_units=1_000_000), ops=operations)
def test_folding_the_same_events_twice_gives_the_same_account(
    total: cf.Money, ops: list[tuple[str, cf.Money]]
) -> None:
    """The account is a pure fold: same events, same account."""
    stream = Stream(total)
    for index, (kind, amount) in enumerate(ops):
        getattr(stream, kind)(amount, **({"reference": f"p{index}"} if kind == "pay" else {}))
    assert cf.Account.fold(stream.events) == cf.Account.fold(list(stream.events))


@given(
    total=money(min_units=1, max_units=1_000_000),
    notes=st.lists(money(min_units=1, max_units=2_000_000), max_size=6),
)
def test_credit_notes_never_drive_the_principal_below_zero(
    total: cf.Money, notes: list[cf.Money]
) -> None:
    """Credit notes that fit are applied; the manager refuses the rest, so principal stays >= 0."""
    stream = Stream(total)
    for index, amount in enumerate(notes):
        if amount > stream.account.open_principal:
            continue  # CreditManager.create_credit_note refuses these (tested in the engine suite)
        note = cf.CreditNote(
            number=f"CN{index}", invoice_number="INV-1", issued_on=D, amount=amount
        )
        stream.add(ev.CreditNoteApplied, credit_note=note)
    assert not stream.account.open_principal.is_negative
