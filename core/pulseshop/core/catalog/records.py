"""What reading a catalog file yields: its header, then one record per data row.

A `Header` comes first when the header row is usable; a `ProductRow` for each valid row;
a `RejectedRow` for each row (or header, or run of lines) that cannot be imported, with
every problem found in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, final

import attrs

if TYPE_CHECKING:
    from pulseshop.core.catalog.errors import RowError
    from pulseshop.core.catalog.product import Product


@final
@attrs.frozen
class Header:
    """A usable header row: the column names as matched (lower case, in file order) and
    the warnings about columns that will be ignored."""

    line: int
    columns: tuple[str, ...]
    warnings: tuple[RowError, ...] = ()


@final
@attrs.frozen
class ProductRow:
    """A valid data row starting on physical line ``line`` (1-based)."""

    line: int
    product: Product


@final
@attrs.frozen
class RejectedRow:
    """A row that cannot be imported, with every problem found in it.

    ``sku`` is the row's SKU when its cell holds a well-formed one (so a plan can tell which
    product failed), else None. A rejected header carries its warnings among its errors.
    """

    line: int
    sku: str | None
    errors: tuple[RowError, ...]


CatalogRecord: TypeAlias = Header | ProductRow | RejectedRow
"""One item of a parsed catalog file."""
