"""The CHECK constraints and indexes of users, api_tokens and carts (revision 0004)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import asyncpg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from pulseshop.adapters.postgres import carts, head_revision, upgrade_to_head, users
from pulseshop.adapters.postgres.migrations import SCRIPT_LOCATION
from pulseshop.core.access import MAX_EMAIL, ROLES, SCOPE_PATTERN, parse_email
from tests.support.postgres import create_database, drop_database

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl

pytestmark = pytest.mark.integration

NOW: Final = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
HASH: Final = hashlib.sha256(b"token").digest()

NEW_TABLES: Final = ("users", "api_tokens", "carts")
# The values of the core that revision 0004 wrote into CHECK constraints.
ACCESS_RULES_OF_0004: Final = (("customer", "staff", "admin"), "^[a-z]+:[a-z]+$", 254)


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


class TestPins:
    def test_the_core_rules_are_those_0004_was_written_with(self) -> None:
        """A change to these values needs a new migration that replaces the CHECKs holding
        them (databases already at 0004 keep the old ones); then update this pin."""
        assert ACCESS_RULES_OF_0004 == (ROLES, SCOPE_PATTERN, MAX_EMAIL)


class TestUsers:
    @pytest.mark.parametrize(
        ("email", "constraint"),
        [
            ("Ann@example.com", "users_email_lower_case"),
            ("ann.example.com", "users_email_format"),
            ("@example.com", "users_email_format"),
            ("ann@", "users_email_format"),
            ("ann@lee@example.com", "users_email_format"),
            ("ann lee@example.com", "users_email_format"),
            ("ann@example.com\n", "users_email_format"),
            ("a" * (MAX_EMAIL - 1) + "@x", "users_email_length"),
        ],
    )
    async def test_refuses_a_bad_email(
        self, database: PostgresDatabase, email: str, constraint: str
    ) -> None:
        """Upper case, no or two @, an empty side, a space, a newline or too many characters."""
        sql = "INSERT INTO users (email, role) VALUES ($1, 'customer')"

        assert constraint == await _refusal(database, sql, email)

    @pytest.mark.parametrize(
        "text",
        [
            "ann@example.com",
            "ZOË@EXÄMPLE.DE",
            "a+b.c-d_e@sub.example.co.uk",
            "\u0130@x",  # lower-cases to two characters
            "a" * (MAX_EMAIL - 2) + "@x",
        ],
    )
    async def test_accepts_what_the_core_accepts(
        self, database: PostgresDatabase, text: str
    ) -> None:
        """Every address `parse_email` returns fits the table."""
        email = parse_email(text).unwrap()
        sql = "INSERT INTO users (email, role) VALUES ($1, 'customer')"

        assert await _refusal(database, sql, email) is None

    async def test_refuses_an_unknown_role(self, database: PostgresDatabase) -> None:
        """Only the core's roles are stored."""
        sql = "INSERT INTO users (email, role) VALUES ('ann@example.com', 'owner')"

        assert "users_role_known" == await _refusal(database, sql)

    async def test_one_user_per_email(self, database: PostgresDatabase) -> None:
        """The same address twice is refused."""
        await _user(database)

        with pytest.raises(asyncpg.UniqueViolationError):
            await _user(database)


