"""The cart's JSON API: read the cart, change its items and coupons; every answer is the
cart with its live quote.

Each handler gathers (authenticates, reads the body, looks the product up), then hands one
command to the user's cart actor, which decides and stores it before it replies. A command
carries the request's ``Idempotency-Key`` header as its command id when there is one, so a
retried request is applied once; without the header every request is a new command.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Final, TypeAlias, final

from returns.result import Failure
from starlette.responses import JSONResponse
from starlette.routing import Route

from pulseshop.core.access import CART_READ, CART_WRITE
from pulseshop.core.cart import (
    AddItem,
    ApplyCoupon,
    CartErrorCode,
    RemoveCoupon,
    RemoveItem,
    SetQuantity,
)
from pulseshop.core.catalog import is_sku
from pulseshop.core.money import amount_text
from pulseshop.core.pricing.codec import encode_quote
from pulseshop.shell.carts.supervisor import CartUnavailableError
from pulseshop.shell.web.auth import Authenticator, Principal
from pulseshop.shell.web.bodies import BadRequestError, invalid, object_body, text_field
from pulseshop.shell.web.errors import error_response

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.core.cart import CartCommand, CartError
    from pulseshop.core.catalog import Product
    from pulseshop.shell.carts.actor import CartReply
    from pulseshop.shell.carts.ports import ProductSource
    from pulseshop.shell.carts.pricing import ShopPricing
    from pulseshop.shell.carts.supervisor import CartSupervisor

_Builder: TypeAlias = "Callable[[Request, str], Awaitable[CartCommand]]"
"""A handler's way from a request and a command id to its command."""

MAX_COMMAND_ID: Final = 100
"""The longest Idempotency-Key accepted."""

NOT_FOUND_CODES: Final = frozenset({CartErrorCode.NOT_IN_CART, CartErrorCode.COUPON_NOT_APPLIED})
"""Refusals that mean "no such item or coupon in this cart": 404, not 422."""


@final
class CartApi:
    """The handlers of ``/api/v1/cart``."""

    def __init__(
        self,
        supervisor: CartSupervisor,
        products: ProductSource,
        pricing: ShopPricing,
        authenticator: Authenticator,
    ) -> None:
        self._supervisor = supervisor
        self._products = products
        self._pricing = pricing
        self._authenticator = authenticator

    def routes(self) -> list[Route]:
        """The API's routes."""
        return [
            Route("/api/v1/cart", self.get_cart, methods=["GET"]),
            Route("/api/v1/cart/items", self.add_item, methods=["POST"]),
            Route("/api/v1/cart/items/{sku}", self.set_quantity, methods=["PATCH"]),
            Route("/api/v1/cart/items/{sku}", self.remove_item, methods=["DELETE"]),
            Route("/api/v1/cart/coupons", self.apply_coupon, methods=["POST"]),
            Route("/api/v1/cart/coupons/{code}", self.remove_coupon, methods=["DELETE"]),
        ]

    async def get_cart(self, request: Request) -> Response:
        """``GET /api/v1/cart``: the cart and its quote."""
        principal = await self._authenticator.authenticate(request, CART_READ)
        if not isinstance(principal, Principal):
            return principal
        return await self._ask(principal, None)

    async def add_item(self, request: Request) -> Response:
        """``POST /api/v1/cart/items`` ``{"sku", "quantity"}``: add units of a product."""
        return await self._command(request, self._add_item)

    async def set_quantity(self, request: Request) -> Response:
        """``PATCH /api/v1/cart/items/{sku}`` ``{"quantity"}``: set a line's quantity."""
        return await self._command(request, self._set_quantity)

    async def remove_item(self, request: Request) -> Response:
        """``DELETE /api/v1/cart/items/{sku}``: remove a line."""
        return await self._command(request, self._remove_item)

    async def apply_coupon(self, request: Request) -> Response:
        """``POST /api/v1/cart/coupons`` ``{"code"}``: apply a coupon."""
        return await self._command(request, self._apply_coupon)

    async def remove_coupon(self, request: Request) -> Response:
        """``DELETE /api/v1/cart/coupons/{code}``: remove a coupon."""
        return await self._command(request, self._remove_coupon)

    async def _add_item(self, request: Request, command_id: str) -> CartCommand:
        body = await object_body(request, ("sku", "quantity"))
        sku = text_field(body, "sku")
        quantity = _quantity(body)
        return AddItem(command_id, sku, quantity, await self._product(sku))

    async def _set_quantity(self, request: Request, command_id: str) -> CartCommand:
        sku = request.path_params["sku"]
        body = await object_body(request, ("quantity",))
        quantity = _quantity(body)
        return SetQuantity(command_id, sku, quantity, await self._product(sku))

    async def _product(self, sku: str) -> Product | None:
        """The catalog's product of ``sku``; text that is not a SKU names none, and is not
        looked up (the database refuses some text, such as NUL characters)."""
        if is_sku(sku) is None:
            return None
        return (await self._products.products([sku])).get(sku)

    async def _remove_item(self, request: Request, command_id: str) -> CartCommand:
        return RemoveItem(command_id, request.path_params["sku"])

    async def _apply_coupon(self, request: Request, command_id: str) -> CartCommand:
        body = await object_body(request, ("code",))
        code = text_field(body, "code")
        return ApplyCoupon(command_id, code, self._pricing.knows_coupon(code))

    async def _remove_coupon(self, request: Request, command_id: str) -> CartCommand:
        return RemoveCoupon(command_id, request.path_params["code"])

    async def _command(self, request: Request, build: _Builder) -> Response:
        principal = await self._authenticator.authenticate(request, CART_WRITE)
        if not isinstance(principal, Principal):
            return principal
        try:
            command = await build(request, _command_id(request))
        except BadRequestError as bad:
            return bad.response
        return await self._ask(principal, command)

    async def _ask(self, principal: Principal, command: CartCommand | None) -> Response:
        try:
            result = await self._supervisor.ask(principal.user_id, command)
        except CartUnavailableError as error:
            return cart_unavailable(error)
        if isinstance(result, Failure):
            return _refusal(result.failure())
        return JSONResponse(cart_body(result.unwrap()))


