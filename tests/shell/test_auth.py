"""Bearer tokens on a protected route, against a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from pulseshop.adapters.postgres import ensure_user, find_token, issue_token, revoke_token
from pulseshop.core.access import CART_READ, CART_WRITE, CATALOG_WRITE, ORDERS_ALL, Email
from pulseshop.shell.web import auth
from pulseshop.shell.web.auth import Authenticator, Principal, bearer_token

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.adapters.postgres import PostgresDatabase, TokenInfo

pytestmark = pytest.mark.integration

ISSUED: Final = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
DAY: Final = timedelta(days=1)


class Clock:
    """The time the authenticator checks tokens at, and the timer its cache ages by."""

    def __init__(self) -> None:
        self.now = ISSUED + timedelta(hours=1)
        self.seconds = 0.0

    def __call__(self) -> datetime:
        return self.now

    def timer(self) -> float:
        return self.seconds


async def cart(_request: Request, principal: Principal) -> Response:
    return JSONResponse({"user_id": principal.user_id, "email": principal.email})


def _app(authenticator: Authenticator) -> Starlette:
    return Starlette(
        routes=[
            Route("/cart", authenticator.requires(CART_READ)(cart)),
            Route("/catalog", authenticator.requires(CATALOG_WRITE, ORDERS_ALL)(cart)),
        ]
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def authenticator(database: PostgresDatabase, clock: Clock) -> Authenticator:
    return Authenticator(database, clock=clock, timer=clock.timer)


@pytest.fixture
async def client(authenticator: Authenticator) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=_app(authenticator))
    async with httpx2.AsyncClient(transport=transport, base_url="http://shop") as client:
        yield client


async def _token(
    database: PostgresDatabase, scopes: list[str] | None = None, ttl: timedelta = DAY
) -> str:
    user = await ensure_user(database, Email("ann@example.com"), "customer")
    return await issue_token(
        database, user.id, scopes or [CART_READ, CART_WRITE], now=ISSUED, ttl=ttl
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _problem(response: httpx2.Response) -> tuple[int, str, list[dict[str, str]]]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["details"]


class TestUnauthorized:
    async def test_no_token_is_401_with_a_bearer_challenge(
        self, client: httpx2.AsyncClient
    ) -> None:
        """Without an Authorization header the answer asks for a bearer token."""
        response = await client.get("/cart")

        assert (
            401,
            "unauthorized",
            [{"field": "headers.authorization", "problem": "missing"}],
        ) == (_problem(response))
        assert 'Bearer realm="pulseshop"' == response.headers["WWW-Authenticate"]

    @pytest.mark.parametrize(
        "header", ["Basic YW5uOnNlY3JldA==", "Bearer", "Bearer ", "Bearer a b", "psk_abc"]
    )
    async def test_a_malformed_header_is_401(self, client: httpx2.AsyncClient, header: str) -> None:
        """Another scheme, no token, or two words are not a bearer token."""
        response = await client.get("/cart", headers={"Authorization": header})

        status, code, details = _problem(response)
        assert (401, "unauthorized") == (status, code)
        assert [
            {"field": "headers.authorization", "problem": "not of the form `Bearer <token>`"}
        ] == details
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")

    @pytest.mark.parametrize("token", ["psk_" + "x" * 43, "not-a-token"])
    async def test_an_unknown_token_is_401(
        self, database: PostgresDatabase, client: httpx2.AsyncClient, token: str
    ) -> None:
        """A token nobody issued is refused."""
        await _token(database)

        response = await client.get("/cart", headers=_bearer(token))

        assert (401, "unauthorized") == _problem(response)[:2]
        assert (
            'Bearer realm="pulseshop", error="invalid_token"'
            == (response.headers["WWW-Authenticate"])
        )

    async def test_an_expired_token_is_401(
        self, database: PostgresDatabase, client: httpx2.AsyncClient, clock: Clock
    ) -> None:
        """At its expiry time a token stops working, even one looked up before."""
        token = await _token(database)
        before = await client.get("/cart", headers=_bearer(token))

        clock.now = ISSUED + DAY
        after = await client.get("/cart", headers=_bearer(token))

        assert 200 == before.status_code
        assert (401, "unauthorized") == _problem(after)[:2]
        assert "Bearer" in after.headers["WWW-Authenticate"]

    async def test_a_token_revoked_here_is_401_at_once(
        self, database: PostgresDatabase, client: httpx2.AsyncClient, authenticator: Authenticator
    ) -> None:
        """Revoking through the authenticator also forgets the cached lookup."""
        token = await _token(database)
        before = await client.get("/cart", headers=_bearer(token))

        revoked = await authenticator.revoke(token)
        after = await client.get("/cart", headers=_bearer(token))

        assert (200, True) == (before.status_code, revoked)
        assert (401, "unauthorized") == _problem(after)[:2]

    async def test_a_token_revoked_elsewhere_is_401_once_the_cache_forgets_it(
        self, database: PostgresDatabase, client: httpx2.AsyncClient, clock: Clock
    ) -> None:
        """Another process's revocation takes effect when the cached lookup ages out."""
        token = await _token(database)
        await client.get("/cart", headers=_bearer(token))
        await revoke_token(database, token, now=clock.now)

        cached = await client.get("/cart", headers=_bearer(token))
        clock.seconds += 31
        aged = await client.get("/cart", headers=_bearer(token))

        assert 200 == cached.status_code
        assert (401, "unauthorized") == _problem(aged)[:2]

    async def test_a_revoked_token_is_401_without_a_cache(
        self, database: PostgresDatabase, clock: Clock
    ) -> None:
        """With the cache off every request sees the revocation."""
        token = await _token(database)
        await revoke_token(database, token, now=clock.now)
        authenticator = Authenticator(database, clock=clock, cache_seconds=0)
        transport = httpx2.ASGITransport(app=_app(authenticator))

        async with httpx2.AsyncClient(transport=transport, base_url="http://shop") as client:
            response = await client.get("/cart", headers=_bearer(token))

        assert (401, "unauthorized") == _problem(response)[:2]


