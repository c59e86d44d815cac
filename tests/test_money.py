"""Money: exact amounts, explicit rounding, allocation and formatting."""

from __future__ import annotations

import decimal
import pickle
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import creditflow as cf
from creditflow.errors import CurrencyMismatchError, ValidationError
from strategies import currencies, money, ratios


class TestConstruction:
    def test_accepts_str_int_and_decimal(self) -> None:
        """Amounts come from str, int or Decimal and compare equal whatever their decimals."""
        assert (
            cf.Money("12.50", "EUR")
            == cf.Money(Decimal("12.5"), "eur")
            == cf.Money("12.500", "EUR")
        )
        assert cf.Money(12, "EUR").amount == Decimal(12)

    def test_rejects_float_with_a_type_error_naming_the_value(self) -> None:
        """A float is refused: it cannot hold cents exactly."""
        with pytest.raises(TypeError, match=r"not float \(0\.1\)"):
            cf.Money(0.1, "EUR")  # type: ignore[arg-type]

    @pytest.mark.parametrize("code", ["XXX1", "EURO", "", "ABC"])
    def test_refuses_unknown_currency_codes(self, code: str) -> None:
        """Only ISO 4217 codes are currencies."""
        with pytest.raises(ValidationError, match="ISO 4217"):
            cf.Money("1", code)

    @pytest.mark.parametrize("text", ["12,50", "abc", "NaN", "Infinity", ""])
    def test_refuses_text_that_is_not_a_finite_number(self, text: str) -> None:
        """Malformed or non-finite amounts get a clear error."""
        with pytest.raises(ValidationError):
            cf.Money(text, "EUR")

    def test_is_immutable_and_picklable(self) -> None:
        """Money cannot be changed after creation and survives pickling."""
        amount = cf.Money("1.23", "EUR")
        with pytest.raises(AttributeError):
            amount._amount = Decimal(2)  # type: ignore[misc]
        assert pickle.loads(pickle.dumps(amount)) == amount

    @pytest.mark.parametrize(
        ("currency", "exponent"), [("EUR", 2), ("JPY", 0), ("BHD", 3), ("CLF", 4), ("ISK", 0)]
    )
    def test_exponents_come_from_iso_4217(self, currency: str, exponent: int) -> None:
        """Minor units follow ISO 4217, not CLDR display digits."""
        assert cf.Money("1", currency).exponent == exponent


class TestArithmetic:
    def test_adding_or_comparing_two_currencies_raises(self) -> None:
        """Mixing currencies is an error, in arithmetic and in ordering."""
        eur, usd = cf.Money("1", "EUR"), cf.Money("1", "USD")
        with pytest.raises(CurrencyMismatchError, match="EUR vs USD"):
            eur + usd
        with pytest.raises(CurrencyMismatchError):
            eur - usd
        with pytest.raises(CurrencyMismatchError):
            assert eur < usd
        assert eur != usd

    def test_multiplies_by_decimal_and_int_but_not_float(self) -> None:
        """Rates are Decimals; a float rate is refused."""
        assert cf.Money("10", "EUR") * Decimal("0.15") == cf.Money("1.5", "EUR")
        assert 3 * cf.Money("10", "EUR") == cf.Money("30", "EUR")
        with pytest.raises(TypeError):
            cf.Money("10", "EUR") * 0.5  # type: ignore[operator]

    def test_arithmetic_ignores_the_hosts_decimal_context(self) -> None:
        """A host lowering its decimal precision does not change creditflow's results."""
        with decimal.localcontext() as ctx:
            ctx.prec = 3
            assert (cf.Money("1234.56", "EUR") + cf.Money("0.01", "EUR")).amount == Decimal(
                "1234.57"
            )

    def test_keeps_exact_values_until_rounded_explicitly(self) -> None:
        """Sub-cent results stay exact; rounding happens only on request, half-up by default."""
        third = cf.Money("1", "EUR") / 3
        assert not third.is_rounded
        assert cf.Money("0.125", "EUR").round() == cf.Money("0.13", "EUR")
        assert cf.Money("0.125", "EUR").round(cf.Rounding.HALF_EVEN) == cf.Money("0.12", "EUR")
        assert cf.Money("-0.125", "EUR").round() == cf.Money("-0.13", "EUR")


