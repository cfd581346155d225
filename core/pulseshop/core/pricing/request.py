"""What a quote is asked for: the cart's lines and everything that prices them."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final, final

import attrs

from pulseshop.core.money import RoundingPolicy
from pulseshop.core.pricing.tax import TaxPolicy, Zone

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from pulseshop.core.money import Currency, Money
    from pulseshop.core.pricing.rules import PriceRule, RuleUsage

MAX_QUANTITY: Final = 1_000_000
MAX_LINES: Final = 1_000


@final
@attrs.frozen
class Line:
    """A cart line: a SKU, its listed unit price, how many, and how it is taxed.

    ``category`` is the product category price rules select by (tea, books, ...);
    ``tax_category`` the category the tax policy taxes by (standard, reduced, ...).
    """

    sku: str
    unit_price: Money
    quantity: int
    tax_category: str
    category: str | None = None


@final
@attrs.frozen
class Customer:
    """Who buys: an id for per-customer limits, a group for rules, a tax exemption."""

    id: str | None = None
    group: str | None = None
    tax_exemption: str | None = None
    """The reason this customer pays no tax (a certificate number, say), carried into the
    quote; None for a taxed customer."""


def _frozen_usage(usage: Mapping[str, RuleUsage]) -> Mapping[str, RuleUsage]:
    return MappingProxyType(dict(usage))


@final
@attrs.frozen
class QuoteRequest:
    """Everything `quote` needs. ``at`` is the moment the quote is for (date windows)."""

    currency: Currency
    lines: tuple[Line, ...]
    at: datetime
    tax_policy: TaxPolicy = TaxPolicy(())
    rounding: RoundingPolicy = RoundingPolicy()
    rules: tuple[PriceRule, ...] = ()
    coupons: tuple[str, ...] = ()
    shipping: Money | None = None
    customer: Customer = Customer()
    destination: Zone = Zone()
    usage: Mapping[str, RuleUsage] = attrs.field(factory=dict, converter=_frozen_usage, hash=False)
    """Counts of earlier uses by rule id, for usage limits."""
