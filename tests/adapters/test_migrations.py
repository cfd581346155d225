"""Migrations against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import asyncpg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from pulseshop.adapters.postgres import (
    PostgresDatabase,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from pulseshop.adapters.postgres.migrations import SCRIPT_LOCATION, pending_revisions
from pulseshop.core.catalog.product import (
    IDENTIFIER_PATTERN,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_STOCK,
    SKU_PATTERN,
    is_identifier,
    is_sku,
)
from pulseshop.core.money import MAX_AMOUNT
from pulseshop.core.pricing import MAX_QUANTITY
from tests.support.postgres import create_database, drop_database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterable

    from sqlalchemy.engine import Connection

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.integration

REVISIONS: Final = ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009"]
TABLES: Final = {
    "alembic_version",
    "schema_info",
    "products",
    "inventory",
    "catalog_imports",
    "catalog_import_errors",
    "users",
    "api_tokens",
    "carts",
    "idempotency_keys",
    "orders",
    "order_lines",
    "payments",
    "refunds",
    "audit_log",
    "outbox",
    "sessions",
    "receipts",
    "user_preferences",
    "marketplace_orders",
    "feed_events",
    "feed_rejects",
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
    "users_pkey",
    "users_email_key",
    "api_tokens_pkey",
    "api_tokens_token_sha256_key",
    "api_tokens_user_id",
    "carts_pkey",
    "carts_expires_at_user_id",
    "idempotency_keys_pkey",
    "idempotency_keys_user_id_endpoint_key_key",
    "idempotency_keys_expires_at",
    "orders_pkey",
    "orders_idempotency_key_id_key",
    "orders_user_id_created_at_id",
    "orders_created_at_id",
    "order_lines_pkey",
    "order_lines_product_id",
    "payments_pkey",
    "payments_provider_provider_reference_key",
    "payments_order_id_id",
    "refunds_pkey",
    "refunds_provider_reference_key",
    "refunds_payment_id_id",
    "audit_log_pkey",
    "audit_log_actor_user_id",
    "outbox_pkey",
    "outbox_published_seq_key",
    "outbox_topic_id_unpublished",
    "sessions_pkey",
    "sessions_token_sha256_key",
    "sessions_idle_expires_at",
    "sessions_user_id",
    "receipts_pkey",
    "user_preferences_pkey",
    "marketplace_orders_pkey",
    "feed_events_pkey",
    "feed_events_marketplace_order_ref_occurred_at",
    "feed_rejects_pkey",
    "feed_rejects_received_at",
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
# The patterns of the core that revision 0003 rewrote without bounded repetition.
CATALOG_PATTERNS_OF_0003: Final = (
    "^[A-Z0-9][A-Z0-9._-]{0,63}$",
    "^[a-z0-9][a-z0-9_-]{0,63}$",
)
CATALOG_TABLES: Final = ("products", "inventory", "catalog_imports", "catalog_import_errors")
# The checks revision 0003 writes, as PostgreSQL prints them back.
FORMAT_CHECKS_OF_0003: Final = {
    "products_sku_format": (
        "CHECK (((sku ~ '^[A-Z0-9][A-Z0-9._-]*$'::text) AND (char_length(sku) <= 64)))"
    ),
    "products_category_format": (
        "CHECK (((category ~ '^[a-z0-9][a-z0-9_-]*$'::text) AND (char_length(category) <= 64)))"
    ),
    "products_tax_category_format": (
        "CHECK (((tax_category ~ '^[a-z0-9][a-z0-9_-]*$'::text)"
        " AND (char_length(tax_category) <= 64)))"
    ),
    "catalog_imports_file_sha256_format": (
        "CHECK (((file_sha256 ~ '^[0-9a-f]*$'::text) AND (char_length(file_sha256) = 64)))"
    ),
}
# The same checks as revision 0002 wrote them.
FORMAT_CHECKS_OF_0002: Final = {
    "products_sku_format": f"CHECK ((sku ~ '{SKU_PATTERN}'::text))",
    "products_category_format": f"CHECK ((category ~ '{IDENTIFIER_PATTERN}'::text))",
    "products_tax_category_format": f"CHECK ((tax_category ~ '{IDENTIFIER_PATTERN}'::text))",
    "catalog_imports_file_sha256_format": "CHECK ((file_sha256 ~ '^[0-9a-f]{64}$'::text))",
}
# Where a bounded and an unbounded pattern could part: the length bound on either side,
# the first character, case, characters near the allowed ones, and line breaks (PostgreSQL's
# `$` matches only at the very end, Python's also before a final newline).
SKU_EDGES: Final = (
    "",
    "A",
    "7",
    "A" * 63,
    "A" * 64,
    "A" * 65,
    "A" + "-" * 63,
    "A" + "." * 64,
    "a",
    "Ab",
    "-A",
    ".A",
    "_A",
    "A-._9",
    "A B",
    "A/B",
    "A\n",
    "\nA",
    "A\nB",
    "A\r",
    "A\t",
    "É",
    "AÉ",
    "\uff21",  # FULLWIDTH LATIN CAPITAL LETTER A
    "\u212a",  # KELVIN SIGN, a K to case-insensitive matching
    "A" * 63 + "\u212a",
)
IDENTIFIER_EDGES: Final = (
    "",
    "a",
    "7",
    "a" * 63,
    "a" * 64,
    "a" * 65,
    "a" + "_" * 63,
    "a" + "-" * 64,
    "A",
    "aB",
    "-a",
    "_a",
    ".a",
    "a.b",
    "a-_9",
    "a b",
    "a\n",
    "\na",
    "a\nb",
    "é",
    "aé",
    "\u0131",  # LATIN SMALL LETTER DOTLESS I
    "\u017f",  # LATIN SMALL LETTER LONG S, an s to case-insensitive matching
    "a" * 63 + "\u017f",
)


@pytest.fixture
async def empty_database(postgres_server_url: PostgresUrl) -> AsyncIterator[PostgresUrl]:
    """A database of its own, never migrated."""
    url = await create_database(postgres_server_url, prefix="pulseshop_migrations")
    try:
        yield url
    finally:
        await drop_database(postgres_server_url, url)


async def _migrate(url: PostgresUrl, step: Callable[[Config], None]) -> None:
    """Run one alembic command on ``url``, the way `upgrade_to_head` runs its upgrade."""

    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", SCRIPT_LOCATION)
        config.attributes["connection"] = connection
        step(config)

    engine = create_async_engine(url.for_sqlalchemy, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def _checks(database: PostgresDatabase) -> dict[str, str]:
    """Every CHECK of the catalog tables: its definition by name."""
    rows = await database.fetch_all(
        "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint "
        "WHERE conrelid = ANY($1::regclass[]) AND contype = 'c'",
        list(CATALOG_TABLES),
    )
    return {row["conname"]: row["definition"] for row in rows}


async def _refusals(
    database: PostgresDatabase, column: str, values: Iterable[str]
) -> dict[str, str | None]:
    """Per value of ``column``: the CHECK that refuses a product holding it, or None."""
    refusals: dict[str, str | None] = {}
    for number, value in enumerate(values):
        product = {"sku": f"EDGE-{number}", "category": "kitchen", "tax_category": "standard"}
        product[column] = value
        try:
            await database.execute(
                "INSERT INTO products (sku, name, category, unit_price, currency, tax_category) "
                "VALUES ($1, 'Edge', $2, 1, 'EUR', $3)",
                product["sku"],
                product["category"],
                product["tax_category"],
            )
        except asyncpg.CheckViolationError as error:
            refusals[value] = error.constraint_name
        else:
            refusals[value] = None
    await database.execute("DELETE FROM products")
    return refusals


async def _refusals_by_column(database: PostgresDatabase) -> dict[str, dict[str, str | None]]:
    """`_refusals` of the SKU and identifier edge cases in each column they are checked in."""
    return {
        "sku": await _refusals(database, "sku", SKU_EDGES),
        "category": await _refusals(database, "category", IDENTIFIER_EDGES),
        "tax_category": await _refusals(database, "tax_category", IDENTIFIER_EDGES),
    }


def _core_refusals() -> dict[str, dict[str, str | None]]:
    """What the importer's checks say of the same edge cases, as `_refusals_by_column`."""
    return {
        column: {value: None if accepts(value) else f"products_{column}_format" for value in edges}
        for column, accepts, edges in (
            ("sku", is_sku, SKU_EDGES),
            ("category", is_identifier, IDENTIFIER_EDGES),
            ("tax_category", is_identifier, IDENTIFIER_EDGES),
        )
    }


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


