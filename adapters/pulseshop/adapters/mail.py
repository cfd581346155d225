"""Sending e-mail: over SMTP, or into a directory of ``.eml`` files when no server is set.

The server is chosen by URL (``smtp://[user[:password]@]host[:port][?starttls=true|false]``,
or ``smtps://`` for TLS from the first byte); `parse_smtp_url` checks one and says in one
sentence what is wrong with it. Without a URL, `MailDirectory` keeps every message as a file,
so the embedded service runs with nothing to configure and a developer can open what it sent.

Both transports raise `MailError` when a message could not be handed over; the caller (a
background job) retries it later. The error's text never contains the SMTP password.

>>> parse_smtp_url("smtp://mailer:s%40cret@mail.example.com:587?starttls=true").unwrap()
SmtpUrl(scheme='smtp', host='mail.example.com', port=587, username='mailer', starttls=True)
>>> parse_smtp_url("smtps://mail.example.com").unwrap().port
465
>>> parse_smtp_url("http://mail.example.com").failure()
'the scheme must be smtp or smtps'
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, Protocol, final
from urllib.parse import parse_qsl, unquote, urlsplit

import aiosmtplib
import attrs
from returns.result import Failure, Result, Success

if TYPE_CHECKING:
    from collections.abc import Callable
    from email.message import EmailMessage

__all__ = [
    "MailDirectory",
    "MailError",
    "MailTransport",
    "SmtpTransport",
    "SmtpUrl",
    "parse_smtp_url",
    "transport_for",
]

DEFAULT_PORTS: Final = {"smtp": 25, "smtps": 465}
"""The port of each scheme when the URL names none."""

_BOOLEANS: Final = {"true": True, "false": False}

# What a file name keeps of a Message-ID: portable characters only, and not so many that a
# long ID makes a name some file system refuses.
_UNSAFE_NAME_CHARACTERS: Final = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_ID_CHARACTERS: Final = 64


@final
@attrs.frozen
class SmtpUrl:
    """A checked SMTP server URL.

    ``smtps`` speaks TLS from the first byte (implicit TLS, usually port 465); ``smtp`` with
    ``starttls`` upgrades the connection before anything else is sent (usually port 587).
    """

    scheme: Literal["smtp", "smtps"]
    host: str
    port: int
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    starttls: bool = False

    @property
    def redacted(self) -> str:
        """The server as a URL without credentials, safe to log and to put in errors."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = f"{self.username}@" if self.username else ""
        query = "?starttls=true" if self.starttls else ""
        return f"{self.scheme}://{user}{host}:{self.port}{query}"


