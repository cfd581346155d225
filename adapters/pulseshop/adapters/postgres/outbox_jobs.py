"""Outbox rows that become jobs: claimed a batch at a time, handed to the job queue, and
stamped published in the same transaction.

Rows are claimed with ``FOR UPDATE SKIP LOCKED``, so several relays (one per node) share the
work without waiting on each other. A relay that dies after handing rows to the queue and
before its commit leaves them unpublished: they are handed over again (at least once), and
every job is written to have no second effect.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final, final

import attrs

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping
    from datetime import datetime

    from pulseshop.adapters.postgres.database import PostgresDatabase

__all__ = ["JobRow", "claim_job_rows", "mark_jobs_published"]

CLAIM_SQL: Final = """
    SELECT id, topic, payload FROM outbox
    WHERE published_at IS NULL AND topic = ANY($1::text[])
    ORDER BY id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
"""

MARK_SQL: Final = """
    UPDATE outbox SET published_at = greatest($2, created_at), attempts = attempts + 1
    WHERE id = ANY($1::bigint[])
"""


@final
@attrs.frozen
class JobRow:
    """An outbox row that becomes a job."""

    id: int
    topic: str
    payload: Mapping[str, object]


async def claim_job_rows(
    database: PostgresDatabase, topics: Collection[str], limit: int
) -> list[JobRow]:
    """Lock up to ``limit`` unpublished rows of ``topics``, oldest first, skipping rows
    another relay holds (call inside a transaction: the locks last until it ends)."""
    rows = await database.fetch_all(CLAIM_SQL, sorted(topics), limit)
    return [JobRow(row["id"], row["topic"], _payload(row["payload"])) for row in rows]


async def mark_jobs_published(
    database: PostgresDatabase, ids: Collection[int], *, now: datetime
) -> None:
    """Stamp the rows ``ids`` published at ``now`` (never before they were written)."""
    await database.execute(MARK_SQL, sorted(ids), now)


def _payload(value: object) -> Mapping[str, object]:
    # asyncpg hands jsonb over as text.
    loaded = json.loads(value) if isinstance(value, str) else value
    if not isinstance(loaded, dict):
        raise TypeError(f"an outbox payload is an object, got {type(loaded).__name__}")
    return loaded
