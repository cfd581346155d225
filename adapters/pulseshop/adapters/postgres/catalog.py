"""The catalog in PostgreSQL: products and their stock, read as `Product` values and written
by SKU.

An import is one transaction (ADR 0009): the products are streamed with COPY into a
temporary staging table, then one statement upserts them by SKU, writing only the rows whose
values differ (so ``updated_at`` moves only on a change) and counting what it created,
updated and left alone; the import's record and problems are written in the same
transaction. Imports take a transaction-scoped advisory lock, so two run one after the other
and each one's counts describe exactly what it did.

Reads give back exactly the products written (`_catalog_rows`), found by SKU a batch at a
time or paged through in SKU order.
"""

from __future__ import annotations

from itertools import islice
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, final

from pulseshop.adapters.postgres._catalog_rows import (
    ProductReader,
    UnreadableProductError,
    kept_tiers_rejection,
    staged_row,
)
from pulseshop.adapters.postgres.catalog_imports import (
    CatalogImport,
    ImportAttempt,
    ImportOutcome,
    ImportProblem,
    insert_import,
)
from pulseshop.core.catalog import ImportCounts, rejects_all
from pulseshop.core.catalog.columns import OPTIONAL_FIELDS
from pulseshop.core.catalog.records import ProductRow

if TYPE_CHECKING:
    from collections.abc import (
        AsyncIterator,
        Callable,
        Collection,
        Iterable,
        Iterator,
        Mapping,
        Sequence,
    )

    from pulseshop.adapters.postgres.database import PostgresDatabase
    from pulseshop.core.catalog.columns import OptionalField
    from pulseshop.core.catalog.product import Product
    from pulseshop.core.catalog.records import RejectedRow

__all__ = [
    "KeptTiersConflictError",
    "UnreadableProductError",
    "apply_import",
    "catalog_is_new",
    "current_catalog",
    "export_catalog",
    "tier_quantities",
    "upsert_sql",
]

BULK_TIMEOUT: Final = 900.0
"""Seconds each long step of an import may take (waiting for another import, the COPY,
which runs as fast as the products are produced, and the upsert), instead of the pool's
command timeout."""

LOOKUP_BATCH: Final = 10_000
"""SKUs looked up per statement by `current_catalog`."""

EXPORT_PAGE: Final = 5_000
"""Products read per statement by `export_catalog`."""

# pg_advisory_xact_lock key: "PSCATIMP" read as a 64-bit integer.
IMPORT_LOCK_KEY: Final = int.from_bytes(b"PSCATIMP", "big") - 2**63

STAGING_TABLE: Final = "catalog_staging"


@final
class KeptTiersConflictError(ValueError):
    """Rows would keep stored volume prices that no longer fit their new unit price (the
    import named no ``reject`` to take them): nothing was written."""

    def __init__(self, rows: Sequence[RejectedRow]) -> None:
        super().__init__("; ".join(str(error) for row in rows for error in row.errors))
        self.rows = tuple(rows)


STAGED_COLUMNS: Final = (
    "line",
    "sku",
    "name",
    "category",
    "description",
    "unit_price",
    "currency",
    "tax_category",
    "active",
    "tier_quantities",
    "tier_prices",
    "stock",
)
"""The columns of the staging table, in the order of `staged_row`'s tuples."""

CREATE_STAGING_SQL: Final = """
    CREATE TEMPORARY TABLE catalog_staging (
        line            integer NOT NULL,
        sku             text COLLATE "C" NOT NULL,
        name            text NOT NULL,
        category        text,
        description     text,
        unit_price      numeric NOT NULL,
        currency        text NOT NULL,
        tax_category    text NOT NULL,
        active          boolean NOT NULL,
        tier_quantities integer[] NOT NULL,
        tier_prices     numeric[] NOT NULL,
        stock           integer NOT NULL
    ) ON COMMIT DROP
"""

REQUIRED_PRODUCT_COLUMNS: Final = ("name", "unit_price", "currency", "tax_category")
"""The product columns every import sets."""

OPTIONAL_PRODUCT_COLUMNS: Final[Mapping[OptionalField, tuple[str, ...]]] = MappingProxyType(
    {
        "category": ("category",),
        "description": ("description",),
        "active": ("active",),
        "tiers": ("tier_quantities", "tier_prices"),
    }
)
"""The product columns of each optional field: an import sets them only when its file
carries the field."""

