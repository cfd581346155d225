"""`quote`: the one entry point that prices a cart.

>>> from datetime import datetime, timezone
>>> import attrs
>>> from pulseshop.core.money import EUR, Money
>>> from pulseshop.core.pricing import Line, QuoteRequest, TaxPolicy
>>> request = QuoteRequest(
...     currency=EUR,
...     lines=(Line("TEA-1", Money.of("4.99", EUR), 3, "reduced"),),
...     tax_policy=TaxPolicy.flat({"reduced": "0.055"}),
...     at=datetime(2026, 12, 4, tzinfo=timezone.utc),
... )
>>> result = quote(request).unwrap()
>>> result.subtotal, result.tax_total, result.total
(EUR 14.97, EUR 0.82, EUR 15.79)
>>> quote(attrs.evolve(request, lines=())).failure()
(Problem(path='lines', code=<ProblemCode.EMPTY_CART: 'empty_cart'>, message='the cart is empty'),)
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, assert_never

from returns.result import Failure, Result, Success

from pulseshop.core.money import (
    PRICING_CONTEXT,
    Money,
    allocate_units,
    minor_units,
    money_maker,
)
from pulseshop.core.pricing.discounts import Cart, CartLine, apply_rules
from pulseshop.core.pricing.result import (
    AppliedRule,
    LineTax,
    Quote,
    QuoteLine,
    ShippingQuote,
    TaxExemption,
    TaxLine,
)
from pulseshop.core.pricing.rules import normalise_code
from pulseshop.core.pricing.tax import ShippingTaxMode
from pulseshop.core.pricing.taxation import ItemTax, TaxableItem, tax_items
from pulseshop.core.pricing.validation import validate

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pulseshop.core.pricing.discounts import Discounts, Grant
    from pulseshop.core.pricing.request import Line, QuoteRequest
    from pulseshop.core.pricing.tax import Tax
    from pulseshop.core.pricing.taxation import TaxKey
    from pulseshop.core.problems import Problems

__all__ = ["quote"]


def quote(request: QuoteRequest) -> Result[Quote, Problems]:
    """Price ``request``; a request with problems fails with every one of them."""
    problems = validate(request)
    if problems:
        return Failure(problems)
    with localcontext(PRICING_CONTEXT):
        return Success(_price(request))


def _price(request: QuoteRequest) -> Quote:
    money = money_maker(request.currency)
    policy = request.tax_policy
    # Lines are priced in SKU order, so ties (allocations) never depend on the cart's order.
    by_sku = sorted(request.lines, key=_sku)
    cart_lines = tuple([_cart_line(line) for line in by_sku])
    shipping_listed = minor_units(request.shipping) if request.shipping is not None else 0
    cart = Cart(
        lines=cart_lines,
        currency=request.currency,
        shipping=shipping_listed,
        customer_group=request.customer.group,
        coupons=frozenset(normalise_code(code) for code in request.coupons),
        at=request.at,
        mode=request.rounding.mode,
        usage=request.usage,
    )
    discounts = apply_rules(cart, request.rules, request.coupons)
    amounts = [line.listed - off for line, off in zip(cart_lines, discounts.lines, strict=True)]
    by_category = {
        category: policy.applicable(category, request.destination)
        for category in {line.tax_category for line in by_sku}
    }
    line_taxes = [by_category[line.tax_category] for line in by_sku]
    shipping_amount = shipping_listed - discounts.shipping
    shipping_items = _shipping_items(request, shipping_amount, amounts, line_taxes)
    items = [TaxableItem(amount, taxes) for amount, taxes in zip(amounts, line_taxes, strict=True)]
    taxation = tax_items(
        [*items, *shipping_items],
        prices_include_tax=policy.prices_include_tax,
        exempt=request.customer.tax_exemption is not None,
        rounding=request.rounding,
    )
    line_results = taxation.items[: len(items)]
    shipping_results = taxation.items[len(items) :]

    priced = {
        cart_line.sku: _quote_line(cart_line, off, result, money)
        for cart_line, off, result in zip(cart_lines, discounts.lines, line_results, strict=True)
    }
    quote_lines = tuple([priced[line.sku] for line in request.lines])
    shipping = _shipping_quote(shipping_listed, discounts.shipping, shipping_results, money)
    # The totals are sums of every line's and shipping's amounts, taken before they become Money.
    tax_total = money(sum([result.tax for result in taxation.items]))
    exemption = request.customer.tax_exemption
    return Quote(
        currency=request.currency,
        prices_include_tax=policy.prices_include_tax,
        rounding=request.rounding,
        lines=quote_lines,
        shipping=shipping,
        subtotal=money(sum([line.listed for line in cart_lines])),
        discount_total=money(sum(discounts.lines)),
        shipping_total=money(shipping_amount),
        tax_total=tax_total,
        total=money(sum([result.gross for result in taxation.items])),
        applied_rules=_applied_rules(discounts, cart_lines, money),
        rejected_coupons=discounts.rejected,
        tax_breakdown=_breakdown(taxation.items, money),
        tax_exemption=(
            TaxExemption(exemption, money(taxation.exempted)) if exemption is not None else None
        ),
    )


def _sku(line: Line) -> str:
    return line.sku


def _cart_line(line: Line) -> CartLine:
    unit = minor_units(line.unit_price)
    return CartLine(line.sku, line.category, line.quantity, unit, unit * line.quantity)


def _shipping_items(
    request: QuoteRequest,
    amount: int,
    line_amounts: Sequence[int],
    line_taxes: Sequence[tuple[Tax, ...]],
) -> list[TaxableItem]:
    """Shipping as taxable items: untaxed, taxed as a category, or split over the lines."""
    policy = request.tax_policy
    match policy.shipping.mode:
        case ShippingTaxMode.NONE:
            return [TaxableItem(amount, ())]
        case ShippingTaxMode.CATEGORY:
            category = policy.shipping.category or ""
            return [TaxableItem(amount, policy.applicable(category, request.destination))]
        case ShippingTaxMode.WEIGHTED:
            parts = allocate_units(amount, line_amounts)
            return [TaxableItem(part, taxes) for part, taxes in zip(parts, line_taxes, strict=True)]
        case _:
            assert_never(policy.shipping.mode)


def _line_taxes(result: ItemTax, money: Callable[[int], Money]) -> tuple[LineTax, ...]:
    return tuple([LineTax(tax.name, tax.rate, money(amount)) for tax, amount in result.taxes])


def _quote_line(
    cart_line: CartLine, discount: int, result: ItemTax, money: Callable[[int], Money]
) -> QuoteLine:
    # The fields in their order, passed positionally: keywords cost more than the line's
    # arithmetic, and this runs for every line of a quote.
    return QuoteLine(
        cart_line.sku,
        cart_line.quantity,
        money(cart_line.unit),  # unit_price
        money(cart_line.listed),  # subtotal
        money(discount),
        money(result.net),
        money(result.tax),
        money(result.gross),
        _line_taxes(result, money),
    )


def _shipping_quote(
    listed: int, discount: int, results: Sequence[ItemTax], money: Callable[[int], Money]
) -> ShippingQuote:
    merged: dict[TaxKey, tuple[str, Decimal, int]] = {}
    for result in results:
        for tax, amount in result.taxes:
            name, rate, before = merged.get((tax.name, tax.rate), (tax.name, tax.rate, 0))
            merged[(tax.name, tax.rate)] = (name, rate, before + amount)
    return ShippingQuote(
        amount=money(listed),
        discount=money(discount),
        net=money(sum(result.net for result in results)),
        tax=money(sum(result.tax for result in results)),
        gross=money(sum(result.gross for result in results)),
        taxes=tuple(LineTax(name, rate, money(amount)) for name, rate, amount in merged.values()),
    )


def _applied_rules(
    discounts: Discounts, cart_lines: Sequence[CartLine], money: Callable[[int], Money]
) -> tuple[AppliedRule, ...]:
    skus = [line.sku for line in cart_lines]
    return tuple([_applied_rule(grant, skus, money) for grant in discounts.grants])


def _applied_rule(grant: Grant, skus: Sequence[str], money: Callable[[int], Money]) -> AppliedRule:
    rule = grant.rule
    lines = tuple([(sku, money(off)) for sku, off in zip(skus, grant.lines, strict=True) if off])
    # The fields in their order, positionally, as for quote lines.
    return AppliedRule(
        rule.id,
        rule.name,
        rule.discount_class,
        grant.reason,
        money(grant.total),  # amount
        lines,
        money(grant.shipping),
    )


def _breakdown(results: Sequence[ItemTax], money: Callable[[int], Money]) -> tuple[TaxLine, ...]:
    bases: dict[TaxKey, int] = {}
    amounts: dict[TaxKey, int] = {}
    for result in results:
        for tax, amount in result.taxes:
            key = (tax.name, tax.rate)
            bases[key] = bases.get(key, 0) + result.net
            amounts[key] = amounts.get(key, 0) + amount
    return tuple(
        TaxLine(name, rate, money(bases[(name, rate)]), money(amounts[(name, rate)]))
        for name, rate in sorted(amounts)
    )
