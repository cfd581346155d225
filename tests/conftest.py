"""Fixtures for tests that use real services."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pulseshop.adapters.postgres import PostgresDatabase
from tests.support.postgres import empty_tables, migrated_database, postgres_server

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from pulseshop.adapters.postgres import PostgresUrl


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresUrl]:
    """The server's maintenance database; tests create their own databases on it."""
    with postgres_server(tmp_path_factory.mktemp("embedded")) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(postgres_server_url: PostgresUrl) -> Iterator[PostgresUrl]:
    """The session's database, migrated to the head revision."""
    with migrated_database(postgres_server_url) as url:
        yield url


@pytest.fixture
async def database(database_url: PostgresUrl) -> AsyncIterator[PostgresDatabase]:
    """A connected pool on the session's database; its tables are emptied after the test."""
    pool = PostgresDatabase(database_url, min_size=1, max_size=5)
    await pool.connect()
    try:
        yield pool
    finally:
        await pool.disconnect()
        await empty_tables(database_url)
