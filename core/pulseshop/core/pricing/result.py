"""What a quote answers: every line and every total, each the exact sum of its parts."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, final

import attrs

if TYPE_CHECKING:
    from decimal import Decimal

    from pulseshop.core.money import Currency, Money, RoundingPolicy
    from pulseshop.core.pricing.rules import DiscountClass


@final
@attrs.frozen
class LineTax:
    """One tax on one line (or on shipping)."""

    name: str
    rate: Decimal
    amount: Money


@final
@attrs.frozen
class QuoteLine:
    """A priced line.

    ``subtotal`` is the listed price times the quantity. Without tax in prices,
    ``net = subtotal - discount`` and ``gross = net + tax``; with tax in prices,
    ``gross = subtotal - discount`` and ``net = gross - tax`` (for a tax-exempt customer
    the tax is taken out: ``gross = net``).
    """

    sku: str
    quantity: int
    unit_price: Money
    subtotal: Money
    discount: Money
    net: Money
    tax: Money
    gross: Money
    taxes: tuple[LineTax, ...]


@final
@attrs.frozen
class ShippingQuote:
    """Shipping, priced like a line: listed ``amount``, ``discount``, net, tax and gross."""

    amount: Money
    discount: Money
    net: Money
    tax: Money
    gross: Money
    taxes: tuple[LineTax, ...]


@final
@attrs.frozen
class AppliedRule:
    """A rule that took money off: why it applied, and how much from each line."""

    rule_id: str
    name: str
    discount_class: DiscountClass
    reason: str
    amount: Money
    lines: tuple[tuple[str, Money], ...]
    """(SKU, discount) for each line it discounted, by SKU."""
    shipping: Money


class RejectionReason(enum.Enum):
    """Why a coupon the customer entered did not apply."""

    UNKNOWN_COUPON = "unknown_coupon"
    DUPLICATE_COUPON = "duplicate_coupon"
    CONDITIONS_NOT_MET = "conditions_not_met"
    USAGE_LIMIT_REACHED = "usage_limit_reached"
    CUSTOMER_LIMIT_REACHED = "customer_limit_reached"
    NOT_COMBINABLE = "not_combinable"
    EXCLUDED = "excluded"
    NO_EFFECT = "no_effect"


@final
@attrs.frozen
class RejectedCoupon:
    """A coupon that did not apply, with the reason as a code and as a sentence."""

    code: str
    reason: RejectionReason
    message: str


@final
@attrs.frozen
class TaxLine:
    """Tax collected at one rate: the nets it was computed on, and the amount."""

    name: str
    rate: Decimal
    base: Money
    amount: Money


@final
@attrs.frozen
class TaxExemption:
    """The customer's exemption: its reason, and the tax it took off."""

    reason: str
    amount: Money


@final
@attrs.frozen
class Quote:
    """The priced cart.

    ``subtotal``, ``discount_total``, ``shipping_total`` and ``tax_total`` are sums over
    lines (and shipping); ``total`` is the sum of every line's gross and shipping's gross.
    """

    currency: Currency
    prices_include_tax: bool
    rounding: RoundingPolicy
    lines: tuple[QuoteLine, ...]
    shipping: ShippingQuote
    subtotal: Money
    discount_total: Money
    shipping_total: Money
    tax_total: Money
    total: Money
    applied_rules: tuple[AppliedRule, ...]
    rejected_coupons: tuple[RejectedCoupon, ...]
    tax_breakdown: tuple[TaxLine, ...]
    tax_exemption: TaxExemption | None

    def line(self, sku: str) -> QuoteLine | None:
        """The line for ``sku``, or None when the cart has none."""
        return next((line for line in self.lines if line.sku == sku), None)
