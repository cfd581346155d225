"""Small builders for order and payment tests: a quote, the order placed from it, payments,
and orders and payments moved on by commands that must be accepted."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs

from pulseshop.core.money import EUR, Money
from pulseshop.core.orders import (
    Order,
    OrderTotals,
    Payment,
    apply_order_events,
    apply_payment_events,
    authorize,
    decide_order,
    decide_payment,
    order_from_quote,
)
from pulseshop.core.pricing import Line, PercentOffOrder, PriceRule, QuoteRequest, TaxPolicy, quote

if TYPE_CHECKING:
    from pulseshop.core.orders import (
        OrderCommand,
        OrderError,
        OrderEvent,
        PaymentCommand,
        PaymentEvent,
    )
    from pulseshop.core.pricing import Quote

NOW: Final = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
"""The moment every test acts at unless it says otherwise."""

NAMES: Final = {"MUG-1": "Stoneware mug", "TEA-1": "Green tea"}


def eur(amount: str) -> Money:
    """Euros from a decimal string."""
    return Money.of(amount, EUR)


def a_quote() -> Quote:
    """Two mugs at 12.00 and three teas at 4.50, 10% off the order, 5.00 shipping, 20% VAT
    on mugs and shipping, 5.5% on tea."""
    request = QuoteRequest(
        currency=EUR,
        lines=(
            Line("MUG-1", eur("12.00"), 2, "standard"),
            Line("TEA-1", eur("4.50"), 3, "reduced"),
        ),
        at=NOW,
        tax_policy=TaxPolicy.flat({"standard": "0.20", "reduced": "0.055"}),
        rules=(PriceRule("ten-off", PercentOffOrder(Decimal(10))),),
        shipping=eur("5.00"),
    )
    return quote(request).unwrap()


def placed(quote: Quote | None = None) -> Order:
    """The order user 7 placed from ``quote`` (`a_quote` unless told) at NOW."""
    return order_from_quote(quote or a_quote(), NAMES, user_id=7, now=NOW).unwrap()


def free() -> Order:
    """An order a discount made free: its total is zero."""
    return attrs.evolve(placed(), totals=OrderTotals.zero(EUR))


def order_events(
    order: Order, command: OrderCommand, now: datetime = NOW
) -> tuple[OrderEvent, ...]:
    """The events of an order command that must be accepted."""
    return decide_order(order, command, now).unwrap()


def order_error(order: Order, command: OrderCommand, now: datetime = NOW) -> OrderError:
    """The error of an order command that must be refused."""
    return decide_order(order, command, now).failure()


def run_order(order: Order, *commands: OrderCommand) -> Order:
    """``order`` after ``commands``, each of which must be accepted."""
    for command in commands:
        order = apply_order_events(order, order_events(order, command))
    return order


def authorized(amount: str = "50.00") -> Payment:
    """A payment authorized for ``amount`` euros."""
    return authorize(eur(amount)).unwrap()


def payment_events(payment: Payment, command: PaymentCommand) -> tuple[PaymentEvent, ...]:
    """The events of a payment command that must be accepted."""
    return decide_payment(payment, command, NOW).unwrap()


def payment_error(payment: Payment, command: PaymentCommand) -> OrderError:
    """The error of a payment command that must be refused."""
    return decide_payment(payment, command, NOW).failure()


def run_payment(payment: Payment, *commands: PaymentCommand) -> Payment:
    """``payment`` after ``commands``, each of which must be accepted."""
    for command in commands:
        payment = apply_payment_events(payment, payment_events(payment, command))
    return payment
