"""Planning an import: what each row would create, update or leave, and what fails."""

from __future__ import annotations

import attrs
import pytest

from pulseshop.core.catalog import (
    OPTIONAL_FIELDS,
    CatalogRecord,
    Change,
    ChangeKind,
    FieldChange,
    Header,
    ImportCounts,
    Product,
    ProductRow,
    RejectedRow,
    RowError,
    RowErrorCode,
    carried_fields,
    field_changes,
    kept_tiers_error,
    plan_import,
)
from pulseshop.core.money import USD, Money
from pulseshop.core.pricing import Tier
from tests.core.catalog._files import GOOD, HEADER, eur, records_of

pytestmark = pytest.mark.unit

MUG = Product("MUG-1", "Mug", eur("12.00"), "standard", 4, "kitchen", "Blue", active=True)
TEA = Product("TEA-1", "Tea", eur("4.00"), "reduced", 10)
BAD_STOCK = RowError(3, "stock", RowErrorCode.INVALID_INTEGER, "'x' is not a whole number")


def _codes(row: RejectedRow) -> list[tuple[int, str | None, RowErrorCode]]:
    return [(error.line, error.column, error.code) for error in row.errors]


class TestClassification:
    def test_new_changed_and_same_products(self) -> None:
        """A new SKU creates, a changed one updates with its fields, an equal one is
        unchanged."""
        cheaper = attrs.evolve(MUG, unit_price=eur("11.00"), active=False)
        rows: list[CatalogRecord] = [
            Header(1, tuple(HEADER.split(","))),
            ProductRow(2, cheaper),
            ProductRow(3, TEA),
        ]

        plan = plan_import(
            rows, {"MUG-1": MUG, "TEA-1": TEA, "OLD-1": attrs.evolve(TEA, sku="OLD-1")}
        )

        changes = (
            FieldChange("unit_price", eur("12.00"), eur("11.00")),
            FieldChange("active", old=True, new=False),
        )
        assert (Change(ChangeKind.UPDATE, 2, cheaper, changes),) == plan.changes
        assert ImportCounts(created=0, updated=1, unchanged=1, failed=0) == plan.counts
        assert (cheaper,) == plan.products

    def test_creates_are_listed_in_file_order(self) -> None:
        """Products not in the catalog are created, in the order of their lines."""
        plan = plan_import([ProductRow(2, TEA), ProductRow(3, MUG)], {})

        assert [(2, "TEA-1"), (3, "MUG-1")] == [(c.line, c.product.sku) for c in plan.changes]
        assert {ChangeKind.CREATE} == {change.kind for change in plan.changes}
        assert () == plan.changes[0].fields

    def test_rejected_rows_fail_with_their_errors(self) -> None:
        """A rejected row is a failure as it is; the header's warnings are kept."""
        warning = RowError(1, "colour", RowErrorCode.UNKNOWN_COLUMN, "ignored")
        rejected = RejectedRow(3, "TEA-1", (BAD_STOCK,))

        plan = plan_import([Header(1, (), (warning,)), ProductRow(2, MUG), rejected], {})

        assert (rejected,) == plan.failures
        assert (warning,) == plan.warnings
        assert ImportCounts(created=1, updated=0, unchanged=0, failed=1) == plan.counts

    def test_a_rejected_header_is_a_failure(self) -> None:
        """A file with a bad header plans nothing but its failure."""
        plan = plan_import(records_of(header="sku,name"), {"MUG-1": MUG})

        assert ImportCounts(created=0, updated=0, unchanged=0, failed=1) == plan.counts

    def test_field_changes_compare_every_field_but_the_sku(self) -> None:
        """Tiers, category and description are fields like the others."""
        after = attrs.evolve(MUG, category=None, description="Red", tiers=(Tier(5, eur("10")),))

        assert (
            FieldChange("category", "kitchen", None),
            FieldChange("description", "Blue", "Red"),
            FieldChange("tiers", (), (Tier(5, eur("10")),)),
        ) == field_changes(MUG, after)

    def test_an_equal_price_written_differently_is_unchanged(self) -> None:
        """12.0 and 12.00 are the same price."""
        plan = plan_import(
            [ProductRow(2, attrs.evolve(MUG, unit_price=eur("12.0")))], {"MUG-1": MUG}
        )

        assert 1 == plan.unchanged


