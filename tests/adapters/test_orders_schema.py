"""The constraints, triggers and indexes of checkout's tables (revision 0005, and the
outbox's publication numbers of revision 0006).

PostgreSQL applies a table's CHECKs in the order of their names and names the first that
fails, so each bad row below breaks exactly one rule. Audit entries can be neither deleted
nor truncated away once written, so tests that write some roll their transaction back.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import asyncpg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from pulseshop.adapters.postgres import head_revision, upgrade_to_head
from pulseshop.adapters.postgres.migrations import SCRIPT_LOCATION
from pulseshop.adapters.postgres.orders import (
    ALL_ORDERS_FIRST_PAGE_SQL,
    ALL_ORDERS_NEXT_PAGE_SQL,
    ORDER_LINES_SQL,
    ORDER_SQL,
    USER_ORDERS_FIRST_PAGE_SQL,
    USER_ORDERS_NEXT_PAGE_SQL,
)
from pulseshop.adapters.postgres.payments import ORDER_PAYMENTS_SQL, PAYMENT_REFUNDS_SQL
from pulseshop.core.cart import MAX_LINE_QUANTITY
from pulseshop.core.catalog.product import SKU_PATTERN
from pulseshop.core.orders import OrderStatus, PaymentStatus
from tests.support.postgres import create_database, drop_database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence

    from sqlalchemy.engine import Connection

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl

pytestmark = pytest.mark.integration

NOW: Final = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LATER: Final = NOW + timedelta(days=1)
HASH: Final = hashlib.sha256(b"request").digest()
D = Decimal

NEW_TABLES: Final = (
    "idempotency_keys",
    "orders",
    "order_lines",
    "payments",
    "refunds",
    "audit_log",
    "outbox",
)
# The values of the core that revision 0005 wrote into CHECK constraints.
ORDER_RULES_OF_0005: Final = (
    ("pending_payment", "paid", "fulfilled", "cancelled", "partially_refunded", "refunded"),
    ("authorized", "captured", "partially_refunded", "refunded", "voided", "failed"),
    "^[A-Z0-9][A-Z0-9._-]{0,63}$",
    999,
)

# The statements checkout, the order pages and the background jobs run, each served by an
# index (`TestIndexes`). Lists are newest first and paged by a (created_at, id) cursor: the
# next page starts after the last row of the previous one.
IDEMPOTENCY_KEY_SQL: Final = (
    "SELECT * FROM idempotency_keys WHERE user_id = $1 AND endpoint = $2 AND key = $3 FOR UPDATE"
)
# The relay's pick, as `pulseshop.adapters.postgres.order_events` writes it since revision 0006.
UNPUBLISHED_OUTBOX_SQL: Final = (
    "SELECT id FROM outbox WHERE published_at IS NULL AND topic = ANY($1::text[]) "
    "ORDER BY id LIMIT $2 FOR UPDATE"
)
PUBLISHED_AFTER_SQL: Final = (
    "SELECT published_seq, topic, payload FROM outbox WHERE published_seq > $1 "
    "ORDER BY published_seq LIMIT $2"
)
PRODUCTS_BY_SKU_SQL: Final = (
    "SELECT id, sku, name, unit_price, currency, tax_category, active FROM products "
    "WHERE sku = ANY($1::text[])"
)
EXPIRED_IDEMPOTENCY_KEYS_SQL: Final = (
    "DELETE FROM idempotency_keys WHERE id IN ("
    "SELECT id FROM idempotency_keys WHERE expires_at <= $1 "
    "ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
)

Row = dict[str, object]


class _RollBackError(Exception):
    """Raised to leave a transaction by rolling it back."""


@asynccontextmanager
async def _rolled_back(database: PostgresDatabase) -> AsyncIterator[None]:
    """A transaction that is rolled back at the end of the block."""
    with suppress(_RollBackError):
        async with database.transaction():
            yield
            raise _RollBackError


def _insert_sql(table: str, columns: Sequence[str], returning: str) -> str:
    placeholders = ", ".join(f"${number}" for number in range(1, len(columns) + 1))
    # The table and column names are this module's own; every value is a parameter.
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
        f" RETURNING {returning}"
    )


async def _insert(
    database: PostgresDatabase, table: str, row: Mapping[str, object], returning: str = "id"
) -> int:
    value = await database.fetch_value(_insert_sql(table, list(row), returning), *row.values())
    assert isinstance(value, int)
    return value


async def _refusal(
    database: PostgresDatabase, table: str, row: Mapping[str, object], returning: str = "id"
) -> str | None:
    """The constraint that refuses ``row``, or None when it is stored.

    The insert runs in a transaction of its own (a savepoint inside another), so a refusal
    leaves the surrounding transaction usable.
    """
    try:
        async with database.transaction():
            await _insert(database, table, row, returning)
    except asyncpg.IntegrityConstraintViolationError as error:
        return error.constraint_name or type(error).__name__
    return None


async def _user(database: PostgresDatabase, email: str = "ann@example.com") -> int:
    return await _insert(database, "users", {"email": email, "role": "customer"})


async def _product(database: PostgresDatabase, sku: str = "MUG-1") -> int:
    row: Row = {
        "sku": sku,
        "name": "Mug",
        "unit_price": D("5.00"),
        "currency": "EUR",
        "tax_category": "standard",
    }
    return await _insert(database, "products", row)


def _key_row(user_id: int, /, **changes: object) -> Row:
    row: Row = {
        "user_id": user_id,
        "endpoint": "POST /api/v1/checkout",
        "key": "6f1c2a8e-key",
        "request_sha256": HASH,
        "response_status": None,
        "response_body": None,
        "locked_at": NOW,
        "created_at": NOW,
        "expires_at": LATER,
    }
    return row | changes


def _order_row(user_id: int, /, **changes: object) -> Row:
    """An order without tax in prices: 100 - 10 + 5 + 19 = 114."""
    row: Row = {
        "user_id": user_id,
        "status": "pending_payment",
        "currency": "EUR",
        "prices_include_tax": False,
        "subtotal": D(100),
        "discount_total": D(10),
        "shipping_total": D(5),
        "tax_total": D(19),
        "tax_exempted": D(0),
        "total": D(114),
        "captured": D(0),
        "refunded": D(0),
        "idempotency_key_id": None,
        "version": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return row | changes


def _line_row(order_id: int, product_id: int | None, /, **changes: object) -> Row:
    row: Row = {
        "order_id": order_id,
        "position": 1,
        "sku": "MUG-1",
        "product_id": product_id,
        "name": "Mug",
        "quantity": 2,
        "unit_price": D("5.00"),
        "line_total": D("11.90"),
        "tax": D("1.90"),
    }
    return row | changes


def _payment_row(order_id: int, /, **changes: object) -> Row:
    row: Row = {
        "order_id": order_id,
        "status": "authorized",
        "currency": "EUR",
        "amount": D(114),
        "captured": D(0),
        "refunded": D(0),
        "provider": "stripe",
        "provider_reference": "pi_1",
        "version": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return row | changes


def _refund_row(payment_id: int, /, **changes: object) -> Row:
    row: Row = {
        "payment_id": payment_id,
        "amount": D(14),
        "reason": "a mug arrived broken",
        "provider_reference": "re_1",
        "created_at": NOW,
    }
    return row | changes


def _audit_row(actor_user_id: int | None, /, **changes: object) -> Row:
    row: Row = {
        "actor_user_id": actor_user_id,
        "action": "order.created",
        "target_type": "order",
        "target_id": "1",
        "details": json.dumps({"total": "114.00"}),
        "created_at": NOW,
    }
    return row | changes


def _outbox_row(**changes: object) -> Row:
    row: Row = {
        "topic": "orders.created",
        "payload": json.dumps({"order_id": 1}),
        "created_at": NOW,
        "published_at": None,
        "attempts": 0,
    }
    return row | changes


async def _order(database: PostgresDatabase, user_id: int, /, **changes: object) -> int:
    return await _insert(database, "orders", _order_row(user_id, **changes))


async def _payment(database: PostgresDatabase, order_id: int, /, **changes: object) -> int:
    return await _insert(database, "payments", _payment_row(order_id, **changes))


class TestPins:
    def test_the_core_rules_are_those_0005_was_written_with(self) -> None:
        """A change to these values needs a new migration that replaces the CHECKs holding
        them (databases already at 0005 keep the old ones); then update this pin."""
        current = (
            tuple(status.value for status in OrderStatus),
            tuple(status.value for status in PaymentStatus),
            SKU_PATTERN,
            MAX_LINE_QUANTITY,
        )

        assert ORDER_RULES_OF_0005 == current


class TestIdempotencyKeys:
    @pytest.mark.parametrize(
        ("changes", "constraint"),
        [
            ({"endpoint": ""}, "idempotency_keys_endpoint_not_empty"),
            ({"key": ""}, "idempotency_keys_key_format"),
            ({"key": "k" * 256}, "idempotency_keys_key_format"),
            ({"key": "clé"}, "idempotency_keys_key_format"),
            ({"key": "key\n"}, "idempotency_keys_key_format"),
            ({"key": "k\tey"}, "idempotency_keys_key_format"),
            ({"key": "key\x7f"}, "idempotency_keys_key_format"),
            ({"request_sha256": HASH[:31]}, "idempotency_keys_request_sha256_length"),
            ({"request_sha256": HASH + b"\0"}, "idempotency_keys_request_sha256_length"),
            (
                {"response_status": 99, "response_body": "{}"},
                "idempotency_keys_response_status_range",
            ),
            (
                {"response_status": 600, "response_body": "{}"},
                "idempotency_keys_response_status_range",
            ),
            ({"response_status": 201}, "idempotency_keys_response_complete"),
            ({"response_body": "{}"}, "idempotency_keys_response_complete"),
            ({"expires_at": NOW}, "idempotency_keys_expires_after_created"),
            ({"user_id": 404}, "idempotency_keys_user_id_fkey"),
        ],
    )
    async def test_refuses_a_bad_key(
        self, database: PostgresDatabase, changes: Row, constraint: str
    ) -> None:
        """Each rule of the table refuses the row that breaks it."""
        user_id = await _user(database)

        assert constraint == await _refusal(
            database, "idempotency_keys", _key_row(user_id, **changes)
        )

    @pytest.mark.parametrize(
        "changes",
        [
            {},
            {"key": "k" * 255},
            {"key": " !~ printable ASCII ~! "},
            {"response_status": 100, "response_body": '{"ok": true}'},
            {"response_status": 599, "response_body": '"a JSON string"'},
        ],
    )
    async def test_accepts_a_good_key(self, database: PostgresDatabase, changes: Row) -> None:
        """In flight or answered, with keys up to 255 printable characters."""
        user_id = await _user(database)

        assert await _refusal(database, "idempotency_keys", _key_row(user_id, **changes)) is None

    async def test_one_key_per_user_and_endpoint(self, database: PostgresDatabase) -> None:
        """The same key again for the same user and endpoint is refused; elsewhere it is
        another key."""
        ann, bob = await _user(database), await _user(database, "bob@example.com")
        await _insert(database, "idempotency_keys", _key_row(ann))

        again = await _refusal(database, "idempotency_keys", _key_row(ann))
        other_user = await _refusal(database, "idempotency_keys", _key_row(bob))
        other_endpoint = await _refusal(
            database, "idempotency_keys", _key_row(ann, endpoint="POST /api/v1/refunds")
        )

        assert "idempotency_keys_user_id_endpoint_key_key" == again
        assert (None, None) == (other_user, other_endpoint)


class TestOrders:
    @pytest.mark.parametrize(
        ("changes", "constraint"),
        [
            ({"status": "shipped"}, "orders_status_known"),
            ({"currency": "eur"}, "orders_currency_format"),
            ({"currency": "EU"}, "orders_currency_format"),
            ({"currency": "EURO"}, "orders_currency_format"),
            ({"currency": "EUR\n"}, "orders_currency_format"),
            (
                {"subtotal": D(-1), "discount_total": D(0), "shipping_total": D(1)}
                | {"tax_total": D(0), "total": D(0)},
                "orders_subtotal_range",
            ),
            ({"discount_total": D(-1), "total": D(125)}, "orders_discount_total_range"),
            ({"shipping_total": D(-1), "total": D(108)}, "orders_shipping_total_range"),
            ({"tax_total": D(-1), "total": D(94)}, "orders_tax_total_range"),
            (
                {"tax_exempted": D(-1), "tax_total": D(0), "total": D(95)},
                "orders_tax_exempted_range",
            ),
            ({"total": D(115)}, "orders_total_sum"),
            ({"prices_include_tax": True}, "orders_total_sum"),
            (
                {"prices_include_tax": True, "tax_total": D(0), "tax_exempted": D(15)},
                "orders_total_sum",
            ),
            (
                {"prices_include_tax": True, "tax_total": D(96), "total": D(95)},
                "orders_tax_within_total",
            ),
            ({"tax_exempted": D(5)}, "orders_exempt_pays_no_tax"),
            (
                {"status": "partially_refunded", "captured": D(115), "refunded": D(1)},
                "orders_money_moves",
            ),
            ({"refunded": D(1)}, "orders_money_moves"),
            ({"refunded": D(-1)}, "orders_money_moves"),
            ({"captured": D(5)}, "orders_status_amounts"),
            ({"status": "paid", "captured": D(100)}, "orders_status_amounts"),
            (
                {"status": "fulfilled", "captured": D(114), "refunded": D(1)},
                "orders_status_amounts",
            ),
            ({"status": "partially_refunded", "captured": D(114)}, "orders_status_amounts"),
            (
                {"status": "refunded", "captured": D(114), "refunded": D(14)},
                "orders_status_amounts",
            ),
            ({"status": "cancelled", "captured": D(114)}, "orders_status_amounts"),
            ({"version": -1}, "orders_version_range"),
            ({"updated_at": NOW - timedelta(seconds=1)}, "orders_updated_after_created"),
            ({"user_id": 404}, "orders_user_id_fkey"),
            ({"idempotency_key_id": 404}, "orders_idempotency_key_id_fkey"),
        ],
    )
    async def test_refuses_a_bad_order(
        self, database: PostgresDatabase, changes: Row, constraint: str
    ) -> None:
        """Each rule of the table refuses the row that breaks it."""
        user_id = await _user(database)

        assert constraint == await _refusal(database, "orders", _order_row(user_id, **changes))

    @pytest.mark.parametrize(
        "changes",
        [
            {},
            # Tax in prices: 100 - 10 + 5 = 95, of which 19 is tax.
            {"prices_include_tax": True, "total": D(95)},
            # Exempt, tax in prices: 15 of tax taken out of the prices.
            {"prices_include_tax": True, "tax_total": D(0), "tax_exempted": D(15), "total": D(80)},
            # Exempt, tax on top: nothing added.
            {"tax_total": D(0), "tax_exempted": D(19), "total": D(95)},
            {"status": "paid", "captured": D(114)},
            {"status": "fulfilled", "captured": D(114)},
            {"status": "partially_refunded", "captured": D(114), "refunded": D(14)},
            {"status": "refunded", "captured": D(114), "refunded": D(114)},
            {"status": "cancelled"},
            {"status": "cancelled", "captured": D(114), "refunded": D(114)},
            # Fully discounted: paid, with nothing to capture.
            {"subtotal": D(0), "discount_total": D(0), "shipping_total": D(0)}
            | {"tax_total": D(0), "total": D(0), "status": "paid"},
        ],
    )
    async def test_accepts_a_good_order(self, database: PostgresDatabase, changes: Row) -> None:
        """Totals as the quote gives them, with or without tax in prices, in every status."""
        user_id = await _user(database)

        assert await _refusal(database, "orders", _order_row(user_id, **changes)) is None

    async def test_one_order_per_idempotency_key(self, database: PostgresDatabase) -> None:
        """A key that created an order cannot create another."""
        user_id = await _user(database)
        key_id = await _insert(database, "idempotency_keys", _key_row(user_id))
        await _order(database, user_id, idempotency_key_id=key_id)

        refusal = await _refusal(database, "orders", _order_row(user_id, idempotency_key_id=key_id))

        assert "orders_idempotency_key_id_key" == refusal


class TestOrderLines:
    @pytest.mark.parametrize(
        ("changes", "constraint"),
        [
            ({"position": 0}, "order_lines_position_range"),
            ({"sku": ""}, "order_lines_sku_format"),
            ({"sku": "mug-1"}, "order_lines_sku_format"),
            ({"sku": "-MUG"}, "order_lines_sku_format"),
            ({"sku": "MUG 1"}, "order_lines_sku_format"),
            ({"sku": "MUG-1\n"}, "order_lines_sku_format"),
            ({"sku": "M" * 65}, "order_lines_sku_format"),
            ({"name": ""}, "order_lines_name_not_blank"),
            ({"name": " \t\n"}, "order_lines_name_not_blank"),
            ({"quantity": 0}, "order_lines_quantity_range"),
            ({"quantity": MAX_LINE_QUANTITY + 1}, "order_lines_quantity_range"),
            ({"unit_price": D(-1)}, "order_lines_unit_price_range"),
            ({"line_total": D(-1)}, "order_lines_line_total_range"),
            ({"tax": D(-1)}, "order_lines_tax_range"),
            ({"order_id": 404}, "order_lines_order_id_fkey"),
            ({"product_id": 404}, "order_lines_product_id_fkey"),
        ],
    )
    async def test_refuses_a_bad_line(
        self, database: PostgresDatabase, changes: Row, constraint: str
    ) -> None:
        """Each rule of the table refuses the row that breaks it."""
        order_id = await _order(database, await _user(database))
        row = _line_row(order_id, await _product(database), **changes)

        assert constraint == await _refusal(database, "order_lines", row, "order_id")

    @pytest.mark.parametrize(
        "changes",
        [
            {},
            {"sku": "M" * 64, "product_id": None},
            {"quantity": MAX_LINE_QUANTITY},
            {"unit_price": D(0), "line_total": D(0), "tax": D(0)},
        ],
    )
    async def test_accepts_a_good_line(self, database: PostgresDatabase, changes: Row) -> None:
        """Up to the cart's most units, the longest SKU, free lines, and no product."""
        order_id = await _order(database, await _user(database))
        row = _line_row(order_id, await _product(database), **changes)

        assert await _refusal(database, "order_lines", row, "order_id") is None

    async def test_one_line_per_position(self, database: PostgresDatabase) -> None:
        """A position holds one line of an order."""
        order_id = await _order(database, await _user(database))
        await _insert(database, "order_lines", _line_row(order_id, None), "order_id")

        refusal = await _refusal(
            database, "order_lines", _line_row(order_id, None, sku="TEA-1"), "order_id"
        )

        assert "order_lines_pkey" == refusal


