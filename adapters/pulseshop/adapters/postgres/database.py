"""The one module that touches the `databases` library (ADR 0004).

`databases` owns the asyncpg pool, the connection bound to each task, and
transactions (nested ones become savepoints). Every statement is written in
asyncpg's own form (``$1`` placeholders) and runs on the raw asyncpg connection,
so no query goes through SQLAlchemy's compiler and leaving `databases` for plain
asyncpg changes this module only. Bulk writes get that raw connection inside a
transaction (`PostgresDatabase.copy_transaction`), for COPY and for statements
that may run longer than the pool's command timeout.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, final

import asyncpg
from databases import Database

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence

    from pulseshop.adapters.postgres.url import PostgresUrl

Row = asyncpg.Record

# What connecting to or talking with an unreachable or refusing server raises.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


@final
class DatabaseUnavailableError(Exception):
    """The database could not be reached or refused us; the message says why."""


def describe_connection_error(error: BaseException) -> str:
    """One line for a person: the error's own words, or its kind when it has none."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text or type(error).__name__


@final
class CopyTransaction:
    """The connection of an open transaction: statements, and COPY of rows into a table.

    Everything done through it commits or rolls back with the transaction. A
    ``command_timeout`` (seconds) replaces the pool's for one long statement; None keeps it.
    """

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def copy_records(
        self,
        table: str,
        columns: Sequence[str],
        records: Iterable[Sequence[object]] | AsyncIterable[Sequence[object]],
        *,
        command_timeout: float | None = None,
    ) -> int:
        """COPY ``records`` (tuples in ``columns`` order, streamed) into ``table``;
        returns how many rows were copied."""
        status = await self._connection.copy_records_to_table(
            table, records=records, columns=list(columns), timeout=command_timeout
        )
        # The server's status tag says "COPY <rows>".
        return int(status.rsplit(" ", 1)[-1])

    async def fetch_value(
        self, sql: str, *args: object, command_timeout: float | None = None
    ) -> Any:
        """The first column of the first row, or None when there is no row."""
        return await self._connection.fetchval(sql, *args, timeout=command_timeout)

    async def fetch_one(
        self, sql: str, *args: object, command_timeout: float | None = None
    ) -> Row | None:
        """The first row, or None."""
        return await self._connection.fetchrow(sql, *args, timeout=command_timeout)

    async def fetch_all(
        self, sql: str, *args: object, command_timeout: float | None = None
    ) -> list[Row]:
        """Every row."""
        return await self._connection.fetch(sql, *args, timeout=command_timeout)

    async def execute(self, sql: str, *args: object, command_timeout: float | None = None) -> str:
        """Run one statement; returns the server's status tag."""
        return await self._connection.execute(sql, *args, timeout=command_timeout)


@final
class PostgresDatabase:
    """A pool of connections to one PostgreSQL database."""

    def __init__(
        self,
        url: PostgresUrl,
        *,
        min_size: int = 1,
        max_size: int = 10,
        connect_timeout: float = 5.0,
        command_timeout: float = 30.0,
    ) -> None:
        self.url = url
        self._connect_timeout = connect_timeout
        self._database = Database(
            url.text,
            min_size=min_size,
            max_size=max_size,
            timeout=connect_timeout,
            command_timeout=command_timeout,
        )

    @property
    def is_connected(self) -> bool:
        """True between a successful `connect` and `disconnect`."""
        return bool(self._database.is_connected)

    async def connect(self) -> None:
        """Open the pool; raise `DatabaseUnavailableError` naming the cause if we cannot."""
        try:
            async with asyncio.timeout(self._connect_timeout):
                await self._database.connect()
        except CONNECTION_ERRORS as error:
            detail = describe_connection_error(error)
            raise DatabaseUnavailableError(f"{self.url.redacted}: {detail}") from error

    async def disconnect(self) -> None:
        """Close the pool (a no-op when it is not open)."""
        if self._database.is_connected:
            await self._database.disconnect()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._database.connection() as connection:
            yield connection.raw_connection

    async def fetch_value(self, sql: str, *args: object) -> Any:
        """The first column of the first row, or None when there is no row."""
        async with self._connection() as connection:
            return await connection.fetchval(sql, *args)

    async def fetch_one(self, sql: str, *args: object) -> Row | None:
        """The first row, or None."""
        async with self._connection() as connection:
            return await connection.fetchrow(sql, *args)

    async def fetch_all(self, sql: str, *args: object) -> list[Row]:
        """Every row."""
        async with self._connection() as connection:
            return await connection.fetch(sql, *args)

    async def execute(self, sql: str, *args: object) -> str:
        """Run one statement; returns the server's status tag (``INSERT 0 1``)."""
        async with self._connection() as connection:
            return await connection.execute(sql, *args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Statements of this task inside the block commit together or not at all."""
        async with self._database.transaction():
            yield

    @asynccontextmanager
    async def copy_transaction(self) -> AsyncIterator[CopyTransaction]:
        """A transaction, like `transaction`, with its connection for COPY and long statements.

        Other statements of this task inside the block (through this pool's methods) run in
        the same transaction.
        """
        async with self._database.transaction(), self._connection() as connection:
            yield CopyTransaction(connection)
