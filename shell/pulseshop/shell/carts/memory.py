"""Carts and products kept in this process's memory: the ports without a database.

For tests of the runtime and for measuring the runtime alone (`tools/bench/carts.py`);
the service itself always keeps carts in PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping
    from datetime import datetime

    from pulseshop.core.cart import Cart
    from pulseshop.core.catalog import Product


@final
class MemoryCartStore:
    """A `CartStore` in a dict, with the same optimistic concurrency on the version."""

    def __init__(self) -> None:
        self.carts: dict[int, tuple[Cart, datetime]] = {}

    async def load(self, user_id: int) -> Cart | None:
        """The user's stored cart, or None."""
        stored = self.carts.get(user_id)
        return None if stored is None else stored[0]

    async def save(
        self, user_id: int, cart: Cart, *, expected_version: int, expires_at: datetime
    ) -> bool:
        """Store ``cart`` if the stored version is ``expected_version`` (0: none)."""
        stored = self.carts.get(user_id)
        if (0 if stored is None else stored[0].version) != expected_version:
            return False
        self.carts[user_id] = (cart, expires_at)
        return True


@final
class MemoryProducts:
    """A `ProductSource` over a fixed set of products."""

    def __init__(self, products: Collection[Product]) -> None:
        self._products = {product.sku: product for product in products}

    async def products(self, skus: Collection[str]) -> Mapping[str, Product]:
        """The products with these SKUs; unknown SKUs are left out."""
        return {sku: self._products[sku] for sku in skus if sku in self._products}
