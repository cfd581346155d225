"""The channels' WebSocket endpoint, ``/socket/websocket`` (Phoenix Channels V2).

A client connects with ``?vsn=2.0.0&token=<bearer token>`` (phoenix.js sends its
``params`` as query parameters), or, from the shop's pages, with no token and the browser's
session cookie. A cookie is sent by the browser whichever page opens the socket, so a
cookie is accepted only from a page of this site: the ``Origin`` header must name the host
the socket was asked of (cross-site WebSocket hijacking is refused with 403). A bad token
or session, or another protocol version, is refused at the upgrade: with a 401 (or 400,
403) answer in the API's error shape where the server can send one, else a plain close
(which HTTP clients see as 403).

Once accepted, frames are read one at a time and handed to the hub. A connection that
sends nothing (not even a heartbeat) for ``heartbeat_timeout`` seconds is closed (1000);
a binary frame (1003), a frame that is not a V2 frame (1007) or one longer than
`MAX_FRAME_CHARACTERS` (1009) closes it too, after what was already queued for it is
sent. Whatever way it ends, it leaves its topics and the lobby's presence.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Final, final

from starlette.responses import JSONResponse

from pulseshop.shell.channels import metrics
from pulseshop.shell.channels.connection import MAX_PENDING, SOCKET_GONE, Connection
from pulseshop.shell.channels.frames import MAX_FRAME_CHARACTERS, MalformedFrameError, decode
from pulseshop.shell.error_shape import error_body

if TYPE_CHECKING:
    from starlette.websockets import WebSocket

    from pulseshop.shell.channels.hub import ChannelHub
    from pulseshop.shell.web.auth import Authenticator, Principal
    from pulseshop.shell.web.browser_sessions import BrowserSessions

logger = logging.getLogger(__name__)

PATH: Final = "/socket/websocket"
VERSION: Final = "2.0.0"
HEARTBEAT_TIMEOUT: Final = 60.0
"""Seconds a connection may stay silent before it is closed."""

NORMAL: Final = 1000
UNSUPPORTED_DATA: Final = 1003
INVALID_DATA: Final = 1007
POLICY: Final = 1008
TOO_BIG: Final = 1009


@final
class ChannelSocket:
    """The endpoint: authenticates, then reads frames until the connection ends."""

    def __init__(
        self,
        hub: ChannelHub,
        authenticator: Authenticator,
        *,
        sessions: BrowserSessions | None = None,
        heartbeat_timeout: float = HEARTBEAT_TIMEOUT,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self._hub = hub
        self._authenticator = authenticator
        self._sessions = sessions
        self._heartbeat_timeout = heartbeat_timeout
        self._max_pending = max_pending

    async def serve(self, websocket: WebSocket) -> None:
        """Serve one WebSocket from upgrade to close."""
        principal = await self._admit(websocket)
        if principal is None:
            return
        await websocket.accept()
        connection = Connection(
            principal,
            websocket.send_text,
            websocket.close,
            max_pending=self._max_pending,
        )
        metrics.CONNECTIONS.inc()
        try:
            await self._serve(websocket, connection)
        finally:
            self._hub.disconnect(connection)
            metrics.CONNECTIONS.dec()

    async def _admit(self, websocket: WebSocket) -> Principal | None:
        version = websocket.query_params.get("vsn", VERSION)
        if version != VERSION:
            metrics.REFUSED.labels("version").inc()
            await _refuse(
                websocket,
                400,
                "unsupported_version",
                f"Only the Phoenix Channels serializer {VERSION} is spoken here.",
                field="query.vsn",
                problem=f"must be {VERSION}",
            )
            return None
        token = websocket.query_params.get("token", "")
        if not token and self._sessions is not None and websocket.cookies:
            return await self._admit_by_cookie(websocket, self._sessions)
        principal = await self._authenticator.principal(token) if token else None
        if principal is None:
            metrics.REFUSED.labels("token").inc()
            await _refuse(
                websocket,
                401,
                "unauthorized",
                "A valid token is required to connect.",
                field="query.token",
                problem="the token is unknown, expired or revoked" if token else "missing",
            )
        return principal

    async def _admit_by_cookie(
        self, websocket: WebSocket, sessions: BrowserSessions
    ) -> Principal | None:
        if not same_origin(websocket):
            metrics.REFUSED.labels("origin").inc()
            await _refuse(
                websocket,
                403,
                "forbidden",
                "A session cookie is accepted only from this site's own pages.",
                field="headers.origin",
                problem="missing" if "origin" not in websocket.headers else "another site",
            )
            return None
        visitor = await sessions.visitor(websocket)
        if visitor.principal is None:
            metrics.REFUSED.labels("session").inc()
            await _refuse(
                websocket,
                401,
                "unauthorized",
                "Sign in again: the session is unknown, expired or signed out.",
                field="cookies.pulseshop_session",
                problem="the session is unknown, expired or signed out",
            )
        return visitor.principal

    async def _serve(self, websocket: WebSocket, connection: Connection) -> None:
        while not connection.closed:
            try:
                async with asyncio.timeout(self._heartbeat_timeout):
                    message = await websocket.receive()
            except TimeoutError:
                await _close(connection, NORMAL, "heartbeat timeout", "heartbeat timeout")
                return
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                await _close(connection, UNSUPPORTED_DATA, "binary frames are not spoken", "binary")
                return
            if len(text) > MAX_FRAME_CHARACTERS:
                await _close(connection, TOO_BIG, "frame too large", "too large")
                return
            try:
                frame = decode(text)
            except MalformedFrameError as malformed:
                await _close(connection, INVALID_DATA, str(malformed), "malformed")
                return
            await self._hub.receive(connection, frame)


def same_origin(websocket: WebSocket) -> bool:
    """Whether the ``Origin`` header names the host (and port) the socket was asked of, with
    the scheme of a page of this site (``http`` for ``ws``, ``https`` for ``wss``)."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if not origin or not host:
        return False
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    return origin.lower() == f"{scheme}://{host}".lower()


async def _refuse(
    websocket: WebSocket, status: int, code: str, message: str, *, field: str, problem: str
) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        body = error_body(code, message, [{"field": field, "problem": problem}])
        await websocket.send_denial_response(JSONResponse(body, status_code=status))
    else:
        await websocket.close(POLICY)


async def _close(connection: Connection, code: int, reason: str, label: str) -> None:
    """Send what was queued, then close with ``code``."""
    metrics.CLOSED.labels(label).inc()
    await connection.flush()
    try:
        await connection.close(code, reason)
    except SOCKET_GONE:
        logger.debug("the client left before its close frame", exc_info=True)
