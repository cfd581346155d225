"""`pulseshop catalog import` and `export`, run as real processes on a real database."""

from __future__ import annotations

import asyncio
from importlib.resources import files
from typing import TYPE_CHECKING

import asyncpg
import pytest

from pulseshop.core.catalog import Product, ProductRow, parse_catalog
from tests.support.postgres import create_database, drop_database
from tests.support.processes import environment, run_pulseshop, serving

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.e2e

DEMO = files("pulseshop.shell.demo").joinpath("catalog.csv").read_bytes()
HEADER = "sku,name,unit_price,currency,tax_category,stock,category"
ROWS = (
    "MUG-1,Stoneware mug,12.00,EUR,standard,40,kitchen",
    "MUG-2,Espresso cup,8.50,EUR,standard,12,kitchen",
    "TEA-1,Green tea,4.20,EUR,reduced,100,tea",
    "TEA-2,Black tea,3.90,EUR,reduced,80,tea",
)


def _products(data: bytes) -> dict[str, Product]:
    return {
        record.product.sku: record.product
        for record in parse_catalog(data.splitlines(keepends=True))
        if isinstance(record, ProductRow)
    }


def _counts(report: str) -> dict[str, int]:
    """The summary table of an import's report: created, updated, unchanged, failed rows."""
    table = {}
    for line in report.splitlines():
        label, _, count = line.strip().rpartition(" ")
        if label.strip() in {"created", "updated", "unchanged", "failed rows"}:
            table[label.strip()] = int(count.replace(",", ""))
    return table


def _catalog_file(path: Path, *rows: str) -> Path:
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    return path


async def _query(url: PostgresUrl, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url.text)
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


def _prices(url: PostgresUrl) -> dict[str, str]:
    rows = asyncio.run(_query(url, "SELECT sku, unit_price::text AS price FROM products"))
    return {row["sku"]: row["price"] for row in rows}


@pytest.fixture
def catalog_db(postgres_server_url: PostgresUrl) -> Iterator[PostgresUrl]:
    """A new database brought to the head revision by `pulseshop migrate`."""
    url = asyncio.run(create_database(postgres_server_url, prefix="pulseshop_catalog"))
    try:
        migrated = run_pulseshop("migrate", env=environment(DATABASE_URL=url.text))
        assert 0 == migrated.returncode, migrated.stderr
        yield url
    finally:
        asyncio.run(drop_database(postgres_server_url, url))


@pytest.fixture
def env(catalog_db: PostgresUrl) -> dict[str, str]:
    return environment(DATABASE_URL=catalog_db.text)


