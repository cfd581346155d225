"""The shop's pricing: the taxes, rules and rounding every cart is quoted with.

The shop's pricing file is a quote request in the JSON contract (`docs/schemas/`), so
`pulseshop price` prices it as it stands. A cart's quote takes everything from it but the
lines, the coupons, the time and the customer's id, which come from the cart.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING, Final, final

import attrs
from returns.result import Failure

from pulseshop.core.cart.pricing import quote_request
from pulseshop.core.pricing import CouponCode, quote
from pulseshop.core.pricing.codec import decode_request
from pulseshop.shell.errors import ShellError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from pathlib import Path

    from pulseshop.core.cart import Cart
    from pulseshop.core.catalog import Product
    from pulseshop.core.pricing import Quote, QuoteRequest

DEMO_PRICING: Final = "pricing.json"
"""The demo shop's pricing file, in the `pulseshop.shell.demo` package."""


@final
@attrs.frozen
class ShopPricing:
    """The quote request every cart's quote starts from, and the coupon codes its rules
    accept (upper case)."""

    template: QuoteRequest
    coupon_codes: frozenset[str]

    @classmethod
    def of(cls, template: QuoteRequest) -> ShopPricing:
        """The pricing of ``template``'s taxes, rules, rounding, shipping and destination."""
        codes = frozenset(
            condition.code.upper()
            for rule in template.rules
            for condition in rule.conditions
            if isinstance(condition, CouponCode)
        )
        return cls(template, codes)

    def knows_coupon(self, code: str) -> bool:
        """Whether some rule of the shop accepts ``code`` (in any case)."""
        return code.upper() in self.coupon_codes

    def quote(
        self, cart: Cart, products: Mapping[str, Product], *, user_id: int, now: datetime
    ) -> Quote | None:
        """The cart priced now, or None when it holds nothing that can be priced."""
        template = self.template
        request = quote_request(
            cart,
            products,
            at=now,
            currency=template.currency,
            tax_policy=template.tax_policy,
            rules=template.rules,
            rounding=template.rounding,
            customer=attrs.evolve(template.customer, id=str(user_id)),
            destination=template.destination,
        )
        if not request.lines:
            return None
        # Lines in another currency than the shop's cannot be quoted together; the cart
        # still answers, without a quote.
        return quote(attrs.evolve(request, shipping=template.shipping)).value_or(None)


def load_shop_pricing(path: Path | None) -> ShopPricing:
    """The pricing in the file at ``path``, or the demo shop's; a `ShellError` naming the
    file and each problem when it is not a valid quote request."""
    if path is None:
        text = resources.files("pulseshop.shell.demo").joinpath(DEMO_PRICING).read_text("utf-8")
        name = f"the demo pricing ({DEMO_PRICING})"
    else:
        name = str(path)
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ShellError(f"cannot read the pricing file {name}: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ShellError(
            f"the pricing file {name} is not JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}"
        ) from None
    decoded = decode_request(data)
    if isinstance(decoded, Failure):
        problems = "; ".join(f"{problem.path}: {problem.message}" for problem in decoded.failure())
        raise ShellError(f"the pricing file {name} is not a valid quote request: {problems}")
    return ShopPricing.of(decoded.unwrap())
