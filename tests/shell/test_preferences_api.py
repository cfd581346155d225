"""GET/PUT /api/v1/me/preferences, and cached reads seeing writes on this node and another."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final

import httpx2
import pytest

from pulseshop.adapters.postgres import PostgresDatabase
from pulseshop.adapters.postgres.preferences import Preferences, preferences_of
from pulseshop.shell.config import Settings
from pulseshop.shell.web import create_app
from tests.shell.api_support import api_client, bearer, error_of, schema_errors
from tests.support.processes import environment, run_pulseshop
from tests.support.services import missing_service, reachable
from tests.support.shop import stock_product

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.integration

PREFERENCES: Final = "/api/v1/me/preferences"
REDIS: Final = "redis://127.0.0.1:6379/0"
PROPAGATION: Final = 3.0
"""Seconds another node may take to see a write."""


@pytest.fixture
async def client(database_url: PostgresUrl) -> AsyncIterator[httpx2.AsyncClient]:
    async with api_client(database_url) as client:
        yield client


@asynccontextmanager
async def node(database_url: PostgresUrl, pubsub_url: str) -> AsyncIterator[httpx2.AsyncClient]:
    """One node of the service, started, sharing the database and ``pubsub_url``."""
    app = create_app(
        PostgresDatabase(database_url, min_size=1, max_size=5),
        Settings.from_environ({"PUBSUB_URL": pubsub_url}),
    )
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://shop") as client:
            yield client


async def eventually(read: Callable[[], Awaitable[object]], expected: object) -> object:
    """What ``read`` answers once it answers ``expected``, or its last answer after
    `PROPAGATION` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PROPAGATION
    while True:
        value = await read()
        if value == expected or loop.time() > deadline:
            return value
        await asyncio.sleep(0.02)


async def body_of(client: httpx2.AsyncClient, path: str, headers: dict[str, str]) -> object:
    """The JSON body of a GET of ``path``."""
    return (await client.get(path, headers=headers)).json()


async def price_of(client: httpx2.AsyncClient, path: str, headers: dict[str, str]) -> object:
    """The ``unit_price`` of the product at ``path``."""
    body = await body_of(client, path, headers)
    assert isinstance(body, dict)
    return body["unit_price"]


