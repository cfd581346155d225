"""What every HTML page shares: rendering a template for the visitor, requiring a signed-in
user with some scopes, and reading a posted form after checking its CSRF token.

Page endpoints take the signed-in user, as the API's take the bearer of a token:

    async def cart(request: Request, principal: Principal) -> Response: ...
    Route("/cart", kit.page(CART_READ)(cart))

    async def set_quantity(request: Request, principal: Principal, form: FormData) -> Response
    Route("/cart/items/{sku}", kit.action(CART_WRITE)(set_quantity), methods=["POST"])

A visitor who is not signed in is sent to the sign-in page (303, with the page to come back
to); one without a scope gets a 403 page; a form without the visitor's CSRF token gets a 403
page and nothing is done. Pages are never stored by the browser or a proxy (``no-store``),
so after signing out, the back button shows no signed-in page from a cache.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeAlias, final
from urllib.parse import urlencode

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from pulseshop.core.access import missing_scopes
from pulseshop.core.money import Money, amount_text
from pulseshop.shell.web.bodies import BadRequestError, capped_chunks
from pulseshop.shell.web.browser_sessions import CSRF_FIELD, BrowserSessions, Visitor
from pulseshop.shell.web.pages import metrics

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from starlette.datastructures import FormData
    from starlette.types import Message

    from pulseshop.shell.web.auth import Principal

TEMPLATES_DIRECTORY: Final = Path(__file__).parent.parent / "templates"

MAX_FORM_FIELDS: Final = 100
MAX_FORM_PART_BYTES: Final = 64 * 1024
"""The largest text field a form may post."""

MAX_FORM_BYTES: Final = 256 * 1024
"""The largest form without a file; a form with a file may be larger by the file's limit."""

Endpoint: TypeAlias = "Callable[[Request], Awaitable[Response]]"
PageEndpoint: TypeAlias = "Callable[[Request, Principal], Awaitable[Response]]"
ActionEndpoint: TypeAlias = "Callable[[Request, Principal, FormData], Awaitable[Response]]"
PublicActionEndpoint: TypeAlias = "Callable[[Request, Visitor, FormData], Awaitable[Response]]"


def money(value: Money | None) -> str:
    """An amount as pages show it: ``12.50 EUR`` (a dash for none)."""
    if value is None:
        return "-"
    return f"{amount_text(value)} {value.currency.code}"


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIRECTORY),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["money"] = money
    return environment


def is_secure(request: Request) -> bool:
    """Whether the request came over HTTPS (behind a proxy: as uvicorn's proxy headers
    handling tells it); cookies are marked ``Secure`` then."""
    return request.url.scheme == "https"


def sign_in_url(request: Request) -> str:
    """The sign-in page, with the page to come back to after it."""
    back = request.url.path
    if request.method == "GET" and request.url.query:
        back += f"?{request.url.query}"
    return f"/login?{urlencode({'next': back})}"