# A row that keeps a product's stored tiers (its file has no tier column) but changes the
# currency or lowers the unit price to a stored tier price or below would break the tiers'
# CHECK. Stored tiers fall as the quantity grows, so the first is the highest.
_KEPT_TIERS_CONFLICT: Final = """
    p.id IS NOT NULL AND cardinality(p.tier_quantities) > 0
    AND (p.currency <> s.currency OR p.tier_prices[1] >= s.unit_price)
"""

# One statement, one snapshot. `staged` compares each staged row with the product and stock
# as they were when the statement began, on the columns the file carries; only new and
# changed rows reach the INSERTs, so an unchanged row is neither rewritten nor even locked,
# and the counts come from that comparison. A new product takes every staged column; an
# update sets only the carried columns, so the others stay as stored. The WHERE of each DO
# UPDATE repeats the comparison against the row as it is when written, for a writer that
# committed since. A row whose kept tiers would no longer fit is written nowhere and comes
# back, one result row each, beside the counts; a file that carries tiers has none, and its
# statement joins them on a constant false, so the planner does not scan `staged` again to
# look for them. A SKU staged twice makes the statement fail ("cannot affect row a second
# time").
_UPSERT_TEMPLATE: Final = """
    WITH staged AS (
        SELECT s.line, s.sku, s.name, s.category, s.description, s.unit_price, s.currency,
               s.tax_category, s.active, s.tier_quantities, s.tier_prices, s.stock,
               p.id AS product_id,
               p.id IS NULL AS created,
               ({stored}) IS DISTINCT FROM ({staged}) AS product_changed,
               i.stock IS DISTINCT FROM s.stock AS stock_changed,
               {conflict} AS kept_tiers_conflict
        FROM catalog_staging AS s
        LEFT JOIN products AS p ON p.sku = s.sku
        LEFT JOIN inventory AS i ON i.product_id = p.id
    ),
    written AS (
        INSERT INTO products AS p (
            sku, name, category, description, unit_price, currency, tax_category, active,
            tier_quantities, tier_prices
        )
        SELECT sku, name, category, description, unit_price, currency, tax_category, active,
               tier_quantities, tier_prices
        FROM staged
        WHERE product_changed AND NOT kept_tiers_conflict
        ON CONFLICT (sku) DO UPDATE SET
            {assignments},
            updated_at = now()
        WHERE ({stored}) IS DISTINCT FROM ({excluded})
        RETURNING p.id, p.sku
    ),
    restocked AS (
        INSERT INTO inventory AS i (product_id, stock)
        SELECT coalesce(st.product_id, w.id), st.stock
        FROM staged AS st
        LEFT JOIN written AS w ON w.sku = st.sku
        WHERE st.stock_changed AND NOT st.kept_tiers_conflict
        ON CONFLICT (product_id) DO UPDATE SET stock = excluded.stock, updated_at = now()
        WHERE i.stock IS DISTINCT FROM excluded.stock
    ),
    counted AS (
        SELECT
            count(*) FILTER (WHERE created) AS created,
            count(*) FILTER (
                WHERE NOT (created OR kept_tiers_conflict) AND (product_changed OR stock_changed)
            ) AS updated,
            count(*) FILTER (
                WHERE NOT (created OR kept_tiers_conflict OR product_changed OR stock_changed)
            ) AS unchanged
        FROM staged
    )
    SELECT c.created, c.updated, c.unchanged,
           k.line, k.sku, k.unit_price, k.currency,
           p.currency AS stored_currency, p.tier_quantities, p.tier_prices
    FROM counted AS c
    LEFT JOIN staged AS k ON {refused}
    LEFT JOIN products AS p ON p.id = k.product_id
    ORDER BY k.line
"""


def upsert_sql(fields: Collection[OptionalField] = OPTIONAL_FIELDS) -> str:
    """The upsert of the staged rows for a file that carries the optional ``fields``: an
    update sets, and compares, only the required columns and those of ``fields``."""
    columns = [*REQUIRED_PRODUCT_COLUMNS]
    for field in OPTIONAL_FIELDS:
        if field in fields:
            columns.extend(OPTIONAL_PRODUCT_COLUMNS[field])
    return _UPSERT_TEMPLATE.format(
        stored=", ".join(f"p.{column}" for column in columns),
        staged=", ".join(f"s.{column}" for column in columns),
        excluded=", ".join(f"excluded.{column}" for column in columns),
        assignments=", ".join(f"{column} = excluded.{column}" for column in columns),
        conflict="false" if "tiers" in fields else f"({_KEPT_TIERS_CONFLICT.strip()})",
        refused="false" if "tiers" in fields else "k.kept_tiers_conflict",
    )


