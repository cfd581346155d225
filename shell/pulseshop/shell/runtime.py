"""Which PostgreSQL a command talks to: the one in DATABASE_URL, or the embedded default."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from pulseshop.adapters.postgres import DatabaseUnavailableError, PostgresDatabase, upgrade_to_head
from pulseshop.adapters.postgres.database import CONNECTION_ERRORS, describe_connection_error
from pulseshop.adapters.postgres.embedded import EmbeddedPostgres, EmbeddedPostgresError
from pulseshop.shell.errors import ShellError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pulseshop.adapters.postgres import PostgresUrl
    from pulseshop.shell.config import Settings
    from pulseshop.shell.signals import StopSignals


@contextmanager
def database_url(settings: Settings, signals: StopSignals | None = None) -> Iterator[PostgresUrl]:
    """DATABASE_URL when set; else the embedded server, started for the block's duration.

    With ``signals``, Ctrl-C or SIGTERM never cuts starting or stopping that server short.
    """
    if settings.database_url is not None:
        yield settings.database_url
        return
    server = EmbeddedPostgres(settings.embedded_data_dir)
    uninterrupted = signals.deferred if signals is not None else nullcontext
    try:
        with uninterrupted():
            url = server.start()
        yield url
    except EmbeddedPostgresError as error:
        raise ShellError(str(error)) from error
    finally:
        with uninterrupted():
            server.stop()


def check_reachable(url: PostgresUrl) -> None:
    """Connect once; raise a `ShellError` naming the server and the cause if we cannot."""

    async def connect_and_close() -> None:
        database = PostgresDatabase(url, min_size=1, max_size=1)
        await database.connect()
        await database.disconnect()

    try:
        asyncio.run(connect_and_close())
    except DatabaseUnavailableError as error:
        raise ShellError(f"cannot reach the database {error}") from error


def migrate(url: PostgresUrl) -> tuple[str | None, str | None]:
    """Bring the schema to the head revision; returns the revisions before and after."""
    try:
        return asyncio.run(upgrade_to_head(url))
    except CONNECTION_ERRORS as error:
        detail = describe_connection_error(error)
        raise ShellError(f"cannot reach the database {url.redacted}: {detail}") from error
    except SQLAlchemyError as error:
        detail = describe_connection_error(getattr(error, "orig", None) or error)
        raise ShellError(
            f"migrating {url.redacted} failed, nothing was changed: {detail}"
        ) from error
