"""Hypothesis strategies for the catalog: valid products, catalog files as byte lines, single
corrupted cells, files missing optional columns, and arbitrary bytes shaped a little like
CSV."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Final, final

import attrs
from hypothesis import strategies as st

from pulseshop.core.catalog import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_STOCK,
    MAX_TIER_QUANTITY,
    OPTIONAL_FIELDS,
    Product,
    RowErrorCode,
    export_rows,
    tier_quantity,
)
from pulseshop.core.catalog.formulas import FORMULA_STARTS
from pulseshop.core.currencies import EXPONENTS
from pulseshop.core.money import MAX_AMOUNT, Currency, currency_of, from_minor_units
from pulseshop.core.pricing import Tier

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from pulseshop.core.catalog import OptionalField

skus = st.from_regex(r"[A-Z0-9][A-Z0-9._-]{0,63}", fullmatch=True)
identifiers = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,63}", fullmatch=True)
# Any text UTF-8 can hold but NUL (which the parser refuses): line breaks, quotes and commas
# included, so the quoting is exercised.
any_texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"))
# Texts a spreadsheet would run as formulas, some already marked as text: exports mark them
# and imports take the mark off, so these must come back unchanged too.
formula_texts = st.builds(
    lambda marks, start, rest: marks + start + rest,
    st.text("'", max_size=2),
    st.sampled_from(sorted(FORMULA_STARTS)),
    any_texts,
)
texts = any_texts | formula_texts
names = texts.filter(lambda text: 0 < len(text) <= MAX_NAME and not text.isspace())
descriptions = st.none() | texts.filter(lambda text: 0 < len(text) <= MAX_DESCRIPTION)
currencies = st.sampled_from(sorted(EXPONENTS)).map(lambda code: currency_of(code).unwrap())


@st.composite
def products(draw: st.DrawFn, sku: str | None = None) -> Product:
    """A valid product: a price in any currency, up to three falling tier prices."""
    currency: Currency = draw(currencies)
    top = int(MAX_AMOUNT.scaleb(currency.exponent))
    units = draw(st.one_of(st.integers(0, 100_000), st.integers(0, top)))
    quantities = sorted(
        draw(st.lists(st.integers(2, MAX_TIER_QUANTITY), max_size=min(3, units), unique=True))
    )
    tier_units = sorted(
        draw(
            st.lists(
                st.integers(0, max(units - 1, 0)),
                min_size=len(quantities),
                max_size=len(quantities),
                unique=True,
            )
        ),
        reverse=True,
    )
    return Product(
        sku=draw(skus) if sku is None else sku,
        name=draw(names),
        unit_price=from_minor_units(units, currency),
        tax_category=draw(identifiers),
        stock=draw(st.integers(0, MAX_STOCK)),
        category=draw(st.none() | identifiers),
        description=draw(descriptions),
        active=draw(st.booleans()),
        tiers=tuple(
            Tier(quantity, from_minor_units(price, currency))
            for quantity, price in zip(quantities, tier_units, strict=True)
        ),
    )


catalogs = st.lists(products(), max_size=8, unique_by=lambda product: product.sku)
"""Products with distinct SKUs."""


def byte_lines(text: str) -> list[bytes]:
    """``text`` as UTF-8 lines, the way iterating over a file opened in binary mode gives
    them (split after each LF only)."""
    return io.BytesIO(text.encode()).readlines()


def exported_cells(products: Iterable[Product]) -> list[list[str]]:
    """The header and rows `export_rows` writes for ``products``, as lists of cells."""
    return [next(csv.reader([line])) for line in export_rows(products)]


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """Rows of cells as CSV text, quoted as needed."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def row_lines(rows: Sequence[Sequence[str]]) -> list[int]:
    """The physical line (1-based) each row of ``csv_text(rows)`` starts on."""
    starts = []
    line = 1
    for row in rows:
        starts.append(line)
        line += csv_text([row]).count("\n")
    return starts


@final
@attrs.frozen
class Corruption:
    """A bad value for a column, and the one error it must cause."""

    column: str
    value: str
    code: RowErrorCode


CORRUPTIONS: Final = (
    Corruption("sku", "", RowErrorCode.REQUIRED),
    Corruption("sku", "mug 1", RowErrorCode.INVALID_SKU),
    Corruption("sku", "-MUG", RowErrorCode.INVALID_SKU),
    Corruption("name", "", RowErrorCode.REQUIRED),
    Corruption("name", " \t", RowErrorCode.REQUIRED),
    Corruption("name", "n" * (MAX_NAME + 1), RowErrorCode.TOO_LONG),
    Corruption("unit_price", "", RowErrorCode.REQUIRED),
    Corruption("unit_price", "12,50", RowErrorCode.INVALID_DECIMAL),
    Corruption("unit_price", "1e3", RowErrorCode.INVALID_DECIMAL),
    Corruption("unit_price", "NaN", RowErrorCode.INVALID_DECIMAL),
    Corruption("unit_price", " 1", RowErrorCode.INVALID_DECIMAL),
    Corruption("unit_price", "-1", RowErrorCode.OUT_OF_RANGE),
    Corruption("unit_price", "1" * 14, RowErrorCode.OUT_OF_RANGE),
    Corruption("currency", "", RowErrorCode.REQUIRED),
    Corruption("currency", "EURO", RowErrorCode.UNKNOWN_CURRENCY),
    Corruption("currency", "eur", RowErrorCode.UNKNOWN_CURRENCY),
    Corruption("tax_category", "", RowErrorCode.REQUIRED),
    Corruption("tax_category", "Standard rate", RowErrorCode.INVALID_IDENTIFIER),
    Corruption("stock", "", RowErrorCode.REQUIRED),
    Corruption("stock", "1.5", RowErrorCode.INVALID_INTEGER),
    Corruption("stock", "\u0661\u0662", RowErrorCode.INVALID_INTEGER),
    Corruption("stock", "-3", RowErrorCode.OUT_OF_RANGE),
    Corruption("stock", str(MAX_STOCK + 1), RowErrorCode.OUT_OF_RANGE),
    Corruption("category", "Kitchen", RowErrorCode.INVALID_IDENTIFIER),
    Corruption("description", "d" * (MAX_DESCRIPTION + 1), RowErrorCode.TOO_LONG),
    Corruption("active", "maybe", RowErrorCode.INVALID_BOOLEAN),
)
"""Bad values that are wrong in any valid row, whatever its other cells hold."""

