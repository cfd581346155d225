"""docs/catalog-import.md says what the catalog code does: its tables cannot drift from it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Final

import pytest

from pulseshop.core.catalog import (
    COLUMNS,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_STOCK,
    MAX_TIER_QUANTITY,
    TIER_PREFIX,
    ProductRow,
    RowErrorCode,
    parse_catalog,
)
from pulseshop.core.money import MAX_AMOUNT

pytestmark = pytest.mark.unit

DOC: Final = Path(__file__).resolve().parents[3] / "docs" / "catalog-import.md"
TIER_ROW: Final = f"{TIER_PREFIX}<N>"
"""How the column table names the tier price columns."""

# A cell boundary is a '|' not escaped as '\|'.
_CELL_BOUNDARY: Final = re.compile(r"(?<!\\)\|")
_FENCED: Final = re.compile(r"^```\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _table(first_heading: str) -> list[list[str]]:
    """The body rows of the doc's table whose first header cell is ``first_heading``, each
    as its cells with code marks removed."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in _text().splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = [cell.strip() for cell in _CELL_BOUNDARY.split(line.strip()[1:-1])]
        if current is None:
            current = []
            tables.append(current)
        if not all(set(cell) <= {"-", ":"} for cell in cells):
            current.append([cell.strip("`") for cell in cells])
    [table] = [table for table in tables if table[0][0] == first_heading]
    return table[1:]


class TestColumnReference:
    def test_lists_every_column_and_nothing_else(self) -> None:
        """One row per column of COLUMNS, in the same order, then the tier price columns."""
        names = [row[0] for row in _table("Column")]

        assert [*(column.name for column in COLUMNS), TIER_ROW] == names

    def test_says_which_columns_are_required_and_gives_their_examples(self) -> None:
        """The Required and Example cells agree with COLUMNS."""
        documented = {row[0]: (row[1], row[3]) for row in _table("Column")}

        expected = {
            column.name: ("yes" if column.required else "no", column.example) for column in COLUMNS
        }
        assert expected == {name: documented[name] for name in expected}
        assert "no" == documented[TIER_ROW][0]

    def test_states_the_limits_the_code_enforces(self) -> None:
        """Every limit the doc states is the one the code enforces."""
        defaults = inspect.signature(parse_catalog).parameters
        text = _text()

        for figure in (
            str(MAX_NAME),
            str(MAX_DESCRIPTION),
            str(MAX_STOCK),
            str(MAX_TIER_QUANTITY),
            f"{MAX_AMOUNT:f}",
            f"{defaults['max_rows'].default:,}",
            f"{defaults['max_row_chars'].default:,}",
        ):
            assert figure in text


class TestErrorCodes:
    def test_lists_every_code_once_with_its_severity(self) -> None:
        """One row per RowErrorCode, in the enum's order, with the code's severity."""
        documented = [(row[0], row[1]) for row in _table("Code")]

        expected = [(code.value, code.severity.value) for code in RowErrorCode]
        assert expected == documented

    def test_every_code_says_how_to_fix_it(self) -> None:
        """No row of the table leaves its meaning or its fix empty."""
        empty = [row[0] for row in _table("Code") if not (row[2] and row[3])]

        assert [] == empty


class TestExamples:
    def test_every_example_file_is_valid(self) -> None:
        """Each fenced block that starts with a catalog header parses into products alone."""
        blocks = [block for block in _FENCED.findall(_text()) if block.startswith("sku,")]
        assert blocks

        for block in blocks:
            _header, *rows = parse_catalog(block.encode().splitlines(keepends=True))
            assert rows
            assert all(isinstance(row, ProductRow) for row in rows), rows
