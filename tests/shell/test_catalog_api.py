"""GET /api/v1/products and /api/v1/products/{sku} in the real application, against a real
PostgreSQL."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Final, TypeAlias

import pytest

from pulseshop.core.access import CART_READ
from tests.shell.api_support import api_client, bearer, error_of, schema_errors

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx2

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl

pytestmark = pytest.mark.integration

PRODUCTS: Final = "/api/v1/products"

INSERT_PRODUCT_SQL: Final = """
    INSERT INTO products (sku, name, category, description, unit_price, currency,
                          tax_category, active, tier_quantities, tier_prices)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    RETURNING id
"""

Row: TypeAlias = tuple[
    str, str, str | None, str | None, str, str, str, bool, dict[int, str], int | None
]
"""sku, name, category, description, unit price, currency, tax category, active, tiers
(quantity to price) and stock (None: no inventory row)."""

CATALOG: Final[tuple[Row, ...]] = (
    (
        "COF-HOUSE-1KG",
        "House coffee beans, 1 kg",
        "coffee",
        None,
        "24.00",
        "EUR",
        "reduced",
        True,
        {10: "21.50"},
        7,
    ),
    (
        "MUG-BLUE",
        "Blue stoneware mug",
        "kitchen",
        "Glazed, 350 ml.",
        "12.00",
        "EUR",
        "standard",
        True,
        {},
        40,
    ),
    ("MUG-RETIRED", "Retired mug", "kitchen", None, "9.00", "EUR", "standard", False, {}, 0),
    (
        "SALE-50",
        "50% off_cut mug \\ seconds",
        "kitchen",
        None,
        "6.00",
        "EUR",
        "standard",
        True,
        {},
        3,
    ),
    (
        "TEA-DARJ-100",
        "Darjeeling First Flush, 100 g",
        "tea",
        None,
        "8.90",
        "EUR",
        "reduced",
        True,
        {},
        12,
    ),
    ("TEA-MATCHA-30", "Uji matcha, 30 g", "tea", None, "1280", "JPY", "reduced", True, {}, None),
    ("TEA-SENCHA-50", "Sencha, 50 g", None, None, "6.50", "EUR", "reduced", True, {}, 5),
)
ACTIVE: Final = [row[0] for row in CATALOG if row[7]]


async def _stock(database: PostgresDatabase) -> None:
    for sku, name, category, description, price, currency, tax, active, tiers, stock in CATALOG:
        product_id = await database.fetch_value(
            INSERT_PRODUCT_SQL,
            sku,
            name,
            category,
            description,
            Decimal(price),
            currency,
            tax,
            active,
            list(tiers),
            [Decimal(amount) for amount in tiers.values()],
        )
        if stock is not None:
            await database.execute(
                "INSERT INTO inventory (product_id, stock) VALUES ($1, $2)", product_id, stock
            )


@pytest.fixture
async def client(
    database: PostgresDatabase, database_url: PostgresUrl
) -> AsyncIterator[httpx2.AsyncClient]:
    """The application, on a catalog of seven products, one of them retired."""
    await _stock(database)
    async with api_client(database_url) as client:
        yield client


@pytest.fixture
async def ann(database: PostgresDatabase) -> dict[str, str]:
    """A customer's token."""
    return await bearer(database, "ann@example.com")


async def _skus(client: httpx2.AsyncClient, headers: dict[str, str], query: str = "") -> list[str]:
    response = await client.get(f"{PRODUCTS}?{query}", headers=headers)
    assert 200 == response.status_code, response.text
    return [item["sku"] for item in response.json()["items"]]


