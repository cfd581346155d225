"""Orders and their lines in PostgreSQL, with the stock checkout reserves.

Checkout calls the writes inside one transaction it opens (``async with
database.transaction():``): `reserve_stock`, `insert_order`, and `insert_payment`
(`pulseshop.adapters.postgres.payments`), `append_audit` and `append_outbox`
(`pulseshop.adapters.postgres.journal`) commit together or not at all. Every amount is the
core's (`pulseshop.core.orders`), and revision 0005's CHECKs test the totals and the
status/amount agreements again; a row that breaks one raises
`asyncpg.CheckViolationError`.

**Stock.** `reserve_stock` locks the inventory rows it needs in product id order, so two
checkouts that want the same products queue up instead of deadlocking, then decrements them
in one statement that only touches rows with enough stock. Stock never goes below zero: a
short SKU leaves every row as it was (the reservation runs in a savepoint of its own).

**Versions.** An order's and a payment's ``version`` is the core's event count. Later writes
(`save_order_status`, `save_payment`) name the version they read and change nothing when the
row has moved on since, as `pulseshop.adapters.postgres.carts` does.

**Reads** give back exactly the values written, amounts quantized to the currency's minor
unit. Lists are newest first and paged by a ``(created_at, id)`` cursor: the next page
starts after the last row of the previous one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

import attrs
from returns.result import Failure, Result, Success

from pulseshop.adapters.postgres._stored_amounts import stored_currency, stored_money
from pulseshop.core.orders import (
    Order,
    OrderLine,
    OrderStatus,
    OrderTotals,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from decimal import Decimal

    from pulseshop.adapters.postgres.database import PostgresDatabase, Row
    from pulseshop.core.money import Money

__all__ = [
    "StoredOrder",
    "insert_order",
    "list_orders",
    "load_order",
    "reserve_stock",
    "save_order_status",
]

# The reads revision 0005 indexed (`tests/adapters/test_orders_schema.py`, `TestIndexes`).
ORDER_SQL: Final = "SELECT * FROM orders WHERE id = $1"
ORDER_LINES_SQL: Final = "SELECT * FROM order_lines WHERE order_id = $1 ORDER BY position"
USER_ORDERS_FIRST_PAGE_SQL: Final = (
    "SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
)
USER_ORDERS_NEXT_PAGE_SQL: Final = (
    "SELECT * FROM orders WHERE user_id = $1 AND (created_at, id) < ($2, $3) "
    "ORDER BY created_at DESC, id DESC LIMIT $4"
)
ALL_ORDERS_FIRST_PAGE_SQL: Final = "SELECT * FROM orders ORDER BY created_at DESC, id DESC LIMIT $1"
ALL_ORDERS_NEXT_PAGE_SQL: Final = (
    "SELECT * FROM orders WHERE (created_at, id) < ($1, $2) "
    "ORDER BY created_at DESC, id DESC LIMIT $3"
)
# The lines of a page of orders at once (the primary key of order_lines serves it).
PAGE_LINES_SQL: Final = (
    "SELECT * FROM order_lines WHERE order_id = ANY($1::bigint[]) ORDER BY order_id, position"
)

# Lock first, in product id order, so concurrent checkouts take the locks in one order.
LOCK_STOCK_SQL: Final = """
    SELECT i.product_id
    FROM inventory AS i
    JOIN products AS p ON p.id = i.product_id
    WHERE p.sku = ANY($1::text[])
    ORDER BY i.product_id
    FOR UPDATE OF i
"""

# The guard `i.stock >= q.quantity` is what never oversells; the lock above only orders waits.
RESERVE_STOCK_SQL: Final = """
    UPDATE inventory AS i
    SET stock = i.stock - q.quantity, updated_at = now()
    FROM unnest($1::text[], $2::int[]) AS q (sku, quantity)
    JOIN products AS p ON p.sku = q.sku
    WHERE i.product_id = p.id AND i.stock >= q.quantity
    RETURNING p.sku, p.id
