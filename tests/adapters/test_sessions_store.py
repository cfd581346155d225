"""Passwords and sessions against a real PostgreSQL."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import asyncpg
import pytest

from pulseshop.adapters.passwords import hash_password, verify_password
from pulseshop.adapters.postgres import (
    SessionInfo,
    end_session,
    end_user_sessions,
    ensure_user,
    find_session,
    password_hash_of,
    set_password,
    start_session,
    sweep_expired_sessions,
    token_sha256,
    touch_session,
)
from pulseshop.core.access import ROLE_SCOPES, Email

if TYPE_CHECKING:
    from pulseshop.adapters.postgres import PostgresDatabase, SessionTicket

pytestmark = pytest.mark.integration

NOW: Final = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
IDLE: Final = timedelta(minutes=30)
ABSOLUTE: Final = timedelta(hours=12)
ANN: Final = Email("ann@example.com")
# A hash made once: argon2id is slow on purpose.
ANN_HASH: Final = hash_password("ann's long password")


async def _start(database: PostgresDatabase, user_id: int) -> SessionTicket:
    return await start_session(database, user_id, now=NOW, idle=IDLE, absolute=ABSOLUTE)


class TestPasswords:
    async def test_a_user_has_no_password_until_one_is_set(
        self, database: PostgresDatabase
    ) -> None:
        """password_hash_of finds no password for a token-only user, then the one set."""
        user = await ensure_user(database, ANN, "customer")
        before = await password_hash_of(database, ANN)

        stored = await set_password(database, user.id, ANN_HASH)
        after = await password_hash_of(database, ANN)

        assert (None, True) == (before, stored)
        assert (user.id, ANN_HASH) == after
        assert after is not None
        assert verify_password(after[1], "ann's long password")

    async def test_a_new_password_replaces_the_old(self, database: PostgresDatabase) -> None:
        """The hash set last is the one found."""
        user = await ensure_user(database, ANN, "customer")
        await set_password(database, user.id, ANN_HASH)
        newer = hash_password("another long password")

        await set_password(database, user.id, newer)

        assert (user.id, newer) == await password_hash_of(database, ANN)

    async def test_an_unknown_user_has_no_password(self, database: PostgresDatabase) -> None:
        """No row for the email: None; setting one for a missing id: False."""
        assert await password_hash_of(database, Email("nobody@example.com")) is None
        assert not await set_password(database, 404, ANN_HASH)

    async def test_refuses_a_hash_in_another_format(self, database: PostgresDatabase) -> None:
        """A password in clear never reaches the table."""
        user = await ensure_user(database, ANN, "customer")

        with pytest.raises(asyncpg.CheckViolationError):
            await set_password(database, user.id, "ann's long password")


class TestStartAndFind:
    async def test_a_started_session_finds_its_user(self, database: PostgresDatabase) -> None:
        """Round trip: the token identifies the user, with their role's scopes, the CSRF
        secret and the expiries."""
        user = await ensure_user(database, ANN, "staff")

        ticket = await _start(database, user.id)
        found = await find_session(database, ticket.token, now=NOW + timedelta(minutes=1))

        expected = SessionInfo(
            session_id=ticket.session_id,
            user_id=user.id,
            email="ann@example.com",
            role="staff",
            scopes=ROLE_SCOPES["staff"],
            csrf_secret=ticket.csrf_secret,
            idle_expires_at=NOW + IDLE,
            absolute_expires_at=NOW + ABSOLUTE,
        )
        assert expected == found
        assert (NOW + IDLE, NOW + ABSOLUTE) == (
            ticket.idle_expires_at,
            ticket.absolute_expires_at,
        )

    async def test_tokens_and_secrets_are_random_and_long(self, database: PostgresDatabase) -> None:
        """Two sessions have different tokens of 32 bytes and different 32-byte secrets."""
        user = await ensure_user(database, ANN, "customer")

        first, second = await _start(database, user.id), await _start(database, user.id)

        assert first.token != second.token
        assert first.csrf_secret != second.csrf_secret
        for ticket in (first, second):
            assert 32 == len(base64.urlsafe_b64decode(ticket.token + "="))
            assert 32 == len(ticket.csrf_secret)

    async def test_only_the_hash_of_the_token_is_stored(self, database: PostgresDatabase) -> None:
        """The row holds the token's SHA-256 and nowhere its text."""
        user = await ensure_user(database, ANN, "customer")
        ticket = await _start(database, user.id)

        row = await database.fetch_one("SELECT * FROM sessions")
        assert row is not None

        assert token_sha256(ticket.token) == row["token_sha256"]
        assert not any(ticket.token in str(value) for value in row.values())

    async def test_the_ticket_hides_its_secrets_from_repr(self, database: PostgresDatabase) -> None:
        """Logging a ticket or a session does not log the token or the CSRF secret."""
        user = await ensure_user(database, ANN, "customer")
        ticket = await _start(database, user.id)
        found = await find_session(database, ticket.token, now=NOW)

        assert ticket.token not in repr(ticket)
        assert repr(ticket.csrf_secret) not in repr(ticket) + repr(found)

    async def test_an_idle_longer_than_the_absolute_is_cut(
        self, database: PostgresDatabase
    ) -> None:
        """The idle expiry never passes the absolute one."""
        user = await ensure_user(database, ANN, "customer")

        ticket = await start_session(database, user.id, now=NOW, idle=ABSOLUTE * 2, absolute=IDLE)

        assert (NOW + IDLE, NOW + IDLE) == (ticket.idle_expires_at, ticket.absolute_expires_at)

    @pytest.mark.parametrize(("idle", "absolute"), [(timedelta(0), ABSOLUTE), (IDLE, -ABSOLUTE)])
    async def test_refuses_lifetimes_that_are_not_positive(
        self, database: PostgresDatabase, idle: timedelta, absolute: timedelta
    ) -> None:
        """A ValueError, and no session."""
        user = await ensure_user(database, ANN, "customer")

        with pytest.raises(ValueError, match="lifetimes must be positive"):
            await start_session(database, user.id, now=NOW, idle=idle, absolute=absolute)

        assert 0 == await database.fetch_value("SELECT count(*) FROM sessions")

    async def test_a_session_needs_an_existing_user(self, database: PostgresDatabase) -> None:
        """Starting one for a user id that does not exist fails."""
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await _start(database, 404)

    async def test_the_idle_expiry_ends_it(self, database: PostgresDatabase) -> None:
        """Unused for IDLE, a session identifies nobody."""
        user = await ensure_user(database, ANN, "customer")
        ticket = await _start(database, user.id)

        just_before = await find_session(
            database, ticket.token, now=NOW + IDLE - timedelta(microseconds=1)
        )
        at_expiry = await find_session(database, ticket.token, now=NOW + IDLE)

        assert just_before is not None
        assert at_expiry is None

    @pytest.mark.parametrize("text", ["", "x" * 43, "Bearer x", "\ud800"])
    async def test_a_wrong_token_is_not_found(self, database: PostgresDatabase, text: str) -> None:
        """Text that was never handed out identifies nobody."""
        user = await ensure_user(database, ANN, "customer")
        await _start(database, user.id)

        assert await find_session(database, text, now=NOW) is None

    async def test_a_new_role_applies_to_sessions_already_started(
        self, database: PostgresDatabase
    ) -> None:
        """The scopes are those of the role at the time of the lookup."""
        user = await ensure_user(database, ANN, "admin")
        ticket = await _start(database, user.id)

        await ensure_user(database, ANN, "customer")
        found = await find_session(database, ticket.token, now=NOW)

        assert found is not None
        assert ("customer", ROLE_SCOPES["customer"]) == (found.role, found.scopes)


