"""`pulseshop catalog import` and `export`, and the demo catalog `serve` starts with.

Each command opens its file, starts the database (DATABASE_URL, or the embedded server),
runs one step of `catalog_import` and prints what it did. A file that cannot be read or
is not a catalog file is refused before the database is started.
"""

from __future__ import annotations

import asyncio
import sys
from contextlib import contextmanager
from importlib.resources import files
from typing import TYPE_CHECKING

import click

from pulseshop.adapters.pubsub import PubSub
from pulseshop.shell import runtime
from pulseshop.shell.carts.products import CACHE_NAME
from pulseshop.shell.catalog_files import CatalogSource, open_catalog, written_whole
from pulseshop.shell.catalog_import import (
    export_products,
    import_catalog,
    import_demo,
    run_on_database,
)
from pulseshop.shell.catalog_report import change_line, failure_message, summary_lines
from pulseshop.shell.errors import ShellError
from pulseshop.shell.read_cache import announce_invalidation
from pulseshop.shell.signals import StopSignals

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pulseshop.adapters.postgres import PostgresUrl
    from pulseshop.core.catalog import Change, ImportPolicy
    from pulseshop.shell.config import Settings

DEMO_CATALOG = ("pulseshop.shell.demo", "catalog.csv")


def import_command(path: str, *, policy: ImportPolicy, dry_run: bool, settings: Settings) -> None:
    """Import (or with ``dry_run`` plan) the catalog file at ``path`` and print the summary.

    Raises:
        ShellError: rows failed (exit 1), after the summary is printed.
        CatalogFileError: the file cannot be read or is not a catalog file (exit 2).
    """
    signals = StopSignals()
    with signals.installed(), open_catalog(path) as source:
        source.header(source.records())
        # The changes of a dry run go to stdout as they are found: a bar on the same
        # terminal would be torn apart by them.
        show_bar = sys.stderr.isatty() and not (dry_run and sys.stdout.isatty())
        with runtime.database_url(settings, signals) as url, _progress(source, show=show_bar):
            summary = run_on_database(
                url,
                lambda database: import_catalog(
                    database, source, policy=policy, dry_run=dry_run, on_change=_print_change
                ),
                failing=f"importing {source.name} failed, nothing was written",
            )
    if summary.outcome == "applied":
        _announce_catalog_change(settings)
    for line in summary_lines(summary):
        click.echo(line)
    message = failure_message(summary)
    if message is not None:
        raise ShellError(message)


def _announce_catalog_change(settings: Settings) -> None:
    """Tell the running service's processes to drop the products they cached, through the
    pub/sub backend they share (with ``memory://`` there is none: they see the import when
    their cached products' TTL runs out, 30 s at most)."""
    if settings.pubsub_url.startswith("memory:"):
        return

    async def announce() -> None:
        pubsub = PubSub(settings.pubsub_url)
        await pubsub.connect()
        try:
            await announce_invalidation(pubsub, CACHE_NAME, origin="pulseshop catalog import")
        finally:
            await pubsub.disconnect()

    asyncio.run(announce())


def _print_change(change: Change) -> None:
    if change.fields:
        click.echo(change_line(change))


@contextmanager
def _progress(source: CatalogSource, *, show: bool) -> Iterator[None]:
    """A progress bar on stderr over the bytes of the file, while the block runs."""
    if not show or not source.size:
        yield
        return
    with click.progressbar(
        length=source.size, label=f"reading {source.name}", file=sys.stderr
    ) as bar:
        source.progress = bar.update
        try:
            yield
        finally:
            source.progress = lambda _count: None


def export_command(path: str, *, settings: Settings) -> None:
    """Write the whole catalog to ``path`` (``-``: stdout), replacing the file only when
    the export is complete."""
    signals = StopSignals()
    with (
        signals.installed(),
        runtime.database_url(settings, signals) as url,
        written_whole(path) as stream,
    ):
        count = run_on_database(
            url,
            lambda database: export_products(database, stream.write),
            failing=f"exporting the catalog to {path} failed",
        )
    where = "stdout" if path == "-" else path
    click.echo(f"exported {count:,} product{'' if count == 1 else 's'} to {where}", err=True)


def import_demo_catalog(url: PostgresUrl) -> None:
    """Import the demo catalog into a database nobody has used yet, saying so on stderr."""
    package, name = DEMO_CATALOG
    with files(package).joinpath(name).open("rb") as stream:
        source = CatalogSource(stream, "the demo catalog")
        summary = run_on_database(
            url,
            lambda database: import_demo(database, source),
            failing="importing the demo catalog failed",
        )
    if summary is not None:
        click.echo(
            f"imported the demo catalog: {summary.counts.created:,} products "
            "(PULSESHOP_DEMO_CATALOG=0 starts with an empty catalog)",
            err=True,
        )
