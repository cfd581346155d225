"""Staff capture, refund and cancel orders, through the real application and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final, final

import httpx2
import pytest

from pulseshop.adapters.postgres import PostgresDatabase
from pulseshop.adapters.sandbox_gateway import SandboxGateway
from pulseshop.core.payment_gateway import GatewayTimeoutError
from pulseshop.shell.web import create_app
from tests.shell.api_support import bearer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from returns.result import Result

    from pulseshop.adapters.postgres import PostgresUrl
    from pulseshop.core.money import Money
    from pulseshop.core.payment_gateway import GatewayDecline, GatewayReceipt, PaymentGateway

pytestmark = pytest.mark.integration

TEA: Final = "TEA-1"
TOTAL: Final = "23.68"
"""The total of two teas, as checkout prices them."""


@final
class _SilentGateway:
    """The sandbox, except that captures, refunds and voids never answer."""

    def __init__(self) -> None:
        self._sandbox = SandboxGateway(timeout=0.01)

    @property
    def name(self) -> str:
        return self._sandbox.name

    async def authorize(
        self, token: str, amount: Money, *, idempotency_key: str
    ) -> Result[GatewayReceipt, GatewayDecline]:
        return await self._sandbox.authorize(token, amount, idempotency_key=idempotency_key)

    async def capture(
        self, reference: str, amount: Money, *, idempotency_key: str
    ) -> Result[GatewayReceipt, GatewayDecline]:
        raise GatewayTimeoutError(f"no answer to {reference} {amount} {idempotency_key}")

    async def refund(
        self, reference: str, amount: Money, *, idempotency_key: str
    ) -> Result[GatewayReceipt, GatewayDecline]:
        raise GatewayTimeoutError(f"no answer to {reference} {amount} {idempotency_key}")

    async def void(
        self, reference: str, *, idempotency_key: str
    ) -> Result[GatewayReceipt, GatewayDecline]:
        raise GatewayTimeoutError(f"no answer to {reference} {idempotency_key}")


@pytest.fixture
def gateway() -> PaymentGateway:
    """The sandbox."""
    return SandboxGateway(timeout=0.01)


@pytest.fixture
async def client(
    database: PostgresDatabase, database_url: PostgresUrl, gateway: PaymentGateway
) -> AsyncIterator[httpx2.AsyncClient]:
    """The application with a tea (5 in stock) charging through ``gateway``."""
    product_id = await database.fetch_value(
        "INSERT INTO products (sku, name, unit_price, currency, tax_category, category) "
        "VALUES ($1, 'Tea', 8.90, 'EUR', 'reduced', 'tea') RETURNING id",
        TEA,
    )
    await database.execute("INSERT INTO inventory (product_id, stock) VALUES ($1, 5)", product_id)
    app = create_app(PostgresDatabase(database_url, min_size=1, max_size=20), gateway=gateway)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://shop") as client:
            yield client


@pytest.fixture
async def staff(database: PostgresDatabase) -> dict[str, str]:
    """A staff member's headers."""
    return await bearer(database, "sam@example.com", "staff")


@pytest.fixture
async def order_id(client: httpx2.AsyncClient, database: PostgresDatabase) -> int:
    """An order of two teas, placed and authorized, not captured."""
    ann = await bearer(database, "ann@example.com")
    added = await client.post("/api/v1/cart/items", headers=ann, json={"sku": TEA, "quantity": 2})
    assert 200 == added.status_code, added.text
    placed = await client.post(
        "/api/v1/checkout",
        headers={**ann, "Idempotency-Key": "k1"},
        json={"payment_token": "tok_ok"},
    )
    assert 201 == placed.status_code, placed.text
    return int(placed.json()["order"]["id"])


async def _post(
    client: httpx2.AsyncClient,
    headers: dict[str, str],
    order_id: int,
    action: str,
    body: object = None,
) -> httpx2.Response:
    return await client.post(f"/api/v1/orders/{order_id}/{action}", headers=headers, json=body)


async def _refund(
    client: httpx2.AsyncClient, staff: dict[str, str], order_id: int, amount: str
) -> httpx2.Response:
    return await _post(client, staff, order_id, "refunds", {"amount": amount, "reason": "late"})


