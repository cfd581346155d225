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
    from collections.abc import AsyncIterator

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


async def _numbered(count: int) -> AsyncIterator[tuple[int, str]]:
    for n in range(1, count + 1):
        yield (n, f"item {n}")


class TestCopyTransaction:
    async def test_copies_rows_and_runs_statements(self, database: PostgresDatabase) -> None:
        """COPY from plain and asynchronous iterables, and statements, in one transaction."""
        await database.execute("CREATE TABLE copy_probe (n int, label text)")
        try:
            async with database.copy_transaction() as transaction:
                plain = await transaction.copy_records(
                    "copy_probe", ["n", "label"], [(0, "zero")], command_timeout=10
                )
                streamed = await transaction.copy_records(
                    "copy_probe", ("n", "label"), _numbered(1_000)
                )
                status = await transaction.execute("DELETE FROM copy_probe WHERE n > $1", 500)
                total = await transaction.fetch_value("SELECT sum(n) FROM copy_probe")
                row = await transaction.fetch_one("SELECT label FROM copy_probe WHERE n = 7")
                rows = await transaction.fetch_all("SELECT n FROM copy_probe ORDER BY n LIMIT 2")
                # The pool's own methods run in the same transaction.
                seen = await database.fetch_value("SELECT count(*) FROM copy_probe")

            assert (1, 1_000, "DELETE 500", 125_250) == (plain, streamed, status, total)
            assert row is not None
            assert ("item 7", [0, 1], 501) == (row["label"], [r["n"] for r in rows], seen)
            assert 501 == await database.fetch_value("SELECT count(*) FROM copy_probe")
        finally:
            await database.execute("DROP TABLE copy_probe")

    async def test_an_error_rolls_the_copy_back(self, database: PostgresDatabase) -> None:
        """Rows copied before a failure are not kept."""
        await database.execute("CREATE TABLE copy_probe (n int CHECK (n < 10))")

        async def copy_then_fail() -> None:
            async with database.copy_transaction() as transaction:
                await transaction.copy_records("copy_probe", ["n"], [(1,), (2,)])
                await transaction.execute("INSERT INTO copy_probe VALUES (10)")

        try:
            with pytest.raises(asyncpg.CheckViolationError):
                await copy_then_fail()

            assert 0 == await database.fetch_value("SELECT count(*) FROM copy_probe")
        finally:
            await database.execute("DROP TABLE copy_probe")


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