class TestUnboundedFormatChecks:
    async def test_downgrade_restores_the_checks_of_0002(self, empty_database: PostgresUrl) -> None:
        """Down from 0003 the format CHECKs are 0002's again, under the same names, and
        refuse what they refused at 0003; up again they are 0003's."""
        await upgrade_to_head(empty_database)
        database = PostgresDatabase(empty_database)
        await database.connect()
        try:
            at_0003 = await _checks(database)
            refused_at_0003 = await _refusals_by_column(database)

            await _migrate(empty_database, lambda config: command.downgrade(config, "0002"))
            revision = await current_revision(database)
            at_0002 = await _checks(database)
            refused_at_0002 = await _refusals_by_column(database)
            again = await upgrade_to_head(empty_database)
        finally:
            await database.disconnect()

        assert "0002" == revision
        assert FORMAT_CHECKS_OF_0002 == {name: at_0002[name] for name in FORMAT_CHECKS_OF_0002}
        assert at_0003.keys() == at_0002.keys()
        assert _core_refusals() == refused_at_0003
        assert _core_refusals() == refused_at_0002
        assert ("0002", head_revision()) == again

    async def test_upgrade_keeps_the_rows_0002_accepted(self, empty_database: PostgresUrl) -> None:
        """Products and imports written under 0002, at the longest values allowed, pass the
        checks 0003 writes."""
        await _migrate(empty_database, lambda config: command.upgrade(config, "0002"))
        connection = await asyncpg.connect(empty_database.text)
        try:
            await connection.execute(
                "INSERT INTO products (sku, name, category, unit_price, currency, tax_category) "
                "VALUES ($1, 'Longest', $2, 1, 'EUR', $2)",
                "S" * 64,
                "c" * 64,
            )
            await connection.execute(
                "INSERT INTO catalog_imports (file_sha256, file_name, started_at, policy, "
                "dry_run, created, updated, unchanged, failed, outcome) "
                "VALUES ($1, 'catalog.csv', now(), 'reject-all', false, 1, 0, 0, 0, 'applied')",
                "f" * 64,
            )

            before, after = await upgrade_to_head(empty_database)
            kept = await connection.fetchval("SELECT count(*) FROM products")
        finally:
            await connection.close()

        assert ("0002", head_revision()) == (before, after)
        assert 1 == kept


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

    def test_the_core_patterns_are_those_0003_was_written_with(self) -> None:
        """Revision 0003 rewrote these patterns without bounded repetition; a change to them
        needs a new migration that replaces the CHECKs again; then update this pin."""
        assert CATALOG_PATTERNS_OF_0003 == (SKU_PATTERN, IDENTIFIER_PATTERN)

    async def test_format_checks_are_those_of_0003(self, database: PostgresDatabase) -> None:
        """The SKU, category and file hash CHECKs are the unbounded patterns with a length."""
        checks = await _checks(database)

        assert FORMAT_CHECKS_OF_0003 == {name: checks[name] for name in FORMAT_CHECKS_OF_0003}

    async def test_no_check_repeats_a_pattern_a_bounded_number_of_times(
        self, database: PostgresDatabase
    ) -> None:
        """PostgreSQL unrolls a bounded repetition, which is slow for long ones; only the
        currency's three letters keep one."""
        checks = await _checks(database)

        bounded = {
            (name, repetition)
            for name, definition in checks.items()
            for repetition in re.findall(r"\{\d*,?\d*\}", definition)
        }

        assert {("products_currency_format", "{3}")} == bounded

    async def test_format_checks_refuse_exactly_what_the_importer_refuses(
        self, database: PostgresDatabase
    ) -> None:
        """Each edge case is refused by its column's CHECK exactly when `is_sku` or
        `is_identifier` refuses it."""
        refusals = await _refusals_by_column(database)

        assert _core_refusals() == refusals


class TestSchemaInfo:
    async def test_holds_exactly_one_row(self, database: PostgresDatabase) -> None:
        """The single-row table refuses a second row."""
        with pytest.raises(asyncpg.UniqueViolationError):
            await database.execute("INSERT INTO schema_info (product) VALUES ('pulseshop')")

    async def test_refuses_another_product(self, database: PostgresDatabase) -> None:
        """The CHECK constraint keeps the product name honest."""
        with pytest.raises(asyncpg.CheckViolationError):
            await database.execute("UPDATE schema_info SET product = 'other'")
