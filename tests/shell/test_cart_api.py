"""The cart's JSON API (/api/v1/cart) in the real application, against a real PostgreSQL.

Expected quotes are worked out by hand from the demo pricing (`shell/demo/pricing.json`):
prices without tax, tax rates standard 0.20 and reduced 0.055 rounded half-even per line,
shipping 4.90 untaxed and free from a 60.00 subtotal, WELCOME10 10% off the order, TEATIME
15% off tea.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import pytest
from starlette.testclient import TestClient

from pulseshop.adapters.postgres import PostgresDatabase, ensure_user, issue_token, revoke_token
from pulseshop.core.access import CART_READ, CART_WRITE, Email
from pulseshop.shell.web import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Collection

    import httpx2
    from starlette.applications import Starlette

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.integration

CART: Final = "/api/v1/cart"
ITEMS: Final = "/api/v1/cart/items"
COUPONS: Final = "/api/v1/cart/coupons"

TEA: Final = "TEA-DARJ-100"
MUG: Final = "MUG-STONE"
RETIRED: Final = "MUG-RETIRED"

INSERT_PRODUCT_SQL: Final = """
    INSERT INTO products (sku, name, category, unit_price, currency, tax_category, active)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
PRODUCTS: Final = (
    (TEA, "Darjeeling, 100 g", "tea", Decimal("8.90"), "EUR", "reduced", True),
    (MUG, "Stoneware mug", "kitchen", Decimal("12.00"), "EUR", "standard", True),
    (RETIRED, "Retired mug", "kitchen", Decimal("9.00"), "EUR", "standard", False),
)

MAX_BODY: Final = 16 * 1024
DAY: Final = timedelta(days=1)

EVERY_ROUTE: Final = (
    ("GET", CART),
    ("POST", ITEMS),
    ("PATCH", f"{ITEMS}/{TEA}"),
    ("DELETE", f"{ITEMS}/{TEA}"),
    ("POST", COUPONS),
    ("DELETE", f"{COUPONS}/WELCOME10"),
)
WRITE_ROUTES: Final = EVERY_ROUTE[1:]


async def _stock(database: PostgresDatabase) -> None:
    """A tea (reduced rate, category tea), a mug (standard rate) and a retired mug."""
    for product in PRODUCTS:
        await database.execute(INSERT_PRODUCT_SQL, *product)


@pytest.fixture
async def catalog(database: PostgresDatabase) -> None:
    await _stock(database)


@pytest.fixture
async def client(
    database: PostgresDatabase, database_url: PostgresUrl
) -> AsyncIterator[TestClient]:
    """The application on the session's database, with the catalog stocked."""
    await _stock(database)
    with TestClient(_app(database_url)) as client:
        yield client


@pytest.fixture
async def ann(database: PostgresDatabase) -> dict[str, str]:
    return _bearer(await _token(database, "ann@example.com"))


@pytest.fixture
async def bob(database: PostgresDatabase) -> dict[str, str]:
    return _bearer(await _token(database, "bob@example.com"))


def _app(url: PostgresUrl) -> Starlette:
    """The real application on ``url``'s database, as the service builds it."""
    return create_app(PostgresDatabase(url))


async def _token(
    database: PostgresDatabase,
    email: str,
    scopes: Collection[str] = (CART_READ, CART_WRITE),
    *,
    issued: datetime | None = None,
    ttl: timedelta = DAY,
) -> str:
    user = await ensure_user(database, Email(email), "customer")
    return await issue_token(database, user.id, scopes, now=issued or datetime.now(UTC), ttl=ttl)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _problem(response: httpx2.Response) -> tuple[int, str | None, str | None]:
    """The status, the error code and the first detail's field of an error answer (None
    for an answer without an error)."""
    error = response.json().get("error")
    if error is None:
        return response.status_code, None, None
    assert {"code", "message", "details"} == set(error)
    field = error["details"][0]["field"] if error["details"] else None
    return response.status_code, error["code"], field