TIER_CORRUPTIONS: Final = (
    ("abc", RowErrorCode.INVALID_DECIMAL),
    ("-0.5", RowErrorCode.OUT_OF_RANGE),
    (f"{MAX_AMOUNT:f}", RowErrorCode.TIERS_NOT_DECREASING),
)
"""Bad values for any tier price cell: the last is never below the unit price."""


@final
@attrs.frozen
class CorruptedCatalog:
    """A valid catalog file with one cell made bad, and where the error must point."""

    products: tuple[Product, ...]
    rows: tuple[tuple[str, ...], ...]
    row: int
    line: int
    column: str
    code: RowErrorCode


@st.composite
def corrupted_catalogs(draw: st.DrawFn) -> CorruptedCatalog:
    """A catalog of one to six products, one cell of one row replaced by a bad value."""
    catalog = draw(st.lists(products(), min_size=1, max_size=6, unique_by=lambda p: p.sku))
    header, *rows = exported_cells(catalog)
    row = draw(st.integers(0, len(rows) - 1))
    tier_columns = [name for name in header if name.startswith("price_from_")]
    choices: list[Corruption] = [
        *CORRUPTIONS,
        *(
            Corruption(name, value, code)
            for name in tier_columns
            for value, code in TIER_CORRUPTIONS
        ),
    ]
    if row > 0:
        earlier = catalog[draw(st.integers(0, row - 1))].sku
        choices.append(Corruption("sku", earlier, RowErrorCode.DUPLICATE_SKU))
    corruption = draw(st.sampled_from(choices))
    cells = list(rows[row])
    cells[header.index(corruption.column)] = corruption.value
    rows[row] = cells
    all_rows = (tuple(header), *(tuple(cells) for cells in rows))
    return CorruptedCatalog(
        products=tuple(catalog),
        rows=all_rows,
        row=row,
        line=row_lines(all_rows)[row + 1],
        column=corruption.column,
        code=corruption.code,
    )


FRAGMENTS: Final = (
    b"sku,name,unit_price,currency,tax_category,stock,category,description,active\n",
    b"SKU,Name,Unit_Price,Currency,Tax_Category,Stock,price_from_3,price_from_2\r\n",
    b"MUG-1,Mug,12.00,EUR,standard,4,kitchen,,true\n",
    b'TEA-1,"Tea, green",4.2,EUR,reduced,0,,"a\n',
    b'line"" two",no\n',
    b"MUG-1,Mug,12.00,JPY,standard,4,,,\n",
    b'"',
    b",",
    b"\n",
    b"\r",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x00",
    b"\xc3",
    b"price_from_",
    b"10.5",
    b"-1",
)
"""Pieces of catalog files, good and bad, for building odd inputs."""

odd_lines = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.lists(st.sampled_from(FRAGMENTS), max_size=6).map(b"".join),
    ),
    max_size=12,
)
"""Lists of byte lines: random bytes, and bits of CSV glued together."""


@final
@attrs.frozen
class PartialFile:
    """An exported catalog without the columns of some optional fields, and a current
    catalog holding other values for some of its SKUs."""

    rows: list[list[str]]
    dropped: frozenset[OptionalField]
    current: dict[str, Product]


def _column_of(name: str, dropped: frozenset[OptionalField]) -> bool:
    """Whether the header cell ``name`` belongs to one of the ``dropped`` fields."""
    return name in dropped or ("tiers" in dropped and tier_quantity(name) is not None)


@st.composite
def partial_files(draw: st.DrawFn) -> PartialFile:
    """An export of some products with one or more optional fields' columns removed (for
    tiers: every tier column); the current catalog has other products under some SKUs."""
    catalog = draw(catalogs)
    dropped = frozenset(draw(st.sets(st.sampled_from(OPTIONAL_FIELDS), min_size=1)))
    header, *rows = exported_cells(catalog)
    kept = [index for index, name in enumerate(header) if not _column_of(name, dropped)]
    cells = [[row[index] for index in kept] for row in (header, *rows)]
    current = {
        product.sku: draw(products(sku=product.sku))
        for product in (draw(st.lists(st.sampled_from(catalog), unique=True)) if catalog else [])
    }
    return PartialFile(cells, dropped, current)
