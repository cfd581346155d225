"""Idempotency keys against a real PostgreSQL: claims, replays, mismatches, stale locks,
expiry, releases, the sweep, and 50 claims of one key at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import pytest

from pulseshop.adapters.postgres import PostgresDatabase, ensure_user
from pulseshop.adapters.postgres.idempotency import (
    CHECKOUT_ENDPOINT,
    KEY_TTL,
    STALE_AFTER,
    Claim,
    Claimed,
    IdempotencyKeyLostError,
    InFlight,
    Mismatch,
    Replay,
    claim_key,
    release_key,
    request_fingerprint,
    store_response,
    sweep_expired_keys,
)
from pulseshop.core.access import Email

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.integration

NOW: Final = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
KEY: Final = "6f1c2a8e-4b7d-4e3a-9c1f-checkout"
BODY: Final = b'{"cart_version": 3, "payment": {"card": "4242"}}'
REQUEST: Final = request_fingerprint("POST", "/api/v1/checkout", BODY)
OTHER_REQUEST: Final = request_fingerprint("POST", "/api/v1/checkout", b'{"cart_version": 4}')
RESPONSE: Final = {
    "order_id": 17,
    "status": "paid",
    "total": {"amount": "12.50", "currency": "EUR"},
    "lines": [{"sku": "MUG-1", "name": "Tasse à café", "quantity": 2}],
    "coupon": None,
}


async def _user(database: PostgresDatabase, name: str = "ann") -> int:
    return (await ensure_user(database, Email(f"{name}@example.com"), "customer")).id


async def _claim(
    database: PostgresDatabase,
    user_id: int,
    *,
    at: datetime = NOW,
    key: str = KEY,
    fingerprint: bytes = REQUEST,
    endpoint: str = CHECKOUT_ENDPOINT,
) -> Claim:
    return await claim_key(
        database, user_id=user_id, endpoint=endpoint, key=key, fingerprint=fingerprint, now=at
    )


async def _claimed(
    database: PostgresDatabase, user_id: int, *, at: datetime = NOW, key: str = KEY
) -> int:
    """Claim a key that must be free (or stale, or expired); its id."""
    claim = await _claim(database, user_id, at=at, key=key)
    assert isinstance(claim, Claimed)
    return claim.key_id


async def _key_count(database: PostgresDatabase) -> int:
    count = await database.fetch_value("SELECT count(*) FROM idempotency_keys")
    assert isinstance(count, int)
    return count


class _OrderRefusedError(Exception):
    """A checkout failing after it stored its response, before it committed."""


async def _checkout_failing_after_store(database: PostgresDatabase, key_id: int) -> None:
    async with database.transaction():
        await store_response(database, key_id, status=201, body=RESPONSE)
        raise _OrderRefusedError


@pytest.fixture
async def wide_pool(database_url: PostgresUrl) -> AsyncIterator[PostgresDatabase]:
    """A pool of 10 connections, for many claims at once (the `database` fixture empties
    the tables afterwards)."""
    pool = PostgresDatabase(database_url, min_size=1, max_size=10)
    await pool.connect()
    try:
        yield pool
    finally:
        await pool.disconnect()


@pytest.fixture
def unconnected(database_url: PostgresUrl) -> PostgresDatabase:
    """A pool never connected: any statement through it fails, and not with ValueError."""
    return PostgresDatabase(database_url)


class TestRequestFingerprint:
    def test_is_a_sha256(self) -> None:
        """32 bytes."""
        assert 32 == len(REQUEST)

    def test_json_whitespace_and_key_order_do_not_count(self) -> None:
        """The same JSON value, written differently, is the same request."""
        rewritten = b'{\n  "payment": {"card":"4242"},\n  "cart_version":3\n}\n'

        assert REQUEST == request_fingerprint("POST", "/api/v1/checkout", rewritten)

    @pytest.mark.parametrize(
        "body",
        [
            b'{"cart_version": 4, "payment": {"card": "4242"}}',
            b'{"cart_version": "3", "payment": {"card": "4242"}}',
            b'{"cart_version": 3, "payment": {"card": "4242"}, "coupon": null}',
            b'{"cart_version": 3}',
            b"[3]",
        ],
    )
    def test_json_values_count(self, body: bytes) -> None:
        """Another value, another key or another shape is another request."""
        assert REQUEST != request_fingerprint("POST", "/api/v1/checkout", body)

    def test_method_and_path_count(self) -> None:
        """The same body to another method or path is another request."""
        fingerprints = {
            request_fingerprint("POST", "/api/v1/checkout", BODY),
            request_fingerprint("PUT", "/api/v1/checkout", BODY),
            request_fingerprint("POST", "/api/v1/refunds", BODY),
        }

        assert 3 == len(fingerprints)

    def test_a_body_that_is_not_json_counts_by_its_bytes(self) -> None:
        """Equal bytes match; a byte more does not; invalid UTF-8 is fine."""
        form = b"cart_version=3&card=4242"

        same = request_fingerprint("POST", "/p", form) == request_fingerprint("POST", "/p", form)
        spaced = request_fingerprint("POST", "/p", form + b" ")
        binary = request_fingerprint("POST", "/p", b"\xff\xfe")

        assert same
        assert spaced != request_fingerprint("POST", "/p", form)
        assert 32 == len(binary)

    def test_json_is_not_confused_with_bytes(self) -> None:
        """A body and the canonical JSON of another body do not collide: the kind counts."""
        canonical = b'{"a":1}'

        assert request_fingerprint("POST", "/p", canonical) != request_fingerprint(
            "POST", "/p", b"not json"
        )
        assert request_fingerprint("POST", "/p", canonical) == request_fingerprint(
            "POST", "/p", b'{ "a" : 1 }'
        )


class TestClaim:
    async def test_a_new_key_is_claimed(self, database: PostgresDatabase) -> None:
        """The first request with a key owns it; the row is locked and expires in 24 h."""
        user_id = await _user(database)

        claim = await _claim(database, user_id)

        assert isinstance(claim, Claimed)
        row = await database.fetch_one(
            "SELECT locked_at, expires_at, response_status FROM idempotency_keys WHERE id = $1",
            claim.key_id,
        )
        assert row is not None
        assert (NOW, NOW + KEY_TTL, None) == tuple(row.values())

    async def test_a_stored_response_is_replayed(self, database: PostgresDatabase) -> None:
        """The same key and request after the response was stored: that exact response."""
        user_id = await _user(database)
        key_id = await _claimed(database, user_id)
        async with database.transaction():
            await store_response(database, key_id, status=201, body=RESPONSE)

        replay = await _claim(database, user_id, at=NOW + timedelta(hours=1))

        assert Replay(status=201, body=RESPONSE) == replay

    async def test_an_error_response_is_replayed_too(self, database: PostgresDatabase) -> None:
        """A 4xx the request answered is its answer, stored and replayed like a success."""
        user_id = await _user(database)
        key_id = await _claimed(database, user_id)
        await store_response(database, key_id, status=402, body={"error": "card_declined"})

        assert Replay(status=402, body={"error": "card_declined"}) == await _claim(
            database, user_id
        )

    async def test_a_key_in_flight_is_busy(self, database: PostgresDatabase) -> None:
        """A second request while the first runs (within the stale limit) waits its turn."""
        user_id = await _user(database)
        await _claimed(database, user_id)

        claim = await _claim(database, user_id, at=NOW + STALE_AFTER - timedelta(seconds=1))

        assert InFlight() == claim

    async def test_another_request_under_the_key_in_flight_is_a_mismatch(
        self, database: PostgresDatabase
    ) -> None:
        """Reuse of a key with another body is reported even while the first runs."""
        user_id = await _user(database)
        await _claimed(database, user_id)

        assert Mismatch() == await _claim(database, user_id, fingerprint=OTHER_REQUEST)

    async def test_another_request_under_an_answered_key_is_a_mismatch(
        self, database: PostgresDatabase
    ) -> None:
        """Reuse of a key with another body is not answered with the first one's response."""
        user_id = await _user(database)
        key_id = await _claimed(database, user_id)
        await store_response(database, key_id, status=201, body=RESPONSE)

        assert Mismatch() == await _claim(database, user_id, fingerprint=OTHER_REQUEST)

    async def test_a_stale_lock_is_taken_over_with_a_new_id(
        self, database: PostgresDatabase
    ) -> None:
        """A request that held the key for ``stale_after`` without answering died: a retry
        claims the key under a new id, keeping its expiry, and the old id is dead."""
        user_id = await _user(database)
        first = await _claimed(database, user_id)
        later = NOW + STALE_AFTER

        second = await _claimed(database, user_id, at=later)

        assert first != second
        row = await database.fetch_one(
            "SELECT locked_at, expires_at FROM idempotency_keys WHERE id = $1", second
        )
        assert row is not None
        assert (later, NOW + KEY_TTL) == tuple(row.values())
        assert 1 == await _key_count(database)

    async def test_the_request_that_lost_its_stale_lock_cannot_answer(
        self, database: PostgresDatabase
    ) -> None:
        """The slow first request's store_response raises (rolling its order back); the
        new holder's answer is the one replayed."""
        user_id = await _user(database)
        first = await _claimed(database, user_id)
        second = await _claimed(database, user_id, at=NOW + STALE_AFTER)

        with pytest.raises(IdempotencyKeyLostError):
            async with database.transaction():
                await store_response(database, first, status=201, body={"order_id": 1})
        await store_response(database, second, status=201, body={"order_id": 2})

        replay = await _claim(database, user_id, at=NOW + 2 * STALE_AFTER)
        assert Replay(status=201, body={"order_id": 2}) == replay

    async def test_an_expired_key_is_claimed_as_new(self, database: PostgresDatabase) -> None:
        """At its expiry a key is new again, under a new id, whatever request it held."""
        user_id = await _user(database)
        first = await _claimed(database, user_id)
        await store_response(database, first, status=201, body=RESPONSE)
        expired = NOW + KEY_TTL

        claim = await _claim(database, user_id, at=expired, fingerprint=OTHER_REQUEST)

        assert isinstance(claim, Claimed)
        assert first != claim.key_id
        row = await database.fetch_one(
            "SELECT request_sha256, response_status, expires_at FROM idempotency_keys"
        )
        assert row is not None
        assert (OTHER_REQUEST, None, expired + KEY_TTL) == tuple(row.values())

    async def test_a_key_is_scoped_to_its_user_and_endpoint(
        self, database: PostgresDatabase
    ) -> None:
        """The same key for another user or another endpoint is another key."""
        ann, bob = await _user(database), await _user(database, "bob")
        await _claimed(database, ann)

        for_bob = await _claim(database, bob)
        for_refunds = await _claim(database, ann, endpoint="POST /api/v1/refunds")
        for_ann = await _claim(database, ann)

        assert isinstance(for_bob, Claimed)
        assert isinstance(for_refunds, Claimed)
        assert InFlight() == for_ann
        assert 3 == await _key_count(database)


