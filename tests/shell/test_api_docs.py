"""docs/api.md holds: every request it shows gets the status it says, in order, from a
service holding the demo catalog."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

import pytest
from starlette.testclient import TestClient

from pulseshop.adapters.postgres import PostgresDatabase, ensure_user, issue_token
from pulseshop.core.access import ROLE_SCOPES, Email
from pulseshop.shell.catalog_commands import import_demo_catalog
from pulseshop.shell.web import create_app
from tests.support.postgres import empty_tables

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.integration

API_DOC: Final = Path(__file__).parents[2] / "docs" / "api.md"
README: Final = Path(__file__).parents[2] / "README.md"
# `curl -s -H "Authorization: Bearer $TOKEN" localhost:8000/PATH \` then
# `     -d '{...}'    # what it shows: "total": "23.68"`
README_CART_CALL: Final = re.compile(
    r"localhost:8000(?P<path>/api/v1/\S+) \\\n"
    r"\s+-d '(?P<body>\{.*?\})'.*\"total\": \"(?P<total>[\d.]+)\""
)
EXAMPLE: Final = re.compile(
    r"```http\n(?P<request>.*?)```\n\n`(?P<status>\d{3})`(?: `(?P<code>\w+)`)?", re.DOTALL
)
CART_EXAMPLE: Final = re.compile(r"```json\n(\{\n  \"cart\".*?)```", re.DOTALL)


class Example(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    status: int
    code: str | None


def examples() -> list[Example]:
    """The documented requests, in order, with the status (and error code) each gets."""
    found = []
    for match in EXAMPLE.finditer(API_DOC.read_text()):
        head, _, body = match["request"].partition("\n\n")
        request_line, *header_lines = head.strip().splitlines()
        method, path = request_line.split(" ", 1)
        headers = dict(line.split(": ", 1) for line in header_lines)
        found.append(
            Example(
                method, path, headers, body.strip() or None, int(match["status"]), match["code"]
            )
        )
    return found


@pytest.fixture
def token(database_url: PostgresUrl) -> Iterator[str]:
    """A customer's token on a database holding the demo catalog."""

    async def issue() -> str:
        database = PostgresDatabase(database_url, min_size=1, max_size=1)
        await database.connect()
        try:
            user = await ensure_user(database, Email("ann@example.com"), "customer")
            return await issue_token(
                database,
                user.id,
                ROLE_SCOPES["customer"],
                now=datetime.now(UTC),
                ttl=timedelta(days=1),
            )
        finally:
            await database.disconnect()

    import_demo_catalog(database_url)
    try:
        yield asyncio.run(issue())
    finally:
        asyncio.run(empty_tables(database_url))


def test_the_page_shows_requests() -> None:
    """The page shows every method of the API, so the test below checks something."""
    shown = examples()

    assert len(shown) >= 12
    assert {"GET", "POST", "PATCH", "PUT", "DELETE"} == {example.method for example in shown}


def test_every_request_gets_the_documented_status(database_url: PostgresUrl, token: str) -> None:
    """Sent in order, each request gets its status and error code; the first add's quote
    is the one the page shows."""
    answers = []
    bodies = []
    with TestClient(create_app(PostgresDatabase(database_url))) as client:
        for example in examples():
            headers = {"Authorization": f"Bearer {token}", **example.headers}
            response = client.request(
                example.method, example.path, headers=headers, content=example.body
            )
            code = response.json()["error"]["code"] if response.status_code >= 400 else None
            answers.append((example.method, example.path, response.status_code, code))
            bodies.append(response.json())

    assert [(e.method, e.path, e.status, e.code) for e in examples()] == answers
    first_add = next(
        body
        for example, body in zip(examples(), bodies, strict=True)
        if (example.method, example.path) == ("POST", "/api/v1/cart/items")
    )
    documented = json.loads(CART_EXAMPLE.findall(API_DOC.read_text())[0])
    shown = {key: value for key, value in documented["quote"].items() if key != "..."}
    assert shown == {key: first_add["quote"][key] for key in shown}
    assert documented["cart"]["lines"] == first_add["cart"]["lines"]


def test_the_readme_cart_tour_shows_the_totals_the_service_answers(
    database_url: PostgresUrl, token: str
) -> None:
    """Each cart call of the README's tour answers the total written beside it."""
    calls = README_CART_CALL.findall(README.read_text())
    with TestClient(create_app(PostgresDatabase(database_url))) as client:
        totals = [
            client.post(path, headers={"Authorization": f"Bearer {token}"}, content=body).json()[
                "quote"
            ]["total"]
            for path, body, _total in calls
        ]

    assert len(calls) >= 2
    assert [total for _path, _body, total in calls] == totals
