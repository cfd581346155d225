"""The `pulseshop` command: every way to run PulseShop from a terminal or a unit file.

A command imports what it needs when it runs (the service, the database's libraries, the
job queue): `pulseshop price` does not load the web application, and `pulseshop user`
does not load the job queue. Subcommands defined in other modules are loaded by name.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
from typing import TYPE_CHECKING, Any, BinaryIO

import click
from returns.pipeline import is_successful

from pulseshop.core.catalog import IMPORT_POLICIES
from pulseshop.shell.config import Settings, port_from
from pulseshop.shell.errors import ShellError
from pulseshop.shell.signals import ServiceStoppedError, StopSignals

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pulseshop.adapters.postgres import PostgresUrl
    from pulseshop.core.catalog import ImportPolicy

SUBCOMMANDS = {
    "ingest": "pulseshop.shell.feed_commands:ingest",
    "jobs": "pulseshop.shell.job_commands:jobs",
    "token": "pulseshop.shell.token_commands:token",
    "user": "pulseshop.shell.user_commands:user",
    "worker": "pulseshop.shell.job_commands:worker",
}
"""The commands defined in other modules, as ``module:attribute``."""


class _LazyGroup(click.Group):
    """A group that imports the commands of `SUBCOMMANDS` when they are asked for."""

    def __init__(self, *args: Any, lazy: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = self._lazy.get(cmd_name)
        if where is None:
            return super().get_command(ctx, cmd_name)
        module, attribute = where.split(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{where} is not a click command")
        return command


def _settings() -> Settings:
    return Settings.from_environ(os.environ)


@click.group(
    cls=_LazyGroup, lazy=SUBCOMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="pulseshop", prog_name="pulseshop")
def cli() -> None:
    """PulseShop: a real-time orders service and its pricing library.

    Every command reads the database from DATABASE_URL; without it, commands use the
    embedded PostgreSQL kept in ./var/postgres (PULSESHOP_DATA_DIR).
    """


@cli.command()
@click.option("--host", help="Interface to listen on. [default: $HOST or 127.0.0.1]")
@click.option("--port", help="TCP port to listen on. [default: $PORT or 8000]")
@click.option(
    "--migrate/--no-migrate",
    default=None,
    help="Migrate the database before serving. [default: only the embedded database]",
)
def serve(host: str | None, port: str | None, *, migrate: bool | None) -> None:
    """Serve the web application and API until Ctrl-C or SIGTERM."""
    from pulseshop.adapters.postgres import PostgresDatabase  # noqa: PLC0415 - see the module
    from pulseshop.shell import catalog_commands, runtime  # noqa: PLC0415
    from pulseshop.shell.server import bind_socket, serve_on  # noqa: PLC0415
    from pulseshop.shell.web import create_app  # noqa: PLC0415

    settings = _settings()
    listen_host = host or settings.host
    listen_port = port_from("--port", port or "") or settings.port
    signals = StopSignals()
    with signals.installed(), bind_socket(listen_host, listen_port) as sock:
        embedded = settings.database_url is None
        with runtime.database_url(settings, signals) as url:
            if migrate or (migrate is None and embedded):
                _migrate_and_report(url)
                if embedded and settings.demo_catalog:
                    catalog_commands.import_demo_catalog(url)
            else:
                runtime.check_reachable(url)
            serve_on(create_app(PostgresDatabase(url), settings), sock, settings.log_level)


@cli.command()
def migrate() -> None:
    """Bring the database schema to the revision this release expects."""
    from pulseshop.shell import runtime  # noqa: PLC0415 - see the module

    signals = StopSignals()
    with signals.installed(), runtime.database_url(_settings(), signals) as url:
        _migrate_and_report(url)


def _migrate_and_report(url: PostgresUrl) -> None:
    from pulseshop.shell import runtime  # noqa: PLC0415 - see the module

    before, after = runtime.migrate(url)
    if before == after:
        click.echo(f"database {url.redacted} is up to date at revision {after}", err=True)
    else:
        click.echo(f"migrated {url.redacted} from {before or 'empty'} to {after}", err=True)


@cli.group()
def db() -> None:
    """Inspect the database."""


@db.command()
def status() -> None:
    """Show the database, its revision and any pending migrations; exit 1 if any."""
    from pulseshop.adapters.postgres import head_revision  # noqa: PLC0415 - see the module
    from pulseshop.adapters.postgres.migrations import pending_revisions  # noqa: PLC0415
    from pulseshop.shell import runtime  # noqa: PLC0415

    signals = StopSignals()
    with signals.installed(), runtime.database_url(_settings(), signals) as url:
        runtime.check_reachable(url)
        version, revision = asyncio.run(_server_version_and_revision(url))
    head = head_revision()
    pending = pending_revisions(revision)
    click.echo(f"database:  {url.redacted}")
    click.echo(f"server:    PostgreSQL {version}")
    click.echo(f"revision:  {revision or 'none (empty database)'}")
    click.echo(f"head:      {head}")
    if pending:
        click.echo(f"pending:   {', '.join(pending)} (run `pulseshop migrate`)")
        raise click.exceptions.Exit(1)
    click.echo("status:    up to date")


@cli.group()
def catalog() -> None:
    """Import and export the product catalog as a CSV file."""


@catalog.command("import")
@click.argument("file", metavar="FILE.csv")
@click.option("--dry-run", is_flag=True, help="Write nothing; show what the import would change.")
@click.option(
    "--on-error",
    "policy",
    type=click.Choice(IMPORT_POLICIES),
    default=IMPORT_POLICIES[0],
    show_default=True,
    help="When rows fail: write nothing, or write the valid rows.",
)
def catalog_import(file: str, policy: ImportPolicy, *, dry_run: bool) -> None:
    """Create or update products by SKU from FILE.csv (`-` for stdin).

    Exits 1 when rows failed, 2 when FILE.csv cannot be read or is not a catalog file.
    """
    from pulseshop.shell import catalog_commands  # noqa: PLC0415 - see the module

    catalog_commands.import_command(file, policy=policy, dry_run=dry_run, settings=_settings())


@catalog.command("export")
@click.argument("file", metavar="FILE.csv")
def catalog_export(file: str) -> None:
    """Write the whole catalog to FILE.csv (`-` for stdout), in the format import reads."""
    from pulseshop.shell import catalog_commands  # noqa: PLC0415 - see the module

    catalog_commands.export_command(file, settings=_settings())


@cli.command()
@click.argument("request_file", metavar="FILE", type=click.File("rb"))
@click.option(
    "--indent",
    type=click.IntRange(0, 8),
    default=2,
    show_default=True,
    help="JSON indent; 0 for one line.",
)
def price(request_file: BinaryIO, indent: int) -> None:
    """Price the quote request in FILE (`-` for stdin) and print the quote as JSON.

    An invalid request exits with status 2 and lists every problem with its JSON path.
    """
    from pulseshop.core.pricing.codec import price_json  # noqa: PLC0415 - see the module
    from pulseshop.shell.pricing import invalid_request, read_json  # noqa: PLC0415

    source = "stdin" if request_file.name in {"-", "<stdin>"} else request_file.name
    priced = price_json(read_json(request_file, source))
    if not is_successful(priced):
        raise invalid_request(source, priced.failure())
    click.echo(json.dumps(priced.unwrap(), indent=indent or None, ensure_ascii=False))


@cli.command()
@click.argument("request_files", metavar="[FILE]...", nargs=-1, type=click.Path(dir_okay=False))
def repl(request_files: tuple[str, ...]) -> None:
    """Open a Python session for pricing what-ifs, with the pricing API loaded.

    Each FILE is loaded as a quote request into `requests` (the first also as `request`).
    """
    from pulseshop.shell import repl as session  # noqa: PLC0415 - only this command needs it

    session.interact(request_files)


async def _server_version_and_revision(url: PostgresUrl) -> tuple[str, str | None]:
    from pulseshop.adapters.postgres import PostgresDatabase, current_revision  # noqa: PLC0415

    database = PostgresDatabase(url, min_size=1, max_size=1)
    await database.connect()
    try:
        version = await database.fetch_value("SHOW server_version")
        return str(version), await current_revision(database)
    finally:
        await database.disconnect()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; every failure ends in one line on stderr and an exit code."""
    try:
        # Outside standalone mode click returns a command's exit code instead of exiting.
        exit_code = cli.main(args=argv, prog_name="pulseshop", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as shown:
        click.echo(shown.format_message())
    except click.ClickException as error:
        message = " ".join(error.format_message().split())
        if isinstance(error, click.UsageError):
            message = message.rstrip(".") + "; see `pulseshop --help`"
        return _fail(message, error.exit_code)
    except click.Abort:
        return _fail("aborted", 1)
    except ShellError as error:
        return _fail(str(error), error.exit_code)
    except ServiceStoppedError:
        pass  # a clean stop on SIGINT or SIGTERM
    else:
        return exit_code if isinstance(exit_code, int) else 0
    return 0


def _fail(message: str, exit_code: int) -> int:
    sys.stderr.write(f"pulseshop: error: {message}\n")
    return exit_code
