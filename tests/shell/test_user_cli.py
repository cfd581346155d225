"""`pulseshop user create`, run as a real process on a real database."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import asyncpg
import pytest

from pulseshop.adapters.passwords import verify_password
from pulseshop.adapters.postgres import PostgresDatabase, find_session, start_session
from tests.support.postgres import create_database, drop_database, empty_tables
from tests.support.processes import PULSESHOP, environment, run_pulseshop

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.e2e

PASSWORD: Final = "correct horse battery staple"  # noqa: S105 - a test password
CREATE: Final = ("user", "create", "--email", "Ann@Example.com", "--role", "customer")


@pytest.fixture
def env(database_url: PostgresUrl) -> Iterator[dict[str, str]]:
    """The command's environment on the session's database, emptied after the test."""
    yield environment(DATABASE_URL=database_url.text)
    asyncio.run(empty_tables(database_url))


def _users(url: PostgresUrl) -> list[tuple[str, str, str | None]]:
    """Every user's email, role and password hash, in the order they were created."""

    async def query() -> list[tuple[str, str, str | None]]:
        connection = await asyncpg.connect(url.text)
        try:
            rows = await connection.fetch(
                "SELECT email, role, password_hash FROM users ORDER BY id"
            )
        finally:
            await connection.close()
        return [(row["email"], row["role"], row["password_hash"]) for row in rows]

    return asyncio.run(query())


class TestCreate:
    def test_creates_a_user_whose_hash_verifies(
        self, database_url: PostgresUrl, env: dict[str, str]
    ) -> None:
        """One line naming the user; the stored hash is argon2id and verifies the password."""
        result = run_pulseshop(*CREATE, "--password-stdin", env=env, stdin=PASSWORD + "\n")

        assert 0 == result.returncode, result.stderr
        assert "user 1 ann@example.com (customer): password set\n" == result.stdout
        [(email, role, password_hash)] = _users(database_url)
        assert ("ann@example.com", "customer") == (email, role)
        assert password_hash is not None
        assert password_hash.startswith("$argon2id$")
        assert verify_password(password_hash, PASSWORD)

    @pytest.mark.parametrize(
        ("stdin", "password"),
        [
            (PASSWORD, PASSWORD),
            (PASSWORD + "\r\n", PASSWORD),
            ("  " + PASSWORD + " \n", "  " + PASSWORD + " "),
            ("pässwörd ünïcode 🔑\n", "pässwörd ünïcode 🔑"),
        ],
    )
    def test_the_password_is_the_line_as_typed(
        self, database_url: PostgresUrl, env: dict[str, str], stdin: str, password: str
    ) -> None:
        """Only the line end is taken off: spaces and other characters are kept."""
        result = run_pulseshop(*CREATE, "--password-stdin", env=env, stdin=stdin)

        assert 0 == result.returncode, result.stderr
        [(_, _, password_hash)] = _users(database_url)
        assert password_hash is not None
        assert verify_password(password_hash, password)

    def test_never_prints_the_password_or_its_hash(
        self, database_url: PostgresUrl, env: dict[str, str]
    ) -> None:
        """Neither stdout nor stderr holds the password or the hash."""
        result = run_pulseshop(*CREATE, "--password-stdin", env=env, stdin=PASSWORD + "\n")

        [(_, _, password_hash)] = _users(database_url)
        assert password_hash is not None
        output = result.stdout + result.stderr
        assert PASSWORD not in output
        assert password_hash not in output
        assert "$argon2" not in output

    def test_an_existing_user_gets_the_role_and_password_and_loses_their_sessions(
        self, database_url: PostgresUrl, env: dict[str, str]
    ) -> None:
        """Found by email: the role given last, the new password, and their sessions end."""
        first = run_pulseshop(*CREATE, "--password-stdin", env=env, stdin=PASSWORD + "\n")
        assert 0 == first.returncode, first.stderr
        token = _start_session(database_url, 1)

        second = run_pulseshop(
            "user", "create", "--email", "ann@example.com", "--role", "staff",
            "--password-stdin",
            env=env, stdin="a brand new passphrase\n",
        )  # fmt: skip

        assert 0 == second.returncode, second.stderr
        assert "user 1 ann@example.com (staff): password set; 1 session ended\n" == second.stdout
        [(email, role, password_hash)] = _users(database_url)
        assert ("ann@example.com", "staff") == (email, role)
        assert password_hash is not None
        assert verify_password(password_hash, "a brand new passphrase")
        assert not verify_password(password_hash, PASSWORD)
        assert _session_is_valid(database_url, token) is False

    def test_a_token_only_user_gets_a_password(self, env: dict[str, str]) -> None:
        """A user made by `token issue` keeps their id and can now have a password."""
        issued = run_pulseshop(
            "token", "issue", "--email", "ann@example.com", "--role", "customer", env=env
        )
        assert 0 == issued.returncode, issued.stderr

        result = run_pulseshop(*CREATE, "--password-stdin", env=env, stdin=PASSWORD)

        assert 0 == result.returncode, result.stderr
        assert result.stdout.startswith("user 1 ann@example.com (customer)")


def _start_session(url: PostgresUrl, user_id: int) -> str:
    async def start() -> str:
        database = PostgresDatabase(url, min_size=1, max_size=1)
        await database.connect()
        try:
            ticket = await start_session(
                database,
                user_id,
                now=datetime.now(UTC),
                idle=timedelta(hours=1),
                absolute=timedelta(hours=2),
            )
        finally:
            await database.disconnect()
        return ticket.token

    return asyncio.run(start())


