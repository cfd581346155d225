"""The file as a whole: its encoding, its CSV structure and its size."""

from __future__ import annotations

import csv

import pytest

from pulseshop.core.catalog import ProductRow, RowErrorCode, parse_catalog
from tests.core.catalog._files import (
    GOOD,
    HEADER,
    byte_lines,
    lines_of,
    problems,
    records_of,
    rejected,
)

pytestmark = pytest.mark.unit


def _row(sku: str) -> str:
    return GOOD.replace("MUG-1", sku)


class TestEncoding:
    def test_a_line_that_is_not_utf8_fails_its_row_and_reading_goes_on(self) -> None:
        """The error names the line and the byte offset and says to save as UTF-8; the next
        rows are read as usual."""
        lines = [
            f"{HEADER}\n".encode(),
            b"MUG-1,Caf\xe9,1.00,EUR,standard,1\n",
            b"MUG-2,Tea,1,EUR,standard,1\n",
        ]

        records = list(parse_catalog(lines))

        assert [(2, None, RowErrorCode.NOT_UTF8)] == problems(records)
        message = rejected(records).errors[0].message
        assert "line 2 is not UTF-8 (at byte 9)" in message
        assert "save the file as UTF-8" in message
        assert "MUG-1" == rejected(records).sku
        assert isinstance(records[2], ProductRow)

    def test_every_bad_line_of_a_multiline_row_is_named(self) -> None:
        """A quoted cell over three lines, two of them bad: one error per bad line, all on
        the row's first line."""
        lines = [
            f"{HEADER}\n".encode(),
            b'MUG-1,Mug,1,EUR,standard,1,,"a\xff\n',
            b"b\xfe\n",
            b'c",\n',
            f"{_row('MUG-2')}\n".encode(),
        ]

        records = list(parse_catalog(lines))

        assert [(2, None, RowErrorCode.NOT_UTF8)] * 2 == problems(records)
        assert ["line 2", "line 3"] == [error.message[:6] for error in rejected(records).errors]
        assert [1, 2, 5] == lines_of(records)

    def test_a_nul_byte_suggests_utf16(self) -> None:
        """UTF-16 text read as UTF-8 is full of NUL bytes: the error says where."""
        lines = [f"{HEADER}\n".encode(), "MUG-1,Mug".encode("utf-16-le") + b"\n"]

        error = rejected(list(parse_catalog(lines))).errors[0]

        assert RowErrorCode.NOT_UTF8 == error.code
        assert "NUL byte, as UTF-16 text does (at byte 1)" in error.message

    def test_bad_bytes_in_a_row_with_other_problems_are_listed_first(self) -> None:
        """A bad line is one more problem of its row."""
        lines = [f"{HEADER}\n".encode(), b"mug,Caf\xe9,1.00,EUR,standard,1\n"]

        assert [(2, None, RowErrorCode.NOT_UTF8), (2, "sku", RowErrorCode.INVALID_SKU)] == (
            problems(list(parse_catalog(lines)))
        )


