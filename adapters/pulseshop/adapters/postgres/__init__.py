"""PostgreSQL: connection URLs, the connection pool, migrations, the embedded server, the
catalog's store, users with their API tokens, passwords and sessions, and the carts'
snapshots.

Names are imported from their modules when first used: a command that needs only a URL does
not pay for the pool, migrations and stores (SQLAlchemy, Alembic, databases)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
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
    from pulseshop.adapters.postgres.migrations import (
        current_revision,
        head_revision,
        upgrade_to_head,
    )
    from pulseshop.adapters.postgres.sessions import (
        SessionInfo,
        SessionTicket,
        end_session,
        end_user_sessions,
        find_session,
        password_hash_of,
        set_password,
        start_session,
        sweep_expired_sessions,
        touch_session,
    )
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

_MODULE_OF: Final = {
    "CONNECTION_ERRORS": "database",
    "CartSnapshot": "carts",
    "CatalogImport": "catalog_imports",
    "CopyTransaction": "database",
    "DatabaseUnavailableError": "database",
    "ImportAttempt": "catalog_imports",
    "ImportOutcome": "catalog_imports",
    "ImportProblem": "catalog_imports",
    "KeptTiersConflictError": "catalog",
    "PostgresDatabase": "database",
    "PostgresUrl": "url",
    "Row": "database",
    "SessionInfo": "sessions",
    "SessionTicket": "sessions",
    "TOKEN_PREFIX": "users",
    "TokenInfo": "users",
    "UnreadableProductError": "catalog",
    "User": "users",
    "apply_import": "catalog",
    "catalog_is_new": "catalog",
    "current_catalog": "catalog",
    "current_revision": "migrations",
    "delete_cart": "carts",
    "describe_connection_error": "database",
    "end_session": "sessions",
    "end_user_sessions": "sessions",
    "ensure_user": "users",
    "expired_carts": "carts",
    "export_catalog": "catalog",
    "find_session": "sessions",
    "find_token": "users",
    "head_revision": "migrations",
    "import_errors": "catalog_imports",
    "issue_token": "users",
    "load_cart": "carts",
    "parse_postgres_url": "url",
    "password_hash_of": "sessions",
    "previous_import": "catalog_imports",
    "record_dry_run": "catalog_imports",
    "record_rejected_import": "catalog_imports",
    "revoke_token": "users",
    "save_cart": "carts",
    "set_password": "sessions",
    "start_session": "sessions",
    "sweep_expired_sessions": "sessions",
    "tier_quantities": "catalog",
    "token_sha256": "users",
    "touch_session": "sessions",
    "upgrade_to_head": "migrations",
}
"""The module of this package each exported name comes from."""


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
    "SessionInfo",
    "SessionTicket",
    "TokenInfo",
    "UnreadableProductError",
    "User",
    "apply_import",
    "catalog_is_new",
    "current_catalog",
    "current_revision",
    "delete_cart",
    "describe_connection_error",
    "end_session",
    "end_user_sessions",
    "ensure_user",
    "expired_carts",
    "export_catalog",
    "find_session",
    "find_token",
    "head_revision",
    "import_errors",
    "issue_token",
    "load_cart",
    "parse_postgres_url",
    "password_hash_of",
    "previous_import",
    "record_dry_run",
    "record_rejected_import",
    "revoke_token",
    "save_cart",
    "set_password",
    "start_session",
    "sweep_expired_sessions",
    "tier_quantities",
    "token_sha256",
    "touch_session",
    "upgrade_to_head",
]
