"""The short cuts a quote takes give what the long ways give: the quick validation pass,
Money made from minor units without checks, the lines a selector picks worked out for the
whole cart, the request a rule was judged by applied again, and a lone tax on a line."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import attrs
import pytest

from pulseshop.core.money import (
    BHD,
    EUR,
    JPY,
    Currency,
    Money,
    allocate_units,
    from_minor_units,
    money_maker,
)
from pulseshop.core.pricing import (
    AmountOffLines,
    AmountOffOrder,
    BuyXGetY,
    CouponCode,
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
    RuleUsage,
    Tax,
    TaxPolicy,
    Tier,
    TieredUnitPrice,
)
from pulseshop.core.pricing.validation import validate
from pulseshop.core.problems import Problem, ProblemCode
from tests.core._builders import AT, eur, line, priced, problems_of, request

pytestmark = pytest.mark.unit

CART = (
    line("BOOK-1", "20.00", 1, category="books"),
    line("MUG-1", "12.00", 2, category="mugs"),
    line("TEA-1", "4.00", 5, category="tea"),
    line("TEA-2", "9.99", 1, category="tea"),
)
PRODUCT = frozenset({DiscountClass.PRODUCT})
VIP = frozenset({"vip"})


EVERY_KIND = attrs.evolve(
    request(*CART),
    rules=(
        PriceRule("A", PercentOffLines(Decimal("12.5")), conditions=(CouponCode("WINTER"),)),
        PriceRule("B", AmountOffLines(eur("1.00")), conditions=(MinSubtotal(eur("10.00")),)),
        PriceRule("C", FixedUnitPrice(eur("3.00")), conditions=(CustomerGroupIs(VIP),)),
        PriceRule(
            "D",
            TieredUnitPrice((Tier(2, eur("3.50")), Tier(5, eur("3.00")))),
            conditions=(DateWindow(AT - timedelta(days=1), AT + timedelta(days=1)),),
        ),
        PriceRule("E", BuyXGetY(2, 1, Decimal(50)), max_discount=eur("5.00")),
        PriceRule("F", PercentOffOrder(Decimal(5)), conditions=(MinQuantity(2),)),
        PriceRule("G", AmountOffOrder(eur("2.00")), conditions=(HasItems(LineSelector()),)),
        PriceRule("H", FreeShipping(), usage_limit=3, per_customer_limit=1),
    ),
    coupons=("winter",),
    shipping=eur("4.90"),
    usage={"H": RuleUsage(total=1, customer=0)},
)


class Count(int):
    """An int that is not exactly an int, as a caller's own number type might be."""


class TestQuickValidation:
    def test_a_valid_request_has_no_problems(self) -> None:
        """A valid request, with rules of every kind, is cleared with no problems."""
        assert () == validate(EVERY_KIND)

    def test_only_the_problem_is_reported_when_the_rest_is_valid(self) -> None:
        """With one problem, the detailed checks look at every other value and find nothing."""
        asked = attrs.evolve(EVERY_KIND, coupons=(*EVERY_KIND.coupons, ""))

        assert (Problem("coupons[1]", ProblemCode.REQUIRED, "must not be blank"),) == validate(
            asked
        )

    def test_values_the_quick_pass_leaves_to_the_detailed_checks_are_still_valid(self) -> None:
        """Counts of an int subclass and an equal copy of the currency are valid: the quick
        pass hands such a request to the detailed checks, which find nothing wrong."""
        plain = attrs.evolve(
            request(line("MUG-1", "12.00", 2)),
            rules=(PriceRule("R", PercentOffOrder(Decimal(10)), priority=1, usage_limit=5),),
            usage={"R": RuleUsage(total=1, customer=0)},
        )
        copied_euro = Currency("EUR", 2)
        unusual = attrs.evolve(
            plain,
            lines=(line("MUG-1", "12.00", Count(2), currency=copied_euro),),
            rules=(
                PriceRule(
                    "R", PercentOffOrder(Decimal(10)), priority=Count(1), usage_limit=Count(5)
                ),
            ),
            usage={"R": RuleUsage(total=Count(1), customer=Count(0))},
        )

        assert () == validate(unusual)
        assert priced(plain) == priced(unusual)

    def test_every_problem_is_reported_in_order_once_the_quick_pass_fails(self) -> None:
        """A request with problems in several places gets every one, in field order."""
        asked = attrs.evolve(
            request(line("MUG-1", "12.00", 0), line("MUG-1", "-1.00")),
            rules=(PriceRule("R", PercentOffLines(Decimal(101))),),
            coupons=(" ",),
        )

        assert (
            Problem(
                "lines[0].quantity", ProblemCode.NOT_POSITIVE_INTEGER, "must be a positive integer"
            ),
            Problem("lines[1].sku", ProblemCode.DUPLICATE, "'MUG-1' is already on lines[0]"),
            Problem("lines[1].unit_price", ProblemCode.OUT_OF_RANGE, "must not be negative"),
            Problem(
                "rules[0].action.percent",
                ProblemCode.OUT_OF_RANGE,
                "must be between 0 and 100, got 101",
            ),
            Problem("coupons[0]", ProblemCode.REQUIRED, "must not be blank"),
        ) == problems_of(asked)


