"""Idempotency keys in PostgreSQL, with Stripe's semantics.

A client sends ``Idempotency-Key`` with a request that must happen once (checkout). The key
belongs to the user and the endpoint, and lives 24 hours from its first use. The first
request with a key claims it and runs; when it has answered, its response is stored with
what it did, in the same transaction, and every later request with the same key and the same
request (`request_fingerprint`) gets that response again instead of running. A claim
(`claim_key`) answers one of:

- `Claimed`: this request owns the key and runs. The key was new, or had expired (the old
  row is deleted and a new one written; an order made under it keeps its data and loses the
  link), or its holder's lock is ``stale_after`` old with no response stored: that request
  died, and its claim is taken over.
- `Mismatch`: the key was used with another request. Checked first, so a reused key is
  reported as such whether or not its first request has answered.
- `Replay`: the response is stored; answer it again.
- `InFlight`: another request holds the key now.

**Concurrency.** A claim is a short transaction of its own and commits before the request
runs, so other requests see it. ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` decides who
is first: of any number of concurrent inserts of one new key, the server lets exactly one
write the row, and the others wait for it to commit and then insert nothing. Those then read
the row with ``FOR UPDATE``, so that deciding on it (and taking it over, or replacing it)
is done by one claimer at a time. A row gone between the two statements (released, swept,
or replaced) makes the claim start again.

**Fencing.** A takeover gives the claim a new id (``UPDATE ... SET id = DEFAULT``): the id
is the holder's token. A request that was only slow, not dead, then finds its id gone:
`store_response` raises `IdempotencyKeyLostError` inside its checkout transaction, which
rolls its order back, so one key never makes two orders.

`claim_key` and `release_key` must run outside any transaction of the caller's (inside one
they would become savepoints and not commit); `store_response` runs inside the checkout's.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Final, TypeAlias, final

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from pulseshop.adapters.postgres.database import CopyTransaction, PostgresDatabase, Row

__all__ = [
    "CHECKOUT_ENDPOINT",
    "KEY_TTL",
    "MAX_KEY_LENGTH",
    "STALE_AFTER",
    "Claim",
    "Claimed",
    "IdempotencyKeyLostError",
    "InFlight",
    "Mismatch",
    "Replay",
    "claim_key",
    "release_key",
    "request_fingerprint",
    "store_response",
    "sweep_expired_keys",
]

CHECKOUT_ENDPOINT: Final = "POST /api/v1/checkout"
"""The endpoint checkout's keys are scoped to."""

KEY_TTL: Final = timedelta(hours=24)
"""How long a key lives after its first use."""

STALE_AFTER: Final = timedelta(seconds=60)
"""How old a lock without a response is when its request is taken to have died."""

MAX_KEY_LENGTH: Final = 255
"""The longest key, in characters (revision 0005's CHECK)."""

SHA256_BYTES: Final = 32

# How many times a claim starts again when the row it conflicted with is gone before it
# could read it. Each restart means another claimer committed in between.
MAX_CLAIM_ATTEMPTS: Final = 5

INSERT_KEY_SQL: Final = """
    INSERT INTO idempotency_keys (user_id, endpoint, key, request_sha256, locked_at,
                                  created_at, expires_at)
    VALUES ($1, $2, $3, $4, $5, $5, $6)
    ON CONFLICT (user_id, endpoint, key) DO NOTHING
    RETURNING id
"""

# jsonb is read as text, whatever codecs the connection has, and parsed here.
LOCK_KEY_SQL: Final = """
    SELECT id, request_sha256, response_status, response_body::text AS response_body,
           locked_at, expires_at
    FROM idempotency_keys
    WHERE user_id = $1 AND endpoint = $2 AND key = $3
    FOR UPDATE
"""

DELETE_KEY_SQL: Final = "DELETE FROM idempotency_keys WHERE id = $1"

# A new id fences off the request that held the claim before (see the module's docstring).
TAKE_OVER_SQL: Final = """
    UPDATE idempotency_keys SET id = DEFAULT, locked_at = $2
    WHERE id = $1
    RETURNING id
"""

STORE_RESPONSE_SQL: Final = """
    UPDATE idempotency_keys
    SET response_status = $2, response_body = $3::jsonb, locked_at = NULL
    WHERE id = $1 AND response_status IS NULL
"""

# A stored response stays: the order it answered for has committed with it.
RELEASE_KEY_SQL: Final = "DELETE FROM idempotency_keys WHERE id = $1 AND response_status IS NULL"

# SKIP LOCKED: a key a claim is deciding on now is left to the next sweep.
SWEEP_SQL: Final = """
    DELETE FROM idempotency_keys WHERE id IN (
        SELECT id FROM idempotency_keys WHERE expires_at <= $1
        ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
    )
"""


@final
@attrs.frozen
class Claimed:
    """This request owns the key; ``key_id`` is its token for `store_response` and
    `release_key`."""

    key_id: int


@final
@attrs.frozen
class Replay:
    """The key's request has answered: answer ``status`` and ``body`` again."""

    status: int
    # A dict holds the JSON object; it takes no part in the hash (it cannot).
    body: Mapping[str, object] = attrs.field(hash=False)


@final
@attrs.frozen
class InFlight:
    """Another request holds the key now (HTTP 409; the client retries later)."""


@final
@attrs.frozen
class Mismatch:
    """The key was used with a different request (HTTP 422)."""


Claim: TypeAlias = Claimed | Replay | InFlight | Mismatch


@final
class IdempotencyKeyLostError(Exception):
    """The claim is no longer this request's: it was taken over, released, swept, or has a
    response already. The transaction it was raised in must roll back."""


