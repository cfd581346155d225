"""The shop's pricing file: the demo one, and what a bad one is told."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from pulseshop.core.cart import EMPTY_CART, AddItem, apply_all, decide
from pulseshop.core.catalog import Product
from pulseshop.core.money import EUR, Money
from pulseshop.shell.carts.pricing import load_shop_pricing
from pulseshop.shell.errors import ShellError

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
TEA = Product("TEA-1", "Tea", Money.of("8.90", EUR), "reduced", stock=5, category="tea")


class TestDemoPricing:
    def test_the_demo_pricing_knows_its_coupons_in_any_case(self) -> None:
        """WELCOME10 and TEATIME are the demo shop's coupons."""
        pricing = load_shop_pricing(None)

        assert frozenset({"WELCOME10", "TEATIME"}) == pricing.coupon_codes
        assert pricing.knows_coupon("welcome10")
        assert not pricing.knows_coupon("WELCOME")

    def test_a_cart_is_quoted_with_the_shops_taxes_and_shipping(self) -> None:
        """Two teas: 17.80 at 5.5% tax, and 4.90 shipping under the free shipping threshold."""
        cart = apply_all(
            EMPTY_CART, decide(EMPTY_CART, AddItem("c", "TEA-1", 2, TEA), NOW).unwrap()
        )

        quoted = load_shop_pricing(None).quote(cart, {"TEA-1": TEA}, user_id=1, now=NOW)

        assert quoted is not None
        assert (Money.of("17.80", EUR), Money.of("0.98", EUR)) == (
            quoted.subtotal,
            quoted.tax_total,
        )
        assert Money.of("4.90", EUR) == quoted.shipping_total

    def test_an_empty_cart_has_no_quote(self) -> None:
        """Nothing to price: no quote rather than an error."""
        assert load_shop_pricing(None).quote(EMPTY_CART, {}, user_id=1, now=NOW) is None


class TestBadPricingFiles:
    def test_a_missing_file_is_named(self, tmp_path: Path) -> None:
        """The message names the file."""
        with pytest.raises(ShellError, match=r"cannot read the pricing file .*nope\.json"):
            load_shop_pricing(tmp_path / "nope.json")

    def test_a_file_that_is_not_json_gives_line_and_column(self, tmp_path: Path) -> None:
        """A JSON syntax error says where."""
        path = tmp_path / "pricing.json"
        path.write_text('{"currency": "EUR",\n  oops}')

        with pytest.raises(ShellError, match=r"is not JSON: .* at line 2, column 3"):
            load_shop_pricing(path)

    def test_an_invalid_request_lists_each_problem_with_its_path(self, tmp_path: Path) -> None:
        """A request the pricing contract refuses names the paths."""
        path = tmp_path / "pricing.json"
        path.write_text('{"currency": "EURO", "lines": [], "at": "2026-12-04T10:00:00Z"}')

        with pytest.raises(ShellError, match="not a valid quote request: currency: "):
            load_shop_pricing(path)
