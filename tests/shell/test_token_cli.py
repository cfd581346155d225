"""`pulseshop token issue`, run as a real process on a real database."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

import asyncpg
import pytest

from pulseshop.adapters.postgres import PostgresDatabase
from pulseshop.core.access import CART_READ, ROLE_SCOPES
from pulseshop.shell.web.auth import Authenticator, Principal
from tests.support.postgres import create_database, drop_database, empty_tables
from tests.support.processes import environment, run_pulseshop

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.e2e

TOKEN = re.compile(r"psk_[A-Za-z0-9_-]{43}")


@pytest.fixture
def env(database_url: PostgresUrl) -> Iterator[dict[str, str]]:
    """The command's environment on the session's database, emptied after the test."""
    yield environment(DATABASE_URL=database_url.text)
    asyncio.run(empty_tables(database_url))


def _principal(url: PostgresUrl, token: str) -> Principal | None:
    async def look_up() -> Principal | None:
        database = PostgresDatabase(url, min_size=1, max_size=1)
        await database.connect()
        try:
            return await Authenticator(database, cache_seconds=0).principal(token)
        finally:
            await database.disconnect()

    return asyncio.run(look_up())


def _users(url: PostgresUrl) -> list[tuple[str, str]]:
    async def query() -> list[tuple[str, str]]:
        connection = await asyncpg.connect(url.text)
        try:
            rows = await connection.fetch("SELECT email, role FROM users ORDER BY id")
        finally:
            await connection.close()
        return [(row["email"], row["role"]) for row in rows]

    return asyncio.run(query())


class TestIssue:
    def test_prints_the_token_alone_on_the_last_line(
        self, database_url: PostgresUrl, env: dict[str, str]
    ) -> None:
        """A human line, then the token; the token authenticates the new user."""
        result = run_pulseshop(
            "token", "issue", "--email", "Ann@Example.com", "--role", "customer", env=env
        )

        assert 0 == result.returncode, result.stderr
        *said, token = result.stdout.splitlines()
        assert TOKEN.fullmatch(token)
        assert said[0].startswith("issued a token for ann@example.com (user 1, customer) with ")
        principal = _principal(database_url, token)
        assert principal is not None
        assert ("ann@example.com", "customer") == (principal.email, principal.role)
        assert ROLE_SCOPES["customer"] == principal.scopes

    def test_grants_only_the_scopes_asked_for(
        self, database_url: PostgresUrl, env: dict[str, str]
    ) -> None:
        """--scope narrows the token to those scopes."""
        result = run_pulseshop(
            "token", "issue", "--email", "sam@example.com", "--role", "staff",
            "--scope", "cart:read", "--ttl-days", "1",
            env=env,
        )  # fmt: skip

        assert 0 == result.returncode, result.stderr
        principal = _principal(database_url, result.stdout.splitlines()[-1])
        assert principal is not None
        assert frozenset({CART_READ}) == principal.scopes
        assert "with cart:read, valid until" in result.stdout

    def test_a_second_token_for_another_role_changes_the_users_role(
        self, database_url: PostgresUrl, env: dict[str, str]
    ) -> None:
        """The user is found by email, and gets the role given last."""
        for role in ("customer", "staff"):
            result = run_pulseshop(
                "token", "issue", "--email", "ann@example.com", "--role", role, env=env
            )
            assert 0 == result.returncode, result.stderr

        assert [("ann@example.com", "staff")] == _users(database_url)


class TestRefusals:
    @pytest.mark.parametrize(
        ("options", "says"),
        [
            (
                ("--email", "ann.example.com", "--role", "customer"),
                (
                    "Invalid value for '--email': 'ann.example.com' is not an email address: "
                    "it needs exactly one @ with text on both sides"
                ),
            ),
            (
                ("--email", "ann smith@example.com", "--role", "customer"),
                "Invalid value for '--email'",
            ),
            (("--email", "ann@example.com", "--role", "owner"), "Invalid value for '--role'"),
            (
                ("--email", "ann@example.com", "--role", "customer", "--scope", "catalog:write"),
                (
                    "Invalid value for '--scope': the customer role has no scope catalog:write; "
                    "its scopes are cart:read, cart:write, catalog:read, orders:read, orders:write"
                ),
            ),
            (
                ("--email", "ann@example.com", "--role", "admin", "--scope", "everything"),
                "the admin role has no scope everything",
            ),
            (
                ("--email", "ann@example.com", "--role", "admin", "--ttl-days", "0"),
                "Invalid value for '--ttl-days'",
            ),
            (("--role", "admin"), "Missing option '--email'"),
        ],
    )
    def test_bad_options_exit_2_and_write_nothing(
        self,
        database_url: PostgresUrl,
        env: dict[str, str],
        options: tuple[str, ...],
        says: str,
    ) -> None:
        """One line on stderr naming the option, nothing on stdout, no user."""
        result = run_pulseshop("token", "issue", *options, env=env)

        assert 2 == result.returncode
        assert "" == result.stdout
        [line] = result.stderr.splitlines()
        assert line.startswith("pulseshop: error: ")
        assert says in line
        assert [] == _users(database_url)

    def test_an_unmigrated_database_is_refused(self, postgres_server_url: PostgresUrl) -> None:
        """DATABASE_URL is never migrated behind the operator's back."""
        url = asyncio.run(create_database(postgres_server_url, prefix="pulseshop_token"))
        try:
            result = run_pulseshop(
                "token", "issue", "--email", "ann@example.com", "--role", "customer",
                env=environment(DATABASE_URL=url.text),
            )  # fmt: skip
        finally:
            asyncio.run(drop_database(postgres_server_url, url))

        assert 1 == result.returncode
        assert "run `pulseshop migrate` first" in result.stderr
        assert "" == result.stdout


class TestEmbedded:
    def test_migrates_the_embedded_database_and_issues(self, tmp_path: Path) -> None:
        """Without DATABASE_URL the embedded database is migrated first, as `serve` does."""
        env = environment(PULSESHOP_DATA_DIR=str(tmp_path))
        args = ("token", "issue", "--email", "ann@example.com", "--role", "admin")

        first = run_pulseshop(*args, env=env)
        second = run_pulseshop(*args, env=env)

        assert 0 == first.returncode, first.stderr
        assert "migrated" in first.stderr
        assert TOKEN.fullmatch(first.stdout.splitlines()[-1])
        assert 0 == second.returncode, second.stderr
        assert "migrated" not in second.stderr
        assert "(user 1, admin)" in second.stdout
