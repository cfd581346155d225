"""Checkout: a user's cart becomes an order, in one transaction, at most once per key.

Gather, decide, apply:

1. The `Idempotency-Key` is claimed (`pulseshop.adapters.postgres.idempotency`): a key seen
   with the same request replays its stored answer, with another request is refused, and
   one still in flight answers 409.
2. The cart and its live quote come from the user's cart actor; the core places the order
   from the quote (`order_from_quote`) and authorizes its payment (`authorize`).
3. The payment gateway authorizes the total, outside any transaction (it is a network
   call). A decline is an answer (402) and writes nothing; a timeout writes nothing and
   releases the key, so the same request can be tried again.
4. One transaction reserves the stock (never below zero), writes the order, its lines and
   payment, the audit entry, the outbox messages (`order.created`, `email.receipt`), the
   emptied cart (at the version read in step 2) and the stored answer. A serialization
   failure or deadlock runs it again. Short stock voids the authorization and answers 409;
   a cart changed meanwhile voids it and answers 409 without storing the answer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final, final

import asyncpg
import attrs
from returns.result import Failure
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt
from tenacity import wait_random_exponential as jittered

from pulseshop.adapters.postgres.idempotency import (
    CHECKOUT_ENDPOINT,
    Claimed,
    InFlight,
    Mismatch,
    claim_key,
    release_key,
    store_response,
)
from pulseshop.adapters.postgres.journal import append_audit, append_outbox
from pulseshop.adapters.postgres.orders import insert_order, reserve_stock
from pulseshop.adapters.postgres.payments import insert_payment
from pulseshop.core.cart import ClearCart, apply_all, decide
from pulseshop.core.money import Money, amount_text
from pulseshop.core.orders import authorize, order_from_quote
from pulseshop.core.payment_gateway import GatewayTimeoutError
from pulseshop.shell.carts.supervisor import CartUnavailableError
from pulseshop.shell.error_shape import error_body

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime, timedelta

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.core.cart import Cart
    from pulseshop.core.orders import Order, Payment
    from pulseshop.core.payment_gateway import GatewayReceipt, PaymentGateway
    from pulseshop.core.pricing import Quote
    from pulseshop.shell.carts.store import PostgresCartStore
    from pulseshop.shell.carts.supervisor import CartSupervisor

logger = logging.getLogger(__name__)

RETRIED: Final = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)
"""What makes the checkout transaction run again."""


@final
@attrs.frozen
class CheckoutAnswer:
    """An HTTP answer: status, JSON body and whether it replays a stored one."""

    status: int
    body: Mapping[str, object]
    replayed: bool = False


@final
@attrs.frozen
class _Placement:
    """What one checkout writes: for whom, under which key, the order and its payment."""

    user_id: int
    key_id: int
    key: str
    order: Order
    payment: Payment
    receipt: GatewayReceipt


@final
class _RolledBackError(Exception):
    """Leaves the checkout transaction, rolling it back, with the answer to give."""

    def __init__(self, answer: CheckoutAnswer, *, keep: bool) -> None:
        super().__init__(answer.body)
        self.answer = answer
        self.keep = keep


def _error(status: int, code: str, message: str, field: str | None = None) -> CheckoutAnswer:
    details = [] if field is None else [{"field": field, "problem": message.rstrip(".")}]
    return CheckoutAnswer(status, error_body(code, message, details))


@final
class Checkout:
    """Places orders from carts; ``committed`` is called after each order's transaction
    commits (the order feed's relay is woken by it)."""

    def __init__(
        self,
        database: PostgresDatabase,
        supervisor: CartSupervisor,
        carts: PostgresCartStore,
        gateway: PaymentGateway,
        *,
        clock: Callable[[], datetime],
        cart_ttl: timedelta,
        committed: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._committed = committed
        self._supervisor = supervisor
        self._carts = carts
        self._gateway = gateway
        self._clock = clock
        self._cart_ttl = cart_ttl

    async def place(
        self, user_id: int, *, key: str, fingerprint: bytes, payment_token: str
    ) -> CheckoutAnswer:
        """Check out the user's cart under ``key`` (the request's ``fingerprint`` tells a
        retry from another request)."""
        claim = await claim_key(
            self._database,
            user_id=user_id,
            endpoint=CHECKOUT_ENDPOINT,
            key=key,
            fingerprint=fingerprint,
            now=self._clock(),
        )
        if isinstance(claim, Mismatch):
            return _error(
                422,
                "idempotency_error",
                "This Idempotency-Key was used with a different request: use a new key.",
                "Idempotency-Key",
            )
        if isinstance(claim, InFlight):
            return _error(
                409,
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is still being handled: retry later.",
                "Idempotency-Key",
            )
        if not isinstance(claim, Claimed):
            return CheckoutAnswer(claim.status, claim.body, replayed=True)
        try:
            answer, keep = await self._checkout(user_id, claim.key_id, key, payment_token)
        except BaseException:
            await release_key(self._database, claim.key_id)
            raise
        if not keep:
            await release_key(self._database, claim.key_id)
        return answer

    async def _checkout(
        self, user_id: int, key_id: int, key: str, payment_token: str
    ) -> tuple[CheckoutAnswer, bool]:
        """The answer, and whether it is stored for replays (else the key is released)."""
        looked = (await self._supervisor.ask(user_id, None)).unwrap()
        now = self._clock()
        if looked.quote is None:
            answer = _error(422, "empty_cart", "The cart is empty: add items first.", "cart")
            await store_response(self._database, key_id, status=answer.status, body=answer.body)
            return answer, True
        names = {sku: product.name for sku, product in looked.products.items()}
        placed = order_from_quote(looked.quote, names, user_id=user_id, now=now)
        payment = placed.bind(lambda order: authorize(order.totals.total))
        if isinstance(payment, Failure):
            answer = _error(422, "cart_not_payable", f"{payment.failure()}", "cart")
            await store_response(self._database, key_id, status=answer.status, body=answer.body)
            return answer, True
        order = placed.unwrap()
        gateway_key = f"checkout:{user_id}:{key}"
        try:
            authorized = await self._gateway.authorize(
                payment_token, order.totals.total, idempotency_key=gateway_key
            )
        except GatewayTimeoutError:
            return _error(
                504,
                "payment_gateway_timeout",
                "The payment provider did not answer in time; nothing was charged or "
                "ordered. Retry with the same Idempotency-Key.",
            ), False
        if isinstance(authorized, Failure):
            decline = authorized.failure()
            answer = _error(
                402,
                "payment_declined",
                f"The payment was declined ({decline.code.value}): {decline.message}.",
                "payment_token",
            )
            await store_response(self._database, key_id, status=answer.status, body=answer.body)
            return answer, True
        receipt = authorized.unwrap()
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(RETRIED),
                stop=stop_after_attempt(4),
                wait=jittered(multiplier=0.01, max=0.2),
                reraise=True,
            ):
                with attempt:
                    answer = await self._write(
                        _Placement(user_id, key_id, key, order, payment.unwrap(), receipt),
                        looked.cart,
                        looked.quote,
                        now,
                    )
        except _RolledBackError as refused:
            await self._gateway.void(receipt.reference, idempotency_key=f"{gateway_key}:void")
            if refused.keep:
                await store_response(
                    self._database,
                    key_id,
                    status=refused.answer.status,
                    body=refused.answer.body,
                )
            return refused.answer, refused.keep
        self._committed()
        # The actor still holds the cart as it was: the same ClearCart makes it reload the
        # emptied one (its save finds the stored version moved on, and the command id is
        # then one the cart remembers).
        try:
            await self._supervisor.ask(user_id, ClearCart(f"checkout:{key}"))
        except CartUnavailableError:
            # The order is placed and the stored cart emptied: the actor, once it is back,
            # starts from that stored cart. The answer is the order's, not an error.
            logger.warning("user %s's cart actor missed the checkout's ClearCart", user_id)
        return answer, True

    async def _write(
        self, placement: _Placement, cart: Cart, quote: Quote, now: datetime
    ) -> CheckoutAnswer:
        user_id, key_id, key, order, payment, receipt = attrs.astuple(placement, recurse=False)
        database = self._database
        exempted = quote.tax_exemption
        quantities = {line.sku: line.quantity for line in order.lines}
        async with database.transaction():
            reserved = await reserve_stock(database, quantities)
            if isinstance(reserved, Failure):
                short = ", ".join(reserved.failure())
                raise _RolledBackError(
                    _error(409, "out_of_stock", f"Not enough stock of {short}.", "cart"),
                    keep=True,
                )
            order_id = await insert_order(
                database,
                order,
                product_ids=reserved.unwrap(),
                prices_include_tax=quote.prices_include_tax,
                tax_exempted=(
                    Money.zero(order.currency) if exempted is None else exempted.amount
                ).amount,
                idempotency_key_id=key_id,
            )
            await insert_payment(
                database,
                order_id,
                payment,
                provider=self._gateway.name,
                provider_reference=receipt.reference,
                now=now,
            )
            cleared = apply_all(cart, decide(cart, ClearCart(f"checkout:{key}"), now).unwrap())
            if not await self._carts.save(
                user_id, cleared, expected_version=cart.version, expires_at=now + self._cart_ttl
            ):
                raise _RolledBackError(
                    _error(
                        409,
                        "cart_changed",
                        "The cart changed during checkout: look at it again and retry.",
                        "cart",
                    ),
                    keep=False,
                )
            body = {"order": order_json(order_id, order, payment.status.value)}
            event = {
                "order_id": order_id,
                "user_id": user_id,
                "status": order.status.value,
                "total": amount_text(order.totals.total),
                "currency": order.currency.code,
                "inserted_at": now.isoformat(),
            }
            await append_audit(
                database,
                actor_user_id=user_id,
                action="order.created",
                target_type="order",
                target_id=str(order_id),
                details={"idempotency_key": key, "total": event["total"]},
                now=now,
            )
            await append_outbox(database, topic="order.created", payload=event, now=now)
            await append_outbox(database, topic="email.receipt", payload=event, now=now)
            await store_response(database, key_id, status=201, body=body)
        return CheckoutAnswer(201, body)


def order_json(order_id: int, order: Order, payment_status: str | None = None) -> dict[str, object]:
    """An order as the API shows it (with its payment's status when given)."""
    totals = order.totals
    shown: dict[str, object] = {
        "id": order_id,
        "user_id": order.user_id,
        "status": order.status.value,
        "currency": order.currency.code,
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": amount_text(line.unit_price),
                "line_total": amount_text(line.line_total),
                "tax": amount_text(line.tax),
            }
            for line in order.lines
        ],
        "totals": {
            "subtotal": amount_text(totals.subtotal),
            "discount_total": amount_text(totals.discount_total),
            "shipping_total": amount_text(totals.shipping_total),
            "tax_total": amount_text(totals.tax_total),
            "total": amount_text(totals.total),
        },
        "created_at": order.created_at.isoformat(),
    }
    if payment_status is not None:
        shown["payment_status"] = payment_status
    return shown
