"""Signing in and out: ``GET``/``POST /login``, ``POST /logout``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

from starlette.routing import Route

from pulseshop.core.access import MAX_PASSWORD
from pulseshop.shell.web.browser_sessions import SignInFailed
from pulseshop.shell.web.pages import metrics
from pulseshop.shell.web.pages.forms import form_text
from pulseshop.shell.web.pages.kit import is_secure, redirect

if TYPE_CHECKING:
    from starlette.datastructures import FormData
    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.shell.web.auth import Principal
    from pulseshop.shell.web.browser_sessions import Visitor
    from pulseshop.shell.web.pages.kit import PageKit

WRONG_CREDENTIALS: Final = "The email or the password is not right."
"""One message for both: which of the two was wrong would tell who has an account."""


def safe_next(text: object) -> str:
    """Where to go after signing in: a path on this site, never another site (an open
    redirect), else the catalog.

    >>> safe_next("/cart"), safe_next("//evil.example/"), safe_next("https://evil.example/")
    ('/cart', '/', '/')
    """
    if (
        not isinstance(text, str)
        or not text.startswith("/")
        or text.startswith(("//", "/\\"))
        or not text.isprintable()
    ):
        return "/"
    return text


@final
class AccountPages:
    """The sign-in page and the sign-out action."""

    def __init__(self, kit: PageKit) -> None:
        self._kit = kit

    def routes(self) -> list[Route]:
        """The pages' routes."""
        return [
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self._kit.public_action(self.login), methods=["POST"]),
            Route("/logout", self._kit.action()(self.logout), methods=["POST"]),
        ]

    async def login_page(self, request: Request) -> Response:
        """The sign-in form (already signed in: straight to where it would lead)."""
        target = safe_next(request.query_params.get("next"))
        visitor = await self._kit.sessions.visitor(request)
        if visitor.principal is not None:
            return redirect(target)
        return await self._form(request, target)

    async def _form(
        self,
        request: Request,
        target: str,
        *,
        email: str = "",
        errors: dict[str, str] | None = None,
        problem: str | None = None,
        status: int = 200,
    ) -> Response:
        return await self._kit.render(
            request,
            "login.html",
            {"next": target, "email": email, "errors": errors or {}, "problem": problem},
            status=status,
        )

    async def login(self, request: Request, _visitor: Visitor, form: FormData) -> Response:
        """Sign in: a new session, its cookie, and on to the page asked for."""
        target = safe_next(form.get("next"))
        email = form_text(form, "email")
        password = form_text(form, "password", strip=False)
        errors: dict[str, str] = {}
        if not email:
            errors["email"] = "Enter your email address."
        if not password:
            errors["password"] = "Enter your password."  # noqa: S105 - a message
        elif len(password) > MAX_PASSWORD:
            errors["password"] = f"A password has at most {MAX_PASSWORD} characters."
        if errors:
            metrics.SIGN_INS.labels("invalid").inc()
            return await self._form(request, target, email=email, errors=errors, status=422)
        signed_in = await self._kit.sessions.sign_in(request, email, password)
        if isinstance(signed_in, SignInFailed):
            metrics.SIGN_INS.labels("failed").inc()
            return await self._form(
                request, target, email=email, problem=WRONG_CREDENTIALS, status=422
            )
        metrics.SIGN_INS.labels("ok").inc()
        cookie, expires_at = signed_in
        response = redirect(target)
        self._kit.sessions.set_session_cookie(
            response, cookie, expires_at, secure=is_secure(request)
        )
        return response

    async def logout(self, request: Request, _principal: Principal, _form: FormData) -> Response:
        """Sign out: the session ends on the server and the browser forgets its cookie."""
        await self._kit.sessions.sign_out(request)
        metrics.SIGN_OUTS.inc()
        response = redirect("/login")
        self._kit.sessions.clear_session_cookie(response, secure=is_secure(request))
        return response
