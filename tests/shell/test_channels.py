"""The Phoenix Channels V2 endpoint through a real uvicorn server, a real WebSocket client
and a real PostgreSQL: the protocol, its edge cases, presence and the live order feed."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final

import httpx2
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from pulseshop.adapters.postgres import PostgresDatabase
from pulseshop.adapters.sandbox_gateway import SandboxGateway
from pulseshop.shell.config import Settings
from pulseshop.shell.web import create_app
from tests.support.live_server import live_server
from tests.support.services import missing_service, reachable
from tests.support.shop import stock_product, user_with_token

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

WAIT: Final = 5.0
"""Seconds to wait for a frame that must come."""


class Shop:
    """The running service, and the tokens of its people."""

    def __init__(self, base_url: str, database: PostgresDatabase) -> None:
        self.base_url = base_url
        self.database = database
        self.tokens: dict[str, tuple[int, str]] = {}

    async def person(self, name: str, role: str = "customer") -> tuple[int, str]:
        if name not in self.tokens:
            self.tokens[name] = await user_with_token(
                self.database,
                f"{name}@example.com",
                role,  # type: ignore[arg-type]
            )
        return self.tokens[name]

    def socket_url(self, token: str, vsn: str = "2.0.0") -> str:
        ws_base = self.base_url.replace("http://", "ws://")
        return f"{ws_base}/socket/websocket?vsn={vsn}&token={token}"

    async def checkout(self, token: str, key: str, card: str = "tok_ok") -> int:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx2.AsyncClient(base_url=self.base_url, headers=headers) as http:
            added = await http.post("/api/v1/cart/items", json={"sku": "TEA-1", "quantity": 1})
            assert 200 == added.status_code, added.text
            placed = await http.post(
                "/api/v1/checkout",
                headers={"Idempotency-Key": key},
                json={"payment_token": card},
            )
        return placed.status_code


class Client:
    """One Phoenix client speaking V2 frames by hand."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._ref = 0
        self._backlog: list[list[Any]] = []

    def next_ref(self) -> str:
        self._ref += 1
        return str(self._ref)

    async def send(self, frame: list[Any]) -> None:
        await self.connection.send(json.dumps(frame))

    async def receive(self) -> list[Any]:
        """The next frame: one passed over while waiting for a reply, or a new one."""
        if self._backlog:
            return self._backlog.pop(0)
        async with asyncio.timeout(WAIT):
            frame: list[Any] = json.loads(await self.connection.recv())
        return frame

    async def push(self, topic: str, event: str, payload: dict[str, Any], join_ref: str) -> str:
        ref = self.next_ref()
        await self.send([join_ref, ref, topic, event, payload])
        return ref

    async def reply_to(self, ref: str) -> dict[str, Any]:
        """The reply to ``ref``; frames before it are kept for `receive`."""
        passed_over: list[list[Any]] = []
        while True:
            frame = await self.receive()
            if frame[3] == "phx_reply" and frame[1] == ref:
                self._backlog[:0] = passed_over
                reply: dict[str, Any] = frame[4]
                return reply
            passed_over.append(frame)

    async def join(self, topic: str, payload: dict[str, Any] | None = None) -> tuple[str, Any]:
        join_ref = self.next_ref()
        await self.send([join_ref, join_ref, topic, "phx_join", payload or {}])
        return join_ref, await self.reply_to(join_ref)

    async def next_event(self, event: str) -> list[Any]:
        while True:
            frame = await self.receive()
            if frame[3] == event:
                return frame

    async def heartbeat(self) -> dict[str, Any]:
        ref = self.next_ref()
        await self.send([None, ref, "phoenix", "heartbeat", {}])
        return await self.reply_to(ref)

    async def closed(self) -> int | None:
        """The code the server closes the connection with, reading until it does."""
        try:
            async with asyncio.timeout(WAIT):
                async for _text in self.connection:
                    pass
        except ConnectionClosed as closed:
            return None if closed.rcvd is None else closed.rcvd.code
        return self.connection.close_code

    async def quiet(self, seconds: float = 1.0) -> list[list[Any]]:
        """Every frame arriving within ``seconds``."""
        frames, self._backlog = self._backlog, []
        try:
            async with asyncio.timeout(seconds):
                while True:
                    frames.append(json.loads(await self.connection.recv()))
        except TimeoutError:
            return frames


