"""Figures over orders for the staff's dashboard: how many were placed in a period, and
what they are worth, per currency."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

import attrs

from pulseshop.adapters.postgres._stored_amounts import stored_currency, stored_money

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.adapters.postgres.database import PostgresDatabase
    from pulseshop.core.money import Money

__all__ = ["OrderFigures", "order_figures"]

# Revenue counts what customers keep paying for: a cancelled order is worth nothing, and
# what was refunded of the others comes off. The created_at index of revision 0005 serves
# the period.
FIGURES_SQL: Final = """
    SELECT currency,
           count(*) AS placed,
           count(*) FILTER (WHERE status = 'pending_payment') AS awaiting_capture,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           coalesce(sum(total - refunded) FILTER (WHERE status <> 'cancelled'), 0) AS revenue
    FROM orders
    WHERE created_at >= $1 AND created_at < $2
    GROUP BY currency
    ORDER BY currency
"""


@final
@attrs.frozen
class OrderFigures:
    """The orders of one currency placed in a period."""

    placed: int
    awaiting_capture: int
    cancelled: int
    revenue: Money
    """The totals of the orders not cancelled, less what was refunded of them."""


async def order_figures(
    database: PostgresDatabase, *, since: datetime, until: datetime
) -> list[OrderFigures]:
    """The figures of the orders placed from ``since`` until before ``until``, one per
    currency they were placed in (none when there were no orders)."""
    rows = await database.fetch_all(FIGURES_SQL, since, until)
    figures = []
    for row in rows:
        currency = stored_currency(row["currency"])
        figures.append(
            OrderFigures(
                placed=row["placed"],
                awaiting_capture=row["awaiting_capture"],
                cancelled=row["cancelled"],
                revenue=stored_money(row["revenue"], currency),
            )
        )
    return figures
