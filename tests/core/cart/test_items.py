"""Adding items, setting their quantities and removing them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import pytest

from pulseshop.core.cart import (
    EMPTY_CART,
    MAX_LINE_QUANTITY,
    MAX_LINES,
    AddItem,
    CartError,
    CartErrorCode,
    CartLine,
    ItemAdded,
    ItemRemoved,
    QuantitySet,
    RemoveItem,
    SetQuantity,
)
from pulseshop.core.money import EUR, USD, Money
from tests.core.cart._builders import MUG, NOW, PEN, TEA, add, error_of, events_of, run

if TYPE_CHECKING:
    from pulseshop.core.catalog import Product

pytestmark = pytest.mark.unit

RETIRED = attrs.evolve(MUG, active=False)
IN_DOLLARS = attrs.evolve(PEN, unit_price=Money.of("2.00", USD))


def _products(count: int) -> list[Product]:
    return [attrs.evolve(PEN, sku=f"PEN-{index}") for index in range(count)]


class TestAddItem:
    def test_adding_to_an_empty_cart_gives_one_event_with_the_products_currency(self) -> None:
        """The first product added sets the cart's currency."""
        events = events_of(EMPTY_CART, add("c-1", MUG, 2))

        assert (ItemAdded("c-1", NOW, "MUG-1", 2, EUR),) == events
        cart = run(add("c-1", MUG, 2))
        assert ((CartLine("MUG-1", 2),), EUR) == (cart.lines, cart.currency)

    def test_adding_a_held_sku_adds_to_its_quantity(self) -> None:
        """Units of a SKU the cart holds join its line; lines keep the order first added."""
        cart = run(add("c-1", MUG, 2), add("c-2", TEA), add("c-3", MUG, 3))

        assert (CartLine("MUG-1", 5), CartLine("TEA-1", 1)) == cart.lines

    @pytest.mark.parametrize("quantity", [0, -1, True, 1.5, "2", None])
    def test_a_quantity_must_be_an_int_of_at_least_one(self, quantity: object) -> None:
        """Zero, negatives, booleans, floats and strings are not quantities."""
        command = AddItem("c-1", "MUG-1", quantity, MUG)  # type: ignore[arg-type]

        error = error_of(EMPTY_CART, command)

        assert (CartErrorCode.INVALID_QUANTITY, "quantity") == (error.code, error.field)

    def test_an_unknown_sku_is_refused(self) -> None:
        """No product from the catalog: UNKNOWN_SKU, naming the SKU."""
        error = error_of(EMPTY_CART, AddItem("c-1", "MUG-9", 1, None))

        expected = CartError(
            CartErrorCode.UNKNOWN_SKU, "sku", "The catalog has no product 'MUG-9'."
        )
        assert expected == error

    def test_a_product_of_another_sku_counts_as_unknown(self) -> None:
        """The shell's product must be the product of the command's SKU."""
        assert CartErrorCode.UNKNOWN_SKU == error_of(EMPTY_CART, AddItem("c", "MUG-9", 1, MUG)).code

    def test_an_inactive_product_cannot_be_added(self) -> None:
        """A product no longer for sale is refused."""
        error = error_of(EMPTY_CART, add("c-1", RETIRED))

        assert (CartErrorCode.INACTIVE_PRODUCT, "sku") == (error.code, error.field)

    def test_a_product_in_another_currency_is_refused(self) -> None:
        """Lines in euros cannot take a product priced in dollars."""
        cart = run(add("c-1", MUG))

        error = error_of(cart, add("c-2", IN_DOLLARS))

        assert CartErrorCode.CURRENCY_MISMATCH == error.code
        assert "The cart is priced in EUR, which cannot be mixed with USD." == error.message

    def test_a_line_may_reach_the_limit_but_not_pass_it(self) -> None:
        """999 units of one SKU fit; one more is QUANTITY_TOO_LARGE."""
        cart = run(add("c-1", MUG, MAX_LINE_QUANTITY - 1), add("c-2", MUG))

        error = error_of(cart, add("c-3", MUG))

        assert MAX_LINE_QUANTITY == cart.quantity_of("MUG-1")
        assert (CartErrorCode.QUANTITY_TOO_LARGE, "quantity") == (error.code, error.field)

    def test_a_full_cart_takes_more_units_but_no_new_sku(self) -> None:
        """At MAX_LINES SKUs a held SKU still grows; a new one is TOO_MANY_LINES."""
        products = _products(MAX_LINES)
        cart = run(*(add(f"c-{p.sku}", p) for p in products))

        grown = run(add("c-more", products[0]), cart=cart)
        error = error_of(cart, add("c-new", MUG))

        assert 2 == grown.quantity_of("PEN-0")
        assert (CartErrorCode.TOO_MANY_LINES, "sku") == (error.code, error.field)

    def test_checks_run_in_the_documented_order(self) -> None:
        """A command wrong in every way gets the first error of its row."""
        assert (
            CartErrorCode.INVALID_QUANTITY == error_of(EMPTY_CART, AddItem("c", "X", 0, None)).code
        )
        assert CartErrorCode.UNKNOWN_SKU == error_of(EMPTY_CART, AddItem("c", "X", 1000, None)).code
        retired_dollars = attrs.evolve(IN_DOLLARS, active=False)
        cart = run(add("c-1", MUG))
        assert CartErrorCode.INACTIVE_PRODUCT == error_of(cart, add("c", retired_dollars)).code
        assert CartErrorCode.CURRENCY_MISMATCH == error_of(cart, add("c", IN_DOLLARS, 1000)).code