class TestPayments:
    @pytest.mark.parametrize(
        ("changes", "constraint"),
        [
            ({"status": "pending"}, "payments_status_known"),
            ({"currency": "eur"}, "payments_currency_format"),
            ({"amount": D(0)}, "payments_amount_range"),
            ({"amount": D(-1)}, "payments_amount_range"),
            ({"status": "captured", "captured": D(115)}, "payments_money_moves"),
            ({"refunded": D(1)}, "payments_money_moves"),
            ({"refunded": D(-1)}, "payments_money_moves"),
            ({"captured": D(10)}, "payments_status_amounts"),
            ({"status": "voided", "captured": D(10)}, "payments_status_amounts"),
            ({"status": "failed", "captured": D(10)}, "payments_status_amounts"),
            ({"status": "captured"}, "payments_status_amounts"),
            (
                {"status": "captured", "captured": D(10), "refunded": D(5)},
                "payments_status_amounts",
            ),
            ({"status": "partially_refunded", "captured": D(10)}, "payments_status_amounts"),
            (
                {"status": "refunded", "captured": D(10), "refunded": D(5)},
                "payments_status_amounts",
            ),
            ({"provider": ""}, "payments_provider_not_empty"),
            ({"provider_reference": ""}, "payments_provider_reference_not_empty"),
            ({"version": -1}, "payments_version_range"),
            ({"updated_at": NOW - timedelta(seconds=1)}, "payments_updated_after_created"),
            ({"order_id": 404}, "payments_order_id_fkey"),
        ],
    )
    async def test_refuses_a_bad_payment(
        self, database: PostgresDatabase, changes: Row, constraint: str
    ) -> None:
        """Each rule of the table refuses the row that breaks it."""
        order_id = await _order(database, await _user(database))

        refusal = await _refusal(database, "payments", _payment_row(order_id, **changes))

        assert constraint == refusal

    @pytest.mark.parametrize(
        "changes",
        [
            {},
            {"status": "voided"},
            {"status": "failed", "provider_reference": None},
            {"status": "captured", "captured": D(100)},
            {"status": "partially_refunded", "captured": D(114), "refunded": D(14)},
            {"status": "refunded", "captured": D(114), "refunded": D(114)},
        ],
    )
    async def test_accepts_a_good_payment(self, database: PostgresDatabase, changes: Row) -> None:
        """Every status with amounts that agree with it; a partial capture is captured."""
        order_id = await _order(database, await _user(database))

        assert await _refusal(database, "payments", _payment_row(order_id, **changes)) is None

    async def test_one_payment_per_provider_reference(self, database: PostgresDatabase) -> None:
        """A provider's reference names one payment; another provider's may be the same,
        and attempts the provider never answered have none."""
        order_id = await _order(database, await _user(database))
        await _payment(database, order_id)
        await _payment(database, order_id, status="failed", provider_reference=None)

        again = await _refusal(database, "payments", _payment_row(order_id))
        elsewhere = await _refusal(database, "payments", _payment_row(order_id, provider="adyen"))
        unanswered = await _refusal(
            database, "payments", _payment_row(order_id, status="failed", provider_reference=None)
        )

        assert "payments_provider_provider_reference_key" == again
        assert (None, None) == (elsewhere, unanswered)