TIERED = attrs.evolve(MUG, active=False, tiers=(Tier(6, eur("10.00")), Tier(12, eur("9.00"))))
REQUIRED = "sku,name,unit_price,currency,tax_category,stock"


class TestAbsentColumns:
    def test_carried_fields_follow_the_header(self) -> None:
        """Named optional columns carry their field; any tier column carries the tiers."""
        assert frozenset() == carried_fields(REQUIRED.split(","))
        assert frozenset(OPTIONAL_FIELDS) == carried_fields([*HEADER.split(","), "price_from_6"])
        assert frozenset({"tiers"}) == carried_fields(["price_from_12", "tiers", "price_from_"])

    def test_a_file_without_optional_columns_keeps_them(self) -> None:
        """Category, description, active and tiers stay as stored; a new product gets
        the defaults."""
        records = records_of(
            "MUG-1,Mug,12.00,EUR,standard,4", "TEA-1,Tea,4.00,EUR,reduced,10", header=REQUIRED
        )

        plan = plan_import(records, {"MUG-1": TIERED})

        assert ImportCounts(created=1, updated=0, unchanged=1, failed=0) == plan.counts
        assert (Product("TEA-1", "Tea", eur("4.00"), "reduced", 10),) == plan.products

    def test_an_update_lists_only_carried_fields_and_writes_the_kept_ones(self) -> None:
        """The change names what the file changes; its product keeps the rest."""
        records = records_of("MUG-1,Mug,11.00,EUR,standard,4,", header=f"{REQUIRED},description")

        [change] = plan_import(records, {"MUG-1": TIERED}).changes

        assert (
            FieldChange("unit_price", eur("12.00"), eur("11.00")),
            FieldChange("description", "Blue", None),
        ) == change.fields
        expected = attrs.evolve(TIERED, unit_price=eur("11.00"), description=None)
        assert expected == change.product

    def test_empty_cells_of_present_columns_mean_the_default(self) -> None:
        """An empty category, description and active set none, none and active."""
        records = records_of("MUG-1,Mug,12.00,EUR,standard,4,,,", header=HEADER)

        [change] = plan_import(records, {"MUG-1": TIERED}).changes

        assert ["category", "description", "active"] == [field.field for field in change.fields]
        assert attrs.evolve(TIERED, category=None, description=None, active=True) == (
            change.product
        )

    def test_tier_columns_replace_the_tiers_as_a_whole(self) -> None:
        """A tier the header has no column for is removed; empty tier cells mean none."""
        header = f"{REQUIRED},price_from_6"
        records = records_of("MUG-1,Mug,12.00,EUR,standard,4,10.50", header=header)

        [change] = plan_import(records, {"MUG-1": TIERED}).changes

        tiers = (Tier(6, eur("10.50")),)
        assert (FieldChange("tiers", TIERED.tiers, tiers),) == change.fields
        emptied = plan_import(records_of("MUG-1,Mug,12.00,EUR,standard,4,", header=header), {})
        assert () == emptied.products[0].tiers

    def test_explicit_fields_win_over_the_header(self) -> None:
        """Rows planned in chunks, without their header, say what the file carries."""
        rows = [ProductRow(2, attrs.evolve(MUG, description=None))]
        with_header: list[CatalogRecord] = [Header(1, ("description",)), *rows]

        assert 1 == plan_import(rows, {"MUG-1": MUG}, fields=()).unchanged
        assert 1 == plan_import(with_header, {"MUG-1": MUG}, fields=()).unchanged
        assert 1 == plan_import(rows, {"MUG-1": MUG}).counts.updated

    def test_kept_tiers_must_stay_below_the_new_price(self) -> None:
        """A lower unit price that kept tiers would reach fails the row, naming the tier."""
        records = records_of(
            "MUG-1,Mug,10.00,EUR,standard,4", "MUG-2,Mug,10.01,EUR,standard,4", header=REQUIRED
        )

        plan = plan_import(records, {"MUG-1": TIERED, "MUG-2": attrs.evolve(TIERED, sku="MUG-2")})

        [failure] = plan.failures
        assert [(2, "unit_price", RowErrorCode.KEPT_TIERS_CONFLICT)] == _codes(failure)
        assert failure.errors[0].message.startswith(
            "EUR 10.00 is not above the stored price from 6 units on, EUR 10.00: "
        )
        assert ImportCounts(created=0, updated=1, unchanged=0, failed=1) == plan.counts

    def test_kept_tiers_must_be_in_the_new_currency(self) -> None:
        """A new currency with kept tiers fails the row; without stored tiers it is fine."""
        error = kept_tiers_error(3, Money.of("12.00", USD), TIERED.tiers)

        assert error is not None
        assert (3, "currency", RowErrorCode.KEPT_TIERS_CONFLICT) == (
            error.line,
            error.column,
            error.code,
        )
        assert "the stored volume prices are in EUR, not USD" in error.message
        assert kept_tiers_error(3, Money.of("12.00", USD), ()) is None