class TestTouch:
    async def test_a_use_slides_the_idle_expiry(self, database: PostgresDatabase) -> None:
        """Touched 20 minutes in, the session lives 30 minutes from then."""
        user = await ensure_user(database, ANN, "customer")
        ticket = await _start(database, user.id)
        later = NOW + timedelta(minutes=20)

        touched = await touch_session(database, ticket.session_id, now=later, idle=IDLE)
        found = await find_session(database, ticket.token, now=NOW + IDLE + timedelta(minutes=1))

        assert touched
        assert found is not None
        assert later + IDLE == found.idle_expires_at
        assert later == await database.fetch_value("SELECT last_seen_at FROM sessions")

    async def test_never_past_the_absolute_expiry(self, database: PostgresDatabase) -> None:
        """Near the end of its life a session's idle expiry stops at the absolute one, and
        at that time the session ends however it was used."""
        user = await ensure_user(database, ANN, "customer")
        ticket = await start_session(database, user.id, now=NOW, idle=IDLE, absolute=2 * IDLE)

        await touch_session(database, ticket.session_id, now=NOW + 2 * IDLE / 3, idle=IDLE)
        await touch_session(database, ticket.session_id, now=NOW + 3 * IDLE / 2, idle=IDLE)
        found = await find_session(database, ticket.token, now=NOW + 3 * IDLE / 2)
        at_end = await find_session(database, ticket.token, now=NOW + 2 * IDLE)

        assert found is not None
        assert NOW + 2 * IDLE == found.idle_expires_at
        assert at_end is None

    async def test_a_clock_behind_moves_nothing_back(self, database: PostgresDatabase) -> None:
        """A node whose clock is behind the last use's leaves both times where they were."""
        user = await ensure_user(database, ANN, "customer")
        ticket = await _start(database, user.id)
        later = NOW + timedelta(minutes=20)
        await touch_session(database, ticket.session_id, now=later, idle=IDLE)

        touched = await touch_session(
            database, ticket.session_id, now=later - timedelta(minutes=1), idle=IDLE
        )
        row = await database.fetch_one("SELECT last_seen_at, idle_expires_at FROM sessions")

        assert touched
        assert row is not None
        assert (later, later + IDLE) == (row["last_seen_at"], row["idle_expires_at"])

    async def test_an_ended_session_is_not_revived(self, database: PostgresDatabase) -> None:
        """Touching an idle-expired or revoked session changes nothing and says so."""
        user = await ensure_user(database, ANN, "customer")
        expired = await _start(database, user.id)
        revoked = await start_session(database, user.id, now=NOW, idle=ABSOLUTE, absolute=ABSOLUTE)
        await end_session(database, revoked.token, now=NOW)
        after = NOW + IDLE

        results = [
            await touch_session(database, ticket.session_id, now=after, idle=IDLE)
            for ticket in (expired, revoked)
        ]

        assert [False, False] == results
        assert await find_session(database, expired.token, now=after) is None
        assert await find_session(database, revoked.token, now=after) is None
        assert not await touch_session(database, 404, now=NOW, idle=IDLE)

    async def test_refuses_an_idle_that_is_not_positive(self, database: PostgresDatabase) -> None:
        """A ValueError."""
        with pytest.raises(ValueError, match="must be positive"):
            await touch_session(database, 1, now=NOW, idle=timedelta(0))


