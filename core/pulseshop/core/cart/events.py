"""What happened to a cart: the facts `decide` gives and `evolve` applies.

Every event carries the id of the command that caused it and the moment it happened. An
event says what changed, not what the cart became, so replaying a cart's events from
`EMPTY_CART` gives the cart again.

>>> from datetime import UTC, datetime
>>> from pulseshop.core.money import EUR
>>> ItemAdded("c-1", datetime(2026, 12, 4, tzinfo=UTC), "MUG-1", 2, EUR).quantity
2
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, final

import attrs

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.core.cart.state import CartLine
    from pulseshop.core.money import Currency


@final
@attrs.frozen
class ItemAdded:
    """``quantity`` units of ``sku`` were added; ``currency`` is the product's."""

    command_id: str
    at: datetime
    sku: str
    quantity: int
    currency: Currency


@final
@attrs.frozen
class QuantitySet:
    """The cart now holds exactly ``quantity`` units of ``sku``."""

    command_id: str
    at: datetime
    sku: str
    quantity: int


@final
@attrs.frozen
class ItemRemoved:
    """Every unit of ``sku`` left the cart."""

    command_id: str
    at: datetime
    sku: str


@final
@attrs.frozen
class CouponApplied:
    """Coupon ``code`` (upper-cased) was applied."""

    command_id: str
    at: datetime
    code: str


@final
@attrs.frozen
class CouponRemoved:
    """Coupon ``code`` (upper-cased) was taken off."""

    command_id: str
    at: datetime
    code: str


@final
@attrs.frozen
class CartCleared:
    """The cart was emptied of its lines and coupons."""

    command_id: str
    at: datetime


@final
@attrs.frozen
class CartMerged:
    """A guest cart was merged in.

    ``lines`` are the guest cart's, one per SKU in the order first seen; ``coupons`` its
    codes, upper-cased, without duplicates; ``currency`` the guest lines' currency (None
    when there are no guest lines).
    """

    command_id: str
    at: datetime
    lines: tuple[CartLine, ...]
    coupons: tuple[str, ...]
    currency: Currency | None


@final
@attrs.frozen
class CartExpired:
    """The cart was left alone for its time to live and was emptied."""

    command_id: str
    at: datetime


CartEvent: TypeAlias = (
    ItemAdded
    | QuantitySet
    | ItemRemoved
    | CouponApplied
    | CouponRemoved
    | CartCleared
    | CartMerged
    | CartExpired
)
"""Every event a cart records."""
