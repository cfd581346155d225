"""The catalog's products for carts, read through a short-lived cache.

Every cart command needs the products of the cart's lines to price it; a shop's carts
share a small set of popular products, so they are kept for ``ttl`` seconds (a product
changed by an import shows in carts within that time). Unknown SKUs are remembered as
unknown for the same time, so a client asking again and again for a SKU that does not
exist costs the database nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

from cachetools import TTLCache

from pulseshop.adapters.postgres import current_catalog
from pulseshop.core.catalog import Product

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from pulseshop.adapters.postgres import PostgresDatabase

CACHED_PRODUCTS: Final = 50_000
"""The most products (or unknown SKUs) the cache holds."""

_UNSEEN: Final = object()


@final
class CatalogProducts:
    """Products by SKU from the catalog's database, cached for ``ttl`` seconds."""

    def __init__(self, database: PostgresDatabase, *, ttl: float = 30.0) -> None:
        self._database = database
        self._cache: TTLCache[str, Product | None] = TTLCache(CACHED_PRODUCTS, ttl)

    async def products(self, skus: Collection[str]) -> Mapping[str, Product]:
        """The products with these SKUs; unknown SKUs are left out."""
        found: dict[str, Product] = {}
        missing: list[str] = []
        for sku in skus:
            cached = self._cache.get(sku, _UNSEEN)
            if cached is _UNSEEN:
                missing.append(sku)
            elif isinstance(cached, Product):
                found[sku] = cached
        if missing:
            fetched = await current_catalog(self._database, missing)
            for sku in missing:
                product = fetched.get(sku)
                self._cache[sku] = product
                if product is not None:
                    found[sku] = product
        return found

    def forget(self) -> None:
        """Drop every cached product (after this process changed the catalog)."""
        self._cache.clear()
