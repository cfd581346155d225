"""POST /api/v1/catalog/imports: a catalog CSV file imported (or dry-run) through the real
application into a real PostgreSQL, as `pulseshop catalog import` imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import pytest

from pulseshop.shell.web import catalog_api
from tests.shell.api_support import api_client, bearer, error_of, schema_errors

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx2

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl

pytestmark = pytest.mark.integration

IMPORTS: Final = "/api/v1/catalog/imports"
CSV: Final = {"Content-Type": "text/csv"}
HEADER: Final = "sku,name,unit_price,currency,tax_category,stock,category\n"
GOOD: Final = (
    HEADER
    + "TEA-DARJ-100,Darjeeling 100 g,8.90,EUR,reduced,5,tea\n"
    + "MUG-BLUE,Blue mug,12.00,EUR,standard,40,kitchen\n"
)
MISSING: Final = ("unit_price", "currency", "tax_category", "stock")
ONE_BAD: Final = GOOD + "MUG-RED,Red mug,12;00,EUR,standard,4,kitchen\n"


@pytest.fixture
async def client(database_url: PostgresUrl) -> AsyncIterator[httpx2.AsyncClient]:
    async with api_client(database_url) as client:
        yield client


@pytest.fixture
async def staff(database: PostgresDatabase) -> dict[str, str]:
    """A staff member's token (catalog:write)."""
    return {**await bearer(database, "sam@example.com", "staff"), **CSV}


async def _post(
    client: httpx2.AsyncClient, headers: dict[str, str], body: str | bytes, query: str = ""
) -> httpx2.Response:
    content = body.encode() if isinstance(body, str) else body
    return await client.post(f"{IMPORTS}{query}", headers=headers, content=content)


async def _products(database: PostgresDatabase) -> dict[str, str]:
    rows = await database.fetch_all("SELECT sku, unit_price::text AS price FROM products")
    return {row["sku"]: row["price"] for row in rows}


async def _outcomes(database: PostgresDatabase) -> list[str]:
    rows = await database.fetch_all("SELECT outcome FROM catalog_imports ORDER BY id")
    return [row["outcome"] for row in rows]


def _counts(summary: dict[str, Any]) -> tuple[int, int, int, int]:
    counts = summary["counts"]
    return counts["created"], counts["updated"], counts["unchanged"], counts["failed"]


