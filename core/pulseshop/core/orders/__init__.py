"""Orders and payments: pure deciders of what checkout, the gateway and the shop do to them.

The shell quotes the cart with the pricing core, places the order with `order_from_quote`
(every amount is the quote's), and stores it in one transaction with its payment
(`authorize`). Then each command goes through a decider: `decide_order` or `decide_payment`
returns the events to store and publish, or why the command is refused; `evolve_order` and
`evolve_payment` apply them. The rules, and the tables of allowed transitions, are at the
top of `decider` and `payment_decider`.

>>> from datetime import UTC, datetime
>>> from pulseshop.core.money import EUR, Money
>>> from pulseshop.core.pricing import Line, QuoteRequest, TaxPolicy, quote
>>> now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
>>> mugs = (Line("MUG-1", Money.of("12.00", EUR), 2, "standard"),)
>>> vat = TaxPolicy.flat({"standard": "0.20"})
>>> priced = quote(QuoteRequest(EUR, mugs, now, vat))
>>> order = order_from_quote(priced.unwrap(), {"MUG-1": "Mug"}, user_id=7, now=now).unwrap()
>>> payment = authorize(order.totals.total).unwrap()
>>> captured = decide_payment(payment, Capture(), now).unwrap()
>>> payment = apply_payment_events(payment, captured)
>>> order = apply_order_events(order, decide_order(order, MarkPaid(payment.captured), now).unwrap())
>>> refund = Refund(Money.of("30.00", EUR), "broken")
>>> print(decide_order(order, refund, now).failure())
amount: EUR 30.00 is more than the EUR 28.80 left to refund.
>>> events = decide_order(order, Cancel("out of stock"), now).unwrap()
>>> [type(event).__name__ for event in events]
['OrderRefunded', 'OrderCancelled']
>>> order = apply_order_events(order, events)
>>> order.status.value, order.refunded, order.version
('cancelled', EUR 28.80, 3)
"""

from pulseshop.core.orders.commands import Cancel, Fulfil, MarkPaid, OrderCommand, Refund
from pulseshop.core.orders.decider import (
    ORDER_TRANSITIONS,
    OrderDecision,
    commands_open,
    decide_order,
)
from pulseshop.core.orders.errors import OrderError, OrderErrorCode
from pulseshop.core.orders.events import (
    OrderCancelled,
    OrderEvent,
    OrderFulfilled,
    OrderPaid,
    OrderRefunded,
)
from pulseshop.core.orders.evolution import apply_order_events, evolve_order
from pulseshop.core.orders.order import Order, OrderLine, OrderStatus, OrderTotals
from pulseshop.core.orders.payment import (
    Capture,
    Fail,
    Payment,
    PaymentCaptured,
    PaymentCommand,
    PaymentEvent,
    PaymentFailed,
    PaymentRefunded,
    PaymentStatus,
    PaymentVoided,
    RefundPayment,
    Void,
    authorize,
)
from pulseshop.core.orders.payment_decider import (
    PAYMENT_TRANSITIONS,
    PaymentDecision,
    apply_payment_events,
    decide_payment,
    evolve_payment,
)
from pulseshop.core.orders.placement import order_from_quote
from pulseshop.core.orders.settlement import (
    GatewayCall,
    Settlement,
    settle_cancel,
    settle_capture,
    settle_refund,
)

__all__ = [
    "ORDER_TRANSITIONS",
    "PAYMENT_TRANSITIONS",
    "Cancel",
    "Capture",
    "Fail",
    "Fulfil",
    "GatewayCall",
    "MarkPaid",
    "Order",
    "OrderCancelled",
    "OrderCommand",
    "OrderDecision",
    "OrderError",
    "OrderErrorCode",
    "OrderEvent",
    "OrderFulfilled",
    "OrderLine",
    "OrderPaid",
    "OrderRefunded",
    "OrderStatus",
    "OrderTotals",
    "Payment",
    "PaymentCaptured",
    "PaymentCommand",
    "PaymentDecision",
    "PaymentEvent",
    "PaymentFailed",
    "PaymentRefunded",
    "PaymentStatus",
    "PaymentVoided",
    "Refund",
    "RefundPayment",
    "Settlement",
    "Void",
    "apply_order_events",
    "apply_payment_events",
    "authorize",
    "commands_open",
    "decide_order",
    "decide_payment",
    "evolve_order",
    "evolve_payment",
    "order_from_quote",
    "settle_cancel",
    "settle_capture",
    "settle_refund",
]
