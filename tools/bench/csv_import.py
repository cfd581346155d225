"""Catalog CSV import: parse + validate rows/s of `parse_catalog` against a plain csv baseline.

A catalog file of ``--rows`` rows (1,000,000 by default), shaped like the demo catalog, is
generated into a temporary directory from a fixed seed. Then, in the same run:

- parse + validate: `pulseshop.core.catalog.parse_catalog` over the file's byte lines,
  every row becoming a checked `Product`, against a baseline of `csv.reader` over the same
  file that does only ``int(stock)`` and ``Decimal(unit_price)`` for each row. The figure
  that matters is the ratio of their throughputs (the goal is at least 40%).
- the peak memory of one parse, as tracemalloc counts it (memory Python allocates; the
  interpreter and the libraries loaded before are not counted).
- the whole import: the file imported into an empty, migrated database by the code
  `pulseshop catalog import` runs (hash, parse, COPY into staging, upsert into products and
  inventory, the import's record), against `psql \\copy` of the same rows into the
  products table of a second such database, in the same run. The figure is the ratio of
  their throughputs (the goal is at least 50%). The import runs in a child process, whose
  peak resident memory (``getrusage`` maxrss: everything the process held, the interpreter
  included) is reported too (the goal is under 500 MB).

The databases are created for the run and dropped after it, on the server named by
``PULSESHOP_BENCH_DATABASE_URL``, else the one on 127.0.0.1:5432 (user postgres) when it
answers, else an embedded server in a temporary directory.

A missed goal is reported, not failed: this is a benchmark. A file that does not parse
cleanly, or rows the two readers count differently, is a failure.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.util
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

import asyncpg
from returns.pipeline import is_successful

from pulseshop.adapters.postgres import PostgresUrl, parse_postgres_url, upgrade_to_head
from pulseshop.adapters.postgres.embedded import EmbeddedPostgres
from pulseshop.core.catalog import Header, ProductRow, RejectedRow, parse_catalog, tier_column
from pulseshop.shell.catalog_files import CatalogSource
from pulseshop.shell.catalog_import import import_catalog, run_on_database

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

GOAL: Final = Decimal(40)
"""The least acceptable parse throughput, as a percentage of the baseline's."""

IMPORT_GOAL: Final = Decimal(50)
"""The least acceptable import throughput, as a percentage of `psql \\copy`'s."""

MEMORY_GOAL: Final = 500 * 10**6
"""The most bytes the import's process may hold at its peak."""

LOCAL_SERVER: Final = "postgresql://postgres@127.0.0.1:5432/postgres"

SEED: Final = 20260302
TIER_QUANTITIES: Final = (6, 12)
HEADER: Final = (
    "sku",
    "name",
    "unit_price",
    "currency",
    "tax_category",
    "stock",
    "category",
    "description",
    "active",
    *map(tier_column, TIER_QUANTITIES),
)
PRICE_CELL: Final = HEADER.index("unit_price")
STOCK_CELL: Final = HEADER.index("stock")


class Catalog(NamedTuple):
    """A generated catalog file and how many data rows it has."""

    path: Path
    rows: int


# ---------------------------------------------------------------- the file

