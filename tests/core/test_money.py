"""Money: exact amounts, explicit rounding, currencies that never mix, exact allocation."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest

from pulseshop.core.money import (
    BHD,
    EUR,
    GBP,
    JPY,
    USD,
    Currency,
    CurrencyMismatchError,
    Money,
    RoundingLevel,
    RoundingMode,
    RoundingPolicy,
    allocate,
    allocate_units,
    currency_of,
    fits_exponent,
    from_minor_units,
    integer_weights,
    minor_units,
)

pytestmark = pytest.mark.unit


class TestCurrencies:
    @pytest.mark.parametrize(
        ("code", "exponent"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("BHD", 3), ("CLF", 4)]
    )
    def test_known_codes_carry_their_exponent(self, code: str, exponent: int) -> None:
        """An ISO 4217 code gives the currency with its minor-unit digits."""
        assert Currency(code, exponent) == currency_of(code).unwrap()

    @pytest.mark.parametrize("code", ["EURO", "eur", "XXX", "XAU", ""])
    def test_unknown_codes_are_refused_with_a_reason(self, code: str) -> None:
        """Lower case, fund, metal and made-up codes are not currencies a shop charges in."""
        assert f"{code!r} is not an ISO 4217 currency code" == currency_of(code).failure()

    @pytest.mark.parametrize(
        ("currency", "quantum"),
        [(EUR, Decimal("0.01")), (JPY, Decimal(1)), (BHD, Decimal("0.001"))],
    )
    def test_quantum_is_the_minor_unit(self, currency: Currency, quantum: Decimal) -> None:
        """The quantum is one minor unit."""
        assert quantum == currency.quantum

    def test_a_currency_prints_as_its_code(self) -> None:
        """str() of a currency is its code."""
        assert "GBP" == str(GBP)


class TestMoneyRefuses:
    def test_float_amounts(self) -> None:
        """Money.of refuses a float, naming it."""
        with pytest.raises(TypeError, match=r"Money refuses float 0\.1"):
            Money.of(0.1, EUR)  # type: ignore[arg-type]  # the refusal is what is tested

    def test_float_amounts_given_directly(self) -> None:
        """The constructor refuses a float too, so no path lets one in."""
        with pytest.raises(TypeError, match=r"Money needs a Decimal amount, not float 0\.1"):
            Money(0.1, EUR)  # type: ignore[arg-type]  # the refusal is what is tested

    @pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "sNaN"])
    def test_amounts_that_are_not_finite(self, amount: str) -> None:
        """NaN and infinities are not amounts of money."""
        with pytest.raises(ValueError, match="Money needs a finite amount"):
            Money(Decimal(amount), EUR)

    def test_float_factors(self) -> None:
        """Multiplying by a float would bring a binary fraction in."""
        with pytest.raises(TypeError, match=r"Money refuses float factor 1\.5"):
            Money.of("1.00", EUR) * 1.5  # type: ignore[operator]  # the refusal is what is tested

    def test_float_divisors(self) -> None:
        """Dividing by a float is refused too."""
        with pytest.raises(TypeError, match=r"Money refuses float divisor 2\.0"):
            Money.of("1.00", EUR) / 2.0  # type: ignore[operator]  # the refusal is what is tested

    def test_adding_currencies(self) -> None:
        """Euros and dollars do not add up."""
        with pytest.raises(CurrencyMismatchError, match=r"cannot combine EUR 1\.00 and USD 1\.00"):
            Money.of("1.00", EUR) + Money.of("1.00", USD)

    def test_subtracting_currencies(self) -> None:
        """Nor do they subtract."""
        with pytest.raises(CurrencyMismatchError):
            Money.of("1.00", EUR) - Money.of("1.00", USD)

    def test_comparing_currencies(self) -> None:
        """Nor is one more than the other."""
        with pytest.raises(CurrencyMismatchError):
            _ = Money.of("1.00", EUR) < Money.of("2.00", USD)

    def test_different_currencies_are_not_equal(self) -> None:
        """Equality is allowed across currencies and says no."""
        assert Money.of("1.00", EUR) != Money.of("1.00", USD)


class TestMoneyArithmetic:
    def test_adds_and_subtracts_exactly(self) -> None:
        """0.10 + 0.20 is exactly 0.30, and back."""
        total = Money.of("0.10", EUR) + Money.of("0.20", EUR)

        assert Money.of("0.30", EUR) == total
        assert Money.of("0.10", EUR) == total - Money.of("0.20", EUR)

    def test_negates(self) -> None:
        """A refund is the negative amount."""
        assert Money.of("-4.99", EUR) == -Money.of("4.99", EUR)

    def test_multiplies_by_int_and_decimal_on_either_side(self) -> None:
        """Unit price times quantity, or times a rate."""
        price = Money.of("4.99", EUR)

        assert Money.of("14.97", EUR) == price * 3
        assert Money.of("14.97", EUR) == 3 * price
        assert Money.of("0.27445", EUR) == price * Decimal("0.055")

    def test_divides_without_rounding(self) -> None:
        """Division keeps every digit; rounding is a separate, named step."""
        third = Money.of("10.00", EUR) / 3

        assert not third.is_rounded
        assert Money.of("3.33", EUR) == third.rounded()

    def test_orders_amounts_of_one_currency(self) -> None:
        """Less, more and equal follow the amounts."""
        small, large = Money.of("1.00", EUR), Money.of("2.00", EUR)

        assert small < large
        assert small <= Money.of("1.0", EUR)
        assert large > small
        assert large >= small
        assert Money.of("1.0", EUR) == small

    def test_zero(self) -> None:
        """No money is zero in that currency."""
        assert Money.of(0, JPY) == Money.zero(JPY)


class TestMoneyPrinting:
    @pytest.mark.parametrize(
        ("money", "shown"),
        [
            (Money.of("12.3", EUR), "EUR 12.30"),
            (Money.of("12.30", EUR), "EUR 12.30"),
            (Money.of(5, JPY), "JPY 5"),
            (Money.of("1.5", BHD), "BHD 1.500"),
            (Money.of("-0.5", USD), "USD -0.50"),
            (Money.of("1E+3", EUR), "EUR 1000.00"),
            (Money.of("12.345", EUR), "EUR 12.345"),
            (Money.of("1E+27", EUR), "EUR 1" + "0" * 27 + ".00"),
            (Money.of("0E-5", EUR), "EUR 0.00"),
        ],
    )
    def test_prints_code_and_amount_at_the_exponent(self, money: Money, shown: str) -> None:
        """Rounded amounts print with every minor digit; unrounded ones print all of theirs."""
        assert shown == str(money)
        assert shown == repr(money)


class TestRounding:
    @pytest.mark.parametrize(
        ("amount", "mode", "expected"),
        [
            ("2.345", RoundingMode.HALF_EVEN, "2.34"),
            ("2.355", RoundingMode.HALF_EVEN, "2.36"),
            ("2.345", RoundingMode.HALF_UP, "2.35"),
            ("2.355", RoundingMode.HALF_UP, "2.36"),
            ("2.345", RoundingMode.HALF_DOWN, "2.34"),
            ("2.345", RoundingMode.DOWN, "2.34"),
            ("2.349", RoundingMode.DOWN, "2.34"),
            ("2.341", RoundingMode.UP, "2.35"),
            ("2.341", RoundingMode.CEILING, "2.35"),
            ("2.349", RoundingMode.FLOOR, "2.34"),
            ("-2.345", RoundingMode.HALF_EVEN, "-2.34"),
            ("-2.345", RoundingMode.HALF_UP, "-2.35"),
            ("-2.345", RoundingMode.DOWN, "-2.34"),
            ("-2.341", RoundingMode.UP, "-2.35"),
            ("-2.341", RoundingMode.CEILING, "-2.34"),
            ("-2.341", RoundingMode.FLOOR, "-2.35"),
        ],
    )
    def test_modes_on_euros(self, amount: str, mode: RoundingMode, expected: str) -> None:
        """Half-even sends .5 to the even cent, half-up away from zero, down towards zero."""
        assert Money.of(expected, EUR) == Money.of(amount, EUR).rounded(mode)

    @pytest.mark.parametrize(
        ("amount", "mode", "expected"),
        [
            ("2.5", RoundingMode.HALF_EVEN, 2),
            ("3.5", RoundingMode.HALF_EVEN, 4),
            ("2.5", RoundingMode.HALF_UP, 3),
            ("2.5", RoundingMode.HALF_DOWN, 2),
            ("2.5", RoundingMode.DOWN, 2),
        ],
    )
    def test_modes_on_yen(self, amount: str, mode: RoundingMode, expected: int) -> None:
        """A currency without minor units rounds to whole yen."""
        assert Money.of(expected, JPY) == Money.of(amount, JPY).rounded(mode)

    def test_half_even_is_the_default_mode(self) -> None:
        """Without a mode, .5 goes to the even neighbour."""
        assert Money.of("0.12", EUR) == Money.of("0.125", EUR).rounded()

    def test_each_mode_names_its_decimal_rounding(self) -> None:
        """Every mode maps to the decimal module's rounding of the same name."""
        assert [
            decimal.ROUND_HALF_EVEN,
            decimal.ROUND_HALF_UP,
            decimal.ROUND_HALF_DOWN,
            decimal.ROUND_DOWN,
            decimal.ROUND_UP,
            decimal.ROUND_CEILING,
            decimal.ROUND_FLOOR,
        ] == [mode.decimal_rounding for mode in RoundingMode]

    def test_default_policy_is_half_even_per_line(self) -> None:
        """Without a policy, tax rounds half-even on each line."""
        assert RoundingPolicy(RoundingMode.HALF_EVEN, RoundingLevel.LINE) == RoundingPolicy()


