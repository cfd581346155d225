"""What can be wrong with a catalog file, each problem named by its line and column.

>>> error = RowError(7, "unit_price", RowErrorCode.INVALID_DECIMAL, "'12,50' is not ...")
>>> str(error)
"line 7, unit_price: '12,50' is not ..."
>>> RowErrorCode.UNKNOWN_COLUMN.severity
<Severity.WARNING: 'warning'>
"""

from __future__ import annotations

import enum
from typing import final

import attrs


class Severity(enum.Enum):
    """An error stops a row (or the file) from being imported; a warning does not."""

    ERROR = "error"
    WARNING = "warning"


class RowErrorCode(enum.Enum):
    """The closed set of problems a catalog file can have."""

    # The file as a whole: its encoding, its CSV structure, its size.
    EMPTY_FILE = "empty_file"
    NOT_UTF8 = "not_utf8"
    MALFORMED_ROW = "malformed_row"
    UNCLOSED_QUOTE = "unclosed_quote"
    ROW_TOO_LONG = "row_too_long"
    TOO_MANY_CELLS = "too_many_cells"
    TOO_MANY_ROWS = "too_many_rows"
    # The header row.
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    INVALID_TIER_COLUMN = "invalid_tier_column"
    UNKNOWN_COLUMN = "unknown_column"
    # One cell, or the cells of one row together.
    REQUIRED = "required"
    INVALID_SKU = "invalid_sku"
    INVALID_IDENTIFIER = "invalid_identifier"
    TOO_LONG = "too_long"
    UNKNOWN_CURRENCY = "unknown_currency"
    INVALID_DECIMAL = "invalid_decimal"
    TOO_PRECISE = "too_precise"
    INVALID_INTEGER = "invalid_integer"
    OUT_OF_RANGE = "out_of_range"
    INVALID_BOOLEAN = "invalid_boolean"
    TIERS_NOT_DECREASING = "tiers_not_decreasing"
    DUPLICATE_SKU = "duplicate_sku"
    # A row against the product as stored.
    KEPT_TIERS_CONFLICT = "kept_tiers_conflict"

    @property
    def severity(self) -> Severity:
        """Unknown columns are ignored with a warning; everything else is an error."""
        return Severity.WARNING if self is RowErrorCode.UNKNOWN_COLUMN else Severity.ERROR


@final
@attrs.frozen
class RowError:
    """One problem: the physical line (1-based) where its row starts, the column's header
    name (None when the problem is not about one column), a stable code and a sentence."""

    line: int
    column: str | None
    code: RowErrorCode
    message: str

    @property
    def severity(self) -> Severity:
        """Whether this problem stops the import (see `RowErrorCode.severity`)."""
        return self.code.severity

    def __str__(self) -> str:
        where = f"line {self.line}" if self.column is None else f"line {self.line}, {self.column}"
        return f"{where}: {self.message}"
