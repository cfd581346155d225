"""What holds for money: exact allocation, arithmetic in one currency, explicit rounding."""

from __future__ import annotations

import operator
from fractions import Fraction
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.pipeline import is_successful

from properties.strategies import (
    allocation_weights,
    every_currency,
    unrounded_amounts,
    whole_amounts,
)
from pulseshop.core.money import (
    BHD,
    EUR,
    JPY,
    Currency,
    CurrencyMismatchError,
    Money,
    RoundingMode,
    allocate,
    from_minor_units,
    minor_units,
)

if TYPE_CHECKING:
    from decimal import Decimal

pytestmark = pytest.mark.unit

HALF_MODES = (RoundingMode.HALF_EVEN, RoundingMode.HALF_UP, RoundingMode.HALF_DOWN)
DIRECTED_MODES = (RoundingMode.DOWN, RoundingMode.UP, RoundingMode.CEILING, RoundingMode.FLOOR)

exponent_currencies = st.sampled_from((EUR, JPY, BHD)) | every_currency
rounding_modes = st.sampled_from(list(RoundingMode))


def _total(parts: tuple[Money, ...], currency: Currency) -> Money:
    return sum(parts, Money.zero(currency))


class TestAllocation:
    @given(exponent_currencies.flatmap(whole_amounts), allocation_weights)
    def test_parts_sum_to_the_whole_in_whole_minor_units(
        self, amount: Money, weights: list[int | Decimal]
    ) -> None:
        """One part per weight, each whole minor units of the same currency, summing exactly."""
        parts = allocate(amount, weights).unwrap()

        assert len(weights) == len(parts)
        assert all(part.currency == amount.currency for part in parts)
        assert all(part.is_rounded for part in parts)
        assert amount == _total(parts, amount.currency)

    @given(exponent_currencies.flatmap(whole_amounts), allocation_weights)
    def test_parts_are_proportional_within_one_minor_unit(
        self, amount: Money, weights: list[int | Decimal]
    ) -> None:
        """Each part is within one minor unit of its exact share (an even share when every
        weight is zero), and on the same side of zero as the whole."""
        parts = allocate(amount, weights).unwrap()
        whole, total = Fraction(amount.amount), sum(map(Fraction, weights), Fraction(0))
        shares = (
            [whole * Fraction(weight) / total for weight in weights]
            if total
            else [whole / len(weights)] * len(weights)
        )
        quantum = Fraction(amount.currency.quantum)

        for part, share in zip(parts, shares, strict=True):
            assert abs(Fraction(part.amount) - share) < quantum
            assert part.amount * amount.amount >= 0

    @given(exponent_currencies.flatmap(whole_amounts), allocation_weights)
    def test_a_negative_amount_splits_like_its_opposite(
        self, amount: Money, weights: list[int | Decimal]
    ) -> None:
        """Allocating -x gives the parts of x, negated; allocating twice gives the same."""
        parts = allocate(amount, weights).unwrap()

        assert tuple(-part for part in parts) == allocate(-amount, weights).unwrap()
        assert parts == allocate(amount, weights).unwrap()

    @given(exponent_currencies.flatmap(whole_amounts), allocation_weights, st.integers(1, 10**6))
    def test_scaling_every_weight_changes_nothing(
        self, amount: Money, weights: list[int | Decimal], factor: int
    ) -> None:
        """Only the proportions of the weights matter."""
        scaled = [weight * factor for weight in weights]

        assert allocate(amount, weights).unwrap() == allocate(amount, scaled).unwrap()

    @given(exponent_currencies.flatmap(whole_amounts), st.integers(1, 12))
    def test_equal_weights_give_parts_a_minor_unit_apart_larger_first(
        self, amount: Money, count: int
    ) -> None:
        """Equal weights split evenly: parts differ by at most one minor unit, the larger
        (further from zero) ones first."""
        units = [abs(minor_units(part)) for part in allocate(amount, [1] * count).unwrap()]

        assert max(units) - min(units) <= 1
        assert sorted(units, reverse=True) == units

    @given(exponent_currencies.flatmap(whole_amounts), allocation_weights)
    def test_zero_weights_get_nothing_when_another_weight_is_positive(
        self, amount: Money, weights: list[int | Decimal]
    ) -> None:
        """A part whose weight is zero is zero, unless every weight is zero."""
        parts = allocate(amount, weights).unwrap()
        if any(weights):
            for weight, part in zip(weights, parts, strict=True):
                if not weight:
                    assert Money.zero(amount.currency) == part

    @given(
        exponent_currencies.flatmap(unrounded_amounts).filter(lambda amount: not amount.is_rounded),
        allocation_weights,
    )
    def test_amounts_finer_than_the_minor_unit_are_refused(
        self, amount: Money, weights: list[int | Decimal]
    ) -> None:
        """An amount that is not whole minor units cannot be split exactly, so it is refused."""
        assert not is_successful(allocate(amount, weights))


