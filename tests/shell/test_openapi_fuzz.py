"""Schemathesis against the real application: every operation /openapi.json describes is
sent generated requests, valid and invalid, and every answer must be one the document
describes (status, content type, headers, body) and never a server error.

The application runs on the test database with a product in stock, two orders placed (the
second one paid) and real tokens: an operation gets the customer's token when a customer
holds the scopes its security requirement lists, else the staff member's. Each operation
starts from that same shop. The run is deterministic (a fixed seed, no example database),
so a failure here fails the same way on every machine. Requests that once answered 500 are
kept below as fixed cases, checked the same way.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, final

import attrs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from pulseshop.adapters.postgres import (
    PostgresDatabase,
    ensure_user,
    issue_token,
    parse_postgres_url,
)
from pulseshop.adapters.sandbox_gateway import SandboxGateway
from pulseshop.core.access import ROLE_SCOPES, Email
from pulseshop.shell.web import create_app
from tests.support.postgres import empty_tables

if TYPE_CHECKING:
    from collections.abc import Iterator

    from schemathesis.schemas import APIOperation
    from starlette.applications import Starlette

    from pulseshop.adapters.postgres import PostgresUrl
    from pulseshop.core.access import Role

pytestmark = pytest.mark.integration

CHECKS: Final = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

# The SKU the document's examples use, so they name a product in stock.
SKU: Final = "TEA-DARJ-100"
UNUSED_DATABASE: Final = "postgresql://nobody@127.0.0.1:9/none"
PENDING_ORDER: Final = 1
PAID_ORDER: Final = 2

CONFIG: Final = schemathesis.Config.from_dict(
    {
        "seed": 20261204,
        "generation": {
            # Valid and invalid requests alike must get a documented answer.
            "mode": "all",
            # Per operation, in the fuzzing phase; the examples and coverage phases add
            # their own cases (the edges of every field's schema).
            "max-examples": 25,
            "deterministic": True,
            "database": "none",
        },
        # Each operation alone: chains of calls would cost more than they find here.
        "phases": {"stateful": {"enabled": False}},
        # Half the time, name what exists (an order, the product in the cart, a coupon the
        # shop has), so requests get past "not found" to the code behind it.
        "dictionaries": {
            "orders": {"values": [PENDING_ORDER, PAID_ORDER]},
            "skus": {"values": [SKU]},
            "coupons": {"values": ["TEATIME", "teatime", "WELCOME10"]},
        },
        "parameters": {
            "path.order_id": {"dictionary": "orders", "probability": 0.5},
            "path.sku": {"dictionary": "skus", "probability": 0.5},
            "body.sku": {"dictionary": "skus", "probability": 0.5},
            "path.code": {"dictionary": "coupons", "probability": 0.5},
            "body.code": {"dictionary": "coupons", "probability": 0.5},
        },
    }
)


@final
@attrs.frozen
class Shop:
    """The tokens of a customer, of a staff member and of an administrator."""

    customer: str
    staff: str
    admin: str

    def headers_for(self, operation: APIOperation[Any, Any, Any, Any]) -> dict[str, str]:
        """The Authorization header of the least privileged role the operation allows."""
        requirements = operation.definition.raw.get("security") or []
        scopes = {
            scope for requirement in requirements for need in requirement.values() for scope in need
        }
        if not requirements:
            return {}
        tokens: tuple[tuple[Role, str], ...] = (
            ("customer", self.customer),
            ("staff", self.staff),
            ("admin", self.admin),
        )
        token = next(token for role, token in tokens if scopes <= ROLE_SCOPES[role])
        return {"Authorization": f"Bearer {token}"}


async def _token(database: PostgresDatabase, email: str, role: Role) -> str:
    user = await ensure_user(database, Email(email), role)
    return await issue_token(
        database, user.id, ROLE_SCOPES[role], now=datetime.now(UTC), ttl=timedelta(days=1)
    )


async def _arrange(database_url: PostgresUrl) -> Shop:
    """A product with plenty of stock, and two users with tokens."""
    database = PostgresDatabase(database_url, min_size=1, max_size=2)
    await database.connect()
    try:
        product_id = await database.fetch_value(
            "INSERT INTO products (sku, name, unit_price, currency, tax_category, category) "
            "VALUES ($1, 'Darjeeling', 8.90, 'EUR', 'reduced', 'tea') RETURNING id",
            SKU,
        )
        await database.execute(
            "INSERT INTO inventory (product_id, stock) VALUES ($1, 100000)", product_id
        )
        return Shop(
            customer=await _token(database, "ann@example.com", "customer"),
            staff=await _token(database, "sam@example.com", "staff"),
            admin=await _token(database, "ada@example.com", "admin"),
        )
    finally:
        await database.disconnect()


@pytest.fixture
def shop(database_url: PostgresUrl) -> Iterator[Shop]:
    """The arranged shop; every table is emptied afterwards."""
    try:
        yield asyncio.run(_arrange(database_url))
    finally:
        asyncio.run(empty_tables(database_url))


@pytest.fixture
def app(database_url: PostgresUrl, shop: Shop) -> Iterator[Starlette]:
    """The application on the arranged shop: the customer has placed two orders, the second
    one paid, and has the product in the cart again."""
    app = create_app(
        PostgresDatabase(database_url, min_size=1, max_size=10),
        gateway=SandboxGateway(timeout=0.01),
    )
    customer = {"Authorization": f"Bearer {shop.customer}"}
    staff = {"Authorization": f"Bearer {shop.staff}"}
    try:
        # Schemathesis's client runs the app (and its lifespan) in an event loop of its
        # own, where the generated requests run too.
        # Starlette types its ASGI messages as mutable mappings, schemathesis as dicts.
        with asgi.get_client(app) as client:  # type: ignore[arg-type]
            statuses = []
            for key in ("fuzz-order-1", "fuzz-order-2", None):
                added = client.post(
                    "/api/v1/cart/items", headers=customer, json={"sku": SKU, "quantity": 2}
                )
                statuses.append(added.status_code)
                if key is not None:
                    placed = client.post(
                        "/api/v1/checkout",
                        headers={**customer, "Idempotency-Key": key},
                        json={"payment_token": "tok_ok"},
                    )
                    statuses.append(placed.status_code)
            paid = client.post(f"/api/v1/orders/{PAID_ORDER}/capture", headers=staff)
            statuses.append(paid.status_code)
        assert [200, 201, 200, 201, 200, 200] == statuses
        yield app
    finally:
        # Stop the lifespan, closing the app's connections, before the tables are emptied.
        asgi.shutdown_lifespans()


def _served_document() -> dict[str, object]:
    """What GET /openapi.json answers (no database needed: the lifespan does not run)."""
    unconnected = PostgresDatabase(parse_postgres_url(UNUSED_DATABASE).unwrap())
    document: dict[str, object] = TestClient(create_app(unconnected)).get("/openapi.json").json()
    return document


schema = schemathesis.openapi.from_dict(_served_document(), config=CONFIG)


@schema.parametrize()
# `app` and `shop` are arranged once per operation, on purpose: its examples share them.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_documented(
    case: schemathesis.Case[Any], app: Starlette, shop: Shop
) -> None:
    """No 5xx; every status, content type, header and body is the one documented."""
    case.call_and_validate(app=app, headers=shop.headers_for(case.operation), checks=CHECKS)


@pytest.mark.parametrize(
    ("operation_id", "path", "body", "status"),
    [
        # NUL reached the catalog query: PostgreSQL refuses it in text (500).
        pytest.param("addCartItem", {}, {"sku": "TEA\x00", "quantity": 1}, 422, id="nul-sku"),
        pytest.param(
            "setCartItemQuantity", {"sku": "TEA\x00"}, {"quantity": 1}, 404, id="nul-path-sku"
        ),
        # A lone surrogate, echoed in the error naming the unknown field, failed to encode.
        pytest.param(
            "addCartItem",
            {},
            b'{"sku": "TEA-DARJ-100", "quantity": 1, "\\ud800": 1}',
            422,
            id="lone-surrogate",
        ),
        pytest.param(
            "checkout", {}, b'{"payment_token": "\\udfff"}', 422, id="lone-surrogate-checkout"
        ),
        # The refund was made at the gateway, then its reason failed to store (500).
        pytest.param(
            "refundOrder",
            {"order_id": PAID_ORDER},
            {"amount": "1.00", "reason": "late\x00"},
            422,
            id="nul-refund-reason",
        ),
        pytest.param(
            "cancelOrder", {"order_id": PENDING_ORDER}, {"reason": "\x00"}, 422, id="nul-reason"
        ),
        # A NUL in an event's reason would be queued, then fail to store, again and again.
        pytest.param(
            "ingestOrderEvents",
            {},
            {
                "events": [
                    {
                        "event_id": "zalando-1-cancelled",
                        "type": "order.cancelled",
                        "marketplace": "zalando",
                        "order_ref": "1",
                        "occurred_at": "2026-12-05T09:00:00Z",
                        "reason": "out of stock\x00",
                    }
                ]
            },
            422,
            id="nul-feed-reason",
        ),
        # "²" is a digit to `str.isdigit` but not to `int` (500).
        pytest.param("getOrder", {"order_id": "\u00b2"}, None, 404, id="superscript-id"),
    ],
)
def test_awkward_text_gets_a_documented_refusal(  # noqa: PLR0917 - fixtures and cases
    app: Starlette,
    shop: Shop,
    operation_id: str,
    path: dict[str, object],
    body: Any,
    status: int,
) -> None:
    """Requests that used to answer 500 get the 4xx the document gives them."""
    operation = schema.find_operation_by_id(operation_id)
    headers = {"Idempotency-Key": "awkward-1"} if operation_id == "checkout" else None
    case = (
        operation.Case(path_parameters=path, headers=headers)
        if body is None
        else operation.Case(
            path_parameters=path, headers=headers, body=body, media_type="application/json"
        )
    )

    response = case.call_and_validate(app=app, headers=shop.headers_for(operation), checks=CHECKS)

    assert status == response.status_code
