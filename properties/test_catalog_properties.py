"""What holds for catalog files: export then parse gives the same products, one bad cell gives
one error at its line and column, row order does not change a plan, importing twice equals
importing once, a column a file leaves out leaves its field as stored, and no bytes make the
parser raise."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from properties.catalog_strategies import (
    CORRUPTIONS,
    FRAGMENTS,
    byte_lines,
    catalogs,
    corrupted_catalogs,
    csv_text,
    exported_cells,
    odd_lines,
    partial_files,
    products,
)
from pulseshop.core.catalog import (
    OPTIONAL_FIELDS,
    ChangeKind,
    Header,
    ImportCounts,
    Product,
    ProductRow,
    RejectedRow,
    RowErrorCode,
    carried_fields,
    export_rows,
    parse_catalog,
    plan_import,
)
from pulseshop.core.money import EUR, Money

if TYPE_CHECKING:
    from collections.abc import Sequence

    from properties.catalog_strategies import CorruptedCatalog, PartialFile
    from pulseshop.core.catalog import CatalogRecord, ImportPlan

pytestmark = pytest.mark.unit


def _parse(rows: Sequence[Sequence[str]]) -> list[CatalogRecord]:
    return list(parse_catalog(byte_lines(csv_text(rows))))


@given(catalogs)
def test_export_then_parse_gives_the_same_products(catalog: list[Product]) -> None:
    """Whatever the products hold, reading what export wrote gives them back, in order."""
    header, *rows = parse_catalog(byte_lines("".join(export_rows(catalog))))

    assert isinstance(header, Header)
    assert catalog == [row.product for row in rows if isinstance(row, ProductRow)]
    assert len(catalog) == len(rows)


@given(corrupted_catalogs())
def test_one_corrupted_cell_gives_one_error_at_its_line_and_column(
    corrupted: CorruptedCatalog,
) -> None:
    """A bad cell fails its row with exactly one error naming that line and column; the
    other rows still give their products."""
    header, *records = _parse(corrupted.rows)

    assert isinstance(header, Header)
    rejected = [record for record in records if isinstance(record, RejectedRow)]
    assert 1 == len(rejected)
    [error] = rejected[0].errors
    assert (corrupted.line, corrupted.column, corrupted.code) == (
        error.line,
        error.column,
        error.code,
    )
    assert corrupted.line == rejected[0].line
    good = [record.product for record in records if isinstance(record, ProductRow)]
    assert [p for i, p in enumerate(corrupted.products) if i != corrupted.row] == good


def _plan_shape(plan: ImportPlan) -> tuple[object, ...]:
    """A plan without its line numbers: what changes, and which codes fail which SKUs."""
    changes = sorted(
        ((change.kind.value, repr(change.product), change.fields) for change in plan.changes),
        key=repr,
    )
    failures = Counter(
        (
            row.sku,
            tuple(sorted((error.code.value, error.column or "") for error in row.errors)),
        )
        for row in plan.failures
    )
    return plan.counts, changes, failures, plan.warnings


@st.composite
def shuffled_files(
    draw: st.DrawFn,
) -> tuple[list[list[str]], list[list[str]], dict[str, Product]]:
    """The same catalog rows in two orders, some of them bad or repeating a SKU, and a
    current catalog that holds some of the products (some changed)."""
    catalog = draw(st.lists(products(), min_size=1, max_size=6, unique_by=lambda p: p.sku))
    repeats = [
        draw(products(sku=product.sku))
        for product in draw(st.lists(st.sampled_from(catalog), max_size=2))
    ]
    header, *rows = exported_cells([*catalog, *repeats])
    # Bad cells, often in the rows of a repeated SKU: which of its rows comes first must
    # not matter even when one of them fails for another reason too.
    repeated_skus = {product.sku for product in repeats}
    repeated = [
        index for index, product in enumerate([*catalog, *repeats]) if product.sku in repeated_skus
    ]
    indexes = st.integers(0, len(rows) - 1)
    for _ in range(draw(st.integers(0, 2))):
        corruption = draw(st.sampled_from(CORRUPTIONS))
        index = draw(st.sampled_from(repeated) | indexes if repeated else indexes)
        rows[index][header.index(corruption.column)] = corruption.value
    shuffled = draw(st.permutations(rows))
    current = {}
    for product in draw(st.lists(st.sampled_from(catalog), unique=True)):
        changed = attrs.evolve(product, stock=product.stock // 2, active=not product.active)
        current[product.sku] = changed if draw(st.booleans()) else product
    return [header, *rows], [header, *shuffled], current


@given(shuffled_files())
def test_row_order_does_not_change_the_plan(
    files: tuple[list[list[str]], list[list[str]], dict[str, Product]],
) -> None:
    """Shuffling the rows changes only the lines the plan names: the same creates, updates
    and failures (a repeated SKU fails on all its rows, whichever comes first)."""
    rows, shuffled, current = files

    plan = plan_import(_parse(rows), current)
    shuffled_plan = plan_import(_parse(shuffled), current)

    assert _plan_shape(plan) == _plan_shape(shuffled_plan)
    assert all(row.errors for row in plan.failures)


@given(catalogs, st.data())
def test_importing_twice_changes_nothing_the_second_time(
    catalog: list[Product], data: st.DataObject
) -> None:
    """After applying a plan, planning the same file again finds every row unchanged."""
    lines = byte_lines("".join(export_rows(catalog)))
    old = data.draw(st.lists(products(), max_size=3, unique_by=lambda p: p.sku))
    # Other products, under SKUs the file does not have: a product of the file stored with
    # other tiers could not keep them at the file's price.
    skus = {product.sku for product in catalog}
    current = {product.sku: product for product in old if product.sku not in skus}
    for product in data.draw(st.lists(st.sampled_from(catalog), unique=True)) if catalog else []:
        current[product.sku] = attrs.evolve(product, stock=product.stock // 2 + 1)

    first = plan_import(parse_catalog(lines), current)
    applied = {**current, **{product.sku: product for product in first.products}}
    second = plan_import(parse_catalog(lines), applied)

    assert ImportCounts(created=0, updated=0, unchanged=len(catalog), failed=0) == second.counts
    assert () == second.changes


@given(partial_files())
def test_dropping_an_optional_column_never_changes_that_field(partial: PartialFile) -> None:
    """A file without an optional field's columns leaves that field of every current
    product as stored and lists no change to it; a new product gets the default. The only
    row that can fail is one whose kept tiers no longer fit its price."""
    # An export has tier columns only when some product has tiers: without them the file
    # leaves the tiers out whether or not they were dropped.
    absent = frozenset(OPTIONAL_FIELDS) - carried_fields(partial.rows[0])
    default = Product("X", "X", Money.of("1.00", EUR), "x")

    plan = plan_import(_parse(partial.rows), partial.current)

    assert partial.dropped <= absent
    written = {change.product.sku: change.product for change in plan.changes}
    applied = {**partial.current, **written}
    for sku, before in partial.current.items():
        for field in absent:
            assert getattr(before, field) == getattr(applied[sku], field)
    for change in plan.changes:
        assert not absent & {field.field for field in change.fields}
        if change.kind is ChangeKind.CREATE:
            for field in absent:
                assert getattr(default, field) == getattr(change.product, field)
    for failure in plan.failures:
        assert "tiers" in absent
        assert [RowErrorCode.KEPT_TIERS_CONFLICT] == [error.code for error in failure.errors]


@given(odd_lines, st.integers(0, 4), st.integers(0, 300))
@example([FRAGMENTS[0], b'A,"open,1,EUR,standard,1\n', b"B,x\xff,1,EUR,standard,1\n"], 4, 300)
@example([b"sku,name,unit_price,currency,tax_category,stock\n", b"\n", b",,,,,\n"], 0, 300)
def test_no_bytes_make_the_parser_raise(lines: list[bytes], max_rows: int, max_chars: int) -> None:
    """Any lines of bytes give records: problems come back as errors, each at its row's
    line, and lines only move forward."""
    records = list(parse_catalog(lines, max_rows=max_rows, max_row_chars=max_chars))
    plan = plan_import(records, {})

    assert records
    starts = [record.line for record in records]
    assert sorted(starts) == starts
    assert len(set(starts)) == len(starts)
    for record in records:
        if isinstance(record, RejectedRow):
            assert record.errors
            assert {record.line} == {error.line for error in record.errors}
    data_rows = sum(not isinstance(record, Header) for record in records)
    assert data_rows == sum(attrs.astuple(plan.counts))
