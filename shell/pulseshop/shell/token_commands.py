"""`pulseshop token issue`: a bearer token for the JSON API, for a user created if needed.

The email and the scopes are checked before the database is started; the token's text is
printed once, alone on the last line of stdout, so a script can take it with ``tail -n 1``.
On the embedded database the schema is migrated first, as `pulseshop serve` does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, final

import attrs
import click

from pulseshop.adapters.postgres import ensure_user, issue_token
from pulseshop.core.access import ROLE_SCOPES, missing_scopes
from pulseshop.shell.user_options import (
    checked_email,
    email_option,
    on_service_database,
    role_option,
)

if TYPE_CHECKING:
    from pulseshop.adapters.postgres import PostgresDatabase, User
    from pulseshop.core.access import Email, Role

DEFAULT_TTL_DAYS: Final = 30
MAX_TTL_DAYS: Final = 3_650
"""Ten years: a token's lifetime is bounded so that a typo cannot make one eternal."""


@final
@attrs.frozen
class IssuedToken:
    """What `token issue` reports: the user, the token's scopes and expiry, and its text."""

    user: User
    scopes: frozenset[str]
    expires_at: datetime
    text: str


@click.group()
def token() -> None:
    """Issue bearer tokens for the JSON API."""


@token.command("issue")
@email_option
@role_option
@click.option(
    "--ttl-days",
    type=click.IntRange(1, MAX_TTL_DAYS),
    default=DEFAULT_TTL_DAYS,
    show_default=True,
    help="Days until the token expires.",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    metavar="SCOPE",
    help="A scope to grant; repeat for more. [default: every scope of the role]",
)
def issue(email: str, role: Role, ttl_days: int, scopes: tuple[str, ...]) -> None:
    """Print a new token for the user with EMAIL, on the last line of stdout.

    Exits 2 when the email is not an address or a scope is not one of the role's.
    """
    address = checked_email(email)
    granted = _scopes(role, scopes)
    issued = on_service_database(
        lambda database: _issue(database, address, role, granted, timedelta(days=ttl_days)),
        failing=f"issuing a token for {address} failed",
    )
    scope_list = ", ".join(sorted(issued.scopes))
    click.echo(
        f"issued a token for {issued.user.email} (user {issued.user.id}, {issued.user.role}) "
        f"with {scope_list}, valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC:"
    )
    click.echo(issued.text)


def _scopes(role: Role, requested: tuple[str, ...]) -> frozenset[str]:
    """The scopes asked for, or all the role's when none were; refused when the role lacks
    one of them."""
    allowed = ROLE_SCOPES[role]
    if not requested:
        return allowed
    lacking = missing_scopes(allowed, requested)
    if lacking:
        names = ", ".join(sorted(lacking))
        plural = "s" if len(lacking) > 1 else ""
        raise click.BadParameter(
            f"the {role} role has no scope{plural} {names}; "
            f"its scopes are {', '.join(sorted(allowed))}",
            param_hint="'--scope'",
        )
    return frozenset(requested)


async def _issue(
    database: PostgresDatabase,
    email: Email,
    role: Role,
    scopes: frozenset[str],
    ttl: timedelta,
) -> IssuedToken:
    now = datetime.now(UTC)
    # A user is created only together with their token.
    async with database.transaction():
        user = await ensure_user(database, email, role)
        text = await issue_token(database, user.id, scopes, now=now, ttl=ttl)
    return IssuedToken(user=user, scopes=scopes, expires_at=now + ttl, text=text)
