"""`evolve`: a cart after one event; `apply_all`: a cart after many.

Events are facts `decide` gave, so `evolve` applies them without checking them again. It
counts each event in ``version``, notes its time in ``updated_at`` (and in ``created_at``
for the cart's first event) and remembers its command id.

>>> from datetime import UTC, datetime
>>> from pulseshop.core.cart.events import ItemAdded, ItemRemoved
>>> from pulseshop.core.cart.state import EMPTY_CART
>>> from pulseshop.core.money import EUR
>>> at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
>>> cart = apply_all(EMPTY_CART, [ItemAdded("c-1", at, "MUG-1", 2, EUR),
...                               ItemAdded("c-2", at, "MUG-1", 1, EUR)])
>>> cart.lines, cart.currency, cart.version, cart.recent_commands
((CartLine(sku='MUG-1', quantity=3),), Currency(code='EUR', exponent=2), 2, ('c-1', 'c-2'))
>>> emptied = evolve(cart, ItemRemoved("c-3", at, "MUG-1"))
>>> emptied.is_empty, emptied.currency, emptied.version
(True, None, 3)
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, assert_never

import attrs

from pulseshop.core.cart.events import (
    CartCleared,
    CartExpired,
    CartMerged,
    CouponApplied,
    CouponRemoved,
    ItemAdded,
    ItemRemoved,
    QuantitySet,
)
from pulseshop.core.cart.state import REMEMBERED_COMMANDS, Cart, CartLine

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pulseshop.core.cart.events import CartEvent
    from pulseshop.core.money import Currency

__all__ = ["apply_all", "evolve"]


def evolve(cart: Cart, event: CartEvent) -> Cart:
    """``cart`` after ``event``.

    >>> from datetime import UTC, datetime
    >>> from pulseshop.core.cart.events import CouponApplied
    >>> from pulseshop.core.cart.state import EMPTY_CART
    >>> cart = evolve(EMPTY_CART, CouponApplied("c-1", datetime(2026, 12, 4, tzinfo=UTC), "W"))
    >>> cart.coupons, cart.version, cart.created_at == cart.updated_at
    (('W',), 1, True)
    """
    changed = _contents(cart, event)
    return attrs.evolve(
        changed,
        version=cart.version + 1,
        created_at=event.at if cart.created_at is None else cart.created_at,
        updated_at=event.at,
        recent_commands=(*cart.recent_commands, event.command_id)[-REMEMBERED_COMMANDS:],
    )


def apply_all(cart: Cart, events: Iterable[CartEvent]) -> Cart:
    """``cart`` after each of ``events`` in turn.

    >>> from pulseshop.core.cart.state import EMPTY_CART
    >>> apply_all(EMPTY_CART, []) == EMPTY_CART
    True
    """
    return functools.reduce(evolve, events, cart)


def _contents(cart: Cart, event: CartEvent) -> Cart:
    """``cart`` with the lines, coupons and currency ``event`` leaves it."""
    match event:
        case ItemAdded(sku=sku, quantity=quantity, currency=currency):
            return _with_units(cart, ((sku, quantity),), currency)
        case QuantitySet(sku=sku, quantity=quantity):
            lines = tuple(
                CartLine(sku, quantity) if line.sku == sku else line for line in cart.lines
            )
            return attrs.evolve(cart, lines=lines)
        case ItemRemoved(sku=sku):
            lines = tuple(line for line in cart.lines if line.sku != sku)
            return attrs.evolve(cart, lines=lines, currency=cart.currency if lines else None)
        case CouponApplied(code=code):
            return attrs.evolve(cart, coupons=(*cart.coupons, code))
        case CouponRemoved(code=code):
            return attrs.evolve(cart, coupons=tuple(c for c in cart.coupons if c != code))
        case CartMerged(lines=guest, coupons=coupons, currency=currency):
            merged = _with_units(cart, ((line.sku, line.quantity) for line in guest), currency)
            new = tuple(code for code in coupons if code not in cart.coupons)
            return attrs.evolve(merged, coupons=(*cart.coupons, *new))
        case CartCleared() | CartExpired():
            return attrs.evolve(cart, lines=(), coupons=(), currency=None)
        case _:
            assert_never(event)


def _with_units(cart: Cart, units: Iterable[tuple[str, int]], currency: Currency | None) -> Cart:
    """``cart`` with ``units`` added: to a SKU's line when it has one, else in a new line at
    the end. A cart without a currency takes ``currency``."""
    quantities = {line.sku: line.quantity for line in cart.lines}
    for sku, quantity in units:
        quantities[sku] = quantities.get(sku, 0) + quantity
    lines = tuple(CartLine(sku, quantity) for sku, quantity in quantities.items())
    chosen = cart.currency if cart.currency is not None else currency
    return attrs.evolve(cart, lines=lines, currency=chosen if lines else None)