class TestStoreResponse:
    async def test_unlocks_the_key(self, database: PostgresDatabase) -> None:
        """The response and its status are stored; the lock is cleared."""
        user_id = await _user(database)
        key_id = await _claimed(database, user_id)

        await store_response(database, key_id, status=201, body=RESPONSE)

        row = await database.fetch_one(
            "SELECT response_status, locked_at FROM idempotency_keys WHERE id = $1", key_id
        )
        assert row is not None
        assert (201, None) == tuple(row.values())

    async def test_commits_or_rolls_back_with_its_transaction(
        self, database: PostgresDatabase
    ) -> None:
        """A checkout that fails after storing the response leaves the key in flight."""
        user_id = await _user(database)
        key_id = await _claimed(database, user_id)

        with pytest.raises(_OrderRefusedError):
            await _checkout_failing_after_store(database, key_id)

        assert InFlight() == await _claim(database, user_id)

    async def test_a_response_is_stored_once(self, database: PostgresDatabase) -> None:
        """A second store under the same claim raises and keeps the first response."""
        user_id = await _user(database)
        key_id = await _claimed(database, user_id)
        await store_response(database, key_id, status=201, body=RESPONSE)

        with pytest.raises(IdempotencyKeyLostError):
            await store_response(database, key_id, status=500, body={"error": "late"})

        assert Replay(status=201, body=RESPONSE) == await _claim(database, user_id)

    @pytest.mark.parametrize("status", [99, 600])
    async def test_refuses_a_status_out_of_range(
        self, unconnected: PostgresDatabase, status: int
    ) -> None:
        """Not an HTTP status: ValueError before the database."""
        with pytest.raises(ValueError, match="HTTP status"):
            await store_response(unconnected, 1, status=status, body={})

    async def test_refuses_a_body_that_is_not_json(self, unconnected: PostgresDatabase) -> None:
        """NaN is not JSON: ValueError before the database."""
        with pytest.raises(ValueError, match="JSON"):
            await store_response(unconnected, 1, status=200, body={"total": float("nan")})


