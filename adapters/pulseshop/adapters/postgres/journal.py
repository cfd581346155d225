"""The audit log and the outbox: what checkout and the order endpoints record beside their
changes, in the same transaction.

The audit log is append-only (revision 0005's trigger refuses changes); the outbox holds
the messages a relay publishes after commit, so none is sent for a change rolled back.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from pulseshop.adapters.postgres.database import PostgresDatabase

__all__ = ["append_audit", "append_outbox", "append_outbox_rows"]

INSERT_AUDIT_SQL: Final = """
    INSERT INTO audit_log (actor_user_id, action, target_type, target_id, details, created_at)
    VALUES ($1, $2, $3, $4, $5::jsonb, $6)
    RETURNING id
"""

INSERT_OUTBOX_SQL: Final = (
    "INSERT INTO outbox (topic, payload, created_at) VALUES ($1, $2::jsonb, $3) RETURNING id"
)


async def append_audit(
    database: PostgresDatabase,
    *,
    actor_user_id: int | None,
    action: str,
    target_type: str | None,
    target_id: str | None,
    details: Mapping[str, object],
    now: datetime,
) -> int:
    """Append an entry to the audit log (``action`` as ``order.created``); returns its id.

    Raises:
        ValueError: ``details`` holds a NaN or an infinity.
        TypeError: ``details`` holds a value JSON cannot represent.
    """
    return int(
        await database.fetch_value(
            INSERT_AUDIT_SQL, actor_user_id, action, target_type, target_id, _json(details), now
        )
    )


async def append_outbox(
    database: PostgresDatabase, *, topic: str, payload: Mapping[str, object], now: datetime
) -> int:
    """Queue ``payload`` for the relay to publish on ``topic``; returns the row's id.

    Raises:
        ValueError: ``payload`` holds a NaN or an infinity.
        TypeError: ``payload`` holds a value JSON cannot represent.
    """
    return int(await database.fetch_value(INSERT_OUTBOX_SQL, topic, _json(payload), now))


INSERT_OUTBOX_ROWS_SQL: Final = """
    INSERT INTO outbox (topic, payload, created_at)
    SELECT $1, p.payload, $3
    FROM unnest($2::jsonb[]) WITH ORDINALITY AS p (payload, n)
    ORDER BY p.n
"""


async def append_outbox_rows(
    database: PostgresDatabase,
    *,
    topic: str,
    payloads: Sequence[Mapping[str, object]],
    now: datetime,
) -> None:
    """Queue each of ``payloads``, in order, for the relay to publish on ``topic``.

    Raises:
        ValueError: a payload holds a NaN or an infinity.
        TypeError: a payload holds a value JSON cannot represent.
    """
    if payloads:
        await database.execute(
            INSERT_OUTBOX_ROWS_SQL, topic, [_json(payload) for payload in payloads], now
        )


def _json(document: Mapping[str, object]) -> str:
    # NaN and infinities are not JSON: refuse them here rather than let the server do it.
    return json.dumps(dict(document), separators=(",", ":"), allow_nan=False)