def _cursor(key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


class TestList:
    async def test_the_active_products_come_in_sku_order_with_their_stock(
        self, client: httpx2.AsyncClient, ann: dict[str, str]
    ) -> None:
        """Every field of a product; the retired mug is left out; the page is described by
        the fragment."""
        response = await client.get(PRODUCTS, headers=ann)

        page = response.json()
        assert 200 == response.status_code, response.text
        assert (ACTIVE, None) == ([item["sku"] for item in page["items"]], page["next_cursor"])
        assert {
            "sku": "COF-HOUSE-1KG",
            "name": "House coffee beans, 1 kg",
            "description": None,
            "category": "coffee",
            "tax_category": "reduced",
            "unit_price": "24.00",
            "currency": "EUR",
            "stock": 7,
            "active": True,
            "tiers": [{"min_quantity": 10, "unit_price": "21.50"}],
        } == page["items"][0]
        assert [] == schema_errors("catalog", "ProductPage", page)

    async def test_prices_have_their_currencys_decimals_and_stock_defaults_to_zero(
        self, client: httpx2.AsyncClient, ann: dict[str, str]
    ) -> None:
        """JPY has none; a product without an inventory row has 0 in stock."""
        items = (await client.get(f"{PRODUCTS}?category=tea", headers=ann)).json()["items"]

        assert [("TEA-DARJ-100", "8.90", "EUR", 12), ("TEA-MATCHA-30", "1280", "JPY", 0)] == [
            (item["sku"], item["unit_price"], item["currency"], item["stock"]) for item in items
        ]

    async def test_pages_walk_every_product_once(
        self, client: httpx2.AsyncClient, ann: dict[str, str]
    ) -> None:
        """limit=2 gives three full pages and a last one without a next cursor."""
        seen: list[str] = []
        cursors: list[str | None] = []
        query = "limit=2"
        while True:
            page = (await client.get(f"{PRODUCTS}?{query}", headers=ann)).json()
            seen.extend(item["sku"] for item in page["items"])
            cursors.append(page["next_cursor"])
            if page["next_cursor"] is None:
                break
            query = f"limit=2&cursor={page['next_cursor']}"

        assert ACTIVE == seen
        assert 3 == len(cursors)

    async def test_a_full_last_page_still_says_there_is_no_next_one(
        self, client: httpx2.AsyncClient, ann: dict[str, str]
    ) -> None:
        """With exactly ``limit`` products left, ``next_cursor`` is null."""
        page = (await client.get(f"{PRODUCTS}?limit={len(ACTIVE)}", headers=ann)).json()

        assert (len(ACTIVE), None) == (len(page["items"]), page["next_cursor"])

    @pytest.mark.parametrize(
        ("query", "skus"),
        [
            ("category=kitchen", ["MUG-BLUE", "SALE-50"]),
            ("category=tea&limit=1", ["TEA-DARJ-100"]),
            ("q=MUG", ["MUG-BLUE", "SALE-50"]),
            ("q=sencha", ["TEA-SENCHA-50"]),
            ("q=mug&category=kitchen", ["MUG-BLUE", "SALE-50"]),
            ("q=mug&category=tea", []),
            ("q=50%25", ["SALE-50"]),
            ("q=%25", ["SALE-50"]),
            ("q=f_c", ["SALE-50"]),
            ("q=_", ["SALE-50"]),
            ("q=%5C", ["SALE-50"]),
            ("q=retired", []),
            ("category=&q=", ACTIVE),
            ("category=Tea", []),
            ("category=te%00a", []),
            ("q=te%00a", []),
            (f"q={'x' * 201}", []),
        ],
    )
    async def test_filters_narrow_the_list(
        self, client: httpx2.AsyncClient, ann: dict[str, str], query: str, skus: list[str]
    ) -> None:
        """Category exactly; name holding ``q`` in any case, ``%``, ``_`` and ``\\`` as
        themselves; empty filters filter nothing; impossible ones match nothing."""
        assert skus == await _skus(client, ann, query)

    async def test_a_cursor_carries_on_under_the_same_filter(
        self, client: httpx2.AsyncClient, ann: dict[str, str]
    ) -> None:
        """The second page of ``q=mug`` is the second mug."""
        first = (await client.get(f"{PRODUCTS}?q=mug&limit=1", headers=ann)).json()

        second = await _skus(client, ann, f"q=mug&limit=1&cursor={first['next_cursor']}")

        assert (["MUG-BLUE"], ["SALE-50"]) == ([first["items"][0]["sku"]], second)

    @pytest.mark.parametrize(
        "limit", ["0", "101", "-1", "1.5", "", "ten", "²", "٣", "1" * 5000, "%2B5", "5%20"]
    )
    async def test_a_limit_out_of_range_or_not_a_number_is_refused(
        self, client: httpx2.AsyncClient, ann: dict[str, str], limit: str
    ) -> None:
        """422 invalid_request naming query.limit."""
        response = await client.get(f"{PRODUCTS}?limit={limit}", headers=ann)

        assert (422, "invalid_request", ["query.limit"]) == error_of(response)

    @pytest.mark.parametrize(
        "cursor",
        [
            "nonsense",
            "%C3%A9t%C3%A9",
            _cursor({"sku": "MUG-BLUE"}),
            _cursor(["mug-blue"]),
            _cursor(["MUG\u0000"]),
            _cursor([7]),
            _cursor(["MUG-BLUE", 1]),
            _cursor(["2026-12-04T10:00:00+00:00", 3]),
            _cursor([[[[["deep"]]]]]),
            base64.urlsafe_b64encode(b"[" * 600 + b"]" * 600).decode(),
            base64.urlsafe_b64encode(b'["\xff"]').decode(),
            "A" * 2000,
        ],
    )
    async def test_a_cursor_this_api_did_not_give_is_refused(
        self, client: httpx2.AsyncClient, ann: dict[str, str], cursor: str
    ) -> None:
        """422 invalid_request naming query.cursor (an order's cursor included)."""
        response = await client.get(f"{PRODUCTS}?cursor={cursor}", headers=ann)

        assert (422, "invalid_request", ["query.cursor"]) == error_of(response)


class TestOne:
    async def test_a_product_is_shown_as_the_list_shows_it(
        self, client: httpx2.AsyncClient, ann: dict[str, str]
    ) -> None:
        """The same JSON as its item in the list, described by the fragment."""
        listed = (await client.get(f"{PRODUCTS}?category=kitchen", headers=ann)).json()["items"]

        response = await client.get(f"{PRODUCTS}/MUG-BLUE", headers=ann)

        assert 200 == response.status_code, response.text
        assert listed[0] == response.json()
        assert "Glazed, 350 ml." == response.json()["description"]
        assert [] == schema_errors("catalog", "Product", response.json())

    async def test_a_retired_product_is_shown_as_inactive(
        self, client: httpx2.AsyncClient, ann: dict[str, str]
    ) -> None:
        """It is not listed, but a cart or an order naming it can still show it."""
        response = await client.get(f"{PRODUCTS}/MUG-RETIRED", headers=ann)

        assert (200, False, 0) == (
            response.status_code,
            response.json()["active"],
            response.json()["stock"],
        )

    @pytest.mark.parametrize(
        "sku",
        [
            "NOPE-1",
            "mug-blue",
            "M" * 65,
            "M" * 5000,
            "MUG%00",
            "MUG%20BLUE",
            "%C3%A9",
            "%FF",
            "...",
        ],
    )
    async def test_an_unknown_or_impossible_sku_is_404(
        self, client: httpx2.AsyncClient, ann: dict[str, str], sku: str
    ) -> None:
        """404 not_found naming the path's SKU, never a server error."""
        response = await client.get(f"{PRODUCTS}/{sku}", headers=ann)

        assert (404, "not_found", ["path.sku"]) == error_of(response)


class TestAccess:
    @pytest.mark.parametrize("path", [PRODUCTS, f"{PRODUCTS}/MUG-BLUE"])
    async def test_a_token_with_catalog_read_is_needed(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, path: str
    ) -> None:
        """401 without a token, 403 naming the scope with a token lacking it."""
        cart_only = await bearer(database, "ann@example.com", scopes=[CART_READ])

        anonymous = await client.get(path)
        refused = await client.get(path, headers=cart_only)

        assert (401, "unauthorized", ["headers.authorization"]) == error_of(anonymous)
        assert (403, "forbidden", ["scopes"]) == error_of(refused)
        assert "catalog:read" in refused.json()["error"]["message"]
