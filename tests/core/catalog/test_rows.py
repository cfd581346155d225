"""Data rows: each cell read into a product value, every problem named by line and column."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from pulseshop.core.catalog import (
    MAX_STOCK,
    Header,
    Product,
    ProductRow,
    RejectedRow,
    RowErrorCode,
    parse_catalog,
)
from pulseshop.core.money import BHD, JPY, MAX_AMOUNT, Money
from pulseshop.core.pricing import Tier
from tests.core.catalog._files import (
    GOOD,
    HEADER,
    eur,
    file_of,
    lines_of,
    problems,
    products,
    records_of,
    rejected,
    row_problems,
)

pytestmark = pytest.mark.unit

MUG = Product("MUG-1", "Mug", eur("12.00"), "standard", 4, "kitchen", "Blue", active=True)
"""The product of the GOOD row."""

MINIMAL = "sku,name,unit_price,currency,tax_category,stock"


def _cells(**changes: str) -> str:
    """The GOOD row with some cells changed (by column name), quoted as needed."""
    cells = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    cells.update(changes)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells.values())
    return buffer.getvalue()


class TestValidRows:
    def test_a_good_row_gives_its_product_and_line(self) -> None:
        """Every cell is read into the product; the row starts on line 2."""
        assert [Header(1, tuple(HEADER.split(","))), ProductRow(2, MUG)] == records_of(GOOD)

    def test_optional_columns_may_be_absent(self) -> None:
        """Without category, description and active: none, none, and active."""
        [_, row] = records_of("MUG-1,Mug,12.00,EUR,standard,4", header=MINIMAL)

        expected = Product("MUG-1", "Mug", eur("12.00"), "standard", 4)
        assert ProductRow(2, expected) == row

    def test_empty_optional_cells_mean_none_and_active(self) -> None:
        """Empty category and description are None; an empty active cell means active."""
        [product] = products(records_of(_cells(category="", description="", active="")))

        assert (None, None, True) == (product.category, product.description, product.active)

    @pytest.mark.parametrize(
        ("word", "active"),
        [("true", True), ("YES", True), ("1", True), ("False", False), ("no", False), ("0", False)],
    )
    def test_active_words_are_read_in_any_case(self, word: str, active: bool) -> None:  # noqa: FBT001
        """true/false, yes/no and 1/0 in any case say whether the product is sold."""
        [product] = products(records_of(_cells(active=word)))

        assert active == product.active

    def test_quoted_cells_hold_commas_quotes_and_line_breaks(self) -> None:
        """CSV quoting: the next row's line counts the line break inside the quoted cell."""
        row = 'MUG-2,"Mug, ""big""",1.00,EUR,standard,1,,"two\nlines",'

        records = records_of(row, GOOD.replace("MUG-1", "MUG-3"))

        assert ['Mug, "big"', "Mug"] == [product.name for product in products(records)]
        assert "two\nlines" == products(records)[0].description
        assert [1, 2, 4] == lines_of(records)

    def test_crlf_line_ends_are_read_like_lf(self) -> None:
        """Windows line ends change nothing."""
        rows = (GOOD, _cells(sku="MUG-2", name="two\nlines"))
        crlf = [line.replace(b"\n", b"\r\n") for line in file_of(*rows)]

        assert records_of(*rows) == list(parse_catalog(crlf))

    def test_blank_rows_are_skipped(self) -> None:
        """Empty lines and rows of empty cells are not rows."""
        records = records_of("", ",,,,,,,,", "   ".join(""), GOOD)

        assert [1, 5] == lines_of(records)

    def test_a_short_row_reads_missing_cells_as_empty(self) -> None:
        """A row without its trailing optional cells is complete."""
        [product] = products(records_of("MUG-1,Mug,12.00,EUR,standard,4"))

        assert (None, None, True) == (product.category, product.description, product.active)

    def test_trailing_empty_cells_beyond_the_header_are_ignored(self) -> None:
        """Extra cells are fine as long as they are empty (a trailing comma)."""
        assert [MUG] == products(records_of(f"{GOOD},,"))

    def test_the_last_line_may_lack_its_line_break(self) -> None:
        """A file that does not end with a line break loses nothing."""
        records = list(parse_catalog([f"{HEADER}\n".encode(), GOOD.encode()]))

        assert [MUG] == products(records)

    def test_rows_after_the_first_one_of_a_category_are_read_alike(self) -> None:
        """The first rows naming a category and the later ones give the same kind of product."""
        rows = [_cells(sku=f"MUG-{number}") for number in range(3)]

        assert 3 == len(products(records_of(*rows)))


