"""PostgreSQL: connection URLs, the connection pool, migrations, the embedded server, and
the catalog's store."""

from pulseshop.adapters.postgres.catalog import (
    KeptTiersConflictError,
    UnreadableProductError,
    apply_import,
    catalog_is_new,
    current_catalog,
    export_catalog,
    tier_quantities,
)
from pulseshop.adapters.postgres.catalog_imports import (
    CatalogImport,
    ImportAttempt,
    ImportOutcome,
    ImportProblem,
    import_errors,
    previous_import,
    record_dry_run,
    record_rejected_import,
)
from pulseshop.adapters.postgres.database import (
    CONNECTION_ERRORS,
    CopyTransaction,
    DatabaseUnavailableError,
    PostgresDatabase,
    Row,
    describe_connection_error,
)
from pulseshop.adapters.postgres.migrations import current_revision, head_revision, upgrade_to_head
from pulseshop.adapters.postgres.url import PostgresUrl, parse_postgres_url

__all__ = [
    "CONNECTION_ERRORS",
    "CatalogImport",
    "CopyTransaction",
    "DatabaseUnavailableError",
    "ImportAttempt",
    "ImportOutcome",
    "ImportProblem",
    "KeptTiersConflictError",
    "PostgresDatabase",
    "PostgresUrl",
    "Row",
    "UnreadableProductError",
    "apply_import",
    "catalog_is_new",
    "current_catalog",
    "current_revision",
    "describe_connection_error",
    "export_catalog",
    "head_revision",
    "import_errors",
    "parse_postgres_url",
    "previous_import",
    "record_dry_run",
    "record_rejected_import",
    "tier_quantities",
    "upgrade_to_head",
]
