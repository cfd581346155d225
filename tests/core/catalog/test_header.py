"""The header row: which columns a file has, and what makes it unusable."""

from __future__ import annotations

import pytest

from pulseshop.core.catalog import Header, RowErrorCode, Severity, parse_catalog
from tests.core.catalog._files import (
    GOOD,
    HEADER,
    byte_lines,
    header_of,
    problems,
    products,
    records_of,
    rejected,
)

pytestmark = pytest.mark.unit

MISSING = RowErrorCode.MISSING_COLUMN


class TestEmptyFiles:
    def test_no_lines_is_an_empty_file(self) -> None:
        """A file without a single line fails at line 1 as empty."""
        assert [(1, None, RowErrorCode.EMPTY_FILE)] == problems(list(parse_catalog([])))

    def test_only_blank_lines_is_an_empty_file(self) -> None:
        """Blank lines before the end count: the error names the line after them."""
        records = list(parse_catalog(byte_lines("\n\r\n,,,\n")))

        assert [(4, None, RowErrorCode.EMPTY_FILE)] == problems(records)

    def test_a_lone_byte_order_mark_is_an_empty_file(self) -> None:
        """A file holding only a byte order mark has no header."""
        records = list(parse_catalog([b"\xef\xbb\xbf"]))

        assert [(2, None, RowErrorCode.EMPTY_FILE)] == problems(records)

    def test_a_header_without_rows_is_a_valid_empty_catalog(self) -> None:
        """A header alone gives just the header."""
        assert [Header(1, tuple(HEADER.split(",")))] == records_of()


class TestColumns:
    def test_names_match_ignoring_case_blanks_and_order(self) -> None:
        """Headers are matched in lower case without surrounding blanks, in any order."""
        header = " Stock ,SKU,Name,\tCURRENCY,unit_price,Tax_Category"

        records = records_of("4,MUG-1,Mug,EUR,12.00,standard", header=header)

        columns = ("stock", "sku", "name", "currency", "unit_price", "tax_category")
        assert Header(1, columns) == header_of(records)
        assert [1, 2] == [record.line for record in records]
        assert ["MUG-1"] == [product.sku for product in products(records)]

    def test_the_header_may_follow_blank_lines(self) -> None:
        """Blank lines before the header are skipped; line numbers still count them."""
        records = list(parse_catalog(byte_lines(f"\n\n{HEADER}\n{GOOD}\n")))

        assert [3, 4] == [record.line for record in records]

    def test_a_byte_order_mark_is_not_part_of_the_first_name(self) -> None:
        """A UTF-8 byte order mark before the header is dropped."""
        records = list(parse_catalog(byte_lines(f"\ufeff{HEADER}\n{GOOD}\n")))

        assert "sku" == header_of(records).columns[0]
        assert 1 == len(products(records))

    def test_every_missing_required_column_is_listed(self) -> None:
        """Each missing required column is an error of its own on the header line."""
        records = records_of(header="name,stock,colour")

        assert [
            (1, "sku", MISSING),
            (1, "unit_price", MISSING),
            (1, "currency", MISSING),
            (1, "tax_category", MISSING),
            (1, "colour", RowErrorCode.UNKNOWN_COLUMN),
        ] == problems(records)
        assert 1 == len(records)

    def test_a_single_column_with_semicolons_suggests_commas(self) -> None:
        """A header read as one column because of another separator says to use commas."""
        records = records_of(header="sku;name;unit_price;currency;tax_category;stock")

        assert "commas" in rejected(records).errors[0].message

    def test_a_single_plain_column_gives_no_separator_hint(self) -> None:
        """One column without a separator is simply missing the others."""
        assert "commas" not in rejected(records_of(header="sku")).errors[0].message

    def test_a_repeated_column_is_an_error_naming_both_positions(self) -> None:
        """The same name twice (in any case) is refused: which one holds the value?"""
        [error] = rejected(records_of(header=f"{HEADER},SKU")).errors
        assert (1, "sku", RowErrorCode.DUPLICATE_COLUMN) == (error.line, error.column, error.code)
        assert "column 1 and column 10" in error.message

    def test_unknown_columns_are_warnings_and_their_cells_ignored(self) -> None:
        """An unknown column is a warning on the header; its cells are not read."""
        records = records_of(f"{GOOD},red,x", header=f"{HEADER},Colour,")

        warnings = header_of(records).warnings
        assert [(1, "colour"), (1, None)] == [(w.line, w.column) for w in warnings]
        assert {Severity.WARNING} == {warning.severity for warning in warnings}
        assert ["MUG-1"] == [product.sku for product in products(records)]


class TestTierColumns:
    def test_tier_columns_may_come_in_any_order(self) -> None:
        """Tiers are read in increasing quantity whatever the column order."""
        header = f"{HEADER},price_from_10,Price_From_5"

        [product] = products(records_of(f"{GOOD},10.00,11.00", header=header))

        assert [5, 10] == [tier.min_quantity for tier in product.tiers]

    @pytest.mark.parametrize(
        "name",
        [
            "price_from_1",
            "price_from_0",
            "price_from_05",
            "price_from_x",
            "price_from_",
            "price_from",
            "price_from_1000001",
            "price_from_2.5",
        ],
    )
    def test_a_malformed_tier_column_is_an_error(self, name: str) -> None:
        """price_from_N needs N a whole number from 2 to a million, without leading zeros."""
        records = records_of(header=f"{HEADER},{name}")

        assert [(1, name, RowErrorCode.INVALID_TIER_COLUMN)] == problems(records)


class TestUnreadableHeaders:
    def test_a_header_that_is_not_utf8_stops_the_reading(self) -> None:
        """An undecodable header fails with the line and the byte offset, and nothing more
        is read."""
        records = list(parse_catalog([b"sku,n\xe4me\n", GOOD.encode() + b"\n"]))

        assert [(1, None, RowErrorCode.NOT_UTF8)] == problems(records)
        assert "at byte 5" in rejected(records).errors[0].message

    def test_a_header_with_broken_quoting_stops_the_reading(self) -> None:
        """A header the csv reader refuses is rejected."""
        records = records_of(GOOD, header='"sku"x,name')

        assert [(1, None, RowErrorCode.MALFORMED_ROW)] == problems(records)

    def test_a_header_longer_than_the_limit_stops_the_reading(self) -> None:
        """The row length limit applies to the header too."""
        records = records_of(GOOD, max_row_chars=20)

        assert [(1, None, RowErrorCode.ROW_TOO_LONG)] == problems(records)
