"""Starting cart actors on demand, finding them by user, and restarting them when they crash.

The supervisor is the registry: user id -> the user's slot (its mailbox and the running
actor). A message for a user without a slot starts one in the same step of the event loop
that queues the message, so concurrent first requests never start two actors. The mailbox
belongs to the slot, not to the actor: when an actor crashes, the messages waiting behind
the one it was handling stay queued for the actor that replaces it.

Restarts are bounded, as in an Erlang supervisor: more than ``max_restarts`` crashes within
``restart_window`` seconds and the supervisor gives up on that user for ``cooldown``
seconds, in which every request for the cart fails fast with `CartUnavailableError` (a
503); the next request after that starts afresh. Between restarts it waits ``backoff``
seconds, doubled for each recent crash.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import TYPE_CHECKING, Final, final

from pulseshop.shell.carts import metrics
from pulseshop.shell.carts.actor import CartActor, Envelope
from pulseshop.shell.carts.mailbox import Mailbox, MailboxFullError

if TYPE_CHECKING:
    from pulseshop.core.cart import CartCommand
    from pulseshop.shell.carts.actor import CartDeps, CartResult

logger: Final = logging.getLogger(__name__)


@final
class CartUnavailableError(Exception):
    """The user's cart cannot take requests now; ``retry_after`` seconds is a fair wait."""

    def __init__(self, message: str, *, reason: str, retry_after: float) -> None:
        super().__init__(message)
        self.reason = reason
        self.retry_after = retry_after


@final
class _Slot:
    """A user's mailbox, the actor serving it, and its recent crashes."""

    __slots__ = ("actor", "crashes", "mailbox", "task", "user_id")

    def __init__(self, user_id: int, mailbox_size: int) -> None:
        self.user_id = user_id
        self.mailbox: Mailbox[Envelope] = Mailbox(mailbox_size)
        # Most actors never crash: the deque is made at the first crash.
        self.crashes: collections.deque[float] | None = None
        self.actor: CartActor | None = None
        self.task: asyncio.Task[None] | None = None


