"""What-ifs: changing a request, and comparing two quotes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pulseshop.core.money import EUR, USD, Money, RoundingLevel, RoundingMode
from pulseshop.core.pricing import (
    Line,
    PercentOffOrder,
    PriceRule,
    QuoteRequest,
    Tax,
    TaxPolicy,
    Zone,
    quote,
)
from pulseshop.core.pricing.whatif import (
    ComparisonRow,
    compare,
    with_coupons,
    with_quantity,
    with_rate,
    with_rounding,
    with_rule,
    without_line,
    without_rule,
)
from pulseshop.core.problems import ProblemCode

pytestmark = pytest.mark.unit

AT = datetime(2026, 12, 4, tzinfo=UTC)
TEN_OFF = PriceRule("ten-off", PercentOffOrder(Decimal(10)))


def _request() -> QuoteRequest:
    return QuoteRequest(
        EUR,
        (
            Line("MUG-1", Money.of("12.00", EUR), 2, "standard"),
            Line("TEA-7", Money.of("4.50", EUR), 3, "reduced"),
        ),
        AT,
        TaxPolicy(
            (
                Tax("state", "standard", Decimal("0.06"), Zone("US", "CA")),
                Tax("state", "standard", Decimal("0.05"), Zone("US")),
                Tax("city", "standard", Decimal("0.01"), Zone("US", "CA")),
                Tax("state", "reduced", Decimal("0.02")),
            )
        ),
        destination=Zone("US", "CA"),
        rules=(TEN_OFF,),
    )


class TestChanges:
    def test_a_rate_changes_every_tax_on_the_category(self) -> None:
        changed = with_rate(_request(), "standard", Decimal("0.07")).unwrap()

        rates = [(t.name, t.category, t.rate) for t in changed.tax_policy.taxes]
        assert [
            ("state", "standard", Decimal("0.07")),
            ("state", "standard", Decimal("0.07")),
            ("city", "standard", Decimal("0.07")),
            ("state", "reduced", Decimal("0.02")),
        ] == rates

    def test_a_named_tax_changes_alone(self) -> None:
        changed = with_rate(_request(), "standard", Decimal("0.02"), tax="city").unwrap()

        assert [Decimal("0.06"), Decimal("0.05"), Decimal("0.02"), Decimal("0.02")] == [
            t.rate for t in changed.tax_policy.taxes
        ]

    def test_a_new_category_gets_a_tax_everywhere(self) -> None:
        changed = with_rate(_request(), "books", Decimal("0")).unwrap()

        assert Tax("tax", "books", Decimal("0")) == changed.tax_policy.taxes[-1]
        named = with_rate(_request(), "books", Decimal("0.01"), tax="vat").unwrap()
        assert Tax("vat", "books", Decimal("0.01")) == named.tax_policy.taxes[-1]

    def test_quantity_and_lines(self) -> None:
        request = _request()

        assert [2, 5] == [
            line.quantity for line in with_quantity(request, "TEA-7", 5).unwrap().lines
        ]
        assert ["TEA-7"] == [line.sku for line in without_line(request, "MUG-1").unwrap().lines]
        for missing in (with_quantity(request, "NOPE", 1), without_line(request, "NOPE")):
            problem = missing.failure()[0]
            assert ("lines", ProblemCode.NOT_FOUND) == (problem.path, problem.code)
            assert "no line has SKU 'NOPE'" == problem.message

    def test_rounding_keeps_what_is_not_given(self) -> None:
        request = _request()

        by_mode = with_rounding(request, mode=RoundingMode.HALF_UP).unwrap().rounding
        by_level = with_rounding(request, level=RoundingLevel.ORDER).unwrap().rounding
        assert (RoundingMode.HALF_UP, RoundingLevel.LINE) == (by_mode.mode, by_mode.level)
        assert (RoundingMode.HALF_EVEN, RoundingLevel.ORDER) == (by_level.mode, by_level.level)

    def test_rules_are_added_replaced_and_removed_by_id(self) -> None:
        request = _request()
        twenty = PriceRule("ten-off", PercentOffOrder(Decimal(20)))
        other = PriceRule("other", PercentOffOrder(Decimal(5)))

        assert (twenty,) == with_rule(request, twenty).unwrap().rules
        assert (TEN_OFF, other) == with_rule(request, other).unwrap().rules
        assert () == without_rule(request, "ten-off").unwrap().rules
        problem = without_rule(request, "nope").failure()[0]
        assert ("rules", "no rule has id 'nope'") == (problem.path, problem.message)

    def test_coupons_are_replaced(self) -> None:
        request = with_coupons(_request(), "A", "B").unwrap()

        assert ("C",) == with_coupons(request, "C").unwrap().coupons


class TestCompare:
    def test_lines_on_one_side_and_changed_rows(self) -> None:
        """A removed line shows — after; only rows that moved are `changed`.

        10% off 37.50 is 2.40 on the mugs and 1.35 on the tea; in California the mugs
        pay 6% state and 1% city tax (21.60 x 7% = 1.51), the tea 2% (12.15 -> 0.24).
        """
        request = _request()
        before = quote(request).unwrap()
        after = quote(without_line(request, "TEA-7").unwrap()).unwrap()

        comparison = compare(before, after)

        assert ["MUG-1 x2", "TEA-7 x3"] == [row.label for row in comparison.lines]
        assert comparison.lines[1].after is None
        assert comparison.lines[1].change is None
        assert ["TEA-7 x3", "subtotal", "discount", "tax", "total"] == [
            row.label for row in comparison.changed
        ]
        text = str(comparison)
        assert "MUG-1 x2   EUR 23.11   EUR 23.11            =" in text
        assert "TEA-7 x3   EUR 12.39           —            —" in text
        assert "discount    EUR 3.75    EUR 2.40    -EUR 1.35" in text
        assert repr(comparison) == text

    def test_amounts_in_other_currencies_have_no_change(self) -> None:
        row = ComparisonRow("total", Money.of("1.00", EUR), Money.of("1.00", USD))

        assert row.change is None

    def test_a_drop_is_shown_with_a_minus(self) -> None:
        request = _request()
        before = quote(request).unwrap()
        after = quote(with_quantity(request, "MUG-1", 1).unwrap()).unwrap()

        text = str(compare(before, after))

        assert "MUG-1 x2 → x1" in text
        assert "-EUR 12.00" in text
