"""Sending e-mail: SMTP URLs, a real SMTP server, and the directory of .eml files."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Final

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from returns.pipeline import is_successful

from pulseshop.adapters.mail import (
    MailDirectory,
    MailError,
    SmtpTransport,
    SmtpUrl,
    parse_smtp_url,
    transport_for,
)
from tests.support.processes import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from aiosmtpd.smtp import SMTP, Envelope, Session

pytestmark = pytest.mark.unit

NOW: Final = datetime(2026, 12, 4, 23, 4, 55, tzinfo=UTC)
PASSWORD: Final = "hunter2-do-not-show"  # noqa: S105


def a_message(message_id: str = "<receipt-42@pulseshop>") -> EmailMessage:
    """A small two-part message from the shop to a customer."""
    message = EmailMessage()
    message["Subject"] = "Your PulseShop order #42"
    message["From"] = "shop@example.com"
    message["To"] = "ada@example.com"
    message["Message-ID"] = message_id
    message.set_content("Total: 43.74 EUR\n")
    message.add_alternative("<p>Total: 43.74 EUR</p>\n", subtype="html")
    return message


class TestParseSmtpUrl:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("smtp://relay.internal", SmtpUrl("smtp", "relay.internal", 25)),
            ("smtps://mail.example.com", SmtpUrl("smtps", "mail.example.com", 465)),
            ("SMTP://Relay.Internal:2525/", SmtpUrl("smtp", "relay.internal", 2525)),
            ("  smtp://relay.internal  ", SmtpUrl("smtp", "relay.internal", 25)),
            ("smtp://[::1]:1025", SmtpUrl("smtp", "::1", 1025)),
            (
                "smtp://mailer:s3cret@mail.example.com:587?starttls=true",
                SmtpUrl("smtp", "mail.example.com", 587, "mailer", "s3cret", starttls=True),
            ),
            (
                "smtp://relay.internal?starttls=FALSE",
                SmtpUrl("smtp", "relay.internal", 25, starttls=False),
            ),
            (
                "smtps://shop%40example.com:p%3Ass%40w%2Ford@mail.example.com",
                SmtpUrl("smtps", "mail.example.com", 465, "shop@example.com", "p:ss@w/ord"),
            ),
            ("smtp://mailer@relay.internal", SmtpUrl("smtp", "relay.internal", 25, "mailer")),
            ("smtps://relay.internal?starttls=false", SmtpUrl("smtps", "relay.internal", 465)),
        ],
    )
    def test_good_urls(self, text: str, expected: SmtpUrl) -> None:
        """Scheme, host, port (or the scheme's default), decoded credentials and starttls."""
        assert expected == parse_smtp_url(text).unwrap()

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("", "the URL is empty"),
            ("   ", "the URL is empty"),
            ("relay.internal:25", "the scheme must be smtp or smtps"),
            ("http://relay.internal", "the scheme must be smtp or smtps"),
            ("smtp://", "a host is required"),
            ("smtp://mailer:pw@", "a host is required"),
            ("smtp://:25", "a host is required"),
            ("smtp://relay.internal:0", "the port must be 1-65535"),
            ("smtp://relay.internal:65536", "the port must be 1-65535"),
            ("smtp://relay.internal:-1", "the port must be 1-65535"),
            ("smtp://relay.internal:smtp", "the port must be 1-65535"),
            ("smtp://relay.internal:", "the port must be 1-65535"),
            ("smtp://relay.internal/outbox", "a path is not allowed"),
            ("smtp://relay.internal#top", "a fragment is not allowed"),
            ("smtp://:pw@relay.internal", "a password needs a user name"),
            ("smtp://relay.internal?tls=true", "unknown parameter 'tls'"),
            ("smtp://relay.internal?starttls", "starttls must be true or false"),
            ("smtp://relay.internal?starttls=yes", "starttls must be true or false"),
            (
                "smtp://relay.internal?starttls=true&starttls=false",
                "the parameter 'starttls' is given more than once",
            ),
            (
                "smtps://relay.internal?starttls=true",
                "starttls is for smtp; smtps is TLS from the start",
            ),
        ],
    )
    def test_malformed_urls_say_what_is_wrong(self, text: str, problem: str) -> None:
        """Each malformed URL fails with one sentence naming its defect."""
        result = parse_smtp_url(text)

        assert not is_successful(result)
        assert problem == result.failure()

    def test_password_is_not_shown(self) -> None:
        """Neither the repr nor the redacted form carries the password."""
        url = parse_smtp_url(f"smtp://mailer:{PASSWORD}@relay.internal").unwrap()

        assert PASSWORD not in repr(url)
        assert "smtp://mailer@relay.internal:25" == url.redacted


