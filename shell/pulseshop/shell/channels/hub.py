"""The channels of one node: joins and leaves, presence on the lobby, and the order feed's
events fanned out to the sockets that joined their topics.

Everything here runs on the event loop's thread between awaits, so the registry needs no
lock. A join is held while it reads what the client missed: broadcasts for it wait, and are
sent after the replay without those the replay already carried.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Final, Protocol, final

from pulseshop.adapters.postgres import CONNECTION_ERRORS
from pulseshop.shell.channels import metrics
from pulseshop.shell.channels.connection import Join
from pulseshop.shell.channels.frames import (
    CLOSE,
    HEARTBEAT,
    JOIN,
    LEAVE,
    PHOENIX_TOPIC,
    encode,
    reply,
)
from pulseshop.shell.channels.presence import TopicPresence
from pulseshop.shell.channels.topics import LOBBY, OrdersTopic, orders_topic

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from pulseshop.shell.channels.connection import Connection
    from pulseshop.shell.channels.frames import Frame
    from pulseshop.shell.channels.presence import Diff
    from pulseshop.shell.order_feed import OrderEvent

logger = logging.getLogger(__name__)

MAX_REPLAY: Final = 1_000
"""The most missed events one join replays; the reply says when there were more."""


class OrderFeedReader(Protocol):
    """The past of the order feed (`pulseshop.shell.order_feed.PostgresOrderFeed`)."""

    async def last_event_id(self) -> int:
        """The id of the newest event, 0 before the first."""
        ...

    async def events_after(
        self, event_id: int, *, user_id: int | None, limit: int
    ) -> list[OrderEvent]:
        """Up to ``limit`` events after ``event_id``, in order (only ``user_id``'s unless
        it is None)."""
        ...


def _topic_kind(topic: OrdersTopic | None) -> str:
    if topic is None:
        return "other"
    return "lobby" if topic.user_id is None else "user"


def _last_seen_id(payload: Mapping[str, object]) -> int | ValueError | None:
    value = payload.get("last_seen_id")
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    return ValueError("last_seen_id must be a whole number of at least 0")


def _new_phx_ref() -> str:
    return secrets.token_urlsafe(12)


@final
class ChannelHub:
    """Routes clients' frames and the feed's events on one node."""

    def __init__(
        self,
        feed: OrderFeedReader,
        *,
        clock: Callable[[], datetime],
        new_phx_ref: Callable[[], str] = _new_phx_ref,
    ) -> None:
        self._feed = feed
        self._clock = clock
        self._new_phx_ref = new_phx_ref
        self._subscribers: dict[str, dict[Connection, Join]] = {}
        self._lobby = TopicPresence()

    async def receive(self, connection: Connection, frame: Frame) -> None:
        """Act on one frame from ``connection``: reply, join, leave, or ignore it."""
        if frame.topic == PHOENIX_TOPIC:
            if frame.event == HEARTBEAT:
                connection.push(reply(frame, "ok", {}))
            else:
                connection.push(reply(frame, "error", {"reason": "unknown event"}))
            return
        if frame.event == JOIN:
            await self._join(connection, frame)
            return
        join = connection.joins.get(frame.topic)
        if join is None and frame.event == LEAVE:
            connection.push(reply(frame, "ok", {}))  # nothing to leave: as Phoenix answers
        elif join is None:
            connection.push(reply(frame, "error", {"reason": "unmatched topic"}))
        elif frame.join_ref != join.join_ref:
            return  # a stale message, for an earlier join of this topic
        elif frame.event == LEAVE:
            connection.push(reply(frame, "ok", {}))
            self._leave(connection, frame.topic, join)
            connection.push(encode(join.join_ref, join.join_ref, frame.topic, CLOSE, {}))
        else:
            connection.push(reply(frame, "error", {"reason": "unknown event"}))

    async def _join(self, connection: Connection, frame: Frame) -> None:
        topic = orders_topic(frame.topic)
        principal = connection.principal
        refusal = None
        if topic is None:
            refusal = "unmatched topic"
        elif not topic.allows(user_id=principal.user_id, scopes=principal.scopes):
            refusal = "unauthorized"
        last_seen = _last_seen_id(frame.payload)
        if isinstance(last_seen, ValueError) and refusal is None:
            refusal = str(last_seen)
        if refusal is not None or topic is None or isinstance(last_seen, ValueError):
            metrics.JOINS.labels(_topic_kind(topic), "refused").inc()
            connection.push(reply(frame, "error", {"reason": refusal}))
            return
        previous = connection.joins.get(frame.topic)
        if previous is not None:
            # A second join of a topic replaces the first, which the client is told closed.
            self._leave(connection, frame.topic, previous)
            connection.push(encode(previous.join_ref, previous.join_ref, frame.topic, CLOSE, {}))
        join = Join(frame.join_ref, held=[])
        self._subscribe(connection, frame.topic, join)
        try:
            newest = await self._feed.last_event_id()
            missed = (
                []
                if last_seen is None
                else await self._feed.events_after(
                    last_seen, user_id=topic.user_id, limit=MAX_REPLAY + 1
                )
            )
        except CONNECTION_ERRORS:
            logger.exception("reading the order feed for a join of %s failed", frame.topic)
            self._leave(connection, frame.topic, join)
            metrics.JOINS.labels(_topic_kind(topic), "failed").inc()
            connection.push(reply(frame, "error", {"reason": "unavailable"}))
            return
        if connection.joins.get(frame.topic) is not join:
            return  # left, replaced or disconnected while reading
        self._go_live(
            connection, frame, topic, join, newest=newest, last_seen=last_seen, missed=missed
        )

    def _go_live(
        self,
        connection: Connection,
        frame: Frame,
        topic: OrdersTopic,
        join: Join,
        *,
        newest: int,
        last_seen: int | None,
        missed: list[OrderEvent],
    ) -> None:
        complete = len(missed) <= MAX_REPLAY
        missed = missed[:MAX_REPLAY]
        response: dict[str, object] = {"last_event_id": newest}
        if last_seen is not None:
            response |= {"replayed": len(missed), "replay_complete": complete}
        connection.push(reply(frame, "ok", response))
        metrics.JOINS.labels(_topic_kind(topic), "ok").inc()
        if topic.user_id is None:
            self._track(connection, join)
        for event in missed:
            connection.push(encode(join.join_ref, None, frame.topic, event.name, event.payload))
        metrics.REPLAYED.inc(len(missed))
        held, join.held = join.held or [], None
        if not complete:
            # Sending newer events now would leave a gap behind the client's last seen id;
            # it asks again from the last one replayed, as the reply tells it.
            return
        seen = missed[-1].event_id if missed else (last_seen or 0)
        for event_id, text in held:
            if last_seen is None or event_id > seen:
                connection.push(text)

    def _subscribe(self, connection: Connection, topic: str, join: Join) -> None:
        connection.joins[topic] = join
        self._subscribers.setdefault(topic, {})[connection] = join
        metrics.SUBSCRIPTIONS.labels(_topic_kind(orders_topic(topic))).inc()

    def _track(self, connection: Connection, join: Join) -> None:
        principal = connection.principal
        join.phx_ref = self._new_phx_ref()
        diff = self._lobby.track(
            str(principal.user_id),
            join.phx_ref,
            {"online_at": self._clock().isoformat(), "email": principal.email},
        )
        metrics.PRESENCES.set(len(self._lobby))
        connection.push(encode(join.join_ref, None, LOBBY, "presence_state", self._lobby.state()))
        self._broadcast_presence(diff)

    def _leave(self, connection: Connection, topic: str, join: Join) -> None:
        if connection.joins.get(topic) is join:
            del connection.joins[topic]
        subscribers = self._subscribers.get(topic, {})
        if subscribers.get(connection) is join:
            del subscribers[connection]
            metrics.SUBSCRIPTIONS.labels(_topic_kind(orders_topic(topic))).dec()
            if not subscribers:
                del self._subscribers[topic]
        if join.phx_ref is not None:
            diff = self._lobby.untrack(str(connection.principal.user_id), join.phx_ref)
            metrics.PRESENCES.set(len(self._lobby))
            if diff is not None:
                self._broadcast_presence(diff)

    def _broadcast_presence(self, diff: Diff) -> None:
        text = encode(None, None, LOBBY, "presence_diff", diff)
        for connection, join in self._subscribers.get(LOBBY, {}).items():
            # A join still catching up is sent the whole state when it goes live.
            if join.held is None:
                connection.push(text)

    def disconnect(self, connection: Connection) -> None:
        """``connection`` is gone: it leaves every topic (and the lobby's presence)."""
        for topic, join in list(connection.joins.items()):
            self._leave(connection, topic, join)

    def deliver(self, event: OrderEvent) -> int:
        """Push ``event`` to the lobby and to its user's topic; returns to how many
        connections it was pushed or held."""
        user_id = event.payload.get("user_id")
        topics = [LOBBY] if not isinstance(user_id, int) else [LOBBY, f"orders:{user_id}"]
        pushed = 0
        for topic in topics:
            subscribers = self._subscribers.get(topic)
            if not subscribers:
                continue
            text = encode(None, None, topic, event.name, event.payload)
            for connection, join in subscribers.items():
                if join.held is not None:
                    join.held.append((event.event_id, text))
                else:
                    connection.push(text)
                pushed += 1
        metrics.EVENTS.inc(pushed)
        return pushed
