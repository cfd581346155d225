"""The API's description: ``GET /openapi.json`` (the OpenAPI 3.1 document) and ``GET /docs``
(a page that shows it with Swagger UI), and the static files that page loads under
``/static``. None of these needs a token.

The viewer is vendored (``tools/vendor/openapi-viewer.sh``) and served from here, never from
a CDN; the page holds no inline script, only ``<script src>`` of our own files.
"""

from __future__ import annotations

import functools
import json
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Final

from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from pulseshop.shell.web.openapi import openapi_document

if TYPE_CHECKING:
    from starlette.requests import Request

STATIC_DIRECTORY: Final = Path(__file__).parent / "static"
"""The files served under ``/static``."""

_PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PulseShop API</title>
<link rel="stylesheet" href="{stylesheet}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{document}"></div>
<script src="{viewer}"></script>
<script src="{init}"></script>
</body>
</html>
"""


@functools.cache
def _document_json() -> bytes:
    return json.dumps(openapi_document(), ensure_ascii=False, separators=(",", ":")).encode()


async def openapi_json(_request: Request) -> Response:
    """``GET /openapi.json``: the OpenAPI document."""
    return Response(_document_json(), media_type="application/json")


async def docs_page(request: Request) -> Response:
    """``GET /docs``: the document, shown by the vendored viewer."""

    def static(path: str) -> str:
        return escape(request.url_for("static", path=path).path)

    page = _PAGE.format(
        stylesheet=static("openapi-viewer/swagger-ui.css"),
        viewer=static("openapi-viewer/swagger-ui-bundle.js"),
        init=static("api-docs.js"),
        document=escape(request.url_for("openapi").path),
    )
    return HTMLResponse(page)


def routes() -> list[BaseRoute]:
    """``/openapi.json``, ``/docs`` and ``/static``."""
    return [
        Route("/openapi.json", openapi_json, methods=["GET"], name="openapi"),
        Route("/docs", docs_page, methods=["GET"], name="docs"),
        Mount("/static", StaticFiles(directory=STATIC_DIRECTORY), name="static"),
    ]
