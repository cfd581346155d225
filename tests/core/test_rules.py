"""Price rules: conditions, actions, and how rules meet (priority, exclusivity, combining,
caps, usage limits), with every coupon that does not apply given its reason.

Most tests price one untaxed cart: a book at 20.00, two mugs at 12.00 and five teas at
4.00 (subtotal EUR 64.00).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
import pytest

from pulseshop.core.money import RoundingMode, RoundingPolicy
from pulseshop.core.pricing import (
    AmountOffLines,
    AmountOffOrder,
    AppliedRule,
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
    RejectedCoupon,
    RejectionReason,
    RuleUsage,
    Tier,
    TieredUnitPrice,
)
from tests.core._builders import AT, eur, line, priced, request

if TYPE_CHECKING:
    from pulseshop.core.pricing import Action, Condition, Line, Quote, QuoteRequest

pytestmark = pytest.mark.unit

BOOKS = LineSelector(categories=frozenset({"books"}))
MUGS = LineSelector(categories=frozenset({"mugs"}))
TEA = LineSelector(categories=frozenset({"tea"}))
PRODUCT = frozenset({DiscountClass.PRODUCT})
ANYONE = Customer()
CART = (
    line("BOOK-1", "20.00", 1, category="books"),
    line("MUG-1", "12.00", 2, category="mugs"),
    line("TEA-1", "4.00", 5, category="tea"),
)


def shop(
    *rules: PriceRule,
    lines: tuple[Line, ...] = CART,
    coupons: tuple[str, ...] = (),
    customer: Customer = ANYONE,
    usage: dict[str, RuleUsage] | None = None,
    shipping: str | None = None,
) -> QuoteRequest:
    """The cart with ``rules`` in force and the customer's coupons."""
    return attrs.evolve(
        request(*lines),
        rules=rules,
        coupons=coupons,
        customer=customer,
        usage=usage or {},
        shipping=eur(shipping) if shipping is not None else None,
    )


def off(result: Quote) -> dict[str, str]:
    """Each line's discount, by SKU."""
    return {line.sku: f"{line.discount.amount:f}" for line in result.lines}


def rejected(result: Quote) -> list[tuple[str, RejectionReason, str]]:
    """The rejected coupons as (code, reason, message)."""
    return [(coupon.code, coupon.reason, coupon.message) for coupon in result.rejected_coupons]


class TestSelectors:
    @pytest.mark.parametrize(
        ("selector", "sku", "category", "selects"),
        [
            (LineSelector(), "A", None, True),
            (LineSelector(skus=frozenset({"A"})), "A", None, True),
            (LineSelector(skus=frozenset({"A"})), "B", "tea", False),
            (TEA, "B", "tea", True),
            (TEA, "B", None, False),
            (LineSelector(frozenset({"A"}), frozenset({"tea"})), "B", "tea", True),
        ],
    )
    def test_selects_by_sku_or_category(
        self, selector: LineSelector, sku: str, category: str | None, *, selects: bool
    ) -> None:
        """A line is selected by its SKU or its category; an empty selector takes every line."""
        assert selects == selector.selects(sku, category)

    def test_describes_what_it_selects(self) -> None:
        """Selectors name their SKUs and categories in sorted order."""
        both = LineSelector(frozenset({"B", "A"}), frozenset({"tea"}))

        assert "SKU A, B or category tea" == both.describe()
        assert "every item" == LineSelector().describe()

    def test_rules_know_their_class_and_coupons(self) -> None:
        """A rule's class follows its action; its coupon codes are upper case."""
        rule = PriceRule("R", FreeShipping(), conditions=(CouponCode(" ship "), MinQuantity(1)))

        assert DiscountClass.SHIPPING == rule.discount_class
        assert frozenset({"SHIP"}) == rule.coupon_codes
        assert DiscountClass.ORDER == PriceRule("O", AmountOffOrder(eur("1.00"))).discount_class