def cart_unavailable(error: CartUnavailableError) -> Response:
    """503 ``cart_unavailable``, with the seconds to wait in ``Retry-After``."""
    return error_response(
        503,
        "cart_unavailable",
        f"{error}.",
        headers={"Retry-After": str(max(1, round(error.retry_after)))},
    )


def _command_id(request: Request) -> str:
    key = request.headers.get("idempotency-key", "").strip()
    if not key:
        return uuid.uuid4().hex
    if len(key) > MAX_COMMAND_ID or not key.isprintable() or not key.isascii():
        raise invalid("Idempotency-Key", f"must be 1-{MAX_COMMAND_ID} printable ASCII characters")
    return key


def _quantity(body: Mapping[str, object]) -> int:
    value = body.get("quantity")
    # JSON true is not a quantity, though Python counts it as an int.
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid("quantity", "is required and must be a whole number")
    return value


def _refusal(error: CartError) -> Response:
    status = 404 if error.code in NOT_FOUND_CODES else 422
    details = [{"field": error.field or "body", "problem": error.message.rstrip(".")}]
    return error_response(status, error.code.value, error.message, details)


def cart_body(reply: CartReply) -> dict[str, object]:
    """The JSON answer of a cart request: the cart's lines (with each product's name and
    unit price when it is still in the catalog), coupons, version, and its quote."""
    cart = reply.cart
    lines: list[dict[str, object]] = []
    for line in cart.lines:
        product = reply.products.get(line.sku)
        lines.append(
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "name": None if product is None else product.name,
                "unit_price": None if product is None else amount_text(product.unit_price),
                "available": product is not None and product.active,
            }
        )
    return {
        "cart": {
            "lines": lines,
            "coupons": list(cart.coupons),
            "currency": None if cart.currency is None else cart.currency.code,
            "version": cart.version,
            "updated_at": None if cart.updated_at is None else cart.updated_at.isoformat(),
        },
        "quote": None if reply.quote is None else encode_quote(reply.quote),
    }
