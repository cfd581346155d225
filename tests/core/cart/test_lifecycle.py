"""Clearing, merging and expiring carts; command ids and retries."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import pytest

from pulseshop.core.cart import (
    EMPTY_CART,
    MAX_COMMAND_ID,
    MAX_LINE_QUANTITY,
    MAX_LINES,
    ApplyCoupon,
    CartCleared,
    CartErrorCode,
    CartExpired,
    CartLine,
    CartMerged,
    ClearCart,
    ExpireCart,
    MergeCart,
    RemoveItem,
    SetQuantity,
    decide,
)
from pulseshop.core.money import EUR, USD
from tests.core.cart._builders import (
    MUG,
    NOW,
    PEN,
    TEA,
    add,
    error_of,
    events_of,
    later,
    run,
)

pytestmark = pytest.mark.unit

DAY = timedelta(days=1)


class TestClearCart:
    def test_clearing_takes_lines_coupons_and_currency(self) -> None:
        """One event; the cart keeps only its history (version, times, command ids)."""
        cart = run(add("c-1", MUG), ApplyCoupon("c-2", "W", known=True))

        events = events_of(cart, ClearCart("c-3"), later(5))
        cleared = run(ClearCart("c-3"), cart=cart, now=later(5))

        assert (CartCleared("c-3", later(5)),) == events
        assert ((), (), None) == (cleared.lines, cleared.coupons, cleared.currency)
        assert (3, NOW, later(5)) == (cleared.version, cleared.created_at, cleared.updated_at)

    def test_clearing_a_cart_with_only_coupons_takes_them(self) -> None:
        """Coupons alone are something to clear."""
        cart = run(ApplyCoupon("c-1", "W", known=True))

        assert (CartCleared("c-2", NOW),) == events_of(cart, ClearCart("c-2"))

    def test_clearing_an_empty_cart_changes_nothing(self) -> None:
        """No lines, no coupons: no event."""
        assert () == events_of(EMPTY_CART, ClearCart("c-1"))


class TestMergeCart:
    def test_units_of_a_sku_add_up_and_new_skus_come_after(self) -> None:
        """Merging keeps this cart's order, then the guest's new SKUs in its order."""
        cart = run(add("c-1", MUG, 2), add("c-2", TEA))
        guest = (CartLine("PEN-1", 4), CartLine("MUG-1", 3))

        merged = run(MergeCart("c-3", guest, (), EUR), cart=cart)

        expected = (CartLine("MUG-1", 5), CartLine("TEA-1", 1), CartLine("PEN-1", 4))
        assert expected == merged.lines

    def test_a_guests_lines_of_one_sku_add_up(self) -> None:
        """The event holds one line per SKU, in the order first seen."""
        guest = (CartLine("PEN-1", 1), CartLine("MUG-1", 2), CartLine("PEN-1", 3))

        events = events_of(EMPTY_CART, MergeCart("c-1", guest, (), EUR))

        lines = (CartLine("PEN-1", 4), CartLine("MUG-1", 2))
        assert (CartMerged("c-1", NOW, lines, (), EUR),) == events

    def test_coupons_join_without_duplicates(self) -> None:
        """The guest's codes are upper-cased and come after this cart's, once each."""
        cart = run(ApplyCoupon("c-1", "A", known=True))

        merged = run(MergeCart("c-2", (), ("b", "a", "B"), None), cart=cart)

        assert ("A", "B") == merged.coupons
        assert merged.is_empty
        assert merged.currency is None

    def test_an_empty_cart_takes_the_guests_currency(self) -> None:
        """A merged cart's currency is its own, or the guest's when it had none."""
        merged = run(MergeCart("c-1", (CartLine("PEN-1", 1),), (), USD))

        assert USD == merged.currency

    def test_the_guests_currency_without_lines_is_ignored(self) -> None:
        """A guest cart of coupons only has no currency to mix up."""
        cart = run(add("c-1", MUG))

        [event] = events_of(cart, MergeCart("c-2", (), ("A",), USD))

        assert isinstance(event, CartMerged)
        assert event.currency is None
        assert EUR == run(MergeCart("c-2", (), ("A",), USD), cart=cart).currency

    def test_merging_nothing_new_changes_nothing(self) -> None:
        """No lines and only coupons the cart has: no event."""
        cart = run(ApplyCoupon("c-1", "A", known=True))

        assert () == events_of(cart, MergeCart("c-2", (), ("a",), None))

    @pytest.mark.parametrize("sku", ["", "mug-1", "MUG 1", 7])
    def test_a_guest_line_must_name_a_sku(self, sku: object) -> None:
        """A malformed SKU is UNKNOWN_SKU at its line's path."""
        lines = (CartLine("MUG-1", 1), CartLine(sku, 1))  # type: ignore[arg-type]

        error = error_of(EMPTY_CART, MergeCart("c-1", lines, (), EUR))

        assert (CartErrorCode.UNKNOWN_SKU, "lines[1].sku") == (error.code, error.field)

    def test_a_guest_line_must_have_a_quantity(self) -> None:
        """INVALID_QUANTITY at the line's path."""
        lines = (CartLine("MUG-1", 1), CartLine("TEA-1", 0))

        error = error_of(EMPTY_CART, MergeCart("c-1", lines, (), EUR))

        assert (CartErrorCode.INVALID_QUANTITY, "lines[1].quantity") == (error.code, error.field)

    def test_a_blank_guest_coupon_is_refused(self) -> None:
        """UNKNOWN_COUPON at the coupon's path."""
        error = error_of(EMPTY_CART, MergeCart("c-1", (), ("A", " "), None))

        assert (CartErrorCode.UNKNOWN_COUPON, "coupons[1]") == (error.code, error.field)

    def test_guest_lines_in_another_currency_are_refused(self) -> None:
        """Dollars do not merge into euros."""
        cart = run(add("c-1", MUG))

        error = error_of(cart, MergeCart("c-2", (CartLine("PEN-1", 1),), (), USD))

        assert (CartErrorCode.CURRENCY_MISMATCH, "currency") == (error.code, error.field)

    def test_guest_lines_must_say_their_currency(self) -> None:
        """Lines without a currency cannot be merged, even into an empty cart."""
        error = error_of(EMPTY_CART, MergeCart("c-1", (CartLine("PEN-1", 1),), (), None))

        assert (CartErrorCode.CURRENCY_MISMATCH, "currency") == (error.code, error.field)

    def test_a_merged_line_may_not_pass_the_limit(self) -> None:
        """The sum of both carts' units counts, named at the guest's first line of the SKU."""
        cart = run(add("c-1", MUG, MAX_LINE_QUANTITY))
        guest = (CartLine("TEA-1", 1), CartLine("MUG-1", 1))

        error = error_of(cart, MergeCart("c-2", guest, (), EUR))

        assert (CartErrorCode.QUANTITY_TOO_LARGE, "lines[1].quantity") == (
            error.code,
            error.field,
        )

    def test_a_merged_cart_may_not_pass_the_line_limit(self) -> None:
        """Held SKUs do not count twice; new ones beyond MAX_LINES are TOO_MANY_LINES."""
        cart = run(*(add(f"c-{i}", attrs.evolve(PEN, sku=f"PEN-{i}")) for i in range(MAX_LINES)))
        held = tuple(CartLine(f"PEN-{i}", 1) for i in range(MAX_LINES))

        fits = events_of(cart, MergeCart("c-a", held, (), EUR))
        error = error_of(cart, MergeCart("c-b", (CartLine("MUG-1", 1),), (), EUR))

        assert 1 == len(fits)
        assert (CartErrorCode.TOO_MANY_LINES, "lines") == (error.code, error.field)


