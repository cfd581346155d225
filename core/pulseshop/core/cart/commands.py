"""What a customer (or the shop) asks of a cart, with the facts the shell gathered for it.

A command carries everything `decide` needs besides the cart and the time: the product a
SKU names as the catalog has it (None when the catalog has no such SKU), whether some price
rule accepts a coupon code, the guest cart being merged in. Each command starts with its
``command_id``, which the client chooses once and sends again on a retry: the cart remembers
the ids it applied, so a retried command changes nothing.

>>> from pulseshop.core.catalog import Product
>>> from pulseshop.core.money import EUR, Money
>>> mug = Product("MUG-1", "Mug", Money.of("12.00", EUR), "standard")
>>> AddItem("c-1", "MUG-1", 2, mug).quantity
2
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, final

import attrs

if TYPE_CHECKING:
    from datetime import timedelta

    from pulseshop.core.cart.state import CartLine
    from pulseshop.core.catalog import Product
    from pulseshop.core.money import Currency


@final
@attrs.frozen
class AddItem:
    """Add ``quantity`` units of ``sku`` to what the cart already holds of it.

    ``product`` is the catalog's product for ``sku``, or None when there is none.
    """

    command_id: str
    sku: str
    quantity: int
    product: Product | None


@final
@attrs.frozen
class SetQuantity:
    """Make the cart hold exactly ``quantity`` (1 or more) units of ``sku``, a SKU it holds.

    ``product`` is the catalog's product for ``sku``, or None when there is none.
    """

    command_id: str
    sku: str
    quantity: int
    product: Product | None


@final
@attrs.frozen
class RemoveItem:
    """Take ``sku`` out of the cart, every unit of it."""

    command_id: str
    sku: str


@final
@attrs.frozen
class ApplyCoupon:
    """Apply coupon ``code``. ``known`` says whether some price rule accepts the code.

    A code the cart has already (in any case) changes nothing: no event.
    """

    command_id: str
    code: str
    known: bool


@final
@attrs.frozen
class RemoveCoupon:
    """Take coupon ``code`` off the cart."""

    command_id: str
    code: str


@final
@attrs.frozen
class ClearCart:
    """Empty the cart: no lines, no coupons."""

    command_id: str


@final
@attrs.frozen
class MergeCart:
    """Merge a guest cart into this one (when a guest signs in).

    Units of a SKU both carts hold add up; SKUs only the guest cart holds come after this
    cart's lines, in the guest cart's order; its coupons join this cart's, without
    duplicates. ``currency`` is the guest cart's currency (None for a cart without lines).
    """

    command_id: str
    lines: tuple[CartLine, ...]
    coupons: tuple[str, ...]
    currency: Currency | None


@final
@attrs.frozen
class ExpireCart:
    """Empty the cart when it was last changed ``ttl`` or longer ago."""

    command_id: str
    ttl: timedelta


CartCommand: TypeAlias = (
    AddItem
    | SetQuantity
    | RemoveItem
    | ApplyCoupon
    | RemoveCoupon
    | ClearCart
    | MergeCart
    | ExpireCart
)
"""Every command a cart takes."""
