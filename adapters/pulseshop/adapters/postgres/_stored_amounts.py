"""Amounts read back from ``numeric(17, 4)`` columns as the core's `Money`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pulseshop.core.money import Currency, Money, currency_of

if TYPE_CHECKING:
    from decimal import Decimal


def stored_currency(code: str) -> Currency:
    """The currency of a stored ISO 4217 code; ValueError for one the core does not know."""
    currency = currency_of(code).value_or(None)
    if currency is None:
        # Revision 0005 checks only the code's shape; the core knows the real ones.
        raise ValueError(f"stored currency {code!r} is not one the shop knows")
    return currency


def stored_money(amount: Decimal, currency: Currency) -> Money:
    """A stored amount as Money, with the currency's decimals."""
    # numeric(17, 4) keeps four decimals; the core's amounts have the currency's.
    return Money(amount.quantize(currency.quantum), currency)
