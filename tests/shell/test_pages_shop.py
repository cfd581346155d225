"""The shopper's pages over HTTP: the catalog, a product, the cart's forms, checkout and the
orders, with the bad input a browser (or someone posting by hand) can send."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

import pytest

from tests.shell.page_support import browser_client, cart_quantities, csrf_token, sign_in
from tests.support.shop import stock_product

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx2

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl

pytestmark = pytest.mark.integration

TEA: Final = "TEA-1"
_KEY: Final = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture
async def client(
    database_url: PostgresUrl, database: PostgresDatabase
) -> AsyncIterator[httpx2.AsyncClient]:
    """The application on a clean database with a tea in stock (5 units)."""
    await stock_product(database, TEA)
    async with browser_client(database_url) as started:
        yield started


@pytest.fixture
async def ann(client: httpx2.AsyncClient, database: PostgresDatabase) -> int:
    """The client signed in as a customer; their id."""
    return await sign_in(client, database, "ann@example.com")


async def add(client: httpx2.AsyncClient, quantity: str, sku: str = TEA) -> httpx2.Response:
    page = await client.get(f"/products/{sku}")
    return await client.post(
        "/cart/items",
        data={"sku": sku, "quantity": quantity, "csrf_token": csrf_token(page.text)},
    )


class TestCatalog:
    async def test_lists_filters_and_searches(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await stock_product(database, "MUG-1")
        await database.execute("UPDATE products SET category = 'mugs' WHERE sku = 'MUG-1'")
        page = await client.get("/")
        assert page.status_code == 200
        assert page.text.count('class="product-card"') == 2
        assert '<option value="mugs">' in page.text
        mugs = await client.get("/", params={"category": "mugs"})
        assert mugs.text.count('class="product-card"') == 1
        assert "/products/MUG-1" in mugs.text
        found = await client.get("/", params={"q": "te"})
        assert found.text.count('class="product-card"') == 2
        none = await client.get("/", params={"q": "coffee"})
        assert "No products match" in none.text

    @pytest.mark.parametrize(
        "params",
        [
            {"category": "no such category"},
            {"category": "\x00"},
            {"q": "x" * 201},
            {"q": "\x00"},
            {"after": "\x00not a sku"},
            {"after": "%%%"},
        ],
    )
    async def test_odd_queries_answer_a_page(
        self, client: httpx2.AsyncClient, params: dict[str, str]
    ) -> None:
        page = await client.get("/", params=params)
        assert page.status_code == 200
        assert "<h1>Catalog</h1>" in page.text

    async def test_pages_follow_each_other(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        for number in range(30):
            await stock_product(database, f"BOOK-{number:02}")
        first = await client.get("/")
        assert first.text.count('class="product-card"') == 24
        more = re.search(r'href="(/\?[^"]+)" rel="next"', first.text)
        assert more is not None
        second = await client.get(more.group(1).replace("&amp;", "&"))
        assert second.text.count('class="product-card"') == 7
        assert 'rel="next"' not in second.text

    @pytest.mark.parametrize("sku", ["NOPE-1", "not a sku", "%00"])
    async def test_an_unknown_product_is_a_friendly_404(
        self, client: httpx2.AsyncClient, sku: str
    ) -> None:
        page = await client.get(f"/products/{sku}")
        assert page.status_code == 404
        assert "Page not found" in page.text


@pytest.mark.usefixtures("ann")
class TestCartForms:
    async def test_adding_then_changing_a_quantity(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        added = await add(client, "2")
        assert (added.status_code, added.headers["location"]) == (303, "/cart")
        assert await cart_quantities(database) == {TEA: 2}
        cart = await client.get("/cart")
        changed = await client.post(
            f"/cart/items/{TEA}", data={"quantity": "3", "csrf_token": csrf_token(cart.text)}
        )
        assert changed.status_code == 303
        assert await cart_quantities(database) == {TEA: 3}
        removed = await client.post(
            f"/cart/items/{TEA}/remove", data={"csrf_token": csrf_token(cart.text)}
        )
        assert removed.status_code == 303
        assert await cart_quantities(database) == {}

    async def test_the_same_add_form_sent_twice_adds_once(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        page = await client.get(f"/products/{TEA}")
        command = re.search(r'name="command_id" value="([^"]+)"', page.text)
        assert command is not None
        form = {
            "sku": TEA,
            "quantity": "1",
            "command_id": command.group(1),
            "csrf_token": csrf_token(page.text),
        }
        for _ in range(2):
            assert (await client.post("/cart/items", data=form)).status_code == 303
        assert await cart_quantities(database) == {TEA: 1}

    @pytest.mark.parametrize(
        ("quantity", "problem"),
        [
            ("", "Enter a whole number."),
            ("two", "Enter a whole number."),
            ("1.5", "Enter a whole number."),
            ("-1", "Enter a whole number."),
            ("0", "at least 1"),
            ("99999999", "at most"),
        ],
    )
    async def test_a_bad_quantity_is_shown_next_to_the_field_and_kept(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, quantity: str, problem: str
    ) -> None:
        answer = await add(client, quantity)
        assert answer.status_code == 422
        assert 'id="quantity-error"' in answer.text
        assert problem in answer.text
        assert f'value="{quantity}"' in answer.text
        assert await cart_quantities(database) == {}

    async def test_a_bad_quantity_in_the_cart_names_its_line(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await add(client, "2")
        cart = await client.get("/cart")
        answer = await client.post(
            f"/cart/items/{TEA}", data={"quantity": "lots", "csrf_token": csrf_token(cart.text)}
        )
        assert answer.status_code == 422
        assert 'id="line-error-1"' in answer.text
        assert 'value="lots"' in answer.text
        assert await cart_quantities(database) == {TEA: 2}

    async def test_changing_a_line_not_in_the_cart_is_refused(
        self, client: httpx2.AsyncClient
    ) -> None:
        cart = await client.get("/cart")
        answer = await client.post(
            "/cart/items/NOPE-1", data={"quantity": "1", "csrf_token": csrf_token(cart.text)}
        )
        assert answer.status_code == 422
        assert "Your cart is empty" in answer.text

    async def test_adding_an_unknown_product_is_a_404(self, client: httpx2.AsyncClient) -> None:
        cart = await client.get("/cart")
        answer = await client.post(
            "/cart/items",
            data={"sku": "NOPE-1", "quantity": "1", "csrf_token": csrf_token(cart.text)},
        )
        assert answer.status_code == 404

    async def test_an_unknown_coupon_is_shown_next_to_its_field(
        self, client: httpx2.AsyncClient
    ) -> None:
        await add(client, "1")
        cart = await client.get("/cart")
        for code, problem in (("NOSUCHCODE", "coupon"), ("", "Enter a coupon code.")):
            answer = await client.post(
                "/cart/coupons", data={"code": code, "csrf_token": csrf_token(cart.text)}
            )
            assert answer.status_code == 422
            assert 'id="coupon-error"' in answer.text
            assert problem in answer.text

    async def test_an_in_place_update_is_answered_with_the_cart(
        self, client: httpx2.AsyncClient
    ) -> None:
        """htmx follows the 303 and takes the cart's part of the page it leads to."""
        await add(client, "1")
        cart = await client.get("/cart")
        answer = await client.post(
            f"/cart/items/{TEA}",
            data={"quantity": "2", "csrf_token": csrf_token(cart.text)},
            headers={"HX-Request": "true"},
            follow_redirects=True,
        )
        assert answer.status_code == 200
        assert 'id="cart"' in answer.text
        assert 'value="2"' in answer.text


