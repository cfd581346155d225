"""The marketplace feed: events applied once, the orders they tell, and the events refused.

``feed_events`` holds every event applied, keyed by its ``event_id``: the consumer inserts
with ``ON CONFLICT (event_id) DO NOTHING`` and applies only what was inserted, so an event
delivered twice (by the feed, or by the queue) has one effect. ``outcome`` says whether it
was counted into its order or refused (another currency than the order's).
``marketplace_orders`` is what the events tell of each order. Format CHECKs are written
without bounded repetition, as revision 0003 explains. ``feed_rejects`` keeps the
events refused at intake with their problems, for someone to look at and send again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE marketplace_orders (
            marketplace    text NOT NULL
                           CONSTRAINT marketplace_orders_marketplace_format
                           CHECK (
                               marketplace ~ '^[a-z0-9][a-z0-9_-]*$'
                               AND char_length(marketplace) <= 64
                           ),
            order_ref      text NOT NULL
                           CONSTRAINT marketplace_orders_order_ref_length
                           CHECK (length(order_ref) BETWEEN 1 AND 128),
            currency       text
                           CONSTRAINT marketplace_orders_currency_format
                           CHECK (currency ~ '^[A-Z]{3}$'),
            status         text NOT NULL
                           CONSTRAINT marketplace_orders_status_known CHECK (
                               status IN ('placed', 'paid', 'shipped', 'refunded', 'cancelled')
                           ),
            total          numeric(20, 4)
                           CONSTRAINT marketplace_orders_total_positive CHECK (total > 0),
            paid           numeric(24, 4) NOT NULL
                           CONSTRAINT marketplace_orders_paid_not_negative CHECK (paid >= 0),
            refunded       numeric(24, 4) NOT NULL
                           CONSTRAINT marketplace_orders_refunded_not_negative
                           CHECK (refunded >= 0),
            seen           text[] NOT NULL,
            events         integer NOT NULL
                           CONSTRAINT marketplace_orders_events_not_negative CHECK (events >= 0),
            last_event_at  timestamptz NOT NULL,
            placed_at      timestamptz,
            updated_at     timestamptz NOT NULL,
            CONSTRAINT marketplace_orders_pkey PRIMARY KEY (marketplace, order_ref),
            CONSTRAINT marketplace_orders_placed_has_total
                CHECK ((placed_at IS NULL) = (total IS NULL)),
            CONSTRAINT marketplace_orders_amounts_have_currency
                CHECK (currency IS NOT NULL OR (total IS NULL AND paid = 0 AND refunded = 0))
        )
        """
    )
    op.execute(
        """
        CREATE TABLE feed_events (
            event_id     text
                         CONSTRAINT feed_events_pkey PRIMARY KEY
                         CONSTRAINT feed_events_event_id_format
                         CHECK (
                             event_id ~ '^[A-Za-z0-9._:-]+$' AND char_length(event_id) <= 128
                         ),
            marketplace  text NOT NULL,
            order_ref    text NOT NULL,
            type         text NOT NULL
                         CONSTRAINT feed_events_type_known CHECK (
                             type IN ('order.placed', 'order.paid', 'order.shipped',
                                      'order.cancelled', 'order.refunded')
                         ),
            occurred_at  timestamptz NOT NULL,
            payload      jsonb NOT NULL,
            outcome      text NOT NULL
                         CONSTRAINT feed_events_outcome_known
                         CHECK (outcome IN ('applied', 'refused')),
            problem      text,
            applied_at   timestamptz NOT NULL,
            CONSTRAINT feed_events_refused_says_why
                CHECK ((outcome = 'refused') = (problem IS NOT NULL))
        )
        """
    )
    op.execute(
        "CREATE INDEX feed_events_marketplace_order_ref_occurred_at"
        " ON feed_events (marketplace, order_ref, occurred_at)"
    )
    op.execute(
        """
        CREATE TABLE feed_rejects (
            id           bigint GENERATED ALWAYS AS IDENTITY
                         CONSTRAINT feed_rejects_pkey PRIMARY KEY,
            received_at  timestamptz NOT NULL,
            origin       text NOT NULL
                         CONSTRAINT feed_rejects_origin_format
                         CHECK (length(origin) BETWEEN 1 AND 300),
            position     integer NOT NULL
                         CONSTRAINT feed_rejects_position_not_negative CHECK (position >= 0),
            event_id     text,
            problems     jsonb NOT NULL,
            raw          text NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX feed_rejects_received_at ON feed_rejects (received_at)")


def downgrade() -> None:
    op.execute("DROP TABLE feed_rejects")
    op.execute("DROP TABLE feed_events")
    op.execute("DROP TABLE marketplace_orders")