@asynccontextmanager
async def _serve(database_url: PostgresUrl, **environ: str) -> AsyncIterator[str]:
    app = create_app(
        PostgresDatabase(database_url, min_size=1, max_size=10),
        Settings.from_environ(environ),
        gateway=SandboxGateway(timeout=0.01),
    )
    async with live_server(app) as base_url:
        yield base_url


@pytest.fixture
async def shop(database: PostgresDatabase, database_url: PostgresUrl) -> AsyncIterator[Shop]:
    """The service on a real port, with the tea in stock."""
    await stock_product(database)
    async with _serve(database_url) as base_url:
        yield Shop(base_url, database)


async def _client(shop: Shop, name: str, role: str = "customer") -> Client:
    _user_id, token = await shop.person(name, role)
    return Client(await connect(shop.socket_url(token)))


class TestConnect:
    @pytest.mark.parametrize(
        ("token", "vsn", "status"),
        [("", "2.0.0", 401), ("not-a-token", "2.0.0", 401), (None, "1.0.0", 400)],
    )
    async def test_a_bad_token_or_version_is_refused_at_the_upgrade(
        self, shop: Shop, token: str | None, vsn: str, status: int
    ) -> None:
        """No WebSocket: the upgrade is answered in the API's error shape."""
        if token is None:
            _user_id, token = await shop.person("ann")
        with pytest.raises(InvalidStatus) as refused:
            await connect(shop.socket_url(token, vsn))

        response = refused.value.response
        assert status == response.status_code
        assert {"unauthorized": 401, "unsupported_version": 400}[
            json.loads(response.body or b"{}")["error"]["code"]
        ] == status

    async def test_a_heartbeat_is_answered(self, shop: Shop) -> None:
        """On topic phoenix, with the client's ref and a null join_ref."""
        client = await _client(shop, "ann")
        await client.send([None, "7", "phoenix", "heartbeat", {}])

        assert [None, "7", "phoenix", "phx_reply", {"status": "ok", "response": {}}] == (
            await client.receive()
        )


