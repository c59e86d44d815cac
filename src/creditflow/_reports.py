"""What the manager reports back: run reports, invoice status and simulated timelines."""

from __future__ import annotations

import datetime as dt

from attrs import field, frozen

from ._money import Money
from ._parties import Channel
from ._plans import PaymentPlan
from .engine._case import CaseStatus, Hold
from .engine._plan import PlanOutcome
from .events import Event

__all__ = [
    "InstallmentStatus",
    "InvoiceStatus",
    "PaymentPlanStatus",
    "RunError",
    "RunReport",
    "Timeline",
    "TimelineEntry",
]


@frozen(kw_only=True)
class RunError:
    """A case or an effect that failed in a run; the run went on with the others."""

    invoice_number: str
    error: str


@frozen(kw_only=True)
class RunReport:
    """What one :meth:`CreditManager.run` did."""

    today: dt.date
    due_cases: int = 0
    steps_executed: int = 0
    events_recorded: int = 0
    effects_queued: int = 0
    messages_sent: int = 0
    delivery_failures: int = 0
    conflicts: int = 0
    """Cases another worker changed first (they are that worker's to handle)."""
    errors: tuple[RunError, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether nothing failed for good in this run."""
        return not self.errors


@frozen(kw_only=True)
class InvoiceStatus:
    """An invoice's place in credit management, as a payment provider reports it."""

    invoice_number: str
    debtor_code: str
    status: CaseStatus
    currency: str
    original_amount: Money
    open_principal: Money
    open_costs: Money
    open_interest: Money
    open_amount: Money
    paid_amount: Money
    credited_amount: Money
    credit_balance: Money
    unposted_interest: Money
    """Interest that has run since it was last posted (posted at the next step or payment)."""
    schema_key: str
    schema_version: int
    last_step: str | None
    next_step: str | None
    next_action_on: dt.date | None
    holds: tuple[Hold, ...]
    history: tuple[Event, ...]
    payment_plan: str | None = None
    """The reference of the active payment plan covering the invoice, if any."""
    direct_debit_excluded: bool = False
    """Whether direct debit may no longer collect the invoice (its payment links deny it)."""
    mandate_flag: str | None = None
    """Why the debtor's direct-debit mandate was flagged, if it was."""


@frozen(kw_only=True)
class TimelineEntry:
    """One day of a simulated timeline on which something happens."""

    on: dt.date
    step: str | None
    what: tuple[str, ...]
    channel: Channel | None
    fee: Money | None
    interest: Money | None
    open_amount: Money
    status: CaseStatus


@frozen(kw_only=True)
class Timeline:
    """What will happen to an invoice if nothing is paid: :meth:`CreditManager.simulate`."""

    invoice_number: str
    until: dt.date
    entries: tuple[TimelineEntry, ...]
    payment_plan: PaymentPlan | None = None
    """The active payment plan covering the invoice: its schedule of instalments."""

    @property
    def total_fees(self) -> Money | None:
        """All fees the timeline charges (None if it charges none)."""
        fees = [e.fee for e in self.entries if e.fee is not None]
        return sum(fees[1:], fees[0]) if fees else None


@frozen(kw_only=True)
class InstallmentStatus:
    """Where one instalment of a payment plan stands."""

    number: int
    due_on: dt.date
    amount: Money
    paid: Money
    open: Money
    invited: bool
    missed: bool

    @property
    def is_paid(self) -> bool:
        """Whether the instalment is paid in full."""
        return not self.open.is_positive


@frozen(kw_only=True)
class PaymentPlanStatus:
    """Where a payment plan stands: :meth:`CreditManager.payment_plan`."""

    plan: PaymentPlan
    outcome: PlanOutcome
    paid_total: Money
    open_total: Money
    installments: tuple[InstallmentStatus, ...]
    last_chance_on: dt.date | None = None
    ended_on: dt.date | None = None

    @property
    def reference(self) -> str:
        """The plan's reference."""
        return self.plan.reference
