"""The staff's order page: an order with its payment, and the forms that capture, refund
and cancel it, through the real application and PostgreSQL."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import pytest

from tests.shell.api_support import bearer
from tests.shell.page_support import browser_client, csrf_token, sign_in
from tests.support.shop import stock_product

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx2

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl

pytestmark = pytest.mark.integration

TOTAL: Final = "23.68"
"""The total of two teas at 8.90, as checkout prices them (tax and shipping on top)."""

_KEY: Final = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture
async def client(
    database_url: PostgresUrl, database: PostgresDatabase
) -> AsyncIterator[httpx2.AsyncClient]:
    """The application, on a clean database with a tea in stock."""
    await stock_product(database)
    async with browser_client(database_url) as started:
        yield started


@pytest.fixture
async def order_id(client: httpx2.AsyncClient, database: PostgresDatabase) -> int:
    """An order of two teas by ann@example.com, authorized and not captured."""
    ann = await bearer(database, "ann@example.com")
    added = await client.post(
        "/api/v1/cart/items", headers=ann, json={"sku": "TEA-1", "quantity": 2}
    )
    assert 200 == added.status_code, added.text
    placed = await client.post(
        "/api/v1/checkout",
        headers={**ann, "Idempotency-Key": "k1"},
        json={"payment_token": "tok_ok"},
    )
    assert 201 == placed.status_code, placed.text
    return int(placed.json()["order"]["id"])


@pytest.fixture
async def staff(client: httpx2.AsyncClient, database: PostgresDatabase) -> int:
    """The client signed in as a member of staff; their id."""
    return await sign_in(client, database, "sam@example.com", "staff")


async def _status(database: PostgresDatabase, order_id: int) -> str:
    status: str = await database.fetch_value("SELECT status FROM orders WHERE id = $1", order_id)
    return status


async def _refunded(database: PostgresDatabase, order_id: int) -> list[Decimal]:
    rows = await database.fetch_all(
        "SELECT r.amount FROM refunds r JOIN payments p ON p.id = r.payment_id"
        " WHERE p.order_id = $1 ORDER BY r.id",
        order_id,
    )
    return [Decimal(row["amount"]) for row in rows]


async def _form(client: httpx2.AsyncClient, order_id: int) -> dict[str, str]:
    """The hidden fields of the order page's forms (the refund's key when it has one)."""
    page = await client.get(f"/staff/orders/{order_id}")
    assert 200 == page.status_code, page.text
    key = _KEY.search(page.text)
    fields = {"csrf_token": csrf_token(page.text)}
    return fields if key is None else {**fields, "idempotency_key": key.group(1)}


async def _act(
    client: httpx2.AsyncClient, order_id: int, action: str, data: dict[str, str] | None = None
) -> httpx2.Response:
    """Post ``data`` to the order's ``action`` form, as its page gives it."""
    fields = await _form(client, order_id)
    return await client.post(f"/staff/orders/{order_id}/{action}", data={**fields, **(data or {})})


async def _captured(client: httpx2.AsyncClient, order_id: int) -> None:
    answer = await _act(client, order_id, "capture")
    assert 303 == answer.status_code, answer.text


def _field_error(html: str, field_id: str) -> str | None:
    """The error shown next to the field ``field_id``, if any."""
    found = re.search(rf'<p class="field-error" id="{field_id}-error">([^<]*)</p>', html)
    return None if found is None else found.group(1)


