"""What each command does to an order, in every status, and why it is refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from pulseshop.core.money import USD, Money
from pulseshop.core.orders import (
    ORDER_TRANSITIONS,
    Cancel,
    Fulfil,
    MarkPaid,
    Order,
    OrderCancelled,
    OrderCommand,
    OrderErrorCode,
    OrderFulfilled,
    OrderPaid,
    OrderRefunded,
    OrderStatus,
    Refund,
    apply_order_events,
    commands_open,
    decide_order,
)
from tests.core.orders._builders import (
    NOW,
    eur,
    free,
    order_error,
    order_events,
    placed,
    run_order,
)

pytestmark = pytest.mark.unit

TOTAL = "43.74"
LATER = NOW + timedelta(hours=1)


def paid() -> Order:
    return run_order(placed(), MarkPaid(eur(TOTAL)))


def in_status(status: OrderStatus) -> Order:
    """An order the commands of the table brought to ``status``."""
    commands: dict[OrderStatus, tuple[OrderCommand, ...]] = {
        OrderStatus.PENDING_PAYMENT: (),
        OrderStatus.PAID: (MarkPaid(eur(TOTAL)),),
        OrderStatus.FULFILLED: (MarkPaid(eur(TOTAL)), Fulfil()),
        OrderStatus.CANCELLED: (Cancel("no stock"),),
        OrderStatus.PARTIALLY_REFUNDED: (MarkPaid(eur(TOTAL)), Refund(eur("1.00"), "late")),
        OrderStatus.REFUNDED: (MarkPaid(eur(TOTAL)), Refund(eur(TOTAL), "lost")),
    }
    return run_order(placed(), *commands[status])


EVERY_COMMAND: tuple[OrderCommand, ...] = (
    MarkPaid(eur(TOTAL)),
    Fulfil(),
    Cancel("changed my mind"),
    Refund(eur("1.00"), "late"),
)

ILLEGAL = [
    (status, command)
    for status in OrderStatus
    for command in EVERY_COMMAND
    if type(command) not in ORDER_TRANSITIONS[status]
]
"""Every status with every command its row of the table lacks."""


class TestPendingPayment:
    def test_paying_the_total_pays_the_order(self) -> None:
        """OrderPaid; the order is paid and holds the total."""
        events = order_events(placed(), MarkPaid(eur(TOTAL)), LATER)
        order = apply_order_events(placed(), events)

        assert (OrderPaid(LATER, eur(TOTAL)),) == events
        assert (OrderStatus.PAID, eur(TOTAL), eur(TOTAL), 1, LATER) == (
            order.status,
            order.captured,
            order.refundable,
            order.version,
            order.updated_at,
        )
        assert NOW == order.created_at

    def test_paying_anything_but_the_total_is_refused(self) -> None:
        """AMOUNT_MISMATCH: an order is paid in one capture."""
        error = order_error(placed(), MarkPaid(eur("43.73")))

        assert (OrderErrorCode.AMOUNT_MISMATCH, "amount") == (error.code, error.field)
        assert "EUR 43.73 was paid, but the order's total is EUR 43.74." == error.message

    def test_a_free_order_is_paid_with_zero(self) -> None:
        """A total of zero is paid by MarkPaid(0)."""
        order = run_order(free(), MarkPaid(eur("0.00")))

        assert (OrderStatus.PAID, eur("0.00")) == (order.status, order.captured)

    def test_cancelling_an_unpaid_order_refunds_nothing(self) -> None:
        """OrderCancelled alone."""
        events = order_events(placed(), Cancel("changed my mind"))

        assert (OrderCancelled(NOW, "changed my mind"),) == events
        assert OrderStatus.CANCELLED == apply_order_events(placed(), events).status


class TestPaid:
    def test_fulfilling_a_paid_order(self) -> None:
        """OrderFulfilled; the money stays captured."""
        events = order_events(paid(), Fulfil())
        order = apply_order_events(paid(), events)

        assert (OrderFulfilled(NOW),) == events
        assert (OrderStatus.FULFILLED, eur(TOTAL)) == (order.status, order.captured)

    def test_cancelling_a_paid_order_refunds_it_in_full(self) -> None:
        """OrderRefunded of everything captured, then OrderCancelled: no money is kept."""
        events = order_events(paid(), Cancel("no stock"))
        order = apply_order_events(paid(), events)

        assert (
            OrderRefunded(NOW, eur(TOTAL), fully=True, reason="no stock"),
            OrderCancelled(NOW, "no stock"),
        ) == events
        assert (OrderStatus.CANCELLED, eur(TOTAL), eur("0.00"), 3) == (
            order.status,
            order.refunded,
            order.refundable,
            order.version,
        )

    def test_cancelling_a_paid_free_order_has_nothing_to_refund(self) -> None:
        """OrderCancelled alone when nothing was captured."""
        order = run_order(free(), MarkPaid(eur("0.00")))

        assert (OrderCancelled(NOW, "oops"),) == order_events(order, Cancel("oops"))

    def test_a_partial_refund(self) -> None:
        """OrderRefunded, not fully; the order is partially refunded."""
        events = order_events(paid(), Refund(eur("10.00"), "scratched"))
        order = apply_order_events(paid(), events)

        assert (OrderRefunded(NOW, eur("10.00"), fully=False, reason="scratched"),) == events
        assert (OrderStatus.PARTIALLY_REFUNDED, eur("10.00"), eur("33.74")) == (
            order.status,
            order.refunded,
            order.refundable,
        )

    def test_a_full_refund(self) -> None:
        """Refunding everything captured is fully a refund; the order is refunded."""
        order = run_order(paid(), Refund(eur(TOTAL), "lost"))

        assert (OrderStatus.REFUNDED, eur(TOTAL)) == (order.status, order.refunded)


class TestAfterFulfilment:
    @pytest.mark.parametrize(
        ("amount", "status"),
        [("5.00", OrderStatus.PARTIALLY_REFUNDED), (TOTAL, OrderStatus.REFUNDED)],
    )
    def test_a_fulfilled_order_is_refunded(self, amount: str, status: OrderStatus) -> None:
        """In part or in full."""
        order = run_order(in_status(OrderStatus.FULFILLED), Refund(eur(amount), "returned"))

        assert status == order.status

    def test_partial_refunds_add_up_to_a_full_one(self) -> None:
        """Partially refunded stays so until the last of the money goes back."""
        order = in_status(OrderStatus.PARTIALLY_REFUNDED)
        again = run_order(order, Refund(eur("2.00"), "late"))
        last = run_order(again, Refund(eur("40.74"), "late"))

        assert (OrderStatus.PARTIALLY_REFUNDED, eur("3.00")) == (again.status, again.refunded)
        assert (OrderStatus.REFUNDED, eur(TOTAL), 4) == (last.status, last.refunded, last.version)


class TestAmounts:
    def test_a_refund_never_exceeds_what_is_left(self) -> None:
        """AMOUNT_TOO_LARGE, naming what is left."""
        order = in_status(OrderStatus.PARTIALLY_REFUNDED)

        error = order_error(order, Refund(eur(TOTAL), "all of it"))

        assert (OrderErrorCode.AMOUNT_TOO_LARGE, "amount") == (error.code, error.field)
        assert "EUR 43.74 is more than the EUR 42.74 left to refund." == error.message

    @pytest.mark.parametrize(
        "command", [MarkPaid(Money.of(TOTAL, USD)), Refund(Money.of("1.00", USD), "late")]
    )
    def test_amounts_are_in_the_order_currency(self, command: OrderCommand) -> None:
        """CURRENCY_MISMATCH."""
        order = paid() if isinstance(command, Refund) else placed()

        error = order_error(order, command)

        assert (OrderErrorCode.CURRENCY_MISMATCH, "amount") == (error.code, error.field)

    @pytest.mark.parametrize(
        "amount",
        [eur("0.00"), eur("-1.00"), eur("1.005"), Decimal("1.00")],
        ids=["zero", "negative", "unrounded", "not money"],
    )
    def test_a_refund_is_whole_minor_units_above_zero(self, amount: Money) -> None:
        """INVALID_AMOUNT."""
        error = order_error(paid(), Refund(amount, "late"))

        assert (OrderErrorCode.INVALID_AMOUNT, "amount") == (error.code, error.field)

    def test_a_payment_is_never_negative(self) -> None:
        """INVALID_AMOUNT, even for a free order."""
        error = order_error(free(), MarkPaid(eur("-0.01")))

        assert OrderErrorCode.INVALID_AMOUNT == error.code
        assert "An amount must be at least zero, not EUR -0.01." == error.message


class TestIllegalTransitions:
    @pytest.mark.parametrize(("status", "command"), ILLEGAL, ids=str)
    def test_a_command_outside_the_table_is_refused(
        self, status: OrderStatus, command: OrderCommand
    ) -> None:
        """ILLEGAL_TRANSITION for every status and command the table does not pair."""
        order = in_status(status)

        error = order_error(order, command)

        assert (OrderErrorCode.ILLEGAL_TRANSITION, None) == (error.code, error.field)
        assert (
            f"{type(command).__name__} is not allowed when the status is {status.value}."
            == error.message
        )

    def test_a_retried_payment_is_refused_not_applied_twice(self) -> None:
        """A second MarkPaid finds the order paid."""
        assert OrderErrorCode.ILLEGAL_TRANSITION == order_error(paid(), MarkPaid(eur(TOTAL))).code

    def test_a_naive_time_is_a_wiring_mistake(self) -> None:
        """A time without a UTC offset raises ValueError."""
        naive = datetime(2026, 12, 4, 10, 0)  # noqa: DTZ001 - naive on purpose

        with pytest.raises(ValueError, match="offset from UTC"):
            decide_order(placed(), Fulfil(), naive)


class TestCommandsOpen:
    @pytest.mark.parametrize("status", list(OrderStatus))
    def test_the_commands_of_the_status(self, status: OrderStatus) -> None:
        """What the table allows, less a refund when nothing is left to refund."""
        order = in_status(status)
        expected = set(ORDER_TRANSITIONS[status])
        if order.refundable.amount <= 0:
            expected.discard(Refund)
        assert commands_open(order) == expected

    def test_a_paid_order_offers_a_refund_until_all_is_refunded(self) -> None:
        assert Refund in commands_open(paid())
        assert Refund not in commands_open(placed())
        refunded_but_one_cent = run_order(paid(), Refund(eur("43.73"), "most"))
        assert Refund in commands_open(refunded_but_one_cent)
