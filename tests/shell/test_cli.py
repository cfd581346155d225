"""The `pulseshop` command line, run as a real process."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

import pytest

from pulseshop.adapters.postgres import head_revision
from tests.support.postgres import create_database, drop_database
from tests.support.processes import environment, free_port, run_pulseshop, serving

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.e2e


@pytest.fixture
def fresh_database(postgres_server_url: PostgresUrl) -> Iterator[PostgresUrl]:
    """An empty database the command may migrate."""
    url = asyncio.run(create_database(postgres_server_url, prefix="pulseshop_cli"))
    try:
        yield url
    finally:
        asyncio.run(drop_database(postgres_server_url, url))


class TestHelp:
    def test_help_lists_every_command(self) -> None:
        """--help names each command with its summary."""
        result = run_pulseshop("--help", env=environment())

        assert 0 == result.returncode
        for command in ("serve", "migrate", "db"):
            assert f"  {command} " in result.stdout
        assert "status" in run_pulseshop("db", "--help", env=environment()).stdout

    def test_no_arguments_shows_help(self) -> None:
        """Bare `pulseshop` prints the help rather than an error."""
        result = run_pulseshop(env=environment())

        assert 0 == result.returncode
        assert "Usage: pulseshop" in result.stdout

    def test_version(self) -> None:
        """--version prints the package version."""
        result = run_pulseshop("--version", env=environment())

        assert result.stdout.startswith("pulseshop, version ")


class TestBadInput:
    """Each mistake ends in exactly one line on stderr and a non-zero exit code."""

    @pytest.mark.parametrize(
        ("args", "overrides", "code", "says"),
        [
            (("frobnicate",), {}, 2, "No such command 'frobnicate'"),
            (("serve", "--colour"), {}, 2, "No such option '--colour'; see `pulseshop --help`"),
            (("serve", "--port", "x"), {}, 2, "--port must be a port number"),
            (("serve",), {"PORT": "http"}, 2, "PORT must be a port number"),
            (("serve",), {"DATABASE_URL": "not a url"}, 2, "DATABASE_URL has scheme 'none'"),
            (("migrate",), {"DATABASE_URL": "postgresql://x@h:99999/d"}, 2, "cannot be parsed"),
            (("serve",), {"LOG_LEVEL": "chatty"}, 2, "LOG_LEVEL must be one of"),
            (
                ("serve",),
                {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/shop"},
                1,
                "cannot reach the database postgresql://postgres@127.0.0.1:1/shop:",
            ),
            (
                ("db", "status"),
                {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/shop"},
                1,
                "cannot reach the database",
            ),
            (
                ("migrate",),
                {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/shop"},
                1,
                "cannot reach the database",
            ),
        ],
    )
    def test_one_clear_line(
        self, args: tuple[str, ...], overrides: dict[str, str], code: int, says: str
    ) -> None:
        """The line starts with `pulseshop: error:` and names the problem."""
        result = run_pulseshop(*args, env=environment(**overrides))

        assert code == result.returncode
        lines = result.stderr.splitlines()
        assert 1 == len(lines), result.stderr
        assert lines[0].startswith("pulseshop: error: ")
        assert says in lines[0]
        assert "Traceback" not in result.stderr

    def test_port_in_use(self, database_url: PostgresUrl) -> None:
        """A busy port is reported before anything starts."""
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            env = environment(DATABASE_URL=database_url.text)

            result = run_pulseshop("serve", "--port", str(port), env=env)

        assert 1 == result.returncode
        assert [f"pulseshop: error: cannot listen on 127.0.0.1:{port}: address already in use"] == (
            result.stderr.splitlines()
        )

    def test_unknown_host(self, database_url: PostgresUrl) -> None:
        """A host name that does not resolve is named."""
        env = environment(DATABASE_URL=database_url.text, HOST="no-such-host.invalid")

        result = run_pulseshop("serve", "--port", str(free_port()), env=env)

        assert 1 == result.returncode
        assert "cannot listen on no-such-host.invalid" in result.stderr
        assert 1 == len(result.stderr.splitlines())


class TestMigrateAndStatus:
    def test_status_then_migrate_then_status(self, fresh_database: PostgresUrl) -> None:
        """Status reports pending revisions (exit 1) until `migrate` brings the head."""
        env = environment(DATABASE_URL=fresh_database.text)

        before = run_pulseshop("db", "status", env=env)
        migrated = run_pulseshop("migrate", env=env)
        again = run_pulseshop("migrate", env=env)
        after = run_pulseshop("db", "status", env=env)

        assert 1 == before.returncode
        assert "revision:  none (empty database)" in before.stdout
        assert "pending:   0001" in before.stdout
        assert 0 == migrated.returncode
        assert f"from empty to {head_revision()}" in migrated.stderr
        assert f"is up to date at revision {head_revision()}" in again.stderr
        assert 0 == after.returncode
        assert f"revision:  {head_revision()}" in after.stdout
        assert "status:    up to date" in after.stdout
        assert "server:    PostgreSQL " in after.stdout


class TestServeWithDatabaseUrl:
    def test_readiness_waits_for_migrate(self, fresh_database: PostgresUrl) -> None:
        """With DATABASE_URL, serve does not migrate: 503 until `pulseshop migrate`, then 200."""
        env = environment(DATABASE_URL=fresh_database.text)
        with serving(env) as service:
            service.wait_live()
            unready = service.get("/readyz")

            assert 0 == run_pulseshop("migrate", env=env).returncode
            service.wait_ready(timeout=10)

            assert 0 == service.stop()

        assert 503 == unready.status_code
        assert "checks.migrations" == unready.json()["error"]["details"][0]["field"]

    def test_migrate_flag_migrates_first(self, fresh_database: PostgresUrl) -> None:
        """`serve --migrate` brings the schema to the head before serving."""
        with serving(environment(DATABASE_URL=fresh_database.text), "--migrate") as service:
            service.wait_ready()

            assert 200 == service.get("/healthz").status_code
            assert 0 == service.stop()
