"""Create checkout's tables: orders and their lines, payments, refunds, idempotency keys, the
audit log and the outbox.

Checkout writes all of them in one transaction (ARCHITECTURE.md, data flow 3).

**Totals.** An order's amounts are copied from the pricing core's quote
(`pulseshop.core.pricing.Quote`), and the database checks them again. ``prices_include_tax``
is the quote's: without tax in prices the tax comes on top,
``total = subtotal - discount_total + shipping_total + tax_total``; with tax in prices it is
already inside the subtotal and shipping, ``total = subtotal - discount_total +
shipping_total``, and ``tax_total`` is the part of the total that is tax. A tax-exempt
customer pays no tax (``tax_total = 0``); with tax in prices the tax is taken out of the
prices, and ``tax_exempted`` (the quote's ``tax_exemption.amount``) says how much. Shipping
discounts are already taken off ``shipping_total``; ``discount_total`` holds the lines'.
A line's ``line_total`` is its gross, which includes its ``tax`` either way.

**Money moves.** ``captured`` and ``refunded`` of an order and of a payment only grow, with
``0 <= refunded <= captured`` (and at most the total, or the authorized amount). A status
and the amounts agree: nothing captured while an order awaits payment, everything captured
once it is paid, a refunded order or payment has given back all it captured. Refunds of a
payment add up to its ``refunded``; that sum spans rows, so it is the code's to keep.

**Append-only audit log.** A trigger refuses UPDATE and DELETE of `audit_log` rows, and
TRUNCATE of a log that holds any. Two things pass: deleting a user sets the actor of their
entries to NULL (the foreign key's own ON DELETE SET NULL, which is an UPDATE), and
TRUNCATE of an empty log, which erases nothing (the test suite empties every table between
tests). To erase entries on purpose, a superuser runs ``SET session_replication_role =
replica`` in a session of its own: ordinary triggers do not fire then.

**Clocks.** Times default to the server's clock (``now()``). Unlike revision 0004, some
CHECKs here compare times of different writes (``updated_at >= created_at``, an outbox
row's ``published_at >= created_at``): a writer that passes its own time must not move a
row back before it was created, and the outbox relay stamps ``published_at`` with ``now()``.

**Versions.** An order's and a payment's ``version`` is the core's: the number of events
applied to it, 0 when it is created (`pulseshop.core.orders`). Writers compare it
(optimistic concurrency), as for carts.

As in revision 0002, the statuses, the SKU format and the most units of a line come from
the core's constants (the SKU pattern without bounded repetition, as revision 0003 writes
it), and `tests/adapters/test_orders_schema.py` pins the values this revision was written
with. The statements each index serves are written there too.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import re

from alembic import op

from pulseshop.core.cart import MAX_LINE_QUANTITY
from pulseshop.core.catalog.product import SKU_PATTERN
from pulseshop.core.orders import OrderStatus, PaymentStatus

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# numeric(17, 4), as revision 0002 chose for the catalog's prices.
AMOUNT_TYPE = "numeric(17, 4)"

ORDER_STATUSES = tuple(status.value for status in OrderStatus)
PAYMENT_STATUSES = tuple(status.value for status in PaymentStatus)

# An Idempotency-Key header value: printable ASCII (space to tilde), 1 to 255 characters.
IDEMPOTENCY_KEY_PATTERN = "^[ -~]*$"
MAX_IDEMPOTENCY_KEY = 255
SHA256_BYTES = 32

AUDIT_ACTION_PATTERN = r"^[a-z_]+\.[a-z_]+$"
AUDIT_TARGET_TYPE_PATTERN = "^[a-z_]+$"
OUTBOX_TOPIC_PATTERN = r"^[a-z_]+(\.[a-z_]+)*$"

# As in revision 0003: `^[first][more]{0,N}$` is matched as `^[first][more]*$` with a
# length bound, which accepts the same strings at a fraction of the cost.
_BOUNDED_SHAPE = re.compile(r"\^(?P<first>\[[^]]+\])(?P<more>\[[^]]+\])\{0,(?P<most>\d+)\}\$")


def _unbounded(pattern: str) -> tuple[str, int]:
    """``^[first][more]{0,N}$`` as ``^[first][more]*$``, and the most characters it
    accepts (1 + N)."""
    shape = _BOUNDED_SHAPE.fullmatch(pattern)
    if shape is None:
        raise ValueError(f"{pattern!r} is not of the shape ^[...][...]{{0,N}}$")
    return f"^{shape['first']}{shape['more']}*$", 1 + int(shape["most"])


SKU_UNBOUNDED, MAX_SKU = _unbounded(SKU_PATTERN)


def _literal(text: str) -> str:
    """``text`` as an SQL string literal (the patterns hold no quotes, but be exact)."""
    return "'" + text.replace("'", "''") + "'"


def _list(values: tuple[str, ...]) -> str:
    return ", ".join(_literal(value) for value in values)


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE idempotency_keys (
            id               bigint GENERATED ALWAYS AS IDENTITY
                             CONSTRAINT idempotency_keys_pkey PRIMARY KEY,
            user_id          bigint NOT NULL
                             CONSTRAINT idempotency_keys_user_id_fkey
                             REFERENCES users (id) ON DELETE CASCADE,
            endpoint         text COLLATE "C" NOT NULL
                             CONSTRAINT idempotency_keys_endpoint_not_empty
                             CHECK (endpoint <> ''),
            key              text COLLATE "C" NOT NULL
                             CONSTRAINT idempotency_keys_key_format
                             CHECK (key ~ {_literal(IDEMPOTENCY_KEY_PATTERN)}
                                    AND char_length(key) BETWEEN 1 AND {MAX_IDEMPOTENCY_KEY}),
            request_sha256   bytea NOT NULL
                             CONSTRAINT idempotency_keys_request_sha256_length
                             CHECK (octet_length(request_sha256) = {SHA256_BYTES}),
            -- Both NULL while the first request is in flight; both set once it answered.
            response_status  smallint
                             CONSTRAINT idempotency_keys_response_status_range
                             CHECK (response_status BETWEEN 100 AND 599),
            response_body    jsonb,
            locked_at        timestamptz,
            created_at       timestamptz NOT NULL DEFAULT now(),
            expires_at       timestamptz NOT NULL,
            CONSTRAINT idempotency_keys_user_id_endpoint_key_key UNIQUE (user_id, endpoint, key),
            CONSTRAINT idempotency_keys_response_complete
                CHECK ((response_status IS NULL) = (response_body IS NULL)),
            CONSTRAINT idempotency_keys_expires_after_created CHECK (expires_at > created_at)
        )
        """
    )
    # The sweep: keys expired by a time, oldest first, a batch at a time.
    op.execute("CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at)")

    statuses = _list(ORDER_STATUSES)
    # `total >= 0` follows from `orders_money_moves` (0 <= refunded <= captured <= total):
    # a CHECK of its own could never be the only one to refuse a row.
    amounts = ("subtotal", "discount_total", "shipping_total", "tax_total", "tax_exempted")
    amount_columns = "".join(
        f"""
            {column} {AMOUNT_TYPE} NOT NULL
                CONSTRAINT orders_{column}_range CHECK ({column} >= 0),"""
        for column in amounts
    )
    op.execute(
        f"""
        CREATE TABLE orders (
            id                  bigint GENERATED ALWAYS AS IDENTITY
                                CONSTRAINT orders_pkey PRIMARY KEY,
            user_id             bigint NOT NULL
                                CONSTRAINT orders_user_id_fkey
                                REFERENCES users (id) ON DELETE RESTRICT,
            status              text NOT NULL
                                CONSTRAINT orders_status_known CHECK (status IN ({statuses})),
            currency            text NOT NULL
                                CONSTRAINT orders_currency_format CHECK (currency ~ '^[A-Z]{{3}}$'),
            prices_include_tax  boolean NOT NULL,{amount_columns}
            total               {AMOUNT_TYPE} NOT NULL,
            captured            {AMOUNT_TYPE} NOT NULL DEFAULT 0,
            refunded            {AMOUNT_TYPE} NOT NULL DEFAULT 0,
            idempotency_key_id  bigint
                                CONSTRAINT orders_idempotency_key_id_key UNIQUE
                                CONSTRAINT orders_idempotency_key_id_fkey
                                REFERENCES idempotency_keys (id) ON DELETE SET NULL,
            version             integer NOT NULL DEFAULT 0
                                CONSTRAINT orders_version_range CHECK (version >= 0),
            created_at          timestamptz NOT NULL DEFAULT now(),
            updated_at          timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT orders_total_sum CHECK (
                total = subtotal - discount_total + shipping_total
                        + CASE WHEN prices_include_tax THEN -tax_exempted ELSE tax_total END
            ),
            CONSTRAINT orders_tax_within_total CHECK (tax_total <= total),
            CONSTRAINT orders_exempt_pays_no_tax CHECK (tax_exempted = 0 OR tax_total = 0),
            CONSTRAINT orders_money_moves
                CHECK (0 <= refunded AND refunded <= captured AND captured <= total),
            CONSTRAINT orders_status_amounts CHECK (
                CASE status
                    WHEN 'pending_payment' THEN captured = 0
                    WHEN 'paid' THEN captured = total AND refunded = 0
                    WHEN 'fulfilled' THEN captured = total AND refunded = 0
                    WHEN 'partially_refunded' THEN refunded > 0 AND refunded < captured
                    WHEN 'refunded' THEN refunded > 0 AND refunded = captured
                    WHEN 'cancelled' THEN refunded = captured
                END
            ),
            CONSTRAINT orders_updated_after_created CHECK (updated_at >= created_at)
        )
        """
    )
    # A user's orders, newest first, a page at a time after a (created_at, id) cursor; also
    # what deleting a user looks up to refuse it.
    op.execute("CREATE INDEX orders_user_id_created_at_id ON orders (user_id, created_at, id)")
    # Every order, newest first, for staff.
    op.execute("CREATE INDEX orders_created_at_id ON orders (created_at, id)")

    op.execute(
        f"""
        CREATE TABLE order_lines (
            order_id    bigint NOT NULL
                        CONSTRAINT order_lines_order_id_fkey
                        REFERENCES orders (id) ON DELETE CASCADE,
            position    smallint NOT NULL
                        CONSTRAINT order_lines_position_range CHECK (position > 0),
            sku         text COLLATE "C" NOT NULL
                        CONSTRAINT order_lines_sku_format
                        CHECK (sku ~ {_literal(SKU_UNBOUNDED)} AND char_length(sku) <= {MAX_SKU}),
            -- NULL once the product has left the catalog; the SKU and name stay.
            product_id  bigint
                        CONSTRAINT order_lines_product_id_fkey
                        REFERENCES products (id) ON DELETE SET NULL,
            name        text NOT NULL
                        CONSTRAINT order_lines_name_not_blank CHECK (name ~ '[^[:space:]]'),
            quantity    integer NOT NULL
                        CONSTRAINT order_lines_quantity_range
                        CHECK (quantity BETWEEN 1 AND {MAX_LINE_QUANTITY}),
            unit_price  {AMOUNT_TYPE} NOT NULL
                        CONSTRAINT order_lines_unit_price_range CHECK (unit_price >= 0),
            line_total  {AMOUNT_TYPE} NOT NULL
                        CONSTRAINT order_lines_line_total_range CHECK (line_total >= 0),
            tax         {AMOUNT_TYPE} NOT NULL
                        CONSTRAINT order_lines_tax_range CHECK (tax >= 0),
            CONSTRAINT order_lines_pkey PRIMARY KEY (order_id, position)
        )
        """
    )
    # Deleting a product sets its lines' product_id to NULL: without this index each
    # deletion reads every line.
    op.execute("CREATE INDEX order_lines_product_id ON order_lines (product_id)")

    op.execute(
        f"""
        CREATE TABLE payments (
            id                  bigint GENERATED ALWAYS AS IDENTITY
                                CONSTRAINT payments_pkey PRIMARY KEY,
            order_id            bigint NOT NULL
                                CONSTRAINT payments_order_id_fkey
                                REFERENCES orders (id) ON DELETE RESTRICT,
            status              text NOT NULL
                                CONSTRAINT payments_status_known
                                CHECK (status IN ({_list(PAYMENT_STATUSES)})),
            currency            text NOT NULL
                                CONSTRAINT payments_currency_format
                                CHECK (currency ~ '^[A-Z]{{3}}$'),
            amount              {AMOUNT_TYPE} NOT NULL
                                CONSTRAINT payments_amount_range CHECK (amount > 0),
            captured            {AMOUNT_TYPE} NOT NULL DEFAULT 0,
            refunded            {AMOUNT_TYPE} NOT NULL DEFAULT 0,
            provider            text NOT NULL
                                CONSTRAINT payments_provider_not_empty CHECK (provider <> ''),
            -- NULL when the provider never answered (a failed attempt).
            provider_reference  text
                                CONSTRAINT payments_provider_reference_not_empty
                                CHECK (provider_reference <> ''),
            version             integer NOT NULL DEFAULT 0
                                CONSTRAINT payments_version_range CHECK (version >= 0),
            created_at          timestamptz NOT NULL DEFAULT now(),
            updated_at          timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT payments_provider_provider_reference_key
                UNIQUE (provider, provider_reference),
            CONSTRAINT payments_money_moves
                CHECK (0 <= refunded AND refunded <= captured AND captured <= amount),
            CONSTRAINT payments_status_amounts CHECK (
                CASE status
                    WHEN 'authorized' THEN captured = 0
                    WHEN 'voided' THEN captured = 0
                    WHEN 'failed' THEN captured = 0
                    WHEN 'captured' THEN captured > 0 AND refunded = 0
                    WHEN 'partially_refunded' THEN refunded > 0 AND refunded < captured
                    WHEN 'refunded' THEN refunded > 0 AND refunded = captured
                END
            ),
            CONSTRAINT payments_updated_after_created CHECK (updated_at >= created_at)
        )
        """
    )
    # An order's payments, in the order they were made; also what deleting an order
    # looks up to refuse it.
    op.execute("CREATE INDEX payments_order_id_id ON payments (order_id, id)")

    op.execute(
        f"""
        CREATE TABLE refunds (
            id                  bigint GENERATED ALWAYS AS IDENTITY
                                CONSTRAINT refunds_pkey PRIMARY KEY,
            payment_id          bigint NOT NULL
                                CONSTRAINT refunds_payment_id_fkey
                                REFERENCES payments (id) ON DELETE RESTRICT,
            amount              {AMOUNT_TYPE} NOT NULL
                                CONSTRAINT refunds_amount_range CHECK (amount > 0),
            reason              text
                                CONSTRAINT refunds_reason_not_blank CHECK (reason ~ '[^[:space:]]'),
            provider_reference  text NOT NULL
                                CONSTRAINT refunds_provider_reference_key UNIQUE
                                CONSTRAINT refunds_provider_reference_not_empty
                                CHECK (provider_reference <> ''),
            created_at          timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    # A payment's refunds, in the order they were made.
    op.execute("CREATE INDEX refunds_payment_id_id ON refunds (payment_id, id)")

    op.execute(
        f"""
        CREATE TABLE audit_log (
            id             bigint GENERATED ALWAYS AS IDENTITY
                           CONSTRAINT audit_log_pkey PRIMARY KEY,
            -- NULL for the system's own actions, and once the user is deleted.
            actor_user_id  bigint
                           CONSTRAINT audit_log_actor_user_id_fkey
                           REFERENCES users (id) ON DELETE SET NULL,
            action         text NOT NULL
                           CONSTRAINT audit_log_action_format
                           CHECK (action ~ {_literal(AUDIT_ACTION_PATTERN)}),
            target_type    text
                           CONSTRAINT audit_log_target_type_format
                           CHECK (target_type ~ {_literal(AUDIT_TARGET_TYPE_PATTERN)}),
            target_id      text
                           CONSTRAINT audit_log_target_id_not_empty CHECK (target_id <> ''),
            details        jsonb NOT NULL DEFAULT '{{}}'
                           CONSTRAINT audit_log_details_object
                           CHECK (jsonb_typeof(details) = 'object'),
            created_at     timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT audit_log_target_complete
                CHECK ((target_type IS NULL) = (target_id IS NULL))
        )
        """
    )
    # Deleting a user sets the actor of their entries to NULL: without this index each
    # deletion reads the whole log.
    op.execute(
        "CREATE INDEX audit_log_actor_user_id ON audit_log (actor_user_id) "
        "WHERE actor_user_id IS NOT NULL"
    )
    # `audit_log_refuse_change` is a trigger function: it only ever runs for audit_log rows.
    op.execute(
        """
        CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                -- An empty log loses nothing.
                IF NOT EXISTS (SELECT FROM audit_log) THEN
                    RETURN NULL;
                END IF;
            ELSIF TG_OP = 'UPDATE'
                AND OLD.actor_user_id IS NOT NULL AND NEW.actor_user_id IS NULL
                AND to_jsonb(NEW) - 'actor_user_id' = to_jsonb(OLD) - 'actor_user_id'
            THEN
                -- The actor was deleted (ON DELETE SET NULL); the entry stays as it was.
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
                USING ERRCODE = 'restrict_violation',
                      HINT = 'Audit entries are written once and never changed or removed.';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()"
    )

    op.execute(
        f"""
        CREATE TABLE outbox (
            id            bigint GENERATED ALWAYS AS IDENTITY
                          CONSTRAINT outbox_pkey PRIMARY KEY,
            topic         text NOT NULL
                          CONSTRAINT outbox_topic_format
                          CHECK (topic ~ {_literal(OUTBOX_TOPIC_PATTERN)}),
            payload       jsonb NOT NULL
                          CONSTRAINT outbox_payload_object CHECK (jsonb_typeof(payload) = 'object'),
            created_at    timestamptz NOT NULL DEFAULT now(),
            published_at  timestamptz,
            attempts      integer NOT NULL DEFAULT 0
                          CONSTRAINT outbox_attempts_range CHECK (attempts >= 0),
            CONSTRAINT outbox_published_after_created CHECK (published_at >= created_at)
        )
        """
    )
    # The relay: rows not yet published, oldest first. Published rows leave the index.
    op.execute("CREATE INDEX outbox_id_unpublished ON outbox (id) WHERE published_at IS NULL")


def downgrade() -> None:
    op.execute("DROP TABLE outbox")
    op.execute("DROP TABLE audit_log")
    op.execute("DROP FUNCTION audit_log_refuse_change()")
    op.execute("DROP TABLE refunds")
    op.execute("DROP TABLE payments")
    op.execute("DROP TABLE order_lines")
    op.execute("DROP TABLE orders")
    op.execute("DROP TABLE idempotency_keys")
