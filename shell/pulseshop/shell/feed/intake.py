"""Taking feed events in: rejects kept, the rest queued, unless the queue is too deep."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from typing import TYPE_CHECKING, Final, final

import attrs

from pulseshop.adapters.jobs import BROKER_UNREACHABLE
from pulseshop.adapters.postgres.marketplace import FeedReject, store_rejects
from pulseshop.core.marketplace import encode_event
from pulseshop.shell.feed import metrics

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.core.marketplace import BatchReading, Rejection

logger = logging.getLogger(__name__)

MESSAGE_EVENTS: Final = 100
"""The most events one queued message carries: one job, one transaction."""

DEPTH_TTL: Final = 0.25
"""Seconds a measured queue depth is trusted before it is measured again."""

DEPTH_WATCH_SECONDS: Final = 5.0
"""How often the service measures the queue when no batch makes it."""

RETRY_AFTER_MIN: Final = 1
RETRY_AFTER_MAX: Final = 30


@final
@attrs.frozen
class Taken:
    """A batch taken in: how many events were queued (in how many messages), and the
    events refused."""

    accepted: int
    messages: int
    rejected: tuple[Rejection, ...]


@final
@attrs.frozen
class Busy:
    """The queue is past its limit: nothing was taken; try again in ``retry_after`` seconds."""

    depth: int
    limit: int
    retry_after: int


@final
class FeedIntake:
    """Takes batches of feed events in.

    ``send`` queues one message of encoded events and ``depth`` measures the queue, both
    blocking (they run in a thread); ``queue_limit`` is the depth, in messages, past which
    nothing more is taken.
    """

    def __init__(
        self,
        database: PostgresDatabase,
        *,
        send: Callable[[list[dict[str, object]]], None],
        depth: Callable[[], int],
        queue_limit: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._database = database
        self._send = send
        self._depth = depth
        self._limit = queue_limit
        self._clock = clock
        self._measured: tuple[float, int] | None = None
        self._measuring = asyncio.Lock()
        self._drained_per_second = 0.0

    async def busy(self) -> Busy | None:
        """Whether the queue is past its limit, measured at most every `DEPTH_TTL` seconds."""
        depth = await self._queue_depth()
        if depth <= self._limit:
            return None
        metrics.THROTTLED.inc()
        return Busy(depth, self._limit, self._retry_after(depth))

    async def watch_depth(self, seconds: float = DEPTH_WATCH_SECONDS) -> None:
        """Measure the queue every ``seconds`` until cancelled, so its gauge follows it
        when no batch arrives; a broker that cannot be reached is logged."""
        while True:
            try:
                await self._queue_depth()
            except BROKER_UNREACHABLE as error:
                logger.warning("the feed queue's depth cannot be measured: %s", error)
            await asyncio.sleep(seconds)

    async def _queue_depth(self) -> int:
        async with self._measuring:
            now = time.monotonic()
            if self._measured is not None and now - self._measured[0] < DEPTH_TTL:
                return self._measured[1]
            depth = await asyncio.to_thread(self._depth)
            if self._measured is not None:
                # How fast the queue went down since the last look, for Retry-After.
                was_at, was = self._measured
                drained = (was - depth) / max(now - was_at, 1e-3)
                if drained > 0:
                    self._drained_per_second = drained
            self._measured = (now, depth)
            metrics.QUEUE_DEPTH.set(depth)
            return depth

    def _retry_after(self, depth: int) -> int:
        """Seconds until the queue is likely back under its limit (from how fast it last
        went down), between `RETRY_AFTER_MIN` and `RETRY_AFTER_MAX`."""
        if self._drained_per_second <= 0:
            return RETRY_AFTER_MIN
        seconds = math.ceil((depth - self._limit) / self._drained_per_second)
        return min(max(seconds, RETRY_AFTER_MIN), RETRY_AFTER_MAX)

    async def take(
        self, reading: BatchReading, *, origin: str, raw_of: Callable[[int], str]
    ) -> Taken:
        """Keep the batch's rejects (``raw_of`` gives the text of the item at an index),
        then queue its accepted events, `MESSAGE_EVENTS` to a message.

        Raises:
            One of BROKER_UNREACHABLE: the broker could not be reached; some messages may
                have been queued: sending the batch again is safe (each event is applied
                once).
        """
        rejects = [
            FeedReject(
                rejection.index,
                rejection.event_id,
                [{"field": p.path, "problem": p.message} for p in rejection.problems],
                raw_of(rejection.index),
            )
            for rejection in reading.rejected
        ]
        await store_rejects(self._database, origin, rejects, now=self._clock())
        metrics.EVENTS.labels("rejected").inc(len(rejects))
        encoded = [encode_event(event) for _index, event in reading.accepted]
        messages = [
            encoded[start : start + MESSAGE_EVENTS]
            for start in range(0, len(encoded), MESSAGE_EVENTS)
        ]
        if messages:
            await asyncio.to_thread(self._send_all, messages)
            if self._measured is not None:
                # What was queued counts against the limit now, not only at the next look.
                measured_at, depth = self._measured
                self._measured = (measured_at, depth + len(messages))
        metrics.EVENTS.labels("accepted").inc(len(encoded))
        return Taken(len(encoded), len(messages), reading.rejected)

    def _send_all(self, messages: Sequence[list[dict[str, object]]]) -> None:
        for message in messages:
            self._send(message)


def item_text(item: object) -> str:
    """An item of a JSON batch as text, for the rejects table."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))