class TestArithmetic:
    @given(st.data(), exponent_currencies)
    def test_addition_is_commutative_and_associative(
        self, data: st.DataObject, currency: Currency
    ) -> None:
        """Sums in one currency do not depend on order or grouping; zero changes nothing."""
        first, second, third = (data.draw(unrounded_amounts(currency)) for _ in range(3))

        assert first + second == second + first
        assert (first + second) + third == first + (second + third)
        assert first == first + Money.zero(currency)
        assert Money.zero(currency) == first + -first
        assert first - second == first + -second

    @given(st.data(), exponent_currencies, st.integers(-100, 100))
    def test_multiplying_is_repeated_addition(
        self, data: st.DataObject, currency: Currency, factor: int
    ) -> None:
        """An amount times n is n copies added up, either way round."""
        amount = data.draw(unrounded_amounts(currency))
        copies = sum([amount] * abs(factor), Money.zero(currency))

        assert (copies if factor >= 0 else -copies) == amount * factor
        assert amount * factor == factor * amount

    @given(
        st.data(),
        st.lists(every_currency, min_size=2, max_size=2, unique_by=lambda currency: currency.code),
    )
    def test_mixing_currencies_raises(self, data: st.DataObject, pair: list[Currency]) -> None:
        """Adding, subtracting or comparing two currencies is refused; they are never equal."""
        first = data.draw(unrounded_amounts(pair[0]))
        second = data.draw(unrounded_amounts(pair[1]))

        for combine in (operator.add, operator.sub, operator.lt, operator.ge):
            with pytest.raises(CurrencyMismatchError):
                combine(first, second)
        assert first != second

    @given(exponent_currencies.flatmap(whole_amounts))
    def test_minor_units_round_trip(self, amount: Money) -> None:
        """A rounded amount is its count of minor units, and back."""
        assert amount == from_minor_units(minor_units(amount), amount.currency)


class TestRounding:
    @given(exponent_currencies.flatmap(unrounded_amounts), rounding_modes)
    def test_rounding_is_idempotent_and_lands_on_the_minor_unit(
        self, amount: Money, mode: RoundingMode
    ) -> None:
        """Rounding gives whole minor units; rounding again, in any mode, changes nothing."""
        once = amount.rounded(mode)

        assert once.is_rounded
        assert amount.currency == once.currency
        for again in RoundingMode:
            assert once == once.rounded(again)

    @given(exponent_currencies.flatmap(unrounded_amounts), st.sampled_from(HALF_MODES))
    def test_half_modes_round_to_the_nearest_minor_unit(
        self, amount: Money, mode: RoundingMode
    ) -> None:
        """Half-* modes move an amount at most half a minor unit, and a tie goes the mode's
        way: away from zero (half up), towards zero (half down), to an even unit (half even)."""
        rounded = amount.rounded(mode)
        quantum = amount.currency.quantum
        error = abs(rounded.amount - amount.amount)

        assert error <= quantum / 2
        if error == quantum / 2:
            match mode:
                case RoundingMode.HALF_UP:
                    assert abs(rounded.amount) > abs(amount.amount)
                case RoundingMode.HALF_DOWN:
                    assert abs(rounded.amount) < abs(amount.amount)
                case _:
                    assert minor_units(rounded) % 2 == 0

    @given(exponent_currencies.flatmap(unrounded_amounts), st.sampled_from(DIRECTED_MODES))
    def test_directed_modes_move_less_than_a_minor_unit_their_way(
        self, amount: Money, mode: RoundingMode
    ) -> None:
        """Directed modes move an amount less than one minor unit, in their direction."""
        rounded, exact = amount.rounded(mode).amount, amount.amount

        assert abs(rounded - exact) < amount.currency.quantum
        match mode:
            case RoundingMode.DOWN:
                assert abs(rounded) <= abs(exact)
            case RoundingMode.UP:
                assert abs(rounded) >= abs(exact)
            case RoundingMode.CEILING:
                assert rounded >= exact
            case _:
                assert rounded <= exact
