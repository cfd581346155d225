"""The connection pool wrapper against a real PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg
import pytest

from pulseshop.adapters.postgres import (
    DatabaseUnavailableError,
    PostgresDatabase,
    parse_postgres_url,
)

if TYPE_CHECKING:
    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.integration


class TestStatements:
    async def test_fetch_value_one_and_all(self, database: PostgresDatabase) -> None:
        """Values, rows and row lists come back with asyncpg's $n placeholders."""
        await database.execute("CREATE TEMP TABLE items (n int, label text)")
        status = await database.execute(
            "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, $1) g", 3
        )

        assert "INSERT 0 3" == status
        assert 6 == await database.fetch_value("SELECT sum(n) FROM items")
        row = await database.fetch_one("SELECT n, label FROM items WHERE n = $1", 2)
        assert row is not None
        assert (2, "item 2") == (row["n"], row["label"])
        assert await database.fetch_one("SELECT n FROM items WHERE n = $1", 99) is None
        assert [1, 2, 3] == [
            r["n"] for r in await database.fetch_all("SELECT n FROM items ORDER BY n")
        ]


class TestTransactions:
    async def test_commit_keeps_every_statement(self, database: PostgresDatabase) -> None:
        """A block that ends normally commits."""
        await database.execute("CREATE TABLE tx_probe (n int)")
        try:
            async with database.transaction():
                await database.execute("INSERT INTO tx_probe VALUES (1)")
                await database.execute("INSERT INTO tx_probe VALUES (2)")

            assert 2 == await database.fetch_value("SELECT count(*) FROM tx_probe")
        finally:
            await database.execute("DROP TABLE tx_probe")

    async def test_an_error_rolls_every_statement_back(self, database: PostgresDatabase) -> None:
        """Nothing from a failed block is written."""
        await database.execute("CREATE TABLE tx_probe (n int)")

        async def insert_then_fail() -> None:
            async with database.transaction():
                await database.execute("INSERT INTO tx_probe VALUES (1)")
                await database.execute("SELECT 1 / 0")

        try:
            with pytest.raises(asyncpg.DivisionByZeroError):
                await insert_then_fail()

            assert 0 == await database.fetch_value("SELECT count(*) FROM tx_probe")
        finally:
            await database.execute("DROP TABLE tx_probe")


class TestConnecting:
    async def test_unreachable_server_names_the_url_without_password(self) -> None:
        """A refused connection becomes DatabaseUnavailableError with a readable cause."""
        url = parse_postgres_url("postgresql://shop:s3cret@127.0.0.1:1/shop").unwrap()
        database = PostgresDatabase(url, connect_timeout=2)

        with pytest.raises(DatabaseUnavailableError) as raised:
            await database.connect()

        assert str(raised.value).startswith("postgresql://shop:***@127.0.0.1:1/shop: ")
        assert "s3cret" not in str(raised.value)
        assert not database.is_connected

    async def test_missing_database_is_named(self, postgres_server_url: PostgresUrl) -> None:
        """Connecting to a database that does not exist says so."""

        database = PostgresDatabase(postgres_server_url.with_database("no_such_database_here"))

        with pytest.raises(DatabaseUnavailableError, match="no_such_database_here"):
            await database.connect()

    async def test_disconnect_when_never_connected_is_harmless(self) -> None:
        """Closing an unopened pool does nothing."""
        url = parse_postgres_url("postgresql://u@127.0.0.1:1/x").unwrap()

        await PostgresDatabase(url).disconnect()
