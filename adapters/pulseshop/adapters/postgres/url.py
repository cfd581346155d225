"""PostgreSQL connection URLs: parsed once, checked, and shown without their password."""

from __future__ import annotations

from typing import final
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import attrs
from returns.result import Failure, Result, Success

_SCHEMES = frozenset({"postgresql", "postgres"})
_EXPECTED = "expected postgresql://user:password@host:port/database"


@final
@attrs.frozen
class PostgresUrl:
    """A checked PostgreSQL URL (TCP host or Unix socket directory in ``?host=``)."""

    text: str = attrs.field(repr=False)
    host: str
    port: int | None
    database: str
    user: str | None

    @property
    def redacted(self) -> str:
        """The URL with any password replaced by ``***``, safe to log and print."""
        parts = urlsplit(self.text)
        if parts.password is None:
            return self.text
        userinfo = f"{parts.username or ''}:***"
        hostinfo = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit(parts._replace(netloc=f"{userinfo}@{hostinfo}"))

    @property
    def for_sqlalchemy(self) -> str:
        """The same URL with SQLAlchemy's asyncpg dialect, as alembic needs it."""
        return "postgresql+asyncpg" + self.text[self.text.index(":") :]

    def with_database(self, database: str) -> PostgresUrl:
        """The same server and credentials, another database."""
        parts = urlsplit(self.text)
        return attrs.evolve(
            self, text=urlunsplit(parts._replace(path=f"/{database}")), database=database
        )


def parse_postgres_url(text: str) -> Result[PostgresUrl, str]:
    """Check a PostgreSQL URL; the failure says what is wrong with it, in one sentence."""
    stripped = text.strip()
    if not stripped:
        return Failure(f"is empty; {_EXPECTED}")
    try:
        parts = urlsplit(stripped)
        port = parts.port
    except ValueError as error:
        return Failure(f"cannot be parsed ({error}); {_EXPECTED}")
    if parts.scheme not in _SCHEMES:
        shown = parts.scheme or "none"
        return Failure(f"has scheme {shown!r}, not 'postgresql'; {_EXPECTED}")
    socket_dirs = parse_qs(parts.query).get("host", [])
    host = parts.hostname or (socket_dirs[0] if socket_dirs else "")
    if not host:
        return Failure(f"names no host (host:port, or ?host=/socket/dir); {_EXPECTED}")
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        return Failure(f"names no database (the path after the host); {_EXPECTED}")
    user = unquote(parts.username) if parts.username else None
    return Success(PostgresUrl(text=stripped, host=host, port=port, database=database, user=user))