@attrs.define
class Collector:
    """An aiosmtpd handler keeping every envelope it is given."""

    envelopes: list[Envelope] = attrs.field(factory=list)

    async def handle_DATA(  # noqa: N802 (aiosmtpd finds handlers by this name)
        self, _server: SMTP, _session: Session, envelope: Envelope
    ) -> str:
        """Keep the envelope and accept the message."""
        self.envelopes.append(envelope)
        return "250 OK"


@attrs.define
class Authenticator:
    """Accepts one user name and password, and remembers who logged in."""

    logins: list[bytes] = attrs.field(factory=list)

    def __call__(
        self,
        _server: SMTP,
        _session: Session,
        _envelope: Envelope,
        _mechanism: str,
        auth_data: object,
    ) -> AuthResult:
        """Success for mailer / PASSWORD only."""
        if isinstance(auth_data, LoginPassword) and auth_data == (b"mailer", PASSWORD.encode()):
            self.logins.append(auth_data.login)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@attrs.frozen
class SmtpServer:
    """A running SMTP server on 127.0.0.1."""

    port: int
    collector: Collector
    authenticator: Authenticator


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd, in its own thread) that keeps what it receives.

    It offers AUTH without TLS, which only a test server should.
    """
    collector, authenticator = Collector(), Authenticator()
    controller = Controller(
        collector,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield SmtpServer(controller.port, collector, authenticator)
    finally:
        controller.stop()


def received(envelope: Envelope) -> EmailMessage:
    """The message of ``envelope`` as the receiver parses it."""
    content = envelope.original_content
    assert content is not None
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(message: EmailMessage) -> dict[str, str]:
    """The text of each alternative, by content type, with the wire's CRLFs read as LFs."""
    texts: dict[str, str] = {}
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        texts[part.get_content_type()] = part.get_content().replace("\r\n", "\n")
    return texts


class TestSmtpTransport:
    async def test_sends_both_parts(self, smtp_server: SmtpServer) -> None:
        """The server gets the message, from and to its header addresses, with both parts."""
        transport = SmtpTransport(SmtpUrl("smtp", "127.0.0.1", smtp_server.port))

        await transport.send(a_message())

        [envelope] = smtp_server.collector.envelopes
        message = received(envelope)
        assert ("shop@example.com", ["ada@example.com"]) == (
            envelope.mail_from,
            envelope.rcpt_tos,
        )
        assert ("Your PulseShop order #42", "<receipt-42@pulseshop>") == (
            message["Subject"],
            message["Message-ID"],
        )
        assert {
            "text/plain": "Total: 43.74 EUR\n",
            "text/html": "<p>Total: 43.74 EUR</p>\n",
        } == parts(message)

    async def test_logs_in_with_the_url_credentials(self, smtp_server: SmtpServer) -> None:
        """A user name and password in the URL are used to log in before sending."""
        url = parse_smtp_url(f"smtp://mailer:{PASSWORD}@127.0.0.1:{smtp_server.port}")

        await SmtpTransport(url.unwrap()).send(a_message())

        assert [b"mailer"] == smtp_server.authenticator.logins
        assert 1 == len(smtp_server.collector.envelopes)

    async def test_wrong_password_is_a_mail_error(self, smtp_server: SmtpServer) -> None:
        """A refused login raises MailError, and nothing is sent."""
        url = SmtpUrl("smtp", "127.0.0.1", smtp_server.port, "mailer", "wrong")

        with pytest.raises(MailError):
            await SmtpTransport(url).send(a_message())

        assert [] == smtp_server.collector.envelopes

    async def test_required_starttls_is_not_skipped(self, smtp_server: SmtpServer) -> None:
        """starttls=true against a server without STARTTLS fails instead of sending in clear."""
        url = SmtpUrl("smtp", "127.0.0.1", smtp_server.port, starttls=True)

        with pytest.raises(MailError, match="STARTTLS"):
            await SmtpTransport(url).send(a_message())

        assert [] == smtp_server.collector.envelopes

    async def test_no_server_is_a_mail_error_without_the_password(self) -> None:
        """Nothing listening: MailError names the server, never the password."""
        url = SmtpUrl("smtp", "127.0.0.1", free_port(), "mailer", PASSWORD)

        with pytest.raises(MailError) as raised:
            await SmtpTransport(url, timeout=5).send(a_message())

        assert f"smtp://mailer@127.0.0.1:{url.port}" in str(raised.value)
        assert PASSWORD not in str(raised.value)
        assert PASSWORD not in repr(raised.value)

    def test_name_is_the_server_without_credentials(self) -> None:
        """The transport's name is safe to log."""
        url = SmtpUrl("smtps", "mail.example.com", 465, "mailer", PASSWORD)

        assert "smtps://mailer@mail.example.com:465" == SmtpTransport(url).name