class FormError(Exception):
    """A posted form that cannot be read (malformed, too many fields, too large)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@final
class PageKit:
    """Renders pages and guards their endpoints; one per application."""

    def __init__(self, sessions: BrowserSessions) -> None:
        self.sessions = sessions
        self.templates = Jinja2Templates(env=_environment())

    async def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, object] | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """The page ``template`` for the request's visitor; every page knows the visitor
        (``visitor``, ``principal``) and the CSRF field for its forms."""
        visitor = await self.sessions.visitor(request)
        response = self.templates.TemplateResponse(
            request,
            template,
            {
                "visitor": visitor,
                "principal": visitor.principal,
                "csrf_field": CSRF_FIELD,
                "csrf_token": visitor.csrf_token,
                **(context or {}),
            },
            status_code=status,
            headers={"Cache-Control": "no-store", "Vary": "Cookie", **(headers or {})},
        )
        self.sessions.remember_csrf(response, visitor, secure=is_secure(request))
        return response

    async def not_found(self, request: Request) -> Response:
        """The friendly 404 page."""
        return await self.render(request, "not_found.html", {"path": request.url.path}, status=404)

    async def forbidden(self, request: Request, message: str) -> Response:
        """The 403 page."""
        return await self.render(request, "forbidden.html", {"message": message}, status=403)

    async def _signed_in(self, request: Request, scopes: tuple[str, ...]) -> Principal | Response:
        visitor = await self.sessions.visitor(request)
        principal = visitor.principal
        if principal is None:
            return _redirect_to(request, sign_in_url(request))
        if missing_scopes(principal.scopes, scopes):
            return await self.forbidden(request, "Your account cannot open this page.")
        return principal

    def page(self, *scopes: str) -> Callable[[PageEndpoint], Endpoint]:
        """A page for signed-in users holding every one of ``scopes``."""

        def guard(endpoint: PageEndpoint) -> Endpoint:
            @functools.wraps(endpoint)
            async def guarded(request: Request) -> Response:
                principal = await self._signed_in(request, scopes)
                if isinstance(principal, Response):
                    return principal
                return await endpoint(request, principal)

            return guarded

        return guard

    def action(self, *scopes: str, max_file_bytes: int = 0) -> Callable[[ActionEndpoint], Endpoint]:
        """A form's target for signed-in users holding every one of ``scopes``; the form
        is read (files up to ``max_file_bytes``; none when 0) and its CSRF token checked
        before ``endpoint`` is called."""

        def guard(endpoint: ActionEndpoint) -> Endpoint:
            @functools.wraps(endpoint)
            async def guarded(request: Request) -> Response:
                principal = await self._signed_in(request, scopes)
                if isinstance(principal, Response):
                    return principal
                form = await self._checked_form(request, max_file_bytes)
                if isinstance(form, Response):
                    return form
                return await endpoint(request, principal, form)

            return guarded

        return guard

    def public_action(self, endpoint: PublicActionEndpoint) -> Endpoint:
        """A form's target open to every visitor (signing in), CSRF-checked all the same."""

        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            form = await self._checked_form(request, 0)
            if isinstance(form, Response):
                return form
            return await endpoint(request, await self.sessions.visitor(request), form)

        return guarded

    async def _checked_form(self, request: Request, max_file_bytes: int) -> FormData | Response:
        try:
            form = await _read_form(request, max_file_bytes)
        except FormError as error:
            return await self.render(
                request, "bad_request.html", {"message": str(error)}, status=error.status
            )
        visitor = await self.sessions.visitor(request)
        if not self.sessions.csrf_valid(visitor, form.get(CSRF_FIELD)):
            metrics.CSRF_REFUSED.inc()
            await form.close()
            return await self.forbidden(
                request,
                "This form has expired or did not come from this site. "
                "Go back, reload the page and send it again.",
            )
        return form


async def _read_form(request: Request, max_file_bytes: int) -> FormData:
    limit = MAX_FORM_BYTES + max_file_bytes
    body = bytearray()
    try:
        async for chunk in capped_chunks(request, limit):
            body += chunk
    except BadRequestError:
        raise FormError(413, f"The form is larger than {limit // 1024} KiB.") from None

    async def replay() -> Message:
        return {"type": "http.request", "body": bytes(body), "more_body": False}

    # Parsed from the bytes read, so no part of a form (a file either) passes the limit.
    try:
        return await Request(request.scope, replay).form(
            max_files=1 if max_file_bytes else 0,
            max_fields=MAX_FORM_FIELDS,
            max_part_size=MAX_FORM_PART_BYTES,
        )
    except HTTPException as error:
        raise FormError(400, f"The form could not be read: {error.detail}") from None


def _redirect_to(request: Request, url: str) -> Response:
    if request.headers.get("hx-request") == "true":
        # An in-place update cannot show the sign-in page: htmx loads it as a whole page.
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def redirect(url: str) -> Response:
    """Post/redirect/get: a form's answer sends the browser to a page with 303 (an
    in-place update follows it too, and takes its part of that page)."""
    return RedirectResponse(url, status_code=303)
