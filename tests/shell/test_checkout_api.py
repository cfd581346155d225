"""Checkout and orders through the real application and a real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import httpx2
import pytest

from pulseshop.adapters.postgres import PostgresDatabase, ensure_user
from pulseshop.adapters.sandbox_gateway import SandboxGateway
from pulseshop.core.access import Email
from pulseshop.core.cart import AddItem, ClearCart
from pulseshop.shell.carts.actor import CartDeps
from pulseshop.shell.carts.pricing import load_shop_pricing
from pulseshop.shell.carts.products import CatalogProducts
from pulseshop.shell.carts.store import PostgresCartStore
from pulseshop.shell.carts.supervisor import CartSupervisor, CartUnavailableError
from pulseshop.shell.checkout import Checkout
from pulseshop.shell.web import create_app
from tests.shell.api_support import bearer
from tests.support.shop import stock_product

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.integration

CHECKOUT: Final = "/api/v1/checkout"
TEA: Final = "TEA-1"
SANDBOX_CARD: Final = "tok_ok"
PAY: Final = b'{"payment_token": "tok_ok"}'


@pytest.fixture
async def client(
    database: PostgresDatabase, database_url: PostgresUrl
) -> AsyncIterator[httpx2.AsyncClient]:
    """The application, with the tea in stock and a sandbox gateway that times out at
    once."""
    await stock_product(database, TEA)
    app = create_app(
        PostgresDatabase(database_url, min_size=1, max_size=20),
        gateway=SandboxGateway(timeout=0.01),
    )
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://shop") as client:
            yield client


async def _add(client: httpx2.AsyncClient, user: dict[str, str], quantity: int = 2) -> None:
    response = await client.post(
        "/api/v1/cart/items", headers=user, json={"sku": TEA, "quantity": quantity}
    )
    assert 200 == response.status_code, response.text


async def _checkout(
    client: httpx2.AsyncClient, user: dict[str, str], key: str, body: bytes = PAY
) -> httpx2.Response:
    return await client.post(CHECKOUT, headers={**user, "Idempotency-Key": key}, content=body)


async def _count(database: PostgresDatabase, table: str) -> int:
    return int(await database.fetch_value(f"SELECT count(*) FROM {table}"))  # noqa: S608


async def _stock(database: PostgresDatabase) -> int:
    return int(await database.fetch_value("SELECT stock FROM inventory"))


def _code(response: httpx2.Response) -> tuple[int, str]:
    body: dict[str, Any] = response.json()
    return response.status_code, body["error"]["code"]


class TestCheckout:
    async def test_a_cart_becomes_an_order_and_the_cart_empties(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """201 with the order priced as the cart was; stock, outbox and audit follow."""
        ann = await bearer(database, "ann@example.com")
        await _add(client, ann)

        response = await _checkout(client, ann, "k1")
        cart = (await client.get("/api/v1/cart", headers=ann)).json()

        assert 201 == response.status_code, response.text
        order = response.json()["order"]
        assert ("pending_payment", "23.68", "authorized") == (
            order["status"],
            order["totals"]["total"],
            order["payment_status"],
        )
        assert [] == cart["cart"]["lines"]
        assert 3 == await _stock(database)
        assert (2, 1, 1) == (
            await _count(database, "outbox"),
            await _count(database, "audit_log"),
            await _count(database, "payments"),
        )

    async def test_the_same_key_and_body_replays_the_stored_answer(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """A retry gets the same bytes and creates nothing more."""
        ann = await bearer(database, "ann@example.com")
        await _add(client, ann)

        first = await _checkout(client, ann, "k1")
        again = await _checkout(client, ann, "k1", b'{ "payment_token" : "tok_ok" }')

        assert (201, first.content) == (again.status_code, again.content)
        assert "true" == again.headers["idempotent-replayed"]
        assert 1 == await _count(database, "orders")

    async def test_the_same_key_with_another_body_is_refused(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """422 idempotency_error."""
        ann = await bearer(database, "ann@example.com")
        await _add(client, ann)
        await _checkout(client, ann, "k1")

        other = await _checkout(client, ann, "k1", b'{"payment_token": "tok_decline"}')

        assert (422, "idempotency_error") == _code(other)

    async def test_fifty_concurrent_checkouts_with_one_key_make_one_order(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """Every answer is the stored 201 or 409 in use; a retry after replays the 201."""
        ann = await bearer(database, "ann@example.com")
        await _add(client, ann)

        answers = await asyncio.gather(*(_checkout(client, ann, "same") for _ in range(50)))
        later = await _checkout(client, ann, "same")

        created = {answer.content for answer in answers if answer.status_code == 201}
        assert {201, 409} >= {answer.status_code for answer in answers}
        assert 1 == len(created)
        assert all(
            _code(answer) == (409, "idempotency_key_in_use")
            for answer in answers
            if answer.status_code != 201
        )
        assert (201, created.pop()) == (later.status_code, later.content)
        assert (1, 3) == (await _count(database, "orders"), await _stock(database))

    async def test_twenty_buyers_for_five_units_make_five_orders(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """Stock never goes below zero: the others are told it is out of stock."""
        buyers = [await bearer(database, f"buyer{n}@example.com") for n in range(20)]
        for buyer in buyers:
            await _add(client, buyer, quantity=1)

        answers = await asyncio.gather(
            *(_checkout(client, buyer, f"b{n}") for n, buyer in enumerate(buyers))
        )

        statuses = sorted(answer.status_code for answer in answers)
        assert [201] * 5 + [409] * 15 == statuses
        assert all(
            _code(answer) == (409, "out_of_stock")
            for answer in answers
            if answer.status_code == 409
        )
        assert (5, 0) == (await _count(database, "orders"), await _stock(database))

    @pytest.mark.parametrize(
        ("token", "status", "code"),
        [
            ("tok_decline", 402, "payment_declined"),
            ("tok_insufficient_funds", 402, "payment_declined"),
            ("tok_timeout", 504, "payment_gateway_timeout"),
        ],
    )
    async def test_a_failed_payment_writes_nothing(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        token: str,
        status: int,
        code: str,
    ) -> None:
        """No order, no stock change, no outbox row; the cart keeps its items."""
        ann = await bearer(database, "ann@example.com")
        await _add(client, ann)

        response = await _checkout(client, ann, "k1", f'{{"payment_token": "{token}"}}'.encode())
        cart = (await client.get("/api/v1/cart", headers=ann)).json()

        assert (status, code) == _code(response)
        assert (0, 5, 0) == (
            await _count(database, "orders"),
            await _stock(database),
            await _count(database, "outbox"),
        )
        assert 1 == len(cart["cart"]["lines"])


class TestBadInput:
    @pytest.mark.parametrize(
        ("headers", "body", "status", "code"),
        [
            ({}, PAY, 400, "idempotency_key_required"),
            ({"Idempotency-Key": "k" * 256}, PAY, 400, "invalid_idempotency_key"),
            ({"Idempotency-Key": ""}, PAY, 400, "invalid_idempotency_key"),
            ({"Idempotency-Key": "k"}, b'{"payment_token": ', 422, "invalid_json"),
            ({"Idempotency-Key": "k"}, b"{}", 422, "invalid_request"),
            ({"Idempotency-Key": "k"}, b'{"payment_token": 7}', 422, "invalid_request"),
            (
                {"Idempotency-Key": "k"},
                b'{"payment_token": "tok_ok", "x": 1}',
                422,
                "invalid_request",
            ),
            (
                {"Idempotency-Key": "k"},
                b'{"payment_token": "tok_ok", "note": 5}',
                422,
                "invalid_request",
            ),
        ],
    )
    async def test_a_bad_request_is_refused_and_writes_nothing(  # noqa: PLR0917 - fixtures and cases
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        headers: dict[str, str],
        body: bytes,
        status: int,
        code: str,
    ) -> None:
        """The error shape, the right status, no order and no key kept."""
        ann = await bearer(database, "ann@example.com")
        await _add(client, ann)

        response = await client.post(CHECKOUT, headers={**ann, **headers}, content=body)

        assert (status, code) == _code(response)
        assert (0, 0) == (
            await _count(database, "orders"),
            await _count(database, "idempotency_keys"),
        )

    async def test_an_empty_cart_cannot_be_checked_out(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """422 empty_cart."""
        ann = await bearer(database, "ann@example.com")

        assert (422, "empty_cart") == _code(await _checkout(client, ann, "k1"))


class TestOrders:
    async def test_a_customer_sees_their_orders_and_not_others(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """Another user's order is 404, as an unknown one is."""
        ann = await bearer(database, "ann@example.com")
        bob = await bearer(database, "bob@example.com")
        await _add(client, ann)
        order_id = (await _checkout(client, ann, "k1")).json()["order"]["id"]

        mine = await client.get(f"/api/v1/orders/{order_id}", headers=ann)
        theirs = await client.get(f"/api/v1/orders/{order_id}", headers=bob)
        unknown = await client.get("/api/v1/orders/999999", headers=ann)
        beyond = await client.get(f"/api/v1/orders/{'9' * 30}", headers=ann)
        listed = (await client.get("/api/v1/orders", headers=bob)).json()

        assert order_id == mine.json()["order"]["id"]
        assert (404, "not_found") == _code(theirs)
        assert (404, "not_found") == _code(unknown)
        assert (404, "not_found") == _code(beyond)
        assert {"items": [], "next_cursor": None} == listed

    async def test_orders_come_a_page_at_a_time_newest_first(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """The cursor walks every order once; staff see every user's."""
        ann = await bearer(database, "ann@example.com")
        staff = await bearer(database, "sam@example.com", "staff")
        ids = []
        for n in range(3):
            await _add(client, ann, quantity=1)
            ids.append((await _checkout(client, ann, f"k{n}")).json()["order"]["id"])

        first = (await client.get("/api/v1/orders?limit=2", headers=ann)).json()
        second = (
            await client.get(f"/api/v1/orders?limit=2&cursor={first['next_cursor']}", headers=ann)
        ).json()
        everyone = (await client.get("/api/v1/orders", headers=staff)).json()
        bad = await client.get("/api/v1/orders?cursor=nonsense", headers=ann)

        assert ids[::-1] == [item["id"] for item in first["items"] + second["items"]]
        assert second["next_cursor"] is None
        assert ids[::-1] == [item["id"] for item in everyone["items"]]
        assert (422, "invalid_request") == _code(bad)


class _ClearCartFails:
    """A supervisor whose actor is down just when checkout empties the cart."""

    def __init__(self, supervisor: CartSupervisor) -> None:
        self._supervisor = supervisor

    async def ask(self, user_id: int, command: object) -> Any:
        if isinstance(command, ClearCart):
            raise CartUnavailableError("restarting", reason="restarting", retry_after=1.0)
        return await self._supervisor.ask(user_id, command)  # type: ignore[arg-type]


class TestAfterCommit:
    async def test_an_actor_down_after_commit_still_answers_with_the_order(
        self, database: PostgresDatabase
    ) -> None:
        """The order is placed and the stored cart empty: 201, and the cart reads empty."""
        await stock_product(database, TEA)
        user = await ensure_user(database, Email("ann@example.com"), "customer")
        carts = PostgresCartStore(database)
        supervisor = CartSupervisor(
            CartDeps(
                store=carts,
                products=CatalogProducts(database),
                pricing=load_shop_pricing(None),
                clock=lambda: datetime.now(UTC),
                cart_ttl=timedelta(days=1),
            ),
            idle_timeout=60,
        )
        try:
            products = await CatalogProducts(database).products([TEA])
            added = await supervisor.ask(user.id, AddItem("add-1", TEA, 1, products[TEA]))
            checkout = Checkout(
                database,
                _ClearCartFails(supervisor),  # type: ignore[arg-type]
                carts,
                SandboxGateway(),
                clock=lambda: datetime.now(UTC),
                cart_ttl=timedelta(days=1),
            )
            answer = await checkout.place(
                user.id, key="k1", fingerprint=bytes(32), payment_token=SANDBOX_CARD
            )
        finally:
            await supervisor.close()

        assert added.unwrap().cart.lines
        assert 201 == answer.status
        assert 1 == await _count(database, "orders")
        stored = await carts.load(user.id)
        assert stored is not None
        assert () == tuple(stored.lines)
