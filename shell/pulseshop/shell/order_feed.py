"""The live order feed: committed order events, from the outbox to every node's channels.

The outbox relay (`OutboxRelay`) takes the outbox rows of the order topics once they are
committed, numbers them in publication order (`pulseshop.adapters.postgres.order_events`)
and publishes each on the pub/sub channel `ORDERS_CHANNEL`; every node's channel hub
delivers them to its sockets. A rolled-back checkout wrote no row, so no event is ever sent
for it. An event's ``event_id`` is its publication number: a client that was away joins
with the last one it saw and is sent the rest from the outbox (`PostgresOrderFeed`).

The same relay hands the outbox rows of jobs (``email.receipt``) to the job queue
(`JobSink`, `pulseshop.shell.jobs`): claimed with ``FOR UPDATE SKIP LOCKED``, queued, and
stamped published in one transaction, so each is queued at least once.

The relay runs when woken after a commit in this process, and every `POLL_SECONDS` for
commits of other processes. Delivery is at most once, as Phoenix's is: an event published
while a client is away, or lost with a node, reaches it when it catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, Protocol, final

import attrs
from prometheus_client import Counter

from pulseshop.adapters.postgres.order_events import (
    last_published_seq,
    publish_pending,
    published_after,
)
from pulseshop.adapters.postgres.outbox_jobs import claim_job_rows, mark_jobs_published

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.adapters.postgres.order_events import PublishedEvent
    from pulseshop.adapters.postgres.outbox_jobs import JobRow
    from pulseshop.adapters.pubsub import PubSub

logger = logging.getLogger(__name__)

ORDERS_CHANNEL: Final = "pulseshop.orders"
"""The pub/sub channel order events travel on between nodes."""

EVENT_NAMES: Final[Mapping[str, str]] = {
    "order.created": "order_created",
    "order.updated": "order_updated",
}
"""Outbox topics of the feed, and the channel event each becomes."""

PUBLISHED: Final = Counter(
    "pulseshop_outbox_published", "Outbox rows the relay published, by topic.", ["topic"]
)
RELAY_FAILURES: Final = Counter(
    "pulseshop_outbox_relay_failures", "Relay rounds that failed (and were tried again)."
)

POLL_SECONDS: Final = 0.5
"""How often the relay looks for rows committed by other processes."""

BATCH: Final = 500
"""The most rows one relay transaction publishes."""


@final
@attrs.frozen
class OrderEvent:
    """An event of the feed: its id, its name on the channels and its payload (which
    carries the id too, as ``event_id``)."""

    event_id: int
    name: str
    payload: Mapping[str, object]

    def message(self) -> str:
        """The event as it travels on the pub/sub channel."""
        return json.dumps(
            {"event_id": self.event_id, "name": self.name, "payload": self.payload},
            separators=(",", ":"),
        )

    @classmethod
    def from_message(cls, text: str) -> OrderEvent:
        """The event a pub/sub message carries.

        Raises:
            ValueError: the message is not one `message` wrote.
        """
        document = json.loads(text)
        try:
            event = cls(
                event_id=int(document["event_id"]),
                name=str(document["name"]),
                payload=dict(document["payload"]),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"not an order event: {error!r}") from error
        return event


def _order_event(published: PublishedEvent) -> OrderEvent:
    return OrderEvent(
        event_id=published.seq,
        name=EVENT_NAMES[published.topic],
        payload={"event_id": published.seq, **published.payload},
    )


@final
class PostgresOrderFeed:
    """The feed's past, read from the outbox."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._database = database

    async def last_event_id(self) -> int:
        """The id of the last event published, 0 before the first."""
        return await last_published_seq(self._database)

    async def events_after(
        self, event_id: int, *, user_id: int | None, limit: int
    ) -> list[OrderEvent]:
        """Up to ``limit`` events after ``event_id``, in order; only ``user_id``'s orders'
        unless it is None."""
        rows = await published_after(
            self._database, list(EVENT_NAMES), after=event_id, user_id=user_id, limit=limit
        )
        return [_order_event(row) for row in rows]


class JobSink(Protocol):
    """Where outbox rows that are jobs go (`pulseshop.shell.jobs.runtime.Jobs`)."""

    @property
    def topics(self) -> Collection[str]:
        """The outbox topics that are jobs."""
        ...

    def hand_over(self, rows: Sequence[JobRow]) -> None:
        """Queue the rows' jobs; blocking I/O (run in a thread)."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


@final
class OutboxRelay:
    """Publishes committed order events from the outbox to the pub/sub channel, and hands
    the rows of jobs to ``jobs``."""

    def __init__(
        self,
        database: PostgresDatabase,
        pubsub: PubSub,
        *,
        jobs: JobSink | None = None,
        poll_seconds: float = POLL_SECONDS,
        batch: int = BATCH,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._database = database
        self._pubsub = pubsub
        self._jobs = jobs
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._batch = batch
        self._woken = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Something was committed: relay it now rather than at the next poll."""
        self._woken.set()

    async def relay_once(self) -> int:
        """Publish what is waiting (in batches until none is left); returns how many."""
        published = 0
        while True:
            # Shielded: cancelled inside its transaction, the round would keep its pooled
            # connection, and closing the pool would wait for it without end.
            events = await asyncio.shield(
                publish_pending(self._database, list(EVENT_NAMES), self._batch)
            )
            for event in events:
                await self._pubsub.publish(ORDERS_CHANNEL, _order_event(event).message())
                PUBLISHED.labels(event.topic).inc()
            published += len(events)
            if len(events) < self._batch:
                return published + await self._relay_jobs()

    async def _relay_jobs(self) -> int:
        jobs = self._jobs
        if jobs is None:
            return 0
        handed = 0
        while True:
            count = await asyncio.shield(self._hand_over_batch(jobs))
            handed += count
            if count < self._batch:
                return handed

    async def _hand_over_batch(self, jobs: JobSink) -> int:
        async with self._database.transaction():
            rows = await claim_job_rows(self._database, jobs.topics, self._batch)
            if not rows:
                return 0
            # Queued before the commit that marks them: a crash in between queues them again,
            # never loses them.
            await asyncio.to_thread(jobs.hand_over, rows)
            await mark_jobs_published(self._database, [row.id for row in rows], now=self._clock())
        for row in rows:
            PUBLISHED.labels(row.topic).inc()
        return len(rows)

    async def run(self) -> None:
        """Relay until `stop`; a failed round is logged and tried again at the next."""
        while not self._stopping:
            self._woken.clear()
            try:
                await self.relay_once()
            # A supervision boundary: a round fails in the database, the pub/sub backend or
            # the job broker, each with errors of its own, and the relay must outlive them all
            # (it logs each with its traceback and tries again).
            except Exception:
                RELAY_FAILURES.inc()
                logger.exception("the order feed's relay failed; trying again")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._woken.wait()

    def stop(self) -> None:
        """Make `run` return after the round in progress."""
        self._stopping = True
        self._woken.set()
