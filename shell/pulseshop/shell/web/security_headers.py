"""Security headers on every HTTP answer (pages, API, static files).

The pages load only this site's own scripts, styles and sockets, hold no inline script or
style, and may not be framed; browsers are told not to guess content types and to send
other sites no more than our origin as the referrer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

from starlette.datastructures import MutableHeaders

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""What a page may load: only from this site; ``connect-src 'self'`` admits its WebSocket
(CSP Level 3 matches ``ws:``/``wss:`` of the same host)."""

HEADERS: Final = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    # For browsers that predate frame-ancestors.
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


@final
class SecurityHeadersMiddleware:
    """Adds `HEADERS` to every HTTP response the wrapped application sends (a header the
    application set itself is left as it is)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self._app(scope, receive, send_with_headers)
