"""Pricing a cart: tier prices and the quote request its lines make."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from pulseshop.core.cart import ApplyCoupon, quote_request, unit_price_at
from pulseshop.core.money import EUR, Money, RoundingMode, RoundingPolicy
from pulseshop.core.pricing import (
    Customer,
    Line,
    PercentOffOrder,
    PriceRule,
    QuoteRequest,
    TaxPolicy,
    Tier,
    Zone,
    quote,
)
from tests.core.cart._builders import MUG, NOW, TEA, TIERED, add, run

pytestmark = pytest.mark.unit


def eur(amount: str) -> Money:
    return Money.of(amount, EUR)


class TestUnitPriceAt:
    @pytest.mark.parametrize(
        ("quantity", "price"), [(1, "12.00"), (5, "12.00"), (6, "10.00"), (12, "9.00")]
    )
    def test_the_reached_tier_sets_the_price(self, quantity: int, price: str) -> None:
        """Below the first tier the unit price; from a tier's quantity on its price."""
        assert eur(price) == unit_price_at(TIERED, quantity)

    def test_the_lowest_reached_price_wins_whatever_the_tier_order(self) -> None:
        """Tiers out of order still give the lowest price reached."""
        odd = attrs.evolve(MUG, tiers=(Tier(12, eur("9.00")), Tier(6, eur("10.00"))))

        assert eur("9.00") == unit_price_at(odd, 20)


class TestQuoteRequest:
    def test_lines_coupons_and_policies_go_into_the_request(self) -> None:
        """Each known line with its price at its quantity, categories and the cart's coupons."""
        cart = run(add("c-1", TIERED, 6), add("c-2", TEA), ApplyCoupon("c-3", "W", known=True))
        policy = TaxPolicy.flat({"standard": "0.20", "reduced": "0.05"})
        rule = PriceRule("ten-off", PercentOffOrder(Decimal(10)))
        rounding = RoundingPolicy(RoundingMode.HALF_UP)
        customer = Customer(id="u-1")

        request = quote_request(
            cart,
            {"MUG-1": TIERED, "TEA-1": TEA},
            at=NOW,
            currency=EUR,
            tax_policy=policy,
            rules=(rule,),
            rounding=rounding,
            customer=customer,
            destination=Zone("FR"),
        )

        lines = (
            Line("MUG-1", eur("10.00"), 6, "standard", "kitchen"),
            Line("TEA-1", eur("4.50"), 1, "reduced", "tea"),
        )
        expected = QuoteRequest(
            currency=EUR,
            lines=lines,
            at=NOW,
            tax_policy=policy,
            rounding=rounding,
            rules=(rule,),
            coupons=("W",),
            customer=customer,
            destination=Zone("FR"),
        )
        assert expected == request

    def test_lines_the_catalog_no_longer_has_are_left_out(self) -> None:
        """Only lines with a product are priced; the defaults are QuoteRequest's."""
        cart = run(add("c-1", MUG), add("c-2", TEA))

        request = quote_request(cart, {"TEA-1": TEA}, at=NOW, currency=EUR)

        expected = QuoteRequest(
            currency=EUR, lines=(Line("TEA-1", eur("4.50"), 1, "reduced", "tea"),), at=NOW
        )
        assert expected == request

    def test_the_request_prices(self) -> None:
        """The request is one `quote` takes."""
        cart = run(add("c-1", TIERED, 6))
        policy = TaxPolicy.flat({"standard": "0.20"})

        priced = quote(
            quote_request(cart, {"MUG-1": TIERED}, at=NOW, currency=EUR, tax_policy=policy)
        )

        assert eur("72.00") == priced.unwrap().total
