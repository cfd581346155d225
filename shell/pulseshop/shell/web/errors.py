"""The JSON API's one error shape (PROTOCOLS.md) and the handlers that produce it."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from pulseshop.shell.error_shape import error_body

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from starlette.requests import Request
    from starlette.responses import Response


def error_response(
    status: int,
    code: str,
    message: str,
    details: Sequence[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON error answer in the shape every client of ours parses."""
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _code_for(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


async def http_exception_handler(_request: Request, exc: Exception) -> Response:
    """Starlette's own HTTP errors (404, 405, ...) in our error shape."""
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    message = exc.detail if exc.detail else HTTPStatus(exc.status_code).phrase
    return error_response(
        exc.status_code, _code_for(exc.status_code), f"{message}.", (), exc.headers
    )


async def internal_error_handler(_request: Request, exc: Exception) -> Response:
    """Anything unexpected: logged with its traceback, answered 500 in our error shape
    without details a client could use against us."""
    logger.error("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on our side.")