class TestForbidden:
    async def test_a_missing_scope_is_403_naming_it(
        self, database: PostgresDatabase, client: httpx2.AsyncClient
    ) -> None:
        """A valid token without the route's scopes is refused, each missing scope named."""
        token = await _token(database)

        response = await client.get("/catalog", headers=_bearer(token))

        assert (
            403,
            "forbidden",
            [
                {"field": "scopes", "problem": "missing catalog:write"},
                {"field": "scopes", "problem": "missing orders:all"},
            ],
        ) == _problem(response)
        assert (
            "This token lacks the scopes catalog:write, orders:all."
            == (response.json()["error"]["message"])
        )
        assert (
            'error="insufficient_scope", scope="catalog:write orders:all"'
            in (response.headers["WWW-Authenticate"])
        )

    async def test_one_missing_scope_is_named_alone(
        self, database: PostgresDatabase, client: httpx2.AsyncClient
    ) -> None:
        """A token that holds CART_WRITE only cannot read the cart."""
        token = await _token(database, [CART_WRITE])

        response = await client.get("/cart", headers=_bearer(token))

        assert (403, "forbidden", [{"field": "scopes", "problem": "missing cart:read"}]) == (
            _problem(response)
        )
        assert "This token lacks the scope cart:read." == response.json()["error"]["message"]


class TestAllowed:
    @pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
    async def test_a_valid_token_reaches_the_endpoint_with_its_principal(
        self, database: PostgresDatabase, client: httpx2.AsyncClient, scheme: str
    ) -> None:
        """The endpoint runs, handed the caller; the scheme's case does not matter."""
        token = await _token(database)

        response = await client.get("/cart", headers={"Authorization": f"{scheme}  {token} "})

        assert 200 == response.status_code
        assert "ann@example.com" == response.json()["email"]

    async def test_authenticate_returns_the_principal(
        self, database: PostgresDatabase, authenticator: Authenticator
    ) -> None:
        """Handlers that check for themselves get the caller and their scopes."""
        token = await _token(database)
        seen: list[Principal | Response] = []

        async def endpoint(request: Request) -> Response:
            seen.append(await authenticator.authenticate(request, CART_READ))
            return JSONResponse({})

        await _get(Starlette(routes=[Route("/", endpoint)]), "/", _bearer(token))

        [principal] = seen
        assert isinstance(principal, Principal)
        assert ("ann@example.com", "customer") == (principal.email, principal.role)
        assert frozenset({CART_READ, CART_WRITE}) == principal.scopes

    async def test_the_database_is_asked_once_per_token_while_cached(
        self, database: PostgresDatabase, clock: Clock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Repeated requests with one token are answered from the cache until it ages out."""
        token = await _token(database)
        lookups: list[str] = []

        async def counted(*args: Any, **kwargs: Any) -> TokenInfo | None:
            lookups.append(args[1])
            return await find_token(*args, **kwargs)

        monkeypatch.setattr(auth, "find_token", counted)
        authenticator = Authenticator(database, clock=clock, timer=clock.timer)

        for _ in range(3):
            assert await authenticator.principal(token) is not None
        clock.seconds += 31
        assert await authenticator.principal(token) is not None

        assert [token, token] == lookups


class TestBearerToken:
    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            ({}, None),
            ({"Authorization": "Bearer psk_x"}, "psk_x"),
            ({"Authorization": "  bearer   psk_x  "}, "psk_x"),
            ({"Authorization": "Token psk_x"}, None),
        ],
    )
    async def test_reads_the_token_of_the_header(
        self, headers: dict[str, str], expected: str | None
    ) -> None:
        """Only the Bearer scheme gives a token."""
        seen: list[str | None] = []

        async def endpoint(request: Request) -> Response:
            seen.append(bearer_token(request))
            return JSONResponse({})

        await _get(Starlette(routes=[Route("/", endpoint)]), "/", headers)

        assert [expected] == seen


async def _get(app: Starlette, path: str, headers: dict[str, str]) -> httpx2.Response:
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://shop") as client:
        return await client.get(path, headers=headers)
