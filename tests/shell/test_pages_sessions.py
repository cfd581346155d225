"""Signing in and out of the pages: the session cookie, its timeouts and rotation, CSRF
tokens, security headers, friendly errors, and the socket's sign-in by cookie."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx2
import pytest
import websockets
from prometheus_client import REGISTRY
from websockets.exceptions import InvalidStatus

from pulseshop.adapters.postgres import PostgresDatabase, parse_postgres_url
from pulseshop.shell.web import create_app
from pulseshop.shell.web.browser_sessions import SESSION_COOKIE, load_secret_key
from tests.shell.page_support import (
    PASSWORD,
    browser_client,
    csrf_token,
    page_settings,
    post_form,
    sign_in,
    user_with_password,
)
from tests.support.live_server import live_server

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(
    database_url: PostgresUrl, database: PostgresDatabase
) -> AsyncIterator[httpx2.AsyncClient]:
    del database  # a clean database
    async with browser_client(database_url) as started:
        yield started


def _set_cookie(response: httpx2.Response, name: str) -> str:
    headers = [value for value in response.headers.get_list("set-cookie") if value.startswith(name)]
    assert len(headers) == 1, response.headers
    return headers[0]


async def _age_sessions(database: PostgresDatabase, by: timedelta) -> None:
    """Move every time of every session ``by`` into the past."""
    await database.execute(
        "UPDATE sessions SET created_at = created_at - $1::interval,"
        " last_seen_at = last_seen_at - $1::interval,"
        " idle_expires_at = idle_expires_at - $1::interval,"
        " absolute_expires_at = absolute_expires_at - $1::interval",
        by,
    )


def _use_cookie(client: httpx2.AsyncClient, value: str) -> None:
    """Make ``value`` the one session cookie the client sends."""
    client.cookies.delete(SESSION_COOKIE)
    client.cookies.set(SESSION_COOKIE, value, domain="shop")


async def _sessions(database: PostgresDatabase) -> list[dict[str, object]]:
    rows = await database.fetch_all("SELECT * FROM sessions ORDER BY id")
    return [dict(row) for row in rows]


class TestSignIn:
    async def test_a_right_password_starts_a_session_and_goes_where_asked(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await user_with_password(database, "ann@example.com")
        page = await client.get("/login", params={"next": "/cart"})
        assert page.status_code == 200
        answer = await client.post(
            "/login",
            data={
                "email": " Ann@Example.com ",
                "password": PASSWORD,
                "next": "/cart",
                "csrf_token": csrf_token(page.text),
            },
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/cart")
        cookie = _set_cookie(answer, SESSION_COOKIE).lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert "path=/" in cookie
        assert "secure" not in cookie  # plain HTTP here
        assert len(await _sessions(database)) == 1
        cart = await client.get("/cart")
        assert cart.status_code == 200
        assert "ann@example.com" in cart.text

    async def test_over_https_the_cookie_is_secure(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await user_with_password(database, "ann@example.com")
        page = await client.get("https://shop/login")
        answer = await client.post(
            "https://shop/login",
            data={
                "email": "ann@example.com",
                "password": PASSWORD,
                "csrf_token": csrf_token(page.text),
            },
        )
        assert answer.status_code == 303
        assert "secure" in _set_cookie(answer, SESSION_COOKIE).lower()

    @pytest.mark.parametrize(
        ("email", "password"),
        [("ann@example.com", "not the password"), ("nobody@example.com", PASSWORD)],
    )
    async def test_a_wrong_email_or_password_says_the_same_and_keeps_the_email(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, email: str, password: str
    ) -> None:
        await user_with_password(database, "ann@example.com")
        answer = await post_form(client, "/login", "/login", {"email": email, "password": password})
        assert answer.status_code == 422
        assert "The email or the password is not right." in answer.text
        assert f'value="{email}"' in answer.text
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
        assert await _sessions(database) == []

    async def test_sign_ins_and_csrf_refusals_are_counted(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        def count(name: str, labels: dict[str, str] | None = None) -> float:
            return REGISTRY.get_sample_value(name, labels or {}) or 0.0

        before = {
            outcome: count("pulseshop_web_sign_ins_total", {"outcome": outcome})
            for outcome in ("ok", "failed", "invalid")
        }
        refused = count("pulseshop_web_csrf_refused_total")
        await post_form(client, "/login", "/login", {"email": "a@example.com", "password": "x"})
        await post_form(client, "/login", "/login", {})
        await sign_in(client, database, "ann@example.com")
        await client.post("/logout", data={})
        after = {
            outcome: count("pulseshop_web_sign_ins_total", {"outcome": outcome})
            for outcome in ("ok", "failed", "invalid")
        }
        assert {key: after[key] - before[key] for key in after} == {
            "ok": 1,
            "failed": 1,
            "invalid": 1,
        }
        assert count("pulseshop_web_csrf_refused_total") - refused == 1
        exposed = await client.get("/metrics")
        assert 'pulseshop_web_sign_ins_total{outcome="failed"}' in exposed.text

    async def test_missing_fields_are_named_next_to_them(self, client: httpx2.AsyncClient) -> None:
        answer = await post_form(client, "/login", "/login", {"email": "ann@example.com"})
        assert answer.status_code == 422
        assert 'id="password-error"' in answer.text
        assert "Enter your password." in answer.text
        assert 'value="ann@example.com"' in answer.text
        answer = await post_form(client, "/login", "/login", {"password": "x"})
        assert 'id="email-error"' in answer.text

    async def test_without_the_csrf_token_nothing_happens(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await user_with_password(database, "ann@example.com")
        await client.get("/login")
        for token in (None, "forged"):
            data = {"email": "ann@example.com", "password": PASSWORD}
            if token is not None:
                data["csrf_token"] = token
            answer = await client.post("/login", data=data)
            assert answer.status_code == 403
            assert "did not come from this site" in answer.text
        assert await _sessions(database) == []

    async def test_a_first_visit_cannot_post_a_token_it_never_got(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """A token copied from someone else's page is worth nothing without their cookie."""
        await user_with_password(database, "ann@example.com")
        token = csrf_token((await client.get("/login")).text)
        client.cookies.clear()
        answer = await client.post(
            "/login", data={"email": "ann@example.com", "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 403

    @pytest.mark.parametrize(
        "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"]
    )
    async def test_it_never_sends_the_browser_to_another_site(
        self, client: httpx2.AsyncClient, database: PostgresDatabase, target: str
    ) -> None:
        await user_with_password(database, "ann@example.com")
        answer = await post_form(
            client,
            "/login",
            "/login",
            {"email": "ann@example.com", "password": PASSWORD, "next": target},
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/")

    async def test_signing_in_again_ends_the_session_the_browser_had(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await sign_in(client, database, "ann@example.com")
        first = client.cookies[SESSION_COOKIE]
        await sign_in(client, database, "ann@example.com")
        second = client.cookies[SESSION_COOKIE]
        assert first != second
        sessions = await _sessions(database)
        assert [row["revoked_at"] is None for row in sessions] == [False, True]
        _use_cookie(client, first)
        assert (await client.get("/cart")).status_code == 303

    async def test_a_form_posted_with_an_old_sessions_token_is_refused(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await sign_in(client, database, "ann@example.com")
        old_token = csrf_token((await client.get("/cart")).text)
        await sign_in(client, database, "ann@example.com")
        answer = await client.post("/logout", data={"csrf_token": old_token})
        assert answer.status_code == 403


class TestSessionCookie:
    async def test_a_tampered_cookie_is_signed_out(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await sign_in(client, database, "ann@example.com")
        value = client.cookies[SESSION_COOKIE]
        token, _, signature = value.rpartition(".")
        for forged in (
            f"{token[:-1]}{'A' if token[-1] != 'A' else 'B'}.{signature}",
            f"{token}.{signature[::-1]}",
            token,
            "",
        ):
            _use_cookie(client, forged)
            answer = await client.get("/cart")
            assert (answer.status_code, answer.headers["location"]) == (
                303,
                "/login?next=%2Fcart",
            )
            page = await client.get("/")
            assert "Sign in" in page.text
            assert "ann@example.com" not in page.text

    async def test_a_session_idle_for_longer_than_its_idle_timeout_is_over(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await sign_in(client, database, "ann@example.com")
        assert (await client.get("/cart")).status_code == 200
        await _age_sessions(database, timedelta(minutes=31))  # the idle timeout is 30 minutes
        assert (await client.get("/cart")).status_code == 303

    async def test_use_never_keeps_a_session_past_its_absolute_timeout(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await sign_in(client, database, "ann@example.com")
        # Started 11 h 59 min ago and used just now: one minute left of its 12 hours.
        await database.execute(
            "UPDATE sessions SET created_at = created_at - interval '11 hours 59 minutes',"
            " absolute_expires_at = absolute_expires_at - interval '11 hours 59 minutes',"
            " idle_expires_at = least(idle_expires_at,"
            "     absolute_expires_at - interval '11 hours 59 minutes')"
        )
        await database.execute("UPDATE sessions SET last_seen_at = created_at")
        assert (await client.get("/cart")).status_code == 200
        assert (await client.get("/cart")).status_code == 200
        await _age_sessions(database, timedelta(minutes=2))
        assert (await client.get("/cart")).status_code == 303

    async def test_use_moves_the_idle_expiry_forward(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await sign_in(client, database, "ann@example.com")
        soon = datetime.now(UTC) + timedelta(seconds=30)
        await database.execute(
            "UPDATE sessions SET idle_expires_at = $1, last_seen_at = created_at", soon
        )
        assert (await client.get("/cart")).status_code == 200
        moved = await database.fetch_value("SELECT idle_expires_at FROM sessions")
        assert moved > soon + timedelta(minutes=20)

    async def test_signing_out_ends_the_session_on_the_server(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await sign_in(client, database, "ann@example.com")
        cookie = client.cookies[SESSION_COOKIE]
        answer = await post_form(client, "/cart", "/logout", {})
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
        assert "max-age=0" in _set_cookie(answer, SESSION_COOKIE).lower()
        [row] = await _sessions(database)
        assert row["revoked_at"] is not None
        # A copy of the cookie kept somewhere is worth nothing now.
        _use_cookie(client, cookie)
        assert (await client.get("/cart")).status_code == 303

    async def test_signing_out_needs_the_csrf_token(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await sign_in(client, database, "ann@example.com")
        answer = await client.post("/logout", data={})
        assert answer.status_code == 403
        assert (await client.get("/cart")).status_code == 200

    async def test_signed_in_pages_are_never_cached(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await sign_in(client, database, "ann@example.com")
        answer = await client.get("/cart")
        assert answer.headers["cache-control"] == "no-store"

    async def test_a_page_needing_sign_in_sends_there_and_back(
        self, client: httpx2.AsyncClient
    ) -> None:
        answer = await client.get("/orders")
        assert (answer.status_code, answer.headers["location"]) == (
            303,
            "/login?next=%2Forders",
        )

    async def test_a_customer_cannot_open_staff_pages(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        await sign_in(client, database, "ann@example.com")
        answer = await client.get("/staff")
        assert answer.status_code == 403
        assert "cannot open this page" in answer.text


class TestHeadersAndErrors:
    async def test_every_answer_carries_the_security_headers(
        self, client: httpx2.AsyncClient
    ) -> None:
        for path in ("/", "/login", "/static/app.css", "/api/v1/cart", "/nowhere"):
            answer = await client.get(path)
            policy = answer.headers["content-security-policy"]
            assert "script-src 'self'" in policy
            assert "frame-ancestors 'none'" in policy
            assert "unsafe-inline" not in policy
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"

    async def test_pages_hold_no_inline_script(self, client: httpx2.AsyncClient) -> None:
        page = await client.get("/")
        assert "<script>" not in page.text
        assert " on" + "click=" not in page.text

    async def test_an_unknown_page_is_a_friendly_404(self, client: httpx2.AsyncClient) -> None:
        answer = await client.get("/no/such/page")
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert "Page not found" in answer.text
        assert "Back to the catalog" in answer.text

    async def test_the_api_keeps_its_json_errors(self, client: httpx2.AsyncClient) -> None:
        answer = await client.get("/api/v1/nothing", headers={"Accept": "application/json"})
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"
        answer = await client.get("/api/v1/nothing")  # even when asking for HTML
        assert answer.headers["content-type"] == "application/json"


async def test_a_failure_is_a_page_for_a_browser_and_json_for_the_api() -> None:
    """With the database unreachable, a page answers a friendly 500 page; the API its error
    shape."""
    unreachable = parse_postgres_url("postgresql://nobody@127.0.0.1:9/none").unwrap()
    app = create_app(PostgresDatabase(unreachable), page_settings())
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx2.AsyncClient(transport=transport, base_url="http://shop") as client:
        page = await client.get("/", headers={"Accept": "text/html"})
        api = await client.get(
            "/api/v1/products", headers={"Accept": "text/html", "Authorization": "Bearer psk_x"}
        )
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in page.text
    assert "Traceback" not in page.text
    assert api.status_code == 500
    assert api.headers["content-type"] == "application/json"


def test_the_generated_signing_key_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret_key"
    key = load_secret_key(path)
    assert len(key) >= 32
    assert load_secret_key(path) == key
    assert path.stat().st_mode & 0o777 == 0o600


class TestSocketByCookie:
    @pytest.fixture
    async def served(
        self, database_url: PostgresUrl, database: PostgresDatabase
    ) -> AsyncIterator[str]:
        del database
        app = create_app(PostgresDatabase(database_url, min_size=1, max_size=5), page_settings())
        async with live_server(app) as base_url:
            yield base_url

    async def _cookie(self, base_url: str, database: PostgresDatabase) -> str:
        async with httpx2.AsyncClient(base_url=base_url) as client:
            await sign_in(client, database, "ann@example.com")
            return f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}"

    async def test_a_page_of_this_site_joins_with_its_cookie(
        self, served: str, database: PostgresDatabase
    ) -> None:
        cookie = await self._cookie(served, database)
        user_id = await database.fetch_value("SELECT id FROM users")
        url = served.replace("http", "ws") + "/socket/websocket?vsn=2.0.0"
        async with websockets.connect(
            url, additional_headers={"Cookie": cookie}, origin=websockets.Origin(served)
        ) as socket:
            await socket.send(json.dumps(["1", "1", f"orders:{user_id}", "phx_join", {}]))
            reply = json.loads(await socket.recv())
            assert reply[3:] == ["phx_reply", {"status": "ok", "response": {"last_event_id": 0}}]
            await socket.send(json.dumps(["1", "2", "orders:lobby", "phx_join", {}]))
            refused = json.loads(await socket.recv())
            assert refused[4] == {"status": "error", "response": {"reason": "unauthorized"}}

    @pytest.mark.parametrize("origin", ["http://evil.example", None])
    async def test_another_origin_cannot_use_the_cookie(
        self, served: str, database: PostgresDatabase, origin: str | None
    ) -> None:
        cookie = await self._cookie(served, database)
        url = served.replace("http", "ws") + "/socket/websocket?vsn=2.0.0"
        with pytest.raises(InvalidStatus) as refused:
            async with websockets.connect(
                url,
                additional_headers={"Cookie": cookie},
                origin=None if origin is None else websockets.Origin(origin),
            ):
                pass
        response = refused.value.response
        assert response.status_code == 403
        assert json.loads(response.body)["error"]["details"][0]["field"] == "headers.origin"

    async def test_a_tampered_cookie_cannot_connect(
        self, served: str, database: PostgresDatabase
    ) -> None:
        cookie = await self._cookie(served, database)
        url = served.replace("http", "ws") + "/socket/websocket?vsn=2.0.0"
        with pytest.raises(InvalidStatus) as refused:
            async with websockets.connect(
                url,
                additional_headers={"Cookie": cookie[:-2] + "xx"},
                origin=websockets.Origin(served),
            ):
                pass
        assert refused.value.response.status_code == 401
