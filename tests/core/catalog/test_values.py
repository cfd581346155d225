"""The catalog's formats and vocabulary: SKU and category patterns, columns, error codes."""

from __future__ import annotations

import re

import pytest

from pulseshop.core.catalog import (
    COLUMNS,
    IDENTIFIER_PATTERN,
    REQUIRED_COLUMNS,
    SKU_PATTERN,
    RowError,
    RowErrorCode,
    Severity,
    is_identifier,
    is_sku,
    tier_column,
    tier_quantity,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("A", True),
        ("9", True),
        ("MUG-1.BLUE_XL", True),
        ("M" * 64, True),
        ("M" * 65, False),
        ("", False),
        ("-A", False),
        ("_A", False),
        (".A", False),
        ("mug", False),
        ("MUG 1", False),
        ("MUG\n", False),
        ("MÜG", False),
        ("\uff2d", False),
    ],
)
def test_skus(text: str, valid: bool) -> None:  # noqa: FBT001
    """1-64 upper-case ASCII letters, digits, '-', '_' and '.', starting with a letter or digit."""
    assert valid == bool(is_sku(text))
    assert valid == bool(re.fullmatch(SKU_PATTERN, text))


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("standard", True),
        ("0-rated_2", True),
        ("c" * 64, True),
        ("c" * 65, False),
        ("", False),
        ("Standard", False),
        ("-x", False),
        ("a.b", False),
        ("x\n", False),
    ],
)
def test_identifiers(text: str, valid: bool) -> None:  # noqa: FBT001
    """1-64 lower-case ASCII letters, digits, '_' and '-', starting with a letter or digit."""
    assert valid == bool(is_identifier(text))
    assert valid == bool(re.fullmatch(IDENTIFIER_PATTERN, text))


def test_the_column_reference_starts_with_the_required_columns() -> None:
    """Six required columns, then the optional ones, each described with an example."""
    assert ("sku", "name", "unit_price", "currency", "tax_category", "stock") == REQUIRED_COLUMNS
    assert ["category", "description", "active"] == [c.name for c in COLUMNS if not c.required]
    assert all(column.meaning and column.example for column in COLUMNS)


@pytest.mark.parametrize(
    ("name", "quantity"),
    [("price_from_2", 2), ("price_from_1000000", 1_000_000), ("price_from_1", None), ("sku", None)],
)
def test_tier_columns(name: str, quantity: int | None) -> None:
    """price_from_N names the tier from N units, N from 2 to a million."""
    assert quantity == tier_quantity(name)
    if quantity is not None:
        assert name == tier_column(quantity)


def test_only_unknown_columns_are_warnings() -> None:
    """Every other code stops its row or the file."""
    warnings = {code for code in RowErrorCode if code.severity is Severity.WARNING}

    assert {RowErrorCode.UNKNOWN_COLUMN} == warnings


def test_an_error_reads_as_its_line_column_and_message() -> None:
    """How the shell prints an error."""
    with_column = RowError(7, "stock", RowErrorCode.INVALID_INTEGER, "'x' is not a number")
    without = RowError(3, None, RowErrorCode.TOO_MANY_CELLS, "too many cells")

    assert "line 7, stock: 'x' is not a number" == str(with_column)
    assert "line 3: too many cells" == str(without)
    assert Severity.ERROR == with_column.severity
