"""The catalog's store against a real PostgreSQL: constraints, the import upsert, export."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import asyncpg
import attrs
import pytest

from pulseshop.adapters.postgres import (
    ImportAttempt,
    KeptTiersConflictError,
    PostgresDatabase,
    UnreadableProductError,
    apply_import,
    current_catalog,
    export_catalog,
    import_errors,
    previous_import,
    record_dry_run,
    record_rejected_import,
    tier_quantities,
)
from pulseshop.adapters.postgres import catalog as catalog_store
from pulseshop.adapters.postgres.catalog import (
    CREATE_STAGING_SQL,
    PRODUCTS_BY_SKU_SQL,
    PRODUCTS_PAGE_SQL,
    upsert_sql,
)
from pulseshop.core.catalog import (
    OPTIONAL_FIELDS,
    Header,
    ImportCounts,
    ImportPolicy,
    ProductRow,
    RowErrorCode,
    carried_fields,
    parse_catalog,
    plan_import,
)
from pulseshop.core.catalog.product import Product
from pulseshop.core.money import BHD, EUR, JPY, Currency, Money
from pulseshop.core.pricing import Tier

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Iterator, Mapping

    from pulseshop.adapters.postgres import CatalogImport, ImportProblem
    from pulseshop.core.catalog import OptionalField, RejectedRow

pytestmark = pytest.mark.integration

STARTED: Final = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
FILE_HASH: Final = "0123456789abcdef" * 4


def money(amount: str, currency: Currency = EUR) -> Money:
    """Money from a decimal string."""
    return Money.of(amount, currency)


def product(sku: str, **changes: Any) -> Product:
    """A valid product with this SKU; keyword arguments replace its fields."""
    made = Product(sku, f"Product {sku}", money("12.00"), "standard", stock=10, category="kitchen")
    return attrs.evolve(made, **changes)


def attempt(policy: ImportPolicy = "reject-all", file_sha256: str = FILE_HASH) -> ImportAttempt:
    """An import of a file named catalog.csv."""
    return ImportAttempt(file_sha256, "catalog.csv", STARTED, policy)


async def imported(
    database: PostgresDatabase,
    products: Iterable[Product | ProductRow],
    *,
    policy: ImportPolicy = "reject-all",
    file_sha256: str = FILE_HASH,
    failed: int = 0,
    errors: Iterable[ImportProblem] = (),
    fields: Collection[OptionalField] = OPTIONAL_FIELDS,
    reject: Callable[[RejectedRow], object] | None = None,
) -> CatalogImport:
    """Apply an import of ``products`` (under reject-all unless told) from a file carrying
    the optional ``fields`` (every one unless told)."""
    chosen = attempt(policy, file_sha256)
    return await apply_import(
        database,
        products,
        attempt=chosen,
        fields=fields,
        failed=failed,
        errors=errors,
        reject=reject,
    )


async def timestamps(database: PostgresDatabase) -> dict[str, tuple[datetime, datetime, datetime]]:
    """Per SKU: the product's created_at and updated_at, and its stock's updated_at."""
    rows = await database.fetch_all(
        "SELECT p.sku, p.created_at, p.updated_at, i.updated_at AS stock_updated_at "
        "FROM products AS p JOIN inventory AS i ON i.product_id = p.id"
    )
    return {r["sku"]: (r["created_at"], r["updated_at"], r["stock_updated_at"]) for r in rows}


async def row_versions(database: PostgresDatabase) -> list[tuple[str, str, str, str]]:
    """Per product row and stock row: the transaction that wrote it and any that locked it."""
    rows = await database.fetch_all(
        "SELECT p.xmin::text, p.xmax::text, i.xmin::text, i.xmax::text "
        "FROM products AS p JOIN inventory AS i ON i.product_id = p.id ORDER BY p.sku"
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def table_counts(database: PostgresDatabase) -> tuple[int, int, int, int]:
    """Rows in products, inventory, catalog_imports and catalog_import_errors."""
    row = await database.fetch_one(
        "SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM inventory), "
        "(SELECT count(*) FROM catalog_imports), (SELECT count(*) FROM catalog_import_errors)"
    )
    assert row is not None
    return (row[0], row[1], row[2], row[3])


async def plan_of(database: PostgresDatabase, sql: str, *args: object) -> str:
    """The text of EXPLAIN for ``sql``."""
    rows = await database.fetch_all(f"EXPLAIN (FORMAT TEXT) {sql}", *args)
    return "\n".join(row[0] for row in rows)


# ---------------------------------------------------------------- constraints

GOOD_PRODUCT: Final[Mapping[str, object]] = {
    "sku": "MUG-1",
    "name": "Mug",
    "category": "kitchen",
    "description": "Blue",
    "unit_price": Decimal("12.00"),
    "currency": "EUR",
    "tax_category": "standard",
    "tier_quantities": [10, 100],
    "tier_prices": [Decimal("11.00"), Decimal("10.00")],
}


async def insert(database: PostgresDatabase, table: str, values: Mapping[str, object]) -> int:
    """Insert one row; returns its id (or product_id, import_id)."""
    columns = ", ".join(values)
    params = ", ".join(f"${n}" for n in range(1, len(values) + 1))
    key = {"inventory": "product_id", "catalog_import_errors": "import_id"}.get(table, "id")
    sql = f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING {key}"  # noqa: S608 - the test's own table and column names
    value: int = await database.fetch_value(sql, *values.values())
    return value


NO_TIERS: Final[Mapping[str, object]] = {"tier_quantities": [], "tier_prices": []}

PRODUCT_CASES: Final = [
    ({"sku": "mug-1"}, "products_sku_format"),
    ({"sku": ""}, "products_sku_format"),
    ({"sku": "-MUG"}, "products_sku_format"),
    ({"sku": "MUG 1"}, "products_sku_format"),
    ({"sku": "MUG-1\n"}, "products_sku_format"),
    ({"sku": "MÜG"}, "products_sku_format"),
    ({"sku": "M" * 65}, "products_sku_format"),
    ({"name": ""}, "products_name_not_blank"),
    ({"name": " \t "}, "products_name_not_blank"),
    ({"name": "n" * 201}, "products_name_length"),
    ({"category": "Kitchen"}, "products_category_format"),
    ({"category": ""}, "products_category_format"),
    ({"description": ""}, "products_description_length"),
    ({"description": "d" * 5001}, "products_description_length"),
    ({"unit_price": Decimal("-0.01"), **NO_TIERS}, "products_unit_price_range"),
    ({"unit_price": Decimal("1000000000000.01"), **NO_TIERS}, "products_unit_price_range"),
    ({"currency": "eur"}, "products_currency_format"),
    ({"currency": "EURO"}, "products_currency_format"),
    ({"currency": "E1R"}, "products_currency_format"),
    ({"tax_category": "Standard"}, "products_tax_category_format"),
    ({"tax_category": ""}, "products_tax_category_format"),
    ({"tier_quantities": [1, 100]}, "products_tiers_valid"),
    ({"tier_quantities": [10, 10]}, "products_tiers_valid"),
    ({"tier_quantities": [100, 10]}, "products_tiers_valid"),
    ({"tier_quantities": [10, 1_000_001]}, "products_tiers_valid"),
    ({"tier_quantities": [10]}, "products_tiers_valid"),
    ({"tier_quantities": [10, None]}, "products_tiers_valid"),
    ({"tier_prices": [Decimal("12.00"), Decimal("10.00")]}, "products_tiers_valid"),
    ({"tier_prices": [Decimal("10.00"), Decimal("10.00")]}, "products_tiers_valid"),
    ({"tier_prices": [Decimal("10.00"), Decimal("11.00")]}, "products_tiers_valid"),
    ({"tier_prices": [Decimal("1.00"), Decimal("-1.00")]}, "products_tiers_valid"),
]

GOOD_IMPORT: Final[Mapping[str, object]] = {
    "file_sha256": FILE_HASH,
    "file_name": "catalog.csv",
    "started_at": STARTED,
    "policy": "skip-rows",
    "dry_run": False,
    "created": 1,
    "updated": 0,
    "unchanged": 0,
    "failed": 1,
    "outcome": "applied",
}

IMPORT_CASES: Final = [
    ({"file_sha256": FILE_HASH.upper()}, "catalog_imports_file_sha256_format"),
    ({"file_sha256": FILE_HASH[:-1]}, "catalog_imports_file_sha256_format"),
    ({"file_sha256": FILE_HASH + "0"}, "catalog_imports_file_sha256_format"),
    ({"file_sha256": FILE_HASH + "\n"}, "catalog_imports_file_sha256_format"),
    ({"file_name": ""}, "catalog_imports_file_name_not_empty"),
    ({"policy": "ignore"}, "catalog_imports_policy_known"),
    ({"outcome": "done"}, "catalog_imports_outcome_known"),
    ({"created": -1, "updated": 2}, "catalog_imports_created_range"),
    ({"updated": -1, "created": 2}, "catalog_imports_updated_range"),
    ({"unchanged": -1}, "catalog_imports_unchanged_range"),
    ({"failed": -1}, "catalog_imports_failed_range"),
    ({"dry_run": True}, "catalog_imports_dry_run_outcome"),
    ({"outcome": "dry-run"}, "catalog_imports_dry_run_outcome"),
    ({"outcome": "rejected", "failed": 0}, "catalog_imports_rejected_has_failures"),
    ({"policy": "reject-all"}, "catalog_imports_reject_all_writes_only_clean_files"),
    ({"created": 0}, "catalog_imports_applied_changed_something"),
    ({"outcome": "unchanged"}, "catalog_imports_unchanged_changed_nothing"),
]

GOOD_ERROR: Final[Mapping[str, object]] = {
    "position": 1,
    "line": 3,
    "column_name": "stock",
    "code": "invalid_integer",
    "message": "'x' is not a whole number like 12",
}

ERROR_CASES: Final = [
    ("position", 0, "catalog_import_errors_position_range"),
    ("line", 0, "catalog_import_errors_line_range"),
    ("column_name", "", "catalog_import_errors_column_name_not_empty"),
    ("code", "Invalid Integer", "catalog_import_errors_code_format"),
    ("message", "", "catalog_import_errors_message_not_empty"),
]


class TestConstraints:
    async def test_valid_rows_are_accepted(self, database: PostgresDatabase) -> None:
        """The baseline rows the refusals below start from are themselves valid."""
        product_id = await insert(database, "products", GOOD_PRODUCT)
        await insert(database, "inventory", {"product_id": product_id, "stock": 0})
        import_id = await insert(database, "catalog_imports", GOOD_IMPORT)
        await insert(database, "catalog_import_errors", {"import_id": import_id, **GOOD_ERROR})

        assert (1, 1, 1, 1) == await table_counts(database)

    @pytest.mark.parametrize(("changes", "constraint"), PRODUCT_CASES)
    async def test_products_refuse(
        self, database: PostgresDatabase, changes: dict[str, object], constraint: str
    ) -> None:
        """Each invalid product value is refused by the CHECK that names it."""
        with pytest.raises(asyncpg.CheckViolationError) as raised:
            await insert(database, "products", {**GOOD_PRODUCT, **changes})

        assert constraint == raised.value.constraint_name

    async def test_inventory_refuses_negative_stock(self, database: PostgresDatabase) -> None:
        """Stock is never below zero."""
        product_id = await insert(database, "products", GOOD_PRODUCT)

        with pytest.raises(asyncpg.CheckViolationError) as raised:
            await insert(database, "inventory", {"product_id": product_id, "stock": -1})

        assert "inventory_stock_range" == raised.value.constraint_name

    async def test_sku_is_unique(self, database: PostgresDatabase) -> None:
        """A second product with the same SKU is refused by the SKU index."""
        await insert(database, "products", GOOD_PRODUCT)

        with pytest.raises(asyncpg.UniqueViolationError) as raised:
            await insert(database, "products", GOOD_PRODUCT)

        assert "products_sku_key" == raised.value.constraint_name

    @pytest.mark.parametrize(("changes", "constraint"), IMPORT_CASES)
    async def test_import_records_refuse(
        self, database: PostgresDatabase, changes: dict[str, object], constraint: str
    ) -> None:
        """Each invalid or self-contradicting import record is refused by name."""
        with pytest.raises(asyncpg.CheckViolationError) as raised:
            await insert(database, "catalog_imports", {**GOOD_IMPORT, **changes})

        assert constraint == raised.value.constraint_name

    @pytest.mark.parametrize(("column", "value", "constraint"), ERROR_CASES)
    async def test_import_errors_refuse(
        self, database: PostgresDatabase, column: str, value: object, constraint: str
    ) -> None:
        """Each invalid recorded problem is refused by name."""
        import_id = await insert(database, "catalog_imports", GOOD_IMPORT)

        with pytest.raises(asyncpg.CheckViolationError) as raised:
            await insert(
                database,
                "catalog_import_errors",
                {"import_id": import_id, **GOOD_ERROR, column: value},
            )

        assert constraint == raised.value.constraint_name

    async def test_deleting_a_product_deletes_its_stock(self, database: PostgresDatabase) -> None:
        """Inventory rows go with their product; errors go with their import."""
        await imported(database, [product("MUG-1")])

        await database.execute("DELETE FROM products")

        assert (0, 0, 1, 0) == await table_counts(database)


# ---------------------------------------------------------------- the import upsert


class TestApplyImport:
    async def test_creates_products_and_their_stock(self, database: PostgresDatabase) -> None:
        """A first import creates every product, and the catalog reads them back equal."""
        products = [product("MUG-1"), product("TEA-1", stock=0), product("CUP-1", active=False)]

        record = await imported(database, products)

        assert (ImportCounts(created=3), "applied") == (record.counts, record.outcome)
        assert {p.sku: p for p in products} == await current_catalog(database)
        assert (3, 3, 1, 0) == await table_counts(database)

    async def test_updates_only_the_rows_that_change(self, database: PostgresDatabase) -> None:
        """Only changed rows are rewritten: updated_at moves for them alone."""
        await imported(database, [product("A"), product("B"), product("C"), product("D")])
        before = await timestamps(database)
        second = [
            product("A"),
            product("B", name="Renamed"),
            product("C", stock=11),
            product("D", tiers=(Tier(10, money("11.00")),)),
            product("E"),
        ]

        record = await imported(database, second)

        after = await timestamps(database)
        assert ImportCounts(created=1, updated=3, unchanged=1) == record.counts
        assert before["A"] == after["A"]
        assert (before["B"][0], before["B"][2]) == (after["B"][0], after["B"][2])
        assert before["B"][1] < after["B"][1]
        assert before["C"][:2] == after["C"][:2]
        assert before["C"][2] < after["C"][2]
        assert before["D"][1] < after["D"][1]
        assert {p.sku: p for p in second} == await current_catalog(database)

    async def test_importing_twice_changes_nothing(self, database: PostgresDatabase) -> None:
        """The same products again: every row unchanged, not rewritten nor even locked."""
        products = [product("MUG-1"), product("TEA-1", tiers=(Tier(5, money("10.00")),))]
        await imported(database, products)
        before, versions = await timestamps(database), await row_versions(database)

        again = await imported(database, products)

        assert (ImportCounts(unchanged=2), "unchanged") == (again.counts, again.outcome)
        assert before == await timestamps(database)
        assert versions == await row_versions(database)

    async def test_a_failing_row_leaves_the_database_untouched(
        self, database: PostgresDatabase
    ) -> None:
        """A row the database refuses rolls back every write of the import, record included."""
        await imported(database, [product("A"), product("B")])
        catalog, stamps = await current_catalog(database), await timestamps(database)
        products = [product("A", name="Changed"), product("NEW"), product("bad sku"), product("B")]

        with pytest.raises(asyncpg.CheckViolationError):
            await imported(database, products)

        assert catalog == await current_catalog(database)
        assert stamps == await timestamps(database)
        assert (2, 2, 1, 0) == await table_counts(database)

    async def test_a_failing_stream_leaves_the_database_untouched(
        self, database: PostgresDatabase
    ) -> None:
        """When the products stop coming with an error, the error surfaces, nothing is kept."""
        await imported(database, [product("A")])

        def products() -> Iterator[Product]:
            yield product("A", name="Changed")
            yield product("B")
            raise OSError("the file went away")

        with pytest.raises(OSError, match="the file went away"):
            await imported(database, products())

        assert {"A": product("A")} == await current_catalog(database)
        assert (1, 1, 1, 0) == await table_counts(database)

    async def test_a_sku_twice_in_one_import_fails_whole(self, database: PostgresDatabase) -> None:
        """The importer promises each SKU once; if not, nothing is written."""
        with pytest.raises(asyncpg.CardinalityViolationError):
            await imported(database, [product("A"), product("B"), product("A", name="Again")])

        assert (0, 0, 0, 0) == await table_counts(database)

    async def test_the_staging_table_is_gone_afterwards(self, database: PostgresDatabase) -> None:
        """One import after another on the same connection, failed or not, works."""
        with pytest.raises(asyncpg.CheckViolationError):
            await imported(database, [product("bad")])
        await imported(database, [product("A")])

        record = await imported(database, [product("A"), product("B")])

        assert ImportCounts(created=1, unchanged=1) == record.counts

    async def test_skip_rows_records_the_failures(self, database: PostgresDatabase) -> None:
        """Skipped rows are counted and their problems kept, in order, with the import."""
        errors: list[ImportProblem] = [
            (3, "stock", "invalid_integer", "'x' is not a whole number like 12"),
            (3, "unit_price", "out_of_range", "'-1' is negative"),
            (5, None, "malformed_row", "the row has 8 cells, the header 7"),
        ]

        record = await imported(
            database, [product("A")], policy="skip-rows", failed=2, errors=errors
        )

        assert (ImportCounts(created=1, failed=2), "applied") == (record.counts, record.outcome)
        assert errors == await import_errors(database, record.id)

    async def test_reject_all_with_failures_is_refused(self, database: PostgresDatabase) -> None:
        """A reject-all import with failed rows must be recorded as rejected, not applied."""
        with pytest.raises(ValueError, match="reject-all"):
            await imported(database, [product("A")], failed=1)

        assert (0, 0, 0, 0) == await table_counts(database)

    async def test_ten_thousand_rows(self, database: PostgresDatabase) -> None:
        """A large import streams in and a re-import finds exactly the changed rows."""
        products = [product(f"SKU-{n:05d}", stock=n) for n in range(10_000)]
        started = time.perf_counter()

        first = await imported(database, iter(products))
        changed = [
            attrs.evolve(p, stock=p.stock + 1) if p.stock % 100 == 0 else p for p in products
        ]
        second = await imported(database, (p for p in changed))

        assert ImportCounts(created=10_000) == first.counts
        assert ImportCounts(updated=100, unchanged=9_900) == second.counts
        assert 10.0 > time.perf_counter() - started


# ---------------------------------------------------------------- index use


WITHOUT_DESCRIPTION: Final = frozenset(OPTIONAL_FIELDS) - {"description"}
TIERS: Final = (Tier(6, money("10.00")), Tier(12, money("9.00")))


class TestAbsentColumns:
    async def test_a_file_without_descriptions_keeps_them_and_an_empty_cell_clears(
        self, database: PostgresDatabase
    ) -> None:
        """No description column: descriptions stay and the rows are unchanged; a present
        column with an empty cell clears the description."""
        await imported(database, [product("A", description="Blue"), product("B")])
        before, versions = await timestamps(database), await row_versions(database)
        bare = [product("A"), product("B")]

        kept = await imported(database, bare, fields=WITHOUT_DESCRIPTION)

        assert (ImportCounts(unchanged=2), "unchanged") == (kept.counts, kept.outcome)
        assert "Blue" == (await current_catalog(database))["A"].description
        assert (before, versions) == (await timestamps(database), await row_versions(database))
        cleared = await imported(database, bare)
        assert ImportCounts(updated=1, unchanged=1) == cleared.counts
        assert {p.sku: p for p in bare} == await current_catalog(database)

    async def test_an_update_sets_only_the_carried_columns(
        self, database: PostgresDatabase
    ) -> None:
        """A price change from a file of required columns keeps category, description,
        active and tiers; a new product gets the defaults."""
        stored = product("A", description="Blue", active=False, tiers=TIERS)
        await imported(database, [stored])
        cheaper, new = product("A", unit_price=money("11.00"), category=None), product("N")

        record = await imported(database, [cheaper, new], fields=())

        assert ImportCounts(created=1, updated=1) == record.counts
        expected = {"A": attrs.evolve(stored, unit_price=money("11.00")), "N": new}
        assert expected == await current_catalog(database)

    async def test_tier_columns_replace_the_tiers(self, database: PostgresDatabase) -> None:
        """A file with tier columns sets exactly its tiers, none when its cells are empty."""
        await imported(database, [product("A", tiers=TIERS), product("B", tiers=TIERS)])
        fewer = (Tier(6, money("10.50")),)

        record = await imported(database, [product("A", tiers=fewer), product("B")])

        assert ImportCounts(updated=2) == record.counts
        catalog = await current_catalog(database)
        assert (fewer, ()) == (catalog["A"].tiers, catalog["B"].tiers)

    async def test_kept_tiers_that_no_longer_fit_refuse_their_row(
        self, database: PostgresDatabase
    ) -> None:
        """A price at or below a kept tier, or a new currency, is refused and written
        nowhere; the other rows are written. Without a taker nothing is written."""
        await imported(database, [product("A", tiers=TIERS), product("B", tiers=TIERS)])
        rows = [
            product("A", unit_price=money("10.00"), stock=1),
            product("B", unit_price=money("12.00", BHD)),
            product("C"),
        ]
        catalog = await current_catalog(database)

        with pytest.raises(KeptTiersConflictError, match=r"line 1, unit_price: EUR 10\.00 is"):
            await imported(database, rows, fields=())
        assert catalog == await current_catalog(database)
        refused: list[RejectedRow] = []
        record = await imported(
            database, rows, policy="skip-rows", fields=(), failed=2, reject=refused.append
        )

        assert ImportCounts(created=1, failed=2) == record.counts
        assert [(1, "unit_price"), (2, "currency")] == [
            (row.errors[0].line, row.errors[0].column) for row in refused
        ]
        assert {RowErrorCode.KEPT_TIERS_CONFLICT} == {row.errors[0].code for row in refused}
        assert {**catalog, "C": product("C")} == await current_catalog(database)

    async def test_the_plan_and_the_upsert_agree(self, database: PostgresDatabase) -> None:
        """Planned against the catalog, a file missing optional columns gives the counts,
        the failures and the products that importing it gives."""
        stored = [
            product("A", description="Blue", active=False, tiers=TIERS),
            product("B", description="Red"),
            product("C", tiers=TIERS),
        ]
        await imported(database, stored)
        data = (
            b"sku,name,unit_price,currency,tax_category,stock,category\n"
            b"A,Product A,12.00,EUR,standard,10,kitchen\n"
            b"B,Product B,13.00,EUR,standard,10,\n"
            b"C,Product C,9.50,EUR,standard,10,kitchen\n"
            b"D,Product D,1.00,EUR,standard,10,tea\n"
        )
        header, *records = parse_catalog(data.splitlines(keepends=True))
        assert isinstance(header, Header)
        plan = plan_import([header, *records], await current_catalog(database))
        rows = [record for record in records if isinstance(record, ProductRow)]
        refused: list[RejectedRow] = []

        record = await imported(
            database,
            rows,
            policy="skip-rows",
            fields=carried_fields(header.columns),
            reject=refused.append,
        )

        counts = plan.counts
        assert (counts.created, counts.updated, counts.unchanged) == (
            record.counts.created,
            record.counts.updated,
            record.counts.unchanged,
        )
        assert [(4, "C")] == [(row.line, row.sku) for row in plan.failures]
        assert list(plan.failures) == refused
        expected = {p.sku: p for p in stored} | {p.sku: p for p in plan.products}
        assert expected == await current_catalog(database)


class TestIndexUse:
    @pytest.mark.parametrize("fields", [OPTIONAL_FIELDS, ()], ids=["every-column", "required"])
    async def test_the_upsert_arbitrates_on_the_sku_index(
        self, database: PostgresDatabase, fields: Collection[OptionalField]
    ) -> None:
        """ON CONFLICT (sku) finds existing products through products_sku_key, whichever
        optional columns the file has."""
        async with database.copy_transaction() as transaction:
            await transaction.execute(CREATE_STAGING_SQL)
            plan = await plan_of(database, upsert_sql(fields))

        assert "Conflict Arbiter Indexes: products_sku_key" in plan
        assert "Conflict Arbiter Indexes: inventory_pkey" in plan

    @pytest.mark.parametrize(
        ("fields", "scanned"), [(OPTIONAL_FIELDS, False), ((), True)], ids=["tiers", "no-tiers"]
    )
    async def test_only_a_file_without_tiers_looks_for_kept_tier_conflicts(
        self, database: PostgresDatabase, fields: Collection[OptionalField], *, scanned: bool
    ) -> None:
        """A file with tier columns replaces tiers, so no row can keep conflicting ones: its
        upsert does not read the staged rows again to find them."""
        async with database.copy_transaction() as transaction:
            await transaction.execute(CREATE_STAGING_SQL)
            plan = await plan_of(database, upsert_sql(fields))

        assert scanned == ("CTE Scan on staged k" in plan)

    async def test_lookups_and_pages_use_the_sku_index(self, database: PostgresDatabase) -> None:
        """Looking products up by SKU, and paging through them, read the SKU index."""
        await imported(database, (product(f"SKU-{n:05d}") for n in range(5_000)))
        await database.execute("ANALYZE products")
        await database.execute("ANALYZE inventory")

        lookup = await plan_of(database, PRODUCTS_BY_SKU_SQL, ["SKU-00001", "SKU-04000"])
        page = await plan_of(database, PRODUCTS_PAGE_SQL, "SKU-01000", 100)

        assert "products_sku_key" in lookup
        assert "Index Scan using products_sku_key" in page


# ---------------------------------------------------------------- reading back


def showcase() -> list[Product]:
    """Products using every field: tiers, yen and dinar prices, no category, inactive."""
    return [
        Product(
            "TEA-1",
            "Sencha, 100 g",
            money("1200", JPY),
            "reduced",
            stock=2_147_483_647,
            category=None,
            description='Green tea, "first flush"\nfrom Shizuoka',
            tiers=(Tier(10, money("1100", JPY)), Tier(100, money("1000", JPY))),
        ),
        Product("OIL-1", "Olive oil", money("1.250", BHD), "standard", stock=0, active=False),
        product("MUG-1", tiers=(Tier(2, money("11.99")), Tier(1_000_000, money("0.01")))),
        product("A.1_B-2", unit_price=money("0.00"), description="Free sample"),
        product("9", unit_price=money("1000000000000.00")),
    ]


def shown(products: Iterable[Product]) -> list[list[str]]:
    """Each product's amounts as text: the digits must match the currency's."""
    return [[str(p.unit_price), *(str(t.unit_price) for t in p.tiers)] for p in products]


class TestExport:
    async def test_round_trips_products_exactly(self, database: PostgresDatabase) -> None:
        """What an import writes, an export reads back equal, in SKU (byte) order."""
        products = showcase()
        await imported(database, products)

        exported = [p async for p in export_catalog(database)]

        in_order = sorted(products, key=lambda p: p.sku)
        assert in_order == exported
        assert shown(in_order) == shown(exported)
        assert [["BHD 1.250"], ["JPY 1200", "JPY 1100", "JPY 1000"]] == [
            row for row in shown(exported) if not row[0].startswith("EUR")
        ]

    async def test_pages_join_up(self, database: PostgresDatabase) -> None:
        """Page boundaries lose and repeat nothing, including an exactly full last page."""
        skus = [f"P{n}" for n in range(6)]
        await imported(database, [product(sku) for sku in reversed(skus)])

        for page_size in (1, 2, 3, 4, 6, 7):
            exported = [p.sku async for p in export_catalog(database, page_size=page_size)]
            assert sorted(skus) == exported

    async def test_an_empty_catalog_exports_nothing(self, database: PostgresDatabase) -> None:
        """No products, no rows, no tier columns."""
        assert [] == [p async for p in export_catalog(database)]
        assert () == await tier_quantities(database)

    async def test_tier_quantities(self, database: PostgresDatabase) -> None:
        """Every quantity some tier starts at, once each, in increasing order."""
        await imported(database, showcase())

        assert (2, 10, 100, 1_000_000) == await tier_quantities(database)


class TestCurrentCatalog:
    async def test_by_sku_in_batches(
        self, database: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Only the SKUs asked for, found across batches; unknown SKUs are left out."""
        monkeypatch.setattr(catalog_store, "LOOKUP_BATCH", 2)
        products = showcase()
        await imported(database, products)
        wanted = ["OIL-1", "NOPE", "MUG-1", "9", "ALSO-NOPE"]

        found = await current_catalog(database, wanted)

        assert {p.sku: p for p in products if p.sku in wanted} == found

    async def test_no_skus_no_products(self, database: PostgresDatabase) -> None:
        """An empty list asks for nothing."""
        await imported(database, showcase())

        assert {} == await current_catalog(database, [])

    @pytest.mark.parametrize(
        ("currency", "price", "message"),
        [
            ("XXX", Decimal("1.00"), "'XXX' is not an ISO 4217 currency code"),
            ("EUR", Decimal("1.005"), "MUG-1: 1.0050 has more decimal places than EUR's 2"),
            ("JPY", Decimal("1.5"), "MUG-1: 1.5000 has more decimal places than JPY's 0"),
        ],
    )
    async def test_a_product_written_by_other_means_is_refused(
        self, database: PostgresDatabase, currency: str, price: Decimal, message: str
    ) -> None:
        """Reading never rounds or guesses: a row no import could write raises."""
        row = {**GOOD_PRODUCT, "currency": currency, "unit_price": price}
        await insert(database, "products", {**row, "tier_quantities": [], "tier_prices": []})

        with pytest.raises(UnreadableProductError, match=message):
            await current_catalog(database)


