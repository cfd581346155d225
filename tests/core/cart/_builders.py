"""Small builders for cart tests: products, moments, and carts made by running commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import attrs

from pulseshop.core.cart import EMPTY_CART, AddItem, Cart, apply_all, decide
from pulseshop.core.catalog import Product
from pulseshop.core.money import EUR, Money
from pulseshop.core.pricing import Tier

if TYPE_CHECKING:
    from pulseshop.core.cart import CartCommand, CartError, CartEvent

NOW: Final = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
"""The moment every test acts at unless it says otherwise."""

MUG: Final = Product("MUG-1", "Stoneware mug", Money.of("12.00", EUR), "standard", 40, "kitchen")
TEA: Final = Product("TEA-1", "Green tea", Money.of("4.50", EUR), "reduced", 10, "tea")
PEN: Final = Product("PEN-1", "Pen", Money.of("2.00", EUR), "standard", 100)
TIERED: Final = attrs.evolve(
    MUG, tiers=(Tier(6, Money.of("10.00", EUR)), Tier(12, Money.of("9.00", EUR)))
)


def later(minutes: int) -> datetime:
    """``minutes`` after NOW."""
    return NOW + timedelta(minutes=minutes)


def add(command_id: str, product: Product, quantity: int = 1) -> AddItem:
    """Add ``quantity`` units of ``product`` to a cart."""
    return AddItem(command_id, product.sku, quantity, product)


def events_of(cart: Cart, command: CartCommand, now: datetime = NOW) -> tuple[CartEvent, ...]:
    """The events of a command that must be accepted."""
    return decide(cart, command, now).unwrap()


def error_of(cart: Cart, command: CartCommand, now: datetime = NOW) -> CartError:
    """The error of a command that must be refused."""
    return decide(cart, command, now).failure()


def run(*commands: CartCommand, cart: Cart = EMPTY_CART, now: datetime = NOW) -> Cart:
    """The cart after ``commands``, each of which must be accepted."""
    for command in commands:
        cart = apply_all(cart, events_of(cart, command, now))
    return cart
