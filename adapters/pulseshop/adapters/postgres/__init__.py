"""PostgreSQL: connection URLs, the connection pool, migrations, the embedded server, the
catalog's store, users and their API tokens, and the carts' snapshots."""

from pulseshop.adapters.postgres.carts import (
    CartSnapshot,
    delete_cart,
    expired_carts,
    load_cart,
    save_cart,
)
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
from pulseshop.adapters.postgres.users import (
    TOKEN_PREFIX,
    TokenInfo,
    User,
    ensure_user,
    find_token,
    issue_token,
    revoke_token,
    token_sha256,
)

__all__ = [
    "CONNECTION_ERRORS",
    "TOKEN_PREFIX",
    "CartSnapshot",
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
    "TokenInfo",
    "UnreadableProductError",
    "User",
    "apply_import",
    "catalog_is_new",
    "current_catalog",
    "current_revision",
    "delete_cart",
    "describe_connection_error",
    "ensure_user",
    "expired_carts",
    "export_catalog",
    "find_token",
    "head_revision",
    "import_errors",
    "issue_token",
    "load_cart",
    "parse_postgres_url",
    "previous_import",
    "record_dry_run",
    "record_rejected_import",
    "revoke_token",
    "save_cart",
    "tier_quantities",
    "token_sha256",
    "upgrade_to_head",
]