class TestEnd:
    async def test_signing_out_ends_one_session(self, database: PostgresDatabase) -> None:
        """The session ends at once, the user's other session stays; ending it again says
        it was not valid."""
        user = await ensure_user(database, ANN, "customer")
        ticket, other = await _start(database, user.id), await _start(database, user.id)
        later = NOW + timedelta(minutes=1)

        ended, ended_again = (
            await end_session(database, ticket.token, now=later),
            await end_session(database, ticket.token, now=later),
        )

        assert (True, False) == (ended, ended_again)
        assert await find_session(database, ticket.token, now=later) is None
        assert await find_session(database, other.token, now=later) is not None
        assert later == await database.fetch_value(
            "SELECT revoked_at FROM sessions WHERE id = $1", ticket.session_id
        )

    async def test_ending_an_unknown_session_ends_nothing(self, database: PostgresDatabase) -> None:
        """False, and the sessions there are stay valid."""
        user = await ensure_user(database, ANN, "customer")
        ticket = await _start(database, user.id)

        assert not await end_session(database, ticket.token + "x", now=NOW)
        assert await find_session(database, ticket.token, now=NOW) is not None

    async def test_a_clock_behind_the_start_still_revokes(self, database: PostgresDatabase) -> None:
        """Revoked by a node whose clock says the session has not started yet."""
        user = await ensure_user(database, ANN, "customer")
        ticket = await _start(database, user.id)

        assert await end_session(database, ticket.token, now=NOW - timedelta(seconds=2))
        assert await find_session(database, ticket.token, now=NOW) is None

    async def test_ends_every_valid_session_of_the_user(self, database: PostgresDatabase) -> None:
        """Only the user's sessions still valid are counted and ended; others are untouched."""
        ann = await ensure_user(database, ANN, "customer")
        bob = await ensure_user(database, Email("bob@example.com"), "customer")
        live = [await _start(database, ann.id), await _start(database, ann.id)]
        signed_out = await _start(database, ann.id)
        await end_session(database, signed_out.token, now=NOW)
        bobs = await _start(database, bob.id)

        ended = await end_user_sessions(database, ann.id, now=NOW + timedelta(minutes=1))
        again = await end_user_sessions(database, ann.id, now=NOW + timedelta(minutes=1))

        assert (2, 0) == (ended, again)
        for ticket in live:
            assert await find_session(database, ticket.token, now=NOW) is None
        assert await find_session(database, bobs.token, now=NOW) is not None


class TestSweep:
    async def test_deletes_the_sessions_over_and_keeps_the_others(
        self, database: PostgresDatabase
    ) -> None:
        """Idle- and absolutely-expired sessions go, revoked ones once their idle expiry
        passes; valid ones stay."""
        user = await ensure_user(database, ANN, "customer")
        idled = await _start(database, user.id)
        short = await start_session(
            database, user.id, now=NOW, idle=IDLE, absolute=timedelta(minutes=10)
        )
        revoked_recently = await start_session(
            database, user.id, now=NOW, idle=ABSOLUTE, absolute=ABSOLUTE
        )
        await end_session(database, revoked_recently.token, now=NOW)
        kept = await start_session(database, user.id, now=NOW, idle=ABSOLUTE, absolute=ABSOLUTE)

        swept = await sweep_expired_sessions(database, now=NOW + IDLE)
        swept_again = await sweep_expired_sessions(database, now=NOW + IDLE)
        left = await database.fetch_all("SELECT id FROM sessions ORDER BY id")

        assert (2, 0) == (swept, swept_again)
        assert [revoked_recently.session_id, kept.session_id] == [row["id"] for row in left]
        assert {idled.session_id, short.session_id}.isdisjoint(row["id"] for row in left)