class TestAmounts:
    @pytest.mark.parametrize(
        ("text", "currency", "expected"),
        [
            ("12", "EUR", Money(Decimal(12), eur("0").currency)),
            ("0.5", "EUR", eur("0.5")),
            ("12.300", "EUR", eur("12.30")),
            ("0", "JPY", Money.of(0, JPY)),
            ("1.0", "JPY", Money.of(1, JPY)),
            ("1.234", "BHD", Money.of("1.234", BHD)),
            ("001.00", "EUR", eur("1")),
            (f"{MAX_AMOUNT:f}", "EUR", eur(f"{MAX_AMOUNT:f}")),
            (f"{MAX_AMOUNT:f}.00", "EUR", eur(f"{MAX_AMOUNT:f}")),
        ],
    )
    def test_plain_decimals_within_range_and_precision_are_prices(
        self, text: str, currency: str, expected: Money
    ) -> None:
        """A price is digits with an optional point, up to MAX_AMOUNT, in whole minor units
        (trailing zeros do not count)."""
        [product] = products(records_of(_cells(unit_price=text, currency=currency)))

        assert expected == product.unit_price
        assert expected.currency == product.unit_price.currency

    @pytest.mark.parametrize(
        ("text", "code", "hint"),
        [
            ("", RowErrorCode.REQUIRED, "required"),
            ("12,50", RowErrorCode.INVALID_DECIMAL, "use '.'"),
            (" 12.50", RowErrorCode.INVALID_DECIMAL, "blanks"),
            ("1_000", RowErrorCode.INVALID_DECIMAL, "like 12.50"),
            ("1e3", RowErrorCode.INVALID_DECIMAL, "like 12.50"),
            ("+1", RowErrorCode.INVALID_DECIMAL, "like 12.50"),
            ("NaN", RowErrorCode.INVALID_DECIMAL, "like 12.50"),
            ("Infinity", RowErrorCode.INVALID_DECIMAL, "like 12.50"),
            (".5", RowErrorCode.INVALID_DECIMAL, "like 12.50"),
            ("5.", RowErrorCode.INVALID_DECIMAL, "like 12.50"),
            ("\u0661\u0662", RowErrorCode.INVALID_DECIMAL, "like 12.50"),
            ("-1.00", RowErrorCode.OUT_OF_RANGE, "negative"),
            ("-0", RowErrorCode.OUT_OF_RANGE, "negative"),
            (f"{MAX_AMOUNT + 1:f}", RowErrorCode.OUT_OF_RANGE, "more than"),
            ("9" * 5000, RowErrorCode.OUT_OF_RANGE, "(5000 characters)"),
            ("1.001", RowErrorCode.TOO_PRECISE, "decimal places"),
            ("1.0000000000000000000000000000000001", RowErrorCode.TOO_PRECISE, "decimal places"),
        ],
    )
    def test_other_texts_are_not_prices(self, text: str, code: RowErrorCode, hint: str) -> None:
        """Anything else fails the unit_price cell with a code and a hint."""
        [error] = rejected(records_of(_cells(unit_price=text))).errors
        assert (2, "unit_price", code) == (error.line, error.column, error.code)
        assert hint in error.message

    def test_precision_is_not_checked_without_a_currency(self) -> None:
        """With an unknown currency, only the currency fails: its precision is unknown."""
        problems_found = row_problems(_cells(currency="XYZ", unit_price="1.2345"))

        assert [(2, "currency", RowErrorCode.UNKNOWN_CURRENCY)] == problems_found

    def test_format_is_checked_without_a_currency(self) -> None:
        """With an unknown currency, a malformed price still fails."""
        problems_found = row_problems(_cells(currency="", unit_price="abc"))

        assert [
            (2, "unit_price", RowErrorCode.INVALID_DECIMAL),
            (2, "currency", RowErrorCode.REQUIRED),
        ] == problems_found

    def test_a_lower_case_currency_suggests_upper_case(self) -> None:
        """'eur' is not a code, and the message says which one was meant."""
        assert "'EUR'" in rejected(records_of(_cells(currency="eur"))).errors[0].message

    def test_many_distinct_prices_are_all_read(self) -> None:
        """Past the number of prices remembered, prices are still read right."""
        rows = [_cells(sku=f"S{number}", unit_price=f"{number}.25") for number in range(4_200)]

        found = products(records_of(*rows))

        assert [eur(f"{number}.25") for number in range(4_200)] == [p.unit_price for p in found]