class TestCheckout:
    async def _checkout_form(self, client: httpx2.AsyncClient) -> dict[str, str]:
        page = await client.get("/checkout")
        key = _KEY.search(page.text)
        assert key is not None, page.text
        return {"csrf_token": csrf_token(page.text), "idempotency_key": key.group(1)}

    @pytest.mark.usefixtures("ann")
    async def test_the_same_form_sent_twice_places_one_order(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await add(client, "2")
        form = {**await self._checkout_form(client), "payment_token": "tok_ok"}
        first = await client.post("/checkout", data=form)
        second = await client.post("/checkout", data=form)
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == second.headers["location"]
        assert await database.fetch_value("SELECT count(*) FROM orders") == 1
        confirmation = await client.get(first.headers["location"])
        assert "Thank you: your order is placed" in confirmation.text

    @pytest.mark.usefixtures("ann")
    async def test_a_declined_card_is_said_next_to_the_payment_and_can_be_retried(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await add(client, "1")
        form = {**await self._checkout_form(client), "payment_token": "tok_decline"}
        declined = await client.post("/checkout", data=form)
        assert declined.status_code == 402
        assert 'id="payment-error"' in declined.text
        assert "declined" in declined.text
        assert 'value="tok_decline" checked' in declined.text
        key = _KEY.search(declined.text)
        assert key is not None
        assert key.group(1) != form["idempotency_key"]  # a new attempt, not a replay
        retried = await client.post(
            "/checkout",
            data={
                "csrf_token": form["csrf_token"],
                "idempotency_key": key.group(1),
                "payment_token": "tok_ok",
            },
        )
        assert retried.status_code == 303
        assert await database.fetch_value("SELECT count(*) FROM orders") == 1

    @pytest.mark.usefixtures("ann")
    @pytest.mark.parametrize(
        ("field", "value", "error_id"),
        [
            ("payment_token", "tok_stolen", "payment-error"),
            ("payment_token", "", "payment-error"),
            ("idempotency_key", "", "cart-error"),
            ("idempotency_key", "not a key!", "cart-error"),
        ],
    )
    async def test_bad_fields_are_named_and_nothing_is_ordered(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        field: str,
        value: str,
        error_id: str,
    ) -> None:
        await add(client, "1")
        form = {**await self._checkout_form(client), "payment_token": "tok_ok", field: value}
        answer = await client.post("/checkout", data=form)
        assert answer.status_code == 422
        assert f'id="{error_id}"' in answer.text
        assert await database.fetch_value("SELECT count(*) FROM orders") == 0

    @pytest.mark.usefixtures("ann")
    async def test_an_empty_cart_cannot_be_ordered(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """The form was shown while the cart had items; another tab emptied it since."""
        await add(client, "1")
        form = {**await self._checkout_form(client), "payment_token": "tok_ok"}
        cart = await client.get("/cart")
        await client.post(f"/cart/items/{TEA}/remove", data={"csrf_token": csrf_token(cart.text)})
        answer = await client.post("/checkout", data=form)
        assert answer.status_code == 422
        assert "The cart is empty" in answer.text
        assert await database.fetch_value("SELECT count(*) FROM orders") == 0


class TestOrders:
    async def test_a_buyer_sees_their_orders_and_no_one_elses(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await sign_in(client, database, "ann@example.com")
        await add(client, "1")
        page = await client.get("/checkout")
        key = _KEY.search(page.text)
        assert key is not None
        placed = await client.post(
            "/checkout",
            data={
                "csrf_token": csrf_token(page.text),
                "idempotency_key": key.group(1),
                "payment_token": "tok_ok",
            },
        )
        order_path = placed.headers["location"].split("?")[0]
        mine = await client.get("/orders")
        assert f'href="{order_path}"' in mine.text
        assert 'data-live-topic="orders:' in mine.text
        await sign_in(client, database, "bob@example.com")
        assert (await client.get(order_path)).status_code == 404
        assert f'href="{order_path}"' not in (await client.get("/orders")).text

    @pytest.mark.usefixtures("ann")
    @pytest.mark.parametrize("order_id", ["999999", "abc", "1e3", "99999999999999999999", "²"])
    async def test_an_unknown_order_is_a_friendly_404(
        self, client: httpx2.AsyncClient, order_id: str
    ) -> None:
        answer = await client.get(f"/orders/{order_id}")
        assert answer.status_code == 404
        assert "Page not found" in answer.text


@pytest.mark.usefixtures("ann")
class TestForms:
    async def test_a_form_over_the_size_limit_is_refused_unread(
        self, client: httpx2.AsyncClient
    ) -> None:
        cart = await client.get("/cart")
        answer = await client.post(
            "/cart/coupons",
            data={"code": "x" * (300 * 1024), "csrf_token": csrf_token(cart.text)},
        )
        assert answer.status_code == 413
        assert "larger than" in answer.text

    async def test_a_malformed_form_is_a_400_page(self, client: httpx2.AsyncClient) -> None:
        answer = await client.post(
            "/cart/coupons",
            content=b"--x\r\nnot a part\r\n",
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )
        assert answer.status_code in {400, 403}
        assert "text/html" in answer.headers["content-type"]

    async def test_too_many_fields_are_refused(self, client: httpx2.AsyncClient) -> None:
        cart = await client.get("/cart")
        data = {f"field{number}": "x" for number in range(200)}
        answer = await client.post(
            "/cart/coupons", data={**data, "csrf_token": csrf_token(cart.text)}
        )
        assert answer.status_code == 400
        assert "Too many fields" in answer.text
