"""Money: a Decimal amount in a currency, rounded only when told how.

`Money` refuses floats and refuses to mix currencies; rounding names its mode and
uses the currency's minor-unit exponent. `allocate` splits an amount over weights
exactly: the parts are whole minor units and always sum to the whole.

>>> price = Money.of("12.30", EUR)
>>> price
EUR 12.30
>>> price * 3
EUR 36.90
>>> (Money.of("10.00", EUR) / 3).rounded(RoundingMode.HALF_EVEN)
EUR 3.33
>>> allocate(Money.of("10.00", EUR), [1, 1, 1]).unwrap()
(EUR 3.34, EUR 3.33, EUR 3.33)
"""

from __future__ import annotations

import decimal
import enum
import functools
from decimal import Decimal
from typing import TYPE_CHECKING, Final, final

import attrs
from returns.result import Failure, Result, Success

from pulseshop.core.currencies import EXPONENTS

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

MAX_AMOUNT: Final = Decimal(10) ** 12
"""The largest amount (in major units) an input may carry: far beyond any price, far below
what would strain exact arithmetic."""

PRICING_CONTEXT: Final = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""Decimal arithmetic for pricing: 60 significant digits, so products of bounded amounts,
quantities and rates are exact and only explicit rounding loses digits."""


class RoundingMode(enum.Enum):
    """How a value between two minor units is rounded."""

    HALF_EVEN = "half_even"
    HALF_UP = "half_up"
    HALF_DOWN = "half_down"
    DOWN = "down"
    UP = "up"
    CEILING = "ceiling"
    FLOOR = "floor"

    @property
    def decimal_rounding(self) -> str:
        """The `decimal` module's name for this mode."""
        return _DECIMAL_ROUNDING[self]


_DECIMAL_ROUNDING: Final = {
    RoundingMode.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    RoundingMode.HALF_UP: decimal.ROUND_HALF_UP,
    RoundingMode.HALF_DOWN: decimal.ROUND_HALF_DOWN,
    RoundingMode.DOWN: decimal.ROUND_DOWN,
    RoundingMode.UP: decimal.ROUND_UP,
    RoundingMode.CEILING: decimal.ROUND_CEILING,
    RoundingMode.FLOOR: decimal.ROUND_FLOOR,
}


class RoundingLevel(enum.Enum):
    """Where tax is rounded: on each line, or once per order (then split back over lines)."""

    LINE = "line"
    ORDER = "order"


@final
@attrs.frozen
class RoundingPolicy:
    """A rounding mode and the level it applies at.

    >>> RoundingPolicy()
    RoundingPolicy(mode=<RoundingMode.HALF_EVEN: 'half_even'>, level=<RoundingLevel.LINE: 'line'>)
    """

    mode: RoundingMode = RoundingMode.HALF_EVEN
    level: RoundingLevel = RoundingLevel.LINE


@final
@attrs.frozen
class Currency:
    """An ISO 4217 currency: its code and the number of digits of its minor unit."""

    code: str
    exponent: int

    @property
    def quantum(self) -> Decimal:
        """The minor unit as a Decimal: ``0.01`` for EUR, ``1`` for JPY."""
        return _quantum(self.exponent)

    def __str__(self) -> str:
        return self.code


@functools.cache
def _quantum(exponent: int) -> Decimal:
    return Decimal(1).scaleb(-exponent)


def currency_of(code: str) -> Result[Currency, str]:
    """The currency with this ISO 4217 code, or why there is none.

    >>> currency_of("JPY").unwrap()
    Currency(code='JPY', exponent=0)
    >>> currency_of("EURO").failure()
    "'EURO' is not an ISO 4217 currency code"
    """
    exponent = EXPONENTS.get(code)
    if exponent is None:
        return Failure(f"{code!r} is not an ISO 4217 currency code")
    return Success(Currency(code, exponent))


