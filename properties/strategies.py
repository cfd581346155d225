"""Hypothesis strategies shared by every property: money, tax policies, rules, requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from hypothesis import strategies as st

from pulseshop.core.money import (
    BHD,
    EUR,
    JPY,
    USD,
    Currency,
    Money,
    RoundingLevel,
    RoundingMode,
    RoundingPolicy,
    from_minor_units,
)
from pulseshop.core.pricing import (
    AmountOffLines,
    AmountOffOrder,
    BuyXGetY,
    CouponCode,
    Customer,
    CustomerGroupIs,
    DateWindow,
    DiscountClass,
    FixedUnitPrice,
    FreeShipping,
    HasItems,
    Line,
    LineSelector,
    MinQuantity,
    MinSubtotal,
    PercentOffLines,
    PercentOffOrder,
    PriceRule,
    QuoteRequest,
    RuleUsage,
    ShippingTax,
    ShippingTaxMode,
    Tax,
    TaxPolicy,
    Tier,
    TieredUnitPrice,
    Zone,
)

if TYPE_CHECKING:
    from pulseshop.core.pricing.rules import Action, Condition

CURRENCIES = (EUR, USD, JPY, BHD)
TAX_CATEGORIES = ("standard", "reduced", "zero")
PRODUCT_CATEGORIES = ("tea", "mugs", "books")
SKUS = tuple(f"SKU-{number:02d}" for number in range(12))
COUPONS = ("WINTER", "SAVE5", "VIP", "SHIPFREE")
GROUPS = ("vip", "staff")
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

currencies = st.sampled_from(CURRENCIES)
rounding_policies = st.builds(
    RoundingPolicy, st.sampled_from(list(RoundingMode)), st.sampled_from(list(RoundingLevel))
)


def money(currency: Currency, max_units: int = 200_000) -> st.SearchStrategy[Money]:
    """Whole minor units of ``currency`` from 0 to ``max_units``."""
    return st.integers(0, max_units).map(lambda units: from_minor_units(units, currency))


def rates(max_rate: str = "0.3") -> st.SearchStrategy[Decimal]:
    """Tax rates with up to four decimal places, from 0 to ``max_rate``."""
    top = int(Decimal(max_rate) * 10_000)
    return st.integers(0, top).map(lambda basis_points: Decimal(basis_points) / 10_000)


def percents() -> st.SearchStrategy[Decimal]:
    """Percentages with up to two decimal places, from 0 to 100."""
    return st.integers(0, 10_000).map(lambda hundredths: Decimal(hundredths) / 100)


@st.composite
def tax_policies(draw: st.DrawFn, max_rate: str = "0.3") -> TaxPolicy:
    """A policy over TAX_CATEGORIES: one flat tax each, sometimes a second, compounding one."""
    taxes = [Tax("vat", category, draw(rates(max_rate))) for category in TAX_CATEGORIES]
    if draw(st.booleans()):
        taxes.append(
            Tax(
                "local",
                draw(st.sampled_from(TAX_CATEGORIES)),
                draw(rates("0.1")),
                zone=draw(st.sampled_from([Zone(), Zone("US"), Zone("US", "CA")])),
                compound=draw(st.booleans()),
                sequence=1,
            )
        )
    mode = draw(st.sampled_from(list(ShippingTaxMode)))
    category = draw(st.sampled_from(TAX_CATEGORIES)) if mode is ShippingTaxMode.CATEGORY else None
    return TaxPolicy(
        tuple(taxes),
        prices_include_tax=draw(st.booleans()),
        shipping=ShippingTax(mode, category),
    )


@st.composite
def cart_lines(draw: st.DrawFn, currency: Currency) -> tuple[Line, ...]:
    """One to eight lines with distinct SKUs."""
    skus = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=8, unique=True))
    return tuple(
        Line(
            sku=sku,
            unit_price=draw(money(currency, 50_000)),
            quantity=draw(st.integers(1, 12)),
            tax_category=draw(st.sampled_from(TAX_CATEGORIES)),
            category=draw(st.sampled_from((*PRODUCT_CATEGORIES, None))),
        )
        for sku in skus
    )


selectors = st.one_of(
    st.just(LineSelector()),
    st.builds(LineSelector, skus=st.frozensets(st.sampled_from(SKUS), min_size=1, max_size=4)),
    st.builds(
        LineSelector,
        categories=st.frozensets(st.sampled_from(PRODUCT_CATEGORIES), min_size=1, max_size=2),
    ),
)


@st.composite
def actions(draw: st.DrawFn, currency: Currency) -> Action:
    """Any action, with amounts in ``currency``."""
    kind = draw(st.integers(0, 7))
    selector = draw(selectors)
    if kind == 0:
        return PercentOffLines(draw(percents()), selector)
    if kind == 1:
        return AmountOffLines(draw(money(currency, 5_000)), selector)
    if kind == 2:
        return FixedUnitPrice(draw(money(currency, 20_000)), selector)
    if kind == 3:
        thresholds = draw(st.lists(st.integers(1, 10), min_size=1, max_size=3, unique=True))
        tiers = tuple(Tier(q, draw(money(currency, 20_000))) for q in sorted(thresholds))
        return TieredUnitPrice(tiers, selector)
    if kind == 4:
        return BuyXGetY(
            draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(percents()), selector
        )
    if kind == 5:
        return PercentOffOrder(draw(percents()))
    if kind == 6:
        return AmountOffOrder(draw(money(currency, 20_000)))
    return FreeShipping()


@st.composite
def conditions(draw: st.DrawFn, currency: Currency) -> Condition:
    """Any condition, with amounts in ``currency``."""
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return MinSubtotal(draw(money(currency, 100_000)))
    if kind == 1:
        return MinQuantity(draw(st.integers(1, 10)), draw(selectors))
    if kind == 2:
        return HasItems(draw(selectors))
    if kind == 3:
        return CustomerGroupIs(draw(st.frozensets(st.sampled_from(GROUPS), min_size=1)))
    if kind in {4, 5}:
        return CouponCode(draw(st.sampled_from(COUPONS)))
    start = NOW + timedelta(days=draw(st.integers(-3, 1)))
    return DateWindow(start, start + timedelta(days=draw(st.integers(1, 4))))


@st.composite
def price_rules(draw: st.DrawFn, currency: Currency, index: int) -> PriceRule:
    """A rule with id R<index>, any action, up to two conditions and any controls."""
    return PriceRule(
        id=f"R{index}",
        action=draw(actions(currency)),
        name=f"rule {index}",
        conditions=tuple(draw(st.lists(conditions(currency), max_size=2))),
        priority=draw(st.integers(0, 2)),
        exclusive=draw(st.integers(0, 5)) == 0,
        combines_with=draw(
            st.just(frozenset(DiscountClass)) | st.frozensets(st.sampled_from(list(DiscountClass)))
        ),
        max_discount=draw(st.none() | money(currency, 10_000)),
        usage_limit=draw(st.none() | st.integers(0, 3)),
        per_customer_limit=draw(st.none() | st.integers(0, 2)),
    )


@st.composite
def rule_sets(draw: st.DrawFn, currency: Currency, max_size: int = 5) -> tuple[PriceRule, ...]:
    """Up to ``max_size`` rules with distinct ids."""
    count = draw(st.integers(0, max_size) | st.integers(min(2, max_size), max_size))
    return tuple(draw(price_rules(currency, index)) for index in range(count))


usage_counts = st.sampled_from((0, 0, 0, 1, 3))


def coupon_entries(rules: tuple[PriceRule, ...]) -> st.SearchStrategy[str]:
    """Codes as customers type them: mostly the rules' own, in any case, sometimes unknown."""
    codes = sorted({code for rule in rules for code in rule.coupon_codes})
    known = st.sampled_from(codes).flatmap(lambda code: st.sampled_from((code, code.lower())))
    unknown = st.sampled_from(("BOGUS", " winter "))
    return (known | known | unknown) if codes else unknown