@pytest.mark.usefixtures("staff")
class TestTheOrderPage:
    async def test_staff_see_the_order_and_the_forms_its_status_allows(
        self, client: httpx2.AsyncClient, order_id: int
    ) -> None:
        """A pending order shows its customer, amounts, a capture and a cancel form, no refund."""
        page = await client.get(f"/staff/orders/{order_id}")
        assert 200 == page.status_code
        html = page.text
        assert f"<h1>Order #{order_id}</h1>" in html
        assert "ann@example.com" in html
        assert "pending payment" in html
        assert "authorized" in html
        assert f"{TOTAL} EUR" in html
        assert 'data-live-topic="orders:lobby"' in html
        # The forms follow the order live; what is typed in them is kept through a refresh.
        assert '<input id="cancel-reason" hx-preserve="true"' in html
        assert f'action="/staff/orders/{order_id}/capture"' in html
        assert f'action="/staff/orders/{order_id}/cancel"' in html
        assert f'action="/staff/orders/{order_id}/refund"' not in html

    async def test_a_paid_order_offers_a_refund_up_to_what_is_left(
        self, client: httpx2.AsyncClient, order_id: int
    ) -> None:
        """After the capture the refund form says how much may go back."""
        await _captured(client, order_id)
        html = (await client.get(f"/staff/orders/{order_id}")).text
        assert f"At most {TOTAL} EUR." in html
        assert "Capture payment" not in html
        assert f'action="/staff/orders/{order_id}/cancel"' in html

    @pytest.mark.parametrize("path", ["/staff/orders/999999", "/staff/orders/abc"])
    async def test_an_unknown_or_malformed_id_is_the_friendly_404(
        self, client: httpx2.AsyncClient, path: str
    ) -> None:
        """No such order: the not-found page."""
        page = await client.get(path)
        assert 404 == page.status_code
        assert "Page not found" in page.text

    async def test_an_action_on_an_unknown_order_is_the_friendly_404(
        self, client: httpx2.AsyncClient, order_id: int
    ) -> None:
        """The forms of an order that does not exist lead nowhere."""
        fields = await _form(client, order_id)
        answer = await client.post("/staff/orders/999999/capture", data=fields)
        assert 404 == answer.status_code


@pytest.mark.usefixtures("staff")
class TestCapture:
    async def test_capture_makes_the_order_paid_and_says_so(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, order_id: int
    ) -> None:
        """The payment is taken, then the page says so."""
        answer = await _act(client, order_id, "capture")
        assert (303, f"/staff/orders/{order_id}?done=captured") == (
            answer.status_code,
            answer.headers["location"],
        )
        assert "paid" == await _status(database, order_id)
        page = await client.get(answer.headers["location"])
        assert '<p class="notice" role="status">Payment captured.</p>' in page.text

    async def test_a_second_capture_is_refused_at_the_top(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, order_id: int
    ) -> None:
        """A capture form posted again after the first is a 409 conflict, shown at the top."""
        fields = await _form(client, order_id)
        first = await client.post(f"/staff/orders/{order_id}/capture", data=fields)
        assert 303 == first.status_code
        again = await client.post(f"/staff/orders/{order_id}/capture", data=fields)
        assert 409 == again.status_code
        assert 'id="form-error"' in again.text
        assert "paid" == await _status(database, order_id)


