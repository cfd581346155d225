"""The marketplace feed's tables: events applied once, the orders they tell, the rejects.

`apply_feed_events` is the consumer's whole write, in the caller's transaction:

1. The orders the events are about are locked, in one order for every writer (so two
   batches touching the same orders wait for each other, never deadlock): a missing one is
   inserted empty first, so there is a row to lock.
2. The events are inserted with ``ON CONFLICT (event_id) DO NOTHING``: only the ones
   inserted, new, are counted into their orders (by the core's `apply_event`); an event
   delivered twice finds its row and has no second effect.
3. The orders that changed are written back and returned; empty ones that no event
   reached are deleted.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Final, final

import attrs
from returns.result import Failure

from pulseshop.core.marketplace import (
    EventType,
    MarketplaceOrder,
    MarketplaceStatus,
    apply_event,
    encode_event,
)
from pulseshop.core.money import currency_of

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from pulseshop.adapters.postgres.database import PostgresDatabase, Row
    from pulseshop.core.marketplace import FeedEvent

__all__ = [
    "AppliedBatch",
    "FeedReject",
    "StoredReject",
    "apply_feed_events",
    "feed_rejects",
    "marketplace_order",
    "store_rejects",
]

OrderKey = tuple[str, str]

ENSURE_ORDERS_SQL: Final = """
    INSERT INTO marketplace_orders AS o (
        marketplace, order_ref, status, paid, refunded, seen, events, last_event_at, updated_at
    )
    SELECT k.marketplace, k.order_ref, 'placed', 0, 0, '{}', 0, $3, $3
    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k (marketplace, order_ref, n)
    ORDER BY k.n
    ON CONFLICT (marketplace, order_ref) DO NOTHING
"""
LOCK_ORDERS_SQL: Final = """
    SELECT o.* FROM marketplace_orders AS o
    JOIN unnest($1::text[], $2::text[]) AS k (marketplace, order_ref)
      ON (o.marketplace, o.order_ref) = (k.marketplace, k.order_ref)
    ORDER BY o.marketplace, o.order_ref
    FOR UPDATE OF o
"""
INSERT_EVENTS_SQL: Final = """
    INSERT INTO feed_events (
        event_id, marketplace, order_ref, type, occurred_at, payload, outcome, applied_at
    )
    SELECT e.event_id, e.marketplace, e.order_ref, e.type, e.occurred_at, e.payload,
           'applied', $7
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                $6::jsonb[]) AS e (event_id, marketplace, order_ref, type, occurred_at, payload)
    ORDER BY e.event_id
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
"""
REFUSE_EVENTS_SQL: Final = """
    UPDATE feed_events AS f SET outcome = 'refused', problem = r.problem
    FROM unnest($1::text[], $2::text[]) AS r (event_id, problem)
    WHERE f.event_id = r.event_id
"""
SAVE_ORDERS_SQL: Final = """
    UPDATE marketplace_orders AS o SET
        currency = s.currency, status = s.status, total = s.total, paid = s.paid,
        refunded = s.refunded, seen = string_to_array(s.seen, ','), events = s.events,
        last_event_at = s.last_event_at, placed_at = s.placed_at, updated_at = $12
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::numeric[],
                $7::numeric[], $8::text[], $9::int[], $10::timestamptz[], $11::timestamptz[])
         AS s (marketplace, order_ref, currency, status, total, paid, refunded, seen, events,
               last_event_at, placed_at)
    WHERE (o.marketplace, o.order_ref) = (s.marketplace, s.order_ref)
"""
DROP_EMPTY_SQL: Final = """
    DELETE FROM marketplace_orders AS o
    USING unnest($1::text[], $2::text[]) AS k (marketplace, order_ref)
    WHERE (o.marketplace, o.order_ref) = (k.marketplace, k.order_ref) AND o.events = 0
"""
ORDER_SQL: Final = "SELECT * FROM marketplace_orders WHERE marketplace = $1 AND order_ref = $2"
STORE_REJECTS_SQL: Final = """
    INSERT INTO feed_rejects (received_at, origin, position, event_id, problems, raw)
    SELECT $1, $2, r.position, r.event_id, r.problems, r.raw
    FROM unnest($3::int[], $4::text[], $5::jsonb[], $6::text[])
         WITH ORDINALITY AS r (position, event_id, problems, raw, n)
    ORDER BY r.n
"""
REJECTS_SQL: Final = """
    SELECT * FROM feed_rejects WHERE id > $1 ORDER BY id LIMIT $2
