"""Applying and removing coupons."""

from __future__ import annotations

import pytest

from pulseshop.core.cart import (
    EMPTY_CART,
    ApplyCoupon,
    CartErrorCode,
    CouponApplied,
    CouponRemoved,
    RemoveCoupon,
    RemoveItem,
)
from tests.core.cart._builders import MUG, NOW, add, error_of, events_of, run

pytestmark = pytest.mark.unit


class TestApplyCoupon:
    def test_a_known_code_is_applied_upper_cased(self) -> None:
        """Codes compare without case or blanks, so the cart keeps them upper-cased."""
        events = events_of(EMPTY_CART, ApplyCoupon("c-1", " winter10 ", known=True))

        assert (CouponApplied("c-1", NOW, "WINTER10"),) == events

    def test_coupons_keep_the_order_they_were_applied_in(self) -> None:
        """A second code goes after the first."""
        cart = run(ApplyCoupon("c-1", "b", known=True), ApplyCoupon("c-2", "a", known=True))

        assert ("B", "A") == cart.coupons

    def test_a_code_already_applied_changes_nothing(self) -> None:
        """The same code in any case gives no event: there is nothing to change."""
        cart = run(ApplyCoupon("c-1", "WINTER10", known=True))

        assert () == events_of(cart, ApplyCoupon("c-2", "winter10", known=True))

    @pytest.mark.parametrize(("code", "known"), [("NOPE", False), ("  ", True), ("", True)])
    def test_an_unknown_or_blank_code_is_refused(self, code: str, *, known: bool) -> None:
        """UNKNOWN_COUPON names the code field."""
        error = error_of(EMPTY_CART, ApplyCoupon("c-1", code, known=known))

        assert (CartErrorCode.UNKNOWN_COUPON, "code") == (error.code, error.field)

    def test_an_applied_code_no_longer_known_is_refused(self) -> None:
        """The checks come before the 'nothing to change' rule."""
        cart = run(ApplyCoupon("c-1", "WINTER10", known=True))

        assert (
            CartErrorCode.UNKNOWN_COUPON
            == error_of(cart, ApplyCoupon("c-2", "WINTER10", known=False)).code
        )

    def test_coupons_outlive_the_last_line(self) -> None:
        """Removing the last item keeps the coupons for the next one."""
        cart = run(add("c-1", MUG), ApplyCoupon("c-2", "W", known=True), RemoveItem("c-3", "MUG-1"))

        assert (True, ("W",)) == (cart.is_empty, cart.coupons)


class TestRemoveCoupon:
    def test_an_applied_code_is_removed_whatever_its_case(self) -> None:
        """One event with the stored code; the other coupons stay."""
        cart = run(ApplyCoupon("c-1", "A", known=True), ApplyCoupon("c-2", "B", known=True))

        events = events_of(cart, RemoveCoupon("c-3", " a"))
        after = run(RemoveCoupon("c-3", "a"), cart=cart)

        assert (CouponRemoved("c-3", NOW, "A"),) == events
        assert ("B",) == after.coupons

    def test_a_code_not_applied_is_refused(self) -> None:
        """COUPON_NOT_APPLIED names the code field."""
        error = error_of(EMPTY_CART, RemoveCoupon("c-1", "WINTER10"))

        assert (CartErrorCode.COUPON_NOT_APPLIED, "code") == (error.code, error.field)
        assert "The cart has no coupon 'WINTER10'." == error.message