class TestRefunds:
    @pytest.mark.parametrize(
        ("changes", "constraint"),
        [
            ({"amount": D(0)}, "refunds_amount_range"),
            ({"amount": D(-1)}, "refunds_amount_range"),
            ({"reason": ""}, "refunds_reason_not_blank"),
            ({"reason": " \n"}, "refunds_reason_not_blank"),
            ({"provider_reference": ""}, "refunds_provider_reference_not_empty"),
            ({"payment_id": 404}, "refunds_payment_id_fkey"),
        ],
    )
    async def test_refuses_a_bad_refund(
        self, database: PostgresDatabase, changes: Row, constraint: str
    ) -> None:
        """Each rule of the table refuses the row that breaks it."""
        payment_id = await _payment(database, await _order(database, await _user(database)))

        assert constraint == await _refusal(database, "refunds", _refund_row(payment_id, **changes))

    async def test_accepts_a_refund_without_a_reason(self, database: PostgresDatabase) -> None:
        """The reason is optional."""
        payment_id = await _payment(database, await _order(database, await _user(database)))

        assert await _refusal(database, "refunds", _refund_row(payment_id, reason=None)) is None

    async def test_one_refund_per_provider_reference(self, database: PostgresDatabase) -> None:
        """The provider's reference names one refund."""
        payment_id = await _payment(database, await _order(database, await _user(database)))
        await _insert(database, "refunds", _refund_row(payment_id))

        refusal = await _refusal(database, "refunds", _refund_row(payment_id))

        assert "refunds_provider_reference_key" == refusal


