"""A cart as the decider keeps it: its lines, coupons, currency and bookkeeping.

A `Cart` is the state every cart event is folded into. Besides what the customer sees
(lines and coupons) it counts its events (``version``), remembers when it was first and
last changed, and keeps the ids of the commands it applied last, so a retried command is
recognised and changes nothing.

>>> from pulseshop.core.money import EUR
>>> cart = Cart(lines=(CartLine("MUG-1", 2), CartLine("TEA-1", 3)), currency=EUR)
>>> cart.quantity_of("TEA-1"), cart.quantity_of("PEN-1"), cart.units, cart.is_empty
(3, 0, 5, False)
>>> EMPTY_CART.is_empty, EMPTY_CART.version
(True, 0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

import attrs

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from pulseshop.core.money import Currency

MAX_LINE_QUANTITY: Final = 999
"""The most units of one SKU a cart may hold."""

MAX_LINES: Final = 100
"""The most distinct SKUs a cart may hold."""

REMEMBERED_COMMANDS: Final = 128
"""How many command ids a cart remembers, so that a retried command changes nothing."""

MAX_COMMAND_ID: Final = 100
"""The most characters a command id may have."""


@final
@attrs.frozen
class CartLine:
    """Some units of one SKU."""

    sku: str
    quantity: int


@final
@attrs.frozen
class Cart:
    """The state of one cart, as its events left it.

    ``lines`` are in the order their SKUs were first added, one per SKU. ``coupons`` are in
    the order they were applied, upper-cased (codes match without regard to case), without
    duplicates. ``currency`` is the currency of the first product added and is None exactly
    when the cart has no lines. ``version`` counts the events applied; ``created_at`` and
    ``updated_at`` are the times of the first and the last of them. ``recent_commands``
    holds the ids of the last `REMEMBERED_COMMANDS` commands applied, oldest first.
    """

    lines: tuple[CartLine, ...] = ()
    coupons: tuple[str, ...] = ()
    currency: Currency | None = None
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    recent_commands: tuple[str, ...] = ()

    def quantity_of(self, sku: str) -> int:
        """The units of ``sku`` in the cart: 0 when it has none."""
        for line in self.lines:
            if line.sku == sku:
                return line.quantity
        return 0

    @property
    def units(self) -> int:
        """The units of every SKU together."""
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        """True when the cart has no lines (it may still hold coupons)."""
        return not self.lines

    @property
    def skus(self) -> tuple[str, ...]:
        """The SKUs in the cart, in the order of its lines."""
        return tuple(line.sku for line in self.lines)


EMPTY_CART: Final = Cart()
"""A cart no event has touched: where every cart's history starts."""


def is_expired(cart: Cart, now: datetime, ttl: timedelta) -> bool:
    """True when the cart was last changed ``ttl`` or longer before ``now``.

    A cart no event has touched never expires: there is nothing to expire.

    >>> from datetime import UTC, datetime, timedelta
    >>> touched = Cart(updated_at=datetime(2026, 12, 4, 10, 0, tzinfo=UTC))
    >>> day = timedelta(days=1)
    >>> is_expired(touched, datetime(2026, 12, 5, 10, 0, tzinfo=UTC), day)
    True
    >>> is_expired(touched, datetime(2026, 12, 5, 9, 59, tzinfo=UTC), day)
    False
    >>> is_expired(EMPTY_CART, datetime(2030, 1, 1, tzinfo=UTC), day)
    False
    """
    return cart.updated_at is not None and now - cart.updated_at >= ttl
