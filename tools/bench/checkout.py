"""Checkout: checkouts per second against pgbench running the same statements, and p99 at half
the maximum rate.

In one run, on a throwaway database holding ``--products`` products with ample stock:

- maximum rate: ``--checkouts`` users, each with one item in the cart, check out through
  `pulseshop.shell.checkout.Checkout` (the code behind ``POST /api/v1/checkout``: the
  idempotency claim, the cart actor, the sandbox gateway, the one transaction) from
  ``--concurrency`` tasks at once. The baseline is pgbench running the same statements
  (the claim, the stock lock and guarded update, the order, its lines, the payment, the
  cart, the audit entry, two outbox rows, the stored answer; `PGBENCH_SCRIPT`) with as
  many clients, for the same number of transactions. Reported: both rates and their
  ratio (the goal is at least 30%).
- latency: as many users again check out at half the maximum rate, started on a fixed
  schedule whatever the answers take (open loop). Reported: p50 and p99 (the goal is p99
  under 100 ms).

The database is created on the server named by ``PULSESHOP_BENCH_DATABASE_URL``, else the
one on 127.0.0.1:5432 (user postgres) when it answers, else an embedded server, and
dropped after. A missed goal is reported, not failed: this is a benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

from csv_import import find_psql, postgres_server, throwaway_database

from pulseshop.adapters.postgres import PostgresDatabase, ensure_user
from pulseshop.adapters.postgres.idempotency import request_fingerprint
from pulseshop.adapters.sandbox_gateway import SandboxGateway
from pulseshop.core.access import Email
from pulseshop.core.cart import AddItem
from pulseshop.core.catalog import Product
from pulseshop.core.money import EUR, Money
from pulseshop.shell.carts.actor import CartDeps
from pulseshop.shell.carts.memory import MemoryProducts
from pulseshop.shell.carts.pricing import load_shop_pricing
from pulseshop.shell.carts.store import PostgresCartStore
from pulseshop.shell.carts.supervisor import CartSupervisor
from pulseshop.shell.checkout import Checkout
from pulseshop.shell.collector import tune_for_service

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pulseshop.adapters.postgres import PostgresUrl

RATE_GOAL: Final = 30.0
P99_GOAL: Final = 0.100
BODY: Final = b'{"payment_token": "tok_ok"}'
TTL: Final = timedelta(days=30)

PGBENCH_SCRIPT: Final = Path(__file__).with_name("checkout_pgbench.sql")
"""The statements of one checkout as the adapters run them, for pgbench."""


def _now() -> datetime:
    return datetime.now(UTC)


def _products(count: int) -> list[Product]:
    return [
        Product(f"BENCH-{n}", "Tea", Money.of("8.90", EUR), "reduced", stock=10**8)
        for n in range(1, count + 1)
    ]


async def prepare(database: PostgresDatabase, products: list[Product], users: int) -> None:
    """The products with their stock, and the users."""
    for product in products:
        product_id = await database.fetch_value(
            "INSERT INTO products (sku, name, unit_price, currency, tax_category) "
            "VALUES ($1, $2, $3, 'EUR', $4) RETURNING id",
            product.sku,
            product.name,
            product.unit_price.amount,
            product.tax_category,
        )
        await database.execute(
            "INSERT INTO inventory (product_id, stock) VALUES ($1, $2)", product_id, product.stock
        )
    for number in range(1, users + 1):
        await ensure_user(database, Email(f"buyer-{number}@example.com"), "customer")


async def fill_carts(supervisor: CartSupervisor, products: list[Product], users: range) -> None:
    """One item in each user's cart."""
    for first in range(users.start, users.stop, 200):
        await asyncio.gather(
            *(
                supervisor.ask(user, AddItem(f"fill-{user}", product.sku, 1, product))
                for user in range(first, min(first + 200, users.stop))
                for product in (products[user % len(products)],)
            )
        )


async def checkout_once(checkout: Checkout, user: int) -> float:
    """Seconds one checkout took; raises when it did not create the order."""
    started = time.perf_counter()
    answer = await checkout.place(
        user,
        key=f"bench-{user}",
        fingerprint=request_fingerprint("POST", "/api/v1/checkout", BODY),
        payment_token="tok_ok",  # noqa: S106 - the sandbox's test card
    )
    if answer.status != 201:
        raise SystemExit(f"checkout of user {user} answered {answer.status}: {answer.body}")
    return time.perf_counter() - started