class TestSetQuantity:
    def test_setting_a_quantity_replaces_it(self) -> None:
        """The line holds exactly the new quantity, in its place."""
        cart = run(add("c-1", MUG, 2), add("c-2", TEA))

        events = events_of(cart, SetQuantity("c-3", "MUG-1", 7, MUG))

        assert (QuantitySet("c-3", NOW, "MUG-1", 7),) == events
        changed = run(SetQuantity("c-3", "MUG-1", 7, MUG), cart=cart)
        assert (CartLine("MUG-1", 7), CartLine("TEA-1", 1)) == changed.lines

    def test_setting_the_held_quantity_changes_nothing(self) -> None:
        """The same quantity again gives no event."""
        cart = run(add("c-1", MUG, 2))

        assert () == events_of(cart, SetQuantity("c-2", "MUG-1", 2, MUG))

    @pytest.mark.parametrize("quantity", [0, -3, False])
    def test_zero_is_not_a_quantity_to_set(self, quantity: int) -> None:
        """Removing is RemoveItem's job: SetQuantity needs 1 or more."""
        cart = run(add("c-1", MUG))

        error = error_of(cart, SetQuantity("c-2", "MUG-1", quantity, MUG))

        assert CartErrorCode.INVALID_QUANTITY == error.code

    def test_a_quantity_above_the_limit_is_refused(self) -> None:
        """1000 units of one SKU are too many."""
        cart = run(add("c-1", MUG))

        error = error_of(cart, SetQuantity("c-2", "MUG-1", MAX_LINE_QUANTITY + 1, MUG))

        assert (CartErrorCode.QUANTITY_TOO_LARGE, "quantity") == (error.code, error.field)

    def test_a_sku_the_cart_does_not_hold_is_refused(self) -> None:
        """SetQuantity changes a line; it does not add one."""
        error = error_of(EMPTY_CART, SetQuantity("c-1", "MUG-1", 2, MUG))

        assert (CartErrorCode.NOT_IN_CART, "sku") == (error.code, error.field)

    def test_a_product_gone_from_the_catalog_is_refused(self) -> None:
        """Without its product a line's quantity cannot change; it can be removed."""
        cart = run(add("c-1", MUG, 2))

        error = error_of(cart, SetQuantity("c-2", "MUG-1", 1, None))

        assert CartErrorCode.UNKNOWN_SKU == error.code

    def test_an_inactive_product_may_only_go_down(self) -> None:
        """Lowering is allowed; raising is INACTIVE_PRODUCT; the same quantity is nothing."""
        cart = run(add("c-1", MUG, 5))

        lowered = events_of(cart, SetQuantity("c-2", "MUG-1", 3, RETIRED))
        error = error_of(cart, SetQuantity("c-3", "MUG-1", 6, RETIRED))

        assert (QuantitySet("c-2", NOW, "MUG-1", 3),) == lowered
        assert (CartErrorCode.INACTIVE_PRODUCT, "sku") == (error.code, error.field)
        assert () == events_of(cart, SetQuantity("c-4", "MUG-1", 5, RETIRED))

    def test_a_product_repriced_in_another_currency_is_refused(self) -> None:
        """The line's product now in dollars does not fit a euro cart."""
        cart = run(add("c-1", MUG))
        repriced = attrs.evolve(MUG, unit_price=Money.of("13.00", USD))

        error = error_of(cart, SetQuantity("c-2", "MUG-1", 2, repriced))

        assert CartErrorCode.CURRENCY_MISMATCH == error.code


class TestRemoveItem:
    def test_removing_a_line_keeps_the_others_in_order(self) -> None:
        """One event; the other lines and the currency stay."""
        cart = run(add("c-1", MUG), add("c-2", TEA), add("c-3", PEN))

        events = events_of(cart, RemoveItem("c-4", "TEA-1"))
        after = run(RemoveItem("c-4", "TEA-1"), cart=cart)

        assert (ItemRemoved("c-4", NOW, "TEA-1"),) == events
        assert ("MUG-1", "PEN-1") == after.skus
        assert EUR == after.currency

    def test_removing_the_last_line_forgets_the_currency(self) -> None:
        """An emptied cart takes the next product's currency."""
        cart = run(add("c-1", MUG), RemoveItem("c-2", "MUG-1"), add("c-3", IN_DOLLARS))

        assert (USD, 1) == (cart.currency, cart.units)

    def test_removing_a_sku_not_in_the_cart_is_refused(self) -> None:
        """NOT_IN_CART names the SKU."""
        error = error_of(run(add("c-1", MUG)), RemoveItem("c-2", "TEA-1"))

        assert CartError(CartErrorCode.NOT_IN_CART, "sku", "The cart holds no 'TEA-1'.") == error
