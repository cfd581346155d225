"""Users and their API tokens in PostgreSQL.

A token's text is `TOKEN_PREFIX` and 32 random bytes from `secrets`, URL-safe base64: it is
shown once, when issued, and only its SHA-256 is stored, so a copy of the database holds no
usable token. Random tokens of that length need no slow, salted hash: nobody can guess one
from its digest.

A token grants the scopes it was issued with that its user's role still holds
(`pulseshop.core.access.effective_scopes`), until it expires or is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Final, cast, final

import attrs

from pulseshop.core.access import effective_scopes, is_scope

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from datetime import datetime

    from pulseshop.adapters.postgres.database import PostgresDatabase
    from pulseshop.core.access import Email, Role, Scope

__all__ = [
    "TOKEN_PREFIX",
    "TokenInfo",
    "User",
    "emails_of",
    "ensure_user",
    "find_token",
    "issue_token",
    "revoke_token",
    "token_sha256",
]

TOKEN_PREFIX: Final = "psk_"  # noqa: S105 - a public marker, not a secret
"""How every token's text starts, so that a token pasted somewhere it should not be is
easy to recognise (and to search for)."""

TOKEN_BYTES: Final = 32
"""Random bytes in a token."""

ENSURE_USER_SQL: Final = """
    INSERT INTO users (email, role) VALUES ($1, $2)
    ON CONFLICT (email) DO UPDATE SET role = EXCLUDED.role
    RETURNING id, email, role, created_at
"""

ISSUE_SQL: Final = """
    INSERT INTO api_tokens (user_id, token_sha256, scopes, created_at, expires_at)
    VALUES ($1, $2, $3, $4, $5)
"""

LOOKUP_SQL: Final = """
    SELECT api_tokens.user_id, users.email, users.role, api_tokens.scopes,
           api_tokens.expires_at
    FROM api_tokens JOIN users ON users.id = api_tokens.user_id
    WHERE api_tokens.token_sha256 = $1
      AND api_tokens.revoked_at IS NULL
      AND api_tokens.expires_at > $2
"""

REVOKE_SQL: Final = """
    UPDATE api_tokens SET revoked_at = $2
    WHERE token_sha256 = $1 AND revoked_at IS NULL
"""


@final
@attrs.frozen
class User:
    """A user as stored: the email is lower-cased."""

    id: int
    email: str
    role: Role
    created_at: datetime


@final
@attrs.frozen
class TokenInfo:
    """What a valid token says about its holder, and what it lets them do."""

    user_id: int
    email: str
    role: Role
    scopes: frozenset[Scope]
    """The scopes the token grants now: those it was issued with that the role holds."""
    expires_at: datetime


def token_sha256(token_text: str) -> bytes:
    """The digest a token is stored and looked up by."""
    return hashlib.sha256(token_text.encode()).digest()


async def ensure_user(database: PostgresDatabase, email: Email, role: Role) -> User:
    """The user with ``email``, created with ``role`` if there is none.

    An existing user gets ``role`` when they had another one: the role given last wins, so
    issuing a staff token to a customer makes them staff, and issuing a customer token to
    a staff member takes their staff scopes away from every token they hold
    (`TokenInfo.scopes`).
    """
    row = await database.fetch_one(ENSURE_USER_SQL, email, role)
    if row is None:  # pragma: no cover - INSERT ... RETURNING returns the row it wrote
        raise AssertionError("the user was not returned")
    return User(
        id=row["id"],
        email=row["email"],
        role=cast("Role", row["role"]),
        created_at=row["created_at"],
    )


async def issue_token(
    database: PostgresDatabase,
    user_id: int,
    scopes: Collection[str],
    *,
    now: datetime,
    ttl: timedelta,
) -> str:
    """A new token for the user, valid from ``now`` for ``ttl``; returns its text, which
    is stored nowhere.

    Raises:
        ValueError: ``scopes`` is empty or holds a text that is not a scope, or ``ttl`` is
            not positive.
        asyncpg.ForeignKeyViolationError: there is no user ``user_id``.
    """
    if not scopes or not all(is_scope(scope) for scope in scopes):
        raise ValueError(f"a token needs one or more scopes, got {sorted(scopes)!r}")
    if ttl <= timedelta(0):
        raise ValueError(f"a token's lifetime must be positive, got {ttl}")
    token_text = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    await database.execute(
        ISSUE_SQL, user_id, token_sha256(token_text), sorted(set(scopes)), now, now + ttl
    )
    return token_text


async def find_token(
    database: PostgresDatabase, token_text: str, *, now: datetime
) -> TokenInfo | None:
    """Who holds the token and what it grants at ``now``; None when it is unknown,
    expired or revoked."""
    if not token_text.startswith(TOKEN_PREFIX):
        return None
    row = await database.fetch_one(LOOKUP_SQL, token_sha256(token_text), now)
    if row is None:
        return None
    role = cast("Role", row["role"])
    return TokenInfo(
        user_id=row["user_id"],
        email=row["email"],
        role=role,
        scopes=effective_scopes(role, row["scopes"]),
        expires_at=row["expires_at"],
    )


async def revoke_token(database: PostgresDatabase, token_text: str, *, now: datetime) -> bool:
    """Revoke the token as of ``now``; True when it was valid or merely expired, False when
    it is unknown or was revoked already."""
    status = await database.execute(REVOKE_SQL, token_sha256(token_text), now)
    # The server's status tag says "UPDATE <rows>".
    return status != "UPDATE 0"


async def emails_of(database: PostgresDatabase, user_ids: Iterable[int]) -> dict[int, str]:
    """The email of each of the users ``user_ids`` (an id of no user is left out)."""
    rows = await database.fetch_all(
        "SELECT id, email FROM users WHERE id = ANY($1::bigint[])", sorted(set(user_ids))
    )
    return {row["id"]: row["email"] for row in rows}