class TestMalformedFrames:
    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("this is not json", 1007),
            ('["1", "1", "orders:lobby"]', 1007),
            ('["1", "1", "orders:lobby", "phx_join", []]', 1007),
            ('[true, "1", "orders:lobby", "phx_join", {}]', 1007),
            ('["1", "1", "", "phx_join", {}]', 1007),
            ('{"topic": "phoenix"}', 1007),
            ("[" * 100_000, 1009),
            ('["1", "1", "phoenix", "heartbeat", {"pad": "' + "x" * 70_000 + '"}]', 1009),
        ],
    )
    async def test_a_frame_that_is_not_a_v2_frame_closes_the_connection(
        self, shop: Shop, text: str, code: int
    ) -> None:
        """Closed with a code saying why; the service carries on."""
        client = await _client(shop, "ann")
        await client.send([None, "1", "phoenix", "heartbeat", {}])
        await client.connection.send(text)

        closed = await client.closed()
        again = await _client(shop, "ann")

        assert code == closed
        assert "ok" == (await again.heartbeat())["status"]

    async def test_a_binary_frame_closes_the_connection(self, shop: Shop) -> None:
        """1003: only the JSON text serializer is spoken."""
        client = await _client(shop, "ann")
        await client.connection.send(b"\x00\x01")

        assert 1003 == await client.closed()

    async def test_unknown_events_and_topics_get_an_error_reply(self, shop: Shop) -> None:
        """The connection stays open."""
        user_id, _token = await shop.person("ann")
        client = await _client(shop, "ann")
        topic = f"orders:{user_id}"
        join_ref, joined = await client.join(topic)

        unknown = await client.push(topic, "shout", {}, join_ref)
        unknown_reply = await client.reply_to(unknown)
        unjoined = await client.push(f"orders:{user_id + 1}", "shout", {}, "99")
        unjoined_reply = await client.reply_to(unjoined)
        on_phoenix = await client.push("phoenix", "shout", {}, join_ref)
        on_phoenix_reply = await client.reply_to(on_phoenix)

        assert "ok" == joined["status"]
        assert {"status": "error", "response": {"reason": "unknown event"}} == unknown_reply
        assert {"status": "error", "response": {"reason": "unmatched topic"}} == unjoined_reply
        assert {"status": "error", "response": {"reason": "unknown event"}} == on_phoenix_reply
        assert "ok" == (await client.heartbeat())["status"]

    @pytest.mark.parametrize("last_seen", [-1, "x1", 1.5, True, [], "99999999999999999999"])
    async def test_a_bad_last_seen_id_is_refused(self, shop: Shop, last_seen: object) -> None:
        """An error reply naming the parameter."""
        user_id, _token = await shop.person("ann")
        client = await _client(shop, "ann")

        _ref, reply = await client.join(f"orders:{user_id}", {"last_seen_id": last_seen})

        assert "error" == reply["status"]
        assert "last_seen_id" in reply["response"]["reason"]


class TestJoinAndLeave:
    async def test_who_may_join_which_topic(self, shop: Shop) -> None:
        """A customer joins only their own topic; staff join the lobby and anyone's."""
        ann_id, _token = await shop.person("ann")
        bob_id, _token = await shop.person("bob")
        ann = await _client(shop, "ann")
        staff = await _client(shop, "sue", "staff")

        answers = [
            (await ann.join(f"orders:{ann_id}"))[1],
            (await ann.join(f"orders:{bob_id}"))[1],
            (await ann.join("orders:lobby"))[1],
            (await ann.join("carts:1"))[1],
            (await staff.join(f"orders:{bob_id}"))[1],
            (await staff.join("orders:lobby"))[1],
        ]

        assert [
            "ok",
            {"reason": "unauthorized"},
            {"reason": "unauthorized"},
            {"reason": "unmatched topic"},
            "ok",
            "ok",
        ] == [
            answer["status"] if answer["status"] == "ok" else answer["response"]
            for answer in answers
        ]

    async def test_leave_replies_then_closes_and_stale_messages_are_ignored(
        self, shop: Shop
    ) -> None:
        """phx_reply ok, then phx_close with the join's refs; a later message carrying the
        old join_ref gets nothing."""
        user_id, _token = await shop.person("ann")
        client = await _client(shop, "ann")
        topic = f"orders:{user_id}"
        first_ref, _reply = await client.join(topic)
        second_ref, _reply = await client.join(topic)
        first_closed = await client.next_event("phx_close")

        stale = await client.push(topic, "phx_leave", {}, first_ref)
        leave = await client.push(topic, "phx_leave", {}, second_ref)
        frames = [await client.receive(), await client.receive()]

        assert [first_ref, first_ref, topic, "phx_close", {}] == first_closed
        assert stale != leave
        assert [
            [second_ref, leave, topic, "phx_reply", {"status": "ok", "response": {}}],
            [second_ref, second_ref, topic, "phx_close", {}],
        ] == frames

    async def test_a_second_join_closes_the_first(self, shop: Shop) -> None:
        """The old join is told it closed, before the new one's reply."""
        user_id, _token = await shop.person("ann")
        client = await _client(shop, "ann")
        topic = f"orders:{user_id}"
        first_ref, _reply = await client.join(topic)
        second_ref = client.next_ref()

        await client.send([second_ref, second_ref, topic, "phx_join", {}])

        assert [first_ref, first_ref, topic, "phx_close", {}] == await client.receive()
        assert (second_ref, "ok") == (
            (frame := await client.receive())[0],
            frame[4]["status"],
        )


