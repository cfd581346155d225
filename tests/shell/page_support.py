"""What the HTML pages' tests share: the real application behind an HTTP client that keeps
cookies, users who sign in with a password, and the CSRF token of a page's forms."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final

import httpx2

from pulseshop.adapters.passwords import hash_password
from pulseshop.adapters.postgres import PostgresDatabase, ensure_user
from pulseshop.adapters.postgres.sessions import set_password
from pulseshop.core.access import Email
from pulseshop.shell.config import Settings
from pulseshop.shell.web import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pulseshop.adapters.postgres import PostgresUrl
    from pulseshop.core.access import Role

PASSWORD: Final = "correct horse battery staple"  # noqa: S105 - a test user's
"""Every test user's password."""

SECRET_KEY: Final = "a test key that is long enough to sign cookies"  # noqa: S105 - tests only

_CSRF: Final = re.compile(r'name="csrf_token" value="([^"]+)"')

_HASH: Final = hash_password(PASSWORD)
"""Hashed once: argon2 is slow on purpose."""


def page_settings() -> Settings:
    """The service's settings for page tests (a fixed signing key, nothing written)."""
    return Settings.from_environ({"PULSESHOP_SECRET_KEY": SECRET_KEY})


async def user_with_password(
    database: PostgresDatabase, email: str, role: Role = "customer"
) -> int:
    """The id of a user of ``role`` (created if new) whose password is `PASSWORD`."""
    user = await ensure_user(database, Email(email), role)
    await set_password(database, user.id, _HASH)
    return user.id


@asynccontextmanager
async def browser_client(database_url: PostgresUrl) -> AsyncIterator[httpx2.AsyncClient]:
    """The application, started, behind a client that keeps cookies and asks for HTML."""
    app = create_app(PostgresDatabase(database_url, min_size=1, max_size=10), page_settings())
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://shop", headers={"Accept": "text/html"}
        ) as client:
            yield client


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found is not None, html
    return found.group(1)


async def sign_in(
    client: httpx2.AsyncClient, database: PostgresDatabase, email: str, role: Role = "customer"
) -> int:
    """Sign ``client`` in as the user with ``email`` (created with ``role`` if new); their id."""
    user_id = await user_with_password(database, email, role)
    # Signed in already, the sign-in page leads to the catalog, whose forms carry the token.
    page = await client.get("/login", follow_redirects=True)
    answer = await client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert answer.status_code == 303, answer.text
    return user_id


async def post_form(
    client: httpx2.AsyncClient, page_path: str, action: str, data: dict[str, str]
) -> httpx2.Response:
    """Open ``page_path``, then post ``data`` to ``action`` with the page's CSRF token."""
    page = await client.get(page_path)
    return await client.post(action, data={**data, "csrf_token": csrf_token(page.text)})


async def cart_quantities(database: PostgresDatabase) -> dict[str, int]:
    """The quantity of each SKU in the stored carts."""
    rows = await database.fetch_all(
        "SELECT line->>'sku' AS sku, (line->>'quantity')::int AS quantity"
        " FROM carts, jsonb_array_elements(snapshot->'lines') AS line"
    )
    return {row["sku"]: row["quantity"] for row in rows}
