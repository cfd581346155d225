"""Read caches: a cached catalog read against ``dict.get`` and against the database.

In one process, on a catalog of ``--products`` products:

- ``dict.get``: the baseline: a product looked up in a plain dict of products by SKU;
- cached: ``CatalogProducts.cached(sku)`` of a warm SKU, as the service's
  ``GET /api/v1/products/{sku}`` and product page read it first (a plain dict kept beside
  the TTL bookkeeping, and a hit counter); shown as a multiple of ``dict.get`` (the goal is
  at most 5x);
- for context: ``await CatalogProducts.product(sku)``, the read that loads on a miss (TTL
  check, coroutine), and an ``async`` function returning ``dict.get`` (what any awaited
  read costs at least);
- uncached: ``current_catalog(database, [sku])``, one indexed query per read; the cached
  read's speed-up over it (the goal is at least 20x).

Every figure is the best of ``--repeats`` runs of ``--reads`` reads cycling over the SKUs.
The PostgreSQL database is created for the run and dropped after it, on the server named by
``PULSESHOP_BENCH_DATABASE_URL``, else the one on 127.0.0.1:5432 (user postgres) when it
answers, else an embedded server in a temporary directory. A missed goal is reported, not
failed: this is a benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from csv_import import postgres_server, throwaway_database

from pulseshop.adapters.postgres import PostgresDatabase, current_catalog
from pulseshop.shell.carts.products import CatalogProducts

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from pulseshop.adapters.postgres import PostgresUrl
    from pulseshop.core.catalog import Product

DICT_GOAL: Final = 5.0
"""The cached read may take at most this multiple of ``dict.get``."""
DATABASE_GOAL: Final = 20.0
"""The cached read must be at least this many times faster than the database read."""


async def stock(database: PostgresDatabase, count: int) -> list[str]:
    """``count`` products with stock; their SKUs."""
    skus = [f"TEA-{number:05d}" for number in range(count)]
    await database.execute(
        "INSERT INTO products (sku, name, unit_price, currency, tax_category, category) "
        "SELECT sku, 'Tea ' || sku, 8.90, 'EUR', 'reduced', 'tea' FROM unnest($1::text[]) sku",
        skus,
    )
    await database.execute("INSERT INTO inventory (product_id, stock) SELECT id, 100 FROM products")
    return skus


def seconds_per_read_sync(read: Callable[[str], object], skus: Sequence[str], reads: int) -> float:
    """Seconds per call of ``read``, cycling over ``skus``."""
    keys = [skus[number % len(skus)] for number in range(reads)]
    started = time.perf_counter()
    for key in keys:
        read(key)
    return (time.perf_counter() - started) / reads


async def seconds_per_read(
    read: Callable[[str], Awaitable[object]], skus: Sequence[str], reads: int
) -> float:
    """Seconds per awaited call of ``read``, cycling over ``skus``."""
    keys = [skus[number % len(skus)] for number in range(reads)]
    started = time.perf_counter()
    for key in keys:
        await read(key)
    return (time.perf_counter() - started) / reads


async def measure(url: PostgresUrl, options: argparse.Namespace) -> None:
    """Print the figures, on a new catalog in the database at ``url``."""
    database = PostgresDatabase(url, min_size=1, max_size=2)
    await database.connect()
    try:
        skus = await stock(database, options.products)
        catalog = CatalogProducts(database, ttl=3600.0)
        await catalog.products(skus)  # warm
        plain: dict[str, Product] = dict(await current_catalog(database, skus))

        async def awaited_dict_get(sku: str) -> Product | None:
            return plain.get(sku)

        async def uncached(sku: str) -> object:
            return await current_catalog(database, [sku])

        reads, repeats = options.reads, options.repeats
        baseline = min(seconds_per_read_sync(plain.get, skus, reads) for _ in range(repeats))
        awaited = min(
            [await seconds_per_read(awaited_dict_get, skus, reads) for _ in range(repeats)]
        )
        cached = min(seconds_per_read_sync(catalog.cached, skus, reads) for _ in range(repeats))
        cached_awaited = min(
            [await seconds_per_read(catalog.product, skus, reads) for _ in range(repeats)]
        )
        database_reads = max(1, reads // 100)
        stored = min(
            [await seconds_per_read(uncached, skus, database_reads) for _ in range(repeats)]
        )
    finally:
        await database.disconnect()

    print(f"== catalog reads ({options.products:,} products, best of {repeats})")
    print(f"dict.get (baseline):            {baseline * 1e9:10,.0f} ns/read")
    print(f"awaited dict.get:               {awaited * 1e9:10,.0f} ns/read")
    print(f"cached (CatalogProducts.cached):{cached * 1e9:10,.0f} ns/read")
    print(f"awaited CatalogProducts.product:{cached_awaited * 1e9:10,.0f} ns/read")
    print(f"uncached (current_catalog):     {stored * 1e9:10,.0f} ns/read")
    to_dict = cached / baseline
    print(
        f"cached / dict.get: {to_dict:.1f}x (goal: <= {DICT_GOAL:.0f}x); "
        f"awaited product / awaited dict.get: {cached_awaited / awaited:.1f}x"
    )
    print("goal met" if to_dict <= DICT_GOAL else "goal NOT met")
    speed_up = stored / cached
    print(f"uncached / cached: {speed_up:,.0f}x faster (goal: >= {DATABASE_GOAL:.0f}x)")
    print("goal met" if speed_up >= DATABASE_GOAL else "goal NOT met")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=1_000, help="products in the catalog")
    parser.add_argument("--reads", type=int, default=200_000, help="cached reads timed per run")
    parser.add_argument("--repeats", type=int, default=5, help="runs; the best is reported")
    options = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="pulseshop-bench-") as directory,
        postgres_server(Path(directory)) as server,
        throwaway_database(server) as url,
    ):
        asyncio.run(measure(url, options))
    return 0


if __name__ == "__main__":
    sys.exit(main())
