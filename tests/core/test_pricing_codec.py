"""The JSON contract: bad JSON comes back as problems at their JSON paths, never as an
exception; good JSON is priced and encoded as decimal strings; requests round-trip."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from returns.pipeline import is_successful

from pulseshop.core.money import (
    BHD,
    JPY,
    USD,
    Currency,
    Money,
    RoundingLevel,
    RoundingMode,
    RoundingPolicy,
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
from pulseshop.core.pricing.codec import decode_request, encode_request, price_json
from tests.core._builders import AT, eur, line, request

pytestmark = pytest.mark.unit

Json = dict[str, Any]

BASE: Json = {
    "currency": "EUR",
    "tax_rates": {"standard": "0.20", "reduced": "0.05"},
    "lines": [
        {"sku": "MUG-1", "unit_price": "12.00", "quantity": 2, "tax_category": "standard"},
        {"sku": "TEA-1", "unit_price": "4.50", "quantity": 3, "tax_category": "reduced"},
        {"sku": "BOOK-1", "unit_price": "20.00", "quantity": 1, "tax_category": "standard"},
    ],
    "at": "2026-12-04T10:00:00Z",
}
_REMOVE = object()


def edited(**changes: object) -> Json:
    """BASE with fields changed; a key like ``lines__2__quantity`` reaches into lists, and
    the value _REMOVE deletes the field."""
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        *parents, last = [int(part) if part.isdigit() else part for part in key.split("__")]
        target: Any = data
        for part in parents:
            target = target[part]
        if value is _REMOVE:
            del target[last]
        else:
            target[last] = value
    return data


def with_rule(**rule: object) -> Json:
    """BASE with one rule: a 10% discount unless told otherwise."""
    return edited(
        rules=[{"id": "R", "action": {"type": "percent_off_lines", "percent": "10"}} | rule]
    )


def problems(data: object) -> list[str]:
    """What `price_json` found wrong, as sentences with their paths."""
    return [str(problem) for problem in price_json(data).failure()]


QUANTITY = ["lines[2].quantity: must be a positive integer"]

BAD_JSON = [
    # the list, through JSON
    pytest.param(edited(lines__2__quantity=0), QUANTITY, id="zero-quantity"),
    pytest.param(edited(lines__2__quantity=-1), QUANTITY, id="negative-quantity"),
    pytest.param(edited(lines__2__quantity=1.5), QUANTITY, id="fractional-quantity"),
    pytest.param(edited(lines__2__quantity=2.0), QUANTITY, id="float-quantity"),
    pytest.param(edited(lines__2__quantity="2"), QUANTITY, id="string-quantity"),
    pytest.param(edited(lines__2__quantity=True), QUANTITY, id="bool-quantity"),
    pytest.param(edited(lines__2__quantity=None), QUANTITY, id="null-quantity"),
    pytest.param(
        edited(lines__2__quantity=10**7),
        ["lines[2].quantity: must be at most 1000000"],
        id="huge-quantity",
    ),
    pytest.param(
        edited(currency="XYZ"),
        ["currency: 'XYZ' is not an ISO 4217 currency code"],
        id="unknown-currency",
    ),
    pytest.param(
        edited(currency="eur"),
        ["currency: 'eur' is not an ISO 4217 currency code"],
        id="lower-case-currency",
    ),
    pytest.param(edited(currency=978), ["currency: must be a string"], id="numeric-currency"),
    pytest.param(edited(currency=None), ["currency: must be a string"], id="null-currency"),
    pytest.param(
        edited(lines__2__unit_price="1.001"),
        ["lines[2].unit_price: 1.001 has more decimal places than EUR allows (2)"],
        id="finer-than-cents",
    ),
    pytest.param(
        {
            "currency": "JPY",
            "tax_rates": {"standard": "0.10"},
            "lines": [{"sku": "A", "unit_price": "1.5", "quantity": 1, "tax_category": "standard"}],
            "at": "2026-12-04T10:00:00+09:00",
        },
        ["lines[0].unit_price: 1.5 has more decimal places than JPY allows (0)"],
        id="finer-than-yen",
    ),
    pytest.param(
        edited(lines__2__tax_category="luxury"),
        ["lines[2].tax_category: 'luxury' is not a tax category of the tax policy"],
        id="unknown-tax-category",
    ),
    pytest.param(
        edited(tax_rates={"standard": "1.5", "reduced": "0.05"}),
        ["tax_rates.standard: must be between 0 and 1, got 1.5"],
        id="rate-above-one",
    ),
    pytest.param(
        edited(tax_rates={"standard": "0.20", "reduced": "-0.05"}),
        ["tax_rates.reduced: must be between 0 and 1, got -0.05"],
        id="negative-rate",
    ),
    pytest.param(
        edited(taxes=[{"name": "eco", "category": "standard", "rate": "2"}]),
        ["taxes[0].rate: must be between 0 and 1, got 2"],
        id="listed-tax-above-one",
    ),
    pytest.param(
        edited(lines__2__currency="USD"),
        ["lines[2].unit_price: is in USD, the quote is in EUR"],
        id="mixed-currencies",
    ),
    pytest.param(edited(lines=[]), ["lines: the cart is empty"], id="empty-cart"),
    # amounts
    pytest.param(
        edited(lines__2__unit_price=1.5),
        ['lines[2].unit_price: must be a decimal string such as "12.30"'],
        id="number-price",
    ),
    pytest.param(
        edited(lines__2__unit_price="1e3"),
        ["lines[2].unit_price: '1e3' is not a decimal number"],
        id="exponent-price",
    ),
    pytest.param(
        edited(lines__2__unit_price="NaN"),
        ["lines[2].unit_price: 'NaN' is not a decimal number"],
        id="nan-price",
    ),
    pytest.param(
        edited(lines__2__unit_price=" 1"),
        ["lines[2].unit_price: ' 1' is not a decimal number"],
        id="padded-price",
    ),
    pytest.param(
        edited(lines__2__unit_price="1" * 41),
        [f"lines[2].unit_price: {'1' * 41!r} is not a decimal number"],
        id="too-many-digits",
    ),
    pytest.param(
        edited(lines__2__unit_price="-1.00"),
        ["lines[2].unit_price: must not be negative"],
        id="negative-price",
    ),
    pytest.param(
        edited(shipping="4.999"),
        ["shipping: 4.999 has more decimal places than EUR allows (2)"],
        id="shipping-too-precise",
    ),
    pytest.param(
        edited(tax_rates={"standard": 0.2, "reduced": "0.05"}),
        ['tax_rates.standard: must be a decimal string such as "12.30"'],
        id="number-rate",
    ),
    # shape
    pytest.param([], ["must be an object"], id="not-an-object"),
    pytest.param(
        {},
        ["currency: is required", "lines: is required", "at: is required"],
        id="nothing",
    ),
    pytest.param(
        edited(currency=_REMOVE, lines__0__quantity=0),
        ["currency: is required", "lines[0].quantity: must be a positive integer"],
        id="no-currency-shape-only",
    ),
    pytest.param(edited(lines={}), ["lines: must be a list"], id="lines-not-a-list"),
    pytest.param(edited(lines__2=5), ["lines[2]: must be an object"], id="line-not-an-object"),
    pytest.param(
        edited(lines=[{}]),
        [
            "lines[0].sku: is required",
            "lines[0].unit_price: is required",
            "lines[0].quantity: is required",
            "lines[0].tax_category: is required",
        ],
        id="empty-line",
    ),
    pytest.param(
        edited(lines__0__sku=1, lines__0__tax_category=2, lines__0__category=3),
        [
            "lines[0].sku: must be a string",
            "lines[0].tax_category: must be a string",
            "lines[0].category: must be a string",
        ],
        id="line-fields-of-the-wrong-type",
    ),
    pytest.param(
        edited(lines__2__currency="QQQ"),
        ["lines[2].currency: 'QQQ' is not an ISO 4217 currency code"],
        id="unknown-line-currency",
    ),
    pytest.param(
        edited(lines__2__currency=840),
        ["lines[2].currency: must be a string"],
        id="numeric-line-currency",
    ),
    pytest.param(edited(colour="red"), ["colour: is not a known field"], id="unknown-field"),
    pytest.param(
        edited(at="yesterday"), ["at: 'yesterday' is not an ISO 8601 date-time"], id="bad-moment"
    ),
    pytest.param(
        edited(at="2026-12-04T10:00:00"),
        ["at: must include a UTC offset (say Z or +01:00)"],
        id="naive-moment",
    ),
    pytest.param(edited(at=5), ["at: must be an ISO 8601 date-time string"], id="numeric-moment"),
    pytest.param(
        edited(tax_rates=[]),
        [
            "tax_rates: must be an object of category to rate",
            "lines[0].tax_category: 'standard' is not a tax category of the tax policy",
            "lines[1].tax_category: 'reduced' is not a tax category of the tax policy",
            "lines[2].tax_category: 'standard' is not a tax category of the tax policy",
        ],
        id="rates-not-an-object",
    ),
    pytest.param(edited(taxes=[1]), ["taxes[0]: must be an object"], id="tax-not-an-object"),
    pytest.param(
        edited(taxes=[{}]),
        [
            "taxes[0].name: is required",
            "taxes[0].category: is required",
            "taxes[0].rate: is required",
        ],
        id="empty-tax",
    ),
    pytest.param(
        edited(
            taxes=[
                {
                    "name": 1,
                    "category": "standard",
                    "rate": "0.1",
                    "country": 2,
                    "region": 3,
                    "compound": "yes",
                    "sequence": "1",
                }
            ]
        ),
        [
            "taxes[0].name: must be a string",
            "taxes[0].country: must be a string",
            "taxes[0].region: must be a string",
            "taxes[0].compound: must be true or false",
            "taxes[0].sequence: must be an integer",
        ],
        id="tax-fields-of-the-wrong-type",
    ),
    pytest.param(
        edited(prices_include_tax="yes"),
        ["prices_include_tax: must be true or false"],
        id="include-tax-not-a-bool",
    ),
    pytest.param(
        edited(rounding={"mode": "bankers", "level": "cart"}),
        [
            "rounding.mode: must be one of half_even, half_up, half_down, down, up, ceiling, floor",
            "rounding.level: must be one of line, order",
        ],
        id="unknown-rounding",
    ),
    pytest.param(edited(rounding=3), ["rounding: must be an object"], id="rounding-not-an-object"),
    pytest.param(
        edited(shipping_tax={"mode": "category"}),
        ["shipping_tax.category: is required with mode category"],
        id="shipping-category-missing",
    ),
    pytest.param(
        edited(shipping_tax={"mode": "category", "category": None}),
        ["shipping_tax.category: is required with mode category"],
        id="shipping-category-null",
    ),
    pytest.param(
        edited(shipping_tax={"mode": "category", "category": "freight"}),
        ["shipping_tax.category: 'freight' is not a tax category of the tax policy"],
        id="shipping-category-unknown",
    ),
    pytest.param(
        edited(shipping_tax={"mode": "air"}),
        ["shipping_tax.mode: must be one of none, category, weighted"],
        id="shipping-mode-unknown",
    ),
    pytest.param(
        edited(shipping_tax=[]), ["shipping_tax: must be an object"], id="shipping-tax-not-object"
    ),
    pytest.param(
        edited(shipping=4.9),
        ['shipping: must be a decimal string such as "12.30"'],
        id="number-shipping",
    ),
    pytest.param(
        edited(customer={"id": 5, "group": 6, "tax_exemption": 7}),
        [
            "customer.id: must be a string",
            "customer.group: must be a string",
            "customer.tax_exemption: must be a string",
        ],
        id="customer-fields-of-the-wrong-type",
    ),
    pytest.param(edited(customer="c-1"), ["customer: must be an object"], id="customer-not-object"),
    pytest.param(
        edited(ship_to={"country": 1, "region": 2}),
        ["ship_to.country: must be a string", "ship_to.region: must be a string"],
        id="destination-fields-of-the-wrong-type",
    ),
    pytest.param(edited(ship_to="FR"), ["ship_to: must be an object"], id="destination-not-object"),
    pytest.param(
        edited(usage=[]), ["usage: must be an object of rule id to counts"], id="usage-not-object"
    ),
    pytest.param(edited(usage={"R": 5}), ["usage.R: must be an object"], id="counts-not-object"),
    pytest.param(
        edited(usage={"R": {"total": -1, "customer": "1"}}),
        ["usage.R.customer: must be an integer", "usage.R.total: must be at least 0"],
        id="bad-counts",
    ),
    pytest.param(edited(coupons="WINTER"), ["coupons: must be a list"], id="coupons-not-a-list"),
    pytest.param(
        edited(coupons=[" ", 5]),
        ["coupons[1]: must be a string", "coupons[0]: must not be blank"],
        id="bad-coupons",
    ),
    pytest.param(
        edited(lines__2__sku="MUG-1"),
        ["lines[2].sku: 'MUG-1' is already on lines[0]"],
        id="duplicate-sku",
    ),
    # rules
    pytest.param(edited(rules=5), ["rules: must be a list"], id="rules-not-a-list"),
    pytest.param(edited(rules=[5]), ["rules[0]: must be an object"], id="rule-not-an-object"),
    pytest.param(
        edited(rules=[{"id": "R"}]), ["rules[0].action: is required"], id="rule-without-action"
    ),
    pytest.param(with_rule(action=None), ["rules[0].action: must be an object"], id="null-action"),
    pytest.param(with_rule(id=5), ["rules[0].id: must be a string"], id="numeric-rule-id"),
    pytest.param(with_rule(id=""), ["rules[0].id: must not be blank"], id="blank-rule-id"),
    pytest.param(
        edited(
            rules=[
                {"id": "R", "action": {"type": "free_shipping"}},
                {"id": "R", "action": {"type": "free_shipping"}},
            ]
        ),
        ["rules[1].id: 'R' is already the id of rules[0]"],
        id="duplicate-rule-id",
    ),
    pytest.param(
        with_rule(name=1, priority="1", exclusive="no"),
        [
            "rules[0].name: must be a string",
            "rules[0].priority: must be an integer",
            "rules[0].exclusive: must be true or false",
        ],
        id="rule-fields-of-the-wrong-type",
    ),
    pytest.param(
        with_rule(priority=10**7),
        ["rules[0].priority: must be at least -1000000 and at most 1000000"],
        id="priority-out-of-range",
    ),
    pytest.param(
        with_rule(combines_with=["order", "coupons"]),
        ["rules[0].combines_with[1]: must be one of product, order, shipping"],
        id="unknown-discount-class",
    ),
    pytest.param(
        with_rule(combines_with="order"),
        ["rules[0].combines_with: must be a list"],
        id="combines-not-a-list",
    ),
    pytest.param(
        with_rule(max_discount="1.001"),
        ["rules[0].max_discount: 1.001 has more decimal places than EUR allows (2)"],
        id="cap-too-precise",
    ),
    pytest.param(
        with_rule(usage_limit=-1, per_customer_limit="1"),
        [
            "rules[0].per_customer_limit: must be an integer",
            "rules[0].usage_limit: must be at least 0",
        ],
        id="bad-limits",
    ),
    pytest.param(
        with_rule(action=5), ["rules[0].action: must be an object"], id="action-not-an-object"
    ),
    pytest.param(
        with_rule(action={"type": "bogof"}),
        [
            (
                "rules[0].action.type: must be one of percent_off_lines, amount_off_lines, "
                "fixed_unit_price, tiered_unit_price, buy_x_get_y, percent_off_order, "
                "amount_off_order, free_shipping"
            )
        ],
        id="unknown-action",
    ),
    pytest.param(
        with_rule(action={"type": "free_shipping", "percent": "10"}),
        ["rules[0].action.percent: is not a known field"],
        id="action-with-unknown-field",
    ),
    pytest.param(
        with_rule(action={"type": "percent_off_order", "percent": "150"}),
        ["rules[0].action.percent: must be between 0 and 100, got 150"],
        id="percent-above-100",
    ),
    pytest.param(
        with_rule(action={"type": "percent_off_lines", "percent": "10", "skus": "A"}),
        ["rules[0].action.skus: must be a list"],
        id="skus-not-a-list",
    ),
    pytest.param(
        with_rule(action={"type": "percent_off_lines", "percent": "10", "categories": [1]}),
        ["rules[0].action.categories[0]: must be a string"],
        id="category-not-a-string",
    ),
    pytest.param(
        with_rule(action={"type": "amount_off_lines", "amount": "1.001"}),
        ["rules[0].action.amount: 1.001 has more decimal places than EUR allows (2)"],
        id="amount-off-too-precise",
    ),
    pytest.param(
        with_rule(action={"type": "amount_off_order", "amount": "-1"}),
        ["rules[0].action.amount: must not be negative"],
        id="negative-amount-off-order",
    ),
    pytest.param(
        with_rule(action={"type": "fixed_unit_price"}),
        ["rules[0].action.price: is required"],
        id="fixed-price-missing",
    ),
    pytest.param(
        with_rule(action={"type": "tiered_unit_price", "tiers": []}),
        ["rules[0].action.tiers: must list at least one tier"],
        id="no-tiers",
    ),
    pytest.param(
        with_rule(
            action={
                "type": "tiered_unit_price",
                "tiers": [
                    {"min_quantity": 5, "unit_price": "3.00"},
                    3,
                    {"unit_price": "3.00"},
                    {"min_quantity": "4", "unit_price": "3.00"},
                    {"min_quantity": 4, "unit_price": "2.50"},
                ],
            }
        ),
        [
            "rules[0].action.tiers[1]: must be an object",
            "rules[0].action.tiers[2].min_quantity: is required",
            "rules[0].action.tiers[3].min_quantity: must be an integer",
            (
                "rules[0].action.tiers[4].min_quantity: tiers must be in increasing order of "
                "min_quantity"
            ),
        ],
        id="bad-tiers-keep-their-index",
    ),
    pytest.param(
        with_rule(action={"type": "buy_x_get_y", "buy": 0, "get": "1"}),
        [
            "rules[0].action.get: must be an integer",
            "rules[0].action.buy: must be a positive integer",
        ],
        id="bad-buy-x-get-y",
    ),
    pytest.param(
        with_rule(conditions=[5, {"type": "weather"}, {"type": "min_subtotal"}]),
        [
            "rules[0].conditions[0]: must be an object",
            (
                "rules[0].conditions[1].type: must be one of min_subtotal, min_quantity, "
                "has_items, customer_group, coupon, date_window"
            ),
            "rules[0].conditions[2].amount: is required",
        ],
        id="bad-conditions",
    ),
    pytest.param(
        with_rule(
            conditions=[
                {"type": "min_quantity", "quantity": "2"},
                {"type": "min_quantity", "quantity": 0},
            ]
        ),
        [
            "rules[0].conditions[0].quantity: must be an integer",
            "rules[0].conditions[1].quantity: must be a positive integer",
        ],
        id="bad-min-quantity",
    ),
    pytest.param(
        with_rule(
            conditions=[
                {"type": "customer_group", "groups": "vip"},
                {"type": "customer_group", "groups": []},
            ]
        ),
        [
            "rules[0].conditions[0].groups: must be a list",
            "rules[0].conditions[1].groups: must name a group",
        ],
        id="bad-groups",
    ),
    pytest.param(
        with_rule(conditions=[{"type": "coupon", "code": 5}, {"type": "coupon", "code": " "}]),
        [
            "rules[0].conditions[0].code: must be a string",
            "rules[0].conditions[1].code: must not be blank",
        ],
        id="bad-coupon-codes",
    ),
    pytest.param(
        with_rule(
            conditions=[
                {"type": "date_window", "starts_at": "x", "ends_at": "2026-12-01T00:00:00"},
                {
                    "type": "date_window",
                    "starts_at": "2026-12-05T00:00:00Z",
                    "ends_at": "2026-12-01T00:00:00Z",
                },
            ]
        ),
        [
            "rules[0].conditions[0].starts_at: 'x' is not an ISO 8601 date-time",
            "rules[0].conditions[0].ends_at: must include a UTC offset (say Z or +01:00)",
            "rules[0].conditions[1].ends_at: must be after starts_at",
        ],
        id="bad-windows",
    ),
    # a bad item never shifts the paths of the items after it
    pytest.param(
        edited(lines__0=5, lines__1__unit_price="1.001", lines__2__tax_category="luxury"),
        [
            "lines[0]: must be an object",
            "lines[1].unit_price: 1.001 has more decimal places than EUR allows (2)",
            "lines[2].tax_category: 'luxury' is not a tax category of the tax policy",
        ],
        id="lines-after-a-bad-line",
    ),
    pytest.param(
        edited(
            rules=[
                5,
                {"id": "R", "action": {"type": "percent_off_order", "percent": "200"}},
                [],
                {"id": "S", "action": {"type": "free_shipping"}, "priority": 10**7},
            ]
        ),
        [
            "rules[0]: must be an object",
            "rules[2]: must be an object",
            "rules[1].action.percent: must be between 0 and 100, got 200",
            "rules[3].priority: must be at least -1000000 and at most 1000000",
        ],
        id="rules-after-a-bad-rule",
    ),
    pytest.param(
        edited(
            tax_rates={"standard": "0.20", "reduced": "2"},
            taxes=[{}, {"name": "eco", "category": "standard", "rate": "3"}],
        ),
        [
            "taxes[0].name: is required",
            "taxes[0].category: is required",
            "taxes[0].rate: is required",
            "tax_rates.reduced: must be between 0 and 1, got 2",
            "taxes[1].rate: must be between 0 and 1, got 3",
        ],
        id="taxes-after-tax-rates",
    ),
]


class TestBadJson:
    def test_the_base_request_is_valid(self) -> None:
        """The JSON every case below spoils is itself fine."""
        assert is_successful(price_json(BASE))

    @pytest.mark.parametrize(("data", "expected"), BAD_JSON)
    def test_every_problem_is_reported_at_its_json_path(
        self, data: object, expected: list[str]
    ) -> None:
        """Shape problems first, then the rest; each field once, at its own path."""
        assert expected == problems(data)

    def test_decode_reports_the_same_problems(self) -> None:
        """decode_request is where the problems come from; price_json passes them on."""
        data = edited(lines__2__quantity=0)

        assert price_json(data).failure() == decode_request(data).failure()

    def test_a_line_in_the_quotes_currency_may_say_so(self) -> None:
        """A line's own currency equal to the quote's is no problem."""
        assert is_successful(price_json(edited(lines__2__currency="EUR")))


class TestPriceJson:
    def test_prices_and_encodes_a_whole_quote(self) -> None:
        """Two mugs at 12.00 with WINTER's 10% off (2.40) and 4.90 of shipping taxed as
        standard; tax rounded half-up per order: 20% of 21.60 + 4.90 = 5.30, split 4.32/0.98."""
        data = {
            "currency": "EUR",
            "tax_rates": {"standard": "0.20"},
            "shipping_tax": {"mode": "category", "category": "standard"},
            "rounding": {"mode": "half_up", "level": "order"},
            "lines": [
                {"sku": "MUG-1", "unit_price": "12.00", "quantity": 2, "tax_category": "standard"}
            ],
            "rules": [
                {
                    "id": "WINTER10",
                    "name": "Winter",
                    "conditions": [{"type": "coupon", "code": "winter"}],
                    "action": {"type": "percent_off_lines", "percent": "10"},
                }
            ],
            "coupons": ["WINTER", "NOPE"],
            "shipping": "4.90",
            "customer": {"id": "c-1"},
            "at": "2026-12-04T10:00:00Z",
        }

        assert {
            "currency": "EUR",
            "prices_include_tax": False,
            "rounding": {"mode": "half_up", "level": "order"},
            "lines": [
                {
                    "sku": "MUG-1",
                    "quantity": 2,
                    "unit_price": "12.00",
                    "subtotal": "24.00",
                    "discount": "2.40",
                    "net": "21.60",
                    "tax": "4.32",
                    "gross": "25.92",
                    "taxes": [{"name": "tax", "rate": "0.20", "amount": "4.32"}],
                }
            ],
            "shipping": {
                "amount": "4.90",
                "discount": "0.00",
                "net": "4.90",
                "tax": "0.98",
                "gross": "5.88",
            },
            "subtotal": "24.00",
            "discount_total": "2.40",
            "shipping_total": "4.90",
            "tax_total": "5.30",
            "total": "31.80",
            "applied_rules": [
                {
                    "id": "WINTER10",
                    "name": "Winter",
                    "class": "product",
                    "reason": "10% off every item: coupon WINTER",
                    "amount": "2.40",
                    "lines": [{"sku": "MUG-1", "amount": "2.40"}],
                    "shipping": "0.00",
                }
            ],
            "rejected_coupons": [
                {
                    "code": "NOPE",
                    "reason": "unknown_coupon",
                    "message": "no promotion has coupon NOPE",
                }
            ],
            "tax_breakdown": [{"name": "tax", "rate": "0.20", "base": "26.50", "amount": "5.30"}],
            "tax_exemption": None,
        } == price_json(data).unwrap()

    def test_encodes_the_exemption(self) -> None:
        """An exempt customer's reason and the tax not paid are in the JSON."""
        data = edited(customer={"tax_exemption": "VAT ID FR123"}, lines=BASE["lines"][:1])

        encoded = price_json(data).unwrap()

        assert {"reason": "VAT ID FR123", "amount": "4.80"} == encoded["tax_exemption"]
        assert "24.00" == encoded["total"]

    def test_a_negative_zero_rate_comes_back_as_zero(self) -> None:
        """ "-0.0" is zero; the quote shows it unsigned, as its schema requires."""
        data = {
            "currency": "EUR",
            "tax_rates": {"zero": "-0.0"},
            "lines": [{"sku": "A", "unit_price": "-0.00", "quantity": 1, "tax_category": "zero"}],
            "at": "2026-12-04T10:00:00Z",
        }

        encoded = price_json(data).unwrap()

        assert ["0.0"] == [tax["rate"] for tax in encoded["tax_breakdown"]]  # type: ignore[attr-defined]
        assert "0.00" == encoded["lines"][0]["unit_price"]  # type: ignore[index]

    @pytest.mark.parametrize(
        ("currency", "price", "total"), [("JPY", "1234", "1234"), ("BHD", "1.5", "1.500")]
    )
    def test_amounts_are_written_at_the_currencys_exponent(
        self, currency: str, price: str, total: str
    ) -> None:
        """Yen have no decimals, dinars three."""
        data = {
            "currency": currency,
            "tax_rates": {"zero": "0"},
            "lines": [{"sku": "A", "unit_price": price, "quantity": 1, "tax_category": "zero"}],
            "at": "2026-12-04T10:00:00Z",
        }

        assert total == price_json(data).unwrap()["total"]