class TestConditions:
    @pytest.mark.parametrize(
        ("condition", "coupons", "reason"),
        [
            (MinSubtotal(eur("64.00")), (), "subtotal EUR 64.00 is at least EUR 64.00"),
            (MinQuantity(5, TEA), (), "5 units of category tea (at least 5)"),
            (MinQuantity(8), (), "8 units of every item (at least 8)"),
            (HasItems(LineSelector(skus=frozenset({"MUG-1"}))), (), "the cart holds SKU MUG-1"),
            (CustomerGroupIs(frozenset({"vip", "staff"})), (), "customer group vip"),
            (CouponCode("winter"), (" Winter ",), "coupon WINTER"),
            (
                DateWindow(AT - timedelta(days=1), AT + timedelta(days=1)),
                (),
                "valid until 2026-12-05T10:00:00+00:00",
            ),
            (DateWindow(starts_at=AT), (), "valid with no end"),
        ],
    )
    def test_a_met_condition_is_the_reason_given(
        self, condition: Condition, coupons: tuple[str, ...], reason: str
    ) -> None:
        """When its condition holds the rule applies, and says why."""
        rule = PriceRule("R", PercentOffLines(Decimal(10)), conditions=(condition,))

        result = priced(shop(rule, coupons=coupons, customer=Customer(group="vip")))

        assert [f"10% off every item: {reason}"] == [rule.reason for rule in result.applied_rules]
        assert eur("6.40") == result.discount_total

    @pytest.mark.parametrize(
        ("condition", "message"),
        [
            (MinSubtotal(eur("64.01")), "subtotal EUR 64.00 is below the minimum EUR 64.01"),
            (MinQuantity(6, TEA), "needs at least 6 units of category tea, the cart has 5"),
            (HasItems(LineSelector(skus=frozenset({"NOPE"}))), "the cart holds no SKU NOPE"),
            (
                HasItems(LineSelector(frozenset({"NOPE"}), frozenset({"toys"}))),
                "the cart holds no SKU NOPE or category toys",
            ),
            (
                CustomerGroupIs(frozenset({"vip", "staff"})),
                "only for customer group staff, vip",
            ),
            (
                DateWindow(starts_at=AT + timedelta(hours=1)),
                "starts at 2026-12-04T11:00:00+00:00",
            ),
            (DateWindow(ends_at=AT), "ended at 2026-12-04T10:00:00+00:00"),
        ],
    )
    def test_an_unmet_condition_rejects_the_coupon_saying_why(
        self, condition: Condition, message: str
    ) -> None:
        """The coupon's rule does not apply; the message names the condition that failed."""
        rule = PriceRule(
            "R", PercentOffLines(Decimal(10)), conditions=(CouponCode("SAVE"), condition)
        )

        result = priced(shop(rule, coupons=("save",)))

        assert () == result.applied_rules
        assert [("save", RejectionReason.CONDITIONS_NOT_MET, message)] == rejected(result)

    def test_an_unmet_condition_without_a_coupon_is_silent(self) -> None:
        """An automatic promotion that does not apply is no rejection."""
        rule = PriceRule("R", PercentOffLines(Decimal(10)), conditions=(MinQuantity(100),))

        result = priced(shop(rule))

        assert ((), ()) == (result.applied_rules, result.rejected_coupons)