@final
class CartSupervisor:
    """The cart actors of this process, one per active user."""

    def __init__(
        self,
        deps: CartDeps,
        *,
        mailbox_size: int = 32,
        idle_timeout: float = 60.0,
        max_restarts: int = 3,
        restart_window: float = 10.0,
        backoff: float = 0.05,
        cooldown: float = 15.0,
    ) -> None:
        self._deps = deps
        self._mailbox_size = mailbox_size
        self._idle_timeout = idle_timeout
        self._max_restarts = max_restarts
        self._restart_window = restart_window
        self._backoff = backoff
        self._cooldown = cooldown
        self._slots: dict[int, _Slot] = {}
        self._failing: dict[int, float] = {}
        self._closing = False

    @property
    def live_actors(self) -> int:
        """How many users have an actor (running, or waiting to be restarted)."""
        return len(self._slots)

    def is_live(self, user_id: int) -> bool:
        """Whether the user has an actor now."""
        return user_id in self._slots

    async def ask(self, user_id: int, command: CartCommand | None) -> CartResult:
        """Send ``command`` (None: only read the cart) to the user's actor and wait for the
        reply.

        Raises:
            CartUnavailableError: the actor keeps crashing, its mailbox is full, or it
                crashed while handling this very message (which may or may not have been
                stored: retry it with the same command id).
        """
        return await self.send(user_id, command)

    def send(self, user_id: int, command: CartCommand | None) -> asyncio.Future[CartResult]:
        """Queue ``command`` for the user's actor, starting one if needed; the future
        completes with the reply. Raises `CartUnavailableError` as `ask` does."""
        loop = asyncio.get_running_loop()
        if self._closing:
            raise CartUnavailableError(
                "the service is shutting down", reason="stopping", retry_after=1.0
            )
        until = self._failing.get(user_id)
        if until is not None:
            if loop.time() < until:
                metrics.UNAVAILABLE.labels("failing").inc()
                raise CartUnavailableError(
                    "this cart keeps failing and is paused; try again shortly",
                    reason="failing",
                    retry_after=max(until - loop.time(), 0.1),
                )
            del self._failing[user_id]
        slot = self._slots.get(user_id)
        if slot is None:
            slot = _Slot(user_id, self._mailbox_size)
            self._slots[user_id] = slot
            metrics.LIVE_ACTORS.inc()
            self._spawn(slot)
        envelope = Envelope(command, loop.create_future())
        try:
            slot.mailbox.put_nowait(envelope)
        except MailboxFullError:
            metrics.UNAVAILABLE.labels("busy").inc()
            raise CartUnavailableError(
                "too many requests for this cart are waiting; try again shortly",
                reason="busy",
                retry_after=1.0,
            ) from None
        metrics.MAILBOX_DEPTH.inc()
        return envelope.reply

    def _spawn(self, slot: _Slot) -> None:
        if self._closing or self._slots.get(slot.user_id) is not slot:
            return
        actor = CartActor(
            slot.user_id,
            slot.mailbox,
            self._deps,
            idle_timeout=self._idle_timeout,
            may_stop=lambda: self._may_stop(slot),
        )
        slot.actor = actor
        slot.task = asyncio.create_task(actor.run(), name=f"cart-actor-{slot.user_id}")
        slot.task.add_done_callback(lambda task: self._ended(slot, actor, task))

    def _may_stop(self, slot: _Slot) -> bool:
        """An idle actor may stop when nothing waits for it: then its slot goes, in the
        same step, so the next message starts a new actor."""
        if len(slot.mailbox):
            return False
        self._remove(slot)
        return True

    def _remove(self, slot: _Slot) -> None:
        if self._slots.get(slot.user_id) is slot:
            del self._slots[slot.user_id]
            metrics.LIVE_ACTORS.dec()

    def _ended(self, slot: _Slot, actor: CartActor, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            self._fail_waiting(slot, actor, "the service is shutting down")
            self._remove(slot)
            return
        error = task.exception()
        if error is None:
            return
        metrics.RESTARTS.inc()
        logger.error(
            "cart actor of user %s crashed", slot.user_id, exc_info=(type(error), error, None)
        )
        if actor.current is not None and not actor.current.reply.done():
            actor.current.reply.set_exception(
                CartUnavailableError(
                    "the cart failed while handling this request; retry it with the same "
                    "Idempotency-Key (it is applied at most once)",
                    reason="crashed",
                    retry_after=self._backoff,
                )
            )
        now = asyncio.get_running_loop().time()
        if slot.crashes is None:
            slot.crashes = collections.deque()
        crashes = slot.crashes
        crashes.append(now)
        while crashes and crashes[0] < now - self._restart_window:
            crashes.popleft()
        if len(crashes) > self._max_restarts:
            logger.error(
                "cart actor of user %s crashed %d times in %.0f s: paused for %.0f s",
                slot.user_id,
                len(crashes),
                self._restart_window,
                self._cooldown,
            )
            self._failing[slot.user_id] = now + self._cooldown
            self._remove(slot)
            self._fail_waiting(slot, None, "this cart keeps failing and is paused")
            return
        delay = self._backoff * 2 ** (len(crashes) - 1)
        asyncio.get_running_loop().call_later(delay, self._spawn, slot)

    def _fail_waiting(self, slot: _Slot, actor: CartActor | None, message: str) -> None:
        waiting = [actor.current] if actor is not None and actor.current is not None else []
        while len(slot.mailbox):
            waiting.append(slot.mailbox.get_nowait())
            metrics.MAILBOX_DEPTH.dec()
        for envelope in waiting:
            if not envelope.reply.done():
                envelope.reply.set_exception(
                    CartUnavailableError(message, reason="failing", retry_after=self._cooldown)
                )

    async def close(self) -> None:
        """Stop every actor; requests still waiting fail with `CartUnavailableError`."""
        self._closing = True
        tasks = [slot.task for slot in self._slots.values() if slot.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for slot in list(self._slots.values()):
            self._fail_waiting(slot, None, "the service is shutting down")
            self._remove(slot)
