"""The order feed's outbox queries and its relay, on a real PostgreSQL and the memory
pub/sub backend."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import pytest

from pulseshop.adapters.postgres.journal import append_outbox
from pulseshop.adapters.postgres.order_events import (
    last_published_seq,
    publish_pending,
    published_after,
)
from pulseshop.adapters.pubsub import PubSub, PubSubUrlError, check_pubsub_url
from pulseshop.shell.order_feed import ORDERS_CHANNEL, OrderEvent, OutboxRelay, PostgresOrderFeed
from tests.support.services import missing_service, reachable

if TYPE_CHECKING:
    from pulseshop.adapters.postgres import PostgresDatabase

pytestmark = pytest.mark.integration

NOW: Final = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
FEED: Final = ["order.created", "order.updated"]


async def _row(database: PostgresDatabase, topic: str, user_id: int, order_id: int) -> int:
    return await append_outbox(
        database, topic=topic, payload={"order_id": order_id, "user_id": user_id}, now=NOW
    )


class TestPublication:
    async def test_rows_are_numbered_in_publication_order_topic_by_topic(
        self, database: PostgresDatabase
    ) -> None:
        """Each round numbers after the last; other topics wait for their own relay."""
        await _row(database, "order.created", 1, 10)
        await _row(database, "email.receipt", 1, 10)
        await _row(database, "order.updated", 2, 11)

        first = await publish_pending(database, FEED, 1)
        second = await publish_pending(database, FEED, 10)
        third = await publish_pending(database, FEED, 10)
        receipts = await database.fetch_value(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )

        assert [(1, "order.created")] == [(event.seq, event.topic) for event in first]
        assert [(2, "order.updated")] == [(event.seq, event.topic) for event in second]
        assert ([], 1) == (third, receipts)
        assert 2 == await last_published_seq(database)

    async def test_reading_back_after_a_number_for_one_user_or_all(
        self, database: PostgresDatabase
    ) -> None:
        """Only published rows, after the number given, in order."""
        for order_id, user_id in ((10, 1), (11, 2), (12, 1)):
            await _row(database, "order.created", user_id, order_id)
        await publish_pending(database, FEED, 10)
        await _row(database, "order.created", 1, 13)  # not published yet

        everyone = await published_after(database, FEED, after=1, user_id=None, limit=10)
        ones = await published_after(database, FEED, after=0, user_id=1, limit=10)
        limited = await published_after(database, FEED, after=0, user_id=None, limit=1)

        assert [11, 12] == [event.payload["order_id"] for event in everyone]
        assert [10, 12] == [event.payload["order_id"] for event in ones]
        assert [1] == [event.seq for event in limited]

    async def test_concurrent_relays_never_number_a_row_twice(
        self, database: PostgresDatabase
    ) -> None:
        """Four relays at once over 200 rows: each row once, numbers 1 to 200."""
        for order_id in range(200):
            await _row(database, "order.created", 1, order_id)

        rounds = await asyncio.gather(*(publish_pending(database, FEED, 30) for _ in range(4)))
        while batch := await publish_pending(database, FEED, 30):
            rounds.append(batch)

        numbers = sorted(event.seq for batch in rounds for event in batch)
        orders = sorted(int(str(event.payload["order_id"])) for b in rounds for event in b)
        assert list(range(1, 201)) == numbers
        assert list(range(200)) == orders


class TestRelay:
    async def test_the_relay_publishes_each_event_once_with_its_id(
        self, database: PostgresDatabase
    ) -> None:
        """Through the pub/sub channel, as channel events carrying event_id."""
        pubsub = PubSub("memory://")
        await pubsub.connect()
        relay = OutboxRelay(database, pubsub, batch=2)
        received: list[OrderEvent] = []
        try:
            async with pubsub.subscribe(ORDERS_CHANNEL) as messages:
                for order_id in range(3):
                    await _row(database, "order.created", 1, order_id)
                await _row(database, "order.updated", 1, 0)

                published = await relay.relay_once()
                async with asyncio.timeout(5):
                    async for message in messages:
                        received.append(OrderEvent.from_message(message))
                        if len(received) == 4:
                            break
                again = await relay.relay_once()
        finally:
            await pubsub.disconnect()

        assert (4, 0) == (published, again)
        assert [(1, "order_created"), (2, "order_created"), (3, "order_created")] == [
            (event.event_id, event.name) for event in received[:3]
        ]
        assert ("order_updated", 4) == (received[3].name, received[3].payload["event_id"])
        feed = PostgresOrderFeed(database)
        assert 4 == await feed.last_event_id()
        assert [3, 4] == [e.event_id for e in await feed.events_after(2, user_id=1, limit=5)]

    @pytest.mark.parametrize(
        "message", ["{}", "[]", '{"event_id": 1, "name": "x", "payload": 3}', "not json"]
    )
    def test_a_message_that_is_not_an_event(self, message: str) -> None:
        """A ValueError, which the listener logs and skips."""
        with pytest.raises(ValueError, match=r"."):
            OrderEvent.from_message(message)


class TestBackends:
    async def _between_two_processes(self, url: str) -> list[str]:
        """What a second connection to the backend (another node) receives."""
        publisher, subscriber = PubSub(url), PubSub(url)
        await publisher.connect()
        await subscriber.connect()
        try:
            async with subscriber.subscribe(ORDERS_CHANNEL) as messages:
                await asyncio.sleep(0.2)  # the subscription reaches the server
                for text in ("one", "two"):
                    await publisher.publish(ORDERS_CHANNEL, text)
                received = []
                async with asyncio.timeout(5):
                    async for message in messages:
                        received.append(message)
                        if len(received) == 2:
                            break
        finally:
            await publisher.disconnect()
            await subscriber.disconnect()
        return received

    async def test_redis_carries_messages_between_nodes(self) -> None:
        """The Redis backend on 127.0.0.1:6379."""
        if not reachable("127.0.0.1", 6379):
            missing_service("Redis on 127.0.0.1:6379")

        assert ["one", "two"] == await self._between_two_processes("redis://127.0.0.1:6379/0")

    async def test_postgresql_carries_messages_between_nodes(
        self, database: PostgresDatabase
    ) -> None:
        """LISTEN/NOTIFY on the test database."""
        assert ["one", "two"] == await self._between_two_processes(database.url.text)

    async def test_postgresql_takes_many_publishers_and_subscribers_at_once(
        self, database: PostgresDatabase
    ) -> None:
        """One connection carries every NOTIFY and LISTEN of a process: they take turns, so
        fifty publications and two subscriptions at once all go through."""
        pubsub = PubSub(database.url.text)
        await pubsub.connect()
        try:
            async with (
                pubsub.subscribe("pulseshop.one") as ones,
                pubsub.subscribe("pulseshop.two") as twos,
            ):
                await asyncio.sleep(0.2)
                await asyncio.gather(
                    *(pubsub.publish("pulseshop.one", f"m{number}") for number in range(50)),
                    pubsub.publish("pulseshop.two", "other"),
                )
                received: set[str] = set()
                async with asyncio.timeout(5):
                    async for message in ones:
                        received.add(message)
                        if len(received) == 50:
                            break
                    async for message in twos:
                        assert message == "other"
                        break
        finally:
            await pubsub.disconnect()
        assert received == {f"m{number}" for number in range(50)}


class TestPubSubUrls:
    @pytest.mark.parametrize(
        "url", ["memory://", "redis://127.0.0.1:6379/0", "postgresql://u@db/shop"]
    )
    def test_supported(self, url: str) -> None:
        """Returned as given."""
        assert url == check_pubsub_url(url)

    @pytest.mark.parametrize(
        ("url", "problem"),
        [("kafka://k:9092", "scheme must be one of"), ("redis://", "needs a host"), ("", "got ''")],
    )
    def test_refused(self, url: str, problem: str) -> None:
        """Named in the error."""
        with pytest.raises(PubSubUrlError, match=problem):
            check_pubsub_url(url)


def test_payloads_stay_json_objects() -> None:
    """What the relay sends decodes to what it was given."""
    event = OrderEvent(event_id=3, name="order_created", payload={"event_id": 3, "total": "1.00"})

    assert event == OrderEvent.from_message(event.message())
    assert {"event_id", "name", "payload"} == set(json.loads(event.message()))
