"""The catalog's products for carts, read through a short-lived cache.

Every cart command needs the products of the cart's lines to price it; a shop's carts
share a small set of popular products, so they are kept for ``ttl`` seconds. An import by
the service empties the cache of its every process (`forget`); one by another program (the
CLI) shows in carts within ``ttl``. Unknown SKUs are remembered as
unknown for the same time, so a client asking again and again for a SKU that does not
exist costs the database nothing.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Final, final

from pulseshop.adapters.postgres import current_catalog
from pulseshop.shell.read_cache import ReadThroughCache

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.core.catalog import Product
    from pulseshop.shell.read_cache import CacheInvalidations

CACHED_PRODUCTS: Final = 50_000
"""The most products (or unknown SKUs) the cache holds."""

CACHE_NAME: Final = "catalog"
"""The cache's name in metrics and invalidation messages; its keys are SKUs."""


async def _products_by_sku(
    database: PostgresDatabase, skus: Sequence[str]
) -> Mapping[str, Product | None]:
    found = await current_catalog(database, skus)
    return {sku: found.get(sku) for sku in skus}


@final
class CatalogProducts:
    """Products by SKU from the catalog's database, cached for ``ttl`` seconds.

    Registered with ``invalidations`` (when given), `forget` empties the cache of every
    process of the service, not only this one's.
    """

    def __init__(
        self,
        database: PostgresDatabase,
        *,
        ttl: float = 30.0,
        invalidations: CacheInvalidations | None = None,
    ) -> None:
        self._cache: ReadThroughCache[str, Product | None] = ReadThroughCache(
            CACHE_NAME, partial(_products_by_sku, database), maxsize=CACHED_PRODUCTS, ttl=ttl
        )
        self.cached: Callable[[str], Product | None] = self._cache.cached
        """The product with this SKU if it is cached, else None (then ask `product`): the
        hot path, a plain dict read (the cache's own method, not wrapped)."""
        self._invalidations = invalidations
        if invalidations is not None:
            invalidations.register(self._cache)

    async def products(self, skus: Collection[str]) -> Mapping[str, Product]:
        """The products with these SKUs; unknown SKUs are left out. SKUs not cached are
        read in one query, shared with the readers asking for them at the same time."""
        cached = await self._cache.get_many(skus)
        return {sku: product for sku, product in cached.items() if product is not None}

    def product(self, sku: str) -> Awaitable[Product | None]:
        """The product with this SKU, if there is one (the cache's own read, not wrapped:
        this is the hot path of ``GET /api/v1/products/{sku}``)."""
        return self._cache.get(sku)

    async def forget(self) -> None:
        """Drop every cached product, here and in the service's other processes (after
        this process changed the catalog)."""
        if self._invalidations is None:
            self._cache.clear()
        else:
            await self._invalidations.invalidate(CACHE_NAME)
