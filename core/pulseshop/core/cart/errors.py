"""Why a cart refused a command: a stable code, the command field at fault, and a sentence.

>>> error = CartError(CartErrorCode.NOT_IN_CART, "sku", "The cart holds no MUG-1.")
>>> error.code.value, error.field
('not_in_cart', 'sku')
>>> str(error)
'sku: The cart holds no MUG-1.'
"""

from __future__ import annotations

import enum
from typing import final

import attrs


class CartErrorCode(enum.Enum):
    """The closed set of reasons a cart refuses a command."""

    UNKNOWN_SKU = "unknown_sku"
    """The catalog has no product with this SKU."""
    INACTIVE_PRODUCT = "inactive_product"
    """The product is not for sale: it cannot be added, nor its quantity raised."""
    INVALID_QUANTITY = "invalid_quantity"
    """The quantity is not a whole number of at least 1."""
    QUANTITY_TOO_LARGE = "quantity_too_large"
    """A line would hold more than `MAX_LINE_QUANTITY` units."""
    TOO_MANY_LINES = "too_many_lines"
    """The cart would hold more than `MAX_LINES` SKUs."""
    CURRENCY_MISMATCH = "currency_mismatch"
    """The product (or the guest cart) is priced in another currency than the cart's lines."""
    NOT_IN_CART = "not_in_cart"
    """The cart holds no units of this SKU."""
    UNKNOWN_COUPON = "unknown_coupon"
    """No price rule accepts this coupon code."""
    COUPON_NOT_APPLIED = "coupon_not_applied"
    """The cart has no coupon with this code."""
    NOT_EXPIRED = "not_expired"
    """The cart was changed less than its time to live ago."""
    INVALID_COMMAND_ID = "invalid_command_id"
    """The command id is empty or longer than `MAX_COMMAND_ID` characters."""


@final
@attrs.frozen
class CartError:
    """One refusal: its code, the command field it is about (``quantity``, ``sku``, ``code``,
    ``lines[2].quantity``...; None when no one field is at fault) and a sentence for a
    person."""

    code: CartErrorCode
    field: str | None
    message: str

    def __str__(self) -> str:
        return self.message if self.field is None else f"{self.field}: {self.message}"