def request_fingerprint(method: str, path: str, body: bytes) -> bytes:
    """The SHA-256 of a request, for telling a retry from another request under one key.

    A body that is JSON counts by its value: canonical JSON with sorted keys, so whitespace
    and the order of keys do not change the fingerprint. Any other body counts by its bytes.
    ``method`` and ``path`` (with its query string, if any) count as given.
    """
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        kind, payload = "bytes", body
    else:
        kind = "json"
        payload = json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    # A JSON array is an unambiguous header: no method or path can run into the payload.
    header = json.dumps([method, path, kind]).encode()
    return hashlib.sha256(header + b"\n" + payload).digest()


def _check_key(endpoint: str, key: str, fingerprint: bytes) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        raise ValueError(
            "an idempotency key is 1 to 255 printable ASCII characters, got "
            f"{len(key)} characters {key[:40]!r}"
        )
    if not endpoint:
        raise ValueError("an idempotency key needs an endpoint")
    if len(fingerprint) != SHA256_BYTES:
        raise ValueError(f"a request fingerprint is 32 bytes, got {len(fingerprint)}")


def _check_time(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")


async def claim_key(
    database: PostgresDatabase,
    *,
    user_id: int,
    endpoint: str,
    key: str,
    fingerprint: bytes,
    now: datetime,
    ttl: timedelta = KEY_TTL,
    stale_after: timedelta = STALE_AFTER,
) -> Claim:
    """Claim ``key`` of the user at ``endpoint`` for the request with ``fingerprint``.

    Commits before it returns (see the module's docstring for the answers). A new key
    expires at ``now + ttl``; a taken-over one keeps its expiry and gets a new id.

    Raises:
        ValueError: the key is empty, longer than 255 characters or not printable ASCII,
            the endpoint is empty, the fingerprint is not 32 bytes, ``now`` is naive, or
            ``ttl`` or ``stale_after`` is not positive; all before touching the database.
        asyncpg.ForeignKeyViolationError: there is no user ``user_id``.
    """
    _check_key(endpoint, key, fingerprint)
    _check_time("now", now)
    if ttl <= timedelta(0) or stale_after <= timedelta(0):
        raise ValueError(f"ttl and stale_after must be positive, got {ttl} and {stale_after}")
    async with database.transaction():
        for _ in range(MAX_CLAIM_ATTEMPTS):
            key_id = await database.fetch_value(
                INSERT_KEY_SQL, user_id, endpoint, key, fingerprint, now, now + ttl
            )
            if key_id is not None:
                return Claimed(key_id)
            row = await database.fetch_one(LOCK_KEY_SQL, user_id, endpoint, key)
            if row is None:
                continue  # Released or swept since the insert saw it: try again.
            if row["expires_at"] <= now:
                # Replaced by a new row (a new id): orders keep no link to a new request.
                await database.execute(DELETE_KEY_SQL, row["id"])
                continue
            return await _decide(database, row, fingerprint, now, stale_after)
    # Claimers kept committing and releasing the key in between: it is busy.
    return InFlight()  # pragma: no cover - needs that interleaving five times over


async def _decide(
    database: PostgresDatabase,
    row: Row,
    fingerprint: bytes,
    now: datetime,
    stale_after: timedelta,
) -> Claim:
    """The answer for a live key's row, locked by this transaction."""
    if bytes(row["request_sha256"]) != fingerprint:
        return Mismatch()
    if row["response_status"] is not None:
        return Replay(status=row["response_status"], body=json.loads(row["response_body"]))
    locked_at: datetime | None = row["locked_at"]
    if locked_at is not None and now < locked_at + stale_after:
        return InFlight()
    key_id = await database.fetch_value(TAKE_OVER_SQL, row["id"], now)
    return Claimed(key_id)


async def store_response(
    database: PostgresDatabase | CopyTransaction,
    key_id: int,
    *,
    status: int,
    body: Mapping[str, object],
) -> None:
    """Store the response of the claim ``key_id`` and unlock it; later requests with its
    key replay it.

    Run it inside the transaction that writes what the request did, so that both commit
    together or neither does.

    Raises:
        ValueError: ``status`` is not between 100 and 599, or ``body`` holds a NaN or an
            infinity.
        TypeError: ``body`` holds a value of a type JSON cannot represent.
        IdempotencyKeyLostError: the claim is not this request's any more (roll back).
    """
    if not 100 <= status <= 599:
        raise ValueError(f"an HTTP status is between 100 and 599, got {status}")
    document = json.dumps(dict(body), separators=(",", ":"), allow_nan=False)
    outcome = await database.execute(STORE_RESPONSE_SQL, key_id, status, document)
    # The server's status tag says "UPDATE <rows>".
    if outcome == "UPDATE 0":
        raise IdempotencyKeyLostError(f"idempotency key {key_id} is no longer claimed")


async def release_key(database: PostgresDatabase, key_id: int) -> None:
    """Give up the claim ``key_id``, so that a retry with its key runs again.

    For a request that failed in a way that must not be replayed (a 5xx, a gateway
    timeout). A claim with a stored response is kept: its order has committed. Releasing a
    claim that is gone does nothing.
    """
    await database.execute(RELEASE_KEY_SQL, key_id)


async def sweep_expired_keys(
    database: PostgresDatabase, *, now: datetime, limit: int = 1000
) -> int:
    """Delete at most ``limit`` keys expired at or before ``now``, the longest expired
    first; returns how many were deleted. Orders made under them stay, unlinked.

    Raises:
        ValueError: ``now`` is naive or ``limit`` is not positive.
    """
    _check_time("now", now)
    if limit < 1:
        raise ValueError(f"a sweep deletes one key or more, got a limit of {limit}")
    outcome = await database.execute(SWEEP_SQL, now, limit)
    # The server's status tag says "DELETE <rows>".
    return int(outcome.rsplit(" ", 1)[-1])