class TestPreferences:
    async def test_a_user_who_never_chose_has_the_defaults(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """200 ``{"display_currency": null, "receipt_emails": true}``."""
        ann = await bearer(database, "ann@example.com")

        response = await client.get(PREFERENCES, headers=ann)

        assert (200, {"display_currency": None, "receipt_emails": True}) == (
            response.status_code,
            response.json(),
        )
        assert [] == schema_errors("me", "Preferences", response.json())

    async def test_a_write_is_seen_by_the_next_read(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """PUT answers the new preferences, stores them, and the cached GET shows them."""
        ann = await bearer(database, "ann@example.com")
        ann_id = await database.fetch_value("SELECT id FROM users WHERE email = 'ann@example.com'")
        await client.get(PREFERENCES, headers=ann)  # cached now
        chosen = {"display_currency": "JPY", "receipt_emails": False}

        put = await client.put(PREFERENCES, headers=ann, json=chosen)
        got = await client.get(PREFERENCES, headers=ann)

        assert (200, chosen, chosen) == (put.status_code, put.json(), got.json())
        assert Preferences("JPY", receipt_emails=False) == await preferences_of(database, ann_id)

    async def test_null_is_the_shops_currency_again(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """A currency chosen can be unset."""
        ann = await bearer(database, "ann@example.com")
        await client.put(
            PREFERENCES, headers=ann, json={"display_currency": "GBP", "receipt_emails": True}
        )

        await client.put(
            PREFERENCES, headers=ann, json={"display_currency": None, "receipt_emails": True}
        )

        got = await client.get(PREFERENCES, headers=ann)
        assert {"display_currency": None, "receipt_emails": True} == got.json()

    async def test_each_user_has_their_own(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """Ann's choice is not Bob's."""
        ann = await bearer(database, "ann@example.com")
        bob = await bearer(database, "bob@example.com")
        await client.get(PREFERENCES, headers=bob)

        await client.put(
            PREFERENCES, headers=ann, json={"display_currency": "USD", "receipt_emails": False}
        )

        got = await client.get(PREFERENCES, headers=bob)
        assert {"display_currency": None, "receipt_emails": True} == got.json()

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ('{"display_currency": "EURO", "receipt_emails": true}', "display_currency"),
            ('{"display_currency": "eur", "receipt_emails": true}', "display_currency"),
            ('{"display_currency": "XYZ", "receipt_emails": true}', "display_currency"),
            ('{"display_currency": 978, "receipt_emails": true}', "display_currency"),
            ('{"display_currency": "EUR", "receipt_emails": "yes"}', "receipt_emails"),
            ('{"display_currency": "EUR", "receipt_emails": 1}', "receipt_emails"),
            ('{"display_currency": "EUR"}', "receipt_emails"),
            ('{"receipt_emails": true}', "display_currency"),
            ('{"display_currency": null, "receipt_emails": true, "theme": "dark"}', "theme"),
            ("[]", "body"),
            ('{"display_currency": ', "body"),
            ("", "body"),
        ],
    )
    async def test_a_malformed_body_is_422_naming_the_field(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, body: str, field: str
    ) -> None:
        """Nothing is stored; the answer names what is wrong."""
        ann = await bearer(database, "ann@example.com")

        response = await client.put(
            PREFERENCES,
            headers={**ann, "Content-Type": "application/json"},
            content=body.encode(),
        )

        status, _code, fields = error_of(response)
        assert (422, [field]) == (status, fields)
        assert 0 == await database.fetch_value("SELECT count(*) FROM user_preferences")

    @pytest.mark.parametrize("method", ["GET", "PUT"])
    async def test_without_a_token_the_answer_is_401(
        self, client: httpx2.AsyncClient, method: str
    ) -> None:
        """No token, no preferences."""
        response = await client.request(
            method, PREFERENCES, json={"display_currency": None, "receipt_emails": True}
        )

        assert (401, "unauthorized", ["headers.authorization"]) == error_of(response)


class TestAcrossNodes:
    @pytest.fixture
    def pubsub_url(self) -> str:
        if not reachable("127.0.0.1", 6379):
            missing_service("Redis on 127.0.0.1:6379")
        return REDIS

    async def test_a_preference_written_on_one_node_is_read_on_another(
        self, database: PostgresDatabase, database_url: PostgresUrl, pubsub_url: str
    ) -> None:
        """Node B had the old preferences cached; after a PUT on node A it reads the new."""
        ann = await bearer(database, "ann@example.com")
        chosen = {"display_currency": "CHF", "receipt_emails": False}
        async with node(database_url, pubsub_url) as a, node(database_url, pubsub_url) as b:
            before = (await b.get(PREFERENCES, headers=ann)).json()

            assert 200 == (await a.put(PREFERENCES, headers=ann, json=chosen)).status_code
            after = await eventually(lambda: body_of(b, PREFERENCES, ann), expected=chosen)

        assert ({"display_currency": None, "receipt_emails": True}, chosen) == (before, after)

    async def test_a_catalog_import_on_one_node_is_read_on_another(
        self, database: PostgresDatabase, database_url: PostgresUrl, pubsub_url: str
    ) -> None:
        """Node B had the product cached at 8.90; after an import on node A it reads 9.50."""
        await stock_product(database, "TEA-DARJ-100", price="8.90")
        staff = await bearer(database, "sam@example.com", "staff")
        product = "/api/v1/products/TEA-DARJ-100"
        csv = (
            "sku,name,unit_price,currency,tax_category,stock,category\n"
            "TEA-DARJ-100,Darjeeling 100 g,9.50,EUR,reduced,5,tea\n"
        )
        async with node(database_url, pubsub_url) as a, node(database_url, pubsub_url) as b:
            before = (await b.get(product, headers=staff)).json()["unit_price"]

            imported = await a.post(
                "/api/v1/catalog/imports",
                headers={**staff, "Content-Type": "text/csv"},
                content=csv.encode(),
            )
            after = await eventually(lambda: price_of(b, product, staff), expected="9.50")

        assert (201, "8.90", "9.50") == (imported.status_code, before, after)

    async def test_a_catalog_import_from_the_command_line_reaches_the_nodes(
        self,
        database: PostgresDatabase,
        database_url: PostgresUrl,
        pubsub_url: str,
        tmp_path: Path,
    ) -> None:
        """A node had the product cached at 8.90 (for 30 s); `pulseshop catalog import`,
        another process, tells it through the pub/sub backend: it reads 9.50 at once."""
        await stock_product(database, "TEA-DARJ-100", price="8.90")
        staff = await bearer(database, "sam@example.com", "staff")
        product = "/api/v1/products/TEA-DARJ-100"
        catalog = tmp_path / "catalog.csv"
        catalog.write_text(
            "sku,name,unit_price,currency,tax_category,stock,category\n"
            "TEA-DARJ-100,Darjeeling 100 g,9.50,EUR,reduced,5,tea\n"
        )
        async with node(database_url, pubsub_url) as a:
            before = (await a.get(product, headers=staff)).json()["unit_price"]
            imported = await asyncio.to_thread(
                run_pulseshop,
                "catalog",
                "import",
                str(catalog),
                env=environment(DATABASE_URL=database_url.text, PUBSUB_URL=pubsub_url),
            )
            after = await eventually(lambda: price_of(a, product, staff), expected="9.50")

        assert (0, "8.90", "9.50") == (imported.returncode, before, after)
