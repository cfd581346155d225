"""Checkout and the orders of the JSON API.

``POST /api/v1/checkout`` needs an ``Idempotency-Key`` header and answers 201 with the
order (`pulseshop.shell.checkout` says what happens in between). ``GET /api/v1/orders``
lists the caller's orders newest first (every order with ``orders:all``), a page at a time;
``GET /api/v1/orders/{id}`` shows one, and another user's order is 404 to a customer.

Staff (scope ``orders:all``) act on an order: ``POST /api/v1/orders/{id}/capture`` takes its
payment, ``POST /api/v1/orders/{id}/refunds`` ``{"amount", "reason"}`` gives some back (201)
and ``POST /api/v1/orders/{id}/cancel`` ``{"reason"}`` calls it off
(`pulseshop.shell.order_actions` says what happens in between).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final, final

from starlette.responses import JSONResponse
from starlette.routing import Route

from pulseshop.adapters.postgres.idempotency import MAX_KEY_LENGTH, request_fingerprint
from pulseshop.adapters.postgres.orders import list_orders, load_order
from pulseshop.adapters.postgres.payments import order_payments
from pulseshop.core.access import ORDERS_ALL, ORDERS_READ, ORDERS_WRITE
from pulseshop.shell.carts.supervisor import CartUnavailableError
from pulseshop.shell.checkout import order_json
from pulseshop.shell.web.auth import Principal
from pulseshop.shell.web.bodies import BadRequestError, invalid, object_body, text_field
from pulseshop.shell.web.cart_api import cart_unavailable
from pulseshop.shell.web.errors import error_response
from pulseshop.shell.web.pagination import (
    cursor_key,
    encode_cursor,
    not_a_cursor,
    page_limit,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.shell.checkout import Checkout
    from pulseshop.shell.order_actions import ActionAnswer, OrderActions
    from pulseshop.shell.web.auth import Authenticator


@final
class SortedJSONResponse(JSONResponse):
    """JSON with its keys sorted: a replayed answer, read back from the database (which
    keeps no key order), is then byte for byte the answer first given."""

    def render(self, content: object) -> bytes:
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, separators=(",", ":"), sort_keys=True
        ).encode()


@final
class OrdersApi:
    """The handlers of checkout and ``/api/v1/orders``."""

    def __init__(
        self,
        database: PostgresDatabase,
        checkout: Checkout,
        authenticator: Authenticator,
        actions: OrderActions,
    ) -> None:
        self._database = database
        self._checkout = checkout
        self._authenticator = authenticator
        self._actions = actions

    def routes(self) -> list[Route]:
        """The API's routes."""
        return [
            Route("/api/v1/checkout", self.checkout, methods=["POST"]),
            Route("/api/v1/orders", self.orders, methods=["GET"]),
            Route("/api/v1/orders/{order_id}", self.order, methods=["GET"]),
            Route("/api/v1/orders/{order_id}/capture", self.capture, methods=["POST"]),
            Route("/api/v1/orders/{order_id}/refunds", self.refund, methods=["POST"]),
            Route("/api/v1/orders/{order_id}/cancel", self.cancel, methods=["POST"]),
        ]

    async def checkout(self, request: Request) -> Response:
        """``POST /api/v1/checkout`` ``{"payment_token"}``: the cart becomes an order."""
        principal = await self._authenticator.authenticate(request, ORDERS_WRITE)
        if not isinstance(principal, Principal):
            return principal
        key = request.headers.get("idempotency-key")
        if key is None:
            return error_response(
                400,
                "idempotency_key_required",
                "Checkout needs an Idempotency-Key header (a unique id of this attempt).",
                [{"field": "Idempotency-Key", "problem": "is required"}],
            )
        if not _valid_key(key):
            return _invalid_key()
        try:
            body = await object_body(request, ("payment_token", "note"))
            token = text_field(body, "payment_token")
            note = body.get("note")
            if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
                raise invalid("note", f"must be text of at most {MAX_NOTE} characters")
        except BadRequestError as bad:
            return bad.response
        # The body as read: the fingerprint counts JSON by its value, not its spelling.
        fingerprint = request_fingerprint("POST", "/api/v1/checkout", json.dumps(body).encode())
        try:
            answer = await self._checkout.place(
                principal.user_id, key=key, fingerprint=fingerprint, payment_token=token
            )
        except CartUnavailableError as error:
            # The cart could not be read: nothing was charged or written, the key is free.
            return cart_unavailable(error)
        headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
        return SortedJSONResponse(dict(answer.body), status_code=answer.status, headers=headers)

    async def orders(self, request: Request) -> Response:
        """``GET /api/v1/orders[?cursor=...&limit=N]``: ``{"items", "next_cursor"}``."""
        principal = await self._authenticator.authenticate(request, ORDERS_READ)
        if not isinstance(principal, Principal):
            return principal
        try:
            limit = page_limit(request.query_params.get("limit"))
            after = _cursor(request.query_params.get("cursor"))
        except BadRequestError as bad:
            return bad.response
        everyone = ORDERS_ALL in principal.scopes
        page = await list_orders(
            self._database,
            user_id=None if everyone else principal.user_id,
            after=after,
            limit=limit + 1,
        )
        items = [order_json(stored.id, stored.order) for stored in page[:limit]]
        next_cursor = (
            encode_cursor(page[limit - 1].created_at.isoformat(), page[limit - 1].id)
            if len(page) > limit
            else None
        )
        return JSONResponse({"items": items, "next_cursor": next_cursor})

    async def order(self, request: Request) -> Response:
        """``GET /api/v1/orders/{id}``: one order with its payment status."""
        principal = await self._authenticator.authenticate(request, ORDERS_READ)
        if not isinstance(principal, Principal):
            return principal
        order_id = _order_id(request)
        stored = None if order_id is None else await load_order(self._database, order_id)
        if stored is None or (
            stored.user_id != principal.user_id and ORDERS_ALL not in principal.scopes
        ):
            # Another user's order is as unknown as one that does not exist.
            return _unknown(request)
        payments = await order_payments(self._database, stored.id)
        status = payments[-1].payment.status.value if payments else "none"
        return JSONResponse({"order": order_json(stored.id, stored.order, status)})

    async def _staff_order(self, request: Request) -> tuple[Principal, int] | Response:
        """The staff member acting and the order's id, or the answer refusing them."""
        principal = await self._authenticator.authenticate(request, ORDERS_ALL)
        if not isinstance(principal, Principal):
            return principal
        order_id = _order_id(request)
        return _unknown(request) if order_id is None else (principal, order_id)

    async def capture(self, request: Request) -> Response:
        """``POST /api/v1/orders/{id}/capture`` (body empty or ``{}``): the payment is
        taken and the order is paid."""
        staff = await self._staff_order(request)
        if not isinstance(staff, tuple):
            return staff
        principal, order_id = staff
        try:
            if (await request.body()).strip():
                await object_body(request, ())
        except BadRequestError as bad:
            return bad.response
        return _answer(await self._actions.capture(order_id, actor_user_id=principal.user_id))

    async def refund(self, request: Request) -> Response:
        """``POST /api/v1/orders/{id}/refunds`` ``{"amount": "4.00", "reason"}``: 201."""
        staff = await self._staff_order(request)
        if not isinstance(staff, tuple):
            return staff
        principal, order_id = staff
        key = request.headers.get("idempotency-key")
        if key is not None and not _valid_key(key):
            return _invalid_key()
        try:
            body = await object_body(request, ("amount", "reason"))
            amount = _amount(body.get("amount"))
            reason = _reason(body, required=False)
        except BadRequestError as bad:
            return bad.response
        answer = await self._actions.refund(
            order_id, amount, reason, actor_user_id=principal.user_id, idempotency_key=key
        )
        return _answer(answer)

    async def cancel(self, request: Request) -> Response:
        """``POST /api/v1/orders/{id}/cancel`` ``{"reason"}``: the order is called off, its
        authorization voided or its capture refunded."""
        staff = await self._staff_order(request)
        if not isinstance(staff, tuple):
            return staff
        principal, order_id = staff
        try:
            body = await object_body(request, ("reason",))
            reason = _reason(body, required=True)
        except BadRequestError as bad:
            return bad.response
        assert reason is not None  # noqa: S101 - required above
        answer = await self._actions.cancel(order_id, reason, actor_user_id=principal.user_id)
        return _answer(answer)


