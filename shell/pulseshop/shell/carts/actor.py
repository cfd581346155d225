"""One user's cart as an asyncio task: a mailbox, the pure decider, a snapshot stored
before every reply.

The actor takes one message at a time from its mailbox, so a user's commands apply in the
order they arrived and never race. For each command it gathers nothing itself (the
request handler put the product facts in the command), decides with the core, stores the
new snapshot and only then replies: a reply means the command is stored, so a crash loses
no acknowledged command. After ``idle_timeout`` seconds without a message it asks its
supervisor to let it stop; the supervisor agrees only when the mailbox is still empty, in
the same step of the event loop, so no message is ever left behind.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final, final

import attrs
from returns.result import Failure, Result, Success

from pulseshop.core.cart import EMPTY_CART, ExpireCart, apply_all, decide, is_expired
from pulseshop.shell.carts import metrics

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime, timedelta

    from pulseshop.core.cart import Cart, CartCommand, CartError, CartEvent
    from pulseshop.core.catalog import Product
    from pulseshop.core.pricing import Quote
    from pulseshop.shell.carts.mailbox import Mailbox
    from pulseshop.shell.carts.ports import CartStore, ProductSource
    from pulseshop.shell.carts.pricing import ShopPricing

LOOK: Final = "look"
"""The metric label of a message that only reads the cart."""


@final
class CartConflictError(Exception):
    """Another writer stored the cart twice while this actor was deciding: the actor
    stops (and is restarted from the stored snapshot)."""


@final
@attrs.frozen
class CartDeps:
    """What every cart actor uses: its store, the catalog, the shop's pricing, the clock,
    and how long an untouched cart lives."""

    store: CartStore
    products: ProductSource
    pricing: ShopPricing
    clock: Callable[[], datetime]
    cart_ttl: timedelta


@final
@attrs.frozen
class CartReply:
    """The cart after a message, its live quote (None when it cannot be priced: empty),
    the events the message caused, and the products of its lines."""

    cart: Cart
    quote: Quote | None
    events: tuple[CartEvent, ...]
    products: Mapping[str, Product]


CartResult = Result[CartReply, "CartError"]


@final
class Envelope:
    """A message in a mailbox: a command (None to read the cart) and where to reply."""

    __slots__ = ("arrived", "command", "reply")

    def __init__(self, command: CartCommand | None, reply: asyncio.Future[CartResult]) -> None:
        self.command = command
        self.reply = reply
        self.arrived = time.perf_counter()


@final
class CartActor:
    """The task that owns one user's cart while the user is active."""

    __slots__ = ("_deps", "_idle_timeout", "_mailbox", "_may_stop", "cart", "current", "user_id")

    def __init__(
        self,
        user_id: int,
        mailbox: Mailbox[Envelope],
        deps: CartDeps,
        *,
        idle_timeout: float,
        may_stop: Callable[[], bool],
    ) -> None:
        self.user_id = user_id
        self._mailbox = mailbox
        self._deps = deps
        self._idle_timeout = idle_timeout
        self._may_stop = may_stop
        self.cart: Cart = EMPTY_CART
        self.current: Envelope | None = None

    async def run(self) -> None:
        """Load the cart, then answer messages until idle for ``idle_timeout`` seconds."""
        self.cart = await self._load()
        mailbox = self._mailbox
        while True:
            try:
                async with asyncio.timeout(self._idle_timeout):
                    envelope = await mailbox.get()
            except TimeoutError:
                if self._may_stop():
                    return
                continue
            metrics.MAILBOX_DEPTH.dec()
            self.current = envelope
            await self._handle(envelope)
            # An idle actor keeps only its cart: not the last reply, quote and all.
            self.current = None
            del envelope

    async def _load(self) -> Cart:
        deps = self._deps
        cart = await deps.store.load(self.user_id) or EMPTY_CART
        now = deps.clock()
        if is_expired(cart, now, deps.cart_ttl):
            expire = ExpireCart(f"expire:{cart.version}", deps.cart_ttl)
            expired = apply_all(cart, decide(cart, expire, now).unwrap())
            await self._store(cart, expired, now)
            return expired
        return cart

    async def _handle(self, envelope: Envelope) -> None:
        command = envelope.command
        outcome = "ok"
        if command is None:
            result: CartResult = Success(await self._reply(self.cart, ()))
        else:
            decided = await self._apply(command)
            if isinstance(decided, Failure):
                outcome = "refused"
                result = decided
            else:
                result = Success(await self._reply(self.cart, decided.unwrap()))
        if not envelope.reply.done():
            envelope.reply.set_result(result)
        name = LOOK if command is None else type(command).__name__
        metrics.COMMANDS.labels(name, outcome).observe(time.perf_counter() - envelope.arrived)

    async def _apply(self, command: CartCommand) -> Result[tuple[CartEvent, ...], CartError]:
        """Decide ``command`` and store the result; once more from the stored cart if
        another writer stored it meanwhile."""
        for attempt in range(2):
            now = self._deps.clock()
            decided = decide(self.cart, command, now)
            if isinstance(decided, Failure) or not decided.unwrap():
                return decided
            changed = apply_all(self.cart, decided.unwrap())
            if await self._store(self.cart, changed, now):
                self.cart = changed
                return decided
            if attempt == 0:
                self.cart = await self._deps.store.load(self.user_id) or EMPTY_CART
        raise CartConflictError(f"the cart of user {self.user_id} keeps changing under us")

    async def _store(self, before: Cart, after: Cart, now: datetime) -> bool:
        return await self._deps.store.save(
            self.user_id,
            after,
            expected_version=before.version,
            expires_at=now + self._deps.cart_ttl,
        )

    async def _reply(self, cart: Cart, events: tuple[CartEvent, ...]) -> CartReply:
        deps = self._deps
        products = await deps.products.products([line.sku for line in cart.lines])
        priced = deps.pricing.quote(cart, products, user_id=self.user_id, now=deps.clock())
        return CartReply(cart, priced, events, products)