class TestAuditLog:
    @pytest.mark.parametrize(
        ("changes", "constraint"),
        [
            ({"action": "created"}, "audit_log_action_format"),
            ({"action": "Order.created"}, "audit_log_action_format"),
            ({"action": "order.created.twice"}, "audit_log_action_format"),
            ({"action": "order.created\n"}, "audit_log_action_format"),
            ({"action": "order-1.created"}, "audit_log_action_format"),
            ({"target_type": "Order"}, "audit_log_target_type_format"),
            ({"target_id": ""}, "audit_log_target_id_not_empty"),
            ({"target_type": None}, "audit_log_target_complete"),
            ({"target_id": None}, "audit_log_target_complete"),
            ({"details": "[]"}, "audit_log_details_object"),
            ({"details": "null"}, "audit_log_details_object"),
            ({"actor_user_id": 404}, "audit_log_actor_user_id_fkey"),
        ],
    )
    async def test_refuses_a_bad_entry(
        self, database: PostgresDatabase, changes: Row, constraint: str
    ) -> None:
        """Each rule of the table refuses the row that breaks it."""
        user_id = await _user(database)

        assert constraint == await _refusal(database, "audit_log", _audit_row(user_id, **changes))

    async def test_accepts_entries_of_users_and_of_the_system(
        self, database: PostgresDatabase
    ) -> None:
        """A user's action on a target, and the system's without one."""
        user_id = await _user(database)
        system = _audit_row(None, action="idempotency_keys.swept", target_type=None, target_id=None)

        async with _rolled_back(database):
            by_user = await _refusal(database, "audit_log", _audit_row(user_id))
            by_system = await _refusal(database, "audit_log", system)

        assert (None, None) == (by_user, by_system)

    @pytest.mark.parametrize(
        "sql",
        [
            'UPDATE audit_log SET details = \'{"total": "0"}\'',
            "UPDATE audit_log SET actor_user_id = NULL, action = 'order.forgotten'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
            "TRUNCATE users CASCADE",
        ],
    )
    async def test_entries_are_never_changed_or_removed(
        self, database: PostgresDatabase, sql: str
    ) -> None:
        """UPDATE, DELETE and TRUNCATE of written entries are refused by the trigger."""
        user_id = await _user(database)

        async with _rolled_back(database):
            await _insert(database, "audit_log", _audit_row(user_id))
            with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
                async with database.transaction():
                    await database.execute(sql)
            kept = await database.fetch_value("SELECT count(*) FROM audit_log")

        assert 1 == kept

    async def test_deleting_the_actor_keeps_the_entry(self, database: PostgresDatabase) -> None:
        """ON DELETE SET NULL is the one change an entry takes: it loses its actor."""
        user_id = await _user(database)

        async with _rolled_back(database):
            await _insert(database, "audit_log", _audit_row(user_id))
            await database.execute("DELETE FROM users WHERE id = $1", user_id)
            entry = await database.fetch_one("SELECT actor_user_id, action FROM audit_log")

        assert entry is not None
        assert (None, "order.created") == (entry["actor_user_id"], entry["action"])

    async def test_an_empty_log_can_be_truncated(self, database: PostgresDatabase) -> None:
        """Nothing is lost, so the cleanup that empties every table works."""
        await database.execute("TRUNCATE audit_log")

        assert 0 == await database.fetch_value("SELECT count(*) FROM audit_log")

    async def test_a_superuser_erases_entries_as_a_replica(
        self, database: PostgresDatabase
    ) -> None:
        """With session_replication_role = replica the trigger does not fire (the way out
        the migration documents)."""
        user_id = await _user(database)

        async with _rolled_back(database):
            await _insert(database, "audit_log", _audit_row(user_id))
            await database.execute("SET LOCAL session_replication_role = replica")
            await database.execute("TRUNCATE audit_log")
            left = await database.fetch_value("SELECT count(*) FROM audit_log")

        assert 0 == left


