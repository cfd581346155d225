"""What importing a parsed catalog file would change, given the catalog as it is.

Rows are applied by SKU: each valid row creates its product, updates it (naming the fields
that change, with their old and new values) or leaves it unchanged. Products the file does
not mention are left alone: an import never deletes. A SKU on more than one row fails on
every one of its rows, so the plan does not depend on which row comes first; apart from the
lines the errors name, the order of the rows changes nothing.

>>> from pulseshop.core.catalog.parse import parse_catalog
>>> from pulseshop.core.money import EUR, Money
>>> current = {"MUG-1": Product("MUG-1", "Mug", Money.of("12.00", EUR), "standard", stock=4)}
>>> lines = [
...     b"sku,name,unit_price,currency,tax_category,stock\\n",
...     b"MUG-1,Mug,12.50,EUR,standard,4\\n",
...     b"TEA-1,Green tea,4.20,EUR,reduced,100\\n",
...     b"TEA-2,Black tea,-1,EUR,reduced,100\\n",
... ]
>>> plan = plan_import(parse_catalog(lines), current)
>>> plan.counts
ImportCounts(created=1, updated=1, unchanged=0, failed=1)
>>> [(change.line, change.kind.value, change.product.sku) for change in plan.changes]
[(2, 'update', 'MUG-1'), (3, 'create', 'TEA-1')]
>>> plan.changes[0].fields
(FieldChange(field='unit_price', old=EUR 12.00, new=EUR 12.50),)
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, TypeAlias, final

import attrs

from pulseshop.core.catalog.errors import RowError, RowErrorCode
from pulseshop.core.catalog.product import Product
from pulseshop.core.catalog.records import Header, ProductRow, RejectedRow
from pulseshop.core.money import Money
from pulseshop.core.pricing import Tier

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from pulseshop.core.catalog.records import CatalogRecord

FieldValue: TypeAlias = str | int | bool | Money | tuple[Tier, ...] | None
"""The value of one field of a `Product`."""

COMPARED_FIELDS: tuple[str, ...] = tuple(
    field.name for field in attrs.fields(Product) if field.name != "sku"
)
"""The fields an update may change, in the order a change lists them."""


class ChangeKind(enum.Enum):
    """What a valid row does to the catalog."""

    CREATE = "create"
    UPDATE = "update"


@final
@attrs.frozen
class FieldChange:
    """One field an update changes, with its value before and after."""

    field: str
    old: FieldValue
    new: FieldValue


@final
@attrs.frozen
class Change:
    """A row that creates or updates ``product``; ``fields`` lists what an update changes."""

    kind: ChangeKind
    line: int
    product: Product
    fields: tuple[FieldChange, ...] = ()


@final
@attrs.frozen
class ImportCounts:
    """How many rows create, update, leave unchanged and fail."""

    created: int
    updated: int
    unchanged: int
    failed: int


@final
@attrs.frozen
class ImportPlan:
    """Every change an import would make, every row that fails, and the file's warnings.

    ``changes`` and ``failures`` are in the order of the file's lines. A rejected header
    or a problem with the file as a whole is a failure too.
    """

    changes: tuple[Change, ...]
    failures: tuple[RejectedRow, ...]
    unchanged: int
    warnings: tuple[RowError, ...] = ()

    @property
    def counts(self) -> ImportCounts:
        """The plan in four numbers."""
        created = sum(change.kind is ChangeKind.CREATE for change in self.changes)
        return ImportCounts(
            created=created,
            updated=len(self.changes) - created,
            unchanged=self.unchanged,
            failed=len(self.failures),
        )

    @property
    def products(self) -> tuple[Product, ...]:
        """The products to write: those created or updated."""
        return tuple(change.product for change in self.changes)


def field_changes(before: Product, after: Product) -> tuple[FieldChange, ...]:
    """The fields (other than the SKU) whose values differ, in `COMPARED_FIELDS` order."""
    return tuple(
        FieldChange(name, getattr(before, name), getattr(after, name))
        for name in COMPARED_FIELDS
        if getattr(before, name) != getattr(after, name)
    )


def plan_import(rows: Iterable[CatalogRecord], current: Mapping[str, Product]) -> ImportPlan:
    """Classify each parsed row against the ``current`` catalog (products by SKU).

    Args:
        rows: what `parse_catalog` yields (or any records in that shape).
        current: the products the catalog has now, by SKU.

    Returns:
        The plan: creates and updates, failed rows with their errors, the number of rows
        that change nothing, and the header's warnings.
    """
    warnings: list[RowError] = []
    records: list[ProductRow | RejectedRow] = []
    first_lines: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    for record in rows:
        if isinstance(record, Header):
            warnings.extend(record.warnings)
            continue
        records.append(record)
        sku = record.product.sku if isinstance(record, ProductRow) else record.sku
        if sku is not None:
            first = first_lines.setdefault(sku, record.line)
            if first != record.line:
                repeated.setdefault(sku, [first]).append(record.line)
    changes: list[Change] = []
    failures: list[RejectedRow] = []
    unchanged = 0
    for record in records:
        if isinstance(record, RejectedRow):
            failures.append(_with_repeats(record, repeated))
            continue
        line, product = record.line, record.product
        if product.sku in repeated:
            failures.append(_with_repeats(RejectedRow(line, product.sku, ()), repeated))
            continue
        before = current.get(product.sku)
        if before is None:
            changes.append(Change(ChangeKind.CREATE, line, product))
        elif before == product:
            unchanged += 1
        else:
            changes.append(Change(ChangeKind.UPDATE, line, product, field_changes(before, product)))
    return ImportPlan(tuple(changes), tuple(failures), unchanged, tuple(warnings))


def _with_repeats(row: RejectedRow, repeated: Mapping[str, list[int]]) -> RejectedRow:
    """The row, with an error naming the other lines of its SKU if it is repeated and
    does not say so already (the parser reports a repeat on the later lines only)."""
    sku = row.sku
    if sku is None or sku not in repeated:
        return row
    if any(error.code is RowErrorCode.DUPLICATE_SKU for error in row.errors):
        return row
    others = [str(line) for line in repeated[sku] if line != row.line]
    lines = f"line {others[0]}" if len(others) == 1 else f"lines {', '.join(others)}"
    error = RowError(row.line, "sku", RowErrorCode.DUPLICATE_SKU, f"{sku!r} is also on {lines}")
    return RejectedRow(row.line, sku, (*row.errors, error))