UPSERT_SQL: Final = upsert_sql()
"""The upsert of a file that carries every optional field."""

# For the rest of the import's transaction (ADR 0012). The upsert's estimated cost passes
# the JIT thresholds, and compiling it cost as much as the compiled code saved, or more:
# without JIT, re-importing 200,000 unchanged products measured about 3% faster and
# 1,000,000 about 4%.
UPSERT_SETTINGS_SQL: Final = "SET LOCAL jit = off"

_PRODUCT_COLUMNS: Final = """
    p.sku, p.name, p.category, p.description, p.unit_price, p.currency, p.tax_category,
    p.active, p.tier_quantities, p.tier_prices, coalesce(i.stock, 0) AS stock
"""

PRODUCTS_BY_SKU_SQL: Final = f"""
    SELECT {_PRODUCT_COLUMNS}
    FROM products AS p
    LEFT JOIN inventory AS i ON i.product_id = p.id
    WHERE p.sku = ANY($1::text[])
"""  # noqa: S608 - the interpolated text is the constant column list above

# Keyset pages: each page starts after the last SKU of the previous one, through the SKU
# index, however deep into the catalog it is ('' sorts before every SKU).
PRODUCTS_PAGE_SQL: Final = f"""
    SELECT {_PRODUCT_COLUMNS}
    FROM products AS p
    LEFT JOIN inventory AS i ON i.product_id = p.id
    WHERE p.sku > $1
    ORDER BY p.sku
    LIMIT $2
"""  # noqa: S608 - the interpolated text is the constant column list above

TIER_QUANTITIES_SQL: Final = """
    SELECT DISTINCT quantity
    FROM products, unnest(tier_quantities) AS quantity
    ORDER BY quantity
"""


CATALOG_IS_NEW_SQL: Final = """
    SELECT NOT EXISTS (SELECT FROM products) AND NOT EXISTS (SELECT FROM catalog_imports)
"""


async def catalog_is_new(database: PostgresDatabase) -> bool:
    """True when the catalog has no product and no import was ever recorded, not even a
    rejected one or a dry run: nobody has used it yet."""
    return bool(await database.fetch_value(CATALOG_IS_NEW_SQL))


