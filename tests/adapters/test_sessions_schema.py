"""The password column of users and the sessions table (revision 0007)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import asyncpg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from pulseshop.adapters.passwords import hash_password
from pulseshop.adapters.postgres import head_revision, sessions, upgrade_to_head
from pulseshop.adapters.postgres.migrations import SCRIPT_LOCATION
from tests.support.postgres import create_database, drop_database

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl

pytestmark = pytest.mark.integration

NOW: Final = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
HOUR: Final = timedelta(hours=1)
HASH: Final = hashlib.sha256(b"session").digest()
SECRET: Final = bytes(range(32))

INSERT_SESSION: Final = """
    INSERT INTO sessions (token_sha256, user_id, csrf_secret, created_at, last_seen_at,
                          idle_expires_at, absolute_expires_at, revoked_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""


async def _user(database: PostgresDatabase, email: str = "ann@example.com") -> int:
    user_id = await database.fetch_value(
        "INSERT INTO users (email, role) VALUES ($1, 'customer') RETURNING id", email
    )
    assert isinstance(user_id, int)
    return user_id


async def _refusal(database: PostgresDatabase, sql: str, *args: object) -> str | None:
    """The CHECK that refuses the statement, or None when it is accepted."""
    try:
        await database.execute(sql, *args)
    except asyncpg.CheckViolationError as error:
        return error.constraint_name
    return None


class TestPasswordHash:
    async def test_a_user_has_no_password_by_default(self, database: PostgresDatabase) -> None:
        """NULL: a user of API tokens only."""
        user_id = await _user(database)

        assert (
            await database.fetch_value("SELECT password_hash FROM users WHERE id = $1", user_id)
            is None
        )

    async def test_accepts_an_argon2id_hash(self, database: PostgresDatabase) -> None:
        """The PHC string argon2-cffi writes is accepted as it is."""
        user_id = await _user(database)
        sql = "UPDATE users SET password_hash = $2 WHERE id = $1"

        assert await _refusal(database, sql, user_id, hash_password("a long password")) is None

    @pytest.mark.parametrize(
        "password_hash",
        [
            "",
            "a long password",
            "$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
            "$argon2d$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
            "$2b$12$abcdefghijklmnopqrstuv",
            "argon2id$v=19",
            " $argon2id$v=19",
            "$ARGON2ID$v=19",
        ],
    )
    async def test_refuses_what_is_not_an_argon2id_hash(
        self, database: PostgresDatabase, password_hash: str
    ) -> None:
        """A password in clear, another algorithm, or a mangled prefix."""
        user_id = await _user(database)
        sql = "UPDATE users SET password_hash = $2 WHERE id = $1"

        assert "users_password_hash_argon2id" == await _refusal(
            database, sql, user_id, password_hash
        )


def _session(owner: int, **changes: object) -> tuple[object, ...]:
    """The arguments of `INSERT_SESSION` for a good session of user ``owner``, with
    ``changes``."""
    values: dict[str, object] = {
        "token_sha256": HASH,
        "user_id": owner,
        "csrf_secret": SECRET,
        "created_at": NOW,
        "last_seen_at": NOW,
        "idle_expires_at": NOW + HOUR,
        "absolute_expires_at": NOW + 12 * HOUR,
        "revoked_at": None,
    } | changes
    return tuple(values.values())


class TestSessions:
    async def test_accepts_a_good_session(self, database: PostgresDatabase) -> None:
        """Created now, seen now, idle expiry before the absolute one, not revoked."""
        user_id = await _user(database)

        assert await _refusal(database, INSERT_SESSION, *_session(user_id)) is None

    async def test_accepts_an_idle_expiry_at_the_absolute_one(
        self, database: PostgresDatabase
    ) -> None:
        """A session slid to the end of its life."""
        user_id = await _user(database)
        row = _session(user_id, idle_expires_at=NOW + HOUR, absolute_expires_at=NOW + HOUR)

        assert await _refusal(database, INSERT_SESSION, *row) is None

    @pytest.mark.parametrize(
        ("changes", "constraint"),
        [
            ({"token_sha256": HASH[:31]}, "sessions_token_sha256_length"),
            ({"token_sha256": HASH + b"\0"}, "sessions_token_sha256_length"),
            ({"token_sha256": b""}, "sessions_token_sha256_length"),
            ({"csrf_secret": SECRET[:16]}, "sessions_csrf_secret_length"),
            ({"csrf_secret": SECRET * 2}, "sessions_csrf_secret_length"),
            ({"last_seen_at": NOW - HOUR}, "sessions_seen_after_created"),
            ({"idle_expires_at": NOW}, "sessions_idle_expires_after_seen"),
            (
                {"last_seen_at": NOW + HOUR, "idle_expires_at": NOW + HOUR / 2},
                "sessions_idle_expires_after_seen",
            ),
            ({"absolute_expires_at": NOW + HOUR / 2}, "sessions_idle_expires_by_absolute"),
            ({"revoked_at": NOW - HOUR}, "sessions_revoked_after_created"),
        ],
    )
    async def test_refuses_a_bad_session(
        self,
        database: PostgresDatabase,
        changes: dict[str, object],
        constraint: str,
    ) -> None:
        """Hash or secret not 32 bytes, times out of order, revoked before it began."""
        user_id = await _user(database)

        assert constraint == await _refusal(database, INSERT_SESSION, *_session(user_id, **changes))

    @pytest.mark.parametrize(
        "column",
        [
            "token_sha256",
            "user_id",
            "csrf_secret",
            "created_at",
            "last_seen_at",
            "idle_expires_at",
            "absolute_expires_at",
        ],
    )
    async def test_refuses_a_missing_value(self, database: PostgresDatabase, column: str) -> None:
        """Every column but revoked_at is required."""
        user_id = await _user(database)

        with pytest.raises(asyncpg.NotNullViolationError):
            await database.execute(INSERT_SESSION, *_session(user_id, **{column: None}))

    async def test_one_session_per_token(self, database: PostgresDatabase) -> None:
        """Two sessions cannot share a token's hash."""
        user_id = await _user(database)
        await database.execute(INSERT_SESSION, *_session(user_id))

        with pytest.raises(asyncpg.UniqueViolationError):
            await database.execute(INSERT_SESSION, *_session(user_id))

    async def test_a_session_needs_a_user(self, database: PostgresDatabase) -> None:
        """No session for a user id that does not exist."""
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await database.execute(INSERT_SESSION, *_session(404))

    async def test_deleting_a_user_deletes_their_sessions(self, database: PostgresDatabase) -> None:
        """ON DELETE CASCADE; another user's session stays."""
        ann = await _user(database)
        bob = await _user(database, "bob@example.com")
        await database.execute(INSERT_SESSION, *_session(ann))
        await database.execute(
            INSERT_SESSION, *_session(bob, token_sha256=hashlib.sha256(b"bob").digest())
        )

        await database.execute("DELETE FROM users WHERE id = $1", ann)

        assert [bob] == [
            row["user_id"] for row in await database.fetch_all("SELECT user_id FROM sessions")
        ]


class TestIndexes:
    """Each statement the session store runs can find its rows through an index."""

    @pytest.mark.parametrize(
        ("sql", "args", "index"),
        [
            (sessions.LOOKUP_SQL, (HASH, NOW), "sessions_token_sha256_key"),
            (sessions.END_SQL, (HASH, NOW), "sessions_token_sha256_key"),
            (sessions.TOUCH_SQL, (1, NOW, HOUR), "sessions_pkey"),
            (sessions.END_USER_SQL, (1, NOW), "sessions_user_id"),
            (sessions.SWEEP_SQL, (NOW,), "sessions_idle_expires_at"),
            ("SELECT FROM sessions WHERE user_id = $1", (1,), "sessions_user_id"),
            (sessions.HASH_BY_EMAIL_SQL, ("ann@example.com",), "users_email_key"),
            (sessions.SET_HASH_SQL, (1, None), "users_pkey"),
        ],
    )
    async def test_statement_uses_an_index(
        self, database: PostgresDatabase, sql: str, args: tuple[object, ...], index: str
    ) -> None:
        """With sequential scans made as costly as they get, the plan names the index."""
        async with database.transaction():
            await database.execute("SET LOCAL enable_seqscan = off")
            plan = await database.fetch_value(f"EXPLAIN (FORMAT JSON) {sql}", *args)

        assert f'"Index Name": "{index}"' in plan


async def _downgrade_to_0006(url: PostgresUrl) -> None:
    """Run alembic's downgrade on ``url`` the way `upgrade_to_head` runs its upgrade."""

    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", SCRIPT_LOCATION)
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")

    engine = create_async_engine(url.for_sqlalchemy, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def _shape(url: PostgresUrl) -> tuple[bool, bool]:
    """Whether the sessions table and the users.password_hash column exist."""
    connection = await asyncpg.connect(url.text)
    try:
        table = await connection.fetchval("SELECT to_regclass('sessions') IS NOT NULL")
        column = await connection.fetchval(
            "SELECT count(*) = 1 FROM pg_attribute WHERE attrelid = 'users'::regclass "
            "AND attname = 'password_hash' AND NOT attisdropped"
        )
    finally:
        await connection.close()
    return bool(table), bool(column)


class TestDowngrade:
    async def test_down_to_0006_drops_them_and_up_again_restores_them(
        self, postgres_server_url: PostgresUrl
    ) -> None:
        """Downgrading removes the sessions table and the password column, keeping the
        users; upgrading creates them again."""
        url = await create_database(postgres_server_url, prefix="pulseshop_0007")
        try:
            await upgrade_to_head(url)
            connection = await asyncpg.connect(url.text)
            try:
                await connection.execute(
                    "INSERT INTO users (email, role, password_hash) "
                    "VALUES ('ann@example.com', 'customer', $1)",
                    hash_password("a long password"),
                )
            finally:
                await connection.close()
            at_head = await _shape(url)
            await _downgrade_to_0006(url)
            at_0006 = await _shape(url)
            connection = await asyncpg.connect(url.text)
            try:
                users = await connection.fetchval("SELECT count(*) FROM users")
            finally:
                await connection.close()
            again = await upgrade_to_head(url)
            restored = await _shape(url)
        finally:
            await drop_database(postgres_server_url, url)

        assert (True, True) == at_head == restored
        assert (False, False) == at_0006
        assert 1 == users
        assert ("0006", head_revision()) == again
