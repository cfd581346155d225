"""The cart: a pure decider of what commands do to a cart, and the cart those changes make.

The shell gathers the facts a command needs (the product a SKU names, whether a coupon
code is known) into the command, then calls `decide`; what comes back is the events to
store and publish, or why the cart refuses. `evolve` applies one event, `apply_all` many:
a cart is its events folded from `EMPTY_CART`. The rules are in `decider`.

>>> from datetime import UTC, datetime
>>> from pulseshop.core.catalog import Product
>>> from pulseshop.core.money import EUR, Money
>>> mug = Product("MUG-1", "Stoneware mug", Money.of("12.00", EUR), "standard")
>>> now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
>>> events = decide(EMPTY_CART, AddItem("c-1", "MUG-1", 2, mug), now).unwrap()
>>> [type(event).__name__ for event in events]
['ItemAdded']
>>> cart = apply_all(EMPTY_CART, events)
>>> cart.lines, cart.currency.code, cart.version
((CartLine(sku='MUG-1', quantity=2),), 'EUR', 1)
>>> decide(cart, AddItem("c-1", "MUG-1", 2, mug), now).unwrap()  # a retry: nothing to do
()
>>> error = decide(cart, SetQuantity("c-2", "MUG-1", 1000, mug), now).failure()
>>> error.code, error.field
(<CartErrorCode.QUANTITY_TOO_LARGE: 'quantity_too_large'>, 'quantity')
>>> print(error.message)
A cart holds at most 999 units of 'MUG-1'.
>>> cart = evolve(cart, decide(cart, SetQuantity("c-3", "MUG-1", 5, mug), now).unwrap()[0])
>>> cart.units, cart.recent_commands
(5, ('c-1', 'c-3'))
"""

from pulseshop.core.cart.codec import SNAPSHOT_FORMAT, cart_from_json, cart_to_json
from pulseshop.core.cart.commands import (
    AddItem,
    ApplyCoupon,
    CartCommand,
    ClearCart,
    ExpireCart,
    MergeCart,
    RemoveCoupon,
    RemoveItem,
    SetQuantity,
)
from pulseshop.core.cart.decider import TRANSITIONS, Decision, Transition, decide
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
from pulseshop.core.cart.evolution import apply_all, evolve
from pulseshop.core.cart.pricing import quote_request, unit_price_at
from pulseshop.core.cart.state import (
    EMPTY_CART,
    MAX_COMMAND_ID,
    MAX_LINE_QUANTITY,
    MAX_LINES,
    REMEMBERED_COMMANDS,
    Cart,
    CartLine,
    is_expired,
)

__all__ = [
    "EMPTY_CART",
    "MAX_COMMAND_ID",
    "MAX_LINES",
    "MAX_LINE_QUANTITY",
    "REMEMBERED_COMMANDS",
    "SNAPSHOT_FORMAT",
    "TRANSITIONS",
    "AddItem",
    "ApplyCoupon",
    "Cart",
    "CartCleared",
    "CartCommand",
    "CartError",
    "CartErrorCode",
    "CartEvent",
    "CartExpired",
    "CartLine",
    "CartMerged",
    "ClearCart",
    "CouponApplied",
    "CouponRemoved",
    "Decision",
    "ExpireCart",
    "ItemAdded",
    "ItemRemoved",
    "MergeCart",
    "QuantitySet",
    "RemoveCoupon",
    "RemoveItem",
    "SetQuantity",
    "Transition",
    "apply_all",
    "cart_from_json",
    "cart_to_json",
    "decide",
    "evolve",
    "is_expired",
    "quote_request",
    "unit_price_at",
]