class TestOutbox:
    @pytest.mark.parametrize(
        ("changes", "constraint"),
        [
            ({"topic": ""}, "outbox_topic_format"),
            ({"topic": "Orders.created"}, "outbox_topic_format"),
            ({"topic": "orders."}, "outbox_topic_format"),
            ({"topic": ".orders"}, "outbox_topic_format"),
            ({"topic": "orders..created"}, "outbox_topic_format"),
            ({"topic": "orders created"}, "outbox_topic_format"),
            ({"topic": "orders\n"}, "outbox_topic_format"),
            ({"payload": "[]"}, "outbox_payload_object"),
            ({"payload": '"order"'}, "outbox_payload_object"),
            (
                {"published_at": NOW - timedelta(seconds=1), "published_seq": 1},
                "outbox_published_after_created",
            ),
            ({"attempts": -1}, "outbox_attempts_range"),
            # A number means published (revision 0008: a job row is published unnumbered).
            ({"published_seq": 1}, "outbox_numbered_when_published"),
        ],
    )
    async def test_refuses_a_bad_message(
        self, database: PostgresDatabase, changes: Row, constraint: str
    ) -> None:
        """Each rule of the table refuses the row that breaks it."""
        assert constraint == await _refusal(database, "outbox", _outbox_row(**changes))

    @pytest.mark.parametrize(
        "changes",
        [
            {},
            {"topic": "receipts"},
            {"topic": "order_events.paid.v_two"},
            {"published_at": NOW, "published_seq": 1},
            {"published_at": NOW},
        ],
    )
    async def test_accepts_a_good_message(self, database: PostgresDatabase, changes: Row) -> None:
        """Dotted lower-case topics; published at or after it was written."""
        assert await _refusal(database, "outbox", _outbox_row(**changes)) is None


