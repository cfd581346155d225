"""One client's WebSocket as the channels see it: who it is, what it has joined, and the
frames waiting to be sent to it.

Every frame to a client goes through its `Connection.push`, in order: replies, presence
and broadcasts never overtake one another. A frame is written at once when the socket has
room; only when a write has to wait does a task take over the connection's queue, until it
is empty. An idle connection costs no task beyond its own receive loop, and a client that
reads slowly never holds up a broadcast to the others. One that falls more than
``max_pending`` frames behind is closed (code 1008): it would otherwise hold its backlog in
memory without end; a Phoenix client reconnects and catches up with ``last_seen_id``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Final, final

import attrs
from starlette.websockets import WebSocketDisconnect

from pulseshop.shell.channels import metrics
from pulseshop.shell.channels._eager import start_eagerly

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from pulseshop.shell.channels.frames import Ref
    from pulseshop.shell.web.auth import Principal

logger = logging.getLogger(__name__)

MAX_PENDING: Final = 1_000
"""The most frames waiting for one client before it is closed as too slow."""

SLOW_CLIENT: Final = 1008
"""The close code of a client that fell too far behind (policy violation)."""


SOCKET_GONE: Final = (OSError, RuntimeError, WebSocketDisconnect)
"""What writing to a WebSocket the client has left raises: the server's disconnect
(`OSError`: uvicorn's ``ClientDisconnected``), Starlette's ``RuntimeError`` for a send after
the close, or ``WebSocketDisconnect``."""


@final
@attrs.define(eq=False)
class Join:
    """One topic a connection has joined.

    While the join replays what the client missed, ``held`` keeps the broadcasts that
    arrive meanwhile, with their event ids; it is None once the join is live.
    """

    join_ref: Ref
    phx_ref: str | None = None
    held: list[tuple[int, str]] | None = None


@final
class Connection:
    """A joined-or-joining client: ``send`` writes one text frame, ``close`` ends the
    WebSocket with a code and reason."""

    def __init__(
        self,
        principal: Principal,
        send: Callable[[str], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
        *,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.principal = principal
        self.joins: dict[str, Join] = {}
        self._send = send
        self._close = close
        self._max_pending = max_pending
        self._pending: deque[str] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self._closing: asyncio.Task[None] | None = None

    def push(self, text: str) -> None:
        """Queue ``text`` to be sent after every frame queued before it."""
        if self._closed:
            return
        if len(self._pending) >= self._max_pending:
            metrics.CLOSED.labels("too slow").inc()
            self.close_soon(SLOW_CLIENT, "too slow to read its frames")
            return
        self._pending.append(text)
        if self._writer is None:
            # Most writes finish at once: only one that has to wait gets a task.
            self._writer = start_eagerly(self._write())

    async def _write(self) -> None:
        try:
            while self._pending:
                await self._send(self._pending.popleft())
        except SOCKET_GONE:
            # The receive loop sees the disconnect and leaves every topic.
            self._pending.clear()
            self._closed = True
        finally:
            self._writer = None

    async def flush(self) -> None:
        """Wait until every queued frame is written (or the client is gone)."""
        while (writer := self._writer) is not None:
            await asyncio.wait({writer})

    def close_soon(self, code: int, reason: str) -> None:
        """Stop sending and close the WebSocket with ``code``, from any task."""
        if not self._closed:
            self._closing = asyncio.create_task(self.close(code, reason))
            self._closing.add_done_callback(_log_close_failure)

    async def close(self, code: int, reason: str) -> None:
        """Drop what is still queued and close the WebSocket with ``code`` (once)."""
        if self._closed:
            return
        self._closed = True
        self._pending.clear()
        logger.info("closing a channel connection of user %s: %s", self.principal.user_id, reason)
        await self._close(code, reason)

    @property
    def closed(self) -> bool:
        """True once the connection is being closed."""
        return self._closed


def _log_close_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.debug("closing a channel connection failed: %r", error)