class TestImport:
    def test_creates_then_a_second_import_changes_nothing_and_says_so(
        self, tmp_path: Path, catalog_db: PostgresUrl, env: dict[str, str]
    ) -> None:
        """The demo catalog creates every product; the same file again leaves them all."""
        demo = tmp_path / "demo.csv"
        demo.write_bytes(DEMO)
        count = len(_products(DEMO))

        first = run_pulseshop("catalog", "import", str(demo), env=env)
        second = run_pulseshop("catalog", "import", str(demo), env=env)

        assert 0 == first.returncode, first.stderr
        assert {"created": count, "updated": 0, "unchanged": 0, "failed rows": 0} == _counts(
            first.stdout
        )
        assert 0 == second.returncode, second.stderr
        assert "nothing changed, every product already was as the file says" in second.stdout
        assert "the same file was imported before: import 1" in second.stdout
        assert {"created": 0, "updated": 0, "unchanged": count, "failed rows": 0} == _counts(
            second.stdout
        )
        assert count == len(_prices(catalog_db))
        outcomes = asyncio.run(
            _query(catalog_db, "SELECT outcome FROM catalog_imports ORDER BY id")
        )
        assert ["applied", "unchanged"] == [row["outcome"] for row in outcomes]

    def test_reads_stdin(self, catalog_db: PostgresUrl, env: dict[str, str]) -> None:
        """`-` imports what standard input holds."""
        text = "\n".join((HEADER, *ROWS)) + "\n"

        result = run_pulseshop("catalog", "import", "-", stdin=text, env=env)

        assert 0 == result.returncode, result.stderr
        assert result.stdout.startswith("imported stdin\n")
        assert {"MUG-1", "MUG-2", "TEA-1", "TEA-2"} == set(_prices(catalog_db))

    def test_one_bad_cell_rejects_the_file_and_writes_nothing(
        self, tmp_path: Path, catalog_db: PostgresUrl, env: dict[str, str]
    ) -> None:
        """Under reject-all a bad price fails the import (exit 1), naming line and column."""
        bad = _catalog_file(tmp_path / "bad.csv", *ROWS[:2], ROWS[2].replace("4.20", "4.2O"))

        result = run_pulseshop("catalog", "import", str(bad), env=env)

        assert 1 == result.returncode
        assert "  line 4, column unit_price: '4.2O' is not a decimal number" in result.stdout
        assert f"rejected {bad}: 1 row failed, so nothing was written" in result.stdout
        assert [f"pulseshop: error: {bad}: 1 row failed: nothing was written"] == (
            result.stderr.splitlines()
        )
        assert {} == _prices(catalog_db)
        recorded = asyncio.run(_query(catalog_db, "SELECT outcome, created FROM catalog_imports"))
        assert [("rejected", 2)] == [(row["outcome"], row["created"]) for row in recorded]

    def test_skip_rows_writes_the_good_rows(
        self, tmp_path: Path, catalog_db: PostgresUrl, env: dict[str, str]
    ) -> None:
        """Under skip-rows the valid rows are written, the bad one listed, and the exit is 1."""
        bad = _catalog_file(tmp_path / "bad.csv", *ROWS[:3], ROWS[3].replace(",80,", ",-8,"))

        result = run_pulseshop("catalog", "import", "--on-error", "skip-rows", str(bad), env=env)

        assert 1 == result.returncode
        assert "  line 5, column stock: '-8' is negative" in result.stdout
        assert "failed: skipped; the valid rows were written" in result.stderr
        assert {"MUG-1", "MUG-2", "TEA-1"} == set(_prices(catalog_db))

    def test_dry_run_lists_changed_fields_and_writes_nothing(
        self, tmp_path: Path, catalog_db: PostgresUrl, env: dict[str, str]
    ) -> None:
        """A dry run names each update's fields, old and new, counts creates, writes nothing."""
        first = _catalog_file(tmp_path / "first.csv", *ROWS[:3])
        assert 0 == run_pulseshop("catalog", "import", str(first), env=env).returncode
        changed = _catalog_file(
            tmp_path / "changed.csv",
            ROWS[0].replace("12.00", "12.50"),
            ROWS[1].replace("Espresso cup", '"Espresso cup, white"').replace(",12,", ",10,"),
            ROWS[2],
            ROWS[3],
        )

        result = run_pulseshop("catalog", "import", "--dry-run", str(changed), env=env)

        assert 0 == result.returncode, result.stderr
        lines = result.stdout.splitlines()
        assert "update line 2, MUG-1: unit_price EUR 12.00 -> EUR 12.50" in lines
        assert (
            "update line 3, MUG-2: name 'Espresso cup' -> 'Espresso cup, white'; stock 12 -> 10"
        ) in lines
        assert f"dry run of {changed}: nothing was written; the import would do this" in lines
        counts = [line.split() for line in lines if line.startswith("  ")]
        assert [
            ["created", "1"],
            ["updated", "2"],
            ["unchanged", "1"],
            ["failed", "rows", "0"],
        ] == (counts)
        assert {"MUG-1": "12.0000", "MUG-2": "8.5000", "TEA-1": "4.2000"} == _prices(catalog_db)

    def test_a_file_without_optional_columns_keeps_them_and_the_dry_run_agrees(
        self, tmp_path: Path, catalog_db: PostgresUrl, env: dict[str, str]
    ) -> None:
        """Without description, active and tier columns an import changes only the rest;
        the dry run reports the same counts, and a kept tier the new price reaches fails
        its row in both."""
        full = tmp_path / "full.csv"
        full.write_text(
            f"{HEADER},description,active,price_from_6\n"
            f"{ROWS[0]},Blue glaze,false,11.00\n"
            f"{ROWS[1]},White,true,\n"
            f"{ROWS[2]},Sencha,true,4.00\n",
            encoding="utf-8",
        )
        assert 0 == run_pulseshop("catalog", "import", str(full), env=env).returncode
        partial = _catalog_file(
            tmp_path / "partial.csv",
            ROWS[0].replace("12.00", "12.50"),
            ROWS[1],
            ROWS[2].replace("4.20", "3.90"),
            ROWS[3],
        )
        args = ("catalog", "import", "--on-error", "skip-rows")

        dry = run_pulseshop(*args, "--dry-run", str(partial), env=env)
        real = run_pulseshop(*args, str(partial), env=env)

        expected = {"created": 1, "updated": 1, "unchanged": 1, "failed rows": 1}
        assert (expected, expected) == (_counts(dry.stdout), _counts(real.stdout))
        assert "update line 2, MUG-1: unit_price EUR 12.00 -> EUR 12.50" in dry.stdout
        conflict = "line 4, column unit_price: EUR 3.90 is not above the stored price from 6"
        assert conflict in dry.stdout
        assert conflict in real.stdout
        rows = asyncio.run(
            _query(
                catalog_db,
                "SELECT sku, unit_price::text AS price, description, active, "
                "tier_prices::text AS tiers FROM products ORDER BY sku",
            )
        )
        assert [
            ("MUG-1", "12.5000", "Blue glaze", False, "{11.0000}"),
            ("MUG-2", "8.5000", "White", True, "{}"),
            ("TEA-1", "4.2000", "Sencha", True, "{4.0000}"),
            ("TEA-2", "3.9000", None, True, "{}"),
        ] == [(r["sku"], r["price"], r["description"], r["active"], r["tiers"]) for r in rows]

    def test_dry_run_of_a_failing_file_says_it_would_be_rejected(
        self, tmp_path: Path, env: dict[str, str]
    ) -> None:
        """Reject-all means the same in a dry run: a failed row, exit 1, nothing would change."""
        bad = _catalog_file(tmp_path / "bad.csv", *ROWS[:3], ROWS[0])

        result = run_pulseshop("catalog", "import", "--dry-run", str(bad), env=env)

        assert 1 == result.returncode
        assert "the import would be rejected (1 row failed, reject-all)" in result.stdout
        assert "  line 5, column sku: 'MUG-1' is already on line 2" in result.stdout


