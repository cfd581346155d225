"""Bearer tokens on the JSON API: who is calling, and whether their token lets them do this.

A request names its token in ``Authorization: Bearer <token>`` (RFC 6750). A missing,
malformed, unknown, expired or revoked token is answered 401 with a ``WWW-Authenticate:
Bearer`` challenge and the code ``unauthorized``; a valid token without a scope the
endpoint requires is answered 403, code ``forbidden``, naming each missing scope.

Endpoints take the caller as an argument:

    async def show_cart(request: Request, principal: Principal) -> Response: ...

    Route("/api/v1/cart", authenticator.requires(CART_READ)(show_cart))

Valid tokens are remembered for `CACHE_SECONDS`, keyed by their SHA-256, so a busy client
costs one query per token and period rather than one per request. A token revoked through
`Authenticator.revoke` is forgotten at once; one revoked by another process (another node,
the command line) is still accepted here until its entry ages out. Expiry is checked on
every request, cached or not.
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, TypeAlias, final

import attrs
from cachetools import TTLCache

from pulseshop.adapters.postgres import find_token, revoke_token, token_sha256
from pulseshop.core.access import missing_scopes
from pulseshop.shell.web.errors import error_response

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.adapters.postgres import PostgresDatabase, TokenInfo
    from pulseshop.core.access import Role, Scope

CACHE_SECONDS: Final = 30.0
"""How long a valid token is remembered without asking the database again."""

CACHE_SIZE: Final = 10_000
"""The most tokens remembered at once; the oldest make room for new ones."""

REALM: Final = "pulseshop"
AUTHORIZATION_FIELD: Final = "headers.authorization"

Endpoint: TypeAlias = "Callable[[Request], Awaitable[Response]]"
"""A Starlette endpoint function."""

ProtectedEndpoint: TypeAlias = "Callable[[Request, Principal], Awaitable[Response]]"
"""An endpoint that is handed the caller, once their token is checked."""


@final
@attrs.frozen
class Principal:
    """The caller of a request: the user its token belongs to, and what the token grants."""

    user_id: int
    email: str
    role: Role
    scopes: frozenset[Scope]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (the scheme in any case);
    None when there is no such header or it is malformed."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.strip().partition(" ")
    token = credentials.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def _unauthorized(problem: str, *, token_given: bool) -> Response:
    challenge = f'Bearer realm="{REALM}"'
    if token_given:
        challenge += ', error="invalid_token"'
    return error_response(
        401,
        "unauthorized",
        "A valid bearer token is required.",
        [{"field": AUTHORIZATION_FIELD, "problem": problem}],
        headers={"WWW-Authenticate": challenge},
    )


def _forbidden(missing: frozenset[str]) -> Response:
    names = sorted(missing)
    challenge = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{" ".join(names)}"'
    return error_response(
        403,
        "forbidden",
        f"This token lacks the scope{'s' if len(names) > 1 else ''} {', '.join(names)}.",
        [{"field": "scopes", "problem": f"missing {name}"} for name in names],
        headers={"WWW-Authenticate": challenge},
    )


@final
class Authenticator:
    """Turns the bearer token of a request into a `Principal`, or into the 401 or 403
    answer; one per application, since it owns the cache of token lookups.

    ``clock`` gives the time tokens are checked at; ``timer`` (seconds, monotonic) ages the
    cache; ``cache_seconds`` of 0 turns the cache off.
    """

    def __init__(
        self,
        database: PostgresDatabase,
        *,
        clock: Callable[[], datetime] = _utc_now,
        cache_seconds: float = CACHE_SECONDS,
        cache_size: int = CACHE_SIZE,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._clock = clock
        self._cache: TTLCache[bytes, TokenInfo] | None = (
            TTLCache(cache_size, cache_seconds, timer) if cache_seconds > 0 else None
        )

    async def principal(self, token_text: str) -> Principal | None:
        """The holder of the token, or None when it is unknown, expired or revoked."""
        now = self._clock()
        key = token_sha256(token_text)
        info = None if self._cache is None else self._cache.get(key)
        if info is None:
            info = await find_token(self._database, token_text, now=now)
            if info is None:
                return None
            if self._cache is not None:
                self._cache[key] = info
        elif info.expires_at <= now:
            return None
        return Principal(user_id=info.user_id, email=info.email, role=info.role, scopes=info.scopes)

    async def authenticate(self, request: Request, *required: str) -> Principal | Response:
        """The caller of ``request`` when their token holds every ``required`` scope; else
        the answer to send: 401 without a valid token, 403 when scopes are missing."""
        token = bearer_token(request)
        if token is None:
            given = "authorization" in request.headers
            problem = "not of the form `Bearer <token>`" if given else "missing"
            return _unauthorized(problem, token_given=given)
        principal = await self.principal(token)
        if principal is None:
            return _unauthorized("the token is unknown, expired or revoked", token_given=True)
        missing = missing_scopes(principal.scopes, required)
        if missing:
            return _forbidden(missing)
        return principal

    def requires(self, *scopes: str) -> Callable[[ProtectedEndpoint], Endpoint]:
        """Make ``endpoint(request, principal)`` a Starlette endpoint that answers 401 or 403
        itself, and calls ``endpoint`` only for a caller holding every one of ``scopes``."""

        def protect(endpoint: ProtectedEndpoint) -> Endpoint:
            @functools.wraps(endpoint)
            async def protected(request: Request) -> Response:
                caller = await self.authenticate(request, *scopes)
                if isinstance(caller, Principal):
                    return await endpoint(request, caller)
                return caller

            return protected

        return protect

    async def revoke(self, token_text: str) -> bool:
        """Revoke the token now and forget it here; True when it had not been revoked."""
        revoked = await revoke_token(self._database, token_text, now=self._clock())
        # Forgotten once the revocation is written: every lookup from then on finds it revoked.
        if self._cache is not None:
            self._cache.pop(token_sha256(token_text), None)
        return revoked
