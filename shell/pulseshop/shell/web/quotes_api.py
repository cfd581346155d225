"""The pricing core's JSON contract over HTTP: ``POST /api/v1/quotes``.

The body is a quote request (``docs/schemas/quote-request.schema.json``), the answer its
quote (``quote-response.schema.json``), priced by `price_json`: the same call the command
line and the library make, with no database, cart or catalog behind it. A request the core
refuses is 422 ``invalid_request`` listing every problem in ``details``, each with its JSON
path (``lines[2].quantity``) as ``field``; ``body`` stands for the request as a whole.

The body is read by `pulseshop.shell.web.bodies.json_value`, as the other endpoints' bodies
are (at most `MAX_BODY` bytes of UTF-8 JSON, the same answers when it is not), and whatever
JSON value it holds is handed to the codec: it names every unknown or malformed field at
once, nested ones included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

from returns.result import Failure
from starlette.responses import JSONResponse
from starlette.routing import Route

from pulseshop.core.access import CATALOG_READ
from pulseshop.core.pricing.codec import price_json
from pulseshop.shell.web.auth import Principal
from pulseshop.shell.web.bodies import BadRequestError, json_value
from pulseshop.shell.web.errors import error_response

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.core.problems import Problems
    from pulseshop.shell.web.auth import Authenticator

WHOLE_REQUEST: Final = "body"
"""The ``field`` of a problem with the request as a whole (the core's empty path)."""


@final
class QuotesApi:
    """The handler of ``/api/v1/quotes``."""

    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator

    def routes(self) -> list[Route]:
        """The API's routes."""
        return [Route("/api/v1/quotes", self.quote, methods=["POST"])]

    async def quote(self, request: Request) -> Response:
        """``POST /api/v1/quotes`` with a quote request: 200 and its quote."""
        principal = await self._authenticator.authenticate(request, CATALOG_READ)
        if not isinstance(principal, Principal):
            return principal
        try:
            body = await json_value(request)
        except BadRequestError as bad:
            return bad.response
        priced = price_json(body)
        if isinstance(priced, Failure):
            return _refusal(priced.failure())
        return JSONResponse(priced.unwrap())


def _refusal(problems: Problems) -> Response:
    count = len(problems)
    first = problems[0]
    more = f" (and {count - 1} more)" if count > 1 else ""
    return error_response(
        422,
        "invalid_request",
        f"The quote request cannot be priced: {first}{more}.",
        [
            {"field": problem.path or WHOLE_REQUEST, "problem": problem.message}
            for problem in problems
        ],
    )
