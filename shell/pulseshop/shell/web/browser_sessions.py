"""Signing in from a browser: the session cookie, who it belongs to, and CSRF tokens.

The cookie carries a session's token (`pulseshop.adapters.postgres.sessions`) signed with
the service's secret key (itsdangerous), so a cookie that was altered is refused before the
database is asked; it is ``HttpOnly``, ``SameSite=Lax``, ``Path=/``, and ``Secure`` when
the request came over HTTPS. A cookie whose signature, session or user is not valid is
treated as no cookie: the visitor is signed out.

Every form that changes something carries a CSRF token (the field `CSRF_FIELD`). A signed-in
visitor's token is an HMAC of their session's CSRF secret, so it changes with the session
(at sign-in, the session is new); a visitor who is not signed in (the sign-in form) gets a
random secret in a cookie of its own (`CSRF_COOKIE`), signed like the session cookie.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, final

import attrs
from itsdangerous import BadSignature, Signer
from returns.result import Success

from pulseshop.adapters.passwords import hash_password, needs_rehash, verify_password
from pulseshop.adapters.postgres.sessions import (
    end_session,
    find_session,
    password_hash_of,
    set_password,
    start_session,
    touch_session,
)
from pulseshop.core.access import parse_email
from pulseshop.shell.web.auth import Principal

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from starlette.requests import HTTPConnection
    from starlette.responses import Response

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.adapters.postgres.sessions import SessionInfo

SESSION_COOKIE: Final = "pulseshop_session"
CSRF_COOKIE: Final = "pulseshop_csrf"
CSRF_FIELD: Final = "csrf_token"
"""The form field every state-changing form carries its CSRF token in."""

TOUCH_AFTER: Final = timedelta(seconds=60)
"""A session's idle expiry is moved forward at most once per this period, not per request."""

