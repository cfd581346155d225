"""What the cart runtime needs from the world, as Protocols: where carts are kept and where
products are found. Adapters implement them; tests use small fakes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping
    from datetime import datetime

    from pulseshop.core.cart import Cart
    from pulseshop.core.catalog import Product


class CartStore(Protocol):
    """Cart snapshots by user, written with optimistic concurrency on the version."""

    async def load(self, user_id: int) -> Cart | None:
        """The user's stored cart, or None when there is none."""

    async def save(
        self, user_id: int, cart: Cart, *, expected_version: int, expires_at: datetime
    ) -> bool:
        """Store ``cart`` if the stored version is still ``expected_version`` (0: none
        stored); False, and nothing written, when another writer got there first."""


class ProductSource(Protocol):
    """The catalog's products, looked up by SKU."""

    async def products(self, skus: Collection[str]) -> Mapping[str, Product]:
        """The products with these SKUs; unknown SKUs are left out."""
