"""Create the catalog: products, their stock, and the record of every catalog import.

The CHECK constraints are written from the same constants the importer checks with, so a
row the database refuses is a row the importer would have refused: the database is the
last line of defence, not a second opinion. A later change to one of those constants needs
a migration of its own that replaces the constraint (databases migrated earlier keep the
old one); `tests/adapters/test_migrations.py` pins the values this revision was written with.

Volume tiers live on the product row as two parallel arrays (quantities, unit prices): a
product is written, compared and read as one row, and the elements still have SQL types
that a CHECK can hold to the importer's rules (ADR 0009).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-11
"""

from alembic import op

from pulseshop.core.catalog.product import (
    IDENTIFIER_PATTERN,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_STOCK,
    SKU_PATTERN,
)
from pulseshop.core.money import MAX_AMOUNT
from pulseshop.core.pricing import MAX_QUANTITY

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# numeric(17, 4): 13 digits before the point hold MAX_AMOUNT (10^12), 4 after hold the
# finest ISO 4217 minor unit (CLF, UYW).
AMOUNT_TYPE = "numeric(17, 4)"


def _literal(text: str) -> str:
    """``text`` as an SQL string literal (the patterns hold no quotes, but be exact)."""
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    # The tiers' rules need a look at neighbouring elements, which a CHECK cannot say
    # without a function. Quantities rise from 2 to MAX_QUANTITY; prices are not negative
    # and fall, each below the price for fewer units (the first below the unit price).
    op.execute(
        f"""
        CREATE FUNCTION product_tiers_are_valid(
            quantities integer[], prices numeric[], unit_price numeric
        ) RETURNS boolean
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN cardinality(quantities) = cardinality(prices)
            AND (
                cardinality(quantities) = 0
                OR (
                    array_ndims(quantities) = 1 AND array_lower(quantities, 1) = 1
                    AND array_ndims(prices) = 1 AND array_lower(prices, 1) = 1
                    AND NOT EXISTS (
                        SELECT FROM generate_subscripts(quantities, 1) AS i
                        WHERE quantities[i] IS NULL
                           OR prices[i] IS NULL
                           OR quantities[i] <= coalesce(quantities[i - 1], 1)
                           OR quantities[i] > {MAX_QUANTITY}
                           OR prices[i] < 0
                           OR prices[i] >= coalesce(prices[i - 1], unit_price)
                    )
                )
            )
        """
    )
    op.execute(
        f"""
        CREATE TABLE products (
            id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            sku             text COLLATE "C" NOT NULL
                            CONSTRAINT products_sku_key UNIQUE
                            CONSTRAINT products_sku_format CHECK (sku ~ {_literal(SKU_PATTERN)}),
            name            text NOT NULL
                            CONSTRAINT products_name_not_blank CHECK (name ~ '[^[:space:]]')
                            CONSTRAINT products_name_length CHECK (length(name) <= {MAX_NAME}),
            category        text
                            CONSTRAINT products_category_format
                            CHECK (category ~ {_literal(IDENTIFIER_PATTERN)}),
            description     text
                            CONSTRAINT products_description_length
                            CHECK (length(description) BETWEEN 1 AND {MAX_DESCRIPTION}),
            unit_price      {AMOUNT_TYPE} NOT NULL
                            CONSTRAINT products_unit_price_range
                            CHECK (unit_price BETWEEN 0 AND {MAX_AMOUNT:f}),
            currency        text NOT NULL
                            CONSTRAINT products_currency_format CHECK (currency ~ '^[A-Z]{{3}}$'),
            tax_category    text NOT NULL
                            CONSTRAINT products_tax_category_format
                            CHECK (tax_category ~ {_literal(IDENTIFIER_PATTERN)}),
            active          boolean NOT NULL DEFAULT true,
            tier_quantities integer[] NOT NULL DEFAULT '{{}}',
            tier_prices     {AMOUNT_TYPE}[] NOT NULL DEFAULT '{{}}',
            created_at      timestamptz NOT NULL DEFAULT now(),
            updated_at      timestamptz NOT NULL DEFAULT now(),
            -- Most products have no tiers: they skip the function call.
            CONSTRAINT products_tiers_valid
                CHECK (cardinality(tier_quantities) + cardinality(tier_prices) = 0
                       OR product_tiers_are_valid(tier_quantities, tier_prices, unit_price))
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE inventory (
            product_id  bigint PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
            stock       integer NOT NULL
                        CONSTRAINT inventory_stock_range CHECK (stock BETWEEN 0 AND {MAX_STOCK}),
            updated_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    # One row per finished attempt, applied or not. The clock of `started_at` is the
    # importer's and that of `finished_at` the server's, so no CHECK orders them.
    op.execute(
        """
        CREATE TABLE catalog_imports (
            id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            file_sha256  text NOT NULL
                         CONSTRAINT catalog_imports_file_sha256_format
                         CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
            file_name    text NOT NULL
                         CONSTRAINT catalog_imports_file_name_not_empty CHECK (file_name <> ''),
            started_at   timestamptz NOT NULL,
            finished_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
            policy       text NOT NULL
                         CONSTRAINT catalog_imports_policy_known
                         CHECK (policy IN ('reject-all', 'skip-rows')),
            dry_run      boolean NOT NULL,
            created      integer NOT NULL CONSTRAINT catalog_imports_created_range
                         CHECK (created >= 0),
            updated      integer NOT NULL CONSTRAINT catalog_imports_updated_range
                         CHECK (updated >= 0),
            unchanged    integer NOT NULL CONSTRAINT catalog_imports_unchanged_range
                         CHECK (unchanged >= 0),
            failed       integer NOT NULL CONSTRAINT catalog_imports_failed_range
                         CHECK (failed >= 0),
            outcome      text NOT NULL
                         CONSTRAINT catalog_imports_outcome_known
                         CHECK (outcome IN ('applied', 'rejected', 'dry-run', 'unchanged')),
            CONSTRAINT catalog_imports_dry_run_outcome
                CHECK (dry_run = (outcome = 'dry-run')),
            CONSTRAINT catalog_imports_rejected_has_failures
                CHECK (outcome <> 'rejected' OR failed > 0),
            CONSTRAINT catalog_imports_reject_all_writes_only_clean_files
                CHECK (outcome NOT IN ('applied', 'unchanged') OR policy = 'skip-rows'
                       OR failed = 0),
            CONSTRAINT catalog_imports_applied_changed_something
                CHECK (outcome <> 'applied' OR created + updated > 0),
            CONSTRAINT catalog_imports_unchanged_changed_nothing
                CHECK (outcome <> 'unchanged' OR created + updated = 0)
        )
        """
    )
    # "Was this file imported before?": the latest import of a hash.
    op.execute("CREATE INDEX catalog_imports_file_sha256_id ON catalog_imports (file_sha256, id)")
    # The problems of an import in the order they were reported; `position` keeps that
    # order and makes the key, since one line may hold the same problem in two columns or
    # a problem may name no column at all.
    op.execute(
        """
        CREATE TABLE catalog_import_errors (
            import_id    bigint NOT NULL REFERENCES catalog_imports (id) ON DELETE CASCADE,
            position     integer NOT NULL
                         CONSTRAINT catalog_import_errors_position_range CHECK (position > 0),
            line         integer NOT NULL
                         CONSTRAINT catalog_import_errors_line_range CHECK (line > 0),
            column_name  text
                         CONSTRAINT catalog_import_errors_column_name_not_empty
                         CHECK (column_name <> ''),
            code         text NOT NULL
                         CONSTRAINT catalog_import_errors_code_format
                         CHECK (code ~ '^[a-z][a-z0-9_]*$'),
            message      text NOT NULL
                         CONSTRAINT catalog_import_errors_message_not_empty CHECK (message <> ''),
            PRIMARY KEY (import_id, position)
        )
        """
    )
