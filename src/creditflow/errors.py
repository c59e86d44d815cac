"""The exceptions creditflow raises.

Every message names the offending value and the field or record it belongs to, and says what to do.
Validation errors also subclass :class:`ValueError`, lookups :class:`LookupError`, so code that
already catches the built-in exceptions keeps working.
"""

from __future__ import annotations

__all__ = [
    "ConcurrencyError",
    "CreditflowError",
    "CurrencyMismatchError",
    "DeliveryError",
    "DuplicateError",
    "InvalidStateError",
    "MissingExtraError",
    "NotFoundError",
    "SchemaError",
    "StoreError",
    "TemplateError",
    "ValidationError",
]


class CreditflowError(Exception):
    """Base class of every error creditflow raises on purpose."""


class ValidationError(CreditflowError, ValueError):
    """A value handed to creditflow is not acceptable; nothing was changed."""


class CurrencyMismatchError(ValidationError):
    """Two amounts in different currencies were combined."""


class SchemaError(ValidationError):
    """A dunning schema is inconsistent or breaks a legal precondition of a rule pack."""


class TemplateError(ValidationError):
    """A message template cannot be used: bad syntax, a wrong variable, or a refused expression.

    ``lineno`` is the line (1-based) of the first problem, when known; ``template_name`` the
    template it is in; ``problems`` every problem found, as ``(lineno, message)`` pairs.
    """

    def __init__(
        self,
        message: str,
        *,
        lineno: int | None = None,
        template_name: str | None = None,
        problems: tuple[tuple[int | None, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.lineno = lineno
        self.template_name = template_name
        self.problems = problems or ((lineno, message),)


class NotFoundError(CreditflowError, LookupError):
    """A record (invoice, debtor, schema, payment plan) that was named does not exist."""


class DuplicateError(CreditflowError):
    """A record with the same key exists already; nothing was changed."""


class InvalidStateError(CreditflowError):
    """The verb does not apply to the record in its current state (e.g. resuming a case that runs)."""


class ConcurrencyError(CreditflowError):
    """Another writer changed the same case first; reload and decide again."""


class StoreError(CreditflowError):
    """The store cannot be used: corrupt, foreign, unreachable or from a newer creditflow."""


class DeliveryError(CreditflowError):
    """A port could not carry out an effect.

    Raised by channel, payment-link, collector, agency and subscription adapters. ``permanent``
    tells the dispatcher not to retry (e.g. the address does not exist); otherwise it retries with
    back-off and then falls back.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class MissingExtraError(CreditflowError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"{package!r} is not installed; install it with: pip install 'creditflow[{extra}]'"
        )
        self.package = package
        self.extra = extra
