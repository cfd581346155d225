"""Create schema_info: one row saying which product owns this database and since when.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE schema_info (
            id          boolean PRIMARY KEY DEFAULT true CHECK (id),
            product     text        NOT NULL CHECK (product = 'pulseshop'),
            created_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("INSERT INTO schema_info (product) VALUES ('pulseshop')")