class TestAllocate:
    def test_splits_into_equal_parts_with_the_remainder_first(self) -> None:
        """100.00 in three parts is 33.34 + 33.33 + 33.33."""
        assert cf.Money("100", "EUR").allocate(3) == (
            cf.Money("33.34", "EUR"),
            cf.Money("33.33", "EUR"),
            cf.Money("33.33", "EUR"),
        )

    def test_splits_by_ratios(self) -> None:
        """Ratios 1:2:1 split 10.00 into 2.50, 5.00, 2.50."""
        assert cf.Money("10", "EUR").allocate([1, 2, 1]) == (
            cf.Money("2.5", "EUR"),
            cf.Money("5", "EUR"),
            cf.Money("2.5", "EUR"),
        )

    @pytest.mark.parametrize("parts", [0, -1, [], [0, 0], [1, -1]])
    def test_refuses_impossible_splits(self, parts: object) -> None:
        """No parts, negative or all-zero ratios are errors."""
        with pytest.raises(ValidationError):
            cf.Money("10", "EUR").allocate(parts)  # type: ignore[call-overload]

    def test_refuses_unrounded_amounts(self) -> None:
        """Only whole minor units can be allocated exactly."""
        with pytest.raises(ValidationError, match="round"):
            cf.Money("10.005", "EUR").allocate(2)

    @given(currency=currencies, units=st.integers(-(10**9), 10**9), count=st.integers(1, 50))
    def test_equal_parts_sum_to_the_whole_and_differ_by_at_most_one_unit(
        self, currency: str, units: int, count: int
    ) -> None:
        """Allocation never loses or creates a minor unit, and equal parts stay within one unit."""
        whole = cf.Money.from_minor_units(units, currency)
        parts = whole.allocate(count)
        assert len(parts) == count
        assert sum(parts, cf.Money.zero(currency)) == whole
        minor = [p.to_minor_units() for p in parts]
        assert max(minor) - min(minor) <= 1

    @given(whole=money(min_units=-(10**8), max_units=10**8), weights=ratios)
    def test_ratio_parts_sum_to_the_whole(self, whole: cf.Money, weights: list[Decimal]) -> None:
        """Parts by ratio add up exactly and a zero ratio gets nothing."""
        parts = whole.allocate(weights)
        assert sum(parts, cf.Money.zero("EUR")) == whole
        assert all(p.is_zero for p, w in zip(parts, weights, strict=True) if w == 0)


class TestFormat:
    @pytest.mark.parametrize(
        ("locale", "expected"),
        [
            ("nl-NL", "€\xa01.234,50"),
            ("de_DE", "1.234,50\xa0€"),
            ("fr-BE", "1\u202f234,50\xa0€"),
            ("en-IE", "€1,234.50"),
        ],
    )
    def test_formats_for_the_locale(self, locale: str, expected: str) -> None:
        """Amounts are shown the way each locale writes them (babel/CLDR)."""
        assert cf.Money("1234.50", "EUR").format(locale) == expected

    def test_uses_iso_digits_for_zero_decimal_currencies(self) -> None:
        """Yen show no decimals."""
        assert cf.Money("1234", "JPY").format("en") == "¥1,234"

    def test_refuses_to_format_unrounded_amounts(self) -> None:
        """A sub-cent amount on a reminder would be a bug."""
        with pytest.raises(ValidationError, match="round"):
            cf.Money("1.005", "EUR").format("nl")

    def test_refuses_unknown_locales(self) -> None:
        """A locale babel does not know is an error naming it."""
        with pytest.raises(ValidationError, match="xx-YY"):
            cf.Money("1", "EUR").format("xx-YY")