"""

MAX_RAW: Final = 10_000
"""The most characters of a refused event kept (a longer one is cut, and says so)."""


@final
@attrs.frozen
class AppliedBatch:
    """What a batch did: the orders it changed (as they now are), how many of its events
    were new and counted, new and refused (with why), or seen before."""

    changed: tuple[MarketplaceOrder, ...]
    applied: int
    refused: tuple[tuple[str, str], ...]
    duplicates: int


@final
@attrs.frozen
class FeedReject:
    """An event refused at intake: where it came from (``origin``: ``api`` or a file's
    name), its index or line, its id if readable, its problems, and its text."""

    position: int
    event_id: str | None
    problems: Sequence[Mapping[str, str]]
    raw: str


@final
@attrs.frozen
class StoredReject:
    """A reject as stored, with its id and when it arrived."""

    id: int
    received_at: datetime
    origin: str
    reject: FeedReject


async def apply_feed_events(
    database: PostgresDatabase, events: Sequence[FeedEvent], *, now: datetime
) -> AppliedBatch:
    """Count each new event of ``events`` into its order, once (call inside a transaction)."""
    unique: dict[str, FeedEvent] = {}
    for event in events:
        unique.setdefault(event.event_id, event)
    keys = sorted({(event.marketplace, event.order_ref) for event in unique.values()})
    marketplaces, refs = [key[0] for key in keys], [key[1] for key in keys]
    await database.execute(ENSURE_ORDERS_SQL, marketplaces, refs, now)
    rows = await database.fetch_all(LOCK_ORDERS_SQL, marketplaces, refs)
    orders: dict[OrderKey, MarketplaceOrder | None] = dict.fromkeys(keys)
    for row in rows:
        if row["events"] > 0:
            orders[row["marketplace"], row["order_ref"]] = _order(row)
    batch = sorted(unique.values(), key=lambda event: event.event_id)
    inserted = {
        row["event_id"]
        for row in await database.fetch_all(
            INSERT_EVENTS_SQL,
            [event.event_id for event in batch],
            [event.marketplace for event in batch],
            [event.order_ref for event in batch],
            [event.type.value for event in batch],
            [event.occurred_at for event in batch],
            [json.dumps(encode_event(event), separators=(",", ":")) for event in batch],
            now,
        )
    }
    changed: set[OrderKey] = set()
    refused: list[tuple[str, str]] = []
    for event in batch:
        if event.event_id not in inserted:
            continue
        key = (event.marketplace, event.order_ref)
        counted = apply_event(orders[key], event)
        if isinstance(counted, Failure):
            refused.append((event.event_id, str(counted.failure())))
            continue
        orders[key] = counted.unwrap()
        changed.add(key)
    if refused:
        await database.execute(
            REFUSE_EVENTS_SQL, [item[0] for item in refused], [item[1] for item in refused]
        )
    written = [order for key, order in orders.items() if key in changed and order is not None]
    if written:
        await _save(database, written, now)
    await database.execute(DROP_EMPTY_SQL, marketplaces, refs)
    return AppliedBatch(
        changed=tuple(written),
        applied=len(inserted) - len(refused),
        refused=tuple(refused),
        duplicates=len(events) - len(inserted),
    )


async def _save(
    database: PostgresDatabase, orders: Sequence[MarketplaceOrder], now: datetime
) -> None:
    await database.execute(
        SAVE_ORDERS_SQL,
        [order.marketplace for order in orders],
        [order.order_ref for order in orders],
        [None if order.currency is None else order.currency.code for order in orders],
        [order.status.value for order in orders],
        [order.total for order in orders],
        [order.paid for order in orders],
        [order.refunded for order in orders],
        [",".join(sorted(kind.value for kind in order.seen)) for order in orders],
        [order.events for order in orders],
        [order.last_event_at for order in orders],
        [order.placed_at for order in orders],
        now,
    )


def _order(row: Row) -> MarketplaceOrder:
    if row["currency"] is None:
        # No event with an amount yet: nothing paid, refunded, or totalled.
        currency, total, paid, refunded = None, None, Decimal(0), Decimal(0)
    else:
        currency = currency_of(row["currency"]).unwrap()
        total = None if row["total"] is None else _exact(row["total"], currency.exponent)
        paid = _exact(row["paid"], currency.exponent)
        refunded = _exact(row["refunded"], currency.exponent)
    return MarketplaceOrder(
        marketplace=row["marketplace"],
        order_ref=row["order_ref"],
        currency=currency,
        status=MarketplaceStatus(row["status"]),
        total=total,
        paid=paid,
        refunded=refunded,
        seen=frozenset(EventType(kind) for kind in row["seen"]),
        events=row["events"],
        last_event_at=row["last_event_at"],
        placed_at=row["placed_at"],
    )


def _exact(amount: Decimal, exponent: int) -> Decimal:
    # numeric(..., 4) comes back with four places: back to the currency's own.
    return amount.quantize(Decimal(1).scaleb(-exponent))


async def marketplace_order(
    database: PostgresDatabase, marketplace: str, order_ref: str
) -> MarketplaceOrder | None:
    """The order as its events so far tell it, or None when none has arrived."""
    row = await database.fetch_one(ORDER_SQL, marketplace, order_ref)
    return None if row is None else _order(row)


async def store_rejects(
    database: PostgresDatabase, origin: str, rejects: Sequence[FeedReject], *, now: datetime
) -> None:
    """Keep the events refused at intake, each with its problems and (cut) text."""
    if not rejects:
        return
    await database.execute(
        STORE_REJECTS_SQL,
        now,
        origin[:300],
        [reject.position for reject in rejects],
        [reject.event_id for reject in rejects],
        [json.dumps([dict(problem) for problem in reject.problems]) for reject in rejects],
        [_cut(reject.raw) for reject in rejects],
    )


def _cut(raw: str) -> str:
    # PostgreSQL's text holds no NUL: a refused line may, so it is kept escaped.
    raw = raw.replace("\x00", "\\x00")
    return raw if len(raw) <= MAX_RAW else raw[:MAX_RAW] + "… (cut)"


async def feed_rejects(
    database: PostgresDatabase, *, after_id: int = 0, limit: int = 100
) -> list[StoredReject]:
    """The rejects after ``after_id``, oldest first."""
    rows = await database.fetch_all(REJECTS_SQL, after_id, limit)
    return [
        StoredReject(
            id=row["id"],
            received_at=row["received_at"],
            origin=row["origin"],
            reject=FeedReject(
                row["position"], row["event_id"], json.loads(row["problems"]), row["raw"]
            ),
        )
        for row in rows
    ]
