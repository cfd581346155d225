"""What holds for orders and payments, whatever commands arrive: refunds never exceed
captures, captures never exceed authorizations and happen once, a refused command changes
nothing, replaying the events gives the state again, statuses are reached only through the
tables, and an order charges exactly what its quote says."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given

from properties.order_strategies import (
    names_of,
    order_histories,
    payment_histories,
    quotes,
    run_order,
    run_payment,
)
from properties.strategies import NOW
from pulseshop.core.orders import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    OrderErrorCode,
    OrderStatus,
    PaymentCaptured,
    PaymentStatus,
    apply_order_events,
    apply_payment_events,
    order_from_quote,
)

if TYPE_CHECKING:
    from pulseshop.core.orders import Order, OrderCommand, Payment, PaymentCommand
    from pulseshop.core.pricing import Quote

pytestmark = pytest.mark.unit

OrderHistory = tuple["Order", list["OrderCommand"]]
PaymentHistory = tuple["Payment", list["PaymentCommand"]]


@given(order_histories())
def test_an_order_never_refunds_more_than_it_captured(history: OrderHistory) -> None:
    """0 <= refunded <= captured, which is nothing or the total; statuses agree with them."""
    for step in run_order(*history):
        order = step.after
        zero = order.totals.total - order.totals.total
        assert zero <= order.refunded <= order.captured
        assert order.captured in (zero, order.totals.total)
        if order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
            assert order.refunded == order.captured
        if order.status is OrderStatus.PARTIALLY_REFUNDED:
            assert zero < order.refunded < order.captured


@given(payment_histories())
def test_a_payment_never_refunds_more_than_it_captured_nor_captures_more_than_allowed(
    history: PaymentHistory,
) -> None:
    """0 <= refunded <= captured <= amount, and at most one capture in any history."""
    steps = run_payment(*history)
    for step in steps:
        payment = step.after
        zero = payment.amount - payment.amount
        assert zero <= payment.refunded <= payment.captured <= payment.amount
        if payment.status in (PaymentStatus.VOIDED, PaymentStatus.FAILED):
            assert zero == payment.captured
    captures = [e for s in steps for e in s.events or () if isinstance(e, PaymentCaptured)]
    assert len(captures) <= 1


@given(order_histories())
def test_a_refused_order_command_changes_nothing(history: OrderHistory) -> None:
    """A command outside the table is ILLEGAL_TRANSITION; any refusal leaves the order."""
    for step in run_order(*history):
        allowed = type(step.command) in ORDER_TRANSITIONS[step.before.status]
        if not allowed:
            assert step.error is not None
            assert OrderErrorCode.ILLEGAL_TRANSITION == step.error.code
        if step.error is not None:
            assert step.before == step.after


@given(payment_histories())
def test_a_refused_payment_command_changes_nothing(history: PaymentHistory) -> None:
    """A command outside the table is ILLEGAL_TRANSITION; any refusal leaves the payment."""
    for step in run_payment(*history):
        allowed = type(step.command) in PAYMENT_TRANSITIONS[step.before.status]
        if not allowed:
            assert step.error is not None
            assert OrderErrorCode.ILLEGAL_TRANSITION == step.error.code
        if step.error is not None:
            assert step.before == step.after


@given(order_histories())
def test_replaying_an_orders_events_gives_the_order(history: OrderHistory) -> None:
    """The placed order with every event folded in is the order; version counts events."""
    placed, commands = history
    steps = run_order(placed, commands)
    events = [event for step in steps for event in step.events or ()]

    final = steps[-1].after if steps else placed
    assert final == apply_order_events(placed, events)
    assert placed.version + len(events) == final.version


@given(payment_histories())
def test_replaying_a_payments_events_gives_the_payment(history: PaymentHistory) -> None:
    """The authorized payment with every event folded in is the payment."""
    authorized, commands = history
    steps = run_payment(authorized, commands)
    events = [event for step in steps for event in step.events or ()]

    final = steps[-1].after if steps else authorized
    assert final == apply_payment_events(authorized, events)
    assert authorized.version + len(events) == final.version


@given(order_histories())
def test_order_statuses_are_reached_only_through_the_table(history: OrderHistory) -> None:
    """Each accepted command gives events and a status its row of the table names."""
    for step in run_order(*history):
        if step.events is not None:
            assert step.events
            targets = ORDER_TRANSITIONS[step.before.status][type(step.command)]
            assert step.after.status in targets


@given(payment_histories())
def test_payment_statuses_are_reached_only_through_the_table(history: PaymentHistory) -> None:
    """Each accepted command gives one event and a status its row of the table names."""
    for step in run_payment(*history):
        if step.events is not None:
            assert 1 == len(step.events)
            targets = PAYMENT_TRANSITIONS[step.before.status][type(step.command)]
            assert step.after.status in targets


@given(quotes)
def test_an_order_charges_exactly_what_its_quote_says(priced: Quote) -> None:
    """Every total is the quote's; line totals and shipping add up to the total."""
    order = order_from_quote(priced, names_of(priced), user_id=1, now=NOW).unwrap()
    totals = order.totals

    assert (
        priced.subtotal,
        priced.discount_total,
        priced.shipping_total,
        priced.tax_total,
        priced.total,
    ) == (
        totals.subtotal,
        totals.discount_total,
        totals.shipping_total,
        totals.tax_total,
        totals.total,
    )
    assert [(q.sku, q.quantity, q.unit_price, q.gross, q.tax) for q in priced.lines] == [
        (o.sku, o.quantity, o.unit_price, o.line_total, o.tax) for o in order.lines
    ]
    line_totals = sum((line.line_total for line in order.lines), priced.shipping.gross)
    assert priced.total == line_totals
