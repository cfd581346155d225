"""Read-through TTL caches: hits and misses, expiry, size bound, single flight, invalidation."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import TYPE_CHECKING

import pytest
from prometheus_client import REGISTRY

from pulseshop.adapters.pubsub import PubSub
from pulseshop.shell.read_cache import (
    CACHE_CHANNEL,
    CacheInvalidations,
    ReadThroughCache,
    per_key,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

pytestmark = pytest.mark.unit


class FakeTimer:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Source:
    """Values ``key * 10``, counting loads and the keys each load was asked for."""

    def __init__(self, *, fail: bool = False, gate: asyncio.Event | None = None) -> None:
        self.loads: list[list[int]] = []
        self.fail = fail
        self.gate = gate
        self.version = 0

    async def load(self, keys: Sequence[int]) -> Mapping[int, int]:
        self.loads.append(list(keys))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise LookupError("the database is away")
        return {key: key * 10 + self.version for key in keys}


def cache_of(
    source: Source, *, maxsize: int = 100, ttl: float = 10.0, timer: FakeTimer | None = None
) -> ReadThroughCache[int, int]:
    """A cache with a name of its own (metrics are per name)."""
    return ReadThroughCache(
        f"test-{uuid.uuid4().hex[:8]}", source.load, maxsize=maxsize, ttl=ttl, timer=timer
    )


def metric(name: str, cache: ReadThroughCache[int, int]) -> float:
    """The value of the cache's metric ``name`` (0 when never counted)."""
    return REGISTRY.get_sample_value(name, {"cache": cache.name}) or 0.0


class TestReads:
    async def test_a_miss_loads_and_the_next_read_is_a_hit(self) -> None:
        """One load for two reads: a miss, then a hit; the gauge shows one entry."""
        source = Source()
        cache = cache_of(source)

        values = (await cache.get(1), await cache.get(1))

        assert (10, 10) == values
        assert [[1]] == source.loads
        assert (1.0, 1.0, 1.0) == (
            metric("pulseshop_cache_hits_total", cache),
            metric("pulseshop_cache_misses_total", cache),
            metric("pulseshop_cache_entries", cache),
        )

    async def test_many_keys_missing_are_loaded_in_one_call(self) -> None:
        """get_many loads only the keys not cached, together."""
        source = Source()
        cache = cache_of(source)
        await cache.get(2)

        values = await cache.get_many([1, 2, 3, 1])

        assert {1: 10, 2: 20, 3: 30} == values
        assert [[2], [1, 3]] == source.loads

    async def test_a_value_expires_after_its_ttl(self) -> None:
        """Past the TTL the value is loaded again; the expiry counts as an eviction."""
        timer = FakeTimer()
        source = Source()
        cache = cache_of(source, ttl=5.0, timer=timer)
        await cache.get(1)
        source.version = 1

        timer.now = 4.9
        fresh = await cache.get(1)
        timer.now = 5.0
        expired = await cache.get(1)

        assert (10, 11) == (fresh, expired)
        assert 1.0 == metric("pulseshop_cache_evictions_total", cache)

    async def test_the_size_bound_evicts_and_counts(self) -> None:
        """A cache of 2 holding a third value drops one, counted as an eviction."""
        source = Source()
        cache = cache_of(source, maxsize=2)

        await cache.get_many([1, 2, 3])

        assert 2 == len(cache)
        assert 1.0 == metric("pulseshop_cache_evictions_total", cache)

    async def test_the_hot_path_answers_what_is_cached_and_counts_a_hit(self) -> None:
        """`cached` answers a loaded value (a hit) and None for one never loaded, which it
        neither counts nor loads."""
        source = Source()
        cache = cache_of(source)
        await cache.get(1)

        assert (10, None) == (cache.cached(1), cache.cached(2))
        assert [[1]] == source.loads
        assert (1.0, 1.0) == (
            metric("pulseshop_cache_hits_total", cache),
            metric("pulseshop_cache_misses_total", cache),
        )

    async def test_the_hot_path_forgets_what_was_invalidated_evicted_or_swept(self) -> None:
        """No value leaves the TTL bookkeeping without leaving `cached`: an invalidation,
        a clear, the size bound, a sweep past the TTL."""
        timer = FakeTimer()
        cache = cache_of(Source(), maxsize=2, ttl=5.0, timer=timer)
        await cache.get_many([1, 2])
        cache.invalidate(1)
        await cache.get(3)
        timer.now = 2.0
        await cache.get(4)  # the size bound drops 2, the oldest
        invalidated, evicted, kept = cache.cached(1), cache.cached(2), cache.cached(4)
        timer.now = 7.5
        late = cache.cached(4)  # past its TTL (7.0), until the sweep
        cache.sweep()

        assert (None, None, 40, 40, None) == (invalidated, evicted, kept, late, cache.cached(4))
        await cache.get(5)
        cache.clear()
        assert cache.cached(5) is None
        assert 3.0 == metric("pulseshop_cache_evictions_total", cache)

    async def test_sweep_drops_the_expired_values(self) -> None:
        """A sweep removes what expired, counts it, and keeps what did not."""
        timer = FakeTimer()
        cache = cache_of(Source(), ttl=5.0, timer=timer)
        await cache.get(1)
        timer.now = 3.0
        await cache.get(2)
        timer.now = 6.0

        swept = cache.sweep()

        assert (1, 1) == (swept, len(cache))
        assert (1.0, 1.0) == (
            metric("pulseshop_cache_evictions_total", cache),
            metric("pulseshop_cache_entries", cache),
        )


