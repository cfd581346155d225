"""Migrations against a real PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import asyncpg
import pytest

from pulseshop.adapters.postgres import (
    PostgresDatabase,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from pulseshop.adapters.postgres.migrations import pending_revisions
from tests.support.postgres import create_database, drop_database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.integration


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


class TestSchemaInfo:
    async def test_holds_exactly_one_row(self, database: PostgresDatabase) -> None:
        """The single-row table refuses a second row."""
        with pytest.raises(asyncpg.UniqueViolationError):
            await database.execute("INSERT INTO schema_info (product) VALUES ('pulseshop')")

    async def test_refuses_another_product(self, database: PostgresDatabase) -> None:
        """The CHECK constraint keeps the product name honest."""
        with pytest.raises(asyncpg.CheckViolationError):
            await database.execute("UPDATE schema_info SET product = 'other'")
