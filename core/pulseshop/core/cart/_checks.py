"""The checks `decide` makes on single values, each giving the error or None."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pulseshop.core.cart.errors import CartError, CartErrorCode
from pulseshop.core.cart.state import MAX_COMMAND_ID, MAX_LINE_QUANTITY, MAX_LINES
from pulseshop.core.catalog import is_sku

if TYPE_CHECKING:
    from pulseshop.core.cart.state import Cart
    from pulseshop.core.catalog import Product
    from pulseshop.core.money import Currency

_SHOWN: Final = 40
"""The most characters of a value a message repeats."""


def shown(value: object) -> str:
    """A value as a message quotes it: its repr, cut short when long.

    >>> shown("MUG-1"), shown("X" * 50)
    ("'MUG-1'", "'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX...")
    """
    text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}..."


def command_id_error(command_id: str) -> CartError | None:
    """INVALID_COMMAND_ID unless the id is a string of 1 to `MAX_COMMAND_ID` characters."""
    # The annotation says str; a command decoded from JSON may still hold anything.
    actual: object = command_id
    if isinstance(actual, str) and 0 < len(actual) <= MAX_COMMAND_ID:
        return None
    return CartError(
        CartErrorCode.INVALID_COMMAND_ID,
        "command_id",
        f"A command id must be 1 to {MAX_COMMAND_ID} characters long.",
    )


def quantity_error(quantity: int, field: str) -> CartError | None:
    """INVALID_QUANTITY unless ``quantity`` is an int (not a bool) of at least 1."""
    actual: object = quantity
    if isinstance(actual, int) and not isinstance(actual, bool) and actual >= 1:
        return None
    return CartError(
        CartErrorCode.INVALID_QUANTITY,
        field,
        f"A quantity must be a whole number of at least 1, not {shown(actual)}.",
    )


def line_quantity_error(sku: str, quantity: int, field: str) -> CartError | None:
    """QUANTITY_TOO_LARGE when a line of ``sku`` would hold ``quantity`` units, too many."""
    if quantity <= MAX_LINE_QUANTITY:
        return None
    return CartError(
        CartErrorCode.QUANTITY_TOO_LARGE,
        field,
        f"A cart holds at most {MAX_LINE_QUANTITY} units of {shown(sku)}.",
    )


def is_catalog_sku(value: object) -> bool:
    """True when ``value`` is text the catalog could have as a SKU.

    >>> is_catalog_sku("MUG-1"), is_catalog_sku("mug-1"), is_catalog_sku(7)
    (True, False, False)
    """
    return isinstance(value, str) and is_sku(value) is not None


def known_product(sku: str, product: Product | None) -> Product | CartError:
    """The product, or UNKNOWN_SKU when the catalog had none for ``sku``.

    A product with another SKU is not the product of ``sku``, and text that is not a SKU
    names no product: both count as none.
    """
    if product is None or product.sku != sku or not is_catalog_sku(sku):
        return CartError(
            CartErrorCode.UNKNOWN_SKU, "sku", f"The catalog has no product {shown(sku)}."
        )
    return product


def inactive_error(product: Product, action: str) -> CartError:
    """INACTIVE_PRODUCT: ``product`` is not for sale, so ``action`` is refused."""
    return CartError(
        CartErrorCode.INACTIVE_PRODUCT,
        "sku",
        f"{shown(product.sku)} is not for sale any more, so {action}.",
    )


def currency_error(cart: Cart, currency: Currency, field: str) -> CartError | None:
    """CURRENCY_MISMATCH when the cart has lines in a currency other than ``currency``."""
    if cart.currency is None or cart.currency == currency:
        return None
    return CartError(
        CartErrorCode.CURRENCY_MISMATCH,
        field,
        f"The cart is priced in {cart.currency.code}, which cannot be mixed with {currency.code}.",
    )


def not_in_cart(sku: str) -> CartError:
    """NOT_IN_CART: the cart holds no units of ``sku``."""
    return CartError(CartErrorCode.NOT_IN_CART, "sku", f"The cart holds no {shown(sku)}.")


def too_many_lines(field: str) -> CartError:
    """TOO_MANY_LINES: the cart would hold more than `MAX_LINES` SKUs."""
    return CartError(
        CartErrorCode.TOO_MANY_LINES, field, f"A cart holds at most {MAX_LINES} different items."
    )
