"""Schema migrations with alembic, driven from code.

Upgrades take a transaction-scoped advisory lock first, so nodes starting together
migrate one after the other and the later ones find nothing left to do. Postgres
runs DDL inside transactions, so a failing migration leaves the schema as it was.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from pulseshop.adapters.postgres.database import PostgresDatabase
    from pulseshop.adapters.postgres.url import PostgresUrl

SCRIPT_LOCATION = "pulseshop.adapters.postgres:schema"
# pg_advisory_xact_lock key: "PSMIGRAT" read as a 64-bit integer.
MIGRATION_LOCK_KEY = int.from_bytes(b"PSMIGRAT", "big") - 2**63


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


@cache
def head_revision() -> str:
    """The revision the code expects: the head of the migration scripts."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise LookupError("no migration scripts found")
    return head


def _upgrade_on(connection: Connection) -> tuple[str | None, str | None]:
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    before = MigrationContext.configure(connection).get_current_revision()
    config = _config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    after = MigrationContext.configure(connection).get_current_revision()
    return before, after


async def upgrade_to_head(url: PostgresUrl) -> tuple[str | None, str | None]:
    """Apply every pending migration in one transaction; returns (before, after) revisions."""
    engine = create_async_engine(url.for_sqlalchemy, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(_upgrade_on)
    finally:
        await engine.dispose()


async def current_revision(database: PostgresDatabase) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    if await database.fetch_value("SELECT to_regclass('alembic_version')") is None:
        return None
    revision = await database.fetch_value("SELECT version_num FROM alembic_version")
    return None if revision is None else str(revision)


def pending_revisions(current: str | None) -> list[str]:
    """Revisions between ``current`` (None: an empty database) and the head, oldest first."""
    script = ScriptDirectory.from_config(_config())
    pending = script.iterate_revisions("head", current or "base")
    return [revision.revision for revision in reversed(list(pending))]