"""

INSERT_ORDER_SQL: Final = """
    INSERT INTO orders (
        user_id, status, currency, prices_include_tax, subtotal, discount_total,
        shipping_total, tax_total, tax_exempted, total, captured, refunded,
        idempotency_key_id, version, created_at, updated_at
    )
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
    RETURNING id
"""

INSERT_ORDER_LINES_SQL: Final = """
    INSERT INTO order_lines (
        order_id, position, sku, product_id, name, quantity, unit_price, line_total, tax
    )
    SELECT $1, line.*
    FROM unnest(
        $2::smallint[], $3::text[], $4::bigint[], $5::text[], $6::int[],
        $7::numeric[], $8::numeric[], $9::numeric[]
    ) AS line
"""

SAVE_ORDER_SQL: Final = """
    UPDATE orders
    SET status = $2, captured = $3, refunded = $4, version = $5, updated_at = $6
    WHERE id = $1 AND version = $7
    RETURNING id
"""


@final
@attrs.frozen
class StoredOrder:
    """An order as stored: its id, and the core's `Order` as it was written.

    ``prices_include_tax`` and ``tax_exempted`` are the quote's, which the order itself does
    not keep (revision 0005 checks the total against them).
    """

    id: int
    user_id: int
    order: Order
    prices_include_tax: bool
    tax_exempted: Money
    created_at: datetime


class _ShortOfStockError(Exception):
    """Raised inside the reservation's savepoint to roll it back; names the short SKUs."""

    def __init__(self, skus: tuple[str, ...]) -> None:
        super().__init__(skus)
        self.skus = skus


async def _take_stock(database: PostgresDatabase, quantities: Mapping[str, int]) -> dict[str, int]:
    skus = list(quantities)
    await database.fetch_all(LOCK_STOCK_SQL, skus)
    rows = await database.fetch_all(RESERVE_STOCK_SQL, skus, list(quantities.values()))
    reserved: dict[str, int] = {row["sku"]: row["id"] for row in rows}
    if len(reserved) < len(quantities):
        raise _ShortOfStockError(tuple(sorted(sku for sku in skus if sku not in reserved)))
    return reserved


async def reserve_stock(
    database: PostgresDatabase, quantities: Mapping[str, int]
) -> Result[dict[str, int], tuple[str, ...]]:
    """Take ``quantities`` (units by SKU) out of stock, all of them or none.

    Returns:
        The product id of each SKU; or the SKUs, sorted, without enough stock (unknown SKUs
        and products without an inventory row among them), with every stock left as it was.

    Raises:
        ValueError: a quantity is below 1.
    """
    if bad := sorted(sku for sku, quantity in quantities.items() if quantity < 1):
        raise ValueError(f"quantities to reserve must be at least 1: {bad}")
    if not quantities:
        return Success({})
    try:
        # A savepoint inside the caller's transaction: a shortage undoes only this.
        async with database.transaction():
            reserved = await _take_stock(database, quantities)
    except _ShortOfStockError as short:
        return Failure(short.skus)
    return Success(reserved)


async def insert_order(
    database: PostgresDatabase,
    order: Order,
    *,
    product_ids: Mapping[str, int],
    prices_include_tax: bool,
    tax_exempted: Decimal,
    idempotency_key_id: int | None,
) -> int:
    """Write ``order`` and its lines (positions from 1, in order); returns its id.

    ``prices_include_tax`` and ``tax_exempted`` are the quote's (``tax_exemption.amount``,
    0 without one); ``product_ids`` gives each line's product by SKU (`reserve_stock`'s).

    Raises:
        ValueError: a line's SKU has no product id.
        asyncpg.CheckViolationError: the amounts disagree (revision 0005's rules).
    """
    if missing := sorted({line.sku for line in order.lines} - set(product_ids)):
        raise ValueError(f"no product id for {missing}")
    totals = order.totals
    order_id: int = await database.fetch_value(
        INSERT_ORDER_SQL,
        order.user_id,
        order.status.value,
        order.currency.code,
        prices_include_tax,
        totals.subtotal.amount,
        totals.discount_total.amount,
        totals.shipping_total.amount,
        totals.tax_total.amount,
        tax_exempted,
        totals.total.amount,
        order.captured.amount,
        order.refunded.amount,
        idempotency_key_id,
        order.version,
        order.created_at,
        order.updated_at,
    )
    lines = order.lines
    await database.execute(
        INSERT_ORDER_LINES_SQL,
        order_id,
        list(range(1, len(lines) + 1)),
        [line.sku for line in lines],
        [product_ids[line.sku] for line in lines],
        [line.name for line in lines],
        [line.quantity for line in lines],
        [line.unit_price.amount for line in lines],
        [line.line_total.amount for line in lines],
        [line.tax.amount for line in lines],
    )
    return order_id