EUR: Final = Currency("EUR", 2)
USD: Final = Currency("USD", 2)
GBP: Final = Currency("GBP", 2)
JPY: Final = Currency("JPY", 0)
BHD: Final = Currency("BHD", 3)


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies were combined: a programming error."""


def _require_decimal(
    _instance: object, _attribute: attrs.Attribute[Decimal], value: Decimal
) -> None:
    # The annotation says Decimal; callers without a type checker may still pass a float.
    actual: object = value
    if not isinstance(actual, Decimal):
        raise TypeError(f"Money needs a Decimal amount, not {type(actual).__name__} {actual!r}")
    if not value.is_finite():
        raise ValueError(f"Money needs a finite amount, not {value}")


@final
@functools.total_ordering
@attrs.frozen(eq=True, order=False, repr=False)
class Money:
    """An amount of a currency. Arithmetic is exact; rounding is always explicit."""

    amount: Decimal = attrs.field(validator=_require_decimal)
    currency: Currency

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: Currency) -> Money:
        """Money from a decimal string, an int or a Decimal (never a float).

        >>> Money.of(5, JPY)
        JPY 5
        >>> Money.of(0.1, EUR)  # type: ignore[arg-type]
        Traceback (most recent call last):
        ...
        TypeError: Money refuses float 0.1: pass a string or a Decimal
        """
        if isinstance(amount, float):
            raise TypeError(f"Money refuses float {amount!r}: pass a string or a Decimal")
        return cls(Decimal(amount), currency)

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        """No money in ``currency``."""
        return cls(Decimal(0), currency)

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(f"cannot combine {self} and {other}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, float):
            raise TypeError(f"Money refuses float factor {factor!r}")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: int | Decimal) -> Money:
        if isinstance(divisor, float):
            raise TypeError(f"Money refuses float divisor {divisor!r}")
        return Money(self.amount / divisor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def rounded(self, mode: RoundingMode = RoundingMode.HALF_EVEN) -> Money:
        """This amount rounded to the currency's minor unit.

        >>> Money.of("2.345", EUR).rounded(RoundingMode.HALF_UP)
        EUR 2.35
        >>> Money.of("2.345", EUR).rounded(RoundingMode.HALF_EVEN)
        EUR 2.34
        """
        quantized = self.amount.quantize(self.currency.quantum, rounding=mode.decimal_rounding)
        return Money(quantized, self.currency)

    @property
    def is_rounded(self) -> bool:
        """True when the amount is a whole number of minor units."""
        return fits_exponent(self.amount, self.currency.exponent)

    def __str__(self) -> str:
        return f"{self.currency.code} {amount_text(self)}"

    __repr__ = __str__


def amount_text(money: Money) -> str:
    """The amount in plain digits, with the currency's decimal places when it has no finer
    digits (as prices are written in files and shown to people); else every digit it has.

    >>> amount_text(Money.of("12.5", EUR)), amount_text(Money.of(1200, JPY))
    ('12.50', '1200')
    >>> amount_text(Money.of("0.125", EUR))
    '0.125'
    """
    shown = money.amount
    exponent = money.currency.exponent
    if fits_exponent(shown, exponent):
        # Enough precision for every digit, whatever the current context allows.
        precision = decimal.Context(prec=max(shown.adjusted(), 0) + exponent + 2)
        shown = shown.quantize(money.currency.quantum, context=precision)
    return f"{shown:f}"


# Money's slots, written directly. A count of minor units always makes a finite Decimal, so
# the checks of `Money.__init__` (meant for amounts callers pass in) cannot fail on it, and a
# quote makes a couple of hundred amounts this way.
_new_money: Final = object.__new__
_set_amount: Final = Money.__dict__["amount"].__set__
_set_currency: Final = Money.__dict__["currency"].__set__


def from_minor_units(units: int, currency: Currency) -> Money:
    """Money from a count of minor units.

    >>> from_minor_units(1234, EUR), from_minor_units(1234, JPY)
    (EUR 12.34, JPY 1234)
    """
    return _trusted_money(_quantum(currency.exponent) * units, currency)


def money_maker(currency: Currency) -> Callable[[int], Money]:
    """A function from counts of minor units to Money in ``currency``, for making many amounts.

    >>> euros = money_maker(EUR)
    >>> euros(1234), euros(0).amount
    (EUR 12.34, Decimal('0.00'))
    """
    # The minor unit times the count: the same digits and exponent as shifting Decimal(units).
    quantum = _quantum(currency.exponent)

    def money(units: int) -> Money:
        # `_trusted_money` written out: this runs for every amount a quote returns.
        made: Money = _new_money(Money)
        _set_amount(made, quantum * units)
        _set_currency(made, currency)
        return made

    return money


def _trusted_money(amount: Decimal, currency: Currency) -> Money:
    made: Money = _new_money(Money)
    _set_amount(made, amount)
    _set_currency(made, currency)
    return made


def minor_units(money: Money) -> int:
    """A rounded amount as a count of its currency's minor units.

    >>> minor_units(Money.of("12.34", EUR))
    1234
    """
    return int(money.amount.scaleb(money.currency.exponent))


def fits_exponent(amount: Decimal, exponent: int) -> bool:
    """True when ``amount`` has no digits beyond ``exponent`` decimal places.

    >>> fits_exponent(Decimal("12.30"), 2), fits_exponent(Decimal("12.305"), 2)
    (True, False)
    """
    # Read the digits rather than compute: arithmetic would depend on the decimal context's
    # precision, and a value with more digits than that would be misjudged or raise.
    if not amount.is_finite():
        return False
    _sign, digits, places = amount.as_tuple()
    beyond = -exponent - int(places)
    return beyond <= 0 or not any(digits[-beyond:])


def allocate(amount: Money, weights: Sequence[int | Decimal]) -> Result[tuple[Money, ...], str]:
    """Split ``amount`` over ``weights`` in whole minor units, exactly.

    Largest remainder method: each part gets the floor of its exact share, then the
    minor units left over go one each to the parts with the largest remainders,
    ties to the earliest. All-zero weights split evenly. The parts always sum to
    ``amount``; a negative amount splits like its opposite.

    >>> allocate(Money.of("0.05", EUR), [3, 1]).unwrap()
    (EUR 0.04, EUR 0.01)
    >>> allocate(Money.of("-1.00", EUR), [1, 2]).unwrap()
    (EUR -0.33, EUR -0.67)
    >>> allocate(Money.of("1.005", EUR), [1]).failure()
    'EUR 1.005 is not a whole number of minor units'
    >>> allocate(Money.of("1", EUR), [1, -1]).failure()
    'weights must not be negative'
    """
    if not weights:
        return Failure("there must be at least one weight")
    if any(weight < 0 for weight in weights):
        return Failure("weights must not be negative")
    if not amount.is_rounded:
        return Failure(f"{amount} is not a whole number of minor units")
    exponent = amount.currency.exponent
    units = int(amount.amount.scaleb(exponent))
    parts = allocate_units(units, integer_weights(weights))
    return Success(tuple(Money(Decimal(part).scaleb(-exponent), amount.currency) for part in parts))


def integer_weights(weights: Sequence[int | Decimal]) -> list[int]:
    """The same proportions as whole numbers (scaled by a common power of ten).

    >>> integer_weights([Decimal("0.5"), Decimal("1.25"), 2])
    [50, 125, 200]
    """
    places = max(_decimal_places(Decimal(weight)) for weight in weights)
    return [int(Decimal(weight).scaleb(places)) for weight in weights]


def _decimal_places(value: Decimal) -> int:
    # Weights are finite, so the exponent is an int (not a NaN or infinity marker).
    return max(0, -int(value.normalize().as_tuple().exponent))


def allocate_units(units: int, weights: Sequence[int]) -> list[int]:
    """Split ``units`` over non-negative integer ``weights`` by largest remainder.

    >>> allocate_units(10, [1, 1, 1])
    [4, 3, 3]
    >>> allocate_units(7, [0, 0])
    [4, 3]
    """
    remaining_units = abs(units)
    total = sum(weights)
    if total == 0:
        weights = [1] * len(weights)
        total = len(weights)
    shares = [divmod(remaining_units * weight, total) for weight in weights]
    parts = [share for share, _ in shares]
    leftover = remaining_units - sum(parts)
    if leftover:
        remainders = [remainder for _, remainder in shares]
        # Largest remainder first; the sort is stable, so ties keep the earlier part first.
        by_remainder = sorted(range(len(weights)), key=remainders.__getitem__, reverse=True)
        for index in by_remainder[:leftover]:
            parts[index] += 1
    return [-part for part in parts] if units < 0 else parts
