"""Users and API tokens against a real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import asyncpg
import pytest

from pulseshop.adapters.postgres import (
    TOKEN_PREFIX,
    TokenInfo,
    ensure_user,
    find_token,
    issue_token,
    revoke_token,
    token_sha256,
)
from pulseshop.core.access import CART_READ, CART_WRITE, CATALOG_WRITE, ROLE_SCOPES, Email

if TYPE_CHECKING:
    from pulseshop.adapters.postgres import PostgresDatabase

pytestmark = pytest.mark.integration

NOW: Final = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
DAY: Final = timedelta(days=1)
ANN: Final = Email("ann@example.com")


class TestEnsureUser:
    async def test_creates_a_user_then_finds_the_same_one(self, database: PostgresDatabase) -> None:
        """The first call creates the user, the second returns it unchanged."""
        created = await ensure_user(database, ANN, "customer")
        again = await ensure_user(database, ANN, "customer")

        assert created == again
        assert ("ann@example.com", "customer") == (created.email, created.role)

    async def test_another_role_replaces_the_stored_one(self, database: PostgresDatabase) -> None:
        """The role given last wins; the user keeps its id."""
        customer = await ensure_user(database, ANN, "customer")

        staff = await ensure_user(database, ANN, "staff")

        assert (customer.id, "staff") == (staff.id, staff.role)
        assert "staff" == await database.fetch_value(
            "SELECT role FROM users WHERE id = $1", customer.id
        )

    async def test_concurrent_calls_make_one_user(self, database: PostgresDatabase) -> None:
        """Two processes ensuring the same user at once end with one row."""
        first, second = await asyncio.gather(
            ensure_user(database, ANN, "customer"), ensure_user(database, ANN, "customer")
        )

        assert first.id == second.id
        assert 1 == await database.fetch_value("SELECT count(*) FROM users")


class TestTokens:
    async def test_an_issued_token_finds_its_user_and_scopes(
        self, database: PostgresDatabase
    ) -> None:
        """Round trip: the text issued identifies the user, with the scopes it was given."""
        user = await ensure_user(database, ANN, "customer")

        token = await issue_token(database, user.id, [CART_READ, CART_WRITE], now=NOW, ttl=DAY)
        found = await find_token(database, token, now=NOW + timedelta(hours=1))

        expected = TokenInfo(
            user_id=user.id,
            email="ann@example.com",
            role="customer",
            scopes=frozenset({CART_READ, CART_WRITE}),
            expires_at=NOW + DAY,
        )
        assert expected == found

    async def test_the_token_text_is_prefixed_and_random(self, database: PostgresDatabase) -> None:
        """Two tokens for the same user differ, and both start with the prefix."""
        user = await ensure_user(database, ANN, "customer")

        tokens = {await issue_token(database, user.id, [CART_READ], now=NOW, ttl=DAY)}
        tokens.add(await issue_token(database, user.id, [CART_READ], now=NOW, ttl=DAY))

        assert 2 == len(tokens)
        assert all(token.startswith(TOKEN_PREFIX) and len(token) == 47 for token in tokens)

    async def test_only_the_hash_is_stored(self, database: PostgresDatabase) -> None:
        """The database holds the SHA-256 of the token and nowhere its text."""
        user = await ensure_user(database, ANN, "customer")
        token = await issue_token(database, user.id, [CART_READ], now=NOW, ttl=DAY)

        row = await database.fetch_one("SELECT * FROM api_tokens")
        assert row is not None
        stored = [str(value) for value in row.values()]

        assert token_sha256(token) == row["token_sha256"]
        assert not any(token in value or token[len(TOKEN_PREFIX) :] in value for value in stored)

    async def test_scopes_are_stored_once_each_in_order(self, database: PostgresDatabase) -> None:
        """Repeated scopes are stored once, sorted."""
        user = await ensure_user(database, ANN, "customer")

        await issue_token(database, user.id, [CART_WRITE, CART_READ, CART_WRITE], now=NOW, ttl=DAY)

        assert ["cart:read", "cart:write"] == await database.fetch_value(
            "SELECT scopes FROM api_tokens"
        )

    async def test_an_expired_token_is_not_found(self, database: PostgresDatabase) -> None:
        """At its expiry time and after, a token identifies nobody."""
        user = await ensure_user(database, ANN, "customer")
        token = await issue_token(database, user.id, [CART_READ], now=NOW, ttl=DAY)

        just_before = await find_token(database, token, now=NOW + DAY - timedelta(microseconds=1))
        at_expiry = await find_token(database, token, now=NOW + DAY)

        assert just_before is not None
        assert at_expiry is None

    async def test_a_revoked_token_is_not_found(self, database: PostgresDatabase) -> None:
        """Revocation ends a token at once; revoking it again says it was not valid."""
        user = await ensure_user(database, ANN, "customer")
        token = await issue_token(database, user.id, [CART_READ], now=NOW, ttl=DAY)
        other = await issue_token(database, user.id, [CART_READ], now=NOW, ttl=DAY)

        revoked = await revoke_token(database, token, now=NOW)
        revoked_again = await revoke_token(database, token, now=NOW)

        assert (True, False) == (revoked, revoked_again)
        assert await find_token(database, token, now=NOW) is None
        assert await find_token(database, other, now=NOW) is not None
        assert NOW == await database.fetch_value(
            "SELECT revoked_at FROM api_tokens WHERE token_sha256 = $1", token_sha256(token)
        )

    @pytest.mark.parametrize(
        "text",
        [
            "",
            TOKEN_PREFIX,
            TOKEN_PREFIX + "x" * 43,
            "Bearer " + TOKEN_PREFIX,
            "x" * 47,
        ],
    )
    async def test_a_wrong_token_is_not_found(self, database: PostgresDatabase, text: str) -> None:
        """Text that was never issued identifies nobody."""
        user = await ensure_user(database, ANN, "customer")
        await issue_token(database, user.id, [CART_READ], now=NOW, ttl=DAY)

        assert await find_token(database, text, now=NOW) is None

    async def test_revoking_an_unknown_token_revokes_nothing(
        self, database: PostgresDatabase
    ) -> None:
        """False, and the tokens there are stay valid."""
        user = await ensure_user(database, ANN, "customer")
        token = await issue_token(database, user.id, [CART_READ], now=NOW, ttl=DAY)

        assert not await revoke_token(database, token + "x", now=NOW)
        assert await find_token(database, token, now=NOW) is not None

    async def test_a_new_role_narrows_the_tokens_already_issued(
        self, database: PostgresDatabase
    ) -> None:
        """A staff token of a user who is now a customer grants only customer scopes."""
        staff = await ensure_user(database, ANN, "staff")
        token = await issue_token(database, staff.id, [CART_READ, CATALOG_WRITE], now=NOW, ttl=DAY)

        await ensure_user(database, ANN, "customer")
        found = await find_token(database, token, now=NOW)

        assert found is not None
        assert ("customer", frozenset({CART_READ})) == (found.role, found.scopes)

    @pytest.mark.parametrize(
        ("scopes", "ttl"),
        [([], DAY), (["cart"], DAY), (["cart:read", "Cart:write"], DAY), ([CART_READ], -DAY)],
    )
    async def test_refuses_bad_scopes_or_lifetime(
        self, database: PostgresDatabase, scopes: list[str], ttl: timedelta
    ) -> None:
        """No scope, a malformed one, or a lifetime that is not positive is a ValueError."""
        user = await ensure_user(database, ANN, "admin")

        with pytest.raises(ValueError, match=r"scope|lifetime"):
            await issue_token(database, user.id, scopes, now=NOW, ttl=ttl)

        assert 0 == await database.fetch_value("SELECT count(*) FROM api_tokens")

    async def test_a_token_needs_an_existing_user(self, database: PostgresDatabase) -> None:
        """Issuing for a user id that does not exist fails."""
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await issue_token(database, 404, sorted(ROLE_SCOPES["admin"]), now=NOW, ttl=DAY)
