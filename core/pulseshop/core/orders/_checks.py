"""The checks both deciders make on amounts, each giving the error or None."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pulseshop.core.money import Money
from pulseshop.core.orders.errors import OrderError, OrderErrorCode

if TYPE_CHECKING:
    from enum import Enum

    from pulseshop.core.money import Currency

_SHOWN: Final = 40
"""The most characters of a value a message repeats."""


def shown(value: object) -> str:
    """A value as a message quotes it: its text, cut short when long.

    >>> shown("MUG-1"), shown("X" * 50)
    ('MUG-1', 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX...')
    """
    text = str(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}..."


def amount_error(amount: Money, currency: Currency, *, positive: bool) -> OrderError | None:
    """CURRENCY_MISMATCH or INVALID_AMOUNT when ``amount`` cannot be taken as money in
    ``currency``: it must be Money in that currency, in whole minor units, and above zero
    (``positive``) or at least zero.

    >>> from pulseshop.core.money import EUR, USD
    >>> amount_error(Money.of("1.00", EUR), EUR, positive=True) is None
    True
    >>> print(amount_error(Money.of("1.00", USD), EUR, positive=True))
    amount: USD 1.00 is not in the order's currency, EUR.
    >>> print(amount_error(Money.of("0.00", EUR), EUR, positive=True))
    amount: An amount must be above zero, not EUR 0.00.
    """
    # The annotation says Money; a command built from decoded data may still hold anything.
    actual: object = amount
    if not isinstance(actual, Money):
        return not_money(actual)
    if amount.currency != currency:
        return OrderError(
            OrderErrorCode.CURRENCY_MISMATCH,
            "amount",
            f"{amount} is not in the order's currency, {currency.code}.",
        )
    if not amount.is_rounded:
        return _invalid(f"An amount must be whole minor units of {currency.code}, not {amount}.")
    if amount.amount < 0 or (positive and amount.amount == 0):
        above = "above" if positive else "at least"
        return _invalid(f"An amount must be {above} zero, not {amount}.")
    return None


def not_money(value: object) -> OrderError:
    """INVALID_AMOUNT: ``value`` is not money at all."""
    return _invalid(f"An amount must be money, not {shown(value)}.")


def too_large(amount: Money, left: Money, what: str) -> OrderError | None:
    """AMOUNT_TOO_LARGE when ``amount`` is more than the ``left`` there is to ``what``.

    >>> from pulseshop.core.money import EUR
    >>> print(too_large(Money.of("6", EUR), Money.of("5", EUR), "refund"))
    amount: EUR 6.00 is more than the EUR 5.00 left to refund.
    """
    if amount <= left:
        return None
    return OrderError(
        OrderErrorCode.AMOUNT_TOO_LARGE,
        "amount",
        f"{amount} is more than the {left} left to {what}.",
    )


def illegal(status: Enum, command: object) -> OrderError:
    """ILLEGAL_TRANSITION: ``command`` is not allowed in ``status``."""
    return OrderError(
        OrderErrorCode.ILLEGAL_TRANSITION,
        None,
        f"{type(command).__name__} is not allowed when the status is {status.value}.",
    )


def _invalid(message: str) -> OrderError:
    return OrderError(OrderErrorCode.INVALID_AMOUNT, "amount", message)
