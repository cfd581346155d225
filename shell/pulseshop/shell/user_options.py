"""What the commands acting for a user by email share: the ``--email`` and ``--role``
options, and running on the service's database (migrating the embedded one first, as
`pulseshop serve` does)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TypeVar

import click
from returns.pipeline import is_successful

from pulseshop.core.access import ROLES, parse_email
from pulseshop.shell import runtime
from pulseshop.shell.catalog_import import run_on_database
from pulseshop.shell.config import Settings
from pulseshop.shell.signals import StopSignals

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.core.access import Email

T = TypeVar("T")

email_option = click.option(
    "--email", required=True, help="The user's email address; the user is created if new."
)
role_option = click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="The user's role; an existing user with another role gets this one.",
)


def checked_email(text: str) -> Email:
    """The address ``--email`` gave, or a usage error (exit 2) saying what is wrong."""
    parsed = parse_email(text)
    if not is_successful(parsed):
        problem = parsed.failure()
        raise click.BadParameter(
            f"{text!r} is not an email address: it {problem.value}", param_hint="'--email'"
        )
    return parsed.unwrap()


def on_service_database(
    work: Callable[[PostgresDatabase], Coroutine[Any, Any, T]], *, failing: str
) -> T:
    """Run ``work`` on the service's database (``DATABASE_URL``, else the embedded one,
    migrated first); ``failing`` says what failed if it does."""
    settings = Settings.from_environ(os.environ)
    signals = StopSignals()
    with signals.installed(), runtime.database_url(settings, signals) as url:
        if settings.database_url is None:
            before, after = runtime.migrate(url)
            if before != after:
                click.echo(f"migrated {url.redacted} from {before or 'empty'} to {after}", err=True)
        return run_on_database(url, work, failing=failing)