class TestMinorUnits:
    @pytest.mark.parametrize(
        ("units", "money"),
        [
            (1234, Money.of("12.34", EUR)),
            (1234, Money.of(1234, JPY)),
            (1234, Money.of("1.234", BHD)),
            (-5, Money.of("-0.05", USD)),
        ],
    )
    def test_round_trip(self, units: int, money: Money) -> None:
        """Minor units and money convert both ways at the currency's exponent."""
        assert money == from_minor_units(units, money.currency)
        assert units == minor_units(money)

    @pytest.mark.parametrize(
        ("amount", "exponent", "fits"),
        [
            ("12.30", 2, True),
            ("12.305", 2, False),
            ("15", 0, True),
            ("1.5", 0, False),
            ("0.001", 2, False),
            ("0E-7", 2, True),
            ("1.5E+3", 0, True),
            # More digits than a default decimal context holds, either side of the point.
            ("1." + "0" * 28 + "1", 2, False),
            ("1." + "0" * 40, 2, True),
            ("1E+40", 2, True),
            ("NaN", 2, False),
            ("Infinity", 2, False),
        ],
    )
    def test_fits_exponent(self, amount: str, exponent: int, *, fits: bool) -> None:
        """An amount fits when it has no digit beyond the exponent, however long it is."""
        assert fits == fits_exponent(Decimal(amount), exponent)


