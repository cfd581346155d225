"""PostgreSQL: connection URLs, the connection pool, migrations, the embedded server."""

from pulseshop.adapters.postgres.database import (
    CONNECTION_ERRORS,
    DatabaseUnavailableError,
    PostgresDatabase,
    Row,
    describe_connection_error,
)
from pulseshop.adapters.postgres.migrations import current_revision, head_revision, upgrade_to_head
from pulseshop.adapters.postgres.url import PostgresUrl, parse_postgres_url

__all__ = [
    "CONNECTION_ERRORS",
    "DatabaseUnavailableError",
    "PostgresDatabase",
    "PostgresUrl",
    "Row",
    "current_revision",
    "describe_connection_error",
    "head_revision",
    "parse_postgres_url",
    "upgrade_to_head",
]
