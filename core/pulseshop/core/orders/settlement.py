"""Staff actions on a placed order as one decision over the order and its payment.

Capturing, refunding and cancelling each change both the order and its payment, and each
needs one call to the payment gateway (or none). A `Settlement` says all of it: the order
and payment after their events, the call and the money it moves. The shell makes the call,
then stores both values; the order's rules speak first, so a second capture is refused as
an illegal transition of the paid order.

>>> from datetime import UTC, datetime
>>> from pulseshop.core.money import EUR, Money
>>> from pulseshop.core.pricing import Line, QuoteRequest, TaxPolicy, quote
>>> from pulseshop.core.orders.payment import authorize
>>> from pulseshop.core.orders.placement import order_from_quote
>>> now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
>>> mug = (Line("MUG-1", Money.of("12.00", EUR), 1, "standard"),)
>>> priced = quote(QuoteRequest(EUR, mug, now, TaxPolicy.flat({"standard": "0.20"})))
>>> order = order_from_quote(priced.unwrap(), {"MUG-1": "Mug"}, user_id=7, now=now).unwrap()
>>> payment = authorize(order.totals.total).unwrap()
>>> settle_cancel(order, payment, "changed my mind", now).unwrap().call
<GatewayCall.VOID: 'void'>
>>> captured = settle_capture(order, payment, now).unwrap()
>>> captured.order.status.value, captured.call.value, captured.amount
('paid', 'capture', EUR 14.40)
>>> settle_cancel(captured.order, captured.payment, "broken", now).unwrap().call
<GatewayCall.REFUND: 'refund'>
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, final

import attrs
from returns.result import Failure, Result, Success

from pulseshop.core.orders.commands import Cancel, MarkPaid, Refund
from pulseshop.core.orders.decider import decide_order
from pulseshop.core.orders.events import OrderRefunded
from pulseshop.core.orders.evolution import apply_order_events
from pulseshop.core.orders.payment import Capture, PaymentStatus, RefundPayment, Void
from pulseshop.core.orders.payment_decider import apply_payment_events, decide_payment

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.core.money import Money
    from pulseshop.core.orders.errors import OrderError
    from pulseshop.core.orders.order import Order
    from pulseshop.core.orders.payment import Payment

__all__ = ["GatewayCall", "Settlement", "settle_cancel", "settle_capture", "settle_refund"]


@final
class GatewayCall(enum.Enum):
    """What an action asks of the payment gateway."""

    CAPTURE = "capture"
    REFUND = "refund"
    VOID = "void"


@final
@attrs.frozen
class Settlement:
    """What one decision writes: the order and payment after their events, the gateway call
    it needs (None: none) and the money that call moves."""

    order: Order
    payment: Payment
    call: GatewayCall | None
    amount: Money | None


def settle_capture(order: Order, payment: Payment, now: datetime) -> Result[Settlement, OrderError]:
    """Capture all of the authorization (the order's total); the order is paid with it."""
    # The order's rules speak first: a paid order refuses a second capture as such.
    return decide_order(order, MarkPaid(payment.amount), now).bind(
        lambda order_events: decide_payment(payment, Capture(), now).map(
            lambda payment_events: Settlement(
                apply_order_events(order, order_events),
                apply_payment_events(payment, payment_events),
                GatewayCall.CAPTURE,
                payment.amount,
            )
        )
    )


def settle_refund(
    order: Order, payment: Payment, amount: Money, reason: str, now: datetime
) -> Result[Settlement, OrderError]:
    """Give back ``amount`` of the order and of its payment."""
    return decide_order(order, Refund(amount, reason), now).bind(
        lambda order_events: decide_payment(payment, RefundPayment(amount), now).map(
            lambda payment_events: Settlement(
                apply_order_events(order, order_events),
                apply_payment_events(payment, payment_events),
                GatewayCall.REFUND,
                amount,
            )
        )
    )


def settle_cancel(
    order: Order, payment: Payment, reason: str, now: datetime
) -> Result[Settlement, OrderError]:
    """Call the order off: what was captured goes back, an open authorization is voided."""
    decided = decide_order(order, Cancel(reason), now)
    if isinstance(decided, Failure):
        return Failure(decided.failure())
    events = decided.unwrap()
    cancelled = apply_order_events(order, events)
    refunded = [event.amount for event in events if isinstance(event, OrderRefunded)]
    if refunded:
        return decide_payment(payment, RefundPayment(refunded[0]), now).map(
            lambda payment_events: Settlement(
                cancelled,
                apply_payment_events(payment, payment_events),
                GatewayCall.REFUND,
                refunded[0],
            )
        )
    if payment.status is PaymentStatus.AUTHORIZED:
        return decide_payment(payment, Void(), now).map(
            lambda payment_events: Settlement(
                cancelled, apply_payment_events(payment, payment_events), GatewayCall.VOID, None
            )
        )
    # A failed or voided payment holds nothing: only the order changes.
    return Success(Settlement(cancelled, payment, None, None))