class TestReleaseKey:
    async def test_a_released_key_is_claimed_by_the_next_request(
        self, database: PostgresDatabase
    ) -> None:
        """After a failure that must not be replayed, the retry runs again."""
        user_id = await _user(database)
        first = await _claimed(database, user_id)

        await release_key(database, first)
        claim = await _claim(database, user_id)

        assert isinstance(claim, Claimed)
        assert 1 == await _key_count(database)

    async def test_a_stored_response_is_not_released(self, database: PostgresDatabase) -> None:
        """Releasing an answered key keeps it: its order committed with the response."""
        user_id = await _user(database)
        key_id = await _claimed(database, user_id)
        await store_response(database, key_id, status=201, body=RESPONSE)

        await release_key(database, key_id)

        assert Replay(status=201, body=RESPONSE) == await _claim(database, user_id)

    async def test_releasing_a_gone_claim_does_nothing(self, database: PostgresDatabase) -> None:
        """An unknown id is no error."""
        await release_key(database, 123456)

        assert 0 == await _key_count(database)


class TestConcurrency:
    async def test_fifty_claims_of_a_new_key_one_wins(
        self, database: PostgresDatabase, wide_pool: PostgresDatabase
    ) -> None:
        """50 requests with one new key at once: exactly one owns it, 49 are told it is
        busy, and one row exists."""
        user_id = await _user(database)

        claims = await asyncio.gather(*(_claim(wide_pool, user_id) for _ in range(50)))

        claimed = [claim for claim in claims if isinstance(claim, Claimed)]
        assert 1 == len(claimed)
        assert [InFlight()] * 49 == [claim for claim in claims if not isinstance(claim, Claimed)]
        assert 1 == await _key_count(database)

    async def test_fifty_claims_of_a_stale_key_one_takes_it_over(
        self, database: PostgresDatabase, wide_pool: PostgresDatabase
    ) -> None:
        """50 retries of a dead request at once: exactly one takes the key over."""
        user_id = await _user(database)
        dead = await _claimed(database, user_id)
        later = NOW + STALE_AFTER

        claims = await asyncio.gather(*(_claim(wide_pool, user_id, at=later) for _ in range(50)))

        claimed = [claim for claim in claims if isinstance(claim, Claimed)]
        assert 1 == len(claimed)
        assert dead != claimed[0].key_id
        assert 49 == claims.count(InFlight())

    async def test_fifty_claims_of_an_expired_key_one_wins(
        self, database: PostgresDatabase, wide_pool: PostgresDatabase
    ) -> None:
        """50 requests with an expired key at once: exactly one claims it as new."""
        user_id = await _user(database)
        old = await _claimed(database, user_id)
        await store_response(database, old, status=201, body=RESPONSE)
        expired = NOW + KEY_TTL

        claims = await asyncio.gather(*(_claim(wide_pool, user_id, at=expired) for _ in range(50)))

        assert 1 == sum(isinstance(claim, Claimed) for claim in claims)
        assert 49 == claims.count(InFlight())
        assert 1 == await _key_count(database)

    async def test_claims_racing_a_release_never_share_the_key(
        self, database: PostgresDatabase, wide_pool: PostgresDatabase
    ) -> None:
        """Claims while the holder releases: at most one of them owns the key after."""
        user_id = await _user(database)
        holder = await _claimed(database, user_id)

        results = await asyncio.gather(
            release_key(wide_pool, holder), *(_claim(wide_pool, user_id) for _ in range(20))
        )

        claims = results[1:]
        assert 1 >= sum(isinstance(claim, Claimed) for claim in claims)
        assert all(isinstance(claim, Claimed | InFlight) for claim in claims)