class TestPresence:
    async def test_joins_and_leaves_of_the_lobby(self, shop: Shop) -> None:
        """State after a join, diffs as others come and go; one meta per connection."""
        sue_id, _token = await shop.person("sue", "staff")
        tom_id, _token = await shop.person("tom", "staff")
        sue = await _client(shop, "sue", "staff")
        await sue.join("orders:lobby")
        sue_state = (await sue.next_event("presence_state"))[4]
        tom = await _client(shop, "tom", "staff")
        await tom.join("orders:lobby")
        tom_state = (await tom.next_event("presence_state"))[4]
        sue_sees_tom = (await sue.next_event("presence_diff"))[4]
        while str(tom_id) not in sue_sees_tom["joins"]:
            sue_sees_tom = (await sue.next_event("presence_diff"))[4]

        await tom.connection.close()
        sue_sees_tom_leave = (await sue.next_event("presence_diff"))[4]

        assert [str(sue_id)] == list(sue_state)
        assert {str(sue_id), str(tom_id)} == set(tom_state)
        meta = tom_state[str(tom_id)]["metas"][0]
        assert {"phx_ref", "online_at", "email"} == set(meta)
        assert sue_sees_tom["joins"][str(tom_id)]["metas"] == [meta]
        assert {"joins": {}, "leaves": {str(tom_id): {"metas": [meta]}}} == sue_sees_tom_leave

    async def test_a_silent_connection_is_closed_and_leaves(
        self, database: PostgresDatabase, database_url: PostgresUrl
    ) -> None:
        """No frame for the heartbeat timeout: closed (1000), and its presence leaves."""
        async with _serve(database_url, PULSESHOP_CHANNEL_HEARTBEAT_SECONDS="1") as base_url:
            shop = Shop(base_url, database)
            tom_id, _token = await shop.person("tom", "staff")
            sue = await _client(shop, "sue", "staff")
            tom = await _client(shop, "tom", "staff")
            await tom.join("orders:lobby")
            await sue.join("orders:lobby")
            for _beat in range(4):
                await asyncio.sleep(0.4)
                assert "ok" == (await sue.heartbeat())["status"]
            closed = await tom.closed()
            leaves: dict[str, Any] = {}
            while not leaves:
                leaves = (await sue.next_event("presence_diff"))[4]["leaves"]

            assert 1000 == closed
            assert [str(tom_id)] == list(leaves)