class TestExport:
    def test_export_holds_the_catalog_and_imports_back_unchanged(
        self, tmp_path: Path, env: dict[str, str]
    ) -> None:
        """Exported products equal the imported ones; importing the export changes nothing."""
        demo = tmp_path / "demo.csv"
        demo.write_bytes(DEMO)
        exported = tmp_path / "exported.csv"
        assert 0 == run_pulseshop("catalog", "import", str(demo), env=env).returncode

        export = run_pulseshop("catalog", "export", str(exported), env=env)
        again = run_pulseshop("catalog", "import", str(exported), env=env)

        assert 0 == export.returncode, export.stderr
        assert f"exported {len(_products(DEMO))} products to {exported}" in export.stderr
        assert _products(DEMO) == _products(exported.read_bytes())
        assert 0 == again.returncode, again.stderr
        assert "nothing changed" in again.stdout
        assert [] == [path.name for path in tmp_path.iterdir() if path.suffix == ".partial"]

    def test_an_unwritable_target_keeps_nothing(self, tmp_path: Path, env: dict[str, str]) -> None:
        """A directory that does not exist is one clear line, exit 2."""
        result = run_pulseshop("catalog", "export", str(tmp_path / "no" / "x.csv"), env=env)

        assert 2 == result.returncode
        assert 1 == len(result.stderr.splitlines())
        assert "cannot write" in result.stderr


class TestMalformedInput:
    @pytest.mark.parametrize(
        ("content", "says"),
        [
            (None, "cannot read {path}: No such file or directory"),
            (b"", "{path} is not a catalog file: line 1: the file is empty"),
            (
                b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
                "{path} is not a catalog file: line 1",
            ),
            (
                b"sku,name,unit_price,currency,stock\nA,b,1.00,EUR,1\n",
                "{path} is not a catalog file: line 1: the required column 'tax_category'",
            ),
        ],
        ids=["missing", "empty", "binary", "missing-column"],
    )
    def test_one_clear_line_and_exit_2(
        self, tmp_path: Path, content: bytes | None, says: str
    ) -> None:
        """A file that is not a catalog is refused before any database is touched."""
        path = tmp_path / "catalog.csv"
        if content is not None:
            path.write_bytes(content)
        # An unreachable database: the file is judged first.
        env = environment(DATABASE_URL="postgresql://postgres@127.0.0.1:1/none")

        result = run_pulseshop("catalog", "import", str(path), env=env)

        assert 2 == result.returncode
        lines = result.stderr.splitlines()
        assert 1 == len(lines), result.stderr
        assert lines[0].startswith(f"pulseshop: error: {says.format(path=path)}")
        assert "Traceback" not in result.stderr

    def test_a_database_that_is_not_migrated(
        self, tmp_path: Path, postgres_server_url: PostgresUrl
    ) -> None:
        """An import into an empty database says to migrate first."""
        url = asyncio.run(create_database(postgres_server_url, prefix="pulseshop_catalog"))
        try:
            path = _catalog_file(tmp_path / "c.csv", *ROWS)
            result = run_pulseshop(
                "catalog", "import", str(path), env=environment(DATABASE_URL=url.text)
            )
        finally:
            asyncio.run(drop_database(postgres_server_url, url))

        assert 1 == result.returncode
        assert "run `pulseshop migrate` first" in result.stderr


class TestDemoCatalog:
    def test_first_start_of_an_empty_database_imports_it_once(self, tmp_path: Path) -> None:
        """`serve` on a new embedded database imports the demo catalog; a restart does not."""
        env = environment(PULSESHOP_DATA_DIR=str(tmp_path))
        socket_url = f"postgresql://postgres:@/postgres?host={(tmp_path / 'postgres').resolve()}"
        outputs, counts = [], []
        for _start in range(2):
            with serving(env) as service:
                service.wait_ready()
                counts.append(asyncio.run(_count_products(socket_url)))
                assert 0 == service.stop()
                outputs.append(service.output())

        count = len(_products(DEMO))
        assert f"imported the demo catalog: {count} products" in outputs[0]
        assert "demo catalog" not in outputs[1]
        assert "Traceback" not in "".join(outputs)
        assert [count, count] == counts


async def _count_products(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM products"))
    finally:
        await connection.close()
