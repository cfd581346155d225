"""How each command is decided, once its id has been checked: one function per row of
`pulseshop.core.cart.decider.TRANSITIONS`, whose header states the rules they follow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, TypeAlias

from returns.result import Failure, Result, Success

from pulseshop.core.cart import _merge
from pulseshop.core.cart._checks import (
    currency_error,
    inactive_error,
    known_product,
    line_quantity_error,
    not_in_cart,
    quantity_error,
    shown,
    too_many_lines,
)
from pulseshop.core.cart.errors import CartError, CartErrorCode
from pulseshop.core.cart.events import (
    CartCleared,
    CartEvent,
    CartExpired,
    CartMerged,
    CouponApplied,
    CouponRemoved,
    ItemAdded,
    ItemRemoved,
    QuantitySet,
)
from pulseshop.core.cart.state import MAX_LINES, is_expired
from pulseshop.core.pricing.rules import normalise_code

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.core.cart.commands import (
        AddItem,
        ApplyCoupon,
        ClearCart,
        ExpireCart,
        MergeCart,
        RemoveCoupon,
        RemoveItem,
        SetQuantity,
    )
    from pulseshop.core.cart.state import Cart

Decision: TypeAlias = Result[tuple[CartEvent, ...], CartError]
"""The events a command causes (none when it changes nothing), or why it is refused."""

NOTHING: Final[Decision] = Success(())
"""The decision of a command that changes nothing."""


def add_item(cart: Cart, command: AddItem, now: datetime) -> Decision:
    """Add units to the SKU's line, or a new line at the end; the first sets the currency."""
    sku = command.sku
    if error := quantity_error(command.quantity, "quantity"):
        return Failure(error)
    product = known_product(sku, command.product)
    if isinstance(product, CartError):
        return Failure(product)
    if not product.active:
        return Failure(inactive_error(product, "it cannot be added"))
    currency = product.unit_price.currency
    if error := currency_error(cart, currency, "sku"):
        return Failure(error)
    held = cart.quantity_of(sku)
    if error := line_quantity_error(sku, held + command.quantity, "quantity"):
        return Failure(error)
    if not held and len(cart.lines) >= MAX_LINES:
        return Failure(too_many_lines("sku"))
    return Success((ItemAdded(command.command_id, now, sku, command.quantity, currency),))


def set_quantity(cart: Cart, command: SetQuantity, now: datetime) -> Decision:
    """Replace a held line's quantity; an inactive product's may only go down."""
    sku, quantity = command.sku, command.quantity
    if error := quantity_error(quantity, "quantity") or line_quantity_error(
        sku, quantity, "quantity"
    ):
        return Failure(error)
    held = cart.quantity_of(sku)
    if not held:
        return Failure(not_in_cart(sku))
    product = known_product(sku, command.product)
    if isinstance(product, CartError):
        return Failure(product)
    if not product.active and quantity > held:
        return Failure(inactive_error(product, "its quantity can only be lowered"))
    if error := currency_error(cart, product.unit_price.currency, "sku"):
        return Failure(error)
    if quantity == held:
        return NOTHING
    return Success((QuantitySet(command.command_id, now, sku, quantity),))


def remove_item(cart: Cart, command: RemoveItem, now: datetime) -> Decision:
    """Take a held SKU's line out."""
    if not cart.quantity_of(command.sku):
        return Failure(not_in_cart(command.sku))
    return Success((ItemRemoved(command.command_id, now, command.sku),))


def apply_coupon(cart: Cart, command: ApplyCoupon, now: datetime) -> Decision:
    """Apply a known code, upper-cased; a code the cart has already changes nothing."""
    code = normalise_code(command.code)
    if not code or not command.known:
        return Failure(
            CartError(
                CartErrorCode.UNKNOWN_COUPON,
                "code",
                f"No offer takes the coupon code {shown(command.code)}.",
            )
        )
    if code in cart.coupons:
        return NOTHING
    return Success((CouponApplied(command.command_id, now, code),))


def remove_coupon(cart: Cart, command: RemoveCoupon, now: datetime) -> Decision:
    """Take an applied code off, whatever case it is written in."""
    code = normalise_code(command.code)
    if code not in cart.coupons:
        return Failure(
            CartError(
                CartErrorCode.COUPON_NOT_APPLIED,
                "code",
                f"The cart has no coupon {shown(command.code)}.",
            )
        )
    return Success((CouponRemoved(command.command_id, now, code),))


def clear_cart(cart: Cart, command: ClearCart, now: datetime) -> Decision:
    """Take every line and coupon; an empty cart without coupons changes nothing."""
    if cart.is_empty and not cart.coupons:
        return NOTHING
    return Success((CartCleared(command.command_id, now),))


def merge_cart(cart: Cart, command: MergeCart, now: datetime) -> Decision:
    """Add a guest cart's units and coupons (see `_merge.guest_cart` for its checks)."""
    merged = _merge.guest_cart(cart, command)
    if isinstance(merged, CartError):
        return Failure(merged)
    lines, coupons, currency = merged
    if not lines and set(coupons) <= set(cart.coupons):
        return NOTHING
    return Success((CartMerged(command.command_id, now, lines, coupons, currency),))


def expire_cart(cart: Cart, command: ExpireCart, now: datetime) -> Decision:
    """Empty a cart last changed ttl or longer ago; a cart never used changes nothing."""
    if cart.updated_at is None:
        return NOTHING
    if not is_expired(cart, now, command.ttl):
        return Failure(
            CartError(
                CartErrorCode.NOT_EXPIRED,
                "ttl",
                f"The cart was last changed less than {command.ttl} ago.",
            )
        )
    return Success((CartExpired(command.command_id, now),))