class TestRequestRoundTrip:
    def test_every_field_survives_encode_then_decode(self) -> None:
        """A request using every tax, rule, condition and action feature decodes to itself."""
        tea = LineSelector(categories=frozenset({"tea"}))
        mugs = LineSelector(skus=frozenset({"MUG-1", "MUG-2"}), categories=frozenset({"mugs"}))
        rules = (
            PriceRule(
                "P1",
                PercentOffLines(Decimal("12.5"), tea),
                name="Tea week",
                conditions=(
                    MinSubtotal(eur("10.00")),
                    MinQuantity(2, tea),
                    HasItems(mugs),
                    CustomerGroupIs(frozenset({"vip", "staff"})),
                    CouponCode("TEA"),
                    DateWindow(AT - timedelta(days=1), AT + timedelta(days=1)),
                    DateWindow(starts_at=AT - timedelta(days=1)),
                ),
                priority=5,
                exclusive=True,
                combines_with=frozenset({DiscountClass.ORDER, DiscountClass.SHIPPING}),
                max_discount=eur("50.00"),
                usage_limit=100,
                per_customer_limit=1,
            ),
            PriceRule("P2", AmountOffLines(eur("1.00"), mugs)),
            PriceRule("P3", FixedUnitPrice(eur("3.00"))),
            PriceRule("P4", TieredUnitPrice((Tier(2, eur("3.50")), Tier(5, eur("3.00"))), tea)),
            PriceRule("P5", BuyXGetY(2, 1, Decimal(50), tea)),
            PriceRule("O1", PercentOffOrder(Decimal(5))),
            PriceRule("O2", AmountOffOrder(eur("2.00"))),
            PriceRule("S1", FreeShipping()),
        )
        policy = TaxPolicy(
            (
                Tax("state", "standard", Decimal("0.0725"), Zone("US", "CA"), sequence=1),
                Tax("city", "standard", Decimal("0.01"), Zone("US"), compound=True, sequence=2),
            ),
            prices_include_tax=True,
            shipping=ShippingTax(ShippingTaxMode.CATEGORY, "standard"),
        )
        original = attrs.evolve(
            request(line("MUG-1", "12.00", 2, category="mugs"), line("TEA-1", "4.00", 3)),
            tax_policy=policy,
            rounding=RoundingPolicy(RoundingMode.FLOOR, RoundingLevel.ORDER),
            rules=rules,
            coupons=("TEA", "tea"),
            shipping=eur("4.90"),
            customer=Customer("c-1", "vip", "exempt"),
            destination=Zone("US", "CA"),
            usage={"P1": RuleUsage(3, 1)},
        )

        assert original == decode_request(encode_request(original)).unwrap()

    def test_a_plain_request_survives_too(self) -> None:
        """Defaults (no shipping, no customer, no rules) round-trip as well."""
        original = request(line("A", "1.00"))

        assert original == decode_request(encode_request(original)).unwrap()

    def test_a_line_in_another_currency_says_so(self) -> None:
        """The encoded line names its own currency, and decoding reports the mix."""
        original = request(line("A", "1.00"), line("B", "2.00", currency=USD))

        encoded = encode_request(original)

        lines = encoded["lines"]
        assert isinstance(lines, list)
        assert [None, "USD"] == [item.get("currency") for item in lines]
        assert ["lines[1].unit_price: is in USD, the quote is in EUR"] == [
            str(problem) for problem in decode_request(encoded).failure()
        ]

    @pytest.mark.parametrize(("currency", "price"), [(JPY, "1234"), (BHD, "1.234")])
    def test_other_currencies_round_trip(self, currency: Currency, price: str) -> None:
        """Yen and dinar amounts keep their exponent through JSON."""
        original = QuoteRequest(
            currency=currency,
            lines=(line("A", price, currency=currency),),
            at=AT,
            tax_policy=TaxPolicy.flat({"standard": "0"}),
            shipping=Money.of(price, currency),
        )

        assert original == decode_request(encode_request(original)).unwrap()