def names(directory: Path) -> list[str]:
    """The names of the files in ``directory``, hidden ones included, sorted."""
    return sorted(path.name for path in directory.iterdir())


class TestMailDirectory:
    async def test_writes_a_parseable_eml_file(self, tmp_path: Path) -> None:
        """The message becomes one file named by UTC time and Message-ID, read back whole."""
        directory = tmp_path / "outbox"
        transport = MailDirectory(directory, clock=lambda: NOW)

        await transport.send(a_message())

        [name] = names(directory)
        message = email.message_from_bytes(
            (directory / name).read_bytes(), policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        assert "20261204T230455Z-receipt-42.eml" == name
        assert "<receipt-42@pulseshop>" == message["Message-ID"]
        assert {
            "text/plain": "Total: 43.74 EUR\n",
            "text/html": "<p>Total: 43.74 EUR</p>\n",
        } == parts(message)

    async def test_same_name_never_overwrites(self, tmp_path: Path) -> None:
        """Two messages with one Message-ID in the same second become two files."""
        transport = MailDirectory(tmp_path, clock=lambda: NOW)

        await transport.send(a_message())
        await transport.send(a_message())
        await transport.send(a_message())

        assert [
            "20261204T230455Z-receipt-42-2.eml",
            "20261204T230455Z-receipt-42-3.eml",
            "20261204T230455Z-receipt-42.eml",
        ] == names(tmp_path)

    @pytest.mark.parametrize(
        ("message_id", "name"),
        [
            ("<../../etc/passwd@evil>", "20261204T230455Z-etc-passwd.eml"),
            ("<a/b%c+d@x>", "20261204T230455Z-a-b-c-d.eml"),
            ("", "20261204T230455Z-message.eml"),
            (f"<{'x' * 200}@pulseshop>", f"20261204T230455Z-{'x' * 64}.eml"),
        ],
    )
    async def test_message_id_is_made_safe_for_a_name(
        self, tmp_path: Path, message_id: str, name: str
    ) -> None:
        """Separators and odd characters of a Message-ID never reach the file name."""
        message = a_message()
        del message["Message-ID"]
        if message_id:
            message["Message-ID"] = message_id

        await MailDirectory(tmp_path, clock=lambda: NOW).send(message)

        assert [name] == names(tmp_path)

    async def test_time_is_written_in_utc(self, tmp_path: Path) -> None:
        """A clock in another zone still names the file by UTC time."""
        local = datetime.fromisoformat("2026-12-05T01:04:55+02:00")

        await MailDirectory(tmp_path, clock=lambda: local).send(a_message())

        assert ["20261204T230455Z-receipt-42.eml"] == names(tmp_path)

    async def test_no_temporary_file_is_left(self, tmp_path: Path) -> None:
        """After sending, the directory holds the .eml files and nothing else."""
        transport = MailDirectory(tmp_path)

        await transport.send(a_message())
        await transport.send(a_message("<other@pulseshop>"))

        written = names(tmp_path)
        assert 2 == len(written)
        assert all(name.endswith(".eml") and not name.startswith(".") for name in written)

    async def test_unwritable_directory_is_a_mail_error(self, tmp_path: Path) -> None:
        """A directory that cannot be made (a file is in its place) raises MailError."""
        blocker = tmp_path / "outbox"
        blocker.write_text("not a directory")

        with pytest.raises(MailError, match="mail directory"):
            await MailDirectory(blocker).send(a_message())
        with pytest.raises(MailError):
            await MailDirectory(blocker / "inner").send(a_message())

        assert ["outbox"] == names(tmp_path)


class TestTransportFor:
    def test_directory_without_a_url(self, tmp_path: Path) -> None:
        """No SMTP URL: messages go to the directory."""
        transport = transport_for(None, tmp_path)

        assert isinstance(transport, MailDirectory)
        assert tmp_path == transport.directory

    def test_smtp_with_a_url(self, tmp_path: Path) -> None:
        """An SMTP URL: messages go to that server."""
        url = SmtpUrl("smtp", "relay.internal", 25)

        transport = transport_for(url, tmp_path)

        assert isinstance(transport, SmtpTransport)
        assert url == transport.url
