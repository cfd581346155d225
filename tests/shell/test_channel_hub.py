"""The channels' parts without a network: frames, presence, topics, and the hub's joins,
replays and fan-out with a feed whose timing the test controls."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any, Final

import pytest

from pulseshop.core.access import ROLE_SCOPES
from pulseshop.shell.channels._eager import start_eagerly
from pulseshop.shell.channels.connection import Connection
from pulseshop.shell.channels.frames import MalformedFrameError, decode, encode
from pulseshop.shell.channels.hub import MAX_REPLAY, ChannelHub
from pulseshop.shell.channels.presence import TopicPresence
from pulseshop.shell.channels.topics import OrdersTopic, orders_topic
from pulseshop.shell.order_feed import OrderEvent
from pulseshop.shell.web.auth import Principal

pytestmark = pytest.mark.unit

NOW: Final = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
STAFF: Final = Principal(
    user_id=1, email="sue@example.com", role="staff", scopes=ROLE_SCOPES["staff"]
)
ANN: Final = Principal(
    user_id=7, email="ann@example.com", role="customer", scopes=ROLE_SCOPES["customer"]
)


def _event(event_id: int, user_id: int = 7) -> OrderEvent:
    payload = {"event_id": event_id, "order_id": event_id, "user_id": user_id, "status": "paid"}
    return OrderEvent(event_id=event_id, name="order_created", payload=payload)


class SlowFeed:
    """A feed holding ``past`` events, whose reads wait until ``release`` is set."""

    def __init__(self, past: list[OrderEvent]) -> None:
        self.past = past
        self.release = asyncio.Event()
        self.reading = asyncio.Event()
        self.fail = False

    async def last_event_id(self) -> int:
        self.reading.set()
        await self.release.wait()
        if self.fail:
            raise ConnectionError("the database went away")
        return max((event.event_id for event in self.past), default=0)

    async def events_after(
        self, event_id: int, *, user_id: int | None, limit: int
    ) -> list[OrderEvent]:
        return [
            event
            for event in self.past
            if event.event_id > event_id and user_id in {None, event.payload["user_id"]}
        ][:limit]


class Wire:
    """What one connection was sent, and how it was closed."""

    def __init__(self, principal: Principal, max_pending: int = 1_000) -> None:
        self.open = asyncio.Event()  # a client reading: writes finish at once
        self.open.set()
        self.frames: list[list[Any]] = []
        self.closed_with: tuple[int, str] | None = None
        self.connection = Connection(principal, self._send, self._close, max_pending=max_pending)

    async def _send(self, text: str) -> None:
        await self.open.wait()
        self.frames.append(json.loads(text))

    async def _close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)

    async def settle(self) -> list[list[Any]]:
        await self.connection.flush()
        frames, self.frames = self.frames, []
        return frames


def _join(topic: str, join_ref: str = "1", **payload: object) -> Any:
    return decode(json.dumps([join_ref, join_ref, topic, "phx_join", payload]))


def _hub(feed: SlowFeed) -> ChannelHub:
    refs = iter(f"ref{number}" for number in range(100))
    return ChannelHub(feed, clock=lambda: NOW, new_phx_ref=lambda: next(refs))


class TestFrames:
    @pytest.mark.parametrize(
        "text",
        ["", "{}", "[]", "[1,2,3,4]", '["1","1","t","e",{},6]', '["1","1",5,"e",{}]', "[" * 10_000],
    )
    def test_what_is_not_a_frame(self, text: str) -> None:
        """Refused with a reason, never another exception."""
        with pytest.raises(MalformedFrameError):
            decode(text)

    def test_numeric_refs_are_echoed_as_they_came(self) -> None:
        """Some clients count with numbers."""
        frame = decode('[1, 2, "phoenix", "heartbeat", {}]')

        assert '[1,2,"phoenix","x",{}]' == encode(frame.join_ref, frame.ref, "phoenix", "x", {})


class TestPresence:
    def test_a_key_stays_while_any_of_its_connections_does(self) -> None:
        """Two connections of one user: one meta each; the key goes with the last."""
        presence = TopicPresence()
        presence.track("7", "a", {"online_at": "t1"})
        presence.track("7", "b", {"online_at": "t2"})
        presence.untrack("7", "a")

        assert {"7": {"metas": [{"online_at": "t2", "phx_ref": "b"}]}} == presence.state()
        assert presence.untrack("7", "a") is None
        assert presence.untrack("7", "b") is not None
        assert ({}, 0) == (presence.state(), len(presence))


class TestTopics:
    def test_names_round_trip(self) -> None:
        """A parsed topic names itself back."""
        assert ["orders:lobby", "orders:42"] == [
            topic.name for topic in (OrdersTopic(None), OrdersTopic(42))
        ]
        assert orders_topic("orders:") is None


class TestHub:
    async def test_events_during_a_replay_follow_it_once(self) -> None:
        """Events published while the join reads the past wait, and are sent after the
        replay without those the replay carried."""
        feed = SlowFeed([_event(1), _event(2), _event(3)])
        hub = _hub(feed)
        wire = Wire(ANN)
        joining = asyncio.create_task(
            hub.receive(wire.connection, _join("orders:7", last_seen_id=1))
        )
        await feed.reading.wait()
        hub.deliver(_event(3))  # published before the read, delivered during it
        feed.past.append(_event(4))
        hub.deliver(_event(4))
        hub.deliver(_event(5, user_id=8))  # another user's: never sent here
        feed.release.set()
        await joining

        frames = await wire.settle()

        assert "phx_reply" == frames[0][3]
        assert {"last_event_id": 4, "replayed": 3, "replay_complete": True} == frames[0][4][
            "response"
        ]
        assert [2, 3, 4] == [frame[4]["event_id"] for frame in frames[1:]]

    async def test_a_replay_cut_short_sends_nothing_newer(self) -> None:
        """Beyond MAX_REPLAY the reply says so, and live events wait for the next join."""
        feed = SlowFeed([_event(number) for number in range(1, MAX_REPLAY + 3)])
        feed.release.set()
        hub = _hub(feed)
        wire = Wire(STAFF, max_pending=MAX_REPLAY + 10)

        await hub.receive(wire.connection, _join("orders:lobby", last_seen_id="0"))
        frames = await wire.settle()

        assert {
            "last_event_id": MAX_REPLAY + 2,
            "replayed": MAX_REPLAY,
            "replay_complete": False,
        } == frames[0][4]["response"]
        events = [frame for frame in frames if frame[3] == "order_created"]
        assert list(range(1, MAX_REPLAY + 1)) == [frame[4]["event_id"] for frame in events]

    async def test_a_feed_that_fails_refuses_the_join(self) -> None:
        """An error reply; the topic is not joined and presence is untouched."""
        feed = SlowFeed([])
        feed.fail = True
        feed.release.set()
        hub = _hub(feed)
        wire = Wire(STAFF)

        await hub.receive(wire.connection, _join("orders:lobby"))

        assert [
            [
                "1",
                "1",
                "orders:lobby",
                "phx_reply",
                {"status": "error", "response": {"reason": "unavailable"}},
            ]
        ] == await wire.settle()
        assert {} == wire.connection.joins
        assert 0 == hub.deliver(_event(1))

    async def test_a_disconnect_during_a_join_leaves_nothing_behind(self) -> None:
        """The join finishes reading, finds its connection gone, and sends nothing."""
        feed = SlowFeed([])
        hub = _hub(feed)
        wire = Wire(STAFF)
        joining = asyncio.create_task(hub.receive(wire.connection, _join("orders:lobby")))
        await feed.reading.wait()
        hub.disconnect(wire.connection)
        feed.release.set()
        await joining

        assert [] == await wire.settle()
        assert 0 == hub.deliver(_event(1))

    async def test_a_client_too_slow_to_read_is_closed(self) -> None:
        """Past max_pending waiting frames: closed with 1008, and nothing more is queued."""
        feed = SlowFeed([])
        feed.release.set()
        hub = _hub(feed)
        wire = Wire(STAFF, max_pending=3)
        await hub.receive(wire.connection, _join("orders:lobby"))
        await wire.settle()
        wire.open.clear()

        for number in range(1, 6):
            hub.deliver(_event(number))
        await asyncio.sleep(0)
        wire.open.set()
        await wire.settle()

        assert (1008, "too slow to read its frames") == wire.closed_with
        assert wire.connection.closed

    async def test_a_client_reading_slowly_holds_up_no_one(self) -> None:
        """Its frames wait in its queue, in order, while the others get theirs at once."""
        feed = SlowFeed([])
        feed.release.set()
        hub = _hub(feed)
        slow, quick = Wire(STAFF), Wire(STAFF)
        await hub.receive(slow.connection, _join("orders:lobby"))
        await hub.receive(quick.connection, _join("orders:lobby"))
        await slow.settle()
        await quick.settle()
        slow.open.clear()

        for number in range(1, 4):
            hub.deliver(_event(number))
        quick_got = [frame[4]["event_id"] for frame in quick.frames]
        slow_got_then = list(slow.frames)
        slow.open.set()
        slow_got = [frame[4]["event_id"] for frame in await slow.settle()]

        assert ([1, 2, 3], [], [1, 2, 3]) == (quick_got, slow_got_then, slow_got)


class TestStartEagerly:
    async def test_a_coroutine_that_never_waits_needs_no_task(self) -> None:
        """It has run to its end when the call returns."""
        ran: list[str] = []

        async def write() -> None:
            ran.append("written")

        assert start_eagerly(write()) is None
        assert ["written"] == ran

    async def test_one_that_waits_is_carried_on_with_its_result_and_errors(self) -> None:
        """The task finishes it after the wait, and fails as it fails."""
        gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        steps: list[str] = []

        async def write() -> None:
            steps.append("before")
            steps.append(await gate)
            await asyncio.sleep(0)
            raise ConnectionResetError

        task = start_eagerly(write())
        assert task is not None
        assert ["before"] == steps
        gate.set_result("after")

        with pytest.raises(ConnectionResetError):
            await task
        assert ["before", "after"] == steps

    async def test_a_failed_wait_is_raised_inside_the_coroutine(self) -> None:
        """The coroutine sees the error where it waited, and may handle it."""
        gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        handled: list[str] = []

        async def write() -> None:
            try:
                await gate
            except ConnectionResetError:
                handled.append("handled")

        task = start_eagerly(write())
        assert task is not None
        gate.set_exception(ConnectionResetError())
        await task

        assert ["handled"] == handled

    async def test_cancelling_the_task_closes_the_coroutine(self) -> None:
        """Its finally blocks run."""
        closed: list[str] = []

        async def write() -> None:
            try:
                await asyncio.Event().wait()
            finally:
                closed.append("closed")

        task = start_eagerly(write())
        assert task is not None
        await asyncio.sleep(0)
        task.cancel()

        with pytest.raises(asyncio.CancelledError):
            await task
        assert ["closed"] == closed
