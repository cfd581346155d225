"""Catalog files for tests: rows written as text, read as the byte lines a binary file gives."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Final

from pulseshop.core.catalog import Header, ProductRow, RejectedRow, parse_catalog
from pulseshop.core.money import EUR, Money

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pulseshop.core.catalog import CatalogRecord, Product, RowErrorCode

HEADER: Final = "sku,name,unit_price,currency,tax_category,stock,category,description,active"
GOOD: Final = "MUG-1,Mug,12.00,EUR,standard,4,kitchen,Blue,true"
"""A valid row for HEADER."""


def byte_lines(text: str | bytes) -> list[bytes]:
    """The lines of a file holding ``text`` (UTF-8), as iterating a binary file gives them."""
    data = text.encode() if isinstance(text, str) else text
    return io.BytesIO(data).readlines()


def file_of(*rows: str, header: str = HEADER) -> list[bytes]:
    """A file of the header and ``rows``, one line each, LF-terminated."""
    return byte_lines("".join(f"{row}\n" for row in (header, *rows)))


def records_of(*rows: str, header: str = HEADER, **limits: int) -> list[CatalogRecord]:
    """Everything parsing the file of ``header`` and ``rows`` yields."""
    return list(parse_catalog(file_of(*rows, header=header), **limits))


def problems(records: Sequence[CatalogRecord]) -> list[tuple[int, str | None, RowErrorCode]]:
    """Every error of the rejected records, as (line, column, code)."""
    return [
        (error.line, error.column, error.code)
        for record in records
        if isinstance(record, RejectedRow)
        for error in record.errors
    ]


def row_problems(*rows: str, header: str = HEADER) -> list[tuple[int, str | None, RowErrorCode]]:
    """The errors of the file of ``header`` and ``rows``."""
    return problems(records_of(*rows, header=header))


def products(records: Sequence[CatalogRecord]) -> list[Product]:
    """The products of the valid rows."""
    return [record.product for record in records if isinstance(record, ProductRow)]


def lines_of(records: Sequence[CatalogRecord]) -> list[int]:
    """The line each record starts on."""
    return [record.line for record in records]


def eur(amount: str) -> Money:
    """Euros from a decimal string."""
    return Money.of(amount, EUR)


def header_of(records: Sequence[CatalogRecord]) -> Header:
    """The header the records start with."""
    header = records[0]
    assert isinstance(header, Header), header
    return header


def rejected(records: Sequence[CatalogRecord]) -> RejectedRow:
    """The one rejected record."""
    [row] = [record for record in records if isinstance(record, RejectedRow)]
    return row