async def _stored(database: PostgresDatabase) -> tuple[str, str, str, str, str, str]:
    """The order's and the payment's status, captured and refunded amounts."""
    row = await database.fetch_one(
        "SELECT o.status, o.captured, o.refunded, p.status AS payment_status, "
        "p.captured AS payment_captured, p.refunded AS payment_refunded "
        "FROM orders AS o JOIN payments AS p ON p.order_id = o.id"
    )
    assert row is not None
    return (
        row["status"],
        f"{round(row['captured'], 2)}",
        f"{round(row['refunded'], 2)}",
        row["payment_status"],
        f"{round(row['payment_captured'], 2)}",
        f"{round(row['payment_refunded'], 2)}",
    )


async def _refunds(database: PostgresDatabase) -> list[str]:
    rows = await database.fetch_all("SELECT amount FROM refunds ORDER BY id")
    return [f"{round(row['amount'], 2)}" for row in rows]


async def _journal(database: PostgresDatabase) -> tuple[list[str], list[str]]:
    """The audit actions and the outbox topics, oldest first."""
    audit = await database.fetch_all("SELECT action FROM audit_log ORDER BY id")
    outbox = await database.fetch_all("SELECT topic FROM outbox ORDER BY id")
    return [row["action"] for row in audit], [row["topic"] for row in outbox]


def _code(response: httpx2.Response) -> tuple[int, str]:
    body: dict[str, Any] = response.json()
    return response.status_code, body["error"]["code"]


PLACED: Final = (["order.created"], ["order.created", "email.receipt"])
"""The journal of a placed order before any staff action."""


class TestCapture:
    async def test_a_capture_takes_the_total_and_the_order_is_paid(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        order_id: int,
    ) -> None:
        """200 with the paid order; the order, payment, audit and outbox follow."""
        response = await _post(client, staff, order_id, "capture", {})

        assert 200 == response.status_code, response.text
        order = response.json()["order"]
        assert ("paid", "captured") == (order["status"], order["payment_status"])
        assert ("paid", TOTAL, "0.00", "captured", TOTAL, "0.00") == await _stored(database)
        audit, outbox = await _journal(database)
        assert ([*PLACED[0], "order.captured"], [*PLACED[1], "order.updated"]) == (audit, outbox)
        payload = await database.fetch_value(
            "SELECT payload FROM outbox WHERE topic = 'order.updated'"
        )
        assert '"status": "paid"' in payload
        assert f'"total": "{TOTAL}"' in payload

    async def test_a_capture_without_a_body_is_a_capture(
        self, client: httpx2.AsyncClient, staff: dict[str, str], order_id: int
    ) -> None:
        """The body is optional."""
        response = await client.post(f"/api/v1/orders/{order_id}/capture", headers=staff)

        assert 200 == response.status_code, response.text

    async def test_a_second_capture_is_refused_and_changes_nothing(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        order_id: int,
    ) -> None:
        """409 illegal_transition; the gateway captured once, so the total refunds once."""
        await _post(client, staff, order_id, "capture", {})
        journal = await _journal(database)

        second = await _post(client, staff, order_id, "capture", {})

        assert (409, "illegal_transition") == _code(second)
        assert journal == await _journal(database)
        assert 201 == (await _refund(client, staff, order_id, TOTAL)).status_code
        assert (409, "illegal_transition") == _code(await _refund(client, staff, order_id, "1"))
        assert [TOTAL] == await _refunds(database)

    async def test_ten_concurrent_captures_capture_once(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        order_id: int,
    ) -> None:
        """One 200; the others 409; the order is paid once, journaled once."""
        answers = await asyncio.gather(
            *(_post(client, staff, order_id, "capture", {}) for _ in range(10))
        )

        statuses = sorted(answer.status_code for answer in answers)
        assert [200] + [409] * 9 == statuses
        assert ("paid", TOTAL, "0.00", "captured", TOTAL, "0.00") == await _stored(database)
        audit, outbox = await _journal(database)
        assert (1, 1) == (audit.count("order.captured"), outbox.count("order.updated"))
        version = await database.fetch_value("SELECT version FROM orders")
        assert 1 == version


