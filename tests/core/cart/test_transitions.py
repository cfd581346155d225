"""The table of transitions says what the decider does."""

from __future__ import annotations

import typing

import pytest

from pulseshop.core.cart import TRANSITIONS, CartCommand, CartErrorCode, CartEvent

pytestmark = pytest.mark.unit


class TestTransitions:
    def test_every_command_has_a_row_and_every_event_a_command(self) -> None:
        """The table's keys are the commands; its events are the events, once each."""
        events = [row.event for row in TRANSITIONS.values()]

        assert set(typing.get_args(CartCommand)) == set(TRANSITIONS)
        assert set(typing.get_args(CartEvent)) == set(events)
        assert len(events) == len(set(events))

    def test_every_error_code_can_be_given_and_ids_are_checked_first(self) -> None:
        """Each code is in some row; each row starts with INVALID_COMMAND_ID, once."""
        codes = {code for row in TRANSITIONS.values() for code in row.errors}

        assert set(CartErrorCode) == codes
        for row in TRANSITIONS.values():
            assert CartErrorCode.INVALID_COMMAND_ID == row.errors[0]
            assert len(row.errors) == len(set(row.errors))
