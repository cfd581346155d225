"""Payments of orders and their refunds in PostgreSQL.

A payment is written when the gateway authorized it and saved as it is captured or
refunded, naming the version it read (optimistic concurrency, as for orders). A payment or
refund is known by its provider's reference: writing it again is a no-op.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

import attrs

from pulseshop.adapters.postgres._stored_amounts import stored_currency, stored_money
from pulseshop.core.orders import Payment, PaymentStatus

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.adapters.postgres.database import PostgresDatabase, Row
    from pulseshop.core.money import Money

__all__ = [
    "StoredPayment",
    "StoredRefund",
    "insert_payment",
    "insert_refund",
    "order_payments",
    "payment_refunds",
    "save_payment",
]

ORDER_PAYMENTS_SQL: Final = "SELECT * FROM payments WHERE order_id = $1 ORDER BY id"
PAYMENT_REFUNDS_SQL: Final = "SELECT * FROM refunds WHERE payment_id = $1 ORDER BY id"

# A payment the provider already told us about (same provider and reference) is not
# written twice: the insert does nothing and the existing row's id is returned.
INSERT_PAYMENT_SQL: Final = """
    WITH inserted AS (
        INSERT INTO payments (
            order_id, status, currency, amount, captured, refunded, provider,
            provider_reference, version, created_at, updated_at
        )
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
        ON CONFLICT (provider, provider_reference) DO NOTHING
        RETURNING id
    )
    SELECT id FROM inserted
    UNION ALL
    SELECT id FROM payments
    WHERE provider = $7 AND provider_reference = $8 AND order_id = $1 AND amount = $4
    LIMIT 1
"""

SAVE_PAYMENT_SQL: Final = """
    UPDATE payments
    SET status = $2, captured = $3, refunded = $4, version = $5, updated_at = $6
    WHERE id = $1 AND version = $7
    RETURNING id
"""

# As for payments: a refund is known by its provider's reference, and a retry is a no-op.
INSERT_REFUND_SQL: Final = """
    WITH inserted AS (
        INSERT INTO refunds (payment_id, amount, reason, provider_reference, created_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (provider_reference) DO NOTHING
        RETURNING id
    )
    SELECT id FROM inserted
    UNION ALL
    SELECT id FROM refunds WHERE provider_reference = $4 AND payment_id = $1 AND amount = $2
    LIMIT 1
"""

REFUND_CURRENCY_SQL: Final = "SELECT currency FROM payments WHERE id = $1"


@final
@attrs.frozen
class StoredPayment:
    """A payment of an order as stored, with the provider that holds it."""

    id: int
    order_id: int
    payment: Payment
    provider: str
    provider_reference: str | None
    created_at: datetime
    updated_at: datetime


@final
@attrs.frozen
class StoredRefund:
    """Money given back of a payment."""

    id: int
    payment_id: int
    amount: Money
    reason: str | None
    provider_reference: str
    created_at: datetime


async def insert_payment(
    database: PostgresDatabase,
    order_id: int,
    payment: Payment,
    *,
    provider: str,
    provider_reference: str | None,
    now: datetime,
) -> int:
    """Write ``payment`` of the order, made at ``now``; returns its id.

    The same payment again (same provider, reference, order and amount) writes nothing and
    returns the id it was given the first time.

    Raises:
        ValueError: the provider's reference belongs to another payment.
    """
    payment_id: int | None = await database.fetch_value(
        INSERT_PAYMENT_SQL,
        order_id,
        payment.status.value,
        payment.amount.currency.code,
        payment.amount.amount,
        payment.captured.amount,
        payment.refunded.amount,
        provider,
        provider_reference,
        payment.version,
        now,
    )
    if payment_id is None:
        raise ValueError(f"{provider} payment {provider_reference!r} is another payment")
    return payment_id


async def save_payment(
    database: PostgresDatabase,
    payment_id: int,
    payment: Payment,
    *,
    expected_version: int,
    now: datetime,
) -> bool:
    """Store ``payment``'s status, amounts and version, changed at ``now``, if the stored
    payment is still at ``expected_version``; False, changing nothing, if not.

    Raises:
        ValueError: ``payment.version`` is not above ``expected_version``.
    """
    if not 0 <= expected_version < payment.version:
        raise ValueError(
            f"a save goes from a version to a higher one, got {expected_version} "
            f"to {payment.version}"
        )
    saved = await database.fetch_value(
        SAVE_PAYMENT_SQL,
        payment_id,
        payment.status.value,
        payment.captured.amount,
        payment.refunded.amount,
        payment.version,
        now,
        expected_version,
    )
    return saved is not None


async def insert_refund(
    database: PostgresDatabase,
    payment_id: int,
    *,
    amount: Money,
    reason: str | None,
    provider_reference: str,
    now: datetime,
) -> int:
    """Write a refund of ``amount`` of the payment; returns its id.

    The same refund again (same reference, payment and amount) writes nothing and returns
    the id it was given the first time. The refunds of a payment must add up to its
    ``refunded``: save the payment (`save_payment`) in the same transaction.

    Raises:
        ValueError: the reference belongs to another refund.
    """
    refund_id: int | None = await database.fetch_value(
        INSERT_REFUND_SQL, payment_id, amount.amount, reason, provider_reference, now
    )
    if refund_id is None:
        raise ValueError(f"refund {provider_reference!r} is another refund")
    return refund_id


async def order_payments(database: PostgresDatabase, order_id: int) -> list[StoredPayment]:
    """The order's payments, in the order they were made."""
    rows = await database.fetch_all(ORDER_PAYMENTS_SQL, order_id)
    return [_stored_payment(row) for row in rows]


async def payment_refunds(database: PostgresDatabase, payment_id: int) -> list[StoredRefund]:
    """The payment's refunds, in the order they were made."""
    code = await database.fetch_value(REFUND_CURRENCY_SQL, payment_id)
    if code is None:
        return []
    currency = stored_currency(code)
    return [
        StoredRefund(
            id=row["id"],
            payment_id=row["payment_id"],
            amount=stored_money(row["amount"], currency),
            reason=row["reason"],
            provider_reference=row["provider_reference"],
            created_at=row["created_at"],
        )
        for row in await database.fetch_all(PAYMENT_REFUNDS_SQL, payment_id)
    ]


def _stored_payment(row: Row) -> StoredPayment:
    currency = stored_currency(row["currency"])
    payment = Payment(
        amount=stored_money(row["amount"], currency),
        captured=stored_money(row["captured"], currency),
        refunded=stored_money(row["refunded"], currency),
        status=PaymentStatus(row["status"]),
        version=row["version"],
    )
    return StoredPayment(
        id=row["id"],
        order_id=row["order_id"],
        payment=payment,
        provider=row["provider"],
        provider_reference=row["provider_reference"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