# ---------------------------------------------------------------- import records


def problems(count: int) -> Iterator[ImportProblem]:
    """``count`` problems, one per line from line 2."""
    for line in range(2, count + 2):
        yield (line, "sku", "invalid_sku", f"line {line} has no SKU")


class TestRecords:
    async def test_a_rejected_import_is_recorded_and_writes_nothing(
        self, database: PostgresDatabase
    ) -> None:
        """The attempt and every problem are kept; the catalog is untouched."""
        counts = ImportCounts(created=5, failed=3)

        record = await record_rejected_import(
            database, attempt=attempt(), counts=counts, errors=problems(3)
        )

        assert ("rejected", counts, False) == (record.outcome, record.counts, record.dry_run)
        assert (STARTED, "catalog.csv", FILE_HASH) == (
            record.started_at,
            record.file_name,
            record.file_sha256,
        )
        assert record.finished_at > STARTED
        assert list(problems(3)) == await import_errors(database, record.id)
        assert (0, 0, 1, 3) == await table_counts(database)

    async def test_a_dry_run_is_recorded(self, database: PostgresDatabase) -> None:
        """A dry run says what the file would do; the catalog is untouched."""
        counts = ImportCounts(created=2, updated=1, unchanged=4)

        record = await record_dry_run(database, attempt=attempt(), counts=counts, errors=())

        assert ("dry-run", counts, True) == (record.outcome, record.counts, record.dry_run)
        assert (0, 0, 1, 0) == await table_counts(database)

    async def test_previous_import_of_a_file(self, database: PostgresDatabase) -> None:
        """The latest import of the same file that ran its writes; others are skipped."""
        other_file = "f" * 64
        assert await previous_import(database, FILE_HASH) is None
        first = await imported(database, [product("A")])
        second = await imported(database, [product("A")])
        await imported(database, [product("B")], file_sha256=other_file)
        await record_dry_run(database, attempt=attempt(), counts=ImportCounts(), errors=())
        rejected = await record_rejected_import(
            database, attempt=attempt(), counts=ImportCounts(failed=1), errors=problems(1)
        )

        assert "applied" == first.outcome
        assert second == await previous_import(database, FILE_HASH)
        assert rejected == await previous_import(database, FILE_HASH, outcomes=["rejected"])
        assert await previous_import(database, "e" * 64) is None

    async def test_many_errors_are_streamed_in(self, database: PostgresDatabase) -> None:
        """A file failing on every row keeps every problem."""
        record = await record_rejected_import(
            database, attempt=attempt(), counts=ImportCounts(failed=20_000), errors=problems(20_000)
        )

        recorded = await import_errors(database, record.id)

        assert 20_000 == len(recorded)
        assert (20_001, "sku", "invalid_sku", "line 20001 has no SKU") == recorded[-1]
