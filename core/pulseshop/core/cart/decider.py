"""`decide`: which events a command causes in a cart, or why the cart refuses it.

>>> from datetime import UTC, datetime
>>> from pulseshop.core.cart.commands import RemoveItem
>>> from pulseshop.core.cart.state import EMPTY_CART
>>> now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
>>> decide(EMPTY_CART, RemoveItem("c-1", "MUG-1"), now).failure().code
<CartErrorCode.NOT_IN_CART: 'not_in_cart'>
>>> [error.value for error in TRANSITIONS[RemoveItem].errors]
['invalid_command_id', 'not_in_cart']
"""

# The rules of a cart. `decide(cart, command, now)` changes nothing: it returns the events
# the command causes or the error that refuses it; `evolve` applies the events. For every
# command, in this order (the first rule that speaks decides):
#
# 0. `now` must say its offset from UTC. A naive time is a wiring mistake of the caller,
#    not a customer's: it raises ValueError.
# 1. A command whose id is in `cart.recent_commands` was applied already. It gives
#    Success(()) whatever it says, even when it would now be refused: a retry is harmless.
# 2. The command id must be 1 to MAX_COMMAND_ID characters: else INVALID_COMMAND_ID.
# 3. The command's own checks run in the order its row of TRANSITIONS below lists their
#    error codes; the first check that fails gives the error.
# 4. A command that passes its checks but would change nothing gives Success(()): applying
#    a coupon the cart has, setting the quantity a line has, clearing an empty cart, merging
#    in nothing new. Such a command leaves no event, so the cart does not remember its id.
#    ExpireCart on a cart no event has touched gives Success(()) before its check: there is
#    nothing to expire. (An emptied cart that was used still expires: its clock restarts.)
# 5. Otherwise the command gives exactly one event: the one its row names.
#
# Coupon codes compare without case or surrounding blanks and are kept upper-cased. A SKU
# is UNKNOWN_SKU when the shell found no product for it, found another SKU's product, or
# it is not even written as a SKU. A cart whose last line goes (RemoveItem) has no currency
# any more but keeps its coupons; ClearCart and ExpireCart take the lines and the coupons.
# MergeCart comes with no product facts: the guest cart's lines were checked when they were
# added, so only their shape, the currency and the limits are checked; its coupons were
# checked when applied, so only blank codes are refused.

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, final

import attrs
from returns.result import Failure

from pulseshop.core.cart import _decisions
from pulseshop.core.cart._checks import command_id_error
from pulseshop.core.cart._decisions import NOTHING, Decision
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
from pulseshop.core.cart.errors import CartErrorCode
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

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from pulseshop.core.cart.commands import CartCommand
    from pulseshop.core.cart.events import CartEvent
    from pulseshop.core.cart.state import Cart

__all__ = ["TRANSITIONS", "Decision", "Transition", "decide"]

_C = TypeVar("_C")


@final
@attrs.frozen
class Transition(Generic[_C]):
    """One row of the table: how a command is decided, the one event it gives when it
    changes the cart, and every error code it can give, in the order they are checked."""

    decider: Callable[[Cart, _C, datetime], Decision]
    event: type[CartEvent]
    errors: tuple[CartErrorCode, ...]


_ID: Final = CartErrorCode.INVALID_COMMAND_ID
"""Every command's first check (rule 2)."""

TRANSITIONS: Final[Mapping[type[CartCommand], Transition[Any]]] = MappingProxyType(
    {
        AddItem: Transition(
            _decisions.add_item,
            ItemAdded,
            (
                _ID,
                CartErrorCode.INVALID_QUANTITY,
                CartErrorCode.UNKNOWN_SKU,
                CartErrorCode.INACTIVE_PRODUCT,
                CartErrorCode.CURRENCY_MISMATCH,
                CartErrorCode.QUANTITY_TOO_LARGE,
                CartErrorCode.TOO_MANY_LINES,
            ),
        ),
        SetQuantity: Transition(
            _decisions.set_quantity,
            QuantitySet,
            (
                _ID,
                CartErrorCode.INVALID_QUANTITY,
                CartErrorCode.QUANTITY_TOO_LARGE,
                CartErrorCode.NOT_IN_CART,
                CartErrorCode.UNKNOWN_SKU,
                CartErrorCode.INACTIVE_PRODUCT,  # only when the quantity goes up
                CartErrorCode.CURRENCY_MISMATCH,
            ),
        ),
        RemoveItem: Transition(
            _decisions.remove_item, ItemRemoved, (_ID, CartErrorCode.NOT_IN_CART)
        ),
        ApplyCoupon: Transition(
            _decisions.apply_coupon, CouponApplied, (_ID, CartErrorCode.UNKNOWN_COUPON)
        ),
        RemoveCoupon: Transition(
            _decisions.remove_coupon, CouponRemoved, (_ID, CartErrorCode.COUPON_NOT_APPLIED)
        ),
        ClearCart: Transition(_decisions.clear_cart, CartCleared, (_ID,)),
        MergeCart: Transition(
            _decisions.merge_cart,
            CartMerged,
            (
                _ID,
                CartErrorCode.UNKNOWN_SKU,  # a guest line's SKU is not written as a SKU
                CartErrorCode.INVALID_QUANTITY,
                CartErrorCode.UNKNOWN_COUPON,  # a blank guest coupon
                CartErrorCode.CURRENCY_MISMATCH,
                CartErrorCode.QUANTITY_TOO_LARGE,
                CartErrorCode.TOO_MANY_LINES,
            ),
        ),
        ExpireCart: Transition(
            _decisions.expire_cart, CartExpired, (_ID, CartErrorCode.NOT_EXPIRED)
        ),
    }
)
"""Command type -> how it is decided, the event it gives, the errors it can give in order."""


def decide(cart: Cart, command: CartCommand, now: datetime) -> Decision:
    """The events ``command`` causes in ``cart`` at ``now``, or why the cart refuses it.

    The rules, and the order they are checked in, are at the top of this module.

    Raises:
        ValueError: ``now`` does not say its offset from UTC.

    >>> from datetime import UTC, datetime
    >>> from pulseshop.core.cart.commands import ApplyCoupon
    >>> from pulseshop.core.cart.state import EMPTY_CART
    >>> now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    >>> decide(EMPTY_CART, ApplyCoupon("c-1", " winter10", known=True), now).unwrap()
    ... # doctest: +NORMALIZE_WHITESPACE
    (CouponApplied(command_id='c-1', at=datetime.datetime(2026, 12, 4, 10, 0,
     tzinfo=datetime.timezone.utc), code='WINTER10'),)
    >>> print(decide(EMPTY_CART, ApplyCoupon("c-1", "NOPE", known=False), now).failure())
    code: No offer takes the coupon code 'NOPE'.
    """
    if now.utcoffset() is None:
        raise ValueError(f"now must say its offset from UTC, not {now.isoformat()}")
    if command.command_id in cart.recent_commands:
        return NOTHING
    if error := command_id_error(command.command_id):
        return Failure(error)
    decision: Decision = TRANSITIONS[type(command)].decider(cart, command, now)
    return decision