class TestStructure:
    def test_more_cells_than_the_header_fails_the_row_alone(self) -> None:
        """An unquoted comma shifts the cells: the row fails once, with a hint, unchecked."""
        records = records_of("MUG-1,Mug, blue,12.00,EUR,standard,4,kitchen,Blue,yes", _row("MUG-2"))

        assert [(2, None, RowErrorCode.TOO_MANY_CELLS)] == problems(records)
        assert "10 cells, the header 9" in rejected(records).errors[0].message
        assert [1, 2, 3] == lines_of(records)

    def test_broken_quoting_fails_the_row_and_reading_resumes_on_the_next_line(self) -> None:
        """Text after a closing quote is refused (strict CSV)."""
        records = records_of('MUG-1,"Mug" blue,1,EUR,standard,1', _row("MUG-2"))

        assert [(2, None, RowErrorCode.MALFORMED_ROW)] == problems(records)
        assert '"12"" vinyl"' in rejected(records).errors[0].message
        assert [1, 2, 3] == lines_of(records)

    def test_old_mac_line_ends_are_refused_with_a_hint(self) -> None:
        """A file whose lines end with CR alone is one line with CRs outside quotes."""
        records = list(parse_catalog([f"{HEADER}\r{GOOD}\r".encode()]))

        assert [(1, None, RowErrorCode.MALFORMED_ROW)] == problems(records)
        assert "carriage return (CR)" in rejected(records).errors[0].message

    def test_a_quote_never_closed_fails_at_its_row(self) -> None:
        """The rest of the file is read into the open cell: the error names the lines."""
        records = records_of('MUG-1,"Mug,1,EUR,standard,1', _row("MUG-2"), _row("MUG-3"))

        assert [(2, None, RowErrorCode.UNCLOSED_QUOTE)] == problems(records)
        assert "lines 2-4" in rejected(records).errors[0].message
        assert [1, 2] == lines_of(records)

    def test_a_row_longer_than_the_limit_fails_and_reading_resumes(self) -> None:
        """The limit counts the characters of the row, line breaks included."""
        long_row = _row("MUG-2").replace("Mug", "M" * 100)

        records = records_of(GOOD, long_row, _row("MUG-3"), max_row_chars=100)

        assert [(3, None, RowErrorCode.ROW_TOO_LONG)] == problems(records)
        assert "the row on line 3 is longer than 100 characters" == (
            rejected(records).errors[0].message
        )
        assert [1, 2, 3, 4] == lines_of(records)

    def test_an_open_quote_stops_at_the_limit_and_reading_resumes(self) -> None:
        """An unclosed quote no longer swallows the file: reading goes on after the limit."""
        rows = ['MUG-1,"Mug,1,EUR,standard,1', "x" * 40, "y" * 40, _row("MUG-2")]

        records = records_of(*rows, max_row_chars=100)

        assert [(2, None, RowErrorCode.ROW_TOO_LONG)] == problems(records)
        assert "lines 2-4" in rejected(records).errors[0].message
        assert "closing quote" in rejected(records).errors[0].message
        assert [1, 2, 5] == lines_of(records)

    def test_a_cell_past_the_csv_field_limit_fails_its_row(self) -> None:
        """With a larger row limit, the csv reader's own cell limit still applies."""
        cell = "d" * (csv.field_size_limit() + 1)
        records = records_of(f'{_row("MUG-2")[:-5]}"{cell}",true', GOOD, max_row_chars=10**6)

        assert [(2, None, RowErrorCode.ROW_TOO_LONG)] == problems(records)
        assert "field limit" in rejected(records).errors[0].message

    def test_bad_bytes_in_a_malformed_row_are_reported_with_it(self) -> None:
        """Both problems of the row are listed."""
        lines = [f"{HEADER}\n".encode(), b'MUG-1,"M\xffug" x,1,EUR,standard,1\n']

        assert [(2, None, RowErrorCode.NOT_UTF8), (2, None, RowErrorCode.MALFORMED_ROW)] == (
            problems(list(parse_catalog(lines)))
        )


class TestRowLimit:
    def test_the_first_row_over_the_limit_fails_and_reading_stops(self) -> None:
        """Blank rows do not count; failed rows do."""
        rows = [GOOD, "", _row("mug"), _row("MUG-3"), _row("MUG-4")]

        records = records_of(*rows, max_rows=2)

        assert [(4, "sku", RowErrorCode.INVALID_SKU), (5, None, RowErrorCode.TOO_MANY_ROWS)] == (
            problems(records)
        )
        assert "more than 2 rows" in rejected(records[-1:]).errors[0].message

    def test_a_good_row_over_the_limit_fails(self) -> None:
        """The row over the limit fails even when it is valid."""
        records = records_of(GOOD, max_rows=0)

        assert [(2, None, RowErrorCode.TOO_MANY_ROWS)] == problems(records)

    def test_an_unreadable_row_over_the_limit_fails_as_too_many(self) -> None:
        """A row the csv reader refuses counts toward the limit too."""
        records = records_of(GOOD, 'MUG-2,"x"y', 'MUG-3,"x"y', max_rows=1)

        assert [(3, None, RowErrorCode.TOO_MANY_ROWS)] == problems(records)

    def test_a_file_within_the_limit_is_read_whole(self) -> None:
        """Exactly max_rows rows is fine."""
        records = records_of(GOOD, _row("MUG-2"), max_rows=2)

        assert [] == problems(records)


def test_lines_are_counted_from_the_file_not_the_rows() -> None:
    """Line numbers are physical lines: blank lines and line breaks in cells count."""
    text = f'{HEADER}\n\n{GOOD}\nMUG-2,"a\nb",1,EUR,standard,1\n\nMUG-3,x,1,EUR,Bad,1\n'

    records = list(parse_catalog(byte_lines(text)))

    assert [1, 3, 4, 7] == lines_of(records)
    assert [(7, "tax_category", RowErrorCode.INVALID_IDENTIFIER)] == problems(records)