class TestRefund:
    async def test_refunds_give_back_part_then_the_rest(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        order_id: int,
    ) -> None:
        """201 each; partially_refunded, then refunded; a refund row for each."""
        await _post(client, staff, order_id, "capture", {})

        first = await _refund(client, staff, order_id, "4.00")
        partly = await _stored(database)
        rest = await _refund(client, staff, order_id, "19.68")

        assert 201 == first.status_code, first.text
        assert "partially_refunded" == first.json()["order"]["status"]
        assert ("partially_refunded", TOTAL, "4.00", "partially_refunded", TOTAL, "4.00") == partly
        assert 201 == rest.status_code, rest.text
        assert ("refunded", TOTAL, TOTAL, "refunded", TOTAL, TOTAL) == await _stored(database)
        assert ["4.00", "19.68"] == await _refunds(database)
        audit, outbox = await _journal(database)
        assert (2, 3) == (audit.count("order.refunded"), outbox.count("order.updated"))

    async def test_a_retry_with_the_same_idempotency_key_refunds_once(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        order_id: int,
    ) -> None:
        """The retry answers 201 with the order as it is; one refund row."""
        await _post(client, staff, order_id, "capture", {})
        headers = {**staff, "Idempotency-Key": "r1"}

        answers = [await _refund(client, headers, order_id, "4.00") for _ in range(2)]

        assert [201, 201] == [answer.status_code for answer in answers]
        assert ["4.00"] == await _refunds(database)
        assert "4.00" == (await _stored(database))[2]

    async def test_a_refund_above_the_capture_is_refused(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        order_id: int,
    ) -> None:
        """422 amount_too_large; nothing written."""
        await _post(client, staff, order_id, "capture", {})
        journal = await _journal(database)

        response = await _refund(client, staff, order_id, "23.69")

        assert (422, "amount_too_large") == _code(response)
        assert "amount" == response.json()["error"]["details"][0]["field"]
        assert ([], journal) == (await _refunds(database), await _journal(database))
        assert "paid" == (await _stored(database))[0]

    async def test_an_order_not_captured_cannot_be_refunded(
        self, client: httpx2.AsyncClient, staff: dict[str, str], order_id: int
    ) -> None:
        """409 illegal_transition."""
        assert (409, "illegal_transition") == _code(await _refund(client, staff, order_id, "1"))

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({"amount": ""}, "invalid_request"),
            ({"amount": "-1"}, "invalid_request"),
            ({"amount": "abc"}, "invalid_request"),
            ({"amount": 4}, "invalid_request"),
            ({"amount": "4,00"}, "invalid_request"),
            ({}, "invalid_request"),
            ({"amount": "4.00", "reason": 7}, "invalid_request"),
            ({"amount": "4.00", "extra": 1}, "invalid_request"),
            ({"amount": "1.234"}, "invalid_amount"),
            ({"amount": "0"}, "invalid_amount"),
        ],
    )
    async def test_a_bad_amount_is_refused(  # noqa: PLR0917 - fixtures and cases
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        order_id: int,
        body: dict[str, object],
        code: str,
    ) -> None:
        """422 naming the field; nothing written."""
        await _post(client, staff, order_id, "capture", {})

        response = await _post(client, staff, order_id, "refunds", body)

        assert (422, code) == _code(response)
        assert response.json()["error"]["details"][0]["field"] in {"amount", "reason", "extra"}
        assert [] == await _refunds(database)


