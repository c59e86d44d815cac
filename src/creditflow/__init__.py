"""creditflow: embeddable credit management (dunning) for billing systems.

Reminders by e-mail, SMS and letter, payment links, collection costs and statutory interest that
are legal in each European country, payment plans, re-collection of reversed direct debits, pause
and stop, handover to collection agencies and real-time events, run by the host's own code, on its
own data, exactly once.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import errors, events
from ._account import Account, AllocationPolicy, Component, PaymentRecord
from ._invoice import CreditNote, Invoice, InvoiceLine, Payment, PaymentMethod, VatLine, VatRounding
from ._money import Money, Rounding
from ._parties import Address, BankAccount, Brand, Channel, Creditor, Debtor, DebtorKind

try:
    __version__ = version("creditflow")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "Account",
    "Address",
    "AllocationPolicy",
    "BankAccount",
    "Brand",
    "Channel",
    "Component",
    "CreditNote",
    "Creditor",
    "Debtor",
    "DebtorKind",
    "Invoice",
    "InvoiceLine",
    "Money",
    "Payment",
    "PaymentMethod",
    "PaymentRecord",
    "Rounding",
    "VatLine",
    "VatRounding",
    "errors",
    "events",
]
