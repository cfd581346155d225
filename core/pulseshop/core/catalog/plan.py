"""What importing a parsed catalog file would change, given the catalog as it is.

Rows are applied by SKU: each valid row creates its product, updates it (naming the fields
that change, with their old and new values) or leaves it unchanged. Products the file does
not mention are left alone: an import never deletes. A SKU on more than one row fails on
every one of its rows, so the plan does not depend on which row comes first; apart from the
lines the errors name, the order of the rows changes nothing.

An import changes only what the file says. A product's optional fields (``category``,
``description``, ``active``, and its volume prices ``tiers``) are set only when the file has
their columns (any ``price_from_<N>`` column for ``tiers``, which then replace the product's
tiers as a whole); otherwise an update keeps them as stored, and a new product gets the
default (none, none, active, no tiers). An update lists only the fields that change, and
``Change.product`` is the product as it will be stored, kept fields included. A row that
keeps stored tiers which no longer fit its price (in another currency, or not below the new
unit price) fails with KEPT_TIERS_CONFLICT: the catalog would refuse that product.

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

The file above has no ``description`` column, so the mug keeps its description:

>>> current = {"MUG-1": attrs.evolve(current["MUG-1"], description="Blue")}
>>> plan = plan_import(parse_catalog(lines), current)
>>> plan.changes[0].product.description, plan.changes[0].fields
('Blue', (FieldChange(field='unit_price', old=EUR 12.00, new=EUR 12.50),))
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, TypeAlias, final

import attrs

from pulseshop.core.catalog.columns import (
    OPTIONAL_FIELDS,
    TIER_PREFIX,
    OptionalField,
    carried_fields,
)
from pulseshop.core.catalog.errors import RowError, RowErrorCode
from pulseshop.core.catalog.product import Product
from pulseshop.core.catalog.records import Header, ProductRow, RejectedRow
from pulseshop.core.money import Money
from pulseshop.core.pricing import Tier

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

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
    """How many rows create, update, leave unchanged and fail (for a rejected import or a
    dry run: would)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


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


def kept_tiers_error(line: int, unit_price: Money, kept: tuple[Tier, ...]) -> RowError | None:
    """Why a row that sets ``unit_price`` cannot keep a product's stored tiers ``kept``
    (its file has no tier column), or None when they still fit that price.

    Stored tiers fit when they are in the price's currency and every one is below it.

    >>> from pulseshop.core.money import EUR, Money
    >>> kept = (Tier(6, Money.of("9.00", EUR)),)
    >>> error = kept_tiers_error(4, Money.of("8.50", EUR), kept)
    >>> error.column, error.code.value
    ('unit_price', 'kept_tiers_conflict')
    >>> error.message.partition(":")[0]
    'EUR 8.50 is not above the stored price from 6 units on, EUR 9.00'
    >>> kept_tiers_error(4, Money.of("9.50", EUR), kept) is None
    True
    """
    fix = (
        f"the file has no {TIER_PREFIX} columns, so the stored volume prices would stay; "
        "add them to set the volume prices too"
    )
    for tier in kept:
        price = tier.unit_price
        if price.currency != unit_price.currency:
            currencies = f"{price.currency.code}, not {unit_price.currency.code}"
            message = f"the stored volume prices are in {currencies}: {fix}"
            return RowError(line, "currency", RowErrorCode.KEPT_TIERS_CONFLICT, message)
        if price.amount >= unit_price.amount:
            message = (
                f"{unit_price} is not above the stored price from {tier.min_quantity} units "
                f"on, {price}: {fix}"
            )
            return RowError(line, "unit_price", RowErrorCode.KEPT_TIERS_CONFLICT, message)
    return None


def plan_import(
    rows: Iterable[CatalogRecord],
    current: Mapping[str, Product],
    *,
    fields: Collection[OptionalField] | None = None,
) -> ImportPlan:
    """Classify each parsed row against the ``current`` catalog (products by SKU).

    Args:
        rows: what `parse_catalog` yields (or any records in that shape).
        current: the products the catalog has now, by SKU.
        fields: the optional fields the file sets (`carried_fields` of its header). By
            default those of the `Header` among ``rows``, or every one when there is none.

    Returns:
        The plan: creates and updates, failed rows with their errors, the number of rows
        that change nothing, and the header's warnings.
    """
    carried = None if fields is None else frozenset(fields)
    warnings: list[RowError] = []
    records: list[ProductRow | RejectedRow] = []
    first_lines: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    for record in rows:
        if isinstance(record, Header):
            warnings.extend(record.warnings)
            if carried is None:
                carried = carried_fields(record.columns)
            continue
        records.append(record)
        sku = record.product.sku if isinstance(record, ProductRow) else record.sku
        if sku is not None:
            first = first_lines.setdefault(sku, record.line)
            if first != record.line:
                repeated.setdefault(sku, [first]).append(record.line)
    kept = () if carried is None else tuple(f for f in OPTIONAL_FIELDS if f not in carried)
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
        outcome = (
            Change(ChangeKind.CREATE, line, product)
            if before is None
            else _update(line, before, product, kept)
        )
        if isinstance(outcome, Change):
            changes.append(outcome)
        elif isinstance(outcome, RejectedRow):
            failures.append(outcome)
        else:
            unchanged += 1
    return ImportPlan(tuple(changes), tuple(failures), unchanged, tuple(warnings))


def _update(
    line: int, before: Product, product: Product, kept: tuple[OptionalField, ...]
) -> Change | RejectedRow | None:
    """The update of ``before`` by a row's ``product`` keeping the fields ``kept`` as
    stored; a failure when the stored tiers cannot stay; None when nothing changes."""
    if kept:
        if "tiers" in kept:
            error = kept_tiers_error(line, product.unit_price, before.tiers)
            if error is not None:
                return RejectedRow(line, product.sku, (error,))
        product = attrs.evolve(product, **{name: getattr(before, name) for name in kept})
    if before == product:
        return None
    return Change(ChangeKind.UPDATE, line, product, field_changes(before, product))


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
