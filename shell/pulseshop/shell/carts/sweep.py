"""Removing abandoned carts: a periodic pass over the carts whose time ran out.

A cart expires ``cart_ttl`` after its last change (each save moves its ``expires_at``).
The sweep deletes expired carts a batch at a time, leaving alone any cart whose user has a
live actor (that user is active; the actor expires a stale cart itself when it loads it),
and deleting a cart only at the version it read, so a cart changed meanwhile stays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pulseshop.adapters.postgres import delete_cart, expired_carts, load_cart
from pulseshop.shell.carts import metrics

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.shell.carts.supervisor import CartSupervisor

SWEEP_BATCH: Final = 500
"""Expired carts looked at per query."""


async def sweep_once(
    database: PostgresDatabase, supervisor: CartSupervisor, *, now: datetime
) -> int:
    """Delete the carts expired at ``now`` whose users have no live actor; how many."""
    removed = 0
    skipped: set[int] = set()
    while True:
        candidates = [
            user_id
            for user_id in await expired_carts(database, now=now, limit=SWEEP_BATCH + len(skipped))
            if user_id not in skipped
        ]
        if not candidates:
            return removed
        for user_id in candidates:
            stored = await load_cart(database, user_id)
            if (
                supervisor.is_live(user_id)
                or stored is None
                or stored.expires_at > now
                or not await delete_cart(database, user_id, version=stored.version)
            ):
                skipped.add(user_id)
            else:
                removed += 1
                metrics.EXPIRED.inc()
