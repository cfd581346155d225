"""Number outbox rows in the order they are published, for clients that catch up.

The live order feed (Phoenix channels ``orders:*``) lets a client that was away ask for
the events it missed after the last one it saw. An outbox row's ``id`` cannot serve: ids
are taken when a transaction inserts, not when it commits, so a row with a smaller id can
commit after one with a larger id, and a client that saw the larger one would never be
sent the smaller. The relay numbers rows instead when it publishes them
(``published_seq``), one relay transaction at a time (it holds an advisory lock), so a
reader that sees number n committed has every number below n committed too.

Rows are relayed topic by topic (the order feed now, the jobs later), so the index of rows
still to publish leads with the topic: a relay of one topic never walks another's backlog.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE outbox_published_seq AS bigint")
    op.execute(
        """
        ALTER TABLE outbox
            ADD COLUMN published_seq bigint
                CONSTRAINT outbox_published_seq_key UNIQUE,
            ADD CONSTRAINT outbox_published_numbered
                CHECK ((published_seq IS NULL) = (published_at IS NULL))
        """
    )
    # Owned by the column: dropped with it, and restarted by TRUNCATE ... RESTART IDENTITY.
    op.execute("ALTER SEQUENCE outbox_published_seq OWNED BY outbox.published_seq")
    op.execute("DROP INDEX outbox_id_unpublished")
    op.execute(
        "CREATE INDEX outbox_topic_id_unpublished ON outbox (topic, id) WHERE published_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX outbox_topic_id_unpublished")
    op.execute("CREATE INDEX outbox_id_unpublished ON outbox (id) WHERE published_at IS NULL")
    # The sequence, owned by the column, goes with it.
    op.execute(
        "ALTER TABLE outbox DROP CONSTRAINT outbox_published_numbered, DROP COLUMN published_seq"
    )
