"""The header row read into a layout: where each column's cells are in a data row.

Computed once per file, so a data row is read by position without looking names up.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, TypeAlias, final

import attrs

from pulseshop.core.catalog.columns import KNOWN_COLUMNS, REQUIRED_COLUMNS, TIER_PREFIX
from pulseshop.core.catalog.columns import tier_quantity as _tier_quantity
from pulseshop.core.catalog.errors import RowError, RowErrorCode
from pulseshop.core.catalog.records import Header, RejectedRow

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

Fields: TypeAlias = tuple[str, str, str, str, str, str, str, str, str]
"""A row's sku, name, unit_price, currency, tax_category, stock, category, description
and active cells, in this order."""


@final
@attrs.frozen
class Layout:
    """The index of each column in a row (None for an absent optional column) and the tier
    columns as ``(min_quantity, index, name)`` in increasing ``min_quantity``.

    ``fields`` takes a row's `Fields` in one step; when an optional column is absent
    (``pad``), it reads an empty cell appended at index ``width``. ``tier_cells`` takes the
    row's tier cells in one step: they are all empty when it returns ``no_tiers``.
    """

    width: int
    sku: int
    name: int
    unit_price: int
    currency: int
    tax_category: int
    stock: int
    category: int | None
    description: int | None
    active: int | None
    tiers: tuple[tuple[int, int, str], ...]
    fields: Callable[[Sequence[str]], Fields]
    pad: bool
    tier_cells: Callable[[Sequence[str]], object]
    no_tiers: object


def read_header(cells: list[str], line: int) -> tuple[Layout, Header] | RejectedRow:
    """The layout of a header row and what to say about it, or why it is unusable."""
    names = [cell.strip().lower() for cell in cells]
    errors: list[RowError] = []
    warnings: list[RowError] = []
    index: dict[str, int] = {}
    tiers: list[tuple[int, int, str]] = []
    for position, name in enumerate(names):
        if not name:
            warnings.append(
                RowError(
                    line,
                    None,
                    RowErrorCode.UNKNOWN_COLUMN,
                    f"column {position + 1} has no name: its cells are ignored",
                )
            )
            continue
        if name in index:
            errors.append(
                RowError(
                    line,
                    name,
                    RowErrorCode.DUPLICATE_COLUMN,
                    f"{name!r} names both column {index[name] + 1} and column {position + 1}",
                )
            )
            continue
        index[name] = position
        if name.startswith(TIER_PREFIX.rstrip("_")):
            quantity = _tier_quantity(name)
            if quantity is None:
                errors.append(_bad_tier_column(line, name))
            else:
                tiers.append((quantity, position, name))
        elif name not in KNOWN_COLUMNS:
            warnings.append(
                RowError(
                    line,
                    name,
                    RowErrorCode.UNKNOWN_COLUMN,
                    f"{cells[position].strip()!r} is not a catalog column: its cells are ignored",
                )
            )
    errors.extend(_missing(line, index, cells))
    if errors:
        return RejectedRow(line, None, (*errors, *warnings))
    tiers.sort()
    width = len(names)
    optional = [index.get(name) for name in ("category", "description", "active")]
    fields = itemgetter(
        *(index[name] for name in REQUIRED_COLUMNS),
        *(width if position is None else position for position in optional),
    )
    tier_cells, no_tiers = _tier_cells([position for _, position, _ in tiers])
    layout = Layout(
        width=width,
        sku=index["sku"],
        name=index["name"],
        unit_price=index["unit_price"],
        currency=index["currency"],
        tax_category=index["tax_category"],
        stock=index["stock"],
        category=index.get("category"),
        description=index.get("description"),
        active=index.get("active"),
        tiers=tuple(tiers),
        fields=fields,
        pad=None in optional,
        tier_cells=tier_cells,
        no_tiers=no_tiers,
    )
    return layout, Header(line, tuple(names), tuple(warnings))


def _tier_cells(positions: list[int]) -> tuple[Callable[[Sequence[str]], object], object]:
    """A getter of a row's tier cells, and what it returns when they are all empty.

    Most rows have no tier prices: comparing what one `itemgetter` call returns with a
    constant tells so at once. `itemgetter` returns a tuple for two or more positions, the
    cell itself for one; with no tier columns, an empty slice.
    """
    if not positions:
        return itemgetter(slice(0)), []
    if len(positions) == 1:
        return itemgetter(positions[0]), ""
    return itemgetter(*positions), ("",) * len(positions)


def _bad_tier_column(line: int, name: str) -> RowError:
    return RowError(
        line,
        name,
        RowErrorCode.INVALID_TIER_COLUMN,
        f"{name!r} is not a tier price column: write {TIER_PREFIX}N with N a whole number "
        "from 2 on, without leading zeros (price_from_10: the unit price from 10 units on)",
    )


def _missing(line: int, index: dict[str, int], cells: list[str]) -> list[RowError]:
    absent = [name for name in REQUIRED_COLUMNS if name not in index]
    if not absent:
        return []
    hint = ""
    if len(cells) == 1 and any(separator in cells[0] for separator in ";\t|"):
        hint = "; the header has a single column: save the file with commas between cells"
    return [
        RowError(
            line,
            name,
            RowErrorCode.MISSING_COLUMN,
            f"the required column {name!r} is missing{hint}",
        )
        for name in absent
    ]