class TestCells:
    @pytest.mark.parametrize(
        ("column", "text", "code", "hint"),
        [
            ("sku", "", RowErrorCode.REQUIRED, "required"),
            ("sku", "mug-1", RowErrorCode.INVALID_SKU, "'MUG-1'"),
            ("sku", " MUG-1", RowErrorCode.INVALID_SKU, "blanks"),
            ("sku", "-MUG", RowErrorCode.INVALID_SKU, "starting with"),
            ("sku", "M" * 65, RowErrorCode.INVALID_SKU, "(65 characters)"),
            ("sku", "MÜG", RowErrorCode.INVALID_SKU, "upper-case"),
            ("name", "", RowErrorCode.REQUIRED, "required"),
            ("name", " \t", RowErrorCode.REQUIRED, "required"),
            ("name", "n" * 201, RowErrorCode.TOO_LONG, "201 characters"),
            ("currency", "", RowErrorCode.REQUIRED, "required"),
            ("currency", "EURO", RowErrorCode.UNKNOWN_CURRENCY, "ISO 4217"),
            ("tax_category", "", RowErrorCode.REQUIRED, "a tax category is required"),
            ("tax_category", "Standard", RowErrorCode.INVALID_IDENTIFIER, "'standard'"),
            ("tax_category", "standard rate", RowErrorCode.INVALID_IDENTIFIER, "lower-case"),
            ("tax_category", "std!", RowErrorCode.INVALID_IDENTIFIER, "not a tax category name"),
            ("stock", "", RowErrorCode.REQUIRED, "required"),
            ("stock", "1.5", RowErrorCode.INVALID_INTEGER, "whole number"),
            ("stock", " 1", RowErrorCode.INVALID_INTEGER, "whole number"),
            ("stock", "+1", RowErrorCode.INVALID_INTEGER, "whole number"),
            ("stock", "1_000", RowErrorCode.INVALID_INTEGER, "whole number"),
            ("stock", "\u0661\u0662", RowErrorCode.INVALID_INTEGER, "whole number"),
            ("stock", "-1", RowErrorCode.OUT_OF_RANGE, "negative"),
            ("stock", str(MAX_STOCK + 1), RowErrorCode.OUT_OF_RANGE, "more than"),
            ("stock", "9" * 5000, RowErrorCode.OUT_OF_RANGE, "more than"),
            ("category", "Kitchen Tools", RowErrorCode.INVALID_IDENTIFIER, "lower-case"),
            ("category", "_kitchen", RowErrorCode.INVALID_IDENTIFIER, "starting with"),
            ("category", "k!", RowErrorCode.INVALID_IDENTIFIER, "'k!' is not a category name"),
            ("description", "d" * 5001, RowErrorCode.TOO_LONG, "5001 characters"),
            ("active", "maybe", RowErrorCode.INVALID_BOOLEAN, "true, false"),
            ("active", " true", RowErrorCode.INVALID_BOOLEAN, "true, false"),
        ],
    )
    def test_a_bad_cell_fails_its_row_naming_line_and_column(
        self, column: str, text: str, code: RowErrorCode, hint: str
    ) -> None:
        """Each bad value gives exactly one error, on its line and column."""
        records = records_of(GOOD, _cells(**{"sku": "MUG-2", column: text}))

        [error] = rejected(records).errors
        assert (3, column, code) == (error.line, error.column, error.code)
        assert hint in error.message

    @pytest.mark.parametrize(
        ("column", "text"),
        [
            ("name", "n" * 200),
            ("description", "d" * 5000),
            ("stock", str(MAX_STOCK)),
            ("stock", "0000000000012"),
            ("sku", "M" * 64),
            ("sku", "0._-"),
            ("category", "c" * 64),
        ],
    )
    def test_values_at_their_limits_are_good(self, column: str, text: str) -> None:
        """The longest name, description, SKU and category, and the largest stock, pass."""
        assert [] == row_problems(_cells(**{column: text}))

    def test_every_problem_of_a_row_is_reported_in_column_order(self) -> None:
        """A row with many bad cells lists them all, on its line."""
        row = "mug,,1.001,EUR,Standard,-1,Kitchen,,maybe"

        assert [
            (2, "sku", RowErrorCode.INVALID_SKU),
            (2, "name", RowErrorCode.REQUIRED),
            (2, "unit_price", RowErrorCode.TOO_PRECISE),
            (2, "tax_category", RowErrorCode.INVALID_IDENTIFIER),
            (2, "stock", RowErrorCode.OUT_OF_RANGE),
            (2, "category", RowErrorCode.INVALID_IDENTIFIER),
            (2, "active", RowErrorCode.INVALID_BOOLEAN),
        ] == row_problems(row)

    def test_a_rejected_row_keeps_its_sku_when_well_formed(self) -> None:
        """So that a plan can tell which product failed."""
        [_, good_sku, bad_sku] = records_of(_cells(stock="x"), _cells(sku="x", stock="x"))

        assert isinstance(good_sku, RejectedRow)
        assert isinstance(bad_sku, RejectedRow)
        assert ("MUG-1", None) == (good_sku.sku, bad_sku.sku)

    def test_many_distinct_categories_are_all_checked(self) -> None:
        """Past the number of names remembered, categories are still checked."""
        rows = [_cells(sku=f"S{number}", category=f"c{number}") for number in range(1_100)]
        bad = _cells(sku="BAD", category="Bad")

        records = records_of(*rows, bad)

        assert 1_100 == len(products(records))
        assert [(1_102, "category", RowErrorCode.INVALID_IDENTIFIER)] == problems(records)