# Each category: its SKU prefix, its tax category, the kinds of product it sells, and the
# forms they come in.
SHOP: Final = {
    "tea": (
        "TEA",
        "reduced",
        ("Darjeeling", "Assam", "Earl Grey", "Sencha", "Oolong", "White Peony", "Rooibos"),
        ("loose leaf 100 g", "refill bag 250 g", "20 pyramid bags", "tin 50 g"),
    ),
    "coffee": (
        "COF",
        "reduced",
        ("Ethiopia Guji", "Kenya Nyeri", "Colombia Huila", "Brazil Cerrado", "House Espresso"),
        ("beans 250 g", "ground 250 g", "beans 1 kg", "drip bags, 10"),
    ),
    "kitchen": (
        "KIT",
        "standard",
        ("Stoneware mug", "Teapot", "French press", "Dripper", "Canister", "Tea towel"),
        ("Harbour blue", "Sand", "Moss", "white", "black", "small", "large"),
    ),
    "stationery": (
        "STA",
        "standard",
        ("Notebook A5", "Notebook A6", "Fountain pen", "Gel pen", "Pencils", "Envelopes"),
        ("dotted", "lined", "plain", "black", "blue", "pack of 6", "pack of 12"),
    ),
    "books": (
        "BK",
        "zero",
        ("Leaves and Water", "Brew Better Coffee", "Small Bakes", "Quiet Mornings"),
        ("hardback", "paperback", "signed edition"),
    ),
    "food": (
        "FD",
        "reduced",
        ("Shortbread", "Stroopwafels", "Dark chocolate", "Wildflower honey", "Marmalade"),
        ("150 g", "200 g", "250 g", "340 g", "gift tin"),
    ),
    "gifts": (
        "GFT",
        "standard",
        ("Tea discovery box", "Candle", "Tote bag", "Art print", "Jigsaw puzzle"),
        ("small", "large", "A4", "A3", "1000 pieces"),
    ),
}
CATEGORIES: Final = tuple(SHOP)
ENDINGS: Final = ("00", "20", "40", "50", "80", "90", "95", "99")
"""How the shop's prices end, in cents."""
DESCRIPTIONS: Final = (
    "",
    "",
    "",
    "Made in small batches, packed by hand.",
    "Stoneware, 350 ml, dishwasher safe, microwave safe.",
    "Light, floral, with a long finish; steep 3 minutes at 90 °C.",
    'Our "house" favourite, for every day, at any time.',
    "Recycled paper, 100 g/m², lay-flat binding, numbered pages.",
    "Caramel, red apple, milk chocolate. Roasted on Mondays.",
)


