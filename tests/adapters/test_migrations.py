"""Migrations against a real PostgreSQL."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import asyncpg
import pytest

from pulseshop.adapters.postgres import (
    PostgresDatabase,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from pulseshop.adapters.postgres.migrations import pending_revisions
from pulseshop.core.catalog.product import (
    IDENTIFIER_PATTERN,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_STOCK,
    SKU_PATTERN,
)
from pulseshop.core.money import MAX_AMOUNT
from pulseshop.core.pricing import MAX_QUANTITY
from tests.support.postgres import create_database, drop_database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.integration

REVISIONS: Final = ["0001", "0002"]
TABLES: Final = {
    "alembic_version",
    "schema_info",
    "products",
    "inventory",
    "catalog_imports",
    "catalog_import_errors",
}
INDEXES: Final = {
    "alembic_version_pkc",
    "schema_info_pkey",
    "products_pkey",
    "products_sku_key",
    "inventory_pkey",
    "catalog_imports_pkey",
    "catalog_imports_file_sha256_id",
    "catalog_import_errors_pkey",
}
# The values of the core that revision 0002 wrote into CHECK constraints.
CATALOG_RULES_OF_0002: Final = (
    "^[A-Z0-9][A-Z0-9._-]{0,63}$",
    "^[a-z0-9][a-z0-9_-]{0,63}$",
    200,
    5_000,
    2**31 - 1,
    Decimal(10) ** 12,
    1_000_000,
)


@pytest.fixture
async def empty_database(postgres_server_url: PostgresUrl) -> AsyncIterator[PostgresUrl]:
    """A database of its own, never migrated."""
    url = await create_database(postgres_server_url, prefix="pulseshop_migrations")
    try:
        yield url
    finally:
        await drop_database(postgres_server_url, url)


async def _revision(url: PostgresUrl) -> str | None:
    database = PostgresDatabase(url)
    await database.connect()
    try:
        return await current_revision(database)
    finally:
        await database.disconnect()


class TestUpgrade:
    async def test_empty_database_reaches_head(self, empty_database: PostgresUrl) -> None:
        """From nothing to the head revision, reported as (None, head)."""
        assert await _revision(empty_database) is None

        before, after = await upgrade_to_head(empty_database)

        assert (None, head_revision()) == (before, after)
        assert head_revision() == await _revision(empty_database)

    async def test_upgrading_twice_changes_nothing(self, empty_database: PostgresUrl) -> None:
        """The second run finds the head and leaves the data as it was."""
        await upgrade_to_head(empty_database)
        connection = await asyncpg.connect(empty_database.text)
        created = await connection.fetchval("SELECT created_at FROM schema_info")

        before, after = await upgrade_to_head(empty_database)

        assert (head_revision(), head_revision()) == (before, after)
        assert created == await connection.fetchval("SELECT created_at FROM schema_info")
        await connection.close()

    async def test_concurrent_upgrades_migrate_once(self, empty_database: PostgresUrl) -> None:
        """Nodes starting together: one migrates, the others wait and find the head."""
        results = await asyncio.gather(*(upgrade_to_head(empty_database) for _ in range(3)))

        assert [(None, head_revision())] == [r for r in results if r[0] is None]
        assert all(after == head_revision() for _before, after in results)


class TestPending:
    def test_everything_is_pending_on_an_empty_database(self) -> None:
        """An empty database needs every revision, oldest first, ending at the head."""
        pending = pending_revisions(None)

        assert pending[0] == "0001"
        assert pending[-1] == head_revision()

    def test_nothing_is_pending_at_head(self) -> None:
        """At the head there is nothing to do."""
        assert [] == pending_revisions(head_revision())

    def test_every_revision_in_order(self) -> None:
        """The revisions this release ships, oldest first."""
        assert REVISIONS == pending_revisions(None)


class TestCatalogSchema:
    async def test_head_has_exactly_these_tables(self, database: PostgresDatabase) -> None:
        """The head schema's tables and indexes, and nothing else."""
        tables = await database.fetch_all(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        indexes = await database.fetch_all(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
        )

        assert TABLES == {row["tablename"] for row in tables}
        assert INDEXES == {row["indexname"] for row in indexes}

    def test_the_core_rules_are_those_0002_was_written_with(self) -> None:
        """A change to these values needs a new migration that replaces the CHECK
        constraints holding them (databases already at 0002 keep the old ones); then
        update this pin."""
        current = (
            SKU_PATTERN,
            IDENTIFIER_PATTERN,
            MAX_NAME,
            MAX_DESCRIPTION,
            MAX_STOCK,
            MAX_AMOUNT,
            MAX_QUANTITY,
        )

        assert CATALOG_RULES_OF_0002 == current

    async def test_constraints_hold_the_core_patterns(self, database: PostgresDatabase) -> None:
        """The SKU and category CHECKs are the importer's patterns, character for character."""
        definitions = await database.fetch_all(
            "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint "
            "WHERE conrelid = 'products'::regclass AND contype = 'c'"
        )
        by_name = {row["conname"]: row["definition"] for row in definitions}

        assert f"'{SKU_PATTERN}'" in by_name["products_sku_format"]
        assert f"'{IDENTIFIER_PATTERN}'" in by_name["products_category_format"]
        assert f"'{IDENTIFIER_PATTERN}'" in by_name["products_tax_category_format"]


class TestSchemaInfo:
    async def test_holds_exactly_one_row(self, database: PostgresDatabase) -> None:
        """The single-row table refuses a second row."""
        with pytest.raises(asyncpg.UniqueViolationError):
            await database.execute("INSERT INTO schema_info (product) VALUES ('pulseshop')")

    async def test_refuses_another_product(self, database: PostgresDatabase) -> None:
        """The CHECK constraint keeps the product name honest."""
        with pytest.raises(asyncpg.CheckViolationError):
            await database.execute("UPDATE schema_info SET product = 'other'")