async def ours(url: PostgresUrl, options: argparse.Namespace) -> tuple[float, list[float]]:
    """Checkouts per second at full speed, and the latencies at half that rate."""
    products = _products(options.products)
    database = PostgresDatabase(url, min_size=options.concurrency, max_size=options.concurrency + 4)
    await database.connect()
    try:
        await prepare(database, products, 2 * options.checkouts)
        store = PostgresCartStore(database)
        supervisor = CartSupervisor(
            CartDeps(
                store=store,
                products=MemoryProducts(products),
                pricing=load_shop_pricing(None),
                clock=_now,
                cart_ttl=TTL,
            ),
            idle_timeout=600,
        )
        checkout = Checkout(database, supervisor, store, SandboxGateway(), clock=_now, cart_ttl=TTL)
        await fill_carts(supervisor, products, range(1, 2 * options.checkouts + 1))
        # As `pulseshop serve` runs: the collector tuned once the service is up.
        tune_for_service()
        waiting = list(range(1, options.checkouts + 1))

        async def worker() -> None:
            while waiting:
                await checkout_once(checkout, waiting.pop())

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(options.concurrency)))
        rate = options.checkouts / (time.perf_counter() - started)

        interval = 2 / rate
        begin = time.perf_counter()
        tasks = []
        for index, user in enumerate(range(options.checkouts + 1, 2 * options.checkouts + 1)):
            delay = begin + index * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(checkout_once(checkout, user)))
        latencies = list(await asyncio.gather(*tasks))
        await supervisor.close()
    finally:
        await database.disconnect()
    return rate, latencies


def pgbench_rate(url: PostgresUrl, options: argparse.Namespace) -> float:
    """Transactions per second of pgbench running `PGBENCH_SCRIPT`."""
    pgbench = str(Path(find_psql()).with_name("pgbench"))
    script = PGBENCH_SCRIPT
    per_client = max(1, options.checkouts // options.concurrency)
    result = subprocess.run(  # noqa: S603 - our own arguments, no shell
        [
            pgbench,
            "--no-vacuum",
            f"--client={options.concurrency}",
            "--jobs=2",
            f"--transactions={per_client}",
            f"--define=users={2 * options.checkouts}",
            f"--define=products={options.products}",
            f"--file={script}",
            url.text,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"tps = ([\d.]+)", result.stdout)
    if found is None:
        raise SystemExit(f"pgbench printed no rate:\n{result.stdout}\n{result.stderr}")
    # pgbench counts a script run as one transaction: one checkout.
    return float(found[1])


def _percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: Sequence[str] | None = None) -> int:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--checkouts", type=int, default=2_000, help="checkouts per measurement")
    parser.add_argument("--concurrency", type=int, default=16, help="checkouts at once")
    parser.add_argument("--products", type=int, default=100, help="products bought")
    options = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="pulseshop-bench-") as directory,
        postgres_server(Path(directory)) as server,
        throwaway_database(server) as url,
    ):
        rate, latencies = asyncio.run(ours(url, options))
        baseline = pgbench_rate(url, options)
    ratio = 100 * rate / baseline
    p50, p99 = _percentile(latencies, 0.50), _percentile(latencies, 0.99)
    print(f"== checkout, {options.checkouts:,} checkouts, {options.concurrency} at once")
    print(f"pulseshop checkout: {rate:10,.0f} checkouts/s")
    print(f"pgbench, same SQL:  {baseline:10,.0f} transactions/s")
    print(f"ratio: {ratio:.1f}% of pgbench (goal: >= {RATE_GOAL:.0f}%)")
    print("goal met" if ratio >= RATE_GOAL else "goal NOT met")
    print(f"== latency at half the maximum rate ({rate / 2:,.0f} checkouts/s, open loop)")
    print(f"p50 {p50 * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms (goal: p99 < 100 ms)")
    print("goal met" if p99 < P99_GOAL else "goal NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
