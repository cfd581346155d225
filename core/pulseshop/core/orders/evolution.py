"""`evolve_order`: an order after one event; `apply_order_events`: after many.

Events are facts `decide_order` gave, so `evolve_order` applies them without checking them
again. It counts each event in ``version`` and notes its time in ``updated_at``.

>>> from datetime import UTC, datetime
>>> from pulseshop.core.money import EUR, Money
>>> from pulseshop.core.orders.events import OrderPaid, OrderRefunded
>>> from pulseshop.core.orders.order import Order, OrderStatus, OrderTotals
>>> at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
>>> zero = Money.of("0.00", EUR)
>>> placed = Order(7, OrderStatus.PENDING_PAYMENT, EUR, (), OrderTotals.zero(EUR),
...                at, at, zero, zero)
>>> paid = evolve_order(placed, OrderPaid(at, Money.of("9.00", EUR)))
>>> paid.status.value, paid.captured, paid.version
('paid', EUR 9.00, 1)
>>> back = evolve_order(paid, OrderRefunded(at, Money.of("4.00", EUR), False, "late"))
>>> back.status.value, back.refunded, back.refundable
('partially_refunded', EUR 4.00, EUR 5.00)
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, assert_never

import attrs

from pulseshop.core.orders.events import OrderCancelled, OrderFulfilled, OrderPaid, OrderRefunded
from pulseshop.core.orders.order import OrderStatus

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pulseshop.core.orders.events import OrderEvent
    from pulseshop.core.orders.order import Order

__all__ = ["apply_order_events", "evolve_order"]


def evolve_order(order: Order, event: OrderEvent) -> Order:
    """``order`` after ``event``.

    >>> from datetime import UTC, datetime
    >>> from pulseshop.core.money import EUR, Money
    >>> from pulseshop.core.orders.events import OrderCancelled
    >>> from pulseshop.core.orders.order import Order, OrderTotals
    >>> at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    >>> zero = Money.of("0.00", EUR)
    >>> placed = Order(7, OrderStatus.PENDING_PAYMENT, EUR, (), OrderTotals.zero(EUR),
    ...                at, at, zero, zero)
    >>> evolve_order(placed, OrderCancelled(at, "changed my mind")).status
    <OrderStatus.CANCELLED: 'cancelled'>
    """
    changed = _contents(order, event)
    return attrs.evolve(changed, version=order.version + 1, updated_at=event.at)


def apply_order_events(order: Order, events: Iterable[OrderEvent]) -> Order:
    """``order`` after each of ``events`` in turn; with no events, ``order`` itself."""
    return functools.reduce(evolve_order, events, order)


def _contents(order: Order, event: OrderEvent) -> Order:
    """``order`` with the status and amounts ``event`` leaves it."""
    match event:
        case OrderPaid(amount=amount):
            return attrs.evolve(order, status=OrderStatus.PAID, captured=order.captured + amount)
        case OrderFulfilled():
            return attrs.evolve(order, status=OrderStatus.FULFILLED)
        case OrderCancelled():
            return attrs.evolve(order, status=OrderStatus.CANCELLED)
        case OrderRefunded(amount=amount, fully=fully):
            status = OrderStatus.REFUNDED if fully else OrderStatus.PARTIALLY_REFUNDED
            return attrs.evolve(order, status=status, refunded=order.refunded + amount)
        case _:
            assert_never(event)
