"""``GET /api/v1/me``: who the bearer token belongs to and what it grants; and
``GET``/``PUT /api/v1/me/preferences``: what the caller chose.

Any valid token may ask, whatever its scopes: a client learns from it which of its user's
actions to offer. ``scopes`` are those the token grants now (the scopes it was issued with
that its user's role still holds), sorted. Any valid token may read and replace its own
user's preferences too; they are read through a cache that every write invalidates, in
this process and the service's others.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Final, final

from returns.pipeline import is_successful
from starlette.responses import JSONResponse
from starlette.routing import Route

from pulseshop.adapters.postgres.preferences import (
    Preferences,
    preferences_of,
    save_preferences,
)
from pulseshop.core.money import currency_of
from pulseshop.shell.read_cache import ReadThroughCache, per_key
from pulseshop.shell.web.auth import Principal
from pulseshop.shell.web.bodies import BadRequestError, invalid, object_body

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.shell.read_cache import CacheInvalidations
    from pulseshop.shell.web.auth import Authenticator

PREFERENCES_CACHE: Final = "preferences"
"""The preferences cache's name in metrics and invalidation messages; its keys are user ids."""

CACHED_PREFERENCES: Final = 100_000
"""The most users whose preferences are cached."""

PREFERENCES_TTL: Final = 300.0
"""Seconds a user's preferences are cached (the longest a missed invalidation shows)."""

PREFERENCE_FIELDS: Final = ("display_currency", "receipt_emails")


@final
class MeApi:
    """The handler of ``/api/v1/me``."""

    def __init__(
        self,
        authenticator: Authenticator,
        database: PostgresDatabase,
        invalidations: CacheInvalidations,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._authenticator = authenticator
        self._database = database
        self._invalidations = invalidations
        self._clock = clock
        self._preferences: ReadThroughCache[int, Preferences] = ReadThroughCache(
            PREFERENCES_CACHE,
            per_key(partial(preferences_of, database)),
            maxsize=CACHED_PREFERENCES,
            ttl=PREFERENCES_TTL,
        )
        invalidations.register(self._preferences)

    def routes(self) -> list[Route]:
        """The API's routes."""
        return [
            Route("/api/v1/me", self.me, methods=["GET"]),
            Route("/api/v1/me/preferences", self.preferences, methods=["GET"]),
            Route("/api/v1/me/preferences", self.set_preferences, methods=["PUT"]),
        ]

    async def me(self, request: Request) -> Response:
        """``GET /api/v1/me``: ``{"id", "email", "role", "scopes"}`` of the caller."""
        principal = await self._authenticator.authenticate(request)
        if not isinstance(principal, Principal):
            return principal
        return JSONResponse(me_json(principal))

    async def preferences(self, request: Request) -> Response:
        """``GET /api/v1/me/preferences``: ``{"display_currency", "receipt_emails"}``."""
        principal = await self._authenticator.authenticate(request)
        if not isinstance(principal, Principal):
            return principal
        return JSONResponse(preferences_json(await self._preferences.get(principal.user_id)))

    async def set_preferences(self, request: Request) -> Response:
        """``PUT /api/v1/me/preferences`` with both fields: the preferences saved."""
        principal = await self._authenticator.authenticate(request)
        if not isinstance(principal, Principal):
            return principal
        try:
            chosen = preferences_from(await object_body(request, PREFERENCE_FIELDS))
        except BadRequestError as bad:
            return bad.response
        await save_preferences(self._database, principal.user_id, chosen, now=self._clock())
        await self._invalidations.invalidate(PREFERENCES_CACHE, principal.user_id)
        return JSONResponse(preferences_json(chosen))


def me_json(principal: Principal) -> dict[str, object]:
    """The caller as the API shows them."""
    return {
        "id": principal.user_id,
        "email": principal.email,
        "role": principal.role,
        "scopes": sorted(principal.scopes),
    }


def preferences_from(body: Mapping[str, object]) -> Preferences:
    """The preferences a request body states (every field is required).

    Raises:
        BadRequestError: a field is missing or not a value it may take.
    """
    missing = [field for field in PREFERENCE_FIELDS if field not in body]
    if missing:
        raise invalid(missing[0], "is required")
    currency = body["display_currency"]
    if currency is not None and (
        not isinstance(currency, str) or not is_successful(currency_of(currency))
    ):
        raise invalid("display_currency", "must be an ISO 4217 currency code, such as EUR, or null")
    receipt_emails = body["receipt_emails"]
    if not isinstance(receipt_emails, bool):
        raise invalid("receipt_emails", "must be true or false")
    return Preferences(display_currency=currency, receipt_emails=receipt_emails)


def preferences_json(preferences: Preferences) -> dict[str, object]:
    """The preferences as the API shows them."""
    return {
        "display_currency": preferences.display_currency,
        "receipt_emails": preferences.receipt_emails,
    }
