"""`order_from_quote`: a new order, placed from the quote the customer accepted.

>>> from datetime import UTC, datetime
>>> from pulseshop.core.money import EUR, Money
>>> from pulseshop.core.pricing import Line, QuoteRequest, TaxPolicy, quote
>>> now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
>>> mugs = (Line("MUG-1", Money.of("12.00", EUR), 2, "standard"),)
>>> vat = TaxPolicy.flat({"standard": "0.20"})
>>> priced = quote(QuoteRequest(EUR, mugs, now, vat))
>>> order = order_from_quote(priced.unwrap(), {"MUG-1": "Stoneware mug"}, user_id=7, now=now)
>>> placed = order.unwrap()
>>> placed.status, placed.totals.total, placed.lines[0].name, placed.version
(<OrderStatus.PENDING_PAYMENT: 'pending_payment'>, EUR 28.80, 'Stoneware mug', 0)
>>> order_from_quote(priced.unwrap(), {}, user_id=7, now=now).failure().code
<OrderErrorCode.MISSING_NAME: 'missing_name'>
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from returns.result import Failure, Result, Success

from pulseshop.core.money import Money
from pulseshop.core.orders._checks import shown
from pulseshop.core.orders.errors import OrderError, OrderErrorCode
from pulseshop.core.orders.order import Order, OrderLine, OrderStatus, OrderTotals

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from pulseshop.core.pricing import Quote

__all__ = ["order_from_quote"]


def order_from_quote(
    quote: Quote, names: Mapping[str, str], *, user_id: int, now: datetime
) -> Result[Order, OrderError]:
    """A new order of ``user_id`` at ``now``, pending payment, priced exactly as ``quote``.

    Every amount is the quote's: each line's unit price, gross (as ``line_total``) and tax,
    and the quote's subtotal, discount, shipping, tax and total. ``names`` gives the
    product name shown on each line, by SKU.

    Returns:
        The order, or INVALID_USER (``user_id`` is not a whole number of at least 1),
        EMPTY_ORDER (the quote has no lines) or MISSING_NAME (a SKU without a name), checked
        in that order.

    Raises:
        ValueError: ``now`` does not say its offset from UTC.
    """
    if now.utcoffset() is None:
        raise ValueError(f"now must say its offset from UTC, not {now.isoformat()}")
    actual: object = user_id
    if isinstance(actual, bool) or not isinstance(actual, int) or actual < 1:
        return Failure(
            OrderError(
                OrderErrorCode.INVALID_USER,
                "user_id",
                f"A user id must be a whole number of at least 1, not {shown(actual)}.",
            )
        )
    if not quote.lines:
        return Failure(
            OrderError(OrderErrorCode.EMPTY_ORDER, "lines", "The quote has no lines to order.")
        )
    lines: list[OrderLine] = []
    for line in quote.lines:
        name = names.get(line.sku, "").strip()
        if not name:
            return Failure(
                OrderError(
                    OrderErrorCode.MISSING_NAME,
                    "names",
                    f"No product name was given for {shown(line.sku)}.",
                )
            )
        lines.append(
            OrderLine(line.sku, name, line.quantity, line.unit_price, line.gross, line.tax)
        )
    nothing = Money.zero(quote.currency).rounded()
    totals = OrderTotals(
        subtotal=quote.subtotal,
        discount_total=quote.discount_total,
        shipping_total=quote.shipping_total,
        tax_total=quote.tax_total,
        total=quote.total,
    )
    return Success(
        Order(
            user_id=user_id,
            status=OrderStatus.PENDING_PAYMENT,
            currency=quote.currency,
            lines=tuple(lines),
            totals=totals,
            created_at=now,
            updated_at=now,
            captured=nothing,
            refunded=nothing,
        )
    )
