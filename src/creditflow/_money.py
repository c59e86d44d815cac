"""Exact amounts of money: a :class:`~decimal.Decimal` and an ISO 4217 currency."""

from __future__ import annotations

import decimal
import enum
import operator
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any, Final, SupportsIndex, overload

from ._currencies import CURRENCY_EXPONENTS
from .errors import CurrencyMismatchError, ValidationError

__all__ = ["Money", "Rounding", "to_decimal"]

# All money arithmetic runs in this context, never in the thread's current one: a host that changes
# ``decimal.getcontext()`` must not change what creditflow computes.
_CONTEXT: Final = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


class Rounding(enum.Enum):
    """How an amount is rounded to the currency's minor unit.

    Rounding happens only where creditflow says so (a fee is posted, an invoice line is totalled,
    interest is posted), never implicitly in arithmetic.
    """

    HALF_UP = decimal.ROUND_HALF_UP
    """Ties away from zero: 0.125 → 0.13. The default, and what invoices and courts expect."""
    HALF_EVEN = decimal.ROUND_HALF_EVEN
    """Banker's rounding: 0.125 → 0.12."""
    DOWN = decimal.ROUND_DOWN
    """Towards zero: never charges more than the exact value."""
    UP = decimal.ROUND_UP
    """Away from zero."""


