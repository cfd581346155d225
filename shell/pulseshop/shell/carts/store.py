"""Carts kept in PostgreSQL: the `CartStore` of the service.

A cart is stored as its snapshot (`pulseshop.core.cart.codec`) with its version; a save
names the version it read, so of two writers of one cart only the first succeeds (the
other reloads). A snapshot this release cannot read is a bug or data written by other
means: it raises, the actor crashes, and its supervisor says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

from returns.result import Failure

from pulseshop.adapters.postgres import load_cart, save_cart
from pulseshop.core.cart.codec import cart_from_json, cart_to_json

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.core.cart import Cart


@final
class UnreadableCartError(ValueError):
    """A stored cart snapshot is not one this release can read."""


@final
class PostgresCartStore:
    """Cart snapshots in the ``carts`` table."""

    def __init__(self, database: PostgresDatabase, *, node: str | None = None) -> None:
        self._database = database
        self._node = node

    async def load(self, user_id: int) -> Cart | None:
        """The user's stored cart, or None when there is none."""
        stored = await load_cart(self._database, user_id)
        if stored is None:
            return None
        cart = cart_from_json(dict(stored.snapshot))
        if isinstance(cart, Failure):
            raise UnreadableCartError(f"the stored cart of user {user_id}: {cart.failure()}")
        return cart.unwrap()

    async def save(
        self, user_id: int, cart: Cart, *, expected_version: int, expires_at: datetime
    ) -> bool:
        """Store ``cart`` if the stored version is still ``expected_version``."""
        if cart.updated_at is None:
            raise ValueError("a cart is stored after its first event, which sets updated_at")
        return await save_cart(
            self._database,
            user_id,
            expected_version=expected_version,
            version=cart.version,
            snapshot=cart_to_json(cart),
            updated_at=cart.updated_at,
            expires_at=expires_at,
            owner_node=self._node,
        )