class TestApiTokens:
    SQL: Final = (
        "INSERT INTO api_tokens (user_id, token_sha256, scopes, created_at, expires_at) "
        "VALUES ($1, $2, $3, $4, $5)"
    )

    @pytest.mark.parametrize(
        ("scopes", "constraint"),
        [
            ([], "api_tokens_scopes_not_empty"),
            (["Cart:read"], "api_tokens_scopes_format"),
            (["cart"], "api_tokens_scopes_format"),
            (["cart:read", "cart:write:all"], "api_tokens_scopes_format"),
            (["cart:read", "cart read"], "api_tokens_scopes_format"),
            (["cart:read", ""], "api_tokens_scopes_format"),
            (["cart:read", None], "api_tokens_scopes_format"),
            (["cart:read\n"], "api_tokens_scopes_format"),
        ],
    )
    async def test_refuses_bad_scopes(
        self, database: PostgresDatabase, scopes: list[str | None], constraint: str
    ) -> None:
        """No scope at all, or any one element not of the form `resource:action`."""
        user_id = await _user(database)
        expires = NOW + timedelta(days=1)

        assert constraint == await _refusal(database, self.SQL, user_id, HASH, scopes, NOW, expires)

    async def test_refuses_a_two_dimensional_array(self, database: PostgresDatabase) -> None:
        """Scopes are a flat list."""
        user_id = await _user(database)
        sql = (
            "INSERT INTO api_tokens (user_id, token_sha256, scopes, expires_at) "
            "VALUES ($1, $2, '{{cart:read},{cart:write}}', now() + interval '1 day')"
        )

        assert "api_tokens_scopes_format" == await _refusal(database, sql, user_id, HASH)

    async def test_accepts_several_good_scopes(self, database: PostgresDatabase) -> None:
        """A list of well-formed scopes is stored."""
        user_id = await _user(database)
        scopes = ["cart:read", "cart:write", "orders:all"]

        refusal = await _refusal(
            database, self.SQL, user_id, HASH, scopes, NOW, NOW + timedelta(days=1)
        )

        assert refusal is None

    @pytest.mark.parametrize("digest", [HASH[:31], HASH + b"\0", b""])
    async def test_refuses_a_hash_that_is_not_32_bytes(
        self, database: PostgresDatabase, digest: bytes
    ) -> None:
        """Only a SHA-256 digest fits."""
        user_id = await _user(database)
        expires = NOW + timedelta(days=1)
        refusal = await _refusal(database, self.SQL, user_id, digest, ["cart:read"], NOW, expires)

        assert "api_tokens_token_sha256_length" == refusal

    @pytest.mark.parametrize("lifetime", [timedelta(0), timedelta(seconds=-1)])
    async def test_refuses_a_token_that_expires_when_created(
        self, database: PostgresDatabase, lifetime: timedelta
    ) -> None:
        """A token lives for some time."""
        user_id = await _user(database)
        refusal = await _refusal(
            database, self.SQL, user_id, HASH, ["cart:read"], NOW, NOW + lifetime
        )

        assert "api_tokens_expires_after_created" == refusal


class TestCarts:
    SQL: Final = (
        "INSERT INTO carts (user_id, version, snapshot, owner_node, epoch, updated_at, "
        "expires_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)"
    )

    async def _refusal(
        self,
        database: PostgresDatabase,
        *,
        version: int = 1,
        snapshot: str = "{}",
        owner_node: str | None = None,
        epoch: int = 0,
        lifetime: timedelta = timedelta(days=1),
    ) -> str | None:
        user_id = await _user(database)
        return await _refusal(
            database, self.SQL, user_id, version, snapshot, owner_node, epoch, NOW, NOW + lifetime
        )

    async def test_accepts_a_good_cart(self, database: PostgresDatabase) -> None:
        """A cart at version 0 or above with an object snapshot is stored."""
        snapshot = json.dumps({"lines": [{"sku": "MUG-1", "quantity": 2}]})

        assert await self._refusal(database, version=0, snapshot=snapshot) is None

    async def test_refuses_a_negative_version(self, database: PostgresDatabase) -> None:
        """Versions count up from 0."""
        assert "carts_version_range" == await self._refusal(database, version=-1)

    @pytest.mark.parametrize("snapshot", ["[]", '"cart"', "1", "null", "true"])
    async def test_refuses_a_snapshot_that_is_not_an_object(
        self, database: PostgresDatabase, snapshot: str
    ) -> None:
        """A snapshot is a JSON object."""
        assert "carts_snapshot_object" == await self._refusal(database, snapshot=snapshot)

    async def test_refuses_a_negative_epoch(self, database: PostgresDatabase) -> None:
        """Epochs count up from 0."""
        assert "carts_epoch_range" == await self._refusal(database, epoch=-1)

    async def test_refuses_an_empty_owner_node(self, database: PostgresDatabase) -> None:
        """A node has a name; no owner is NULL."""
        assert "carts_owner_node_not_empty" == await self._refusal(database, owner_node="")

    async def test_refuses_a_cart_that_expires_when_saved(self, database: PostgresDatabase) -> None:
        """A cart is kept for some time after its last save."""
        refusal = await self._refusal(database, lifetime=timedelta(0))

        assert "carts_expires_after_updated" == refusal