class TestSweep:
    async def test_deletes_only_expired_keys(self, database: PostgresDatabase) -> None:
        """Keys expired at or before the time go, with answered and in-flight alike; the
        rest stay; the count is returned."""
        user_id = await _user(database)
        for hours, key in [(0, "a"), (1, "b"), (2, "c"), (3, "d")]:
            key_id = await _claimed(database, user_id, key=key, at=NOW + timedelta(hours=hours))
            if key == "a":
                await store_response(database, key_id, status=201, body=RESPONSE)

        swept = await sweep_expired_keys(database, now=NOW + KEY_TTL + timedelta(hours=1))

        left = await database.fetch_all("SELECT key FROM idempotency_keys ORDER BY key")
        assert 2 == swept
        assert ["c", "d"] == [row["key"] for row in left]

    async def test_deletes_the_longest_expired_first_up_to_the_limit(
        self, database: PostgresDatabase
    ) -> None:
        """A batch at a time, oldest first."""
        user_id = await _user(database)
        for hours, key in [(2, "c"), (0, "a"), (1, "b")]:
            await _claimed(database, user_id, key=key, at=NOW + timedelta(hours=hours))
        later = NOW + 2 * KEY_TTL

        first = await sweep_expired_keys(database, now=later, limit=2)
        left = await database.fetch_value("SELECT key FROM idempotency_keys")
        second = await sweep_expired_keys(database, now=later, limit=2)

        assert (2, "c", 1) == (first, left, second)

    async def test_nothing_expired_is_zero(self, database: PostgresDatabase) -> None:
        """A sweep with nothing to do says so."""
        user_id = await _user(database)
        await _claimed(database, user_id)

        assert 0 == await sweep_expired_keys(database, now=NOW)

    async def test_an_order_outlives_its_swept_key(self, database: PostgresDatabase) -> None:
        """The order made under a key stays, unlinked, when the key is swept."""
        user_id = await _user(database)
        key_id = await _claimed(database, user_id)
        order_id = await database.fetch_value(
            "INSERT INTO orders (user_id, status, currency, prices_include_tax, subtotal,"
            " discount_total, shipping_total, tax_total, tax_exempted, total,"
            " idempotency_key_id, created_at, updated_at)"
            " VALUES ($1, 'pending_payment', 'EUR', true, 10, 0, 0, 0, 0, 10, $2, $3, $3)"
            " RETURNING id",
            user_id,
            key_id,
            NOW,
        )
        await store_response(database, key_id, status=201, body={"order_id": order_id})

        swept = await sweep_expired_keys(database, now=NOW + KEY_TTL)

        link = await database.fetch_value(
            "SELECT idempotency_key_id FROM orders WHERE id = $1", order_id
        )
        assert (1, None) == (swept, link)


