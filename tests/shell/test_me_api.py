"""GET /api/v1/me: the caller and what their token grants, in the real application."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import pytest

from pulseshop.adapters.postgres import revoke_token
from pulseshop.core.access import CART_READ, ORDERS_ALL, ROLE_SCOPES
from tests.shell.api_support import api_client, bearer, error_of, schema_errors

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx2

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl

pytestmark = pytest.mark.integration

ME: Final = "/api/v1/me"


@pytest.fixture
async def client(database_url: PostgresUrl) -> AsyncIterator[httpx2.AsyncClient]:
    async with api_client(database_url) as client:
        yield client


class TestMe:
    async def test_a_customer_sees_their_id_email_role_and_sorted_scopes(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """200 ``{"id", "email", "role", "scopes"}``, as the fragment describes it."""
        ann = await bearer(database, "ann@example.com")
        user_id = await database.fetch_value("SELECT id FROM users WHERE email = 'ann@example.com'")

        response = await client.get(ME, headers=ann)

        assert 200 == response.status_code, response.text
        assert {
            "id": user_id,
            "email": "ann@example.com",
            "role": "customer",
            "scopes": sorted(ROLE_SCOPES["customer"]),
        } == response.json()
        assert [] == schema_errors("me", "Me", response.json())

    async def test_a_token_shows_the_scopes_it_was_issued_with(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """A staff token issued with fewer scopes shows those; no scope is needed to ask."""
        sam = await bearer(database, "sam@example.com", "staff", scopes=[ORDERS_ALL, CART_READ])

        response = await client.get(ME, headers=sam)

        assert ("staff", ["cart:read", "orders:all"]) == (
            response.json()["role"],
            response.json()["scopes"],
        )

    @pytest.mark.parametrize(
        "authorization", [None, "Bearer", "Basic YW5uOnNlY3JldA==", "Bearer psk_unknown"]
    )
    async def test_without_a_valid_token_the_answer_is_401(
        self, client: httpx2.AsyncClient, authorization: str | None
    ) -> None:
        """401 unauthorized naming the header, with a bearer challenge."""
        headers = {} if authorization is None else {"Authorization": authorization}

        response = await client.get(ME, headers=headers)

        assert (401, "unauthorized", ["headers.authorization"]) == error_of(response)
        assert response.headers["www-authenticate"].startswith("Bearer ")

    async def test_a_revoked_token_is_refused(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """401 once the token is revoked (a new application: no cache remembers it)."""
        ann = await bearer(database, "ann@example.com")
        token = ann["Authorization"].removeprefix("Bearer ")
        await revoke_token(database, token, now=datetime.now(UTC))

        response = await client.get(ME, headers=ann)

        assert 401 == response.status_code
