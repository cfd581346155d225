"""Staff actions as one decision over an order and its payment."""

from __future__ import annotations

import pytest
from returns.result import Failure

from pulseshop.core.orders import (
    Fail,
    Fulfil,
    GatewayCall,
    OrderErrorCode,
    OrderStatus,
    PaymentStatus,
    authorize,
    settle_cancel,
    settle_capture,
    settle_refund,
)
from tests.core.orders._builders import NOW, eur, placed, run_order, run_payment

pytestmark = pytest.mark.unit


class TestCapture:
    def test_a_capture_takes_the_whole_authorization_and_pays_the_order(self) -> None:
        """The gateway is asked to capture the total."""
        order = placed()
        change = settle_capture(order, authorize(order.totals.total).unwrap(), NOW).unwrap()

        assert (OrderStatus.PAID, PaymentStatus.CAPTURED) == (
            change.order.status,
            change.payment.status,
        )
        assert (GatewayCall.CAPTURE, order.totals.total) == (change.call, change.amount)

    def test_a_second_capture_is_an_illegal_transition_of_the_paid_order(self) -> None:
        """The order's rules speak first."""
        order = placed()
        first = settle_capture(order, authorize(order.totals.total).unwrap(), NOW).unwrap()

        again = settle_capture(first.order, first.payment, NOW)

        assert isinstance(again, Failure)
        assert OrderErrorCode.ILLEGAL_TRANSITION == again.failure().code


class TestRefund:
    def test_a_refund_returns_part_of_the_capture(self) -> None:
        """Order and payment are partially refunded by the same amount."""
        order = placed()
        paid = settle_capture(order, authorize(order.totals.total).unwrap(), NOW).unwrap()

        change = settle_refund(paid.order, paid.payment, eur("4.00"), "chipped", NOW).unwrap()

        assert (OrderStatus.PARTIALLY_REFUNDED, PaymentStatus.PARTIALLY_REFUNDED) == (
            change.order.status,
            change.payment.status,
        )
        assert (GatewayCall.REFUND, eur("4.00")) == (change.call, change.amount)

    def test_a_refund_of_an_unpaid_order_is_refused(self) -> None:
        """Nothing was captured, so nothing goes back."""
        order = placed()

        refused = settle_refund(order, authorize(order.totals.total).unwrap(), eur("1.00"), "", NOW)

        assert isinstance(refused, Failure)


class TestCancel:
    def test_cancelling_a_pending_order_voids_its_authorization(self) -> None:
        """No money moved, so the hold is released."""
        order = placed()

        change = settle_cancel(order, authorize(order.totals.total).unwrap(), "gone", NOW).unwrap()

        assert (OrderStatus.CANCELLED, PaymentStatus.VOIDED, GatewayCall.VOID, None) == (
            change.order.status,
            change.payment.status,
            change.call,
            change.amount,
        )

    def test_cancelling_a_paid_order_refunds_all_of_it(self) -> None:
        """A cancelled order keeps no money."""
        order = placed()
        paid = settle_capture(order, authorize(order.totals.total).unwrap(), NOW).unwrap()

        change = settle_cancel(paid.order, paid.payment, "out of stock", NOW).unwrap()

        assert (OrderStatus.CANCELLED, PaymentStatus.REFUNDED) == (
            change.order.status,
            change.payment.status,
        )
        assert (GatewayCall.REFUND, order.totals.total) == (change.call, change.amount)

    def test_cancelling_with_a_failed_payment_asks_nothing_of_the_gateway(self) -> None:
        """A failed payment holds nothing: only the order changes."""
        order = placed()
        failed = run_payment(authorize(order.totals.total).unwrap(), Fail("declined later"))

        change = settle_cancel(order, failed, "unpaid", NOW).unwrap()

        assert (OrderStatus.CANCELLED, failed, None) == (
            change.order.status,
            change.payment,
            change.call,
        )

    def test_a_fulfilled_order_cannot_be_cancelled(self) -> None:
        """It is refunded instead."""
        order = placed()
        paid = settle_capture(order, authorize(order.totals.total).unwrap(), NOW).unwrap()
        fulfilled = run_order(paid.order, Fulfil())

        refused = settle_cancel(fulfilled, paid.payment, "late", NOW)

        assert isinstance(refused, Failure)
        assert OrderErrorCode.ILLEGAL_TRANSITION == refused.failure().code
