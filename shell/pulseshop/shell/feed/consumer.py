"""Applying a message of feed events: once each, and ``order_updated`` for what changed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt
from tenacity import wait_random_exponential as jittered

from pulseshop.adapters.postgres.journal import append_outbox_rows
from pulseshop.adapters.postgres.marketplace import AppliedBatch, apply_feed_events
from pulseshop.core.marketplace import FeedEvent, MarketplaceOrder, read_encoded
from pulseshop.core.money import Money, amount_text
from pulseshop.shell.checkout import RETRIED
from pulseshop.shell.feed import metrics

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from decimal import Decimal

    from pulseshop.adapters.postgres import PostgresDatabase

logger = logging.getLogger(__name__)

UPDATED_TOPIC: Final = "order.updated"
"""The outbox topic of the live order feed an order's change is published on."""


async def consume_feed_events(
    database: PostgresDatabase, message: Sequence[object], *, now: datetime
) -> AppliedBatch:
    """Apply the events of one queued message (as `encode_event` wrote them), in one
    transaction with the ``order_updated`` of every order that changed.

    Raises:
        ValueError: the message holds something that is not a feed event (it was not
            written by intake): the job fails and is retried, then dead-lettered.
    """
    events = [_event(item) for item in message]
    async for attempt in AsyncRetrying(
        # Batches of the same orders wait for each other's locks; a deadlock (with a feed
        # that reuses an event id for another order) or a serialization failure is retried.
        retry=retry_if_exception_type(RETRIED),
        stop=stop_after_attempt(4),
        wait=jittered(multiplier=0.01, max=0.2),
        reraise=True,
    ):
        with attempt:
            async with database.transaction():
                applied = await apply_feed_events(database, events, now=now)
                await append_outbox_rows(
                    database,
                    topic=UPDATED_TOPIC,
                    payloads=[order_update(order, now) for order in applied.changed],
                    now=now,
                )
    metrics.EVENTS.labels("applied").inc(applied.applied)
    metrics.EVENTS.labels("refused").inc(len(applied.refused))
    metrics.EVENTS.labels("duplicate").inc(applied.duplicates)
    for event_id, problem in applied.refused:
        logger.warning("feed event %s refused: %s", event_id, problem)
    return applied


def _event(item: object) -> FeedEvent:
    # Intake checked every event before it queued it: read back, not checked again.
    try:
        if not isinstance(item, dict):
            raise TypeError(type(item).__name__)  # noqa: TRY301 - one message of error
        return read_encoded(item)
    except (KeyError, ValueError, TypeError, ArithmeticError) as error:
        raise ValueError(f"not a feed event as intake queues them: {error!r}") from error


def order_update(order: MarketplaceOrder, now: datetime) -> dict[str, object]:
    """The ``order_updated`` payload of a marketplace order (no ``user_id``: only the
    staff's lobby topic is sent it)."""
    return {
        "marketplace": order.marketplace,
        "order_ref": order.order_ref,
        "status": order.status.value,
        "currency": None if order.currency is None else order.currency.code,
        "total": _amount(order.total, order),
        "paid": _amount(order.paid, order),
        "refunded": _amount(order.refunded, order),
        "inserted_at": now.isoformat(),
    }


def _amount(amount: Decimal | None, order: MarketplaceOrder) -> str | None:
    if amount is None or order.currency is None:
        return None
    return amount_text(Money(amount, order.currency))
