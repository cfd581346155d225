"""``GET /api/v1/me``: who the bearer token belongs to and what it grants.

Any valid token may ask, whatever its scopes: a client learns from it which of its user's
actions to offer. ``scopes`` are those the token grants now (the scopes it was issued with
that its user's role still holds), sorted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

from starlette.responses import JSONResponse
from starlette.routing import Route

from pulseshop.shell.web.auth import Principal

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.shell.web.auth import Authenticator


@final
class MeApi:
    """The handler of ``/api/v1/me``."""

    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator

    def routes(self) -> list[Route]:
        """The API's routes."""
        return [Route("/api/v1/me", self.me, methods=["GET"])]

    async def me(self, request: Request) -> Response:
        """``GET /api/v1/me``: ``{"id", "email", "role", "scopes"}`` of the caller."""
        principal = await self._authenticator.authenticate(request)
        if not isinstance(principal, Principal):
            return principal
        return JSONResponse(me_json(principal))


def me_json(principal: Principal) -> dict[str, object]:
    """The caller as the API shows them."""
    return {
        "id": principal.user_id,
        "email": principal.email,
        "role": principal.role,
        "scopes": sorted(principal.scopes),
    }