@st.composite
def requests(
    draw: st.DrawFn,
    *,
    max_rules: int = 5,
    policies: st.SearchStrategy[TaxPolicy] | None = None,
    exempt: bool | None = None,
) -> QuoteRequest:
    """A valid quote request, rules, coupons, shipping and all."""
    currency = draw(currencies)
    rules = draw(rule_sets(currency, max_rules))
    is_exempt = draw(st.booleans()) if exempt is None else exempt
    return QuoteRequest(
        currency=currency,
        lines=draw(cart_lines(currency)),
        at=NOW,
        tax_policy=draw(policies if policies is not None else tax_policies()),
        rounding=draw(rounding_policies),
        rules=rules,
        coupons=tuple(draw(st.lists(coupon_entries(rules), max_size=3))),
        shipping=draw(st.none() | money(currency, 3_000)),
        customer=Customer(
            id=draw(st.none() | st.just("c-1")),
            group=draw(st.none() | st.sampled_from(GROUPS)),
            tax_exemption="certificate 42" if is_exempt else None,
        ),
        destination=draw(st.sampled_from([Zone(), Zone("FR"), Zone("US", "CA")])),
        usage={rule.id: RuleUsage(draw(usage_counts), draw(usage_counts)) for rule in rules},
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(allow_nan=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
"""Any JSON value."""
