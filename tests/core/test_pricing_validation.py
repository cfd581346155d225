"""Bad quote requests built from typed values: each comes back as a `Failure` naming the
field by its JSON path, and nothing raises."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from returns.pipeline import is_successful

from pulseshop.core.money import EUR, JPY, MAX_AMOUNT, USD, Currency, Money
from pulseshop.core.pricing import (
    AmountOffLines,
    AmountOffOrder,
    BuyXGetY,
    CouponCode,
    CustomerGroupIs,
    DateWindow,
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
    quote,
)
from pulseshop.core.problems import Problem, ProblemCode, at
from tests.core._builders import AT, eur, line, problems_of, request

if TYPE_CHECKING:
    from pulseshop.core.pricing import Action, Condition

pytestmark = pytest.mark.unit

VAT = TaxPolicy.flat({"standard": "0.20", "reduced": "0.05"})
BASE = attrs.evolve(
    request(
        line("MUG-1", "12.00", 2),
        line("TEA-1", "4.50", 3, tax_category="reduced"),
        line("BOOK-1", "20.00"),
        tax_policy=VAT,
    ),
    rules=(
        PriceRule(
            "GOOD",
            FreeShipping(),
            conditions=(HasItems(LineSelector(skus=frozenset({"MUG-1"}))), MinQuantity(2)),
        ),
    ),
    coupons=("WINTER",),
    shipping=eur("4.90"),
    usage={"GOOD": RuleUsage(total=3, customer=1)},
)
ZZZ = Currency("ZZZ", 2)
NAIVE = datetime(2026, 12, 4)  # noqa: DTZ001 - a moment without an offset is what is tested


class _NoOffset(tzinfo):
    """A time zone that does not know its offset."""

    def utcoffset(self, _dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, _dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, _dt: datetime | None) -> str | None:
        return None


def with_line(index: int, **changes: Any) -> QuoteRequest:
    """BASE with one line changed."""
    lines = list(BASE.lines)
    lines[index] = attrs.evolve(lines[index], **changes)
    return attrs.evolve(BASE, lines=tuple(lines))


def with_rule(rule: PriceRule) -> QuoteRequest:
    """BASE with ``rule`` as its only rule."""
    return attrs.evolve(BASE, rules=(rule,))


def with_action(action: Action) -> QuoteRequest:
    """BASE with one rule whose action is ``action``."""
    return with_rule(PriceRule("R", action))


def with_condition(condition: Condition) -> QuoteRequest:
    """BASE with one rule that has ``condition``."""
    return with_rule(PriceRule("R", FreeShipping(), conditions=(condition,)))


def in_currency(currency: Currency, *prices: str) -> QuoteRequest:
    """A request in ``currency`` with one line per price."""
    lines = (line(f"SKU-{index}", price, currency=currency) for index, price in enumerate(prices))
    return request(*lines, tax_policy=VAT, currency=currency)


POSITIVE_INTEGER = (ProblemCode.NOT_POSITIVE_INTEGER, "must be a positive integer")

BAD_REQUESTS = [
    # quantities
    pytest.param(with_line(2, quantity=0), "lines[2].quantity", *POSITIVE_INTEGER, id="zero"),
    pytest.param(with_line(2, quantity=-3), "lines[2].quantity", *POSITIVE_INTEGER, id="negative"),
    pytest.param(with_line(2, quantity=1.5), "lines[2].quantity", *POSITIVE_INTEGER, id="1.5"),
    pytest.param(with_line(2, quantity="2"), "lines[2].quantity", *POSITIVE_INTEGER, id="str"),
    pytest.param(with_line(2, quantity=True), "lines[2].quantity", *POSITIVE_INTEGER, id="bool"),
    pytest.param(
        with_line(2, quantity=1_000_001),
        "lines[2].quantity",
        ProblemCode.OUT_OF_RANGE,
        "must be at most 1000000",
        id="huge-quantity",
    ),
    # currencies and amounts
    pytest.param(
        in_currency(ZZZ, "1.00"),
        "currency",
        ProblemCode.UNKNOWN_CURRENCY,
        "'ZZZ' is unknown",
        id="unknown-currency",
    ),
    pytest.param(
        in_currency(Currency("EUR", 3), "1.000"),
        "currency",
        ProblemCode.UNKNOWN_CURRENCY,
        "'EUR' is unknown",
        id="wrong-exponent",
    ),
    pytest.param(
        with_line(2, unit_price=eur("1.001")),
        "lines[2].unit_price",
        ProblemCode.TOO_PRECISE,
        "1.001 has more decimal places than EUR allows (2)",
        id="finer-than-cents",
    ),
    pytest.param(
        in_currency(JPY, "15", "1.5"),
        "lines[1].unit_price",
        ProblemCode.TOO_PRECISE,
        "1.5 has more decimal places than JPY allows (0)",
        id="finer-than-yen",
    ),
    pytest.param(
        with_line(2, unit_price=eur("-0.01")),
        "lines[2].unit_price",
        ProblemCode.OUT_OF_RANGE,
        "must not be negative",
        id="negative-price",
    ),
    pytest.param(
        with_line(2, unit_price=Money(MAX_AMOUNT + 1, EUR)),
        "lines[2].unit_price",
        ProblemCode.OUT_OF_RANGE,
        "must be at most 1000000000000",
        id="huge-price",
    ),
    pytest.param(
        with_line(2, unit_price=Money.of("20.00", USD)),
        "lines[2].unit_price",
        ProblemCode.MIXED_CURRENCIES,
        "is in USD, the quote is in EUR",
        id="mixed-currencies",
    ),
    pytest.param(
        attrs.evolve(BASE, shipping=eur("4.901")),
        "shipping",
        ProblemCode.TOO_PRECISE,
        "4.901 has more decimal places than EUR allows (2)",
        id="shipping-too-precise",
    ),
    pytest.param(
        attrs.evolve(BASE, shipping=Money.of("4.90", USD)),
        "shipping",
        ProblemCode.MIXED_CURRENCIES,
        "is in USD, the quote is in EUR",
        id="shipping-in-dollars",
    ),
    # lines
    pytest.param(
        attrs.evolve(BASE, lines=()),
        "lines",
        ProblemCode.EMPTY_CART,
        "the cart is empty",
        id="empty-cart",
    ),
    pytest.param(
        attrs.evolve(BASE, lines=tuple(line(f"S{index}", "1.00") for index in range(1001))),
        "lines",
        ProblemCode.TOO_MANY,
        "at most 1000 lines",
        id="too-many-lines",
    ),
    pytest.param(
        with_line(2, sku=" "),
        "lines[2].sku",
        ProblemCode.REQUIRED,
        "must not be blank",
        id="blank-sku",
    ),
    pytest.param(
        with_line(2, sku="S" * 201),
        "lines[2].sku",
        ProblemCode.OUT_OF_RANGE,
        "must be at most 200 characters",
        id="long-sku",
    ),
    pytest.param(
        with_line(2, sku="MUG-1"),
        "lines[2].sku",
        ProblemCode.DUPLICATE,
        "'MUG-1' is already on lines[0]",
        id="duplicate-sku",
    ),
    pytest.param(
        with_line(2, tax_category="luxury"),
        "lines[2].tax_category",
        ProblemCode.UNKNOWN_TAX_CATEGORY,
        "'luxury' is not a tax category of the tax policy",
        id="unknown-tax-category",
    ),
    # taxes
    pytest.param(
        attrs.evolve(BASE, tax_policy=TaxPolicy.flat({"standard": "1.5", "reduced": "0.05"})),
        "taxes[0].rate",
        ProblemCode.RATE_OUT_OF_RANGE,
        "must be between 0 and 1, got 1.5",
        id="rate-above-one",
    ),
    pytest.param(
        attrs.evolve(BASE, tax_policy=TaxPolicy.flat({"standard": "0.2", "reduced": "-0.01"})),
        "taxes[1].rate",
        ProblemCode.RATE_OUT_OF_RANGE,
        "must be between 0 and 1, got -0.01",
        id="negative-rate",
    ),
    pytest.param(
        attrs.evolve(BASE, tax_policy=TaxPolicy.flat({"standard": "NaN", "reduced": "0"})),
        "taxes[0].rate",
        ProblemCode.RATE_OUT_OF_RANGE,
        "must be between 0 and 1, got NaN",
        id="nan-rate",
    ),
    pytest.param(
        attrs.evolve(
            BASE, tax_policy=TaxPolicy.flat({"standard": "0.12345678901", "reduced": "0"})
        ),
        "taxes[0].rate",
        ProblemCode.TOO_PRECISE,
        "has more than 10 decimal places",
        id="rate-too-precise",
    ),
    pytest.param(
        attrs.evolve(
            BASE,
            tax_policy=attrs.evolve(VAT, taxes=(*VAT.taxes, Tax(" ", "standard", Decimal("0.01")))),
        ),
        "taxes[2].name",
        ProblemCode.REQUIRED,
        "must not be blank",
        id="blank-tax-name",
    ),
    pytest.param(
        attrs.evolve(
            BASE, tax_policy=attrs.evolve(VAT, taxes=(*VAT.taxes, Tax("x", "", Decimal(0))))
        ),
        "taxes[2].category",
        ProblemCode.REQUIRED,
        "must not be blank",
        id="blank-tax-category",
    ),
    pytest.param(
        attrs.evolve(
            BASE,
            tax_policy=attrs.evolve(VAT, shipping=ShippingTax(ShippingTaxMode.CATEGORY, "freight")),
        ),
        "shipping_tax.category",
        ProblemCode.UNKNOWN_TAX_CATEGORY,
        "'freight' is not a tax category of the tax policy",
        id="unknown-shipping-category",
    ),
    # coupons, usage and the moment
    pytest.param(
        attrs.evolve(BASE, coupons=("  ",)),
        "coupons[0]",
        ProblemCode.REQUIRED,
        "must not be blank",
        id="blank-coupon",
    ),
    pytest.param(
        attrs.evolve(BASE, usage={"R": RuleUsage(total=-1)}),
        "usage.R.total",
        ProblemCode.OUT_OF_RANGE,
        "must be at least 0",
        id="negative-usage",
    ),
    pytest.param(
        attrs.evolve(BASE, usage={"R": RuleUsage(customer=True)}),
        "usage.R.customer",
        ProblemCode.WRONG_TYPE,
        "must be an integer",
        id="bool-usage",
    ),
    pytest.param(
        attrs.evolve(BASE, at=NAIVE),
        "at",
        ProblemCode.INVALID_DATETIME,
        "must include a UTC offset (say Z or +01:00)",
        id="naive-moment",
    ),
    pytest.param(
        attrs.evolve(BASE, at=datetime(2026, 12, 4, tzinfo=_NoOffset())),
        "at",
        ProblemCode.INVALID_DATETIME,
        "must include a UTC offset (say Z or +01:00)",
        id="zone-without-offset",
    ),
    # rules
    pytest.param(
        with_rule(PriceRule(" ", FreeShipping())),
        "rules[0].id",
        ProblemCode.REQUIRED,
        "must not be blank",
        id="blank-rule-id",
    ),
    pytest.param(
        attrs.evolve(BASE, rules=(PriceRule("R", FreeShipping()), PriceRule("R", FreeShipping()))),
        "rules[1].id",
        ProblemCode.DUPLICATE,
        "'R' is already the id of rules[0]",
        id="duplicate-rule-id",
    ),
    pytest.param(
        with_rule(PriceRule("R", FreeShipping(), priority=10**6 + 1)),
        "rules[0].priority",
        ProblemCode.OUT_OF_RANGE,
        "must be at least -1000000 and at most 1000000",
        id="priority-out-of-range",
    ),
    pytest.param(
        with_rule(PriceRule("R", FreeShipping(), max_discount=Money.of("1.00", USD))),
        "rules[0].max_discount",
        ProblemCode.MIXED_CURRENCIES,
        "is in USD, the quote is in EUR",
        id="cap-in-dollars",
    ),
    pytest.param(
        with_rule(PriceRule("R", FreeShipping(), usage_limit=-1)),
        "rules[0].usage_limit",
        ProblemCode.OUT_OF_RANGE,
        "must be at least 0",
        id="negative-usage-limit",
    ),
    pytest.param(
        with_rule(PriceRule("R", FreeShipping(), per_customer_limit=True)),
        "rules[0].per_customer_limit",
        ProblemCode.WRONG_TYPE,
        "must be an integer",
        id="bool-customer-limit",
    ),
    # conditions
    pytest.param(
        with_condition(MinSubtotal(eur("1.001"))),
        "rules[0].conditions[0].amount",
        ProblemCode.TOO_PRECISE,
        "1.001 has more decimal places than EUR allows (2)",
        id="min-subtotal-too-precise",
    ),
    pytest.param(
        with_condition(MinQuantity(0)),
        "rules[0].conditions[0].quantity",
        *POSITIVE_INTEGER,
        id="min-quantity-zero",
    ),
    pytest.param(
        with_condition(CustomerGroupIs(frozenset())),
        "rules[0].conditions[0].groups",
        ProblemCode.REQUIRED,
        "must name a group",
        id="no-group",
    ),
    pytest.param(
        with_condition(CouponCode(" ")),
        "rules[0].conditions[0].code",
        ProblemCode.REQUIRED,
        "must not be blank",
        id="blank-coupon-code",
    ),
    pytest.param(
        with_condition(DateWindow(starts_at=NAIVE)),
        "rules[0].conditions[0].starts_at",
        ProblemCode.INVALID_DATETIME,
        "must include a UTC offset (say Z or +01:00)",
        id="naive-start",
    ),
    pytest.param(
        with_condition(DateWindow(NAIVE, AT - timedelta(days=400))),
        "rules[0].conditions[0].starts_at",
        ProblemCode.INVALID_DATETIME,
        "must include a UTC offset (say Z or +01:00)",
        id="naive-start-before-end-not-compared",
    ),
    pytest.param(
        with_condition(DateWindow(AT, AT)),
        "rules[0].conditions[0].ends_at",
        ProblemCode.INVALID_WINDOW,
        "must be after starts_at",
        id="empty-window",
    ),
    # actions
    pytest.param(
        with_action(PercentOffLines(Decimal(101))),
        "rules[0].action.percent",
        ProblemCode.OUT_OF_RANGE,
        "must be between 0 and 100, got 101",
        id="percent-above-100",
    ),
    pytest.param(
        with_action(PercentOffOrder(Decimal("NaN"))),
        "rules[0].action.percent",
        ProblemCode.OUT_OF_RANGE,
        "must be between 0 and 100, got NaN",
        id="nan-percent",
    ),
    pytest.param(
        with_action(PercentOffOrder(Decimal("1.123456789"))),
        "rules[0].action.percent",
        ProblemCode.TOO_PRECISE,
        "has more than 8 decimal places",
        id="percent-too-precise",
    ),
    pytest.param(
        with_action(AmountOffLines(eur("-1.00"))),
        "rules[0].action.amount",
        ProblemCode.OUT_OF_RANGE,
        "must not be negative",
        id="negative-amount-off",
    ),
    pytest.param(
        with_action(AmountOffOrder(Money.of("1.00", USD))),
        "rules[0].action.amount",
        ProblemCode.MIXED_CURRENCIES,
        "is in USD, the quote is in EUR",
        id="amount-off-in-dollars",
    ),
    pytest.param(
        with_action(FixedUnitPrice(eur("1.001"))),
        "rules[0].action.price",
        ProblemCode.TOO_PRECISE,
        "1.001 has more decimal places than EUR allows (2)",
        id="fixed-price-too-precise",
    ),
    pytest.param(
        with_action(TieredUnitPrice(())),
        "rules[0].action.tiers",
        ProblemCode.REQUIRED,
        "must list at least one tier",
        id="no-tiers",
    ),
    pytest.param(
        with_action(TieredUnitPrice((Tier(5, eur("3.00")), Tier(3, eur("3.50"))))),
        "rules[0].action.tiers[1].min_quantity",
        ProblemCode.OUT_OF_RANGE,
        "tiers must be in increasing order of min_quantity",
        id="tiers-out-of-order",
    ),
    pytest.param(
        with_action(TieredUnitPrice((Tier(0, eur("3.00")), Tier(2, eur("2.50"))))),
        "rules[0].action.tiers[0].min_quantity",
        *POSITIVE_INTEGER,
        id="tier-from-zero",
    ),
    pytest.param(
        with_action(TieredUnitPrice((Tier(2, Money.of("3.00", USD)),))),
        "rules[0].action.tiers[0].unit_price",
        ProblemCode.MIXED_CURRENCIES,
        "is in USD, the quote is in EUR",
        id="tier-in-dollars",
    ),
]


class TestBadRequests:
    def test_the_base_request_is_valid(self) -> None:
        """The request every case below spoils is itself fine."""
        assert is_successful(quote(BASE))

    @pytest.mark.parametrize(("asked", "path", "code", "message"), BAD_REQUESTS)
    def test_each_problem_is_named_by_its_path(
        self, asked: QuoteRequest, path: str, code: ProblemCode, message: str
    ) -> None:
        """The one thing wrong comes back as the only problem, at its JSON path."""
        problems = problems_of(asked)

        assert (Problem(path, code, message),) == problems
        assert f"{path}: {message}" == str(problems[0])

    def test_buy_x_get_y_reports_each_field(self) -> None:
        """Buy 0, get 0 at 200% is three problems, one per field."""
        problems = problems_of(with_action(BuyXGetY(0, 0, Decimal(200))))

        assert [
            "rules[0].action.buy: must be a positive integer",
            "rules[0].action.get: must be a positive integer",
            "rules[0].action.percent: must be between 0 and 100, got 200",
        ] == [str(problem) for problem in problems]

    def test_every_problem_comes_back_in_field_order(self) -> None:
        """A request wrong in many places reports all of it at once, in the order of its
        fields."""
        asked = attrs.evolve(
            in_currency(ZZZ, "1.00"),
            lines=(line("A", "1.00", 0, tax_category="luxury"), line("B", "1.001")),
            coupons=("",),
            at=NAIVE,
        )

        assert [
            "currency: 'ZZZ' is unknown",
            "lines[0].unit_price: is in EUR, the quote is in ZZZ",
            "lines[0].quantity: must be a positive integer",
            "lines[0].tax_category: 'luxury' is not a tax category of the tax policy",
            "lines[1].unit_price: is in EUR, the quote is in ZZZ",
            "coupons[0]: must not be blank",
            "at: must include a UTC offset (say Z or +01:00)",
        ] == [str(problem) for problem in problems_of(asked)]


class TestProblems:
    def test_a_problem_without_a_path_is_its_message(self) -> None:
        """A problem about the whole input has no path to show."""
        assert "must be an object" == str(Problem("", ProblemCode.WRONG_TYPE, "must be an object"))

    @pytest.mark.parametrize(
        ("path", "field", "joined"),
        [("", "lines", "lines"), ("lines", 2, "lines[2]"), ("lines[2]", "sku", "lines[2].sku")],
    )
    def test_paths_join_like_json(self, path: str, field: str | int, joined: str) -> None:
        """Fields join with dots, list indices with brackets."""
        assert joined == at(path, field)
