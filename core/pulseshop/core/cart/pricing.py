"""From a cart to a quote request: the catalog's prices for its lines, its coupons.

The cart holds SKUs and quantities; the catalog knows their prices. `quote_request` puts
the two together into the `QuoteRequest` that `pulseshop.core.pricing.quote` prices, with
each line's unit price taken from the product's volume tiers for its quantity.

>>> from datetime import UTC, datetime
>>> from pulseshop.core.cart import Cart, CartLine
>>> from pulseshop.core.catalog import Product
>>> from pulseshop.core.money import EUR, Money
>>> from pulseshop.core.pricing import Tier, quote
>>> mug = Product("MUG-1", "Mug", Money.of("12.00", EUR), "standard",
...               tiers=(Tier(6, Money.of("10.00", EUR)),))
>>> cart = Cart(lines=(CartLine("MUG-1", 6),), currency=EUR)
>>> request = quote_request(cart, {"MUG-1": mug}, at=datetime(2026, 12, 4, tzinfo=UTC),
...                         currency=EUR, tax_policy=TaxPolicy.flat({"standard": "0.20"}))
>>> request.lines
(Line(sku='MUG-1', unit_price=EUR 10.00, quantity=6, tax_category='standard', category=None),)
>>> quote(request).unwrap().total
EUR 72.00
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pulseshop.core.money import RoundingPolicy
from pulseshop.core.pricing.request import Customer, Line, QuoteRequest
from pulseshop.core.pricing.tax import TaxPolicy, Zone

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from pulseshop.core.cart.state import Cart
    from pulseshop.core.catalog import Product
    from pulseshop.core.money import Currency, Money
    from pulseshop.core.pricing.rules import PriceRule

__all__ = ["quote_request", "unit_price_at"]

# The defaults of `quote_request`: those of `QuoteRequest`, as named values.
NO_TAXES: Final = TaxPolicy(())
DEFAULT_ROUNDING: Final = RoundingPolicy()
ANY_CUSTOMER: Final = Customer()
ANYWHERE: Final = Zone()


def unit_price_at(product: Product, quantity: int) -> Money:
    """What one unit of ``product`` costs when ``quantity`` units are bought together.

    The lowest price among the tiers whose ``min_quantity`` the quantity reaches; the
    product's unit price when it reaches none.

    >>> from pulseshop.core.catalog import Product
    >>> from pulseshop.core.money import EUR, Money
    >>> from pulseshop.core.pricing import Tier
    >>> tiers = (Tier(6, Money.of("10.00", EUR)), Tier(12, Money.of("9.00", EUR)))
    >>> mug = Product("MUG-1", "Mug", Money.of("12.00", EUR), "standard", tiers=tiers)
    >>> [unit_price_at(mug, quantity) for quantity in (1, 5, 6, 11, 12, 500)]
    [EUR 12.00, EUR 12.00, EUR 10.00, EUR 10.00, EUR 9.00, EUR 9.00]
    """
    reached = [tier.unit_price for tier in product.tiers if tier.min_quantity <= quantity]
    return min(reached) if reached else product.unit_price


def quote_request(
    cart: Cart,
    products: Mapping[str, Product],
    *,
    at: datetime,
    currency: Currency,
    tax_policy: TaxPolicy = NO_TAXES,
    rules: tuple[PriceRule, ...] = (),
    rounding: RoundingPolicy = DEFAULT_ROUNDING,
    customer: Customer = ANY_CUSTOMER,
    destination: Zone = ANYWHERE,
) -> QuoteRequest:
    """The quote request for ``cart``, priced from ``products`` (the catalog, by SKU).

    Lines whose SKU ``products`` does not hold are left out (the catalog dropped them);
    the others keep the cart's order, inactive products included: the cart still holds
    them. The cart's coupons are the request's coupons. A product priced in another
    currency than ``currency`` is passed on as it is, and `quote` refuses the request.

    >>> from datetime import UTC, datetime
    >>> from pulseshop.core.cart import Cart, CartLine
    >>> from pulseshop.core.money import EUR
    >>> cart = Cart(lines=(CartLine("GONE-1", 1),), coupons=("WINTER10",), currency=EUR)
    >>> request = quote_request(cart, {}, at=datetime(2026, 12, 4, tzinfo=UTC), currency=EUR)
    >>> request.lines, request.coupons
    ((), ('WINTER10',))
    """
    lines = tuple(
        Line(
            line.sku,
            unit_price_at(product, line.quantity),
            line.quantity,
            product.tax_category,
            product.category,
        )
        for line in cart.lines
        if (product := products.get(line.sku)) is not None
    )
    return QuoteRequest(
        currency=currency,
        lines=lines,
        at=at,
        tax_policy=tax_policy,
        rounding=rounding,
        rules=rules,
        coupons=cart.coupons,
        customer=customer,
        destination=destination,
    )
