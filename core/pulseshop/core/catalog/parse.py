"""Reading a catalog file: byte lines in, records out, one row at a time.

`parse_catalog` takes the file's lines as bytes, as iterating over a file opened in binary
mode gives them, and yields a `Header`, then a `ProductRow` or a `RejectedRow` for each data
row. It holds one row at a time plus the SKUs seen so far, so a file of any length is read
in bounded memory, and it never raises: every problem becomes a `RowError` naming the line
where its row starts and the column.

How a file is read:

- UTF-8, with or without a byte order mark. A line that is not UTF-8 (or holds a NUL byte,
  as UTF-16 text does) fails its row with NOT_UTF8, giving the line and the byte offset;
  reading goes on with the next rows, so one run shows every bad line. A header that is
  not UTF-8 stops the reading.
- CSV as spreadsheets write it: quoted cells may hold commas, quotes (doubled) and line
  breaks. A row whose quoting is broken fails with MALFORMED_ROW, and reading resumes at
  the next line. A quote never closed swallows the rest of the file: UNCLOSED_QUOTE (or
  ROW_TOO_LONG once the row passes ``max_row_chars``, after which reading resumes at the
  next line).
- Blank lines and rows of empty cells are skipped. A short row is read as if its missing
  cells were empty; a row with more non-empty cells than the header fails with
  TOO_MANY_CELLS and nothing else is checked in it, since its cells have probably moved.
- A header with errors (missing or repeated columns, a malformed tier column) is
  rejected and nothing more is read. Unknown columns are ignored with a warning.
- After ``max_rows`` data rows, the next one fails with TOO_MANY_ROWS and reading stops.
- A SKU seen on an earlier line fails the later row with DUPLICATE_SKU naming both lines.
- A name or description that `export_rows` marked with an apostrophe, so that spreadsheets
  do not run it as a formula, is read without the mark (`formulas`).

>>> lines = [
...     b"\\xef\\xbb\\xbfsku,name,unit_price,currency,tax_category,stock,price_from_10\\n",
...     b'MUG-1,"Mug, blue",12.00,EUR,standard,40,10.00\\n',
...     b"MUG-2,Mug,12.5.0,EUR,standard,-1,\\n",
... ]
>>> header, mug, bad = parse_catalog(lines)
>>> mug.line, mug.product.name, mug.product.tiers
(2, 'Mug, blue', (Tier(min_quantity=10, unit_price=EUR 10.00),))
>>> [(error.line, error.column, error.code.value) for error in bad.errors]
[(3, 'unit_price', 'invalid_decimal'), (3, 'stock', 'out_of_range')]
"""

from __future__ import annotations

import csv
from itertools import chain
from typing import TYPE_CHECKING, Final

from pulseshop.core.catalog._layout import Layout, read_header
from pulseshop.core.catalog._lines import Lines, RowTooLongError, encoding_errors, unreadable
from pulseshop.core.catalog._rows import (
    Memory,
    check_row,
    quick_sku,
    quick_tiers,
    trusted_row,
)
from pulseshop.core.catalog.columns import ACTIVE_WORDS
from pulseshop.core.catalog.errors import RowError, RowErrorCode
from pulseshop.core.catalog.formulas import TEXT_MARK
from pulseshop.core.catalog.product import MAX_DESCRIPTION, MAX_NAME
from pulseshop.core.catalog.records import Header, ProductRow, RejectedRow

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from pulseshop.core.catalog.records import CatalogRecord

_BOM: Final = b"\xef\xbb\xbf"
_ACTIVE: Final = dict(ACTIVE_WORDS)


def parse_catalog(
    lines: Iterable[bytes], *, max_rows: int = 1_000_000, max_row_chars: int = 65_536
) -> Iterator[CatalogRecord]:
    """The records of a catalog file, one row at a time.

    Args:
        lines: the file's lines as bytes, each with its line break.
        max_rows: the most data rows a file may have.
        max_row_chars: the most characters one row may have, over all its lines.

    Returns:
        A `Header`, then a `ProductRow` or `RejectedRow` per data row; or a single
        `RejectedRow` when the header is missing or unusable.
    """
    return _records(iter(lines), max_rows, max_row_chars)


def _start(
    raw: Iterator[bytes], max_row_chars: int
) -> tuple[Iterator[list[str]], Lines, Layout, Header] | RejectedRow:
    """A csv reader over the lines, placed after the header, and what the header says."""
    first = next(raw, None)
    if first is None:
        return _empty_file(1)
    source = Lines(chain((first.removeprefix(_BOM),), raw), max_row_chars)
    reader = csv.reader(source, strict=True)
    read = _read_header(reader, source)
    if isinstance(read, RejectedRow):
        return read
    layout, header = read
    return reader, source, layout, header