class TestForeignKeys:
    async def test_deleting_a_user_deletes_their_tokens_and_cart(
        self, database: PostgresDatabase
    ) -> None:
        """Tokens and the cart belong to the user."""
        user_id = await _user(database)
        await database.execute(
            TestApiTokens.SQL, user_id, HASH, ["cart:read"], NOW, NOW + timedelta(1)
        )
        await database.execute(
            TestCarts.SQL, user_id, 1, "{}", None, 0, NOW, NOW + timedelta(days=1)
        )

        await database.execute("DELETE FROM users WHERE id = $1", user_id)

        assert 0 == await database.fetch_value("SELECT count(*) FROM api_tokens")
        assert 0 == await database.fetch_value("SELECT count(*) FROM carts")

    async def test_a_token_needs_a_user(self, database: PostgresDatabase) -> None:
        """No token for a user that does not exist."""
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await database.execute(
                TestApiTokens.SQL, 404, HASH, ["cart:read"], NOW, NOW + timedelta(1)
            )


class TestIndexes:
    """Each statement the stores run can find its rows through an index."""

    @pytest.mark.parametrize(
        ("sql", "args", "index"),
        [
            (users.LOOKUP_SQL, (HASH, NOW), "api_tokens_token_sha256_key"),
            (users.REVOKE_SQL, (HASH, NOW), "api_tokens_token_sha256_key"),
            ("DELETE FROM users WHERE id = $1", (1,), "users_pkey"),
            ("SELECT FROM api_tokens WHERE user_id = $1", (1,), "api_tokens_user_id"),
            (carts.LOAD_CART_SQL, (1,), "carts_pkey"),
            (
                carts.UPDATE_CART_SQL,
                (1, 2, "{}", None, NOW, NOW + timedelta(1), 1),
                "carts_pkey",
            ),
            (carts.EXPIRED_CARTS_SQL, (NOW, 100), "carts_expires_at_user_id"),
            (carts.DELETE_CART_SQL, (1, 1), "carts_pkey"),
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


async def _downgrade_to_0003(url: PostgresUrl) -> None:
    """Run alembic's downgrade on ``url`` the way `upgrade_to_head` runs its upgrade."""

    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", SCRIPT_LOCATION)
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")

    engine = create_async_engine(url.for_sqlalchemy, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def _tables(url: PostgresUrl) -> set[str]:
    connection = await asyncpg.connect(url.text)
    try:
        rows = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE tablename = ANY($1::text[])", list(NEW_TABLES)
        )
    finally:
        await connection.close()
    return {row["tablename"] for row in rows}


class TestDowngrade:
    async def test_down_to_0003_drops_the_tables_and_up_again_restores_them(
        self, postgres_server_url: PostgresUrl
    ) -> None:
        """Downgrading removes users, api_tokens and carts; upgrading creates them again."""
        url = await create_database(postgres_server_url, prefix="pulseshop_0004")
        try:
            await upgrade_to_head(url)
            at_head = await _tables(url)
            await _downgrade_to_0003(url)
            at_0003 = await _tables(url)
            again = await upgrade_to_head(url)
            restored = await _tables(url)
        finally:
            await drop_database(postgres_server_url, url)

        assert set(NEW_TABLES) == at_head == restored
        assert set() == at_0003
        assert ("0003", head_revision()) == again
