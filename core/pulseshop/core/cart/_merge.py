"""Merging a guest cart: its lines and coupons checked and put in the shape of an event."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from pulseshop.core.cart._checks import (
    currency_error,
    is_catalog_sku,
    line_quantity_error,
    quantity_error,
    shown,
    too_many_lines,
)
from pulseshop.core.cart.errors import CartError, CartErrorCode
from pulseshop.core.cart.state import MAX_LINES, CartLine
from pulseshop.core.pricing.rules import normalise_code
from pulseshop.core.problems import at

if TYPE_CHECKING:
    from pulseshop.core.cart.commands import MergeCart
    from pulseshop.core.cart.state import Cart
    from pulseshop.core.money import Currency

GuestCart: TypeAlias = tuple[tuple[CartLine, ...], tuple[str, ...], "Currency | None"]
"""A guest cart's lines (one per SKU), its coupon codes (upper-cased, once each) and the
currency of its lines (None when it has none)."""


def guest_cart(cart: Cart, command: MergeCart) -> GuestCart | CartError:
    """The guest cart of ``command``, checked against ``cart``, or the first error.

    The checks run in this order: every line's SKU, every line's quantity, every coupon
    code, the currency, each SKU's merged quantity, the number of merged lines. Lines of
    the same SKU add up; the first of them names the SKU's place in the error's field.
    """
    for index, line in enumerate(command.lines):
        if not is_catalog_sku(line.sku):
            field = at(at("lines", index), "sku")
            message = f"{shown(line.sku)} is not a SKU the catalog can have."
            return CartError(CartErrorCode.UNKNOWN_SKU, field, message)
    for index, line in enumerate(command.lines):
        if error := quantity_error(line.quantity, at(at("lines", index), "quantity")):
            return error
    codes: dict[str, None] = {}
    for index, code in enumerate(command.coupons):
        normal = normalise_code(code)
        if not normal:
            message = "A coupon code must not be blank."
            return CartError(CartErrorCode.UNKNOWN_COUPON, at("coupons", index), message)
        codes[normal] = None
    units: dict[str, int] = {}
    first: dict[str, int] = {}
    for index, line in enumerate(command.lines):
        units[line.sku] = units.get(line.sku, 0) + line.quantity
        first.setdefault(line.sku, index)
    currency = command.currency if units else None
    if units and (error := _currency_error(cart, currency)):
        return error
    for sku, quantity in units.items():
        field = at(at("lines", first[sku]), "quantity")
        if error := line_quantity_error(sku, cart.quantity_of(sku) + quantity, field):
            return error
    held = set(cart.skus)
    if len(held) + sum(sku not in held for sku in units) > MAX_LINES:
        return too_many_lines("lines")
    lines = tuple(CartLine(sku, quantity) for sku, quantity in units.items())
    return lines, tuple(codes), currency


def _currency_error(cart: Cart, currency: Currency | None) -> CartError | None:
    if currency is None:
        message = "The guest cart's lines must say their currency."
        return CartError(CartErrorCode.CURRENCY_MISMATCH, "currency", message)
    return currency_error(cart, currency, "currency")
