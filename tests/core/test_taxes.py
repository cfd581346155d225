"""Taxes: zones and rates, additive and compound taxes, tax in prices, exemptions, shipping
and where tax is rounded."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from pulseshop.core.money import RoundingLevel, RoundingMode, RoundingPolicy
from pulseshop.core.pricing import (
    AmountOffLines,
    Customer,
    LineSelector,
    LineTax,
    PercentOffLines,
    PriceRule,
    ShippingQuote,
    ShippingTax,
    ShippingTaxMode,
    Tax,
    TaxExemption,
    TaxLine,
    TaxPolicy,
    Zone,
)
from pulseshop.core.pricing.tax import effective_rates
from tests.core._builders import eur, line, priced, request

pytestmark = pytest.mark.unit

US_SALES_TAX = TaxPolicy(
    (
        Tax("state", "standard", Decimal("0.05"), Zone("US")),
        Tax("state", "standard", Decimal("0.0725"), Zone("US", "CA")),
        Tax("county", "standard", Decimal("0.01"), Zone("US", "CA"), sequence=1),
    )
)
VAT = TaxPolicy.flat({"standard": "0.20", "reduced": "0.05"})


class TestZone:
    @pytest.mark.parametrize(
        ("zone", "destination", "contains"),
        [
            (Zone(), Zone("FR"), True),
            (Zone(), Zone(), True),
            (Zone("US"), Zone("US", "NY"), True),
            (Zone("US"), Zone("FR"), False),
            (Zone("US", "CA"), Zone("US", "CA"), True),
            (Zone("US", "CA"), Zone("US", "NY"), False),
            (Zone("US", "CA"), Zone("US"), False),
            (Zone("US", "CA"), Zone("FR", "CA"), False),
        ],
    )
    def test_contains(self, zone: Zone, destination: Zone, *, contains: bool) -> None:
        """A zone holds a destination in its country and, when it names one, its region."""
        assert contains == zone.contains(destination)

    def test_specificity(self) -> None:
        """Anywhere, a country and a region rank 0, 1 and 2."""
        assert [0, 1, 2] == [zone.specificity for zone in (Zone(), Zone("US"), Zone("US", "CA"))]


class TestTaxPolicy:
    def test_the_most_specific_zone_wins_per_tax_name(self) -> None:
        """California's state rate replaces the country's; its county tax applies as well."""
        taxes = US_SALES_TAX.applicable("standard", Zone("US", "CA"))

        assert [("state", Decimal("0.0725")), ("county", Decimal("0.01"))] == [
            (tax.name, tax.rate) for tax in taxes
        ]

    def test_a_region_without_its_own_rate_takes_the_country_rate(self) -> None:
        """Texas has no rate of its own here: the country's applies, California's county not."""
        assert [Decimal("0.05")] == [
            tax.rate for tax in US_SALES_TAX.applicable("standard", Zone("US", "TX"))
        ]

    def test_no_tax_outside_every_zone(self) -> None:
        """Goods sent to France pay none of the US taxes."""
        assert () == US_SALES_TAX.applicable("standard", Zone("FR"))

    def test_other_categories_are_not_taxed_by_these_taxes(self) -> None:
        """A tax applies to its own category only."""
        assert () == US_SALES_TAX.applicable("books", Zone("US", "CA"))

    def test_an_equally_or_less_specific_tax_does_not_replace_the_chosen_one(self) -> None:
        """The first of two country rates stays, and an everywhere rate after it does not win."""
        policy = TaxPolicy(
            (
                Tax("VAT", "standard", Decimal("0.20"), Zone("FR")),
                Tax("VAT", "standard", Decimal("0.10"), Zone("FR")),
                Tax("VAT", "standard", Decimal("0.30")),
            )
        )

        assert [Decimal("0.20")] == [tax.rate for tax in policy.applicable("standard", Zone("FR"))]

    def test_taxes_apply_in_sequence_then_name_order(self) -> None:
        """Sequence orders taxes; within one sequence, names do."""
        policy = TaxPolicy(
            (
                Tax("b", "standard", Decimal("0.01")),
                Tax("a", "standard", Decimal("0.01"), sequence=1),
                Tax("c", "standard", Decimal("0.01")),
            )
        )

        assert ["b", "c", "a"] == [tax.name for tax in policy.applicable("standard", Zone())]

    def test_flat_policy_has_one_tax_per_category_everywhere(self) -> None:
        """A flat policy names each tax "tax" and applies it in every zone."""
        assert frozenset({"standard", "reduced"}) == VAT.categories
        assert (Tax("tax", "reduced", Decimal("0.05")),) == VAT.applicable("reduced", Zone("JP"))

    @pytest.mark.parametrize(
        ("taxes", "rates"),
        [
            (
                (
                    Tax("GST", "standard", Decimal("0.05"), sequence=1),
                    Tax("QST", "standard", Decimal("0.095"), sequence=2),
                ),
                (Decimal("0.05"), Decimal("0.095")),
            ),
            (
                (
                    Tax("GST", "standard", Decimal("0.05"), sequence=1),
                    Tax("QST", "standard", Decimal("0.095"), sequence=2, compound=True),
                ),
                (Decimal("0.05"), Decimal("0.09975")),
            ),
            (
                (Tax("QST", "standard", Decimal("0.095"), compound=True),),
                (Decimal("0.095"),),
            ),
        ],
    )
    def test_effective_rates(self, taxes: tuple[Tax, ...], rates: tuple[Decimal, ...]) -> None:
        """A compound tax is also charged on the taxes before it: 9.5% of 1.05 is 9.975%."""
        assert rates == effective_rates(taxes)


class TestZonesInQuotes:
    @pytest.mark.parametrize(
        ("destination", "tax"),
        [
            (Zone("US", "CA"), "1.65"),
            (Zone("US", "TX"), "1.00"),
            (Zone("US"), "1.00"),
            (Zone("FR"), "0.00"),
        ],
    )
    def test_rate_follows_the_destination(self, destination: Zone, tax: str) -> None:
        """EUR 20.00 pays 7.25% + 1% in California, 5% elsewhere in the US, nothing in France."""
        asked = attrs.evolve(
            request(line("MUG-1", "20.00"), tax_policy=US_SALES_TAX), destination=destination
        )

        assert eur(tax) == priced(asked).tax_total

    def test_each_tax_is_listed_on_the_line(self) -> None:
        """The line shows the state and the county tax separately, in applying order."""
        asked = attrs.evolve(
            request(line("MUG-1", "20.00"), tax_policy=US_SALES_TAX),
            destination=Zone("US", "CA"),
        )

        mug = priced(asked).lines[0]

        assert (
            LineTax("state", Decimal("0.0725"), eur("1.45")),
            LineTax("county", Decimal("0.01"), eur("0.20")),
        ) == mug.taxes
        assert eur("21.65") == mug.gross


class TestCompoundTaxes:
    @pytest.mark.parametrize(
        ("qst", "taxes", "total"),
        [
            (
                Tax("QST", "standard", Decimal("0.095"), sequence=2),
                [("GST", "10.00"), ("QST", "19.00")],
                "229.00",
            ),
            (
                Tax("QST", "standard", Decimal("0.095"), sequence=2, compound=True),
                [("GST", "10.00"), ("QST", "19.95")],
                "229.95",
            ),
            (
                Tax("QST", "standard", Decimal("0.095"), sequence=0, compound=True),
                [("QST", "19.00"), ("GST", "10.00")],
                "229.00",
            ),
        ],
    )
    def test_compound_tax_is_charged_on_the_taxes_before_it(
        self, qst: Tax, taxes: list[tuple[str, str]], total: str
    ) -> None:
        """On EUR 200.00 with 5% GST first: 9.5% QST is 19.00 additive, 9.5% of 210.00 = 19.95
        compound; compounding before GST has nothing to compound on."""
        gst = Tax("GST", "standard", Decimal("0.05"), sequence=1)
        asked = request(line("TV-1", "200.00"), tax_policy=TaxPolicy((gst, qst)))

        result = priced(asked)

        assert [(name, eur(amount)) for name, amount in taxes] == [
            (tax.name, tax.amount) for tax in result.lines[0].taxes
        ]
        assert eur(total) == result.total


class TestTaxInPrices:
    def test_gross_is_the_listed_price_and_net_is_what_is_left(self) -> None:
        """Two mugs at EUR 12.00 with 20% VAT in the price: gross 24.00, tax 4.00, net 20.00."""
        policy = TaxPolicy.flat({"standard": "0.20"}, prices_include_tax=True)

        result = priced(request(line("MUG-1", "12.00", 2), tax_policy=policy))

        mug = result.lines[0]
        assert (eur("24.00"), eur("4.00"), eur("20.00")) == (mug.gross, mug.tax, mug.net)
        assert result.prices_include_tax
        assert eur("24.00") == result.total

    def test_a_discount_comes_off_the_gross(self) -> None:
        """10% off 24.00 leaves a gross of 21.60, holding 3.60 of tax on a net of 18.00."""
        policy = TaxPolicy.flat({"standard": "0.20"}, prices_include_tax=True)
        asked = attrs.evolve(
            request(line("MUG-1", "12.00", 2), tax_policy=policy),
            rules=(PriceRule("TENOFF", PercentOffLines(Decimal(10))),),
        )

        mug = priced(asked).lines[0]

        assert eur("2.40") == mug.discount
        assert mug.subtotal - mug.discount == mug.gross
        assert (eur("21.60"), eur("3.60"), eur("18.00")) == (mug.gross, mug.tax, mug.net)
        assert mug.gross - mug.tax == mug.net


class TestExemption:
    def test_exempt_customer_pays_no_tax_and_the_reason_is_carried(self) -> None:
        """EUR 10.00 at 20% for an exempt customer: no tax, and the 2.00 exempted is stated."""
        asked = attrs.evolve(
            request(line("MUG-1", "10.00"), tax_policy=VAT),
            customer=Customer(id="c-1", tax_exemption="VAT ID FR123"),
        )

        result = priced(asked)

        assert TaxExemption("VAT ID FR123", eur("2.00")) == result.tax_exemption
        assert (eur("0.00"), eur("10.00")) == (result.tax_total, result.total)
        assert () == result.lines[0].taxes
        assert () == result.tax_breakdown

    def test_exemption_takes_tax_out_of_tax_inclusive_prices(self) -> None:
        """A EUR 12.00 price holding 20% VAT costs an exempt customer its net, 10.00."""
        policy = TaxPolicy.flat({"standard": "0.20"}, prices_include_tax=True)
        asked = attrs.evolve(
            request(line("MUG-1", "12.00"), tax_policy=policy),
            customer=Customer(tax_exemption="diplomatic"),
        )

        result = priced(asked)

        mug = result.lines[0]
        assert (eur("10.00"), eur("0.00"), eur("10.00")) == (mug.net, mug.tax, mug.gross)
        assert TaxExemption("diplomatic", eur("2.00")) == result.tax_exemption

    def test_a_taxed_customer_has_no_exemption(self) -> None:
        """Without a reason there is no exemption on the quote."""
        assert priced(request(line("MUG-1", "10.00"), tax_policy=VAT)).tax_exemption is None


class TestShippingTax:
    def test_untaxed_shipping(self) -> None:
        """In mode none, shipping is added as it is."""
        asked = attrs.evolve(request(line("MUG-1", "10.00"), tax_policy=VAT), shipping=eur("5.00"))

        result = priced(asked)

        assert (
            ShippingQuote(eur("5.00"), eur("0.00"), eur("5.00"), eur("0.00"), eur("5.00"), ())
            == result.shipping
        )
        assert eur("17.00") == result.total

    def test_shipping_taxed_as_a_category(self) -> None:
        """Shipping taxed as standard pays 20%: EUR 1.00 on 5.00."""
        policy = attrs.evolve(VAT, shipping=ShippingTax(ShippingTaxMode.CATEGORY, "standard"))
        asked = attrs.evolve(
            request(line("MUG-1", "10.00"), tax_policy=policy), shipping=eur("5.00")
        )

        result = priced(asked)

        assert (LineTax("tax", Decimal("0.20"), eur("1.00")),) == result.shipping.taxes
        assert eur("6.00") == result.shipping.gross
        assert eur("18.00") == result.total

    def test_weighted_shipping_follows_the_lines_rates(self) -> None:
        """EUR 8.00 over lines of 30.00 (20%) and 10.00 (5%) is 6.00 and 2.00: 1.20 + 0.10."""
        policy = attrs.evolve(VAT, shipping=ShippingTax(ShippingTaxMode.WEIGHTED))
        asked = attrs.evolve(
            request(
                line("A", "30.00", tax_category="standard"),
                line("B", "10.00", tax_category="reduced"),
                tax_policy=policy,
            ),
            shipping=eur("8.00"),
        )

        result = priced(asked)

        assert (
            LineTax("tax", Decimal("0.20"), eur("1.20")),
            LineTax("tax", Decimal("0.05"), eur("0.10")),
        ) == result.shipping.taxes
        assert (
            TaxLine("tax", Decimal("0.05"), eur("12.00"), eur("0.60")),
            TaxLine("tax", Decimal("0.20"), eur("36.00"), eur("7.20")),
        ) == result.tax_breakdown
        assert (eur("7.80"), eur("55.80")) == (result.tax_total, result.total)

    def test_weighted_shipping_parts_under_one_tax_are_merged(self) -> None:
        """Both parts taxed at 20% show as one shipping tax: 1.20 + 0.40."""
        policy = attrs.evolve(VAT, shipping=ShippingTax(ShippingTaxMode.WEIGHTED))
        asked = attrs.evolve(
            request(line("A", "30.00"), line("B", "10.00"), tax_policy=policy),
            shipping=eur("8.00"),
        )

        assert (LineTax("tax", Decimal("0.20"), eur("1.60")),) == priced(asked).shipping.taxes

    def test_weighted_shipping_is_weighted_by_the_lines_nets(self) -> None:
        """With 20.00 off line A both nets are 10.00, so 8.00 splits 4.00/4.00: 0.80 + 0.20."""
        policy = attrs.evolve(VAT, shipping=ShippingTax(ShippingTaxMode.WEIGHTED))
        asked = attrs.evolve(
            request(
                line("A", "30.00", tax_category="standard"),
                line("B", "10.00", tax_category="reduced"),
                tax_policy=policy,
            ),
            shipping=eur("8.00"),
            rules=(PriceRule("A20", AmountOffLines(eur("20.00"), LineSelector(frozenset({"A"})))),),
        )

        assert eur("1.00") == priced(asked).shipping.tax


class TestRoundingLevel:
    @pytest.mark.parametrize(
        ("rounding", "per_line", "total"),
        [
            (RoundingPolicy(RoundingMode.HALF_EVEN, RoundingLevel.LINE), ["0", "0", "0"], "0"),
            (RoundingPolicy(RoundingMode.HALF_UP, RoundingLevel.LINE), ["1", "1", "1"], "3"),
            (RoundingPolicy(RoundingMode.HALF_EVEN, RoundingLevel.ORDER), ["1", "1", "0"], "2"),
            (RoundingPolicy(RoundingMode.DOWN, RoundingLevel.ORDER), ["1", "0", "0"], "1"),
        ],
    )
    def test_line_and_order_rounding_give_different_totals(
        self, rounding: RoundingPolicy, per_line: list[str], total: str
    ) -> None:
        """Three lines of 0.05 at 10% owe 0.005 each: per line half-even rounds each to 0,
        half-up to 0.01; per order 0.015 rounds once (0.02 half-even, 0.01 down) and is split
        back over the lines."""
        asked = attrs.evolve(
            request(
                line("A", "0.05"),
                line("B", "0.05"),
                line("C", "0.05"),
                tax_policy=TaxPolicy.flat({"standard": "0.10"}),
            ),
            rounding=rounding,
        )

        result = priced(asked)

        assert [eur(f"0.0{cents}") for cents in per_line] == [line.tax for line in result.lines]
        assert eur(f"0.0{total}") == result.tax_total
        assert rounding == result.rounding

    @pytest.mark.parametrize("skus", [("A", "B"), ("A", "B", "C")])
    def test_tax_in_prices_never_exceeds_a_lines_gross(self, skus: tuple[str, ...]) -> None:
        """Two 100% taxes on 0.01 lines owe a third of a cent each; rounded per order each
        tax is 0.01, and the second goes to a line with room left rather than past the first
        line's gross."""
        policy = TaxPolicy(
            (Tax("t1", "standard", Decimal(1)), Tax("t2", "standard", Decimal(1))),
            prices_include_tax=True,
        )
        asked = attrs.evolve(
            request(*(line(sku, "0.01") for sku in skus), tax_policy=policy),
            rounding=RoundingPolicy(level=RoundingLevel.ORDER),
        )

        result = priced(asked)

        first, second = result.lines[0], result.lines[1]
        assert [eur("0.01"), eur("0.00")] == [tax.amount for tax in first.taxes]
        assert [eur("0.00"), eur("0.01")] == [tax.amount for tax in second.taxes]
        assert all(line.net == eur("0.00") for line in (first, second))
        assert all(line.net >= eur("0") for line in result.lines)
        assert eur("0.02") == result.tax_total
        assert result.line("A") == first
        assert result.line("NOPE") is None