class TestActions:
    @pytest.mark.parametrize(
        ("action", "discounts", "description"),
        [
            (PercentOffLines(Decimal(10), TEA), {"TEA-1": "2.00"}, "10% off category tea"),
            (
                PercentOffLines(Decimal(25)),
                {"BOOK-1": "5.00", "MUG-1": "6.00", "TEA-1": "5.00"},
                "25% off every item",
            ),
            (
                AmountOffLines(eur("5.00")),
                {"BOOK-1": "5.00", "MUG-1": "5.00", "TEA-1": "5.00"},
                "EUR 5.00 off each line of every item",
            ),
            (
                AmountOffLines(eur("25.00")),
                {"BOOK-1": "20.00", "MUG-1": "24.00", "TEA-1": "20.00"},
                "EUR 25.00 off each line of every item",
            ),
            (
                FixedUnitPrice(eur("3.00"), TEA),
                {"TEA-1": "5.00"},
                "unit price EUR 3.00 for category tea",
            ),
            (
                TieredUnitPrice((Tier(3, eur("3.50")), Tier(5, eur("3.00"))), TEA),
                {"TEA-1": "5.00"},
                "volume prices for category tea (EUR 3.50 from 3, EUR 3.00 from 5)",
            ),
            (
                TieredUnitPrice((Tier(2, eur("10.00")),)),
                {"MUG-1": "4.00"},
                "volume prices for every item (EUR 10.00 from 2)",
            ),
            (
                BuyXGetY(2, 1, Decimal(100), TEA),
                {"TEA-1": "4.00"},
                "buy 2 get 1 at 100% off, on category tea",
            ),
            (
                BuyXGetY(1, 1, Decimal(50), LineSelector(categories=frozenset({"books", "mugs"}))),
                {"MUG-1": "6.00"},
                "buy 1 get 1 at 50% off, on category books, mugs",
            ),
            (
                PercentOffOrder(Decimal(10)),
                {"BOOK-1": "2.00", "MUG-1": "2.40", "TEA-1": "2.00"},
                "10% off the order",
            ),
            (
                AmountOffOrder(eur("10.00")),
                {"BOOK-1": "3.13", "MUG-1": "3.75", "TEA-1": "3.12"},
                "EUR 10.00 off the order",
            ),
            (
                AmountOffOrder(eur("100.00")),
                {"BOOK-1": "20.00", "MUG-1": "24.00", "TEA-1": "20.00"},
                "EUR 100.00 off the order",
            ),
        ],
    )
    def test_each_action_states_its_amount_per_line(
        self, action: Action, discounts: dict[str, str], description: str
    ) -> None:
        """The applied rule lists what it took off each line it touched, by SKU."""
        result = priced(shop(PriceRule("R", action, name="Promo")))

        expected_lines = tuple((sku, eur(amount)) for sku, amount in discounts.items())
        total = sum((amount for _, amount in expected_lines), eur("0.00"))
        assert (
            AppliedRule(
                rule_id="R",
                name="Promo",
                discount_class=PriceRule("R", action).discount_class,
                reason=f"{description}: no conditions",
                amount=total,
                lines=expected_lines,
                shipping=eur("0.00"),
            ),
        ) == result.applied_rules
        assert {"BOOK-1": "0.00", "MUG-1": "0.00", "TEA-1": "0.00", **discounts} == off(result)
        assert total == result.discount_total

    def test_tiers_not_reached_take_nothing_off(self) -> None:
        """With one book, a tier from 2 units does not apply to it."""
        rule = PriceRule("R", TieredUnitPrice((Tier(2, eur("10.00")),), BOOKS))

        assert () == priced(shop(rule)).applied_rules

    def test_buy_x_get_y_takes_the_cheapest_units_across_lines(self) -> None:
        """Buy one get one free on four teas: the 4.00 and 6.00 units are free, not the 10.00."""
        teas = (
            line("C1", "4.00", 1, category="tea"),
            line("C2", "6.00", 1, category="tea"),
            line("C3", "10.00", 2, category="tea"),
        )
        rule = PriceRule("R", BuyXGetY(1, 1, Decimal(100), TEA))

        result = priced(shop(rule, lines=teas))

        assert {"C1": "4.00", "C2": "6.00", "C3": "0.00"} == off(result)

    def test_free_shipping(self) -> None:
        """Free shipping takes the shipping off and nothing else."""
        result = priced(shop(PriceRule("SHIP", FreeShipping()), shipping="5.00"))

        applied = result.applied_rules[0]
        assert (DiscountClass.SHIPPING, (), eur("5.00"), eur("5.00")) == (
            applied.discount_class,
            applied.lines,
            applied.shipping,
            applied.amount,
        )
        assert (eur("5.00"), eur("0.00")) == (result.shipping.discount, result.shipping_total)
        assert eur("64.00") == result.total

    @pytest.mark.parametrize(
        ("mode", "discount"), [(RoundingMode.HALF_EVEN, "0.02"), (RoundingMode.HALF_UP, "0.03")]
    )
    def test_percentages_round_with_the_quotes_mode(
        self, mode: RoundingMode, discount: str
    ) -> None:
        """12.5% of 0.20 is 2.5 cents: 2 half-even, 3 half-up."""
        asked = attrs.evolve(
            shop(PriceRule("R", PercentOffLines(Decimal("12.5"))), lines=(line("A", "0.20"),)),
            rounding=RoundingPolicy(mode=mode),
        )

        assert eur(discount) == priced(asked).discount_total


