"""The shopper's pages: the catalog and a product (open to everyone), the cart, checkout,
the order's confirmation and "my orders" (signed in).

The cart's forms work as plain forms (post, then 303 back to the cart); with htmx they post
in the background and the cart's lines and quote are swapped in place, without a reload. A
refused change re-renders the cart with the error next to the line and what was typed kept.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import TYPE_CHECKING, Final, final
from urllib.parse import urlencode

from returns.result import Failure
from starlette.routing import Route

from pulseshop.adapters.postgres.idempotency import request_fingerprint
from pulseshop.adapters.postgres.order_events import last_published_seq
from pulseshop.adapters.postgres.orders import list_orders, load_order
from pulseshop.adapters.postgres.payments import order_payments
from pulseshop.adapters.postgres.products import active_products, product_categories
from pulseshop.core.access import CART_READ, CART_WRITE, ORDERS_READ, ORDERS_WRITE
from pulseshop.core.cart import AddItem, ApplyCoupon, RemoveCoupon, RemoveItem, SetQuantity
from pulseshop.core.catalog import is_sku
from pulseshop.shell.carts.supervisor import CartUnavailableError
from pulseshop.shell.web.pages.forms import error_parts, form_text, is_form_key, path_id
from pulseshop.shell.web.pages.kit import redirect

if TYPE_CHECKING:
    from starlette.datastructures import FormData
    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.core.cart import CartCommand, CartError
    from pulseshop.core.catalog import Product
    from pulseshop.shell.carts.actor import CartReply
    from pulseshop.shell.carts.pricing import ShopPricing
    from pulseshop.shell.carts.products import CatalogProducts
    from pulseshop.shell.carts.supervisor import CartSupervisor
    from pulseshop.shell.checkout import Checkout
    from pulseshop.shell.web.auth import Principal
    from pulseshop.shell.web.pages.kit import PageKit

CATALOG_PAGE: Final = 24
"""Products per catalog page."""

ORDERS_PAGE: Final = 25
"""Orders per page of "my orders"."""

MAX_SEARCH: Final = 200
"""The longest search text looked for (a longer one matches no product name)."""

TEST_CARDS: Final = (
    ("tok_ok", "Test card: approved"),
    ("tok_decline", "Test card: declined"),
    ("tok_insufficient_funds", "Test card: insufficient funds"),
)
"""The payment choices of the checkout form (the sandbox gateway's test cards)."""

IN_FLIGHT_WAIT: Final = 0.1
IN_FLIGHT_TRIES: Final = 100
"""A checkout submitted twice waits (up to 10 s) for the first one's answer, and shows it."""

_WHOLE_NUMBER: Final = re.compile(r"\s*[0-9]{1,9}\s*")


def whole_number(text: object) -> int | None:
    """The number a quantity field holds, or None when it is not a whole number."""
    if not isinstance(text, str) or not _WHOLE_NUMBER.fullmatch(text):
        return None
    return int(text)


@final
class ShopPages:
    """The shopper's pages and the forms they post."""

    def __init__(
        self,
        kit: PageKit,
        database: PostgresDatabase,
        supervisor: CartSupervisor,
        *,
        products: CatalogProducts,
        pricing: ShopPricing,
        checkout: Checkout,
    ) -> None:
        self._kit = kit
        self._database = database
        self._products = products
        self._supervisor = supervisor
        self._pricing = pricing
        self._checkout = checkout

    def routes(self) -> list[Route]:
        """The pages' routes."""
        page, action = self._kit.page, self._kit.action
        return [
            Route("/", self.catalog, methods=["GET"]),
            Route("/products/{sku}", self.product, methods=["GET"]),
            Route("/cart", page(CART_READ)(self.cart), methods=["GET"]),
            Route("/cart/items", action(CART_WRITE)(self.add_item), methods=["POST"]),
            Route("/cart/items/{sku}", action(CART_WRITE)(self.set_quantity), methods=["POST"]),
            Route(
                "/cart/items/{sku}/remove", action(CART_WRITE)(self.remove_item), methods=["POST"]
            ),
            Route("/cart/coupons", action(CART_WRITE)(self.apply_coupon), methods=["POST"]),
            Route(
                "/cart/coupons/{code}/remove",
                action(CART_WRITE)(self.remove_coupon),
                methods=["POST"],
            ),
            Route("/checkout", page(ORDERS_WRITE)(self.checkout_page), methods=["GET"]),
            Route("/checkout", action(ORDERS_WRITE)(self.place_order), methods=["POST"]),
            Route("/orders", page(ORDERS_READ)(self.my_orders), methods=["GET"]),
            Route("/orders/{order_id}", page(ORDERS_READ)(self.order), methods=["GET"]),
        ]

    # The catalog.

    async def catalog(self, request: Request) -> Response:
        """``GET /[?category=&q=&after=]``: a page of active products."""
        params = request.query_params
        category = params.get("category", "").strip() or None
        search = params.get("q", "").strip() or None
        after = params.get("after", "")
        categories = await product_categories(self._database)
        products = []
        if (category is None or category in categories) and (
            search is None or len(search) <= MAX_SEARCH
        ):
            products = await active_products(
                self._database,
                after=after if is_sku(after) else "",
                limit=CATALOG_PAGE + 1,
                category=category,
                name_contains=search,
            )
        next_url = None
        if len(products) > CATALOG_PAGE:
            query = {"category": category or "", "q": search or ""}
            next_url = "/?" + urlencode({**query, "after": products[CATALOG_PAGE - 1].sku})
        return await self._kit.render(
            request,
            "shop/catalog.html",
            {
                "products": products[:CATALOG_PAGE],
                "categories": categories,
                "category": category or "",
                "search": search or "",
                "next_url": next_url,
            },
        )

    async def product(self, request: Request) -> Response:
        """``GET /products/{sku}``: one product with its add-to-cart form."""
        product = await self._product(request.path_params["sku"])
        if product is None or not product.active:
            return await self._kit.not_found(request)
        return await self._product_page(request, product)

    async def _product(self, sku: str) -> Product | None:
        """The catalog's product of ``sku``, through the catalog cache; text that is not a
        SKU names none and is not looked up."""
        if is_sku(sku) is None:
            return None
        return self._products.cached(sku) or await self._products.product(sku)

    async def _product_page(
        self,
        request: Request,
        product: Product,
        *,
        quantity: str = "1",
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        return await self._kit.render(
            request,
            "shop/product.html",
            {
                "product": product,
                "quantity": quantity,
                "error": error,
                "command_id": uuid.uuid4().hex,
            },
            status=status,
        )

    # The cart.

    async def cart(self, request: Request, principal: Principal) -> Response:
        """``GET /cart``: the cart's lines, coupons and quote."""
        return await self._ask(request, principal, None)

    async def add_item(self, request: Request, principal: Principal, form: FormData) -> Response:
        """``POST /cart/items`` (``sku``, ``quantity``, ``command_id``): add to the cart, then
        on to the cart. A refusal shows the product page again with the error."""
        sku = form_text(form, "sku")
        product = await self._product(sku)
        if product is None:
            return await self._kit.not_found(request)
        typed = form_text(form, "quantity")
        quantity = whole_number(typed)
        if quantity is None:
            return await self._product_page(
                request, product, quantity=typed, error="Enter a whole number.", status=422
            )
        command_id = form_text(form, "command_id")
        command = AddItem(
            command_id if is_form_key(command_id) else uuid.uuid4().hex,
            sku,
            quantity,
            product,
        )
        try:
            result = await self._supervisor.ask(principal.user_id, command)
        except CartUnavailableError as error:
            return await self._unavailable(request, error)
        if isinstance(result, Failure):
            refusal: CartError = result.failure()
            return await self._product_page(
                request, product, quantity=typed, error=refusal.message, status=422
            )
        return redirect("/cart")

    async def set_quantity(
        self, request: Request, principal: Principal, form: FormData
    ) -> Response:
        """``POST /cart/items/{sku}`` (``quantity``): set a line's quantity."""
        sku: str = request.path_params["sku"]
        typed = form_text(form, "quantity")
        quantity = whole_number(typed)
        if quantity is None:
            return await self._ask(
                request, principal, None, error=(sku, "Enter a whole number."), typed=typed
            )
        command = SetQuantity(uuid.uuid4().hex, sku, quantity, await self._product(sku))
        return await self._change(request, principal, command, sku=sku, typed=typed)

    async def remove_item(
        self, request: Request, principal: Principal, _form: FormData
    ) -> Response:
        """``POST /cart/items/{sku}/remove``: take the line out."""
        sku: str = request.path_params["sku"]
        return await self._change(request, principal, RemoveItem(uuid.uuid4().hex, sku), sku=sku)

    async def apply_coupon(
        self, request: Request, principal: Principal, form: FormData
    ) -> Response:
        """``POST /cart/coupons`` (``code``): apply a coupon."""
        code = form_text(form, "code")
        if not code:
            return await self._ask(
                request, principal, None, error=("coupon", "Enter a coupon code."), typed=code
            )
        command = ApplyCoupon(uuid.uuid4().hex, code, self._pricing.knows_coupon(code))
        return await self._change(request, principal, command, sku="coupon", typed=code)

    async def remove_coupon(
        self, request: Request, principal: Principal, _form: FormData
    ) -> Response:
        """``POST /cart/coupons/{code}/remove``: take the coupon off."""
        code: str = request.path_params["code"]
        return await self._change(
            request, principal, RemoveCoupon(uuid.uuid4().hex, code), sku="coupon"
        )

    async def _change(
        self,
        request: Request,
        principal: Principal,
        command: CartCommand,
        *,
        sku: str,
        typed: str = "",
    ) -> Response:
        try:
            result = await self._supervisor.ask(principal.user_id, command)
        except CartUnavailableError as error:
            return await self._unavailable(request, error)
        if isinstance(result, Failure):
            refusal: CartError = result.failure()
            return await self._ask(
                request, principal, None, error=(sku, refusal.message), typed=typed
            )
        return redirect("/cart")

    async def _ask(
        self,
        request: Request,
        principal: Principal,
        command: CartCommand | None,
        *,
        error: tuple[str, str] | None = None,
        typed: str = "",
    ) -> Response:
        try:
            result = await self._supervisor.ask(principal.user_id, command)
        except CartUnavailableError as unavailable:
            return await self._unavailable(request, unavailable)
        reply: CartReply = result.unwrap()
        return await self._kit.render(
            request,
            "shop/cart.html",
            {
                "reply": reply,
                "quote": reply.quote,
                "error_key": None if error is None else error[0],
                "error": None if error is None else error[1],
                "typed": typed,
            },
            status=200 if error is None else 422,
        )

    async def _unavailable(self, request: Request, error: CartUnavailableError) -> Response:
        return await self._kit.render(
            request,
            "shop/unavailable.html",
            {"message": f"{error}. Please try again in a few seconds."},
            status=503,
            headers={"Retry-After": str(max(1, round(error.retry_after)))},
        )

    # Checkout.

    async def checkout_page(self, request: Request, principal: Principal) -> Response:
        """``GET /checkout``: the order to place and the payment to choose."""
        return await self._checkout_form(request, principal)

    async def _checkout_form(
        self,
        request: Request,
        principal: Principal,
        *,
        payment: str = TEST_CARDS[0][0],
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        try:
            reply = (await self._supervisor.ask(principal.user_id, None)).unwrap()
        except CartUnavailableError as error:
            return await self._unavailable(request, error)
        return await self._kit.render(
            request,
            "shop/checkout.html",
            {
                "reply": reply,
                "quote": reply.quote,
                "cards": TEST_CARDS,
                "payment": payment,
                "errors": errors or {},
                # A new key per form shown: submitting this form twice places one order.
                "idempotency_key": uuid.uuid4().hex,
            },
            status=status,
        )

    async def place_order(self, request: Request, principal: Principal, form: FormData) -> Response:
        """``POST /checkout`` (``payment_token``, ``idempotency_key``): place the order,
        then on to its confirmation. The same form sent twice places it once."""
        payment = form_text(form, "payment_token")
        key = form_text(form, "idempotency_key")
        errors = {}
        if payment not in {token for token, _ in TEST_CARDS}:
            errors["payment_token"] = "Choose a payment method."  # noqa: S105 - a message
        if not is_form_key(key):
            errors["cart"] = "This form is out of date: check your order and place it again."
        if errors:
            return await self._checkout_form(
                request, principal, payment=payment, errors=errors, status=422
            )
        body = json.dumps({"payment_token": payment}).encode()
        fingerprint = request_fingerprint("POST", "/checkout", body)
        try:
            for _ in range(IN_FLIGHT_TRIES):
                answer = await self._checkout.place(
                    principal.user_id, key=key, fingerprint=fingerprint, payment_token=payment
                )
                code = error_parts(answer.body, "")[2]
                if answer.status != 409 or code != "idempotency_key_in_use":
                    break
                await asyncio.sleep(IN_FLIGHT_WAIT)
        except CartUnavailableError as error:
            return await self._unavailable(request, error)
        order = answer.body.get("order")
        if answer.status == 201 and isinstance(order, dict):
            return redirect(f"/orders/{order['id']}?placed=1")
        field, message, _ = error_parts(answer.body, "The order could not be placed.")
        return await self._checkout_form(
            request,
            principal,
            payment=payment,
            errors={"payment_token" if field == "payment_token" else "cart": message},
            status=answer.status if 400 <= answer.status < 500 else 503,
        )

    # Orders.

    async def my_orders(self, request: Request, principal: Principal) -> Response:
        """``GET /orders``: the user's orders, newest first; their statuses change live."""
        # The feed's position is read first: an event after it is replayed to the page's
        # socket even if the orders read below already show it (a refresh too many, never
        # a change missed).
        last_event_id = await last_published_seq(self._database)
        orders = await list_orders(
            self._database, user_id=principal.user_id, after=None, limit=ORDERS_PAGE
        )
        return await self._kit.render(
            request,
            "shop/orders.html",
            {"orders": orders, "last_event_id": last_event_id, "topic": _topic(principal)},
        )

    async def order(self, request: Request, principal: Principal) -> Response:
        """``GET /orders/{id}``: one of the user's orders (the confirmation after checkout)."""
        last_event_id = await last_published_seq(self._database)
        order_id = path_id(request, "order_id")
        stored = None if order_id is None else await load_order(self._database, order_id)
        if stored is None or stored.user_id != principal.user_id:
            return await self._kit.not_found(request)
        payments = await order_payments(self._database, stored.id)
        return await self._kit.render(
            request,
            "shop/order.html",
            {
                "stored": stored,
                "order": stored.order,
                "payment_status": payments[-1].payment.status.value if payments else "none",
                "placed": request.query_params.get("placed") == "1",
                "last_event_id": last_event_id,
                "topic": _topic(principal),
            },
        )


def _topic(principal: Principal) -> str:
    return f"orders:{principal.user_id}"