class TestMoneyFromMinorUnits:
    @pytest.mark.parametrize(
        ("currency", "units", "amount"),
        [
            (EUR, 1234, "12.34"),
            (EUR, 5, "0.05"),
            (EUR, 0, "0.00"),
            (EUR, -250, "-2.50"),
            (JPY, 1234, "1234"),
            (BHD, 1, "0.001"),
        ],
    )
    def test_is_the_money_of_the_amount_at_the_currency_exponent(
        self, currency: Currency, units: int, amount: str
    ) -> None:
        """Minor units make the same Money as its decimal amount, digits and exponent alike."""
        expected = Money(Decimal(amount), currency)

        for made in (from_minor_units(units, currency), money_maker(currency)(units)):
            assert expected == made
            assert hash(expected) == hash(made)
            assert Decimal(amount).as_tuple() == made.amount.as_tuple()


class TestAllocation:
    @pytest.mark.parametrize(
        ("units", "weights", "parts"),
        [
            (9, [1, 2], [3, 6]),
            (1, [1, 1], [1, 0]),
            (2, [1, 1, 1], [1, 1, 0]),
            (5, [3, 1, 3], [2, 1, 2]),
            (-5, [3, 1, 3], [-2, -1, -2]),
        ],
    )
    def test_left_over_units_go_to_the_largest_remainders_then_the_earliest(
        self, units: int, weights: list[int], parts: list[int]
    ) -> None:
        """Exact shares need nothing more; ties in what is left over go to the earlier part."""
        assert parts == allocate_units(units, weights)


class TestSelectionsOverTheCart:
    @pytest.mark.parametrize(
        "selector",
        [
            LineSelector(),
            LineSelector(skus=frozenset({"MUG-1", "TEA-2"})),
            LineSelector(categories=frozenset({"tea"})),
            LineSelector(frozenset({"BOOK-1"}), frozenset({"tea"})),
        ],
    )
    def test_a_line_action_discounts_exactly_the_lines_its_selector_selects(
        self, selector: LineSelector
    ) -> None:
        """The lines a rule discounts are the lines `LineSelector.selects` says it selects."""
        result = priced(
            attrs.evolve(
                request(*CART), rules=(PriceRule("R", PercentOffLines(Decimal(10), selector)),)
            )
        )

        expected = {
            cart_line.sku
            for cart_line in CART
            if selector.selects(cart_line.sku, cart_line.category)
        }
        assert expected == {quoted.sku for quoted in result.lines if quoted.discount.amount}


class TestRequestsAppliedAgain:
    def test_a_rule_asks_again_of_lines_an_earlier_rule_discounted(self) -> None:
        """A later rule takes its percentage of what the earlier one left, not of the listed
        price; on lines the earlier one did not touch it takes it of the listed price."""
        rules = (
            PriceRule(
                "FIRST",
                AmountOffLines(eur("1.00"), LineSelector(skus=frozenset({"TEA-1"}))),
                priority=2,
                combines_with=PRODUCT,
            ),
            PriceRule(
                "THEN",
                PercentOffLines(Decimal(50), LineSelector(categories=frozenset({"tea"}))),
                priority=1,
                combines_with=PRODUCT,
            ),
        )
        result = priced(attrs.evolve(request(*CART), rules=rules))

        discounts = {quoted.sku: quoted.discount for quoted in result.lines}
        assert eur("10.50") == discounts["TEA-1"]  # 1.00, then half of 19.00
        assert eur("5.00") == discounts["TEA-2"]  # half of 9.99, rounded half to even


class TestLoneTaxes:
    @pytest.mark.parametrize("prices_include_tax", [False, True])
    def test_a_lone_compound_tax_is_charged_like_a_simple_one(
        self, *, prices_include_tax: bool
    ) -> None:
        """A compound tax with no tax before it is charged on the net alone."""

        def taxed(*, compound: bool) -> list[Money]:
            policy = TaxPolicy(
                (Tax("vat", "standard", Decimal("0.196"), compound=compound),),
                prices_include_tax=prices_include_tax,
            )
            return [quoted.tax for quoted in priced(request(*CART, tax_policy=policy)).lines]

        assert taxed(compound=False) == taxed(compound=True)
