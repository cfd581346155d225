"""The order feed's side of the outbox: publishing rows in order, and reading them back.

The relay publishes outbox rows of some topics (``order.created``, ``order.updated``) and
numbers each one as it does (``published_seq``, revision 0006): relay transactions take an
advisory lock, so they number one at a time and a reader that sees number n committed sees
every smaller number committed too. Those numbers are the event ids a live-feed client
passes back to catch up on what it missed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final, final

import attrs

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from pulseshop.adapters.postgres.database import PostgresDatabase, Row

__all__ = ["PublishedEvent", "last_published_seq", "publish_pending", "published_after"]

RELAY_LOCK_SQL: Final = "SELECT pg_advisory_xact_lock(hashtext('pulseshop.outbox_relay'))"

# Oldest first; a row's published_at is never before its created_at (revision 0005's CHECK)
# even when the writer's clock ran ahead of the server's.
PUBLISH_PENDING_SQL: Final = """
    WITH pending AS (
        SELECT id FROM outbox
        WHERE published_at IS NULL AND topic = ANY($1::text[])
        ORDER BY id
        LIMIT $2
        FOR UPDATE
    ),
    numbered AS (
        SELECT id, nextval('outbox_published_seq') AS seq
        FROM (SELECT id FROM pending ORDER BY id) AS ordered
    )
    UPDATE outbox
    SET published_at = greatest(now(), outbox.created_at), published_seq = numbered.seq
    FROM numbered
    WHERE outbox.id = numbered.id
    RETURNING outbox.published_seq, outbox.topic, outbox.payload
"""

PUBLISHED_AFTER_SQL: Final = """
    SELECT published_seq, topic, payload FROM outbox
    WHERE published_seq > $1 AND topic = ANY($2::text[])
      AND ($3::bigint IS NULL OR (payload ->> 'user_id')::bigint = $3)
    ORDER BY published_seq
    LIMIT $4
"""

LAST_PUBLISHED_SQL: Final = "SELECT max(published_seq) FROM outbox"


@final
@attrs.frozen
class PublishedEvent:
    """An outbox row as published: its number in publication order, topic and payload."""

    seq: int
    topic: str
    payload: Mapping[str, object]


def _event(row: Row) -> PublishedEvent:
    return PublishedEvent(
        seq=row["published_seq"], topic=row["topic"], payload=json.loads(row["payload"])
    )


async def publish_pending(
    database: PostgresDatabase, topics: Collection[str], limit: int
) -> list[PublishedEvent]:
    """Mark up to ``limit`` unpublished rows of ``topics`` published, oldest first, numbered
    in that order; returns them by number. The marks commit when this returns: a caller that
    then fails to deliver them leaves them to clients catching up (`published_after`)."""
    async with database.transaction():
        await database.execute(RELAY_LOCK_SQL)
        rows = await database.fetch_all(PUBLISH_PENDING_SQL, list(topics), limit)
    return sorted(map(_event, rows), key=lambda event: event.seq)


async def published_after(
    database: PostgresDatabase,
    topics: Collection[str],
    *,
    after: int,
    user_id: int | None,
    limit: int,
) -> list[PublishedEvent]:
    """Up to ``limit`` published rows of ``topics`` numbered after ``after``, in order;
    only those whose payload's ``user_id`` is ``user_id`` unless it is None."""
    rows = await database.fetch_all(PUBLISHED_AFTER_SQL, after, list(topics), user_id, limit)
    return [_event(row) for row in rows]


async def last_published_seq(database: PostgresDatabase) -> int:
    """The number of the last row published (of any topic), 0 when none is."""
    return int(await database.fetch_value(LAST_PUBLISHED_SQL) or 0)