def _read_header(reader: Iterator[list[str]], source: Lines) -> tuple[Layout, Header] | RejectedRow:
    """The first row that is not blank, read as the header."""
    while True:
        line = source.line + 1
        source.chars = 0
        try:
            cells = next(reader)
        except StopIteration:
            return _empty_file(line)
        except (csv.Error, RowTooLongError) as error:
            errors = encoding_errors(line, source)
            errors.append(unreadable(line, source, error))
            return RejectedRow(line, None, tuple(errors))
        if source.undecodable:
            return RejectedRow(line, None, tuple(encoding_errors(line, source)))
        if any(cells):
            return read_header(cells, line)


# One flat loop on purpose: it runs once per row, and each call split out of it would cost
# throughput on files of a million rows.
def _records(  # noqa: PLR0912, PLR0915
    raw: Iterator[bytes], max_rows: int, max_row_chars: int
) -> Iterator[CatalogRecord]:
    """The header, then every data row as a record.

    The common valid row takes the quick path: cheap tests that only ever pass good cells
    (a known currency, already-seen category names, short plain amounts), then the values.
    Any other row, including the first one naming each category, goes to `check_row`,
    which finds every problem.
    """
    started = _start(raw, max_row_chars)
    if isinstance(started, RejectedRow):
        yield started
        return
    reader, source, layout, header = started
    yield header
    width, fields, pad, tier_columns = layout.width, layout.fields, layout.pad, layout.tiers
    tier_cells, no_tiers = layout.tier_cells, layout.no_tiers
    memory = Memory()
    seen, currencies, names, stocks = memory.seen, memory.currencies, memory.names, memory.stocks
    undecodable = source.undecodable
    active_words = _ACTIVE
    rows = 0
    start = source.line + 1
    source.chars = 0
    while True:
        try:
            for cells in reader:
                line = start
                start = source.line + 1
                source.chars = 0
                record: ProductRow | RejectedRow | None = None
                if len(cells) == width and not undecodable:
                    if pad:
                        cells.append("")
                    sku, name, price, code, tax, stock, category, description, word = fields(cells)
                    known = currencies.get(code)
                    active = active_words.get(word)
                    count = stocks.get(stock)
                    if count is None:
                        count = memory.stock(stock)
                    if (
                        known is not None
                        and active is not None
                        and count is not None
                        and quick_sku(sku) is not None
                        and sku not in seen
                        and 0 < len(name) <= MAX_NAME
                        and name[0] != TEXT_MARK
                        and not name.isspace()
                        and tax in names
                        and (not category or category in names)
                        and (not description or description[0] != TEXT_MARK)
                        and len(description) <= MAX_DESCRIPTION
                    ):
                        money = known.prices.get(price) or known.money(price)
                        # Most rows have no tier prices, which one comparison tells.
                        tiers = (
                            ()
                            if tier_cells(cells) == no_tiers
                            else quick_tiers(cells, tier_columns, known, money)
                            if money is not None
                            else None
                        )
                        if money is not None and tiers is not None:
                            seen[sku] = line
                            record = trusted_row(
                                line,
                                sku,
                                name,
                                money,
                                tax,
                                count,
                                category or None,
                                description or None,
                                active,
                                tiers,
                            )
                if record is None:
                    record = check_row(cells, line, layout, memory, encoding_errors(line, source))
                    if record is None:
                        continue
                rows += 1
                if rows > max_rows:
                    yield _too_many_rows(line, max_rows)
                    return
                yield record
        except (csv.Error, RowTooLongError) as error:
            line = start
            start = source.line + 1
            source.chars = 0
            rows += 1
            if rows > max_rows:
                yield _too_many_rows(line, max_rows)
                return
            errors = encoding_errors(line, source)
            errors.append(unreadable(line, source, error))
            yield RejectedRow(line, None, tuple(errors))
        else:
            return


def _empty_file(line: int) -> RejectedRow:
    message = "the file is empty: its first row must name the columns"
    return RejectedRow(line, None, (RowError(line, None, RowErrorCode.EMPTY_FILE, message),))


def _too_many_rows(line: int, max_rows: int) -> RejectedRow:
    message = f"the file has more than {max_rows} rows: split it into smaller files"
    return RejectedRow(line, None, (RowError(line, None, RowErrorCode.TOO_MANY_ROWS, message),))
