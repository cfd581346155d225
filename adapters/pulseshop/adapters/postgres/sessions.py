"""Users' passwords and their signed-in sessions in PostgreSQL.

A password is stored as the argon2id hash `pulseshop.adapters.passwords` makes; this module
stores and reads the hash and never sees the password.

A session's token is 32 random bytes from `secrets`, URL-safe base64: it is returned once,
when the session starts, and only its SHA-256 is stored, as for API tokens
(`pulseshop.adapters.postgres.users`). With it comes a random CSRF secret of 32 bytes, kept
with the session. A session is valid until the first of its idle expiry, which each use
slides forward (`touch_session`) but never past the absolute one, its absolute expiry, and
its revocation. What it grants is the scopes of its user's role at the time of the lookup,
so a change of role applies to sessions already started.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Final, cast, final

import attrs

from pulseshop.core.access import ROLE_SCOPES

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.adapters.postgres.database import PostgresDatabase
    from pulseshop.core.access import Email, Role, Scope

__all__ = [
    "SessionInfo",
    "SessionTicket",
    "end_session",
    "end_user_sessions",
    "find_session",
    "password_hash_of",
    "set_password",
    "start_session",
    "sweep_expired_sessions",
    "touch_session",
]

SESSION_TOKEN_BYTES: Final = 32
"""Random bytes in a session's token."""

CSRF_SECRET_BYTES: Final = 32
"""Random bytes in a session's CSRF secret."""

SET_HASH_SQL: Final = "UPDATE users SET password_hash = $2 WHERE id = $1"

HASH_BY_EMAIL_SQL: Final = """
    SELECT id, password_hash FROM users
    WHERE email = $1 AND password_hash IS NOT NULL
"""

START_SQL: Final = """
    INSERT INTO sessions (token_sha256, user_id, csrf_secret, created_at, last_seen_at,
                          idle_expires_at, absolute_expires_at)
    VALUES ($1, $2, $3, $4, $4, $5, $6)
    RETURNING id
"""

LOOKUP_SQL: Final = """
    SELECT sessions.id, sessions.user_id, users.email, users.role, sessions.csrf_secret,
           sessions.idle_expires_at, sessions.absolute_expires_at
    FROM sessions JOIN users ON users.id = sessions.user_id
    WHERE sessions.token_sha256 = $1
      AND sessions.revoked_at IS NULL
      AND sessions.idle_expires_at > $2
      AND sessions.absolute_expires_at > $2
"""

# Times only move forward, whatever the clock of the node that touches the session says
# (revision 0007): the last use is the later of the stored one and now, and the idle
# expiry the later of the stored one and that plus ``idle``, capped by the absolute one.
TOUCH_SQL: Final = """
    UPDATE sessions
    SET last_seen_at = greatest(last_seen_at, $2),
        idle_expires_at = least(
            greatest(idle_expires_at, greatest(last_seen_at, $2) + $3::interval),
            absolute_expires_at
        )
    WHERE id = $1
      AND revoked_at IS NULL
      AND idle_expires_at > $2
      AND absolute_expires_at > greatest(last_seen_at, $2)
"""

END_SQL: Final = """
    UPDATE sessions SET revoked_at = greatest($2, created_at)
    WHERE token_sha256 = $1 AND revoked_at IS NULL
"""

END_USER_SQL: Final = """
    UPDATE sessions SET revoked_at = greatest($2, created_at)
    WHERE user_id = $1 AND revoked_at IS NULL AND idle_expires_at > $2
"""

SWEEP_SQL: Final = "DELETE FROM sessions WHERE idle_expires_at <= $1"


@final
@attrs.frozen
class SessionTicket:
    """A session just started: the token to hand to the user once, and what the session
    needs to be checked and used."""

    session_id: int
    token: str = attrs.field(repr=False)
    """The token's text; it is stored nowhere."""
    csrf_secret: bytes = attrs.field(repr=False)
    idle_expires_at: datetime
    absolute_expires_at: datetime


@final
@attrs.frozen
class SessionInfo:
    """What a valid session says about its holder, and what it lets them do."""

    session_id: int
    user_id: int
    email: str
    role: Role
    scopes: frozenset[Scope]
    """The scopes of the user's role now."""
    csrf_secret: bytes = attrs.field(repr=False)
    idle_expires_at: datetime
    absolute_expires_at: datetime


def _sha256(token_text: str) -> bytes:
    # A token that is not UTF-8-encodable (a lone surrogate) was never issued; its escaped
    # form still hashes, to a digest no session has.
    return hashlib.sha256(token_text.encode(errors="backslashreplace")).digest()