def _totals(body: dict[str, Any]) -> dict[str, str]:
    quote = body["quote"]
    names = ("subtotal", "discount_total", "shipping_total", "tax_total", "total")
    return {name: quote[name] for name in names}


def _cart(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(CART, headers=headers)
    assert 200 == response.status_code
    cart: dict[str, Any] = response.json()["cart"]
    return cart


def _add(client: TestClient, headers: dict[str, str], sku: str, quantity: int) -> httpx2.Response:
    return client.post(ITEMS, json={"sku": sku, "quantity": quantity}, headers=headers)


def _lines(cart: dict[str, Any]) -> list[tuple[str, int]]:
    return [(line["sku"], line["quantity"]) for line in cart["lines"]]


def _metric(text: str, name: str, **labels: str) -> float:
    """The value of the sample ``name`` with these labels in Prometheus text, 0 if absent."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        metric, _, label_text = sample.partition("{")
        if metric == name and all(f'{key}="{val}"' in label_text for key, val in labels.items()):
            return float(value)
    return 0.0


class TestAuthentication:
    @pytest.mark.parametrize(("method", "path"), EVERY_ROUTE)
    def test_no_token_is_401_with_a_bearer_challenge(
        self, client: TestClient, method: str, path: str
    ) -> None:
        """Every cart route asks for a bearer token, in the error shape."""
        response = client.request(method, path, json={"sku": TEA, "quantity": 1})

        assert (401, "unauthorized", "headers.authorization") == _problem(response)
        assert 'Bearer realm="pulseshop"' == response.headers["WWW-Authenticate"]

    @pytest.mark.parametrize("header", ["Basic YW5uOnNlY3JldA==", "Bearer", "Bearer a b", "psk_x"])
    def test_a_malformed_header_is_401(self, client: TestClient, header: str) -> None:
        """Another scheme, no token or two words after Bearer are no bearer token."""
        response = client.get(CART, headers={"Authorization": header})

        assert (401, "unauthorized", "headers.authorization") == _problem(response)
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")

    @pytest.mark.usefixtures("ann")
    @pytest.mark.parametrize("token", ["psk_" + "x" * 43, "not-a-token"])
    def test_an_unknown_token_is_401(self, client: TestClient, token: str) -> None:
        """A token nobody issued is refused as an invalid token."""
        response = client.get(CART, headers=_bearer(token))

        assert (401, "unauthorized", "headers.authorization") == _problem(response)
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]

    async def test_an_expired_token_is_401(
        self, database: PostgresDatabase, client: TestClient
    ) -> None:
        """A token whose lifetime is over is refused."""
        issued = datetime.now(UTC) - 2 * DAY
        token = await _token(database, "ann@example.com", issued=issued, ttl=DAY)

        response = client.post(ITEMS, json={"sku": TEA, "quantity": 1}, headers=_bearer(token))

        assert (401, "unauthorized", "headers.authorization") == _problem(response)
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")

    async def test_a_revoked_token_is_401(
        self, database: PostgresDatabase, client: TestClient
    ) -> None:
        """A revoked token is refused, though it has not expired."""
        token = await _token(database, "ann@example.com")
        await revoke_token(database, token, now=datetime.now(UTC))

        response = client.get(CART, headers=_bearer(token))

        assert (401, "unauthorized", "headers.authorization") == _problem(response)
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")

    @pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
    async def test_a_read_only_token_cannot_change_the_cart(
        self, database: PostgresDatabase, client: TestClient, method: str, path: str
    ) -> None:
        """Without cart:write every command is 403, naming the missing scope."""
        headers = _bearer(await _token(database, "ann@example.com", [CART_READ]))

        response = client.request(method, path, json={"sku": TEA, "quantity": 1}, headers=headers)

        assert (403, "forbidden", "scopes") == _problem(response)
        assert 'scope="cart:write"' in response.headers["WWW-Authenticate"]
        assert 0 == _cart(client, headers)["version"]

    async def test_a_read_only_token_reads_the_cart(
        self, database: PostgresDatabase, client: TestClient
    ) -> None:
        """cart:read alone is enough to see the cart."""
        headers = _bearer(await _token(database, "ann@example.com", [CART_READ]))

        response = client.get(CART, headers=headers)

        assert 200 == response.status_code


class TestReadingTheCart:
    def test_a_new_user_has_an_empty_cart_without_a_quote(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """Nothing stored yet: no lines, no currency, version 0, nothing to quote."""
        response = client.get(CART, headers=ann)

        assert 200 == response.status_code
        assert {
            "cart": {
                "lines": [],
                "coupons": [],
                "currency": None,
                "version": 0,
                "updated_at": None,
            },
            "quote": None,
        } == response.json()

    def test_users_do_not_see_each_others_carts(
        self, client: TestClient, ann: dict[str, str], bob: dict[str, str]
    ) -> None:
        """Bob's cart is his own: Ann's items are not in it, and his do not go into hers."""
        _add(client, ann, TEA, 2)

        bobs_before = _cart(client, bob)
        _add(client, bob, MUG, 1)
        anns_after = _cart(client, ann)

        assert ([], 0) == (bobs_before["lines"], bobs_before["version"])
        assert ([(TEA, 2)], 1) == (_lines(anns_after), anns_after["version"])
        assert [(MUG, 1)] == _lines(_cart(client, bob))


class TestChangingTheCart:
    def test_adding_an_item_answers_the_cart_and_its_quote(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """2 x 8.90 at 5.5%: 17.80, tax 0.979 rounded to 0.98, shipping 4.90: 23.68."""
        response = _add(client, ann, TEA, 2)

        assert 200 == response.status_code
        body = response.json()
        expected_line = {
            "sku": TEA,
            "quantity": 2,
            "name": "Darjeeling, 100 g",
            "unit_price": "8.90",
            "available": True,
        }
        assert [expected_line] == body["cart"]["lines"]
        assert ("EUR", 1, []) == (
            body["cart"]["currency"],
            body["cart"]["version"],
            body["cart"]["coupons"],
        )
        assert {
            "subtotal": "17.80",
            "discount_total": "0.00",
            "shipping_total": "4.90",
            "tax_total": "0.98",
            "total": "23.68",
        } == _totals(body)
        assert body == client.get(CART, headers=ann).json()

    def test_the_quote_line_shows_the_tax_of_the_reduced_rate(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """The quote's line carries its net, tax and gross at the product's tax rate."""
        body = _add(client, ann, TEA, 2).json()

        [line] = body["quote"]["lines"]
        assert (TEA, 2, "8.90", "17.80", "0.98", "18.78") == (
            line["sku"],
            line["quantity"],
            line["unit_price"],
            line["net"],
            line["tax"],
            line["gross"],
        )

    def test_adding_the_same_sku_again_adds_up(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """3 x 8.90: 26.70, tax 1.4685 rounded to 1.47, shipping 4.90: 33.07."""
        _add(client, ann, TEA, 2)

        body = _add(client, ann, TEA, 1).json()

        assert ([(TEA, 3)], 2) == (_lines(body["cart"]), body["cart"]["version"])
        assert ("26.70", "1.47", "33.07") == (
            body["quote"]["subtotal"],
            body["quote"]["tax_total"],
            body["quote"]["total"],
        )

    def test_each_line_is_taxed_at_its_products_rate(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """Tea at 5.5% (0.98) and a 12.00 mug at 20% (2.40): 29.80 + 3.38 + 4.90 = 38.08."""
        _add(client, ann, TEA, 2)

        body = _add(client, ann, MUG, 1).json()

        assert [(TEA, 2), (MUG, 1)] == _lines(body["cart"])
        assert {
            "subtotal": "29.80",
            "discount_total": "0.00",
            "shipping_total": "4.90",
            "tax_total": "3.38",
            "total": "38.08",
        } == _totals(body)

    def test_setting_the_quantity_replaces_it_and_60_ships_free(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """7 x 8.90 = 62.30 reaches free shipping; tax 3.4265 rounds to 3.43: 65.73."""
        _add(client, ann, TEA, 2)

        response = client.patch(f"{ITEMS}/{TEA}", json={"quantity": 7}, headers=ann)

        assert 200 == response.status_code
        body = response.json()
        assert ([(TEA, 7)], 2) == (_lines(body["cart"]), body["cart"]["version"])
        assert ("62.30", "3.43", "0.00", "65.73") == (
            body["quote"]["subtotal"],
            body["quote"]["tax_total"],
            body["quote"]["shipping_total"],
            body["quote"]["total"],
        )

    def test_removing_the_last_item_leaves_nothing_to_quote(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """DELETE takes the line out; an empty cart has no currency and no quote."""
        _add(client, ann, TEA, 2)

        response = client.delete(f"{ITEMS}/{TEA}", headers=ann)

        assert 200 == response.status_code
        body = response.json()
        assert ([], None, 2, None) == (
            body["cart"]["lines"],
            body["cart"]["currency"],
            body["cart"]["version"],
            body["quote"],
        )

    def test_removing_one_item_keeps_the_others(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """Only the named SKU's line goes; the quote is the rest's (12.00 + 2.40 + 4.90)."""
        _add(client, ann, TEA, 2)
        _add(client, ann, MUG, 1)

        body = client.delete(f"{ITEMS}/{TEA}", headers=ann).json()

        assert [(MUG, 1)] == _lines(body["cart"])
        assert "19.30" == body["quote"]["total"]

    def test_a_coupon_in_any_case_discounts_the_order(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """welcome10 is WELCOME10: 10% of 17.80 is 1.78; tax on 16.02 is 0.88: 21.80."""
        _add(client, ann, TEA, 2)

        response = client.post(COUPONS, json={"code": "welcome10"}, headers=ann)

        assert 200 == response.status_code
        body = response.json()
        assert (["WELCOME10"], 2) == (body["cart"]["coupons"], body["cart"]["version"])
        assert {
            "subtotal": "17.80",
            "discount_total": "1.78",
            "shipping_total": "4.90",
            "tax_total": "0.88",
            "total": "21.80",
        } == _totals(body)
        assert ["WELCOME10"] == [rule["id"] for rule in body["quote"]["applied_rules"]]

    def test_teatime_takes_15_percent_off_tea_only(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """15% of 17.80 of tea is 2.67; tea 15.13 + 0.83 tax, mug 12.00 + 2.40, 4.90: 35.26."""
        _add(client, ann, TEA, 2)
        _add(client, ann, MUG, 1)

        body = client.post(COUPONS, json={"code": "TeaTime"}, headers=ann).json()

        assert ["TEATIME"] == body["cart"]["coupons"]
        assert {
            "subtotal": "29.80",
            "discount_total": "2.67",
            "shipping_total": "4.90",
            "tax_total": "3.23",
            "total": "35.26",
        } == _totals(body)

    def test_applying_a_coupon_twice_changes_nothing(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """The second time the cart already has it: same coupons, same version."""
        _add(client, ann, TEA, 2)
        client.post(COUPONS, json={"code": "WELCOME10"}, headers=ann)

        response = client.post(COUPONS, json={"code": "Welcome10"}, headers=ann)

        assert 200 == response.status_code
        assert (["WELCOME10"], 2) == (
            response.json()["cart"]["coupons"],
            response.json()["cart"]["version"],
        )

    def test_removing_a_coupon_restores_the_price(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """DELETE of the code (in any case) takes the discount off: back to 23.68."""
        _add(client, ann, TEA, 2)
        client.post(COUPONS, json={"code": "WELCOME10"}, headers=ann)

        response = client.delete(f"{COUPONS}/welcome10", headers=ann)

        assert 200 == response.status_code
        body = response.json()
        assert ([], 3) == (body["cart"]["coupons"], body["cart"]["version"])
        assert ("0.00", "23.68") == (body["quote"]["discount_total"], body["quote"]["total"])


# Each case: the body sent to POST /items (bytes as they go on the wire), then the status,
# error code and field of the answer. The cart holds 1 tea beforehand.
ADD_ITEM_REFUSALS: Final = [
    pytest.param(
        json.dumps({"sku": "NOPE-1", "quantity": 1}).encode(),
        (422, "unknown_sku", "sku"),
        id="unknown-sku",
    ),
    pytest.param(
        json.dumps({"sku": RETIRED, "quantity": 1}).encode(),
        (422, "inactive_product", "sku"),
        id="inactive-product",
    ),
    pytest.param(
        json.dumps({"sku": TEA, "quantity": 0}).encode(),
        (422, "invalid_quantity", "quantity"),
        id="quantity-0",
    ),
    pytest.param(
        json.dumps({"sku": TEA, "quantity": -1}).encode(),
        (422, "invalid_quantity", "quantity"),
        id="quantity-negative",
    ),
    pytest.param(
        json.dumps({"sku": MUG, "quantity": 1000}).encode(),
        (422, "quantity_too_large", "quantity"),
        id="quantity-1000",
    ),
    pytest.param(
        json.dumps({"sku": TEA, "quantity": 999}).encode(),
        (422, "quantity_too_large", "quantity"),
        id="quantity-999-on-top-of-1",
    ),
    pytest.param(
        json.dumps({"sku": TEA, "quantity": 1.5}).encode(),
        (422, "invalid_request", "quantity"),
        id="quantity-fraction",
    ),
    pytest.param(
        json.dumps({"sku": TEA, "quantity": 2.0}).encode(),
        (422, "invalid_request", "quantity"),
        id="quantity-float",
    ),
    pytest.param(
        json.dumps({"sku": TEA, "quantity": "2"}).encode(),
        (422, "invalid_request", "quantity"),
        id="quantity-string",
    ),
    pytest.param(
        json.dumps({"sku": TEA, "quantity": True}).encode(),
        (422, "invalid_request", "quantity"),
        id="quantity-true",
    ),
    pytest.param(
        json.dumps({"sku": TEA, "quantity": None}).encode(),
        (422, "invalid_request", "quantity"),
        id="quantity-null",
    ),
    pytest.param(
        json.dumps({"sku": TEA}).encode(),
        (422, "invalid_request", "quantity"),
        id="quantity-missing",
    ),
    pytest.param(
        json.dumps({"quantity": 1}).encode(),
        (422, "invalid_request", "sku"),
        id="sku-missing",
    ),
    pytest.param(
        json.dumps({"sku": "  ", "quantity": 1}).encode(),
        (422, "invalid_request", "sku"),
        id="sku-blank",
    ),
    pytest.param(
        json.dumps({"sku": 12, "quantity": 1}).encode(),
        (422, "invalid_request", "sku"),
        id="sku-number",
    ),
    pytest.param(
        json.dumps({"sku": TEA, "quantity": 1, "colour": "red"}).encode(),
        (422, "invalid_request", "colour"),
        id="unknown-field",
    ),
    pytest.param(b'{"sku": "TEA-DARJ-100", ', (422, "invalid_json", "body"), id="not-json"),
    pytest.param(b"", (422, "invalid_json", "body"), id="empty-body"),
    pytest.param(
        json.dumps([{"sku": TEA, "quantity": 1}]).encode(),
        (422, "invalid_request", "body"),
        id="array",
    ),
    pytest.param(b'"TEA-DARJ-100"', (422, "invalid_request", "body"), id="string"),
    pytest.param(
        b'{"sku": "TEA-DARJ-100\xff", "quantity": 1}',
        (422, "invalid_request", "body"),
        id="not-utf-8",
    ),
]


class TestRefusals:
    @pytest.mark.parametrize(("content", "expected"), ADD_ITEM_REFUSALS)
    def test_a_bad_item_is_refused_and_the_cart_is_unchanged(
        self,
        client: TestClient,
        ann: dict[str, str],
        content: bytes,
        expected: tuple[int, str, str],
    ) -> None:
        """Each bad body is answered in the error shape naming the field at fault."""
        _add(client, ann, TEA, 1)
        before = _cart(client, ann)

        response = client.post(
            ITEMS, content=content, headers=ann | {"Content-Type": "application/json"}
        )

        assert expected == _problem(response)
        assert before == _cart(client, ann)

    def test_a_utf_16_body_is_refused_as_not_utf_8(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """JSON between systems is UTF-8 (RFC 8259, 8.1): other encodings are refused."""
        _add(client, ann, TEA, 1)
        before = _cart(client, ann)
        content = json.dumps({"sku": TEA, "quantity": 1}).encode("utf-16")

        response = client.post(
            ITEMS, content=content, headers=ann | {"Content-Type": "application/json"}
        )

        assert (422, "invalid_request", "body") == _problem(response)
        assert before == _cart(client, ann)

    def test_a_quantity_of_thousands_of_digits_is_refused(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """A number too long for Python to read is a bad request, not a server error."""
        _add(client, ann, TEA, 1)
        before = _cart(client, ann)
        content = b'{"sku": "TEA-DARJ-100", "quantity": ' + b"9" * 5000 + b"}"

        response = client.post(
            ITEMS, content=content, headers=ann | {"Content-Type": "application/json"}
        )

        assert 422 == response.status_code
        assert {"code", "message", "details"} == set(response.json()["error"])
        assert before == _cart(client, ann)

    def test_deeply_nested_json_is_refused(self, client: TestClient, ann: dict[str, str]) -> None:
        """Thousands of nested arrays (under the size limit) are a bad request, not a crash."""
        _add(client, ann, TEA, 1)
        before = _cart(client, ann)
        content = b"[" * 5000 + b"]" * 5000

        response = client.post(
            ITEMS, content=content, headers=ann | {"Content-Type": "application/json"}
        )

        assert (422, "body") == (response.status_code, _problem(response)[2])
        assert before == _cart(client, ann)

    def test_a_body_over_16_kib_is_413(self, client: TestClient, ann: dict[str, str]) -> None:
        """A valid command padded past the limit is refused for its size alone."""
        _add(client, ann, TEA, 1)
        before = _cart(client, ann)
        command = json.dumps({"sku": TEA, "quantity": 1}).encode()
        content = command + b" " * (MAX_BODY + 1 - len(command))

        response = client.post(
            ITEMS, content=content, headers=ann | {"Content-Type": "application/json"}
        )

        assert (413, "payload_too_large") == _problem(response)[:2]
        assert before == _cart(client, ann)

    def test_a_body_of_exactly_16_kib_is_accepted(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """The limit itself is allowed."""
        command = json.dumps({"sku": TEA, "quantity": 1}).encode()
        content = command + b" " * (MAX_BODY - len(command))

        response = client.post(
            ITEMS, content=content, headers=ann | {"Content-Type": "application/json"}
        )

        assert 200 == response.status_code
        assert [(TEA, 1)] == _lines(response.json()["cart"])

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            pytest.param({"quantity": 0}, (422, "invalid_quantity", "quantity"), id="zero"),
            pytest.param(
                {"quantity": 1000}, (422, "quantity_too_large", "quantity"), id="over-999"
            ),
            pytest.param({"quantity": "2"}, (422, "invalid_request", "quantity"), id="string"),
            pytest.param({"quantity": None}, (422, "invalid_request", "quantity"), id="null"),
            pytest.param({}, (422, "invalid_request", "quantity"), id="missing"),
            pytest.param(
                {"quantity": 2, "sku": TEA}, (422, "invalid_request", "sku"), id="extra-field"
            ),
        ],
    )
    def test_a_bad_quantity_change_is_refused_and_the_cart_is_unchanged(
        self,
        client: TestClient,
        ann: dict[str, str],
        body: dict[str, object],
        expected: tuple[int, str, str],
    ) -> None:
        """PATCH checks its body as POST does."""
        _add(client, ann, TEA, 1)
        before = _cart(client, ann)

        response = client.patch(f"{ITEMS}/{TEA}", json=body, headers=ann)

        assert expected == _problem(response)
        assert before == _cart(client, ann)

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            pytest.param("PATCH", f"{ITEMS}/{MUG}", {"quantity": 2}, id="patch"),
            pytest.param("DELETE", f"{ITEMS}/{MUG}", None, id="delete"),
        ],
    )
    def test_a_sku_not_in_the_cart_is_404(
        self,
        client: TestClient,
        ann: dict[str, str],
        method: str,
        path: str,
        body: dict[str, object] | None,
    ) -> None:
        """Changing or removing a line the cart does not hold names the SKU."""
        _add(client, ann, TEA, 1)
        before = _cart(client, ann)

        response = client.request(method, path, json=body, headers=ann)

        assert (404, "not_in_cart", "sku") == _problem(response)
        assert before == _cart(client, ann)

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            pytest.param({"code": "NOPE10"}, (422, "unknown_coupon", "code"), id="unknown"),
            pytest.param({"code": ""}, (422, "invalid_request", "code"), id="empty"),
            pytest.param({"code": 10}, (422, "invalid_request", "code"), id="number"),
            pytest.param({}, (422, "invalid_request", "code"), id="missing"),
            pytest.param(
                {"code": "WELCOME10", "percent": 100},
                (422, "invalid_request", "percent"),
                id="extra-field",
            ),
        ],
    )
    def test_a_bad_coupon_is_refused_and_the_cart_is_unchanged(
        self,
        client: TestClient,
        ann: dict[str, str],
        body: dict[str, object],
        expected: tuple[int, str, str],
    ) -> None:
        """Only a code some price rule accepts is applied."""
        _add(client, ann, TEA, 1)
        before = _cart(client, ann)

        response = client.post(COUPONS, json=body, headers=ann)

        assert expected == _problem(response)
        assert before == _cart(client, ann)

    def test_removing_a_coupon_not_applied_is_404(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """A known code the cart does not have names the code."""
        _add(client, ann, TEA, 1)
        before = _cart(client, ann)

        response = client.delete(f"{COUPONS}/WELCOME10", headers=ann)

        assert (404, "coupon_not_applied", "code") == _problem(response)
        assert before == _cart(client, ann)

    def test_an_unsupported_method_is_405_in_the_error_shape(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """PUT on the items is no command; the answer names the allowed method."""
        response = client.put(ITEMS, json={"sku": TEA, "quantity": 1}, headers=ann)

        assert (405, "method_not_allowed", None) == _problem(response)
        assert "POST" in response.headers["allow"]


class TestIdempotency:
    def test_the_same_key_twice_adds_once(self, client: TestClient, ann: dict[str, str]) -> None:
        """A retried POST with its Idempotency-Key is answered with the cart, unchanged."""
        headers = ann | {"Idempotency-Key": "add-tea-1"}
        first = client.post(ITEMS, json={"sku": TEA, "quantity": 2}, headers=headers)

        second = client.post(ITEMS, json={"sku": TEA, "quantity": 2}, headers=headers)

        assert (200, 200) == (first.status_code, second.status_code)
        assert first.json()["cart"] == second.json()["cart"]
        cart = _cart(client, ann)
        assert ([(TEA, 2)], 1) == (_lines(cart), cart["version"])

    def test_a_different_key_adds_again(self, client: TestClient, ann: dict[str, str]) -> None:
        """Another key is another command."""
        client.post(
            ITEMS, json={"sku": TEA, "quantity": 2}, headers=ann | {"Idempotency-Key": "k-1"}
        )

        response = client.post(
            ITEMS, json={"sku": TEA, "quantity": 2}, headers=ann | {"Idempotency-Key": "k-2"}
        )

        assert ([(TEA, 4)], 2) == (
            _lines(response.json()["cart"]),
            response.json()["cart"]["version"],
        )

    def test_a_key_of_100_characters_is_accepted(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """The longest key allowed works as any other."""
        headers = ann | {"Idempotency-Key": "k" * 100}
        client.post(ITEMS, json={"sku": TEA, "quantity": 2}, headers=headers)

        response = client.post(ITEMS, json={"sku": TEA, "quantity": 2}, headers=headers)

        assert (200, [(TEA, 2)]) == (response.status_code, _lines(response.json()["cart"]))

    def test_a_key_over_100_characters_is_422_naming_the_header(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """An over-long key is refused before anything is applied."""
        _add(client, ann, TEA, 1)
        before = _cart(client, ann)

        response = client.post(
            ITEMS, json={"sku": TEA, "quantity": 2}, headers=ann | {"Idempotency-Key": "k" * 101}
        )

        assert (422, "invalid_request", "Idempotency-Key") == _problem(response)
        assert before == _cart(client, ann)


@pytest.mark.usefixtures("catalog")
class TestPersistence:
    def test_the_cart_survives_a_restart(
        self, database_url: PostgresUrl, ann: dict[str, str]
    ) -> None:
        """A new application on the same database answers the cart the last one stored."""
        with TestClient(_app(database_url)) as first:
            _add(first, ann, TEA, 2)
            _add(first, ann, MUG, 1)
            stored = first.post(COUPONS, json={"code": "WELCOME10"}, headers=ann).json()

        with TestClient(_app(database_url)) as second:
            restarted = second.get(CART, headers=ann).json()

        assert stored["cart"] == restarted["cart"]
        assert ([(TEA, 2), (MUG, 1)], ["WELCOME10"], 3) == (
            _lines(restarted["cart"]),
            restarted["cart"]["coupons"],
            restarted["cart"]["version"],
        )
        assert stored["quote"]["total"] == restarted["quote"]["total"]

    async def test_a_retired_product_stays_in_the_cart_unavailable(
        self,
        database: PostgresDatabase,
        database_url: PostgresUrl,
        ann: dict[str, str],
    ) -> None:
        """A product taken off sale after it was added shows as unavailable, and cannot grow."""
        with TestClient(_app(database_url)) as first:
            _add(first, ann, MUG, 2)
        await database.execute("UPDATE products SET active = false WHERE sku = $1", MUG)

        with TestClient(_app(database_url)) as second:
            shown = second.get(CART, headers=ann).json()
            raised = second.patch(f"{ITEMS}/{MUG}", json={"quantity": 3}, headers=ann)
            lowered = second.patch(f"{ITEMS}/{MUG}", json={"quantity": 1}, headers=ann)

        [line] = shown["cart"]["lines"]
        assert (MUG, 2, False) == (line["sku"], line["quantity"], line["available"])
        assert (422, "inactive_product", "sku") == _problem(raised)
        assert (200, [(MUG, 1)]) == (lowered.status_code, _lines(lowered.json()["cart"]))


class TestMetrics:
    def test_commands_show_in_the_cart_metrics(
        self, client: TestClient, ann: dict[str, str]
    ) -> None:
        """A user's first command starts an actor; each message is timed by kind and outcome."""
        before = client.get("/metrics").text

        _add(client, ann, TEA, 1)
        _add(client, ann, "NOPE-1", 1)
        client.get(CART, headers=ann)
        after = client.get("/metrics").text

        def grew(name: str, **labels: str) -> float:
            return _metric(after, name, **labels) - _metric(before, name, **labels)

        assert "pulseshop_cart_actors " in after
        assert 1 == grew("pulseshop_cart_actors")
        assert 1 == grew("pulseshop_cart_command_seconds_count", command="AddItem", outcome="ok")
        assert 1 == grew(
            "pulseshop_cart_command_seconds_count", command="AddItem", outcome="refused"
        )
        assert 1 == grew("pulseshop_cart_command_seconds_count", command="look", outcome="ok")
