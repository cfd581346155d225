"""`decide_order`: which events a command causes in an order, or why the order refuses it.

>>> from datetime import UTC, datetime
>>> from pulseshop.core.orders.commands import Fulfil, Refund
>>> from pulseshop.core.orders.order import OrderStatus
>>> sorted(command.__name__ for command in ORDER_TRANSITIONS[OrderStatus.PAID])
['Cancel', 'Fulfil', 'Refund']
>>> sorted(status.value for status in ORDER_TRANSITIONS[OrderStatus.FULFILLED][Refund])
['partially_refunded', 'refunded']
>>> Fulfil in ORDER_TRANSITIONS[OrderStatus.PENDING_PAYMENT]
False
"""

# The rules of an order. `decide_order(order, command, now)` changes nothing: it returns the
# events the command causes or the error that refuses it; `evolve_order` applies the events.
# For every command, in this order (the first rule that speaks decides):
#
# 0. `now` must say its offset from UTC. A naive time is a wiring mistake of the caller,
#    not a customer's: it raises ValueError.
# 1. The command must have an entry in the row of the order's status in ORDER_TRANSITIONS
#    below: else ILLEGAL_TRANSITION, whatever the command says. The final statuses
#    (cancelled, refunded) have empty rows. A retried command is therefore refused, never
#    applied twice: a second MarkPaid finds the order paid.
# 2. Its amount, if it has one, must be money in the order's currency (else
#    CURRENCY_MISMATCH), in whole minor units and above zero (else INVALID_AMOUNT). MarkPaid
#    may say zero, for an order a discount made free, but not less.
# 3. MarkPaid must say the order's total exactly (else AMOUNT_MISMATCH): an order is paid in
#    one capture. A Refund may return at most what was captured and is not refunded yet
#    (else AMOUNT_TOO_LARGE), so refunds never exceed captures.
# 4. Otherwise: MarkPaid gives OrderPaid, Fulfil OrderFulfilled, Refund OrderRefunded, with
#    `fully` true exactly when it returns all that is left (the order becomes refunded; else
#    partially_refunded).
# 5. Cancel gives OrderCancelled. Cancelling a paid order returns its money in the same
#    decision: when anything captured is left to refund, the events are OrderRefunded (all of
#    it, fully) then OrderCancelled, and the shell refunds that amount through the gateway.
#    This is the simplest safe rule: a cancelled order never keeps money (captured equals
#    refunded), and one intention is one command, so no paid order can be left cancelled in
#    a person's mind while it still holds the money. A fulfilled order cannot be cancelled:
#    its goods are out, so it is refunded instead.
#
# The table says, for each status, which commands it takes and the statuses they can lead
# to; a status is reached only through it (the property tests check this).

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final, TypeAlias, assert_never

from returns.result import Failure, Result, Success

from pulseshop.core.orders._checks import amount_error, illegal, too_large
from pulseshop.core.orders.commands import Cancel, Fulfil, MarkPaid, Refund
from pulseshop.core.orders.errors import OrderError, OrderErrorCode
from pulseshop.core.orders.events import (
    OrderCancelled,
    OrderEvent,
    OrderFulfilled,
    OrderPaid,
    OrderRefunded,
)
from pulseshop.core.orders.order import OrderStatus

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from pulseshop.core.money import Money
    from pulseshop.core.orders.commands import OrderCommand
    from pulseshop.core.orders.order import Order

__all__ = ["ORDER_TRANSITIONS", "OrderDecision", "decide_order"]

OrderDecision: TypeAlias = Result[tuple[OrderEvent, ...], OrderError]
"""The events a command causes, or why the order refuses it."""

_REFUNDED: Final = frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED})