def to_decimal(value: object, *, field: str = "amount") -> Decimal:
    """Convert *value* (``str``, ``int`` or ``Decimal``) to a finite :class:`Decimal`.

    Raises:
        TypeError: for ``float`` (binary fractions cannot hold cents exactly), ``bool`` and any
            other type.
        ValidationError: for text that is not a number, NaN and infinities.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool) or not isinstance(value, int | str):
        if isinstance(value, float):
            raise TypeError(
                f"{field} must be str, int or Decimal, not float ({value!r}): floats cannot hold "
                f"cents exactly; pass a string such as {str(value)!r} instead"
            )
        raise TypeError(
            f"{field} must be str, int or Decimal, not {type(value).__name__} ({value!r})"
        )
    else:
        try:
            result = Decimal(value.strip() if isinstance(value, str) else value)
        except decimal.InvalidOperation:
            raise ValidationError(
                f"{field} {value!r} is not a number; write it like '12.50'"
            ) from None
    if not result.is_finite():
        raise ValidationError(f"{field} {value!r} is not a finite number")
    return result


def _check_currency(code: object) -> str:
    if not isinstance(code, str):
        raise TypeError(f"currency must be an ISO 4217 code as str, not {type(code).__name__}")
    normalised = code.strip().upper()
    if normalised not in CURRENCY_EXPONENTS:
        raise ValidationError(
            f"currency {code!r} is not an ISO 4217 currency code; use a code such as 'EUR'"
        )
    return normalised


class Money:
    """An exact amount in one currency.

    ``Money("12.50", "EUR")``. Amounts are :class:`~decimal.Decimal`; ``float`` is refused. Amounts
    of different currencies cannot be added, subtracted or compared (:class:`CurrencyMismatchError`).
    The amount is kept as exact as it was computed; :meth:`round` brings it to the currency's
    minor unit (ISO 4217 exponent) at the points where creditflow posts an amount.

    Money values are immutable and hashable; equal amounts in the same currency are equal
    whatever their number of decimals (``Money("1.5", "EUR") == Money("1.50", "EUR")``).
    """

    __slots__ = ("_amount", "_currency")

    _amount: Decimal
    _currency: str

    def __init__(self, amount: str | int | Decimal, currency: str) -> None:
        object.__setattr__(self, "_amount", to_decimal(amount))
        object.__setattr__(self, "_currency", _check_currency(currency))

    @classmethod
    def _trusted(cls, amount: Decimal, currency: str) -> Money:
        """Build from an already checked Decimal and currency (the arithmetic's fast path)."""
        money = object.__new__(cls)
        object.__setattr__(money, "_amount", amount)
        object.__setattr__(money, "_currency", currency)
        return money

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return nothing, in *currency*."""
        return cls(0, currency)

    @classmethod
    def from_minor_units(cls, units: int, currency: str) -> Money:
        """Build from an integer count of minor units: ``from_minor_units(1250, "EUR")`` is 12.50."""
        if isinstance(units, bool) or not isinstance(units, int):
            raise TypeError(f"units must be int, not {type(units).__name__} ({units!r})")
        code = _check_currency(currency)
        return cls(Decimal(units).scaleb(-CURRENCY_EXPONENTS[code], _CONTEXT), code)

    # -- accessors -------------------------------------------------------------------------------

    @property
    def amount(self) -> Decimal:
        """The exact amount."""
        return self._amount

    @property
    def currency(self) -> str:
        """The ISO 4217 code, upper case."""
        return self._currency

    @property
    def exponent(self) -> int:
        """The number of minor-unit digits of the currency (EUR 2, JPY 0, BHD 3)."""
        return CURRENCY_EXPONENTS[self._currency]

    @property
    def is_rounded(self) -> bool:
        """Whether the amount is a whole number of minor units."""
        return self._amount == self._quantized(Rounding.HALF_UP)

    def to_minor_units(self) -> int:
        """The amount as an integer count of minor units; the amount must be rounded."""
        self._require_rounded("to_minor_units")
        return int(self._amount.scaleb(self.exponent, _CONTEXT))

    # -- rounding --------------------------------------------------------------------------------

    def _quantized(self, rounding: Rounding) -> Decimal:
        return self._amount.quantize(
            Decimal(1).scaleb(-self.exponent), rounding=rounding.value, context=_CONTEXT
        )

    def round(self, rounding: Rounding = Rounding.HALF_UP) -> Money:
        """Round to the currency's minor unit (half-up unless another :class:`Rounding` is given)."""
        return Money._trusted(self._quantized(rounding), self._currency)

    def _require_rounded(self, what: str) -> None:
        if not self.is_rounded:
            raise ValidationError(
                f"{what} needs an amount in whole minor units, got {self!r}; call .round() first"
            )

    # -- arithmetic ------------------------------------------------------------------------------

    def _same_currency(self, other: object, operation: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(
                f"cannot {operation} Money and {type(other).__name__} ({other!r}); "
                f"wrap the amount in Money(..., {self._currency!r})"
            )
        if other._currency != self._currency:
            raise CurrencyMismatchError(
                f"cannot {operation} {self} and {other}: currencies differ "
                f"({self._currency} vs {other._currency}); convert one amount first"
            )
        return other

    def __add__(self, other: Money) -> Money:
        other = self._same_currency(other, "add")
        return Money._trusted(_CONTEXT.add(self._amount, other._amount), self._currency)

    def __sub__(self, other: Money) -> Money:
        other = self._same_currency(other, "subtract")
        return Money._trusted(_CONTEXT.subtract(self._amount, other._amount), self._currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, Money):  # type: ignore[unreachable]
            raise TypeError(f"cannot multiply {self} by another amount ({factor})")
        return Money(
            _CONTEXT.multiply(self._amount, to_decimal(factor, field="factor")), self._currency
        )

    __rmul__ = __mul__

    def __truediv__(self, divisor: int | Decimal) -> Money:
        if isinstance(divisor, Money):  # type: ignore[unreachable]
            raise TypeError(f"cannot divide {self} by another amount ({divisor}); use ratios")
        value = to_decimal(divisor, field="divisor")
        if value == 0:
            raise ValidationError(f"cannot divide {self} by zero")
        return Money(_CONTEXT.divide(self._amount, value), self._currency)

    def __neg__(self) -> Money:
        return Money._trusted(_CONTEXT.minus(self._amount), self._currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._trusted(_CONTEXT.abs(self._amount), self._currency)

    def __bool__(self) -> bool:
        return bool(self._amount)

    def min(self, other: Money) -> Money:
        """The smaller of the two amounts (same currency)."""
        return self if self <= other else other

    def max(self, other: Money) -> Money:
        """The larger of the two amounts (same currency)."""
        return self if self >= other else other

    @property
    def is_zero(self) -> bool:
        """Whether the amount is zero."""
        return self._amount == 0

    @property
    def is_positive(self) -> bool:
        """Whether the amount is above zero."""
        return self._amount > 0

    @property
    def is_negative(self) -> bool:
        """Whether the amount is below zero."""
        return self._amount < 0

    # -- comparison ------------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._currency == other._currency and self._amount == other._amount

    def __hash__(self) -> int:
        return hash((self._amount, self._currency))

    def __lt__(self, other: Money) -> bool:
        return self._amount < self._same_currency(other, "compare")._amount

    def __le__(self, other: Money) -> bool:
        return self._amount <= self._same_currency(other, "compare")._amount

    def __gt__(self, other: Money) -> bool:
        return self._amount > self._same_currency(other, "compare")._amount

    def __ge__(self, other: Money) -> bool:
        return self._amount >= self._same_currency(other, "compare")._amount

    # -- immutability and representation ---------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Money is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Money is immutable")

    def __reduce__(self) -> tuple[type[Money], tuple[str, str]]:
        return (Money, (str(self._amount), self._currency))

    def __repr__(self) -> str:
        return f"Money({str(self._amount)!r}, {self._currency!r})"

    def __str__(self) -> str:
        return f"{self._currency} {self._amount}"

    # -- splitting -------------------------------------------------------------------------------

    @overload
    def allocate(self, parts: SupportsIndex, /) -> tuple[Money, ...]: ...

    @overload
    def allocate(self, parts: Sequence[int | Decimal | str], /) -> tuple[Money, ...]: ...

    def allocate(
        self, parts: SupportsIndex | Sequence[int | Decimal | str], /
    ) -> tuple[Money, ...]:
        """Split the amount into parts that add up to it exactly.

        ``allocate(3)`` makes three equal parts; ``allocate([1, 2, 1])`` splits by ratios. Each part
        is a whole number of minor units; what cannot be split evenly is handed out one minor unit
        at a time, to the parts with the largest remainders first (the earliest on a tie). So equal
        parts differ by at most one minor unit, and ``sum(parts) == self`` always.

        The amount must already be rounded to minor units (:meth:`round`).

        Raises:
            ValidationError: no parts, a negative ratio, or ratios that sum to zero.
            TypeError: a ``float`` ratio.
        """
        self._require_rounded("allocate")
        if isinstance(parts, Sequence) and not isinstance(parts, str):
            ratios = [Fraction(to_decimal(r, field="ratio")) for r in parts]
        else:
            count = operator.index(parts)  # type: ignore[arg-type]
            if count < 1:
                raise ValidationError(
                    f"cannot allocate {self} into {count} parts; ask for 1 or more"
                )
            ratios = [Fraction(1)] * count
        if not ratios:
            raise ValidationError(f"cannot allocate {self} over an empty list of ratios")
        if any(r < 0 for r in ratios):
            raise ValidationError(f"ratios must not be negative, got {[str(r) for r in ratios]}")
        total_ratio = sum(ratios)
        if total_ratio == 0:
            raise ValidationError(f"ratios must not all be zero, got {[str(r) for r in ratios]}")

        units = self.to_minor_units()
        sign = -1 if units < 0 else 1
        units = abs(units)
        exact = [units * r / total_ratio for r in ratios]
        shares = [int(e) for e in exact]  # floor: all values are non-negative
        leftover = units - sum(shares)
        by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
        for index in by_remainder[:leftover]:
            shares[index] += 1
        return tuple(Money.from_minor_units(sign * s, self._currency) for s in shares)

    # -- presentation ----------------------------------------------------------------------------

    def format(self, locale: str = "en") -> str:
        """Format for people in *locale* (``"nl-NL"`` gives ``"€ 1.234,50"``), through babel.

        Only rounded amounts are formatted: a sub-cent amount on a reminder would be a bug, so it
        raises instead of being rounded silently.
        """
        self._require_rounded("format")
        from ._locale import babel_locale

        parsed = babel_locale(locale)
        pattern = _currency_pattern(locale, self.exponent)
        return str(
            pattern.apply(self._amount, parsed, currency=self._currency, currency_digits=False)
        )


@lru_cache(maxsize=512)
def _currency_pattern(locale: str, digits: int) -> Any:
    """The locale's standard currency pattern with exactly *digits* decimals (parsed once)."""
    from babel.numbers import parse_pattern

    from ._locale import babel_locale

    pattern = babel_locale(locale).currency_formats["standard"].pattern.split(";")[0]
    number_part = "#,##0" + ("." + "0" * digits if digits else "")
    for candidate in ("#,##0.00", "#,##,##0.00", "#,##0.###", "#,##0"):
        if candidate in pattern:
            pattern = pattern.replace(candidate, number_part, 1)
            break
    return parse_pattern(pattern)