class TestAllocate:
    @pytest.mark.parametrize(
        ("amount", "weights", "parts"),
        [
            ("10.00", [1, 1, 1], ["3.34", "3.33", "3.33"]),
            ("0.05", [3, 1], ["0.04", "0.01"]),
            ("0.07", [3, 1], ["0.05", "0.02"]),
            ("0.11", [1, 2, 2], ["0.02", "0.05", "0.04"]),
            ("0.02", [1, 1, 1], ["0.01", "0.01", "0.00"]),
            ("1.00", [Decimal("0.5"), Decimal("1.5")], ["0.25", "0.75"]),
            ("1.00", [0, 1], ["0.00", "1.00"]),
            ("0.07", [0, 0], ["0.04", "0.03"]),
            ("-1.00", [1, 2], ["-0.33", "-0.67"]),
            ("0.00", [1, 2], ["0.00", "0.00"]),
        ],
    )
    def test_largest_remainder(
        self, amount: str, weights: list[int | Decimal], parts: list[str]
    ) -> None:
        """Floors first; leftover cents to the largest remainders, ties to the earliest part."""
        allocated = allocate(Money.of(amount, EUR), weights).unwrap()

        assert tuple(Money.of(part, EUR) for part in parts) == allocated
        assert Money.of(amount, EUR) == sum(allocated, Money.zero(EUR))

    def test_yen_split_into_whole_yen(self) -> None:
        """A currency without minor units splits into whole units."""
        assert (Money.of(34, JPY), Money.of(33, JPY), Money.of(33, JPY)) == allocate(
            Money.of(100, JPY), [1, 1, 1]
        ).unwrap()

    def test_allocation_is_deterministic(self) -> None:
        """The same split asked twice gives the same parts."""
        assert allocate(Money.of("1.00", EUR), [1, 1, 1]) == allocate(
            Money.of("1.00", EUR), [1, 1, 1]
        )

    @pytest.mark.parametrize(
        ("amount", "weights", "reason"),
        [
            ("1.00", [], "there must be at least one weight"),
            ("1.00", [1, -1], "weights must not be negative"),
            ("1.005", [1], "EUR 1.005 is not a whole number of minor units"),
        ],
    )
    def test_refusals(self, amount: str, weights: list[int | Decimal], reason: str) -> None:
        """No weights, a negative weight or a fraction of a cent fail with the reason."""
        assert reason == allocate(Money.of(amount, EUR), weights).failure()

    def test_integer_weights_keep_proportions(self) -> None:
        """Decimal weights are scaled by one power of ten to whole numbers."""
        assert [50, 125, 200] == integer_weights([Decimal("0.5"), Decimal("1.25"), 2])

    def test_allocate_units_directly(self) -> None:
        """The unit split behind allocate: largest remainder, sign kept."""
        assert [4, 3, 3] == allocate_units(10, [1, 1, 1])
        assert [-4, -3, -3] == allocate_units(-10, [1, 1, 1])
