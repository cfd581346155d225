"""Read-through TTL caches, and their invalidation across the service's processes.

`ReadThroughCache` keeps what its loader read for ``ttl`` seconds, at most ``maxsize``
entries. Concurrent misses of one key share one load (single flight: a burst of readers of
a cold key costs one query); a failed load is not cached and its error reaches every
reader waiting on it. A write must call `CacheInvalidations.invalidate`, which drops the
entry here and publishes the change on `CACHE_CHANNEL`; every other process drops it when
the message arrives. Delivery is at most once, so a process that missed a message serves
the old value until its TTL runs out: the TTL is the bound on staleness.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, TypeVar, final

from cachetools import TTLCache
from prometheus_client import REGISTRY, Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

from pulseshop.adapters.postgres import CONNECTION_ERRORS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence

    from pulseshop.adapters.pubsub import PubSub

__all__ = [
    "CACHE_CHANNEL",
    "CacheInvalidations",
    "InvalidatedCache",
    "ReadThroughCache",
    "announce_invalidation",
]

logger: Final = logging.getLogger(__name__)

_PUBLISH_ERRORS: Final[tuple[type[BaseException], ...]] = (*CONNECTION_ERRORS, RedisError)
"""What a pub/sub backend (Redis, PostgreSQL) raises when it cannot take a message."""

CACHE_CHANNEL: Final = "pulseshop.cache"
"""The pub/sub channel of invalidations: ``{"cache", "key" (null: all), "origin"}``."""


@final
class _Tally:
    """A cache's counts. Plain integers, as a hit must cost next to nothing (a Prometheus
    counter takes a lock on every increment); caches live on the event loop's thread, and
    the collector only reads them."""

    __slots__ = ("entries", "evictions", "hits", "misses")

    def __init__(self) -> None:
        self.hits = self.misses = self.evictions = self.entries = 0


_TALLIES: Final[dict[str, _Tally]] = {}
"""The counts by cache name, for the life of the process (caches of one name share them)."""


def _tally(name: str) -> _Tally:
    return _TALLIES.setdefault(name, _Tally())


@final
class _CacheCollector(Collector):
    """``pulseshop_cache_{hits,misses,evictions}_total{cache}`` and
    ``pulseshop_cache_entries{cache}``, read from the tallies at each scrape."""

    def collect(self) -> Iterator[Metric]:
        hits = CounterMetricFamily(
            "pulseshop_cache_hits", "Reads answered from a cache.", labels=["cache"]
        )
        misses = CounterMetricFamily(
            "pulseshop_cache_misses",
            "Reads a cache could not answer (they wait for a load, shared or their own).",
            labels=["cache"],
        )
        evictions = CounterMetricFamily(
            "pulseshop_cache_evictions",
            "Entries dropped for room or for age (not those invalidated by a write).",
            labels=["cache"],
        )
        entries = GaugeMetricFamily(
            "pulseshop_cache_entries", "Entries a cache holds.", labels=["cache"]
        )
        for name, tally in list(_TALLIES.items()):
            hits.add_metric([name], tally.hits)
            misses.add_metric([name], tally.misses)
            evictions.add_metric([name], tally.evictions)
            entries.add_metric([name], tally.entries)
        yield from (hits, misses, evictions, entries)


REGISTRY.register(_CacheCollector())

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _CountingTTLCache(TTLCache[K, V]):
    """A TTLCache that counts the entries it drops for room (`popitem`) or age (`expire`),
    and drops them from ``fresh`` too."""

    def __init__(
        self,
        maxsize: int,
        ttl: float,
        timer: Callable[[], float],
        tally: _Tally,
        fresh: dict[K, V],
    ) -> None:
        super().__init__(maxsize, ttl, timer)
        self._tally = tally
        self._fresh = fresh

    def popitem(self) -> tuple[K, V]:
        item = super().popitem()
        self._fresh.pop(item[0], None)
        self._tally.evictions += 1
        return item

    def expire(self, now: float | None = None) -> list[tuple[K, V]]:
        expired = list(super().expire(now))
        for key, _value in expired:
            self._fresh.pop(key, None)
        self._tally.evictions += len(expired)
        return expired


@final
class ReadThroughCache(Generic[K, V]):
    """Values by key, read through ``load_many`` and kept for ``ttl`` seconds.

    ``load_many`` reads the values of the keys it is given and must answer every one of them
    (a missing one is an error); `per_key` makes one from a loader of one key.

    `get` and `get_many` load what is not cached, and never answer a value past its TTL.
    `cached` is the hot path: no await, no clock, a plain dict read. That dict holds what
    the TTL bookkeeping holds, less what it dropped; an entry past its TTL stays in it until
    `sweep` (or the next store) finds it expired, so `cached` may answer it until then: the
    service sweeps every second.
    """

    def __init__(
        self,
        name: str,
        load_many: Callable[[Sequence[K]], Awaitable[Mapping[K, V]]],
        *,
        maxsize: int,
        ttl: float,
        timer: Callable[[], float] | None = None,
    ) -> None:
        self.name = name
        self._load_many = load_many
        self._tally = _tally(name)
        self._fresh: dict[K, V] = {}
        self._cache: TTLCache[K, V] = _CountingTTLCache(
            maxsize, ttl, time.monotonic if timer is None else timer, self._tally, self._fresh
        )
        self._loading: dict[K, asyncio.Task[Mapping[K, V]]] = {}
        # Bumped by every invalidation: a load that started before one does not store what
        # it read, which may be older than the write.
        self._generation = 0

    def cached(self, key: K) -> V | None:
        """The value of ``key`` if it is cached (a hit), else None (nothing is counted or
        loaded: follow with `get`). A value of None is never answered from here."""
        value = self._fresh.get(key)
        if value is not None:
            self._tally.hits += 1
        return value

    async def get(self, key: K) -> V:
        """The value of ``key``, loaded if it is not cached."""
        try:
            value = self._cache[key]
        except KeyError:
            return (await self.get_many([key]))[key]
        self._tally.hits += 1
        return value

    async def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        """The values of ``keys``; those not cached are loaded in one call of the loader,
        those another reader is loading already are awaited, not loaded again."""
        found: dict[K, V] = {}
        waiting: dict[K, asyncio.Task[Mapping[K, V]]] = {}
        missing: list[K] = []
        for key in dict.fromkeys(keys):
            try:
                found[key] = self._cache[key]
            except KeyError:
                self._tally.misses += 1
                pending = self._loading.get(key)
                if pending is None:
                    missing.append(key)
                else:
                    waiting[key] = pending
            else:
                self._tally.hits += 1
        if missing:
            task = asyncio.create_task(
                self._load(missing, self._generation), name=f"cache-load-{self.name}"
            )
            task.add_done_callback(_retrieve)
            for key in missing:
                self._loading[key] = task
                waiting[key] = task
        for key, pending in waiting.items():
            # Shielded: a reader cancelled does not cancel the load others wait for.
            found[key] = (await asyncio.shield(pending))[key]
        return found

    async def _load(self, keys: Sequence[K], generation: int) -> Mapping[K, V]:
        this = asyncio.current_task()
        try:
            values = await self._load_many(keys)
            missing = [key for key in keys if key not in values]
            if missing:
                raise KeyError(f"the {self.name} loader did not answer {missing[0]!r}")
            if generation == self._generation:
                for key in keys:
                    self._cache[key] = values[key]
                    self._fresh[key] = values[key]
                self._tally.entries = len(self._cache)
            return values
        finally:
            for key in keys:
                if self._loading.get(key) is this:
                    del self._loading[key]

    def invalidate(self, key: K) -> None:
        """Drop ``key``'s value here (its next read loads it)."""
        self._generation += 1
        self._cache.pop(key, None)
        self._fresh.pop(key, None)
        self._loading.pop(key, None)
        self._tally.entries = len(self._cache)

    def clear(self) -> None:
        """Drop every value here."""
        self._generation += 1
        evictions = self._tally.evictions
        self._cache.clear()  # popitem by popitem, each counted as an eviction: it is not one
        self._tally.evictions = evictions
        self._fresh.clear()
        self._loading.clear()
        self._tally.entries = 0

    def sweep(self) -> int:
        """Drop the values past their TTL; how many were dropped."""
        expired = len(self._cache.expire())
        self._tally.entries = len(self._cache)
        return expired

    def __len__(self) -> int:
        return len(self._cache)