class TestForeignKeys:
    async def test_deleting_an_order_deletes_its_lines(self, database: PostgresDatabase) -> None:
        """Lines belong to their order."""
        order_id = await _order(database, await _user(database))
        await _insert(database, "order_lines", _line_row(order_id, None), "order_id")

        await database.execute("DELETE FROM orders WHERE id = $1", order_id)

        assert 0 == await database.fetch_value("SELECT count(*) FROM order_lines")

    async def test_a_user_with_orders_cannot_be_deleted(self, database: PostgresDatabase) -> None:
        """Orders are records: their user stays."""
        user_id = await _user(database)
        await _order(database, user_id)

        with pytest.raises(asyncpg.ForeignKeyViolationError, match="orders_user_id_fkey"):
            await database.execute("DELETE FROM users WHERE id = $1", user_id)

    async def test_deleting_a_user_deletes_their_idempotency_keys(
        self, database: PostgresDatabase
    ) -> None:
        """Keys are of no use without their user."""
        user_id = await _user(database)
        await _insert(database, "idempotency_keys", _key_row(user_id))

        await database.execute("DELETE FROM users WHERE id = $1", user_id)

        assert 0 == await database.fetch_value("SELECT count(*) FROM idempotency_keys")

    async def test_a_product_leaving_the_catalog_leaves_the_line(
        self, database: PostgresDatabase
    ) -> None:
        """The line loses its product, and keeps the SKU and name it was sold under."""
        product_id = await _product(database)
        order_id = await _order(database, await _user(database))
        await _insert(database, "order_lines", _line_row(order_id, product_id), "order_id")

        await database.execute("DELETE FROM products WHERE id = $1", product_id)
        line = await database.fetch_one("SELECT product_id, sku, name FROM order_lines")

        assert line is not None
        assert (None, "MUG-1", "Mug") == (line["product_id"], line["sku"], line["name"])

    async def test_an_expired_key_leaves_its_order(self, database: PostgresDatabase) -> None:
        """Sweeping a key keeps the order it created."""
        user_id = await _user(database)
        key_id = await _insert(database, "idempotency_keys", _key_row(user_id))
        order_id = await _order(database, user_id, idempotency_key_id=key_id)

        await database.execute("DELETE FROM idempotency_keys WHERE id = $1", key_id)

        kept = await database.fetch_value(
            "SELECT idempotency_key_id FROM orders WHERE id = $1", order_id
        )
        assert kept is None

    async def test_an_order_with_payments_cannot_be_deleted(
        self, database: PostgresDatabase
    ) -> None:
        """A payment keeps its order."""
        order_id = await _order(database, await _user(database))
        await _payment(database, order_id)

        with pytest.raises(asyncpg.ForeignKeyViolationError, match="payments_order_id_fkey"):
            await database.execute("DELETE FROM orders WHERE id = $1", order_id)

    async def test_a_payment_with_refunds_cannot_be_deleted(
        self, database: PostgresDatabase
    ) -> None:
        """A refund keeps its payment."""
        payment_id = await _payment(database, await _order(database, await _user(database)))
        await _insert(database, "refunds", _refund_row(payment_id))

        with pytest.raises(asyncpg.ForeignKeyViolationError, match="refunds_payment_id_fkey"):
            await database.execute("DELETE FROM payments WHERE id = $1", payment_id)