class TestOrderFeed:
    async def test_an_order_reaches_the_lobby_and_its_buyer_only(self, shop: Shop) -> None:
        """order_created with the issue's payload (and its event id), after commit."""
        ann_id, ann_token = await shop.person("ann")
        bob_id, _token = await shop.person("bob")
        staff = await _client(shop, "sue", "staff")
        ann = await _client(shop, "ann")
        bob = await _client(shop, "bob")
        await staff.join("orders:lobby")
        await ann.join(f"orders:{ann_id}")
        await bob.join(f"orders:{bob_id}")

        assert 201 == await shop.checkout(ann_token, "k1")
        lobby = await staff.next_event("order_created")
        own = await ann.next_event("order_created")

        payload = lobby[4]
        assert [None, None, "orders:lobby", "order_created"] == lobby[:4]
        assert [None, None, f"orders:{ann_id}", "order_created", payload] == own
        assert {
            "event_id",
            "order_id",
            "user_id",
            "status",
            "total",
            "currency",
            "inserted_at",
        } == set(payload)
        assert (ann_id, "pending_payment", "14.29", "EUR") == (
            payload["user_id"],
            payload["status"],
            payload["total"],
            payload["currency"],
        )
        assert [] == [frame for frame in await bob.quiet() if frame[3] == "order_created"]

    async def test_a_declined_checkout_sends_nothing(self, shop: Shop) -> None:
        """Nothing committed, nothing published."""
        ann_id, ann_token = await shop.person("ann")
        ann = await _client(shop, "ann")
        await ann.join(f"orders:{ann_id}")

        assert 402 == await shop.checkout(ann_token, "k1", "tok_decline")

        assert [] == [frame for frame in await ann.quiet(1.5) if frame[3].startswith("order_")]

    async def test_last_seen_id_replays_what_was_missed(self, shop: Shop) -> None:
        """A client that was away is sent the events after the one it saw, in order, and
        then live ones; one that saw everything is sent nothing again."""
        ann_id, ann_token = await shop.person("ann")
        bob_id, bob_token = await shop.person("bob")
        staff = await _client(shop, "sue", "staff")
        await staff.join("orders:lobby")
        assert 201 == await shop.checkout(ann_token, "k1")
        first = (await staff.next_event("order_created"))[4]
        assert 201 == await shop.checkout(bob_token, "k2")
        assert 201 == await shop.checkout(ann_token, "k3")
        missed = [(await staff.next_event("order_created"))[4] for _order in range(2)]

        ann = await _client(shop, "ann")
        _ref, ann_reply = await ann.join(f"orders:{ann_id}", {"last_seen_id": 0})
        ann_replayed = [(await ann.next_event("order_created"))[4] for _order in range(2)]
        lobby = await _client(shop, "tom", "staff")
        _ref, lobby_reply = await lobby.join("orders:lobby", {"last_seen_id": first["event_id"]})
        lobby_replayed = [(await lobby.next_event("order_created"))[4] for _order in range(2)]
        caught_up = await _client(shop, "tom", "staff")
        _ref, caught_up_reply = await caught_up.join(
            "orders:lobby", {"last_seen_id": str(missed[-1]["event_id"])}
        )

        assert {"last_event_id": missed[-1]["event_id"], "replayed": 2} == {
            key: ann_reply["response"][key] for key in ("last_event_id", "replayed")
        }
        assert [ann_id, ann_id] == [event["user_id"] for event in ann_replayed]
        assert ann_replayed[0]["event_id"] < ann_replayed[1]["event_id"]
        assert missed == lobby_replayed
        assert (2, True) == (
            lobby_reply["response"]["replayed"],
            lobby_reply["response"]["replay_complete"],
        )
        assert 0 == caught_up_reply["response"]["replayed"]
        assert bob_id in {event["user_id"] for event in missed}
        assert [] == [f for f in await caught_up.quiet(0.5) if f[3] == "order_created"]


class TestNodes:
    @pytest.mark.parametrize("backend", ["redis", "postgresql"])
    async def test_an_order_placed_on_one_node_reaches_a_client_of_another(
        self, database: PostgresDatabase, database_url: PostgresUrl, backend: str
    ) -> None:
        """Two services sharing the database and a pub/sub backend: each event once."""
        if backend == "redis" and not reachable("127.0.0.1", 6379):
            missing_service("Redis on 127.0.0.1:6379")
        url = "redis://127.0.0.1:6379/0" if backend == "redis" else database_url.text
        await stock_product(database)
        async with (
            _serve(database_url, PUBSUB_URL=url) as first_url,
            _serve(database_url, PUBSUB_URL=url) as second_url,
        ):
            first, second = Shop(first_url, database), Shop(second_url, database)
            ann_id, ann_token = await first.person("ann")
            second.tokens = first.tokens
            watcher = await _client(second, "ann")
            await watcher.join(f"orders:{ann_id}")

            assert 201 == await first.checkout(ann_token, "k1")
            created = await watcher.next_event("order_created")
            again = [f for f in await watcher.quiet(1.0) if f[3] == "order_created"]

            assert ann_id == created[4]["user_id"]
            assert [] == again