def per_key(
    load: Callable[[K], Awaitable[V]],
) -> Callable[[Sequence[K]], Awaitable[Mapping[K, V]]]:
    """A loader of many keys that loads each with ``load``, concurrently."""

    async def load_many(keys: Sequence[K]) -> Mapping[K, V]:
        values = await asyncio.gather(*(load(key) for key in keys))
        return dict(zip(keys, values, strict=True))

    return load_many


def _retrieve(task: asyncio.Task[Any]) -> None:
    # A load every reader stopped waiting for may fail unseen: asyncio would log it as
    # never retrieved.
    if not task.cancelled():
        task.exception()


async def announce_invalidation(
    pubsub: PubSub, name: str, key: str | int | None = None, *, origin: str
) -> None:
    """Tell every process of the service listening on ``pubsub`` to drop ``key`` (None:
    every entry) of cache ``name``; ``origin`` names the sender (its own listener ignores
    it). A message that cannot be sent is logged: the others then see the write when their
    entries' TTL runs out."""
    message = json.dumps({"cache": name, "key": key, "origin": origin})
    try:
        await pubsub.publish(CACHE_CHANNEL, message)
    except _PUBLISH_ERRORS:
        logger.exception("the invalidation of cache %s could not be published", name)


class InvalidatedCache(Protocol):
    """A cache `CacheInvalidations` drops entries of; keys travel as JSON values."""

    @property
    def name(self) -> str: ...

    def invalidate(self, key: Any) -> None: ...  # each cache its own key type

    def clear(self) -> None: ...

    def sweep(self) -> int: ...