class TestIndexes:
    """Each statement the stores and jobs will run can find its rows through an index."""

    @pytest.mark.parametrize(
        ("sql", "args", "index"),
        [
            (ORDER_SQL, (1,), "orders_pkey"),
            (ORDER_LINES_SQL, (1,), "order_lines_pkey"),
            (USER_ORDERS_FIRST_PAGE_SQL, (1, 20), "orders_user_id_created_at_id"),
            (USER_ORDERS_NEXT_PAGE_SQL, (1, NOW, 1, 20), "orders_user_id_created_at_id"),
            (ALL_ORDERS_FIRST_PAGE_SQL, (20,), "orders_created_at_id"),
            (ALL_ORDERS_NEXT_PAGE_SQL, (NOW, 1, 20), "orders_created_at_id"),
            (
                IDEMPOTENCY_KEY_SQL,
                (1, "POST /api/v1/checkout", "k"),
                "idempotency_keys_user_id_endpoint_key_key",
            ),
            (UNPUBLISHED_OUTBOX_SQL, (["order.created"], 100), "outbox_topic_id_unpublished"),
            (PUBLISHED_AFTER_SQL, (0, 100), "outbox_published_seq_key"),
            (PRODUCTS_BY_SKU_SQL, (["MUG-1", "TEA-1"],), "products_sku_key"),
            (ORDER_PAYMENTS_SQL, (1,), "payments_order_id_id"),
            (PAYMENT_REFUNDS_SQL, (1,), "refunds_payment_id_id"),
            (EXPIRED_IDEMPOTENCY_KEYS_SQL, (NOW, 100), "idempotency_keys_expires_at"),
            # What deleting a parent row looks up in the rows that refer to it.
            ("SELECT FROM orders WHERE user_id = $1", (1,), "orders_user_id_created_at_id"),
            (
                "SELECT FROM orders WHERE idempotency_key_id = $1",
                (1,),
                "orders_idempotency_key_id_key",
            ),
            ("SELECT FROM order_lines WHERE product_id = $1", (1,), "order_lines_product_id"),
            ("SELECT FROM audit_log WHERE actor_user_id = $1", (1,), "audit_log_actor_user_id"),
        ],
    )
    async def test_statement_uses_an_index(
        self, database: PostgresDatabase, sql: str, args: tuple[object, ...], index: str
    ) -> None:
        """With sequential scans made as costly as they get, the plan names the index."""
        async with database.transaction():
            await database.execute("SET LOCAL enable_seqscan = off")
            plan = await database.fetch_value(f"EXPLAIN (FORMAT JSON) {sql}", *args)

        assert f'"Index Name": "{index}"' in plan

    async def test_the_relay_reads_only_unpublished_messages(
        self, database: PostgresDatabase
    ) -> None:
        """Among many published messages, the few waiting are found through the partial
        index, without sequential scans turned off."""
        await database.execute(
            "INSERT INTO outbox (topic, payload, created_at, published_at, published_seq) "
            "SELECT 'order.created', '{}', $1, $1, n FROM generate_series(1, 5000) AS n",
            NOW,
        )
        await database.execute(
            "INSERT INTO outbox (topic, payload, created_at) "
            "SELECT topic, '{}', $1 FROM generate_series(1, 5), "
            "unnest(ARRAY['order.created', 'email.receipt']) AS topic",
            NOW,
        )
        await database.execute("ANALYZE outbox")

        plan = await database.fetch_value(
            f"EXPLAIN (FORMAT JSON) {UNPUBLISHED_OUTBOX_SQL}", ["order.created"], 100
        )

        assert '"Index Name": "outbox_topic_id_unpublished"' in plan


