"""The latest snapshot of each user's cart, saved with optimistic concurrency.

A cart's row carries the version of the snapshot it holds. A writer says which version it
read (``expected_version``, 0 for a cart never saved) and which it writes; the write
happens only if the row is still at the version read, in one statement, so of two writers
that read the same version exactly one wins and the other learns it lost (False) without
having overwritten anything. Deleting a cart is conditional on its version the same way,
so the expiry sweep never deletes a cart saved after the sweep looked at it.

``owner_node`` names the node of a cluster that wrote the snapshot (None outside a
cluster); ``epoch`` counts how many times a save changed it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final, final

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from pulseshop.adapters.postgres.database import PostgresDatabase, Row

__all__ = ["CartSnapshot", "delete_cart", "expired_carts", "load_cart", "save_cart"]

# jsonb is read as text, whatever codecs the connection has, and parsed here.
LOAD_CART_SQL: Final = """
    SELECT user_id, version, snapshot::text AS snapshot, updated_at, expires_at, epoch,
           owner_node
    FROM carts
    WHERE user_id = $1
"""

# The first save. A row already there (another writer's first save, which this waits for
# and then sees) is updated only if it is still at version 0.
INSERT_CART_SQL: Final = """
    INSERT INTO carts AS cart (user_id, version, snapshot, owner_node, updated_at, expires_at)
    VALUES ($1, $2, $3::jsonb, $4, $5, $6)
    ON CONFLICT (user_id) DO UPDATE
    SET version = EXCLUDED.version,
        snapshot = EXCLUDED.snapshot,
        owner_node = EXCLUDED.owner_node,
        epoch = cart.epoch + (cart.owner_node IS DISTINCT FROM EXCLUDED.owner_node)::int,
        updated_at = EXCLUDED.updated_at,
        expires_at = EXCLUDED.expires_at
    WHERE cart.version = 0
    RETURNING cart.version
"""

# Every later save. A concurrent writer's update of the same row makes this one wait, then
# check its WHERE again against the row that writer left: a changed version updates nothing.
UPDATE_CART_SQL: Final = """
    UPDATE carts
    SET version = $2,
        snapshot = $3::jsonb,
        owner_node = $4,
        epoch = epoch + (owner_node IS DISTINCT FROM $4)::int,
        updated_at = $5,
        expires_at = $6
    WHERE user_id = $1 AND version = $7
    RETURNING version
"""

EXPIRED_CARTS_SQL: Final = """
    SELECT user_id
    FROM carts
    WHERE expires_at <= $1
    ORDER BY expires_at, user_id
    LIMIT $2
"""

DELETE_CART_SQL: Final = "DELETE FROM carts WHERE user_id = $1 AND version = $2"


@final
@attrs.frozen
class CartSnapshot:
    """A cart as stored: the snapshot its actor saved, at a version, until it expires."""

    user_id: int
    version: int
    # A dict holds the JSON object; it takes no part in the hash (it cannot).
    snapshot: Mapping[str, object] = attrs.field(hash=False)
    updated_at: datetime
    expires_at: datetime
    epoch: int
    owner_node: str | None


def _snapshot(row: Row) -> CartSnapshot:
    return CartSnapshot(
        user_id=row["user_id"],
        version=row["version"],
        snapshot=json.loads(row["snapshot"]),
        updated_at=row["updated_at"],
        expires_at=row["expires_at"],
        epoch=row["epoch"],
        owner_node=row["owner_node"],
    )


async def load_cart(database: PostgresDatabase, user_id: int) -> CartSnapshot | None:
    """The user's saved cart, or None when there is none."""
    row = await database.fetch_one(LOAD_CART_SQL, user_id)
    return None if row is None else _snapshot(row)


async def save_cart(
    database: PostgresDatabase,
    user_id: int,
    *,
    expected_version: int,
    version: int,
    snapshot: Mapping[str, object],
    updated_at: datetime,
    expires_at: datetime,
    owner_node: str | None = None,
) -> bool:
    """Save ``snapshot`` as ``version`` of the user's cart if the stored cart is at
    ``expected_version`` (0: there is none yet); False, changing nothing, when it is not.

    ``owner_node`` replaces the stored owner; a different one than stored adds 1 to the
    cart's epoch.

    Raises:
        ValueError: ``version`` is not above ``expected_version``, ``expected_version`` is
            negative, or ``snapshot`` holds a NaN or an infinity.
        TypeError: ``snapshot`` holds a value of a type JSON cannot represent.
        asyncpg.ForeignKeyViolationError: there is no user ``user_id``.
    """
    if not 0 <= expected_version < version:
        raise ValueError(
            f"a save goes from a version to a higher one, got {expected_version} to {version}"
        )
    # NaN and infinities are not JSON: refuse them here rather than let the server do it.
    document = json.dumps(dict(snapshot), separators=(",", ":"), allow_nan=False)
    if expected_version == 0:
        saved = await database.fetch_value(
            INSERT_CART_SQL, user_id, version, document, owner_node, updated_at, expires_at
        )
    else:
        saved = await database.fetch_value(
            UPDATE_CART_SQL,
            user_id,
            version,
            document,
            owner_node,
            updated_at,
            expires_at,
            expected_version,
        )
    return saved is not None


async def expired_carts(database: PostgresDatabase, *, now: datetime, limit: int) -> list[int]:
    """The users whose carts expired at or before ``now``, the longest expired first, at
    most ``limit`` of them."""
    rows = await database.fetch_all(EXPIRED_CARTS_SQL, now, limit)
    return [row["user_id"] for row in rows]


async def delete_cart(database: PostgresDatabase, user_id: int, *, version: int) -> bool:
    """Delete the user's cart if it is at ``version``; False when it is not (or there is
    none)."""
    status = await database.execute(DELETE_CART_SQL, user_id, version)
    # The server's status tag says "DELETE <rows>".
    return status != "DELETE 0"