@final
class CacheInvalidations:
    """The service's caches by name, dropping entries here and in every other process."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub
        self._caches: dict[str, InvalidatedCache] = {}
        # Our own messages come back to us: they are known by this process's id.
        self._origin = uuid.uuid4().hex

    def register(self, cache: InvalidatedCache) -> None:
        """Invalidate and sweep ``cache`` along with the others."""
        if cache.name in self._caches:
            raise ValueError(f"a cache named {cache.name!r} is registered already")
        self._caches[cache.name] = cache

    async def invalidate(self, name: str, key: str | int | None = None) -> None:
        """After a write: drop ``key`` (None: every entry) of cache ``name`` here, then in
        every other process. A message that cannot be sent is logged: the others then see
        the write when their entries' TTL runs out."""
        self._apply(name, key)
        await announce_invalidation(self._pubsub, name, key, origin=self._origin)

    async def listen(self, subscribed: asyncio.Event | None = None) -> None:
        """Apply the other processes' invalidations until cancelled; ``subscribed`` is set
        once listening."""
        async with self._pubsub.subscribe(CACHE_CHANNEL) as messages:
            if subscribed is not None:
                subscribed.set()
            async for message in messages:
                try:
                    data = json.loads(message)
                    name, key, origin = data["cache"], data["key"], data["origin"]
                except (ValueError, TypeError, KeyError):
                    logger.exception("an unreadable message on %s was dropped", CACHE_CHANNEL)
                    continue
                if origin != self._origin:
                    self._apply(name, key)

    async def sweep(self) -> int:
        """Drop every cache's expired entries; how many were dropped."""
        return sum(cache.sweep() for cache in self._caches.values())

    def _apply(self, name: object, key: object) -> None:
        cache = self._caches.get(name) if isinstance(name, str) else None
        if cache is None:
            # A cache of a newer release, or none of ours: the safe reading is "nothing".
            logger.warning("an invalidation of an unknown cache %r was ignored", name)
        elif key is None:
            cache.clear()
        else:
            cache.invalidate(key)