MAX_NOTE: Final = 500
"""The longest note a checkout may carry (and the longest reason of a refund or cancel)."""

AMOUNT: Final = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")
"""An amount as the API takes it: plain decimal digits, as `amount_text` writes them."""


def _order_id(request: Request) -> int | None:
    text: str = request.path_params["order_id"]
    # ASCII digits only: `isdigit` also passes "²", which `int` cannot read.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _unknown(request: Request) -> Response:
    return error_response(404, "not_found", f"There is no order {request.path_params['order_id']}.")


def _invalid_key() -> Response:
    return error_response(
        400,
        "invalid_idempotency_key",
        f"The Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable ASCII characters.",
        [
            {
                "field": "Idempotency-Key",
                "problem": f"is not 1-{MAX_KEY_LENGTH} printable characters",
            }
        ],
    )


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()


def _amount(value: object) -> Decimal:
    """A decimal string such as ``"4.00"``; the order's rules judge its size and digits."""
    if not isinstance(value, str) or AMOUNT.fullmatch(value) is None:
        raise invalid("amount", 'is required and must be a decimal string such as "4.00"')
    return Decimal(value)


def _reason(body: Mapping[str, object], *, required: bool) -> str | None:
    value = body.get("reason")
    if value is None and not required:
        return None
    # The reason is stored (refund row, audit entry): PostgreSQL text holds no NUL, and it
    # must be refused here, before the gateway is asked to move any money.
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NOTE or "\x00" in value:
        raise invalid("reason", f"must be text of 1 to {MAX_NOTE} characters, without NUL")
    return value


def _answer(answer: ActionAnswer) -> Response:
    return JSONResponse(dict(answer.body), status_code=answer.status)


MAX_ORDER_ID: Final = 2**63 - 1
"""The largest id an order can have (a PostgreSQL ``bigint``)."""


def _cursor(text: str | None) -> tuple[datetime, int] | None:
    """The (created_at, id) a page starts after."""
    key = cursor_key(text)
    if key is None:
        return None
    match key:
        case [str() as moment, int() as order_id] if (
            not isinstance(order_id, bool) and 0 <= order_id <= MAX_ORDER_ID
        ):
            try:
                created_at = datetime.fromisoformat(moment)
            except ValueError:
                raise not_a_cursor() from None
            if created_at.tzinfo is not None:
                return created_at, order_id
    raise not_a_cursor()