class TestRepeatedSkus:
    def test_every_row_of_a_repeated_sku_fails(self) -> None:
        """The first row fails too, naming the later lines; the parser's error on the
        later row is kept as it is."""
        records = records_of(GOOD, GOOD.replace("MUG-1", "MUG-2"), GOOD, GOOD)

        plan = plan_import(records, {})

        assert [2, 4, 5] == [row.line for row in plan.failures]
        assert [[(2, "sku", RowErrorCode.DUPLICATE_SKU)]] == [_codes(plan.failures[0])]
        assert "'MUG-1' is also on lines 4, 5" == plan.failures[0].errors[0].message
        assert "'MUG-1' is already on line 2" == plan.failures[1].errors[0].message
        assert ["MUG-2"] == [change.product.sku for change in plan.changes]

    def test_a_failed_first_row_gets_the_repeat_error_too(self) -> None:
        """Whichever of the rows is valid, both fail the same way."""
        rows = [RejectedRow(2, "MUG-1", (BAD_STOCK,)), RejectedRow(3, "MUG-1", ())]

        plan = plan_import(rows, {})

        assert [
            [(3, "stock", RowErrorCode.INVALID_INTEGER), (2, "sku", RowErrorCode.DUPLICATE_SKU)],
            [(3, "sku", RowErrorCode.DUPLICATE_SKU)],
        ] == [_codes(row) for row in plan.failures]
        assert "'MUG-1' is also on line 3" == plan.failures[0].errors[1].message

    def test_two_valid_rows_of_one_sku_both_fail(self) -> None:
        """Rows built elsewhere may repeat a SKU as two products: neither is applied."""
        plan = plan_import([ProductRow(2, MUG), ProductRow(7, MUG)], {})

        assert ["'MUG-1' is also on line 7", "'MUG-1' is also on line 2"] == [
            row.errors[0].message for row in plan.failures
        ]
        assert () == plan.changes

    def test_rows_without_a_readable_sku_fail_alone(self) -> None:
        """A row whose SKU could not be read is not a repeat of anything."""
        rows: list[CatalogRecord] = [
            RejectedRow(2, None, (BAD_STOCK,)),
            RejectedRow(3, None, (BAD_STOCK,)),
            ProductRow(4, MUG),
        ]

        plan = plan_import(rows, {})

        assert rows[:2] == list(plan.failures)
        assert 1 == plan.counts.created