SECRET_KEY_BYTES: Final = 32
_CSRF_MESSAGE: Final = b"pulseshop form"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def load_secret_key(path: Path) -> str:
    """The signing key kept in ``path``, made (random, readable by its owner only) when the
    file does not exist yet, so cookies stay valid across restarts of the service."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(SECRET_KEY_BYTES)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: theirs is the key
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key


@final
@attrs.frozen
class Visitor:
    """Who is browsing: a signed-in user with their session, or nobody; and the CSRF token
    their forms must carry."""

    principal: Principal | None
    session: SessionInfo | None = attrs.field(repr=False)
    csrf_token: str = attrs.field(repr=False)
    new_csrf_secret: str | None = attrs.field(default=None, repr=False)
    """A signed CSRF secret to store in `CSRF_COOKIE` with the answer (first visit)."""


@final
@attrs.frozen
class SignInFailed:
    """The email and password did not match a user with a password."""


@final
class BrowserSessions:
    """Browser sign-in for one application: reads and writes the session cookie, starts
    and ends sessions, and makes and checks CSRF tokens."""

    def __init__(
        self,
        database: PostgresDatabase,
        secret_key: str,
        *,
        idle: timedelta,
        absolute: timedelta,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._database = database
        self._session_signer = Signer(secret_key, salt="pulseshop.session")
        self._csrf_signer = Signer(secret_key, salt="pulseshop.csrf")
        self._csrf_key = hashlib.sha256(b"pulseshop.csrf-token" + secret_key.encode()).digest()
        self._idle = idle
        self._absolute = absolute
        self._clock = clock

    @functools.cached_property
    def _decoy_hash(self) -> str:
        """A hash to verify an unknown user's password against: it costs what a known user's
        costs, so the time taken does not tell which emails have accounts. Made at the first
        sign-in, not with the application (argon2 is slow on purpose)."""
        return hash_password(secrets.token_urlsafe(16))

    def _token_of(self, cookies: Mapping[str, str]) -> str | None:
        signed = cookies.get(SESSION_COOKIE)
        if not signed:
            return None
        try:
            return self._session_signer.unsign(signed).decode()
        except (BadSignature, UnicodeDecodeError):
            return None

    async def session(self, connection: HTTPConnection) -> SessionInfo | None:
        """The valid session named by the connection's cookie (a request's or a WebSocket's);
        its idle expiry is moved forward when it was last moved over a minute ago."""
        token = self._token_of(connection.cookies)
        if token is None:
            return None
        now = self._clock()
        session = await find_session(self._database, token, now=now)
        if session is None:
            return None
        if session.idle_expires_at - self._idle + TOUCH_AFTER <= now:
            await touch_session(self._database, session.session_id, now=now, idle=self._idle)
        return session

    async def visitor(self, connection: HTTPConnection) -> Visitor:
        """Who sent the request, remembered on it so a request asks the database once."""
        known: Visitor | None = getattr(connection.state, "visitor", None)
        if known is not None:
            return known
        session = await self.session(connection)
        if session is not None:
            visitor = Visitor(
                Principal(
                    user_id=session.user_id,
                    email=session.email,
                    role=session.role,
                    scopes=session.scopes,
                ),
                session,
                self._csrf_token(session.csrf_secret),
            )
        else:
            visitor = self._anonymous(connection.cookies)
        connection.state.visitor = visitor
        return visitor

    def _anonymous(self, cookies: Mapping[str, str]) -> Visitor:
        signed = cookies.get(CSRF_COOKIE, "")
        try:
            secret = self._csrf_signer.unsign(signed) if signed else None
        except BadSignature:
            secret = None
        if secret is not None:
            return Visitor(None, None, self._csrf_token(secret))
        fresh = secrets.token_urlsafe(SECRET_KEY_BYTES).encode()
        return Visitor(
            None,
            None,
            self._csrf_token(fresh),
            new_csrf_secret=self._csrf_signer.sign(fresh).decode(),
        )

    def _csrf_token(self, secret: bytes) -> str:
        return hmac.new(self._csrf_key, secret + _CSRF_MESSAGE, hashlib.sha256).hexdigest()

    @staticmethod
    def csrf_valid(visitor: Visitor, given: object) -> bool:
        """Whether ``given`` (the form's `CSRF_FIELD`) is the visitor's token. A visitor who
        has no CSRF cookie yet cannot have a valid token."""
        if visitor.new_csrf_secret is not None or not isinstance(given, str):
            return False
        return hmac.compare_digest(visitor.csrf_token.encode(), given.encode(errors="replace"))

    async def sign_in(
        self, connection: HTTPConnection, email_text: str, password: str
    ) -> tuple[str, datetime] | SignInFailed:
        """Check the email and password; on a match, end the session the browser had (if
        any) and start a new one: the signed cookie value and when it expires.

        A hash made with older argon2 parameters is replaced by one with today's.
        """
        email = parse_email(email_text)
        found = (
            await password_hash_of(self._database, email.unwrap())
            if isinstance(email, Success)
            else None
        )
        stored_hash = self._decoy_hash if found is None else found[1]
        if not verify_password(stored_hash, password) or found is None:
            return SignInFailed()
        user_id, _ = found
        if needs_rehash(stored_hash):
            await set_password(self._database, user_id, hash_password(password))
        now = self._clock()
        # A new session at each sign-in, never the one the browser came with: a session id
        # planted before sign-in (session fixation) is worth nothing after it.
        old = self._token_of(connection.cookies)
        if old is not None:
            await end_session(self._database, old, now=now)
        ticket = await start_session(
            self._database, user_id, now=now, idle=self._idle, absolute=self._absolute
        )
        return self._session_signer.sign(ticket.token).decode(), ticket.absolute_expires_at

    async def sign_out(self, connection: HTTPConnection) -> None:
        """End the session of the connection's cookie on the server: the cookie is worth
        nothing from now on, wherever a copy of it is."""
        token = self._token_of(connection.cookies)
        if token is not None:
            await end_session(self._database, token, now=self._clock())

    def set_session_cookie(
        self, response: Response, value: str, expires_at: datetime, *, secure: bool
    ) -> None:
        """Send the session cookie; it lasts until the session's absolute expiry."""
        max_age = max(0, int((expires_at - self._clock()).total_seconds()))
        response.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=max_age,
            path="/",
            secure=secure,
            httponly=True,
            samesite="lax",
        )

    @staticmethod
    def clear_session_cookie(response: Response, *, secure: bool) -> None:
        """Tell the browser to forget its session cookie."""
        response.delete_cookie(
            SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax"
        )

    @staticmethod
    def remember_csrf(response: Response, visitor: Visitor, *, secure: bool) -> None:
        """Send a first-time visitor's CSRF cookie with ``response``."""
        if visitor.new_csrf_secret is not None:
            response.set_cookie(
                CSRF_COOKIE,
                visitor.new_csrf_secret,
                path="/",
                secure=secure,
                httponly=True,
                samesite="lax",
            )
