"""What each command does to a payment, in every status, and why it is refused."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from pulseshop.core.money import USD, Money
from pulseshop.core.orders import (
    PAYMENT_TRANSITIONS,
    Capture,
    Fail,
    OrderErrorCode,
    Payment,
    PaymentCaptured,
    PaymentCommand,
    PaymentFailed,
    PaymentRefunded,
    PaymentStatus,
    PaymentVoided,
    RefundPayment,
    Void,
    apply_payment_events,
    authorize,
    decide_payment,
)
from tests.core.orders._builders import (
    NOW,
    authorized,
    eur,
    payment_error,
    payment_events,
    run_payment,
)

pytestmark = pytest.mark.unit


def in_status(status: PaymentStatus) -> Payment:
    """A payment of 50.00 the commands of the table brought to ``status``."""
    commands: dict[PaymentStatus, tuple[PaymentCommand, ...]] = {
        PaymentStatus.AUTHORIZED: (),
        PaymentStatus.CAPTURED: (Capture(),),
        PaymentStatus.PARTIALLY_REFUNDED: (Capture(), RefundPayment(eur("1.00"))),
        PaymentStatus.REFUNDED: (Capture(), RefundPayment(eur("50.00"))),
        PaymentStatus.VOIDED: (Void(),),
        PaymentStatus.FAILED: (Fail("declined"),),
    }
    return run_payment(authorized(), *commands[status])


EVERY_COMMAND: tuple[PaymentCommand, ...] = (
    Capture(),
    RefundPayment(eur("1.00")),
    Void(),
    Fail("declined"),
)

ILLEGAL = [
    (status, command)
    for status in PaymentStatus
    for command in EVERY_COMMAND
    if type(command) not in PAYMENT_TRANSITIONS[status]
]
"""Every status with every command its row of the table lacks."""


class TestAuthorize:
    def test_a_new_payment_is_authorized_with_nothing_captured(self) -> None:
        """Status authorized, version 0, zero captured and refunded."""
        payment = authorized("24.00")

        assert Payment(eur("24.00"), eur("0.00"), eur("0.00")) == payment
        assert (PaymentStatus.AUTHORIZED, 0) == (payment.status, payment.version)

    @pytest.mark.parametrize(
        "amount",
        [eur("0.00"), eur("-5.00"), eur("0.001"), Decimal(5)],
        ids=["zero", "negative", "unrounded", "not money"],
    )
    def test_an_authorization_is_whole_minor_units_above_zero(self, amount: Money) -> None:
        """INVALID_AMOUNT."""
        error = authorize(amount).failure()

        assert (OrderErrorCode.INVALID_AMOUNT, "amount") == (error.code, error.field)


class TestCapture:
    def test_a_capture_without_an_amount_takes_the_whole_authorization(self) -> None:
        """PaymentCaptured of the amount authorized."""
        events = payment_events(authorized(), Capture())
        payment = apply_payment_events(authorized(), events)

        assert (PaymentCaptured(NOW, eur("50.00")),) == events
        assert (PaymentStatus.CAPTURED, eur("50.00"), 1) == (
            payment.status,
            payment.captured,
            payment.version,
        )

    def test_a_partial_capture_releases_the_rest(self) -> None:
        """Captured holds the amount taken; nothing more can be captured."""
        payment = run_payment(authorized(), Capture(eur("30.00")))

        assert (PaymentStatus.CAPTURED, eur("30.00")) == (payment.status, payment.captured)
        assert OrderErrorCode.ILLEGAL_TRANSITION == payment_error(payment, Capture()).code

    def test_a_second_capture_is_refused_never_doubled(self) -> None:
        """ILLEGAL_TRANSITION, and the payment captured once."""
        payment = in_status(PaymentStatus.CAPTURED)

        error = payment_error(payment, Capture(eur("1.00")))

        assert OrderErrorCode.ILLEGAL_TRANSITION == error.code
        assert "Capture is not allowed when the status is captured." == error.message

    def test_a_capture_never_exceeds_the_authorization(self) -> None:
        """AMOUNT_TOO_LARGE."""
        error = payment_error(authorized(), Capture(eur("50.01")))

        assert (OrderErrorCode.AMOUNT_TOO_LARGE, "amount") == (error.code, error.field)
        assert "EUR 50.01 is more than the EUR 50.00 left to capture." == error.message


class TestRefund:
    def test_a_partial_then_a_full_refund(self) -> None:
        """Partially refunded until everything captured has gone back."""
        captured = run_payment(authorized(), Capture(eur("30.00")))
        events = payment_events(captured, RefundPayment(eur("10.00")))
        partly = apply_payment_events(captured, events)
        fully = run_payment(partly, RefundPayment(eur("20.00")))

        assert (PaymentRefunded(NOW, eur("10.00"), fully=False),) == events
        assert (PaymentStatus.PARTIALLY_REFUNDED, eur("20.00")) == (
            partly.status,
            partly.refundable,
        )
        assert (PaymentStatus.REFUNDED, eur("30.00"), 3) == (
            fully.status,
            fully.refunded,
            fully.version,
        )

    def test_a_refund_never_exceeds_what_was_captured(self) -> None:
        """AMOUNT_TOO_LARGE, even when the authorization was larger."""
        captured = run_payment(authorized(), Capture(eur("30.00")))

        error = payment_error(captured, RefundPayment(eur("30.01")))

        assert OrderErrorCode.AMOUNT_TOO_LARGE == error.code
        assert "EUR 30.01 is more than the EUR 30.00 left to refund." == error.message

    @pytest.mark.parametrize(
        ("amount", "code"),
        [
            (Money.of("1.00", USD), OrderErrorCode.CURRENCY_MISMATCH),
            (eur("0.00"), OrderErrorCode.INVALID_AMOUNT),
            (eur("1.001"), OrderErrorCode.INVALID_AMOUNT),
        ],
        ids=str,
    )
    def test_refund_amounts_are_checked(self, amount: Money, code: OrderErrorCode) -> None:
        """Currency first, then whole minor units above zero."""
        payment = in_status(PaymentStatus.CAPTURED)

        assert code == payment_error(payment, RefundPayment(amount)).code

    def test_capture_amounts_are_in_the_payment_currency(self) -> None:
        """CURRENCY_MISMATCH."""
        error = payment_error(authorized(), Capture(Money.of("1.00", USD)))

        assert (OrderErrorCode.CURRENCY_MISMATCH, "amount") == (error.code, error.field)
        assert "USD 1.00 is not in the order's currency, EUR." == error.message


class TestVoidAndFail:
    def test_voiding_an_authorization(self) -> None:
        """PaymentVoided; nothing was captured."""
        events = payment_events(authorized(), Void())
        payment = apply_payment_events(authorized(), events)

        assert (PaymentVoided(NOW),) == events
        assert (PaymentStatus.VOIDED, eur("0.00")) == (payment.status, payment.captured)

    def test_a_failed_authorization(self) -> None:
        """PaymentFailed, with the gateway's reason."""
        events = payment_events(authorized(), Fail("card declined"))

        assert (PaymentFailed(NOW, "card declined"),) == events
        assert PaymentStatus.FAILED == apply_payment_events(authorized(), events).status


class TestIllegalTransitions:
    @pytest.mark.parametrize(("status", "command"), ILLEGAL, ids=str)
    def test_a_command_outside_the_table_is_refused(
        self, status: PaymentStatus, command: PaymentCommand
    ) -> None:
        """ILLEGAL_TRANSITION for every status and command the table does not pair."""
        error = payment_error(in_status(status), command)

        assert (OrderErrorCode.ILLEGAL_TRANSITION, None) == (error.code, error.field)

    def test_a_naive_time_is_a_wiring_mistake(self) -> None:
        """A time without a UTC offset raises ValueError."""
        naive = datetime(2026, 12, 4, 10, 0)  # noqa: DTZ001 - naive on purpose

        with pytest.raises(ValueError, match="offset from UTC"):
            decide_payment(authorized(), Void(), naive)