def _status_count(status: str) -> int:
    """The row count of a status tag such as ``UPDATE 3`` or ``DELETE 0``."""
    return int(status.rsplit(" ", 1)[-1])


async def set_password(database: PostgresDatabase, user_id: int, password_hash: str) -> bool:
    """Store ``password_hash`` as the user's; True when there is a user ``user_id``.

    Raises:
        asyncpg.CheckViolationError: ``password_hash`` is not an argon2id PHC string.
    """
    status = await database.execute(SET_HASH_SQL, user_id, password_hash)
    return _status_count(status) == 1


async def password_hash_of(database: PostgresDatabase, email: Email) -> tuple[int, str] | None:
    """The id and password hash of the user with ``email``; None when there is no such user
    or they have no password."""
    row = await database.fetch_one(HASH_BY_EMAIL_SQL, email)
    if row is None:
        return None
    return row["id"], row["password_hash"]


async def start_session(
    database: PostgresDatabase,
    user_id: int,
    *,
    now: datetime,
    idle: timedelta,
    absolute: timedelta,
) -> SessionTicket:
    """A new session for the user, from ``now``: it ends after ``idle`` without use, and
    after ``absolute`` whatever happens (an ``idle`` longer than ``absolute`` is cut to it).

    Raises:
        ValueError: ``idle`` or ``absolute`` is not positive.
        asyncpg.ForeignKeyViolationError: there is no user ``user_id``.
    """
    if idle <= timedelta(0) or absolute <= timedelta(0):
        raise ValueError(f"a session's lifetimes must be positive, got {idle} and {absolute}")
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    csrf_secret = secrets.token_bytes(CSRF_SECRET_BYTES)
    absolute_expires_at = now + absolute
    idle_expires_at = min(now + idle, absolute_expires_at)
    session_id = await database.fetch_value(
        START_SQL,
        _sha256(token),
        user_id,
        csrf_secret,
        now,
        idle_expires_at,
        absolute_expires_at,
    )
    return SessionTicket(
        session_id=cast("int", session_id),
        token=token,
        csrf_secret=csrf_secret,
        idle_expires_at=idle_expires_at,
        absolute_expires_at=absolute_expires_at,
    )


async def find_session(
    database: PostgresDatabase, token_text: str, *, now: datetime
) -> SessionInfo | None:
    """The session whose token is ``token_text``, with its user, at ``now``; None when it is
    unknown, revoked, or past either expiry."""
    row = await database.fetch_one(LOOKUP_SQL, _sha256(token_text), now)
    if row is None:
        return None
    role = cast("Role", row["role"])
    return SessionInfo(
        session_id=row["id"],
        user_id=row["user_id"],
        email=row["email"],
        role=role,
        scopes=ROLE_SCOPES[role],
        csrf_secret=row["csrf_secret"],
        idle_expires_at=row["idle_expires_at"],
        absolute_expires_at=row["absolute_expires_at"],
    )


async def touch_session(
    database: PostgresDatabase, session_id: int, *, now: datetime, idle: timedelta
) -> bool:
    """Record a use of the session at ``now``: its idle expiry moves to ``now + idle``, never
    past its absolute expiry and never back. True when the session was valid and touched;
    False when it is unknown, revoked or expired (it is not revived).

    Raises:
        ValueError: ``idle`` is not positive.
    """
    if idle <= timedelta(0):
        raise ValueError(f"a session's idle lifetime must be positive, got {idle}")
    status = await database.execute(TOUCH_SQL, session_id, now, idle)
    return _status_count(status) == 1


async def end_session(database: PostgresDatabase, token_text: str, *, now: datetime) -> bool:
    """Revoke the session as of ``now`` (signing out); True when it was valid or merely
    expired, False when it is unknown or was revoked already."""
    status = await database.execute(END_SQL, _sha256(token_text), now)
    return _status_count(status) == 1


async def end_user_sessions(database: PostgresDatabase, user_id: int, *, now: datetime) -> int:
    """Revoke every session of the user still valid at ``now``; how many there were."""
    status = await database.execute(END_USER_SQL, user_id, now)
    return _status_count(status)


async def sweep_expired_sessions(database: PostgresDatabase, *, now: datetime) -> int:
    """Delete the sessions over at ``now`` (idle expiry passed, which includes every
    absolute expiry passed); how many there were.

    A revoked session is kept until its idle expiry passes, as a record of the sign-out.
    """
    status = await database.execute(SWEEP_SQL, now)
    return _status_count(status)
