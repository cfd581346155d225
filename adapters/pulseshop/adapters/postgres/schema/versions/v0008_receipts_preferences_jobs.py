"""Receipts sent, users' preferences, and outbox rows published as jobs.

``receipts`` records, once per order, that its receipt e-mail was sent (or skipped, when the
user asked for no receipts): the job that sends it looks here first, so a message delivered
twice sends one e-mail. ``user_preferences`` holds what a user chose: the currency amounts
are shown in (NULL: the shop's) and whether receipts are e-mailed to them.

Outbox rows now leave the outbox in two ways: rows of the live order feed are numbered as
they are published (revision 0006), rows of jobs (``email.receipt``) are handed to the job
queue and only stamped ``published_at``. The CHECK that tied the two columns together
becomes one way: a number implies a publication, not the reverse.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE receipts (
            order_id     bigint
                         CONSTRAINT receipts_pkey PRIMARY KEY
                         CONSTRAINT receipts_order_id_fkey
                         REFERENCES orders (id) ON DELETE CASCADE,
            outcome      text NOT NULL
                         CONSTRAINT receipts_outcome_known CHECK (outcome IN ('sent', 'skipped')),
            recipient    text
                         CONSTRAINT receipts_recipient_length CHECK (length(recipient) <= 254),
            transport    text
                         CONSTRAINT receipts_transport_known CHECK (transport IN ('smtp', 'file')),
            message_id   text NOT NULL
                         CONSTRAINT receipts_message_id_length
                         CHECK (length(message_id) BETWEEN 1 AND 255),
            recorded_at  timestamptz NOT NULL,
            CONSTRAINT receipts_sent_has_recipient CHECK (
                (outcome = 'sent') = (recipient IS NOT NULL AND transport IS NOT NULL)
            )
        )
        """
    )
    op.execute(
        """
        CREATE TABLE user_preferences (
            user_id           bigint
                              CONSTRAINT user_preferences_pkey PRIMARY KEY
                              CONSTRAINT user_preferences_user_id_fkey
                              REFERENCES users (id) ON DELETE CASCADE,
            display_currency  text
                              CONSTRAINT user_preferences_currency_format
                              CHECK (display_currency ~ '^[A-Z]{3}$'),
            receipt_emails    boolean NOT NULL DEFAULT true,
            updated_at        timestamptz NOT NULL
        )
        """
    )
    op.execute("ALTER TABLE outbox DROP CONSTRAINT outbox_published_numbered")
    op.execute(
        """
        ALTER TABLE outbox ADD CONSTRAINT outbox_numbered_when_published
            CHECK (published_seq IS NULL OR published_at IS NOT NULL)
        """
    )


def downgrade() -> None:
    # Job rows published without a number go back to unpublished, as the older CHECK needs.
    op.execute(
        "UPDATE outbox SET published_at = NULL WHERE published_seq IS NULL"
        " AND published_at IS NOT NULL"
    )
    op.execute("ALTER TABLE outbox DROP CONSTRAINT outbox_numbered_when_published")
    op.execute(
        """
        ALTER TABLE outbox ADD CONSTRAINT outbox_published_numbered
            CHECK ((published_seq IS NULL) = (published_at IS NULL))
        """
    )
    op.execute("DROP TABLE user_preferences")
    op.execute("DROP TABLE receipts")