@pytest.mark.usefixtures("staff")
class TestRefund:
    async def test_a_partial_refund_shows_the_amounts(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, order_id: int
    ) -> None:
        """Part of the payment goes back; the order is partially refunded."""
        await _captured(client, order_id)
        answer = await _act(client, order_id, "refund", {"amount": "5.00", "reason": "dented"})
        assert (303, f"/staff/orders/{order_id}?done=refunded") == (
            answer.status_code,
            answer.headers["location"],
        )
        assert "partially_refunded" == await _status(database, order_id)
        assert [Decimal("5.00")] == await _refunded(database, order_id)
        html = (await client.get(answer.headers["location"])).text
        assert "Refund made." in html
        assert '<dd data-testid="refunded">5.00 EUR</dd>' in html
        assert '<dd data-testid="refundable">18.68 EUR</dd>' in html

    async def test_the_same_form_sent_twice_refunds_once(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, order_id: int
    ) -> None:
        """A double submit carries the form's idempotency key: one refund."""
        await _captured(client, order_id)
        fields = {**await _form(client, order_id), "amount": "5.00", "reason": ""}
        first = await client.post(f"/staff/orders/{order_id}/refund", data=fields)
        second = await client.post(f"/staff/orders/{order_id}/refund", data=fields)
        assert (303, 303) == (first.status_code, second.status_code)
        assert [Decimal("5.00")] == await _refunded(database, order_id)

    async def test_too_much_is_refused_next_to_the_amount_keeping_the_reason(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, order_id: int
    ) -> None:
        """More than is refundable: 422, the error by the amount, what was typed kept."""
        await _captured(client, order_id)
        answer = await _act(
            client, order_id, "refund", {"amount": "50.00", "reason": "water damage"}
        )
        assert 422 == answer.status_code
        assert _field_error(answer.text, "refund-amount") is not None
        assert 'value="water damage"' in answer.text
        assert 'value="50.00"' in answer.text
        assert [] == await _refunded(database, order_id)
        assert "paid" == await _status(database, order_id)

    @pytest.mark.parametrize("amount", ["abc", "-1", "", "1.234567891234567"])
    async def test_a_malformed_amount_is_named(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, order_id: int, amount: str
    ) -> None:
        """Not an amount: 422 by the amount field, nothing refunded."""
        await _captured(client, order_id)
        answer = await _act(client, order_id, "refund", {"amount": amount, "reason": "kept"})
        assert 422 == answer.status_code
        assert _field_error(answer.text, "refund-amount") is not None
        assert 'aria-invalid="true"' in answer.text
        assert 'value="kept"' in answer.text
        assert [] == await _refunded(database, order_id)


@pytest.mark.usefixtures("staff")
class TestCancel:
    async def test_a_cancel_needs_a_reason(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, order_id: int
    ) -> None:
        """No reason: 422 next to the reason field; the order stays as it was."""
        answer = await _act(client, order_id, "cancel", {"reason": "  "})
        assert 422 == answer.status_code
        assert "Enter a reason." == _field_error(answer.text, "cancel-reason")
        assert "pending_payment" == await _status(database, order_id)

    async def test_cancel_calls_the_order_off(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, order_id: int
    ) -> None:
        """The order is cancelled and its forms are gone."""
        answer = await _act(client, order_id, "cancel", {"reason": "out of stock"})
        assert (303, f"/staff/orders/{order_id}?done=cancelled") == (
            answer.status_code,
            answer.headers["location"],
        )
        assert "cancelled" == await _status(database, order_id)
        html = (await client.get(answer.headers["location"])).text
        assert "Order cancelled." in html
        assert '<form method="post" action="/staff/orders/' not in html


class TestAccess:
    @pytest.mark.usefixtures("staff")
    async def test_a_form_without_the_csrf_token_does_nothing(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, order_id: int
    ) -> None:
        """No token: 403 and the order is as it was."""
        answer = await client.post(f"/staff/orders/{order_id}/capture", data={})
        assert 403 == answer.status_code
        answer = await client.post(
            f"/staff/orders/{order_id}/cancel", data={"reason": "x", "csrf_token": "forged"}
        )
        assert 403 == answer.status_code
        assert "pending_payment" == await _status(database, order_id)

    async def test_a_customer_may_not_open_or_act(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, order_id: int
    ) -> None:
        """Even the order's own customer gets the 403 page."""
        await sign_in(client, database, "ann@example.com")
        page = await client.get(f"/staff/orders/{order_id}")
        assert 403 == page.status_code
        catalog = await client.get("/")
        answer = await client.post(
            f"/staff/orders/{order_id}/capture", data={"csrf_token": csrf_token(catalog.text)}
        )
        assert 403 == answer.status_code
        assert "pending_payment" == await _status(database, order_id)

    async def test_a_visitor_is_sent_to_sign_in(
        self, client: httpx2.AsyncClient, order_id: int
    ) -> None:
        """Signed out: on to the sign-in page, coming back here after it."""
        page = await client.get(f"/staff/orders/{order_id}")
        assert 303 == page.status_code
        assert page.headers["location"].startswith("/login?next=")