def write_catalog(path: Path, rows: int, seed: int = SEED) -> Catalog:
    """Write a catalog file of ``rows`` valid products at ``path``, the same for a seed.

    Prices spread over a few thousand price points; about one row in six has volume prices
    (8% and 15% off, to the cent), one in thirty is inactive, and some descriptions hold
    commas and quotes.
    """
    # A benchmark's data, reproducible from the seed: no secret depends on it.
    rng = random.Random(seed)  # noqa: S311
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(HEADER)
        for number in range(rows):
            category = CATEGORIES[number % len(CATEGORIES)]
            prefix, tax_category, kinds, forms = SHOP[category]
            euros = min(int(rng.paretovariate(1.2) * 3) + 1, 9_999)
            cents = euros * 100 + int(rng.choice(ENDINGS))
            tiers = ["", ""]
            if rng.random() < 1 / 6:
                tiers = [_amount(cents * 92 // 100), _amount(cents * 85 // 100)]
            writer.writerow(
                (
                    f"{prefix}-{number:07d}",
                    f"{rng.choice(kinds)}, {rng.choice(forms)}",
                    _amount(cents),
                    "EUR",
                    tax_category,
                    rng.randrange(500),
                    category,
                    rng.choice(DESCRIPTIONS),
                    "false" if rng.random() < 1 / 30 else "true",
                    *tiers,
                )
            )
    return Catalog(path, rows)


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# ---------------------------------------------------------------- parse + validate


class ParseResult(NamedTuple):
    """What one parse of the file found."""

    products: int
    rejected: int
    warnings: int


def parse_file(path: Path) -> ParseResult:
    """Parse and validate the whole file with `parse_catalog`, counting what it yields."""
    products = rejected = warnings = 0
    with path.open("rb") as file:
        for record in parse_catalog(file):
            if isinstance(record, ProductRow):
                products += 1
            elif isinstance(record, RejectedRow):
                rejected += 1
            elif isinstance(record, Header):
                warnings += len(record.warnings)
    return ParseResult(products, rejected, warnings)


def baseline_file(path: Path) -> int:
    """Read the whole file with `csv.reader`, converting each row's stock and price only."""
    rows = 0
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        next(reader)
        for row in reader:
            int(row[STOCK_CELL])
            Decimal(row[PRICE_CELL])
            rows += 1
    return rows


def rate(work: Callable[[], object], rows: int) -> float:
    """Rows per second of one run of ``work`` over ``rows`` rows."""
    started = time.perf_counter()
    work()
    return rows / (time.perf_counter() - started)


def parse_peak_bytes(path: Path) -> int:
    """The most memory one parse of the file holds at once, as tracemalloc counts it."""
    tracemalloc.start()
    try:
        parse_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def report_parse(catalog: Catalog, rounds: int) -> bool:
    """Check the file parses cleanly, then time parse + validate against the baseline and
    measure the parse's peak memory; False when the file does not parse cleanly."""
    found = parse_file(catalog.path)
    if found != ParseResult(catalog.rows, 0, 0) or baseline_file(catalog.path) != catalog.rows:
        print(f"the generated file does not parse cleanly: {found}", file=sys.stderr)
        return False

    def ours() -> object:
        return parse_file(catalog.path)

    def theirs() -> object:
        return baseline_file(catalog.path)

    ours_rate = theirs_rate = 0.0
    # Alternate the two so that a slow patch of the machine hits both alike; the best round counts.
    for _ in range(rounds):
        ours_rate = max(ours_rate, rate(ours, catalog.rows))
        theirs_rate = max(theirs_rate, rate(theirs, catalog.rows))
    ratio = 100 * ours_rate / theirs_rate
    peak = parse_peak_bytes(catalog.path)
    print("== parse + validate")
    print(f"parse_catalog:             {ours_rate:12,.0f} rows/s")
    print(f"csv.reader + int + Decimal: {theirs_rate:11,.0f} rows/s")
    print(f"ratio: {ratio:.1f}% of the baseline (goal: >= {GOAL}%)")
    print("goal met" if ratio >= GOAL else "goal NOT met")
    print(f"peak memory of one parse (tracemalloc): {peak / 2**20:,.1f} MiB")
    return True


# ---------------------------------------------------------------- the whole import


def _url(text: str) -> PostgresUrl:
    url = parse_postgres_url(text)
    if not is_successful(url):
        raise SystemExit(f"not a PostgreSQL URL: {url.failure()}")
    return url.unwrap()


@contextmanager
def postgres_server(scratch: Path) -> Iterator[PostgresUrl]:
    """The maintenance database of the server the benchmark creates its databases on."""
    explicit = os.environ.get("PULSESHOP_BENCH_DATABASE_URL", "").strip()
    if explicit:
        yield _url(explicit)
        return
    with socket.socket() as probe:
        probe.settimeout(1)
        local = probe.connect_ex(("127.0.0.1", 5432)) == 0
    if local:
        yield _url(LOCAL_SERVER)
        return
    with EmbeddedPostgres(scratch / "postgres") as url:
        yield url


@contextmanager
def throwaway_database(server: PostgresUrl) -> Iterator[PostgresUrl]:
    """A new database migrated to the head revision, dropped afterwards."""
    name = f"pulseshop_bench_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(server.text)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        database = server.with_database(name)
        asyncio.run(upgrade_to_head(database))
        yield database
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def find_psql() -> str:
    """psql on the PATH, else the one inside the embedded server's wheel."""
    found = shutil.which("psql")
    if found:
        return found
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / "pginstall" / "bin" / "psql"
        if bundled.exists():
            return str(bundled)
    raise SystemExit("psql is needed for the import baseline: install the PostgreSQL client")


def import_in_this_process(url_text: str, path: str) -> None:
    """Import the file as `pulseshop catalog import` does; print seconds, counts and maxrss."""
    url = _url(url_text)
    started = time.perf_counter()
    with Path(path).open("rb") as stream:
        source = CatalogSource(stream, path)
        summary = run_on_database(
            url,
            lambda database: import_catalog(database, source, policy="reject-all", dry_run=False),
            failing="the import failed",
        )
    seconds = time.perf_counter() - started
    # Linux reports maxrss in KiB.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    counts = summary.counts
    print(json.dumps({"seconds": seconds, "created": counts.created, "failed": counts.failed,
                      "peak": peak}))  # fmt: skip


def copy_rows_file(catalog: Catalog, path: Path) -> Path:
    """The catalog's rows in the products table's columns, as CSV for `\\copy`."""
    with (
        catalog.path.open(encoding="utf-8", newline="") as source,
        path.open("w", encoding="utf-8", newline="") as target,
    ):
        reader = csv.reader(source)
        columns = {name: position for position, name in enumerate(next(reader))}
        tiers = [(quantity, columns[tier_column(quantity)]) for quantity in TIER_QUANTITIES]
        writer = csv.writer(target, lineterminator="\n")
        for row in reader:
            present = [(quantity, row[cell]) for quantity, cell in tiers if row[cell]]
            writer.writerow(
                (
                    row[columns["sku"]],
                    row[columns["name"]],
                    row[columns["category"]] or None,
                    row[columns["description"]] or None,
                    row[columns["unit_price"]],
                    row[columns["currency"]],
                    row[columns["tax_category"]],
                    row[columns["active"]],
                    "{" + ",".join(str(quantity) for quantity, _ in present) + "}",
                    "{" + ",".join(price for _, price in present) + "}",
                )
            )
    return path


COPY_COLUMNS: Final = (
    "sku, name, category, description, unit_price, currency, tax_category, active, "
    "tier_quantities, tier_prices"
)


def psql_copy(psql: str, url: PostgresUrl, path: Path) -> float:
    """Seconds `psql \\copy` takes to load the rows file into products."""
    command = f"\\copy products ({COPY_COLUMNS}) FROM '{path}' WITH (FORMAT csv)"
    started = time.perf_counter()
    # The command line is built here from our own values; no shell is involved.
    subprocess.run(  # noqa: S603
        [psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--command", command, url.text],
        check=True,
    )
    return time.perf_counter() - started


def report_import(catalog: Catalog, scratch: Path) -> bool:
    """Time the whole import against `psql \\copy` and report the import's peak memory;
    False when either fails or the import does not create every row."""
    psql = find_psql()
    rows_file = copy_rows_file(catalog, scratch / "products.csv")
    with postgres_server(scratch) as server:
        with throwaway_database(server) as ours:
            # A child process, so that its peak memory is the import's alone.
            child = subprocess.run(  # noqa: S603 - our own interpreter and script
                [sys.executable, __file__, "--import-into", ours.text, str(catalog.path)],
                capture_output=True,
                text=True,
                check=False,
            )
        if child.returncode != 0:
            print(f"the import failed:\n{child.stderr}", file=sys.stderr)
            return False
        result = json.loads(child.stdout.splitlines()[-1])
        with throwaway_database(server) as theirs:
            copy_seconds = psql_copy(psql, theirs, rows_file)
    if (result["created"], result["failed"]) != (catalog.rows, 0):
        print(f"the import did not create every row: {result}", file=sys.stderr)
        return False
    ours_rate = catalog.rows / result["seconds"]
    theirs_rate = catalog.rows / copy_seconds
    ratio = 100 * ours_rate / theirs_rate
    print("== the whole import into PostgreSQL")
    print(f"pulseshop catalog import: {result['seconds']:8.1f} s {ours_rate:12,.0f} rows/s")
    print(f"psql \\copy into products:{copy_seconds:8.1f} s {theirs_rate:12,.0f} rows/s")
    print(f"ratio: {ratio:.1f}% of psql \\copy (goal: >= {IMPORT_GOAL}%)")
    print("goal met" if ratio >= IMPORT_GOAL else "goal NOT met")
    peak = result["peak"]
    print(f"peak memory of the import process (getrusage maxrss): {peak / 10**6:,.0f} MB")
    print("memory goal met" if peak < MEMORY_GOAL else "memory goal NOT met (< 500 MB)")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the file, run each section on it, print the figures; 1 when a check fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="data rows in the generated file"
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds each (best counts)")
    parser.add_argument(
        "--parse-only", action="store_true", help="skip the whole import into PostgreSQL"
    )
    parser.add_argument(
        "--import-into",
        metavar="URL",
        help="(internal) import the FILE into the database at URL and print the figures",
    )
    parser.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.import_into:
        import_in_this_process(options.import_into, options.file)
        return 0

    with tempfile.TemporaryDirectory(prefix="pulseshop-bench-") as directory:
        catalog = write_catalog(Path(directory) / "catalog.csv", options.rows)
        size = catalog.path.stat().st_size
        print(f"catalog file: {catalog.rows:,} rows, {size / 2**20:,.1f} MiB")
        if not report_parse(catalog, options.rounds):
            return 1
        if options.parse_only:
            return 0
        if not report_import(catalog, Path(directory)):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
