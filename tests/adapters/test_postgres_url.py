"""Parsing and showing PostgreSQL URLs."""

from __future__ import annotations

import pytest
from returns.pipeline import is_successful

from pulseshop.adapters.postgres import parse_postgres_url

pytestmark = pytest.mark.unit


class TestParsePostgresUrl:
    def test_tcp_url(self) -> None:
        """Host, port, database and user come out of a TCP URL."""
        url = parse_postgres_url("postgresql://shop:secret@db.internal:6432/orders").unwrap()

        assert ("db.internal", 6432, "orders", "shop") == (
            url.host,
            url.port,
            url.database,
            url.user,
        )

    def test_socket_url(self) -> None:
        """A socket directory in ?host= counts as the host (pgserver's form)."""
        url = parse_postgres_url("postgresql://postgres:@/postgres?host=/srv/pg").unwrap()

        assert ("/srv/pg", None, "postgres") == (url.host, url.port, url.database)

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("", "is empty"),
            ("   ", "is empty"),
            ("mysql://root@localhost/shop", "has scheme 'mysql'"),
            ("localhost:5432/shop", "has scheme"),
            ("postgresql://localhost:99999/shop", "cannot be parsed"),
            ("postgresql://localhost:port/shop", "cannot be parsed"),
            ("postgresql:///shop", "names no host"),
            ("postgresql://localhost:5432", "names no database"),
            ("postgresql://localhost:5432/", "names no database"),
            ("postgresql://localhost/a/b", "names no database"),
        ],
    )
    def test_malformed_urls_say_what_is_wrong(self, text: str, problem: str) -> None:
        """Each malformed URL fails with a sentence naming its defect."""
        result = parse_postgres_url(text)

        assert not is_successful(result)
        assert problem in result.failure()
        assert "expected postgresql://" in result.failure()


class TestShowingUrls:
    def test_redacted_hides_the_password(self) -> None:
        """The password never appears in what we print."""
        url = parse_postgres_url("postgresql://shop:s3cr3t@db:5432/orders").unwrap()

        assert "postgresql://shop:***@db:5432/orders" == url.redacted
        assert "s3cr3t" not in repr(url)

    def test_redacted_leaves_passwordless_urls_alone(self) -> None:
        """Nothing to hide, nothing changed."""
        text = "postgresql://postgres@127.0.0.1:5432/postgres"

        assert text == parse_postgres_url(text).unwrap().redacted

    def test_sqlalchemy_form_names_the_asyncpg_dialect(self) -> None:
        """Alembic gets the same URL with the asyncpg driver."""
        url = parse_postgres_url("postgres://u@h:1/d?host=/s").unwrap()

        assert "postgresql+asyncpg://u@h:1/d?host=/s" == url.for_sqlalchemy

    def test_with_database_keeps_server_and_query(self) -> None:
        """Another database on the same server keeps credentials and socket options."""
        url = parse_postgres_url("postgresql://u:p@/postgres?host=/s").unwrap()

        other = url.with_database("shop_test")

        assert "postgresql://u:p@/shop_test?host=/s" == other.text
        assert "shop_test" == other.database
