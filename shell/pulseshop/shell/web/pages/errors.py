"""Errors as a browser or an API client expects them: a friendly page for a page's URL,
the API's JSON error shape for ``/api/...`` and for clients that ask for JSON."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse

from pulseshop.shell.web.errors import http_exception_handler, internal_error_handler
from pulseshop.shell.web.pages.kit import TEMPLATES_DIRECTORY

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.shell.web.pages.kit import PageKit

logger = logging.getLogger(__name__)

JSON_PREFIXES: Final = ("/api/", "/socket/", "/metrics", "/healthz", "/readyz", "/openapi.json")


def wants_page(request: Request) -> bool:
    """Whether the error should be a page: a browser's request outside the API."""
    if request.url.path.startswith(JSON_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_handlers(kit: PageKit) -> dict[object, object]:
    """Starlette's exception handlers: pages for browsers, JSON for the rest."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
        if wants_page(request) and exc.status_code == 404:
            return await kit.not_found(request)
        return await http_exception_handler(request, exc)

    async def internal_error(request: Request, exc: Exception) -> Response:
        if not wants_page(request):
            return await internal_error_handler(request, exc)
        logger.error("unhandled error", exc_info=exc)
        # Rendered without the visitor: what failed may be the database that knows them.
        page = (TEMPLATES_DIRECTORY / "server_error_static.html").read_text(encoding="utf-8")
        return HTMLResponse(page, status_code=500, headers={"Cache-Control": "no-store"})

    return {HTTPException: http_error, Exception: internal_error}