class TestImport:
    async def test_an_import_writes_the_products_and_answers_201(
        self, client: httpx2.AsyncClient, staff: dict[str, str]
    ) -> None:
        """The summary says what it did, as the fragment describes it; the list shows them."""
        response = await _post(client, staff, GOOD)

        summary = response.json()
        listed = (await client.get("/api/v1/products", headers=staff)).json()["items"]
        assert 201 == response.status_code, response.text
        assert (False, "reject-all", "applied", False) == (
            summary["dry_run"],
            summary["policy"],
            summary["outcome"],
            summary["rejected"],
        )
        assert ((2, 0, 0, 0), [], None) == (
            _counts(summary),
            summary["errors"],
            summary["previous_import"],
        )
        assert "upload by sam@example.com" == summary["file"]
        assert [] == schema_errors("catalog", "ImportSummary", summary)
        assert ["MUG-BLUE", "TEA-DARJ-100"] == [item["sku"] for item in listed]

    async def test_the_same_file_again_changes_nothing_and_names_the_first_import(
        self, client: httpx2.AsyncClient, staff: dict[str, str]
    ) -> None:
        """201 ``unchanged``, with the earlier import of the same bytes."""
        first = (await _post(client, staff, GOOD)).json()

        again = await _post(client, staff, GOOD)

        summary = again.json()
        assert (201, "unchanged", (0, 0, 2, 0)) == (
            again.status_code,
            summary["outcome"],
            _counts(summary),
        )
        assert first["id"] == summary["previous_import"]["id"]
        assert [] == schema_errors("catalog", "ImportSummary", summary)

    async def test_a_dry_run_writes_nothing_and_answers_200(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, staff: dict[str, str]
    ) -> None:
        """200 with what the import would do; the attempt is recorded as a dry run."""
        response = await _post(client, staff, GOOD, "?dry_run=true")

        assert (200, "dry-run", (2, 0, 0, 0)) == (
            response.status_code,
            response.json()["outcome"],
            _counts(response.json()),
        )
        assert ({}, ["dry-run"]) == (await _products(database), await _outcomes(database))

    async def test_under_reject_all_a_failing_row_writes_nothing(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, staff: dict[str, str]
    ) -> None:
        """422 import_rejected, each row's problem in ``details`` as ``line N: column``;
        the rejected attempt is recorded."""
        response = await _post(client, staff, ONE_BAD, "?on_error=reject-all")

        assert (422, "import_rejected", ["line 4: unit_price"]) == error_of(response)
        assert (
            "'12;00' is not a decimal number" in response.json()["error"]["details"][0]["problem"]
        )
        assert ({}, ["rejected"]) == (await _products(database), await _outcomes(database))

    async def test_a_dry_run_under_reject_all_says_the_import_would_be_rejected(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, staff: dict[str, str]
    ) -> None:
        """200: a dry run reports, ``rejected`` true and every problem listed."""
        response = await _post(client, staff, ONE_BAD, "?dry_run=true")

        summary = response.json()
        assert (200, True, (2, 0, 0, 1), 1) == (
            response.status_code,
            summary["rejected"],
            _counts(summary),
            summary["error_count"],
        )
        assert [
            {
                "line": 4,
                "column": "unit_price",
                "field": "line 4: unit_price",
                "code": "invalid_decimal",
                "severity": "error",
                "problem": summary["errors"][0]["problem"],
            }
        ] == summary["errors"]
        assert [] == schema_errors("catalog", "ImportSummary", summary)
        assert {} == await _products(database)

    async def test_skip_rows_writes_the_valid_rows_and_lists_the_others(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, staff: dict[str, str]
    ) -> None:
        """201: two products written, the bad row listed with its line and column."""
        response = await _post(client, staff, ONE_BAD, "?on_error=skip-rows&dry_run=false")

        summary = response.json()
        assert (201, "applied", (2, 0, 0, 1)) == (
            response.status_code,
            summary["outcome"],
            _counts(summary),
        )
        assert [("line 4: unit_price", "invalid_decimal")] == [
            (error["field"], error["code"]) for error in summary["errors"]
        ]
        assert {"MUG-BLUE": "12.0000", "TEA-DARJ-100": "8.9000"} == await _products(database)

    async def test_an_unknown_column_is_a_warning(
        self, client: httpx2.AsyncClient, staff: dict[str, str]
    ) -> None:
        """The import runs; the warning is listed, of the header's line, not counted as an
        error."""
        body = (
            "sku,name,unit_price,currency,tax_category,stock,category,colour\n"
            "TEA-DARJ-100,Darjeeling 100 g,8.90,EUR,reduced,5,tea,green\n"
        )

        response = await _post(client, staff, body)

        summary = response.json()
        assert (201, 0, 1) == (
            response.status_code,
            summary["error_count"],
            summary["warning_count"],
        )
        assert [(1, "colour", "warning")] == [
            (error["line"], error["column"], error["severity"]) for error in summary["errors"]
        ]

    async def test_an_import_shows_in_carts_at_once(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, staff: dict[str, str]
    ) -> None:
        """A new price reaches a cart that held the product without waiting for the cache."""
        ann = await bearer(database, "ann@example.com")
        await _post(client, staff, GOOD)
        added = await client.post(
            "/api/v1/cart/items", headers=ann, json={"sku": "TEA-DARJ-100", "quantity": 1}
        )

        await _post(client, staff, GOOD.replace("8.90", "9.50"))
        cart = (await client.get("/api/v1/cart", headers=ann)).json()

        assert 200 == added.status_code, added.text
        assert "9.50" == cart["cart"]["lines"][0]["unit_price"]


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "fields"),
        [
            ("sku,name\nMUG-1,Mug\n", [f"line 1: {column}" for column in MISSING]),
            (b"\xff\xfesku,name\n", ["line 1"]),
            ("sku,name,sku,unit_price,currency,tax_category,stock\n", ["line 1: sku"]),
            ("\n", ["line 2"]),
        ],
    )
    async def test_a_body_that_is_not_a_catalog_file_is_refused_and_not_recorded(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        body: str | bytes,
        fields: list[str],
    ) -> None:
        """422 invalid_catalog_file naming each problem of the header's line."""
        response = await _post(client, staff, body)

        assert (422, "invalid_catalog_file", fields) == error_of(response)
        assert [] == await _outcomes(database)

    async def test_an_empty_body_is_refused(
        self, client: httpx2.AsyncClient, staff: dict[str, str]
    ) -> None:
        """422 invalid_request naming the body."""
        response = await _post(client, staff, b"")

        assert (422, "invalid_request", ["body"]) == error_of(response)

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("?dry_run=yes", "query.dry_run"),
            ("?dry_run=", "query.dry_run"),
            ("?dry_run=True", "query.dry_run"),
            ("?on_error=skip", "query.on_error"),
            ("?on_error=", "query.on_error"),
            ("?on_error=REJECT-ALL", "query.on_error"),
        ],
    )
    async def test_a_query_parameter_out_of_its_choices_is_refused(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        query: str,
        field: str,
    ) -> None:
        """422 invalid_request naming the parameter; nothing is read or recorded."""
        response = await _post(client, staff, GOOD, query)

        assert (422, "invalid_request", [field]) == error_of(response)
        assert [] == await _outcomes(database)

    @pytest.mark.parametrize(
        "content_type",
        [None, "application/json", "text/plain", "multipart/form-data; boundary=x"],
    )
    async def test_a_body_not_sent_as_csv_is_refused(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        content_type: str | None,
    ) -> None:
        """415 unsupported_media_type naming the Content-Type header."""
        headers = await bearer(database, "sam@example.com", "staff")
        if content_type is not None:
            headers["Content-Type"] = content_type

        response = await _post(client, headers, GOOD)

        assert (415, "unsupported_media_type", ["headers.content-type"]) == error_of(response)

    async def test_csv_with_a_charset_is_csv(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """``text/csv; charset=utf-8`` is accepted, in any case."""
        headers = await bearer(database, "sam@example.com", "staff")
        headers["Content-Type"] = "Text/CSV; charset=utf-8"

        response = await _post(client, headers, GOOD)

        assert 201 == response.status_code, response.text

    async def test_a_file_over_the_limit_is_refused_unread(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """413, whether the Content-Length says so or the chunks pass the limit (lowered
        here from 50 MiB); nothing is recorded."""
        monkeypatch.setattr(catalog_api, "MAX_UPLOAD", len(GOOD) - 1)

        async def chunks() -> AsyncIterator[bytes]:
            for line in GOOD.splitlines(keepends=True):
                yield line.encode()

        declared = await _post(client, staff, GOOD)
        streamed = await client.post(IMPORTS, headers=staff, content=chunks())
        monkeypatch.setattr(catalog_api, "MAX_UPLOAD", len(GOOD))
        at_the_limit = await _post(client, staff, GOOD)

        assert (413, "payload_too_large", []) == error_of(declared)
        assert (413, "payload_too_large", []) == error_of(streamed)
        assert "content-length" not in streamed.request.headers
        assert 201 == at_the_limit.status_code
        assert ["applied"] == await _outcomes(database)

    async def test_the_limit_is_50_mib(self) -> None:
        """As documented."""
        assert 50 * 1024 * 1024 == catalog_api.MAX_UPLOAD


class TestAccess:
    async def test_a_token_with_catalog_write_is_needed(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """401 without a token, 403 for a customer; nothing is read or recorded."""
        ann = {**await bearer(database, "ann@example.com"), **CSV}

        anonymous = await _post(client, CSV, GOOD)
        customer = await _post(client, ann, GOOD)

        assert (401, "unauthorized", ["headers.authorization"]) == error_of(anonymous)
        assert (403, "forbidden", ["scopes"]) == error_of(customer)
        assert "catalog:write" in customer.json()["error"]["message"]
        assert [] == await _outcomes(database)