async def save_order_status(
    database: PostgresDatabase, order_id: int, order: Order, *, expected_version: int
) -> bool:
    """Store ``order``'s status, captured and refunded amounts, version and ``updated_at``
    if the stored order is still at ``expected_version``; False, changing nothing, if not.

    Raises:
        ValueError: ``order.version`` is not above ``expected_version``.
    """
    if not 0 <= expected_version < order.version:
        raise ValueError(
            f"a save goes from a version to a higher one, got {expected_version} to {order.version}"
        )
    saved = await database.fetch_value(
        SAVE_ORDER_SQL,
        order_id,
        order.status.value,
        order.captured.amount,
        order.refunded.amount,
        order.version,
        order.updated_at,
        expected_version,
    )
    return saved is not None


async def load_order(database: PostgresDatabase, order_id: int) -> StoredOrder | None:
    """The order with this id, or None."""
    row = await database.fetch_one(ORDER_SQL, order_id)
    if row is None:
        return None
    return _stored_order(row, await database.fetch_all(ORDER_LINES_SQL, order_id))


async def list_orders(
    database: PostgresDatabase,
    *,
    user_id: int | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[StoredOrder]:
    """At most ``limit`` orders of ``user_id`` (None: every user's), newest first, starting
    after the ``(created_at, id)`` of the last order of the previous page."""
    if user_id is None:
        rows = await (
            database.fetch_all(ALL_ORDERS_FIRST_PAGE_SQL, limit)
            if after is None
            else database.fetch_all(ALL_ORDERS_NEXT_PAGE_SQL, *after, limit)
        )
    else:
        rows = await (
            database.fetch_all(USER_ORDERS_FIRST_PAGE_SQL, user_id, limit)
            if after is None
            else database.fetch_all(USER_ORDERS_NEXT_PAGE_SQL, user_id, *after, limit)
        )
    if not rows:
        return []
    lines: dict[int, list[Row]] = {row["id"]: [] for row in rows}
    for line in await database.fetch_all(PAGE_LINES_SQL, list(lines)):
        lines[line["order_id"]].append(line)
    return [_stored_order(row, lines[row["id"]]) for row in rows]


def _stored_order(row: Row, line_rows: list[Row]) -> StoredOrder:
    currency = stored_currency(row["currency"])

    def money(column: str, source: Row = row) -> Money:
        return stored_money(source[column], currency)

    lines = tuple(
        OrderLine(
            sku=line["sku"],
            name=line["name"],
            quantity=line["quantity"],
            unit_price=money("unit_price", line),
            line_total=money("line_total", line),
            tax=money("tax", line),
        )
        for line in line_rows
    )
    order = Order(
        user_id=row["user_id"],
        status=OrderStatus(row["status"]),
        currency=currency,
        lines=lines,
        totals=OrderTotals(
            subtotal=money("subtotal"),
            discount_total=money("discount_total"),
            shipping_total=money("shipping_total"),
            tax_total=money("tax_total"),
            total=money("total"),
        ),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        captured=money("captured"),
        refunded=money("refunded"),
        version=row["version"],
    )
    return StoredOrder(
        id=row["id"],
        user_id=row["user_id"],
        order=order,
        prices_include_tax=row["prices_include_tax"],
        tax_exempted=money("tax_exempted"),
        created_at=row["created_at"],
    )
