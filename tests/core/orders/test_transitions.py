"""The tables of transitions say what the deciders do."""

from __future__ import annotations

import typing

import pytest

from pulseshop.core.orders import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    OrderCommand,
    OrderStatus,
    PaymentCommand,
    PaymentStatus,
)

pytestmark = pytest.mark.unit


class TestOrderTransitions:
    def test_every_status_has_a_row_of_known_commands(self) -> None:
        """One row per status; every command appears in some row; targets are statuses."""
        commands = {command for row in ORDER_TRANSITIONS.values() for command in row}

        assert set(OrderStatus) == set(ORDER_TRANSITIONS)
        assert set(typing.get_args(OrderCommand)) == commands

    def test_final_statuses_take_no_command_and_every_status_is_reachable(self) -> None:
        """Cancelled and refunded have empty rows; each other status is some target."""
        targets = {
            status
            for row in ORDER_TRANSITIONS.values()
            for allowed in row.values()
            for status in allowed
        }

        assert {s for s in OrderStatus if not ORDER_TRANSITIONS[s]} == {
            s for s in OrderStatus if s.is_final
        }
        assert set(OrderStatus) - {OrderStatus.PENDING_PAYMENT} == targets


class TestPaymentTransitions:
    def test_every_status_has_a_row_of_known_commands(self) -> None:
        """One row per status; every command appears in some row."""
        commands = {command for row in PAYMENT_TRANSITIONS.values() for command in row}

        assert set(PaymentStatus) == set(PAYMENT_TRANSITIONS)
        assert set(typing.get_args(PaymentCommand)) == commands

    def test_every_status_but_authorized_is_reachable(self) -> None:
        """Each status other than the first is the target of some command."""
        targets = {
            status
            for row in PAYMENT_TRANSITIONS.values()
            for allowed in row.values()
            for status in allowed
        }

        assert set(PaymentStatus) - {PaymentStatus.AUTHORIZED} == targets