class TestNoEffect:
    @pytest.mark.parametrize(
        ("action", "lines", "message"),
        [
            (FreeShipping(), CART, "there is no shipping to take off"),
            (
                PercentOffOrder(Decimal(10)),
                (line("FREEBIE", "0.00"),),
                "there is nothing in the order to take off",
            ),
            (BuyXGetY(2, 1, Decimal(100), BOOKS), CART, "needs 3 units of category books"),
            (
                FixedUnitPrice(eur("5.00"), TEA),
                CART,
                "no item in the cart gets a lower price (category tea)",
            ),
            (
                PercentOffLines(Decimal(10), LineSelector(skus=frozenset({"NOPE"}))),
                CART,
                "no item in the cart gets a lower price (SKU NOPE)",
            ),
        ],
    )
    def test_a_coupon_that_would_take_nothing_off_is_rejected(
        self, action: Action, lines: tuple[Line, ...], message: str
    ) -> None:
        """A coupon whose rule changes nothing says so, and why."""
        rule = PriceRule("R", action, conditions=(CouponCode("GO"),))

        result = priced(shop(rule, lines=lines, coupons=("GO",)))

        assert [("GO", RejectionReason.NO_EFFECT, message)] == rejected(result)

    def test_nothing_left_after_earlier_discounts(self) -> None:
        """A rule that qualified on listed prices finds nothing left once a higher one applied."""
        everything = PriceRule(
            "ALL", AmountOffLines(eur("100.00")), priority=10, combines_with=PRODUCT
        )
        coupon = PriceRule(
            "TEN",
            PercentOffLines(Decimal(10)),
            conditions=(CouponCode("TEN"),),
            combines_with=PRODUCT,
        )

        result = priced(shop(everything, coupon, coupons=("TEN",)))

        assert ["ALL"] == [rule.rule_id for rule in result.applied_rules]
        assert [
            (
                "TEN",
                RejectionReason.NO_EFFECT,
                "earlier discounts left nothing for rule TEN to take off",
            )
        ] == rejected(result)


class TestPriority:
    def test_higher_priority_applies_first_and_lower_sees_what_is_left(self) -> None:
        """50% then 10% of what is left: 32.00 then 3.20, not 6.40."""
        half = PriceRule("HALF", PercentOffLines(Decimal(50)), priority=10, combines_with=PRODUCT)
        tenth = PriceRule("TENTH", PercentOffLines(Decimal(10)), combines_with=PRODUCT)

        result = priced(shop(tenth, half))

        assert [("HALF", eur("32.00")), ("TENTH", eur("3.20"))] == [
            (rule.rule_id, rule.amount) for rule in result.applied_rules
        ]

    def test_equal_priority_rules_are_computed_on_the_same_amounts(self) -> None:
        """At one priority, 50% and 10% are both of the listed prices: 32.00 and 6.40."""
        half = PriceRule("HALF", PercentOffLines(Decimal(50)), combines_with=PRODUCT)
        tenth = PriceRule("TENTH", PercentOffLines(Decimal(10)), combines_with=PRODUCT)

        result = priced(shop(tenth, half))

        assert [("HALF", eur("32.00")), ("TENTH", eur("6.40"))] == [
            (rule.rule_id, rule.amount) for rule in result.applied_rules
        ]

    def test_equal_priority_rules_asking_too_much_share_what_is_left(self) -> None:
        """Two 15.00 discounts on 24.00 of mugs split it in proportion: 12.00 each."""
        first = PriceRule("A15", AmountOffLines(eur("15.00"), MUGS), combines_with=PRODUCT)
        second = PriceRule("B15", AmountOffLines(eur("15.00"), MUGS), combines_with=PRODUCT)

        result = priced(shop(second, first))

        assert [("A15", eur("12.00")), ("B15", eur("12.00"))] == [
            (rule.rule_id, rule.amount) for rule in result.applied_rules
        ]
        assert {"BOOK-1": "0.00", "MUG-1": "24.00", "TEA-1": "0.00"} == off(result)

    def test_order_discounts_follow_product_discounts_whatever_their_priority(self) -> None:
        """Half off mugs first (12.00), then 10% of the 52.00 left: 2.00, 1.20 and 2.00."""
        mugs = PriceRule(
            "MUGS",
            PercentOffLines(Decimal(50), MUGS),
            combines_with=frozenset({DiscountClass.ORDER}),
        )
        order = PriceRule("ORDER", PercentOffOrder(Decimal(10)), priority=10, combines_with=PRODUCT)

        result = priced(shop(order, mugs))

        assert [
            ("MUGS", (("MUG-1", eur("12.00")),)),
            ("ORDER", (("BOOK-1", eur("2.00")), ("MUG-1", eur("1.20")), ("TEA-1", eur("2.00")))),
        ] == [(rule.rule_id, rule.lines) for rule in result.applied_rules]
        assert eur("46.80") == result.total


