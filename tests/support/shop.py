"""A shop's people and products for tests that go through the application."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pulseshop.adapters.postgres import ensure_user, issue_token
from pulseshop.core.access import ROLE_SCOPES, Email

if TYPE_CHECKING:
    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.core.access import Role


async def user_with_token(
    database: PostgresDatabase, email: str, role: Role = "customer"
) -> tuple[int, str]:
    """A user of ``role`` (created if new), and a token with every scope of the role."""
    user = await ensure_user(database, Email(email), role)
    token = await issue_token(
        database, user.id, ROLE_SCOPES[role], now=datetime.now(UTC), ttl=timedelta(days=1)
    )
    return user.id, token


async def stock_product(
    database: PostgresDatabase, sku: str = "TEA-1", *, price: str = "8.90", stock: int = 5
) -> None:
    """A product in EUR at the reduced VAT rate, with ``stock`` units."""
    product_id = await database.fetch_value(
        "INSERT INTO products (sku, name, unit_price, currency, tax_category, category) "
        "VALUES ($1, 'Tea', $2::numeric, 'EUR', 'reduced', 'tea') RETURNING id",
        sku,
        price,
    )
    await database.execute(
        "INSERT INTO inventory (product_id, stock) VALUES ($1, $2)", product_id, stock
    )