def _batches(skus: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(skus)
    while batch := list(islice(iterator, size)):
        yield batch


async def current_catalog(
    database: PostgresDatabase, skus: Collection[str] | None = None
) -> dict[str, Product]:
    """The products with these SKUs (absent ones are left out), or the whole catalog (None).

    SKUs are looked up `LOOKUP_BATCH` at a time through the SKU index, so the memory used
    is that of the products found.
    """
    found: dict[str, Product] = {}
    reader = ProductReader()
    if skus is None:
        async for product in _pages(database, EXPORT_PAGE, reader):
            found[product.sku] = product
        return found
    for batch in _batches(skus, LOOKUP_BATCH):
        for row in await database.fetch_all(PRODUCTS_BY_SKU_SQL, batch):
            product = reader.product(row)
            found[product.sku] = product
    return found


async def export_catalog(
    database: PostgresDatabase, *, page_size: int = EXPORT_PAGE
) -> AsyncIterator[Product]:
    """Every product in SKU order (byte order: SKUs are ASCII), read a page at a time.

    Each page is its own statement, so no transaction stays open while the caller writes
    what it gets: an import committed during a long export may show in the later pages only.
    """
    async for product in _pages(database, page_size, ProductReader()):
        yield product


async def _pages(
    database: PostgresDatabase, page_size: int, reader: ProductReader
) -> AsyncIterator[Product]:
    after = ""
    while True:
        rows = await database.fetch_all(PRODUCTS_PAGE_SQL, after, page_size)
        for row in rows:
            yield reader.product(row)
        if len(rows) < page_size:
            return
        after = rows[-1]["sku"]


async def tier_quantities(database: PostgresDatabase) -> tuple[int, ...]:
    """Every quantity some product has a tier price from, in increasing order (the tier
    columns an export needs, known before streaming the products)."""
    return tuple(row["quantity"] for row in await database.fetch_all(TIER_QUANTITIES_SQL))


async def apply_import(
    database: PostgresDatabase,
    products: Iterable[Product | ProductRow],
    *,
    attempt: ImportAttempt,
    fields: Collection[OptionalField] = OPTIONAL_FIELDS,
    failed: int | Callable[[], int] = 0,
    errors: Iterable[ImportProblem] = (),
    reject: Callable[[RejectedRow], object] | None = None,
    command_timeout: float = BULK_TIMEOUT,
) -> CatalogImport:
    """Create or update ``products`` by SKU and record the import, all in one transaction.

    An update changes only what the file says: the required fields, and the optional
    ``fields`` the file carries (`carried_fields` of its header). The other optional fields
    of an existing product stay as stored and are not compared; a new product takes them
    from its `Product` (the parser gives the defaults for absent columns). A row that would
    keep stored tiers that no longer fit its unit price or currency is not written
    (`kept_tiers_error` says why), exactly as `plan_import` fails it.

    Args:
        database: the catalog's database.
        products: valid products, each SKU once, streamed (read once, not kept); a
            `ProductRow` names its line in problems, a bare `Product` its position from 1.
        attempt: the file, when reading it began, and the policy.
        fields: the optional fields the file carries; by default every one.
        failed: how many rows of the file failed and are skipped (only under skip-rows),
            or a function saying so, called once ``products`` are read and ``reject`` has
            seen every row the database refused: a caller that parses as it streams knows
            the number only then.
        errors: the file's problems, recorded with the import, in their order; read once
            ``products`` are, so a caller may still be adding to it while they stream.
        reject: takes each row refused because its kept tiers no longer fit, in line
            order, before the import is recorded; the caller counts it in ``failed`` and
            ``errors`` (and under reject-all rolls back). Without it such a row raises
            `KeptTiersConflictError` and nothing is written.
        command_timeout: seconds waiting for another import, the COPY and the upsert may
            each take.

    Returns:
        The recorded import, its counts computed by the database: ``applied`` when a row
        was created or updated, ``unchanged`` when every product already was as given.

    Raises:
        ValueError: a reject-all import with failed rows (record it as rejected instead).
        KeptTiersConflictError: rows refused, and no ``reject`` to take them.
    """
    if isinstance(failed, int) and rejects_all(attempt.policy, failed_rows=failed):
        raise ValueError("a reject-all import with failed rows writes nothing: record it")
    async with database.copy_transaction() as transaction:
        # Waits for an import already running, however long it takes.
        await transaction.execute(
            "SELECT pg_advisory_xact_lock($1)", IMPORT_LOCK_KEY, command_timeout=command_timeout
        )
        await transaction.execute(CREATE_STAGING_SQL)
        await transaction.copy_records(
            STAGING_TABLE,
            STAGED_COLUMNS,
            _staged_rows(products),
            command_timeout=command_timeout,
        )
        # A temporary table has no statistics until it is analyzed, and the upsert's joins
        # are planned from them.
        await transaction.execute(f"ANALYZE {STAGING_TABLE}", command_timeout=command_timeout)
        await transaction.execute(UPSERT_SETTINGS_SQL)
        rows = await transaction.fetch_all(upsert_sql(fields), command_timeout=command_timeout)
        # Dropped now, not at commit: its space is freed before the import is recorded.
        await transaction.execute(f"DROP TABLE {STAGING_TABLE}")
        refused = [kept_tiers_rejection(row) for row in rows if row["line"] is not None]
        if refused:
            if reject is None:
                raise KeptTiersConflictError(refused)
            for rejected in refused:
                reject(rejected)
        failures = failed if isinstance(failed, int) else failed()
        first = rows[0]
        counts = ImportCounts(first["created"], first["updated"], first["unchanged"], failures)
        outcome: ImportOutcome = "applied" if counts.created or counts.updated else "unchanged"
        return await insert_import(transaction, attempt, counts, outcome, errors)


def _staged_rows(products: Iterable[Product | ProductRow]) -> Iterator[tuple[object, ...]]:
    for position, item in enumerate(products, start=1):
        if isinstance(item, ProductRow):
            yield staged_row(item.line, item.product)
        else:
            yield staged_row(position, item)
