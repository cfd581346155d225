"""Receipts sent once per order, and the preference that turns them off.

The job that sends an order's receipt holds `lock_receipt` for its whole transaction: a
second delivery of the same job (the queue delivers at least once) waits, then finds the
receipt recorded and sends nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal, final

import attrs

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.adapters.postgres.database import PostgresDatabase

__all__ = [
    "ReceiptRecord",
    "lock_receipt",
    "receipt_of",
    "receipt_wanted",
    "record_receipt",
]

# Two int4 keys: the namespace, and the order id folded into int4 (two orders sharing a key
# only wait for each other, they never skip a receipt).
LOCK_SQL: Final = (
    "SELECT pg_advisory_xact_lock(hashtext('pulseshop.receipt'), ($1::bigint % 2147483647)::int)"
)
RECEIPT_SQL: Final = "SELECT * FROM receipts WHERE order_id = $1"
RECORD_SQL: Final = """
    INSERT INTO receipts (order_id, outcome, recipient, transport, message_id, recorded_at)
    VALUES ($1, $2, $3, $4, $5, $6)
"""
WANTED_SQL: Final = "SELECT receipt_emails FROM user_preferences WHERE user_id = $1"

Outcome = Literal["sent", "skipped"]


@final
@attrs.frozen
class ReceiptRecord:
    """What became of an order's receipt."""

    order_id: int
    outcome: Outcome
    recipient: str | None
    transport: str | None
    message_id: str
    recorded_at: datetime


async def lock_receipt(database: PostgresDatabase, order_id: int) -> None:
    """Hold the order's receipt until the current transaction ends (call inside one)."""
    await database.execute(LOCK_SQL, order_id)


async def receipt_of(database: PostgresDatabase, order_id: int) -> ReceiptRecord | None:
    """The order's receipt record, if its receipt was sent or skipped."""
    row = await database.fetch_one(RECEIPT_SQL, order_id)
    if row is None:
        return None
    return ReceiptRecord(
        order_id=row["order_id"],
        outcome=row["outcome"],
        recipient=row["recipient"],
        transport=row["transport"],
        message_id=row["message_id"],
        recorded_at=row["recorded_at"],
    )


async def record_receipt(database: PostgresDatabase, record: ReceiptRecord) -> None:
    """Record what became of the order's receipt.

    Raises:
        asyncpg.UniqueViolationError: it was recorded already.
    """
    await database.execute(
        RECORD_SQL,
        record.order_id,
        record.outcome,
        record.recipient,
        record.transport,
        record.message_id,
        record.recorded_at,
    )


async def receipt_wanted(database: PostgresDatabase, user_id: int) -> bool:
    """Whether the user wants receipts by e-mail (yes unless they said no)."""
    wanted = await database.fetch_value(WANTED_SQL, user_id)
    return wanted is not False
