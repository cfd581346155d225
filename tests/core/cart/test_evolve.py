"""Applying events: contents, version, times and remembered command ids."""

from __future__ import annotations

import pytest

from pulseshop.core.cart import (
    EMPTY_CART,
    REMEMBERED_COMMANDS,
    Cart,
    CartLine,
    CouponApplied,
    ItemAdded,
    QuantitySet,
    apply_all,
    evolve,
)
from pulseshop.core.money import EUR
from tests.core.cart._builders import NOW, later

pytestmark = pytest.mark.unit


class TestBookkeeping:
    def test_the_first_event_sets_both_times(self) -> None:
        """created_at and updated_at are the first event's time; version is 1."""
        cart = evolve(EMPTY_CART, CouponApplied("c-1", NOW, "W"))

        assert (1, NOW, NOW, ("c-1",)) == (
            cart.version,
            cart.created_at,
            cart.updated_at,
            cart.recent_commands,
        )

    def test_later_events_move_only_updated_at(self) -> None:
        """created_at stays the first event's time."""
        cart = apply_all(
            EMPTY_CART,
            [CouponApplied("c-1", NOW, "A"), CouponApplied("c-2", later(3), "B")],
        )

        assert (2, NOW, later(3)) == (cart.version, cart.created_at, cart.updated_at)

    def test_only_the_last_command_ids_are_remembered(self) -> None:
        """After more than REMEMBERED_COMMANDS events the oldest ids are forgotten."""
        count = REMEMBERED_COMMANDS + 5
        events = [CouponApplied(f"c-{i}", NOW, f"C{i}") for i in range(count)]

        cart = apply_all(EMPTY_CART, events)

        assert count == cart.version
        expected = tuple(f"c-{i}" for i in range(5, count))
        assert expected == cart.recent_commands


class TestContents:
    def test_quantity_set_changes_only_its_line(self) -> None:
        """The other lines keep their quantities and places."""
        cart = Cart(lines=(CartLine("A", 1), CartLine("B", 2)), currency=EUR)

        after = evolve(cart, QuantitySet("c-1", NOW, "A", 9))

        assert (CartLine("A", 9), CartLine("B", 2)) == after.lines

    def test_the_cart_keeps_its_first_currency(self) -> None:
        """An added line's currency only matters to a cart without one."""
        cart = apply_all(
            EMPTY_CART, [ItemAdded("c-1", NOW, "A", 1, EUR), ItemAdded("c-2", NOW, "B", 1, EUR)]
        )

        assert (EUR, 2) == (cart.currency, cart.units)
