"""The cart value: its helpers and when it counts as expired."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pulseshop.core.cart import EMPTY_CART, Cart, CartLine, is_expired
from pulseshop.core.money import EUR
from tests.core.cart._builders import NOW, later

pytestmark = pytest.mark.unit

HOUR = timedelta(hours=1)


class TestCart:
    def test_an_empty_cart_holds_nothing(self) -> None:
        """No lines, no units, no currency, version 0."""
        assert (True, 0, 0, None, 0) == (
            EMPTY_CART.is_empty,
            EMPTY_CART.units,
            EMPTY_CART.quantity_of("MUG-1"),
            EMPTY_CART.currency,
            EMPTY_CART.version,
        )

    def test_helpers_read_the_lines(self) -> None:
        """quantity_of a held SKU, units of all of them, skus in order."""
        cart = Cart(lines=(CartLine("B", 2), CartLine("A", 5)), currency=EUR)

        assert (2, 5, 7, ("B", "A"), False) == (
            cart.quantity_of("B"),
            cart.quantity_of("A"),
            cart.units,
            cart.skus,
            cart.is_empty,
        )


class TestIsExpired:
    def test_a_cart_expires_exactly_at_its_ttl(self) -> None:
        """Before ttl it is fresh; at ttl and after it is expired."""
        cart = Cart(updated_at=NOW)

        assert [False, True, True] == [
            is_expired(cart, NOW + HOUR - timedelta(microseconds=1), HOUR),
            is_expired(cart, NOW + HOUR, HOUR),
            is_expired(cart, later(120), HOUR),
        ]

    def test_a_cart_never_changed_never_expires(self) -> None:
        """No updated_at: not expired, however late."""
        assert not is_expired(EMPTY_CART, later(10**6), timedelta(0))

    def test_a_clock_behind_the_last_change_is_not_expired(self) -> None:
        """A now before updated_at is within any non-negative ttl."""
        assert not is_expired(Cart(updated_at=NOW), later(-5), timedelta(0))