def _session_is_valid(url: PostgresUrl, token: str) -> bool:
    async def find() -> bool:
        database = PostgresDatabase(url, min_size=1, max_size=1)
        await database.connect()
        try:
            return await find_session(database, token, now=datetime.now(UTC)) is not None
        finally:
            await database.disconnect()

    return asyncio.run(find())


class TestRefusals:
    @pytest.mark.parametrize(
        ("options", "stdin", "says"),
        [
            (
                ("--email", "ann.example.com", "--role", "customer", "--password-stdin"),
                PASSWORD,
                (
                    "Invalid value for '--email': 'ann.example.com' is not an email address: "
                    "it needs exactly one @ with text on both sides"
                ),
            ),
            (
                ("--email", "ann smith@example.com", "--role", "customer", "--password-stdin"),
                PASSWORD,
                "Invalid value for '--email'",
            ),
            (
                ("--email", "ann@example.com", "--role", "owner", "--password-stdin"),
                PASSWORD,
                "Invalid value for '--role'",
            ),
            (("--role", "admin", "--password-stdin"), PASSWORD, "Missing option '--email'"),
            (
                ("--email", "ann@example.com", "--password-stdin"),
                PASSWORD,
                "Missing option '--role'",
            ),
            (
                ("--email", "ann@example.com", "--role", "admin"),
                PASSWORD,
                (
                    "Missing option '--password-stdin': the password is read from stdin, "
                    "never from the command line"
                ),
            ),
            (
                ("--email", "ann@example.com", "--role", "admin", "--password", PASSWORD),
                PASSWORD,
                "No such option '--password'",
            ),
            (
                ("--email", "ann@example.com", "--role", "admin", "--password-stdin"),
                "hunter2\n",
                ("Invalid value for '--password-stdin': the password has fewer than 12 characters"),
            ),
            (
                ("--email", "ann@example.com", "--role", "admin", "--password-stdin"),
                "x" * 1025,
                "Invalid value for '--password-stdin': the password has more than 1024",
            ),
            (
                ("--email", "ann@example.com", "--role", "admin", "--password-stdin"),
                " \t" * 8 + "\n",
                "Invalid value for '--password-stdin': the password is only spaces",
            ),
            (
                ("--email", "ann@example.com", "--role", "admin", "--password-stdin"),
                "",
                "Invalid value for '--password-stdin': stdin holds no password",
            ),
            (
                ("--email", "ann@example.com", "--role", "admin", "--password-stdin"),
                "\n",
                "Invalid value for '--password-stdin': stdin holds no password",
            ),
            (
                ("--email", "ann@example.com", "--role", "admin", "--password-stdin"),
                PASSWORD + "\n" + PASSWORD + "\n",
                "Invalid value for '--password-stdin': stdin holds more than one line",
            ),
        ],
    )
    def test_bad_input_exits_2_and_writes_nothing(
        self,
        database_url: PostgresUrl,
        env: dict[str, str],
        options: tuple[str, ...],
        stdin: str,
        says: str,
    ) -> None:
        """One line on stderr naming the option, nothing on stdout, no user."""
        result = run_pulseshop("user", "create", *options, env=env, stdin=stdin)

        assert 2 == result.returncode
        assert "" == result.stdout
        [line] = result.stderr.splitlines()
        assert line.startswith("pulseshop: error: ")
        assert says in line
        assert PASSWORD not in line
        assert [] == _users(database_url)

    def test_a_password_that_is_not_utf8_is_refused(
        self, database_url: PostgresUrl, env: dict[str, str]
    ) -> None:
        """Bytes that are not UTF-8 text exit 2 naming the flag."""
        result = subprocess.run(
            [str(PULSESHOP), *CREATE, "--password-stdin"],
            env=env,
            input="pässwörd long enough\n".encode("latin-1"),
            capture_output=True,
            timeout=120,
            check=False,
        )

        assert 2 == result.returncode
        assert b"Invalid value for '--password-stdin': the password on stdin is not UTF-8" in (
            result.stderr
        )
        assert [] == _users(database_url)

    def test_an_unmigrated_database_is_refused(self, postgres_server_url: PostgresUrl) -> None:
        """DATABASE_URL is never migrated behind the operator's back."""
        url = asyncio.run(create_database(postgres_server_url, prefix="pulseshop_user"))
        try:
            result = run_pulseshop(
                *CREATE, "--password-stdin", env=environment(DATABASE_URL=url.text), stdin=PASSWORD
            )
        finally:
            asyncio.run(drop_database(postgres_server_url, url))

        assert 1 == result.returncode
        assert "run `pulseshop migrate` first" in result.stderr
        assert "" == result.stdout


class TestEmbedded:
    def test_migrates_the_embedded_database_and_creates(self, tmp_path: Path) -> None:
        """Without DATABASE_URL the embedded database is migrated first, as `serve` does."""
        env = environment(PULSESHOP_DATA_DIR=str(tmp_path))

        result = run_pulseshop(*CREATE, "--password-stdin", env=env, stdin=PASSWORD + "\n")

        assert 0 == result.returncode, result.stderr
        assert "migrated" in result.stderr
        assert "user 1 ann@example.com (customer): password set\n" == result.stdout
