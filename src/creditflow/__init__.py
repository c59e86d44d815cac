"""creditflow: embeddable credit management (dunning) for billing systems.

Reminders by e-mail, SMS and letter, payment links, collection costs and statutory interest that
are legal in each European country, payment plans, re-collection of reversed direct debits, pause
and stop, handover to collection agencies and real-time events, run by the host's own code, on its
own data, exactly once.
"""

from __future__ import annotations

from . import errors, events
from ._account import Account, AllocationPolicy, Component, PaymentRecord
from ._fees import (
    DayCount,
    FeeContext,
    FeeRule,
    FixedFee,
    FixedRateInterest,
    InterestContext,
    InterestRule,
    NoFee,
    PercentageFee,
)
from ._invoice import CreditNote, Invoice, InvoiceLine, Payment, PaymentMethod, VatLine, VatRounding
from ._manager import CreditManager, RetryPolicy, SendWindow
from ._message_kind import MessageKind
from ._money import Money, Rounding
from ._parties import Address, BankAccount, Brand, Channel, Creditor, Debtor, DebtorKind
from ._plans import Installment, PaymentPlan, PaymentPlanPolicy, PlanInterval
from ._reports import (
    InstallmentStatus,
    InvoiceStatus,
    PaymentPlanStatus,
    RunError,
    RunReport,
    Timeline,
    TimelineEntry,
)
from .engine import (
    CaseStatus,
    ChargeFee,
    DunningSchema,
    HandOver,
    PaymentMethods,
    ReCollectionPolicy,
    SchemaRule,
    SendMessage,
    StartInterest,
    Step,
    StopSubscription,
    Trigger,
)
from .engine._plan import PlanOutcome

_LAZY_MODULES = frozenset({"adapters", "rules", "serialization", "testing"})


def __getattr__(name: str) -> object:
    # Submodules that ``import creditflow`` does not load (``cf.rules.nl``, ``cf.testing``) are
    # imported on first use, and ``__version__`` is read from the installed metadata then too:
    # importlib.metadata is slow to import, and most programs never ask for it.
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("creditflow")
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            return "0+unknown"
    raise AttributeError(f"module 'creditflow' has no attribute {name!r}")


__all__ = [
    "Account",
    "Address",
    "AllocationPolicy",
    "BankAccount",
    "Brand",
    "CaseStatus",
    "Channel",
    "ChargeFee",
    "Component",
    "CreditManager",
    "CreditNote",
    "Creditor",
    "DayCount",
    "Debtor",
    "DebtorKind",
    "DunningSchema",
    "FeeContext",
    "FeeRule",
    "FixedFee",
    "FixedRateInterest",
    "HandOver",
    "Installment",
    "InstallmentStatus",
    "InterestContext",
    "InterestRule",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "MessageKind",
    "Money",
    "NoFee",
    "Payment",
    "PaymentMethod",
    "PaymentMethods",
    "PaymentPlan",
    "PaymentPlanPolicy",
    "PaymentPlanStatus",
    "PaymentRecord",
    "PercentageFee",
    "PlanInterval",
    "PlanOutcome",
    "ReCollectionPolicy",
    "RetryPolicy",
    "Rounding",
    "RunError",
    "RunReport",
    "SchemaRule",
    "SendMessage",
    "SendWindow",
    "StartInterest",
    "Step",
    "StopSubscription",
    "Timeline",
    "TimelineEntry",
    "Trigger",
    "VatLine",
    "VatRounding",
    "errors",
    "events",
]