async def _downgrade_to_0004(url: PostgresUrl) -> None:
    """Run alembic's downgrade on ``url`` the way `upgrade_to_head` runs its upgrade."""

    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", SCRIPT_LOCATION)
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")

    engine = create_async_engine(url.for_sqlalchemy, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def _schema(url: PostgresUrl) -> tuple[set[str], set[str]]:
    """The new tables, and the functions of the public schema, that ``url`` holds."""
    connection = await asyncpg.connect(url.text)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE tablename = ANY($1::text[])", list(NEW_TABLES)
        )
        functions = await connection.fetch(
            "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
        )
    finally:
        await connection.close()
    return {row["tablename"] for row in tables}, {row["proname"] for row in functions}


class TestDowngrade:
    async def test_down_to_0004_drops_everything_and_up_again_restores_it(
        self, postgres_server_url: PostgresUrl
    ) -> None:
        """Downgrading removes the seven tables and the trigger function; upgrading creates
        them again."""
        url = await create_database(postgres_server_url, prefix="pulseshop_0005")
        try:
            await upgrade_to_head(url)
            tables_at_head, functions_at_head = await _schema(url)
            await _downgrade_to_0004(url)
            tables_at_0004, functions_at_0004 = await _schema(url)
            again = await upgrade_to_head(url)
            restored, _ = await _schema(url)
        finally:
            await drop_database(postgres_server_url, url)

        assert set(NEW_TABLES) == tables_at_head == restored
        assert set() == tables_at_0004
        assert {"audit_log_refuse_change"} == functions_at_head - functions_at_0004
        assert ("0004", head_revision()) == again
