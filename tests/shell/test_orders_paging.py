"""GET /api/v1/orders pages through the shared paging module: a bad limit or cursor is a
422 naming the query parameter, never a server error."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Final

import pytest

from tests.shell.api_support import api_client, bearer, error_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx2

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl

pytestmark = pytest.mark.integration

ORDERS: Final = "/api/v1/orders"


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.fixture
async def client(database_url: PostgresUrl) -> AsyncIterator[httpx2.AsyncClient]:
    async with api_client(database_url) as client:
        yield client


@pytest.mark.parametrize("limit", ["0", "101", "²", "1" * 5000, "ten"])
async def test_a_bad_limit_is_a_422_naming_query_limit(
    client: httpx2.AsyncClient, database: PostgresDatabase, limit: str
) -> None:
    """Even those ``isdigit`` passes and ``int`` cannot read."""
    ann = await bearer(database, "ann@example.com")

    response = await client.get(f"{ORDERS}?limit={limit}", headers=ann)

    assert (422, "invalid_request", ["query.limit"]) == error_of(response)


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        _cursor('["2026-12-04T10:00:00+00:00", Infinity]'),
        _cursor('["2026-12-04T10:00:00+00:00", 1e400]'),
        _cursor(json.dumps(["2026-12-04T10:00:00+00:00", 2**63])),
        _cursor(json.dumps(["2026-12-04T10:00:00+00:00", -1])),
        _cursor(json.dumps(["2026-12-04T10:00:00+00:00", True])),
        _cursor(json.dumps(["2026-12-04T10:00:00", 3])),
        _cursor(json.dumps(["not a date", 3])),
        _cursor(json.dumps(["MUG-BLUE"])),
    ],
)
async def test_a_cursor_this_api_did_not_give_is_a_422_naming_query_cursor(
    client: httpx2.AsyncClient, database: PostgresDatabase, cursor: str
) -> None:
    """A products cursor included; an id past a bigint never reaches the database."""
    ann = await bearer(database, "ann@example.com")

    response = await client.get(f"{ORDERS}?cursor={cursor}", headers=ann)

    assert (422, "invalid_request", ["query.cursor"]) == error_of(response)


async def test_a_cursor_of_the_last_possible_order_is_read(
    client: httpx2.AsyncClient, database: PostgresDatabase
) -> None:
    """The largest bigint is an id: an empty page after it."""
    ann = await bearer(database, "ann@example.com")
    cursor = _cursor(json.dumps(["2026-12-04T10:00:00+00:00", 2**63 - 1]))

    response = await client.get(f"{ORDERS}?cursor={cursor}", headers=ann)

    assert {"items": [], "next_cursor": None} == response.json()