class TestCancel:
    async def test_a_pending_order_is_cancelled_and_its_authorization_voided(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        order_id: int,
    ) -> None:
        """200 cancelled; the payment voided; nothing refunded."""
        response = await _post(client, staff, order_id, "cancel", {"reason": "no stock"})

        assert 200 == response.status_code, response.text
        assert ("cancelled", "voided") == (
            response.json()["order"]["status"],
            response.json()["order"]["payment_status"],
        )
        assert ("cancelled", "0.00", "0.00", "voided", "0.00", "0.00") == await _stored(database)
        assert [] == await _refunds(database)
        audit, outbox = await _journal(database)
        assert ("order.cancelled", "order.updated") == (audit[-1], outbox[-1])

    async def test_a_paid_order_is_refunded_in_full_and_cancelled(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        order_id: int,
    ) -> None:
        """200 cancelled; everything captured goes back, in one refund row."""
        await _post(client, staff, order_id, "capture", {})

        response = await _post(client, staff, order_id, "cancel", {"reason": "no stock"})

        assert 200 == response.status_code, response.text
        assert ("cancelled", TOTAL, TOTAL, "refunded", TOTAL, TOTAL) == await _stored(database)
        assert [TOTAL] == await _refunds(database)

    async def test_a_fulfilled_order_cannot_be_cancelled(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        order_id: int,
    ) -> None:
        """409 illegal_transition: its goods are out, so it is refunded instead."""
        await _post(client, staff, order_id, "capture", {})
        await database.execute(
            "UPDATE orders SET status = 'fulfilled', version = version + 1 WHERE id = $1", order_id
        )

        response = await _post(client, staff, order_id, "cancel", {"reason": "too late"})

        assert (409, "illegal_transition") == _code(response)
        assert "fulfilled" == (await _stored(database))[0]

    async def test_a_cancel_needs_a_reason(
        self, client: httpx2.AsyncClient, staff: dict[str, str], order_id: int
    ) -> None:
        """422 invalid_request naming reason."""
        response = await _post(client, staff, order_id, "cancel", {})

        assert (422, "invalid_request") == _code(response)


ACTIONS: Final = [
    ("capture", {}),
    ("refunds", {"amount": "1.00"}),
    ("cancel", {"reason": "x"}),
]


class TestAccess:
    @pytest.mark.parametrize(("action", "body"), ACTIONS)
    async def test_a_customer_may_not_act_on_orders(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        order_id: int,
        action: str,
        body: dict[str, str],
    ) -> None:
        """403 forbidden, even on their own order."""
        ann = await bearer(database, "ann@example.com")

        response = await _post(client, ann, order_id, action, body)

        assert (403, "forbidden") == _code(response)
        assert "pending_payment" == (await _stored(database))[0]

    @pytest.mark.parametrize(("action", "body"), ACTIONS)
    @pytest.mark.parametrize("unknown", ["999999", "abc"])
    async def test_an_unknown_order_is_not_found(
        self,
        client: httpx2.AsyncClient,
        staff: dict[str, str],
        action: str,
        body: dict[str, str],
        unknown: str,
    ) -> None:
        """404 not_found."""
        response = await client.post(f"/api/v1/orders/{unknown}/{action}", headers=staff, json=body)

        assert (404, "not_found") == _code(response)


class TestGatewayFailures:
    async def test_a_decline_writes_nothing(
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        order_id: int,
    ) -> None:
        """402 payment_declined: the gateway does not know the authorization."""
        await database.execute("UPDATE payments SET provider_reference = 'sbx_auth_lost'")
        journal = await _journal(database)

        response = await _post(client, staff, order_id, "capture", {})

        assert (402, "payment_declined") == _code(response)
        assert "pending_payment" == (await _stored(database))[0]
        assert journal == await _journal(database)


class TestGatewayTimeouts:
    @pytest.fixture
    def gateway(self) -> PaymentGateway:
        """A gateway that authorizes, then never answers again."""
        return _SilentGateway()

    @pytest.mark.parametrize(("action", "body"), ACTIONS[::2])
    async def test_a_timeout_writes_nothing(  # noqa: PLR0917 - fixtures and cases
        self,
        client: httpx2.AsyncClient,
        database: PostgresDatabase,
        staff: dict[str, str],
        order_id: int,
        action: str,
        body: dict[str, str],
    ) -> None:
        """504 payment_gateway_timeout; the order and payment as they were."""
        journal = await _journal(database)

        response = await _post(client, staff, order_id, action, body)

        assert (504, "payment_gateway_timeout") == _code(response)
        assert ("pending_payment", "0.00", "0.00", "authorized", "0.00", "0.00") == (
            await _stored(database)
        )
        assert journal == await _journal(database)