class TestExclusive:
    def test_an_exclusive_rule_applies_alone_even_below_others(self) -> None:
        """The exclusive rule wins over a higher priority one, whose coupon is excluded."""
        high = PriceRule(
            "HIGH", PercentOffLines(Decimal(10)), priority=10, conditions=(CouponCode("HIGH"),)
        )
        alone = PriceRule("ALONE", PercentOffLines(Decimal(50), MUGS), exclusive=True)

        result = priced(shop(high, alone, coupons=("HIGH",)))

        assert ["ALONE"] == [rule.rule_id for rule in result.applied_rules]
        assert [
            ("HIGH", RejectionReason.EXCLUDED, "rule ALONE is exclusive and applies alone")
        ] == rejected(result)

    def test_of_two_exclusive_rules_the_higher_priority_wins(self) -> None:
        """Only one exclusive rule can apply: the first by priority."""
        first = PriceRule("FIRST", PercentOffLines(Decimal(5)), priority=1, exclusive=True)
        second = PriceRule(
            "SECOND", PercentOffLines(Decimal(50)), exclusive=True, conditions=(CouponCode("S"),)
        )

        result = priced(shop(second, first, coupons=("S",)))

        assert ["FIRST"] == [rule.rule_id for rule in result.applied_rules]
        assert [RejectionReason.EXCLUDED] == [coupon.reason for coupon in result.rejected_coupons]


class TestCombinesWith:
    def test_rules_do_not_combine_unless_told(self) -> None:
        """Of two product rules of one priority, the first by id applies; the other's coupon
        is rejected as not combinable."""
        first = PriceRule("A", PercentOffLines(Decimal(10)))
        second = PriceRule("B", PercentOffLines(Decimal(20)), conditions=(CouponCode("B"),))

        result = priced(shop(second, first, coupons=("B",)))

        assert ["A"] == [rule.rule_id for rule in result.applied_rules]
        assert [("B", RejectionReason.NOT_COMBINABLE, "does not combine with rule A")] == rejected(
            result
        )

    def test_each_rule_must_list_the_others_class(self) -> None:
        """A product rule open to order discounts does not combine with an order rule that is
        not open to product discounts."""
        product = PriceRule(
            "P",
            PercentOffLines(Decimal(10)),
            priority=1,
            combines_with=frozenset({DiscountClass.ORDER}),
        )
        order = PriceRule("O", PercentOffOrder(Decimal(10)), conditions=(CouponCode("O"),))

        result = priced(shop(product, order, coupons=("O",)))

        assert ["P"] == [rule.rule_id for rule in result.applied_rules]
        assert [RejectionReason.NOT_COMBINABLE] == [
            coupon.reason for coupon in result.rejected_coupons
        ]

    def test_rules_listing_each_others_class_combine(self) -> None:
        """Product and shipping rules that list each other both apply."""
        product = PriceRule(
            "P", PercentOffLines(Decimal(10)), combines_with=frozenset({DiscountClass.SHIPPING})
        )
        shipping = PriceRule("S", FreeShipping(), combines_with=PRODUCT)

        result = priced(shop(product, shipping, shipping="5.00"))

        assert ["P", "S"] == [rule.rule_id for rule in result.applied_rules]
        assert eur("57.60") == result.total