class TestTiers:
    HEADER = f"{HEADER},price_from_5,price_from_10,price_from_50"

    def _problems(self, *tiers: str, **cells: str) -> list[tuple[int, str | None, RowErrorCode]]:
        return problems(records_of(",".join([_cells(**cells), *tiers]), header=self.HEADER))

    def test_tier_prices_below_each_other_make_the_tiers(self) -> None:
        """Empty tier cells are no tier; the others are in increasing quantity."""
        [_, row] = records_of(f"{GOOD},11.00,,9.50", header=self.HEADER)

        expected = (Tier(5, eur("11.00")), Tier(50, eur("9.50")))
        assert isinstance(row, ProductRow)
        assert expected == row.product.tiers

    def test_a_tier_not_below_the_unit_price_fails(self) -> None:
        """From 5 units the price must be lower than the unit price."""
        assert [(2, "price_from_5", RowErrorCode.TIERS_NOT_DECREASING)] == self._problems(
            "12.00", "", ""
        )

    def test_a_tier_not_below_an_earlier_tier_fails(self) -> None:
        """Each tier is compared with the lowest good price before it."""
        assert [
            (2, "price_from_10", RowErrorCode.TIERS_NOT_DECREASING),
            (2, "price_from_50", RowErrorCode.TIERS_NOT_DECREASING),
        ] == self._problems("10.00", "10.00", "11.00")

    def test_a_bad_tier_price_fails_in_its_column(self) -> None:
        """Tier prices are read like unit prices, and the rest still compared."""
        assert [
            (2, "price_from_5", RowErrorCode.TOO_PRECISE),
            (2, "price_from_10", RowErrorCode.INVALID_DECIMAL),
            (2, "price_from_50", RowErrorCode.TIERS_NOT_DECREASING),
        ] == self._problems("11.001", "abc", "12.50")

    def test_tiers_are_compared_among_themselves_without_a_unit_price(self) -> None:
        """A bad unit price fails alone; the tiers are still checked against each other."""
        assert [
            (2, "unit_price", RowErrorCode.INVALID_DECIMAL),
            (2, "price_from_50", RowErrorCode.TIERS_NOT_DECREASING),
        ] == self._problems("11.00", "", "11.50", unit_price="x")

    def test_tiers_of_an_unknown_currency_are_checked_for_format_only(self) -> None:
        """Without a currency the tiers cannot be priced, but their format is checked."""
        assert [
            (2, "currency", RowErrorCode.UNKNOWN_CURRENCY),
            (2, "price_from_10", RowErrorCode.INVALID_DECIMAL),
        ] == self._problems("11.001", "x", "", currency="XYZ")

    def test_tiers_go_the_same_way_for_first_and_later_rows(self) -> None:
        """Rows after the first give the same tiers (and fail alike) as the first."""
        rows = [
            f"{_cells(sku=sku)},{tiers}"
            for sku, tiers in [("A", "11,,"), ("B", "11,10.5,"), ("C", "11,11,"), ("D", "x,,")]
        ]
        records = records_of(*rows, header=self.HEADER)

        assert [(4, "price_from_10"), (5, "price_from_5")] == [
            (line, column) for line, column, _ in problems(records)
        ]
        assert [(Tier(5, eur("11")),), (Tier(5, eur("11")), Tier(10, eur("10.5")))] == [
            product.tiers for product in products(records)
        ]


class TestRepeatedSkus:
    def test_a_repeated_sku_fails_the_later_row_naming_both_lines(self) -> None:
        """The first row stays; the repeat fails with the line of the first."""
        records = records_of(GOOD, _cells(sku="MUG-2"), GOOD)

        assert [(4, "sku", RowErrorCode.DUPLICATE_SKU)] == problems(records)
        assert isinstance(records[3], RejectedRow)
        assert "'MUG-1' is already on line 2" == records[3].errors[0].message
        assert "MUG-1" == records[3].sku

    def test_a_rejected_first_row_still_counts(self) -> None:
        """A SKU seen on a failed row is seen: its repeat fails too."""
        records = records_of(_cells(stock="x"), GOOD)

        assert [
            (2, "stock", RowErrorCode.INVALID_INTEGER),
            (3, "sku", RowErrorCode.DUPLICATE_SKU),
        ] == problems(records)

    def test_a_repeat_with_other_problems_lists_them_all(self) -> None:
        """The repeat is one error among the row's others."""
        assert [
            (3, "sku", RowErrorCode.DUPLICATE_SKU),
            (3, "stock", RowErrorCode.INVALID_INTEGER),
        ] == row_problems(GOOD, _cells(stock="x"))
