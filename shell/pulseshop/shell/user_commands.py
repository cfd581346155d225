"""`pulseshop user create`: a user with a password, created or updated by email.

The password is read from stdin only (``--password-stdin``), never from the command line,
where other users of the machine and the shell's history could read it. The email, the
role and the password are checked before the database is started; the password is stored
as its argon2id hash, and neither is ever printed. Setting a password ends the sessions the
user had, so a password changed because it leaked locks out whoever used it. On the
embedded database the schema is migrated first, as `pulseshop serve` does.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, final

import attrs
import click
from returns.pipeline import is_successful

from pulseshop.adapters.passwords import hash_password
from pulseshop.adapters.postgres import end_user_sessions, ensure_user, set_password
from pulseshop.core.access import MAX_PASSWORD, check_password
from pulseshop.shell.user_options import (
    checked_email,
    email_option,
    on_service_database,
    role_option,
)

if TYPE_CHECKING:
    from typing import BinaryIO

    from pulseshop.adapters.postgres import PostgresDatabase, User
    from pulseshop.core.access import Email, Role

STDIN_FLAG: Final = "'--password-stdin'"

# A password of MAX_PASSWORD characters, four bytes each at most in UTF-8, a CR LF, and one
# byte more, so that a longer input is seen to be longer without reading all of it.
_MOST_STDIN_BYTES: Final = 4 * MAX_PASSWORD + 3


@final
@attrs.frozen
class UserWithPassword:
    """What `user create` reports: the user, and how many of their sessions were ended."""

    user: User
    ended_sessions: int


@click.group()
def user() -> None:
    """Create users who sign in with a password."""


@user.command("create")
@email_option
@role_option
@click.option(
    "--password-stdin",
    "password_stdin",
    is_flag=True,
    help="Read the password from stdin: one line, at least 12 characters. Required.",
)
def create(email: str, role: Role, *, password_stdin: bool) -> None:
    """Create the user with EMAIL, or update them, with the password read from stdin.

    An existing user gets the role and the new password, and their sessions end. Exits 2
    when the email, the role or the password is refused, or --password-stdin is missing.
    """
    address = checked_email(email)
    if not password_stdin:
        raise click.UsageError(
            f"Missing option {STDIN_FLAG}: the password is read from stdin, "
            "never from the command line"
        )
    password = _password(sys.stdin.buffer)
    password_hash = hash_password(password)
    created = on_service_database(
        lambda database: _store(database, address, role, password_hash),
        failing=f"setting the password of {address} failed",
    )
    ended = created.ended_sessions
    sessions = f"; {ended} session{'s' if ended != 1 else ''} ended" if ended else ""
    click.echo(
        f"user {created.user.id} {created.user.email} ({created.user.role}): password set{sessions}"
    )


def _password(stdin: BinaryIO) -> str:
    """The password on stdin's one line, without its line end; refused when stdin is a
    terminal (it would echo the password) or holds no line, more than one, or a password
    the core's rule refuses."""
    if stdin.isatty():
        raise click.BadParameter(
            "stdin is a terminal; pipe the password in, e.g. from a password manager",
            param_hint=STDIN_FLAG,
        )
    data = stdin.read(_MOST_STDIN_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if len(data) < _MOST_STDIN_BYTES:
            raise click.BadParameter(
                "the password on stdin is not UTF-8 text", param_hint=STDIN_FLAG
            ) from None
        # Cut in the middle of a character: far too long anyway.
        text = data.decode("utf-8", errors="replace")
    line = text.removesuffix("\n").removesuffix("\r")
    if not line:
        raise click.BadParameter("stdin holds no password", param_hint=STDIN_FLAG)
    if "\n" in line or "\r" in line:
        raise click.BadParameter(
            "stdin holds more than one line; the password is one line", param_hint=STDIN_FLAG
        )
    checked = check_password(line)
    if not is_successful(checked):
        raise click.BadParameter(checked.failure().message, param_hint=STDIN_FLAG)
    return checked.unwrap()


async def _store(
    database: PostgresDatabase, email: Email, role: Role, password_hash: str
) -> UserWithPassword:
    now = datetime.now(UTC)
    # The user, their password and the end of their sessions: all or nothing.
    async with database.transaction():
        stored = await ensure_user(database, email, role)
        if not await set_password(database, stored.id, password_hash):  # pragma: no cover
            raise AssertionError("the user just ensured was not found")
        ended = await end_user_sessions(database, stored.id, now=now)
    return UserWithPassword(user=stored, ended_sessions=ended)
