"""A real PostgreSQL for the test session.

Where it comes from, first match wins: ``PULSESHOP_TEST_DATABASE_URL``; the server on
127.0.0.1:5432 when it answers; else an embedded `pgserver` instance in a temporary
directory. The session gets a database of its own, migrated to the head revision,
and dropped at the end. Between tests every table is emptied except those whose
rows the migrations themselves write.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING

import asyncpg
from returns.pipeline import is_successful

from pulseshop.adapters.postgres import PostgresUrl, parse_postgres_url, upgrade_to_head
from pulseshop.adapters.postgres.embedded import EmbeddedPostgres
from tests.support.services import reachable

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
# Rows written by migrations (reference data), kept between tests.
MIGRATION_OWNED_TABLES = frozenset({"alembic_version", "schema_info"})


def _parse(text: str, source: str) -> PostgresUrl:
    url = parse_postgres_url(text)
    if not is_successful(url):
        raise ValueError(f"{source} {url.failure()}")
    return url.unwrap()


@contextmanager
def postgres_server(scratch: Path) -> Iterator[PostgresUrl]:
    """A URL to a server's maintenance database (``postgres``), by the order above."""
    explicit = os.environ.get("PULSESHOP_TEST_DATABASE_URL", "").strip()
    if explicit:
        yield _parse(explicit, "PULSESHOP_TEST_DATABASE_URL")
    elif reachable("127.0.0.1", 5432):
        yield _parse(LOCAL_SERVER, "the local server URL")
    else:
        with EmbeddedPostgres(scratch / "postgres") as url:
            yield url


async def create_database(server: PostgresUrl, prefix: str = "pulseshop_test") -> PostgresUrl:
    """A new, empty database on ``server``; its name is unique to this call."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(server.text)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return server.with_database(name)


async def drop_database(server: PostgresUrl, database: PostgresUrl) -> None:
    """Drop ``database``, closing whatever connections are still open to it."""
    connection = await asyncpg.connect(server.text)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database.database}" WITH (FORCE)')
    finally:
        await connection.close()


@contextmanager
def migrated_database(server: PostgresUrl) -> Iterator[PostgresUrl]:
    """A fresh database migrated to the head revision, dropped afterwards."""
    database = asyncio.run(create_database(server))
    try:
        asyncio.run(upgrade_to_head(database))
        yield database
    finally:
        asyncio.run(drop_database(server, database))


async def empty_tables(database: PostgresUrl) -> None:
    """Empty every table but the migration-owned ones and restart every sequence used, as
    a fresh database has them.

    Only the tables holding rows are truncated: most tests write to a few of the schema's
    tables, and a TRUNCATE costs per table, rows or not.
    """
    connection = await asyncpg.connect(database.text)
    try:
        names = await connection.fetch(
            "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'"
        )
        tables = [row["name"] for row in names if row["name"] not in MIGRATION_OWNED_TABLES]
        if not tables:
            return
        holding = await connection.fetch(
            " UNION ALL ".join(
                f"SELECT '{table}' AS name WHERE EXISTS (SELECT FROM {table})"  # noqa: S608
                for table in tables
            )
        )
        async with connection.transaction():
            if holding:
                # The audit log refuses TRUNCATE while it holds rows; erasing it is what the
                # replica role is for (the tests connect as a superuser).
                await connection.execute("SET LOCAL session_replication_role = replica")
                await connection.execute(
                    f"TRUNCATE {', '.join(row['name'] for row in holding)} CASCADE"
                )
            # A sequence may have moved on for rows since deleted, or never committed.
            await connection.execute(
                "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false)"
                " FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
    finally:
        await connection.close()