class TestMalformedInput:
    @pytest.mark.parametrize(
        "key",
        ["", "k" * 256, "line\nbreak", "tab\there", "nul\x00", "del\x7f", "café", "\u2028"],
    )
    async def test_a_bad_key_is_refused_before_the_database(
        self, unconnected: PostgresDatabase, key: str
    ) -> None:
        """Empty, over 255 characters, or not printable ASCII: ValueError (the API's 422)."""
        with pytest.raises(ValueError, match="idempotency key"):
            await _claim(unconnected, 1, key=key)

    async def test_the_longest_key_is_accepted(self, database: PostgresDatabase) -> None:
        """255 printable characters, spaces and tildes included."""
        user_id = await _user(database)

        claim = await _claim(database, user_id, key=" ~" + "k" * 253)

        assert isinstance(claim, Claimed)

    async def test_an_empty_endpoint_is_refused(self, unconnected: PostgresDatabase) -> None:
        """A key belongs to an endpoint."""
        with pytest.raises(ValueError, match="endpoint"):
            await _claim(unconnected, 1, endpoint="")

    async def test_a_fingerprint_of_another_length_is_refused(
        self, unconnected: PostgresDatabase
    ) -> None:
        """Only SHA-256 digests."""
        with pytest.raises(ValueError, match="32 bytes"):
            await _claim(unconnected, 1, fingerprint=b"short")

    async def test_a_naive_time_is_refused(self, unconnected: PostgresDatabase) -> None:
        """Claims and sweeps need aware datetimes."""
        naive = datetime(2026, 12, 4, 12, 0)  # noqa: DTZ001 - the input under test

        with pytest.raises(ValueError, match="aware"):
            await _claim(unconnected, 1, at=naive)
        with pytest.raises(ValueError, match="aware"):
            await sweep_expired_keys(unconnected, now=naive)

    @pytest.mark.parametrize(
        ("ttl", "stale_after"), [(timedelta(0), STALE_AFTER), (KEY_TTL, timedelta(0))]
    )
    async def test_durations_must_be_positive(
        self, unconnected: PostgresDatabase, ttl: timedelta, stale_after: timedelta
    ) -> None:
        """A key that expires at once, or is stale at once, is a mistake."""
        with pytest.raises(ValueError, match="positive"):
            await claim_key(
                unconnected,
                user_id=1,
                endpoint=CHECKOUT_ENDPOINT,
                key=KEY,
                fingerprint=REQUEST,
                now=NOW,
                ttl=ttl,
                stale_after=stale_after,
            )

    async def test_a_sweep_limit_below_one_is_refused(self, unconnected: PostgresDatabase) -> None:
        """A sweep deletes at least one key per batch."""
        with pytest.raises(ValueError, match="limit"):
            await sweep_expired_keys(unconnected, now=NOW, limit=0)

    async def test_the_unconnected_pool_does_fail(self, unconnected: PostgresDatabase) -> None:
        """The tests above prove "before the database" only if a statement would fail."""
        with pytest.raises(Exception) as raised:  # noqa: PT011 - any failure but ValueError
            await unconnected.fetch_value("SELECT 1")

        assert not isinstance(raised.value, ValueError)