class TestSingleFlight:
    async def test_concurrent_misses_of_one_key_share_one_load(self) -> None:
        """50 readers of one missing key: one load, every reader gets its value."""
        gate = asyncio.Event()
        source = Source(gate=gate)
        cache = cache_of(source)

        readers = [asyncio.create_task(cache.get(7)) for _ in range(50)]
        await asyncio.sleep(0)
        gate.set()
        values = await asyncio.gather(*readers)

        assert ([70] * 50, [[7]]) == (values, source.loads)
        assert 50.0 == metric("pulseshop_cache_misses_total", cache)

    async def test_a_failed_load_reaches_every_reader_and_is_not_cached(self) -> None:
        """Every waiting reader gets the error; the next read loads again."""
        gate = asyncio.Event()
        source = Source(fail=True, gate=gate)
        cache = cache_of(source)
        readers = [asyncio.create_task(cache.get(7)) for _ in range(5)]
        await asyncio.sleep(0)
        gate.set()

        outcomes = await asyncio.gather(*readers, return_exceptions=True)
        source.fail = False
        after = await cache.get(7)

        assert all(isinstance(outcome, LookupError) for outcome in outcomes)
        assert (70, 2) == (after, len(source.loads))

    async def test_a_cancelled_reader_does_not_cancel_the_load_of_the_others(self) -> None:
        """The first reader gives up; the second still gets the value."""
        gate = asyncio.Event()
        cache = cache_of(Source(gate=gate))
        first = asyncio.create_task(cache.get(7))
        second = asyncio.create_task(cache.get(7))
        await asyncio.sleep(0)

        first.cancel()
        gate.set()

        assert 70 == await second

    async def test_a_load_started_before_an_invalidation_is_not_stored(self) -> None:
        """What a load read before a write is answered but not kept."""
        gate = asyncio.Event()
        source = Source(gate=gate)
        cache = cache_of(source)
        reader = asyncio.create_task(cache.get(7))
        await asyncio.sleep(0)

        cache.invalidate(7)
        gate.set()
        await reader

        assert 0 == len(cache)

    async def test_per_key_loads_each_key(self) -> None:
        """A loader of one key serves a cache of many."""

        async def double(key: int) -> int:
            return key * 2

        cache: ReadThroughCache[int, int] = ReadThroughCache(
            "test-per-key", per_key(double), maxsize=10, ttl=1.0
        )

        assert {1: 2, 2: 4} == await cache.get_many([1, 2])