def parse_smtp_url(text: str) -> Result[SmtpUrl, str]:
    """Check an SMTP URL; the failure says what is wrong with it, in one short sentence.

    The user name and password are percent-decoded (write ``@`` as ``%40``).

    >>> parse_smtp_url("smtp://relay.internal").unwrap()
    SmtpUrl(scheme='smtp', host='relay.internal', port=25, username=None, starttls=False)
    >>> parse_smtp_url("smtp://relay.internal?tls=1").failure()
    "unknown parameter 'tls'"
    """
    stripped = text.strip()
    if not stripped:
        return Failure("the URL is empty")
    parts = urlsplit(stripped)
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        return Failure("the scheme must be smtp or smtps")
    if not parts.hostname:
        return Failure("a host is required")
    try:
        port = parts.port
    except ValueError:  # not a number, or above 65535
        return Failure("the port must be 1-65535")
    # `urlsplit` reads "host:" as no port at all; a colon with nothing after it is a typo.
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        return Failure("the port must be 1-65535")
    if parts.path not in ("", "/"):
        return Failure("a path is not allowed")
    if parts.fragment:
        return Failure("a fragment is not allowed")
    if parts.password is not None and not parts.username:
        return Failure("a password needs a user name")
    starttls = _starttls(parts.query, scheme)
    if isinstance(starttls, str):
        return Failure(starttls)
    return Success(
        SmtpUrl(
            scheme="smtps" if scheme == "smtps" else "smtp",
            host=parts.hostname,
            port=port or DEFAULT_PORTS[scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            starttls=starttls,
        )
    )


def _starttls(query: str, scheme: str) -> bool | str:
    """The ``starttls`` setting of a URL's query, or the sentence saying what is wrong."""
    starttls = False
    seen: set[str] = set()
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name != "starttls":
            return f"unknown parameter {name!r}"
        if name in seen:
            return f"the parameter {name!r} is given more than once"
        seen.add(name)
        if value.lower() not in _BOOLEANS:
            return "starttls must be true or false"
        starttls = _BOOLEANS[value.lower()]
    if starttls and scheme == "smtps":
        return "starttls is for smtp; smtps is TLS from the start"
    return starttls


@final
class MailError(Exception):
    """A message could not be handed over; the text says why (never with a password).

    Sending may work later (a server that was down, a full disk), so the caller retries.
    """


class MailTransport(Protocol):
    """Where messages go: an SMTP server, or a directory."""

    @property
    def name(self) -> str:
        """What the transport sends to, for logs (no secrets)."""
        ...

    async def send(self, message: EmailMessage) -> None:
        """Hand ``message`` over, to the recipients of its To, Cc and Bcc headers.

        Raises:
            MailError: it could not be handed over.
        """
        ...


@final
class SmtpTransport:
    """Sends through an SMTP server, one connection per message.

    A connection per message keeps the transport stateless: receipts are few, and a server
    that closes idle connections cannot break a later send.
    """

    def __init__(self, url: SmtpUrl, *, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout

    @property
    def name(self) -> str:
        """The server, without credentials."""
        return self.url.redacted

    async def send(self, message: EmailMessage) -> None:
        """Send ``message``; sender and recipients come from its headers.

        Raises:
            MailError: the server could not be reached, refused the message or a recipient,
                or did not answer within the timeout.
        """
        url = self.url
        try:
            await aiosmtplib.send(
                message,
                hostname=url.host,
                port=url.port,
                username=url.username,
                password=url.password,
                use_tls=url.scheme == "smtps",
                # Explicit, never aiosmtplib's "upgrade when offered": the URL decides.
                start_tls=url.starttls,
                timeout=self.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            reason = str(error) or type(error).__name__
            # A server may echo what it was sent; keep the password out of logs either way.
            if url.password:
                reason = reason.replace(url.password, "***")
            raise MailError(f"sending through {url.redacted} failed: {reason}") from error


@final
class MailDirectory:
    """Keeps each message as an ``.eml`` file in a directory: the embedded default.

    A file appears whole or not at all (it is written under a temporary name, then linked to
    its own), so whatever reads the directory never sees half a message. Names sort by time:
    ``20261204T230455Z-receipt-42.eml`` from the UTC time and the Message-ID.
    """

    def __init__(
        self, directory: Path, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.directory = directory
        self._clock = clock

    @property
    def name(self) -> str:
        """The directory the files go to."""
        return f"mail directory {self.directory}"

    async def send(self, message: EmailMessage) -> None:
        """Write ``message`` into the directory (made if missing), next to any file there.

        Raises:
            MailError: the directory cannot be made or written to.
        """
        try:
            # In a thread: fsync may wait on the disk, and the event loop must not.
            await asyncio.to_thread(self._write, message)
        except OSError as error:
            raise MailError(f"writing to {self.name} failed: {error}") from error

    def _write(self, message: EmailMessage) -> None:
        # CRLF line ends: an .eml file is the message as it would travel.
        self.directory.mkdir(parents=True, exist_ok=True)
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        stem = f"{self._clock().astimezone(UTC):%Y%m%dT%H%M%SZ}-{_id_for_name(message)}"
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            # `os.link` publishes atomically as `os.replace` would, but refuses a name that is
            # taken, so two writers that pick the same name cannot overwrite each other.
            counter = 1
            while True:
                suffix = "" if counter == 1 else f"-{counter}"
                try:
                    os.link(temporary, self.directory / f"{stem}{suffix}.eml")
                    break
                except FileExistsError:
                    counter += 1
        finally:
            Path(temporary).unlink(missing_ok=True)


def _id_for_name(message: EmailMessage) -> str:
    """The Message-ID's left part, made safe for a file name (``message`` without one)."""
    message_id = str(message.get("Message-ID", "")).strip().strip("<>").partition("@")[0]
    safe = _UNSAFE_NAME_CHARACTERS.sub("-", message_id).strip(".-")[:_MAX_ID_CHARACTERS]
    return safe or "message"


def transport_for(smtp_url: SmtpUrl | None, mail_directory: Path) -> MailTransport:
    """The SMTP server when one is configured, else the directory.

    >>> transport_for(None, Path("mail")).name
    'mail directory mail'
    """
    if smtp_url is None:
        return MailDirectory(mail_directory)
    return SmtpTransport(smtp_url)