ORDER_TRANSITIONS: Final[
    Mapping[OrderStatus, Mapping[type[OrderCommand], frozenset[OrderStatus]]]
] = MappingProxyType(
    {
        OrderStatus.PENDING_PAYMENT: MappingProxyType(
            {
                MarkPaid: frozenset({OrderStatus.PAID}),
                Cancel: frozenset({OrderStatus.CANCELLED}),
            }
        ),
        OrderStatus.PAID: MappingProxyType(
            {
                Fulfil: frozenset({OrderStatus.FULFILLED}),
                Cancel: frozenset({OrderStatus.CANCELLED}),  # refunding in full (rule 5)
                Refund: _REFUNDED,
            }
        ),
        OrderStatus.FULFILLED: MappingProxyType({Refund: _REFUNDED}),
        OrderStatus.PARTIALLY_REFUNDED: MappingProxyType({Refund: _REFUNDED}),
        OrderStatus.CANCELLED: MappingProxyType({}),
        OrderStatus.REFUNDED: MappingProxyType({}),
    }
)
"""Status -> the commands it takes -> the statuses each can lead to."""


def commands_open(order: Order) -> frozenset[type[OrderCommand]]:
    """The commands the order can take now: those of its status, a refund only while
    something captured is left to give back (what a person acting on it may be offered)."""
    takes = frozenset(ORDER_TRANSITIONS[order.status])
    if order.refundable.amount <= 0:
        takes -= {Refund}
    return takes


def decide_order(order: Order, command: OrderCommand, now: datetime) -> OrderDecision:
    """The events ``command`` causes in ``order`` at ``now``, or why the order refuses it.

    The rules, and the order they are checked in, are at the top of this module.

    Raises:
        ValueError: ``now`` does not say its offset from UTC.

    >>> from datetime import UTC, datetime
    >>> from pulseshop.core.money import EUR, Money
    >>> from pulseshop.core.orders.order import Order, OrderTotals
    >>> now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    >>> zero = Money.of("0.00", EUR)
    >>> free = Order(7, OrderStatus.PENDING_PAYMENT, EUR, (), OrderTotals.zero(EUR),
    ...              now, now, zero, zero)
    >>> [type(event).__name__ for event in decide_order(free, MarkPaid(zero), now).unwrap()]
    ['OrderPaid']
    >>> print(decide_order(free, Fulfil(), now).failure())
    Fulfil is not allowed when the status is pending_payment.
    """
    if now.utcoffset() is None:
        raise ValueError(f"now must say its offset from UTC, not {now.isoformat()}")
    if type(command) not in ORDER_TRANSITIONS[order.status]:
        return Failure(illegal(order.status, command))
    match command:
        case MarkPaid(amount=amount):
            return _mark_paid(order, amount, now)
        case Fulfil():
            return Success((OrderFulfilled(now),))
        case Cancel(reason=reason):
            return _cancel(order, reason, now)
        case Refund(amount=amount, reason=reason):
            return _refund(order, amount, reason, now)
        case _:
            assert_never(command)


def _mark_paid(order: Order, amount: Money, now: datetime) -> OrderDecision:
    if error := amount_error(amount, order.currency, positive=False):
        return Failure(error)
    if amount != order.totals.total:
        return Failure(
            OrderError(
                OrderErrorCode.AMOUNT_MISMATCH,
                "amount",
                f"{amount} was paid, but the order's total is {order.totals.total}.",
            )
        )
    return Success((OrderPaid(now, amount),))


def _cancel(order: Order, reason: str, now: datetime) -> OrderDecision:
    left = order.refundable
    if left.amount > 0:
        refund = OrderRefunded(now, left, fully=True, reason=reason)
        return Success((refund, OrderCancelled(now, reason)))
    return Success((OrderCancelled(now, reason),))


def _refund(order: Order, amount: Money, reason: str, now: datetime) -> OrderDecision:
    left = order.refundable
    if error := amount_error(amount, order.currency, positive=True) or too_large(
        amount, left, "refund"
    ):
        return Failure(error)
    return Success((OrderRefunded(now, amount, amount == left, reason),))