class TestInvalidation:
    async def test_invalidate_drops_one_key_and_clear_drops_all(self) -> None:
        """After invalidate the key is loaded again; after clear every key is."""
        source = Source()
        cache = cache_of(source)
        await cache.get_many([1, 2])
        source.version = 1

        cache.invalidate(1)
        after_one = await cache.get_many([1, 2])
        cache.clear()
        after_all = await cache.get_many([1, 2])

        assert ({1: 11, 2: 20}, {1: 11, 2: 21}) == (after_one, after_all)

    async def test_invalidations_reach_the_other_process_and_not_back(self) -> None:
        """A key invalidated by one node is dropped by both; a node ignores the messages
        of its own id (it applied them when it sent them)."""
        pubsub = PubSub("memory://")
        await pubsub.connect()
        try:
            here, there = CacheInvalidations(pubsub), CacheInvalidations(pubsub)
            source_here, source_there = Source(), Source()
            cache_here = ReadThroughCache("prices", source_here.load, maxsize=10, ttl=60.0)
            cache_there = ReadThroughCache("prices", source_there.load, maxsize=10, ttl=60.0)
            here.register(cache_here)
            there.register(cache_there)
            listening = [asyncio.Event(), asyncio.Event()]
            listeners = [
                asyncio.create_task(here.listen(listening[0])),
                asyncio.create_task(there.listen(listening[1])),
            ]
            await asyncio.gather(*(event.wait() for event in listening))
            await cache_here.get_many([1, 2])
            await cache_there.get_many([1, 2])

            await here.invalidate("prices", 1)
            own = {"cache": "prices", "key": 2, "origin": here._origin}  # noqa: SLF001
            await pubsub.publish(CACHE_CHANNEL, json.dumps(own))
            await asyncio.sleep(0.05)
            source_here.version = source_there.version = 1

            assert ({1: 11, 2: 20}, {1: 11, 2: 21}) == (
                await cache_here.get_many([1, 2]),
                await cache_there.get_many([1, 2]),
            )
            await there.invalidate("prices")
            await asyncio.sleep(0.05)
            assert (0, 0) == (len(cache_here), len(cache_there))
        finally:
            for listener in listeners:
                listener.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)
            await pubsub.disconnect()

    async def test_unreadable_and_unknown_messages_are_dropped(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Garbage and other caches' names are logged; the listener keeps listening."""
        pubsub = PubSub("memory://")
        await pubsub.connect()
        invalidations = CacheInvalidations(pubsub)
        source = Source()
        cache = cache_of(source)
        invalidations.register(cache)
        listening = asyncio.Event()
        listener = asyncio.create_task(invalidations.listen(listening))
        try:
            await listening.wait()
            await cache.get(1)

            await pubsub.publish(CACHE_CHANNEL, "not json")
            await pubsub.publish(
                CACHE_CHANNEL, json.dumps({"cache": "other", "key": 1, "origin": "x"})
            )
            await pubsub.publish(
                CACHE_CHANNEL, json.dumps({"cache": cache.name, "key": 1, "origin": "x"})
            )
            await asyncio.sleep(0.05)

            assert 0 == len(cache)
            assert ["an unreadable message on", "an invalidation of an"] == [
                " ".join(record.getMessage().split()[:4]) for record in caplog.records
            ]
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
            await pubsub.disconnect()

    async def test_sweep_sweeps_every_registered_cache(self) -> None:
        """One sweep of the registry sweeps each cache."""
        timer = FakeTimer()
        invalidations = CacheInvalidations(PubSub("memory://"))
        first, second = cache_of(Source(), timer=timer), cache_of(Source(), timer=timer)
        invalidations.register(first)
        invalidations.register(second)
        await first.get_many([1, 2])
        await second.get(1)
        timer.now = 100.0

        assert 3 == await invalidations.sweep()

    def test_a_name_is_registered_once(self) -> None:
        """Two caches of one name would receive each other's invalidations."""
        invalidations = CacheInvalidations(PubSub("memory://"))
        invalidations.register(cache_of(Source()))
        twin = cache_of(Source())
        invalidations.register(twin)

        with pytest.raises(ValueError, match="registered already"):
            invalidations.register(twin)