class TestMaxDiscount:
    def test_the_cap_is_split_over_the_lines(self) -> None:
        """Half off would be 32.00; capped at 10.00 it is split 10:12:10 by largest remainder,
        the tied remainders going to the first line by SKU."""
        rule = PriceRule("R", PercentOffLines(Decimal(50)), max_discount=eur("10.00"))

        result = priced(shop(rule))

        assert {"BOOK-1": "3.13", "MUG-1": "3.75", "TEA-1": "3.12"} == off(result)
        assert eur("10.00") == result.applied_rules[0].amount

    def test_the_cap_limits_free_shipping(self) -> None:
        """Free shipping capped at 3.00 takes 3.00 off 5.00 of shipping."""
        rule = PriceRule("R", FreeShipping(), max_discount=eur("3.00"))

        assert eur("2.00") == priced(shop(rule, shipping="5.00")).shipping_total

    def test_a_cap_above_the_discount_changes_nothing(self) -> None:
        """A cap only ever lowers a discount."""
        rule = PriceRule("R", PercentOffLines(Decimal(10)), max_discount=eur("100.00"))

        assert eur("6.40") == priced(shop(rule)).discount_total


class TestUsageLimits:
    def test_a_rule_used_up_in_total_is_rejected(self) -> None:
        """At its usage limit a coupon no longer applies."""
        rule = PriceRule(
            "R", PercentOffLines(Decimal(10)), conditions=(CouponCode("X"),), usage_limit=100
        )

        result = priced(shop(rule, coupons=("X",), usage={"R": RuleUsage(total=100)}))

        assert () == result.applied_rules
        assert [
            ("X", RejectionReason.USAGE_LIMIT_REACHED, "rule R has been used 100 times, its limit")
        ] == rejected(result)

    def test_a_rule_below_its_limit_applies(self) -> None:
        """One use below the limit is still allowed."""
        rule = PriceRule(
            "R",
            PercentOffLines(Decimal(10)),
            conditions=(CouponCode("X"),),
            usage_limit=100,
            per_customer_limit=2,
        )

        result = priced(shop(rule, coupons=("X",), usage={"R": RuleUsage(total=99, customer=1)}))

        assert ["R"] == [rule.rule_id for rule in result.applied_rules]

    def test_a_customer_at_their_limit_is_rejected(self) -> None:
        """The per-customer limit counts this customer's uses."""
        rule = PriceRule(
            "R",
            PercentOffLines(Decimal(10)),
            conditions=(CouponCode("X"),),
            per_customer_limit=1,
        )

        result = priced(
            shop(
                rule,
                coupons=("X",),
                customer=Customer(id="c-1"),
                usage={"R": RuleUsage(total=5, customer=1)},
            )
        )

        assert [
            (
                "X",
                RejectionReason.CUSTOMER_LIMIT_REACHED,
                "this customer has used rule R 1 times, its limit",
            )
        ] == rejected(result)

    def test_an_automatic_rule_at_its_limit_silently_stops(self) -> None:
        """Without a coupon there is nothing to reject: the promotion just ends."""
        rule = PriceRule("R", PercentOffLines(Decimal(10)), usage_limit=0)

        result = priced(shop(rule))

        assert ((), ()) == (result.applied_rules, result.rejected_coupons)


