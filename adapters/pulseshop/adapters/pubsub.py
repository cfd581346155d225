"""Publish/subscribe between the processes of the service, through ``broadcaster``.

The backend is chosen by URL (``PUBSUB_URL``): ``memory://`` (the default: one process),
``redis://host:port/db`` (or ``rediss://``), or ``postgresql://...`` (LISTEN/NOTIFY on that
database; a payload must then stay under PostgreSQL's 8000 bytes). Messages are text;
delivery is at most once, to subscribers connected when the message is published.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final, final
from urllib.parse import urlsplit

from broadcaster import Broadcast, BroadcastBackend, Event

# Not re-exported by the package: what a subscriber's `get` raises once it is unsubscribed.
from broadcaster._base import Unsubscribed
from redis import asyncio as redis

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["PUBSUB_SCHEMES", "PubSub", "PubSubUrlError", "RedisBackend", "check_pubsub_url"]

PUBSUB_SCHEMES: Final = ("memory", "redis", "rediss", "postgres", "postgresql")
"""The URL schemes of the backends PulseShop supports."""


@final
class PubSubUrlError(ValueError):
    """A pub/sub URL names no backend we support; the message says why."""


def check_pubsub_url(url: str) -> str:
    """``url`` itself when it names a supported backend.

    >>> check_pubsub_url("redis://127.0.0.1:6379/0")
    'redis://127.0.0.1:6379/0'
    >>> check_pubsub_url("kafka://broker:9092")
    Traceback (most recent call last):
    ...
    pulseshop.adapters.pubsub.PubSubUrlError: the scheme must be one of memory, redis, \
rediss, postgres, postgresql, got 'kafka'
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme not in PUBSUB_SCHEMES:
        raise PubSubUrlError(
            f"the scheme must be one of {', '.join(PUBSUB_SCHEMES)}, got {scheme!r}"
        )
    if scheme != "memory" and not urlsplit(url).hostname and "host=" not in url:
        raise PubSubUrlError(f"a {scheme} URL needs a host")
    return url


@final
class RedisBackend(BroadcastBackend):
    """Redis pub/sub for ``broadcaster``.

    broadcaster's own Redis backend can miss every message: its reader starts listening on
    the first subscription and, when that subscription has not reached Redis yet, finds no
    channel, stops, and waits for a subscription that never comes again. This one reads
    only once a subscription is confirmed, and keeps reading.
    """

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._subscribed = asyncio.Event()

    async def connect(self) -> None:
        """Check that Redis answers."""
        await self._client.ping()

    async def disconnect(self) -> None:
        """Close both connections."""
        await self._pubsub.aclose()
        await self._client.aclose()

    async def subscribe(self, group: str) -> None:
        """Receive ``group``'s messages from now on."""
        await self._pubsub.subscribe(group)
        self._subscribed.set()

    async def unsubscribe(self, group: str) -> None:
        """Stop receiving ``group``'s messages."""
        await self._pubsub.unsubscribe(group)

    async def publish(self, channel: str, message: object) -> None:
        """Send ``message`` (text) to ``channel``'s subscribers."""
        await self._client.publish(channel, str(message))

    async def next_published(self) -> Event:
        """The next message of any subscribed channel."""
        while True:
            await self._subscribed.wait()
            message = await self._pubsub.get_message(timeout=None)
            if message is not None and message["type"] == "message":
                return Event(message["channel"].decode(), message["data"].decode())


@final
class PubSub:
    """One connection to the backend, shared by every publisher and subscriber of a process."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = check_pubsub_url(url)
        scheme = urlsplit(url).scheme.lower()
        if scheme in {"redis", "rediss"}:
            self._broadcast = Broadcast(backend=RedisBackend(self.url))
        else:
            self._broadcast = Broadcast(self.url)
        # broadcaster's PostgreSQL backend runs NOTIFY, LISTEN and UNLISTEN on one asyncpg
        # connection, which takes one operation at a time: two at once fail ("another
        # operation is in progress") or hang. They take turns here.
        self._one_at_a_time = asyncio.Lock() if scheme in {"postgres", "postgresql"} else None

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if self._one_at_a_time is None:
            yield
            return
        async with self._one_at_a_time:
            yield

    async def connect(self) -> None:
        """Connect to the backend."""
        await self._broadcast.connect()

    async def disconnect(self) -> None:
        """Leave the backend; subscribers' iterations end."""
        await self._broadcast.disconnect()

    async def publish(self, channel: str, message: str) -> None:
        """Send ``message`` to every subscriber of ``channel``, in every process."""
        async with self._turn():
            await self._broadcast.publish(channel, message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[str]]:
        """The messages of ``channel`` from now until the block ends."""
        async with self._turn():
            subscription = self._broadcast.subscribe(channel)
            subscriber = await subscription.__aenter__()
        try:

            async def messages() -> AsyncIterator[str]:
                try:
                    while True:
                        yield (await subscriber.get()).message
                except Unsubscribed:
                    return

            yield messages()
        except BaseException as error:
            async with self._turn():
                if not await subscription.__aexit__(type(error), error, error.__traceback__):
                    raise
        else:
            async with self._turn():
                await subscription.__aexit__(None, None, None)