class TestExpireCart:
    def test_a_cart_left_for_its_ttl_is_emptied(self) -> None:
        """Exactly ttl after its last change the cart expires."""
        cart = run(add("c-1", MUG), ApplyCoupon("c-2", "W", known=True))

        events = events_of(cart, ExpireCart("c-3", DAY), NOW + DAY)
        expired = run(ExpireCart("c-3", DAY), cart=cart, now=NOW + DAY)

        assert (CartExpired("c-3", NOW + DAY),) == events
        assert ((), (), None) == (expired.lines, expired.coupons, expired.currency)
        assert (3, NOW + DAY) == (expired.version, expired.updated_at)

    def test_a_cart_changed_within_its_ttl_is_refused(self) -> None:
        """NOT_EXPIRED names the ttl."""
        cart = run(add("c-1", MUG))

        error = error_of(cart, ExpireCart("c-2", DAY), NOW + DAY - timedelta(microseconds=1))

        assert (CartErrorCode.NOT_EXPIRED, "ttl") == (error.code, error.field)
        assert "The cart was last changed less than 1 day, 0:00:00 ago." == error.message

    def test_an_emptied_cart_past_its_ttl_still_expires(self) -> None:
        """It has been used, so expiring resets its clock."""
        cart = run(add("c-1", MUG), RemoveItem("c-2", "MUG-1"))

        assert (CartExpired("c-3", NOW + DAY),) == events_of(
            cart, ExpireCart("c-3", DAY), NOW + DAY
        )

    def test_a_cart_never_used_has_nothing_to_expire(self) -> None:
        """No event ever touched it: no event, no error."""
        assert () == events_of(EMPTY_CART, ExpireCart("c-1", DAY), NOW + 10 * DAY)


class TestCommandIds:
    def test_a_retried_command_changes_nothing_even_when_it_would_now_fail(self) -> None:
        """A remembered id gives Success(()), whatever the command says."""
        cart = run(add("c-1", MUG), RemoveItem("c-2", "MUG-1"))

        assert () == events_of(cart, RemoveItem("c-2", "MUG-1"))
        assert () == events_of(cart, add("c-1", MUG, 5))

    @pytest.mark.parametrize("command_id", ["", "x" * (MAX_COMMAND_ID + 1), None])
    def test_an_id_must_have_1_to_100_characters(self, command_id: str) -> None:
        """INVALID_COMMAND_ID is checked before anything the command says."""
        error = error_of(EMPTY_CART, SetQuantity(command_id, "MUG-1", 0, None))

        assert (CartErrorCode.INVALID_COMMAND_ID, "command_id") == (error.code, error.field)

    def test_an_id_of_100_characters_is_fine(self) -> None:
        """The limit itself is allowed."""
        assert 1 == len(events_of(EMPTY_CART, add("x" * MAX_COMMAND_ID, MUG)))

    def test_now_must_say_its_offset(self) -> None:
        """A naive time is the caller's mistake: it raises."""
        naive = datetime(2026, 12, 4, 10, 0)  # noqa: DTZ001 - a moment without an offset is what is tested

        with pytest.raises(ValueError, match="offset from UTC"):
            decide(EMPTY_CART, ClearCart("c-1"), naive)