class TestCoupons:
    def test_unknown_coupon(self) -> None:
        """A code no rule asks for is rejected, as the customer typed it."""
        result = priced(shop(coupons=("nope",)))

        assert [("nope", RejectionReason.UNKNOWN_COUPON, "no promotion has coupon NOPE")] == (
            rejected(result)
        )

    def test_a_coupon_entered_twice_counts_once(self) -> None:
        """The second entry of the same code (in any case) is rejected as a duplicate."""
        rule = PriceRule("R", PercentOffLines(Decimal(10)), conditions=(CouponCode("WINTER"),))

        result = priced(shop(rule, coupons=("winter", "WINTER ")))

        assert ["R"] == [rule.rule_id for rule in result.applied_rules]
        assert eur("6.40") == result.discount_total
        assert [
            (
                "WINTER ",
                RejectionReason.DUPLICATE_COUPON,
                "coupon WINTER was entered more than once",
            )
        ] == rejected(result)

    def test_a_rule_needing_two_coupons_rejects_one_alone(self) -> None:
        """Black Friday needs both codes; one of them alone is rejected, naming both."""
        rule = PriceRule(
            "BF",
            PercentOffLines(Decimal(10)),
            conditions=(CouponCode("black"), CouponCode("friday")),
        )

        result = priced(shop(rule, coupons=("BLACK",)))

        assert [
            ("BLACK", RejectionReason.CONDITIONS_NOT_MET, "needs coupons BLACK and FRIDAY")
        ] == rejected(result)

    def test_a_rule_needing_two_coupons_applies_with_both(self) -> None:
        """With both codes entered it applies, naming each as a reason."""
        rule = PriceRule(
            "BF",
            PercentOffLines(Decimal(10)),
            conditions=(CouponCode("black"), CouponCode("friday")),
        )

        result = priced(shop(rule, coupons=("BLACK", "Friday")))

        assert ["10% off every item: coupon BLACK; coupon FRIDAY"] == [
            rule.reason for rule in result.applied_rules
        ]
        assert () == result.rejected_coupons

    def test_a_coupon_rule_is_not_applied_without_its_coupon(self) -> None:
        """A coupon promotion nobody asked for neither applies nor is reported."""
        rule = PriceRule("R", PercentOffLines(Decimal(10)), conditions=(CouponCode("X"),))

        result = priced(shop(rule))

        assert ((), ()) == (result.applied_rules, result.rejected_coupons)

    def test_a_coupon_is_accepted_when_any_of_its_rules_applies(self) -> None:
        """One code may open two rules; one of them applying is enough."""
        applies = PriceRule("A", PercentOffLines(Decimal(10), TEA), conditions=(CouponCode("TWO"),))
        fails = PriceRule(
            "B",
            PercentOffLines(Decimal(10), MUGS),
            conditions=(CouponCode("TWO"), MinQuantity(100)),
        )

        result = priced(shop(applies, fails, coupons=("TWO",)))

        assert ["A"] == [rule.rule_id for rule in result.applied_rules]
        assert () == result.rejected_coupons

    def test_rejected_coupons_keep_the_entered_order(self) -> None:
        """Each entered code that did not apply is reported, in the order entered."""
        result = priced(shop(coupons=("B", "A")))

        assert [
            RejectedCoupon("B", RejectionReason.UNKNOWN_COUPON, "no promotion has coupon B"),
            RejectedCoupon("A", RejectionReason.UNKNOWN_COUPON, "no promotion has coupon A"),
        ] == list(result.rejected_coupons)


class TestQuoteLines:
    def test_lines_keep_the_carts_order_and_rules_list_lines_by_sku(self) -> None:
        """The quote shows lines as the cart has them; a rule's lines are in SKU order."""
        lines = (line("Z", "10.00"), line("A", "10.00"))

        result = priced(shop(PriceRule("R", PercentOffLines(Decimal(10))), lines=lines))

        assert ["Z", "A"] == [line.sku for line in result.lines]
        assert (("A", eur("1.00")), ("Z", eur("1.00"))) == result.applied_rules[0].lines
        assert (eur("20.00"), eur("2.00"), eur("18.00")) == (
            result.subtotal,
            result.discount_total,
            result.total,
        )
