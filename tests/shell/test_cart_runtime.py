"""The cart runtime: actors, their registry and supervisor, with carts kept in memory."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import pytest
from prometheus_client import REGISTRY
from returns.result import Failure, Success

from pulseshop.core.cart import AddItem, Cart, CartCommand, ClearCart, RemoveItem, SetQuantity
from pulseshop.core.catalog import Product
from pulseshop.core.money import EUR, Money
from pulseshop.shell.carts.actor import CartDeps, CartReply, CartResult
from pulseshop.shell.carts.memory import MemoryCartStore, MemoryProducts
from pulseshop.shell.carts.pricing import load_shop_pricing
from pulseshop.shell.carts.supervisor import CartSupervisor, CartUnavailableError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.unit

NOW: Final = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
TEA: Final = Product("TEA-1", "Tea", Money.of("8.90", EUR), "reduced", stock=10, category="tea")
MUG: Final = Product("MUG-1", "Mug", Money.of("12.00", EUR), "standard", stock=10)
PRICING: Final = load_shop_pricing(None)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class FlakyStore:
    """A memory store whose next saves or loads can be made to crash."""

    def __init__(self) -> None:
        self.inner = MemoryCartStore()
        self.failing_saves = 0
        self.failing_loads = 0

    async def load(self, user_id: int) -> Cart | None:
        if self.failing_loads:
            self.failing_loads -= 1
            raise RuntimeError("the store is down")
        return await self.inner.load(user_id)

    async def save(
        self, user_id: int, cart: Cart, *, expected_version: int, expires_at: datetime
    ) -> bool:
        if self.failing_saves:
            self.failing_saves -= 1
            raise RuntimeError("the store failed mid-command")
        return await self.inner.save(
            user_id, cart, expected_version=expected_version, expires_at=expires_at
        )


def _deps(store: FlakyStore | MemoryCartStore, clock: Clock | None = None) -> CartDeps:
    return CartDeps(
        store=store,
        products=MemoryProducts([TEA, MUG]),
        pricing=PRICING,
        clock=clock or Clock(),
        cart_ttl=timedelta(days=7),
    )


@pytest.fixture
async def store() -> FlakyStore:
    return FlakyStore()


@pytest.fixture
async def supervisor(store: FlakyStore) -> AsyncIterator[CartSupervisor]:
    running = CartSupervisor(_deps(store), idle_timeout=5, backoff=0.001, cooldown=0.2)
    try:
        yield running
    finally:
        await running.close()


def _reply(result: CartResult) -> CartReply:
    reply = result.value_or(None)
    assert reply is not None, result
    return reply


def _restarts() -> float:
    return REGISTRY.get_sample_value("pulseshop_cart_actor_restarts_total") or 0.0


def _add(command_id: str, product: Product = TEA, quantity: int = 1) -> AddItem:
    return AddItem(command_id, product.sku, quantity, product)


class TestCommands:
    async def test_a_command_is_answered_with_the_cart_and_its_quote(
        self, supervisor: CartSupervisor
    ) -> None:
        """Adding two teas gives a one-line cart, priced."""
        reply = _reply(await supervisor.ask(1, _add("c1", quantity=2)))

        assert [("TEA-1", 2)] == [(line.sku, line.quantity) for line in reply.cart.lines]
        assert reply.quote is not None
        assert Money.of("17.80", EUR) == reply.quote.subtotal
        assert 1 == reply.cart.version

    async def test_a_refused_command_changes_nothing(self, supervisor: CartSupervisor) -> None:
        """Removing what is not there fails and leaves the cart as it was."""
        await supervisor.ask(1, _add("c1"))

        refused = await supervisor.ask(1, RemoveItem("c2", "MUG-1"))
        looked = _reply(await supervisor.ask(1, None))

        assert isinstance(refused, Failure)
        assert 1 == looked.cart.version

    async def test_a_command_is_stored_before_its_reply(
        self, supervisor: CartSupervisor, store: FlakyStore
    ) -> None:
        """When the reply comes, the store already holds the new version."""
        reply = _reply(await supervisor.ask(7, _add("c1")))

        assert reply.cart == await store.load(7)

    async def test_a_repeated_command_id_is_applied_once(self, supervisor: CartSupervisor) -> None:
        """A retried request (same command id) adds nothing more."""
        await supervisor.ask(1, _add("same", quantity=2))
        reply = _reply(await supervisor.ask(1, _add("same", quantity=2)))

        assert 2 == reply.cart.quantity_of("TEA-1")
        assert () == reply.events


class TestRegistry:
    async def test_concurrent_first_requests_start_one_actor(
        self, supervisor: CartSupervisor
    ) -> None:
        """Thirty requests at once for a new user meet one actor, and all apply."""
        replies = await asyncio.gather(*(supervisor.ask(3, _add(f"c{n}")) for n in range(30)))

        assert 1 == supervisor.live_actors
        assert 30 == max(_reply(result).cart.version for result in replies)

    async def test_commands_for_one_user_apply_in_order(self, supervisor: CartSupervisor) -> None:
        """Queued commands apply in the order they were sent: each sees the one before."""
        commands: list[CartCommand] = [
            _add("a", quantity=3),
            SetQuantity("b", "TEA-1", 5, TEA),
            _add("c", MUG),
            RemoveItem("d", "TEA-1"),
            _add("e", quantity=1),
        ]
        futures = [supervisor.send(4, command) for command in commands]
        results = [await future for future in futures]

        assert [1, 2, 3, 4, 5] == [_reply(result).cart.version for result in results]
        final = _reply(results[-1]).cart
        assert [("MUG-1", 1), ("TEA-1", 1)] == [(line.sku, line.quantity) for line in final.lines]

    async def test_users_do_not_share_carts(self, supervisor: CartSupervisor) -> None:
        """Each user has an actor of their own."""
        await supervisor.ask(1, _add("c1"))
        other = _reply(await supervisor.ask(2, None))

        assert 2 == supervisor.live_actors
        assert other.cart.is_empty

    async def test_a_full_mailbox_refuses_more_requests(self, store: FlakyStore) -> None:
        """Past its mailbox's size, a cart answers busy instead of queueing without end."""
        supervisor = CartSupervisor(_deps(store), mailbox_size=2)
        try:
            queued = [supervisor.send(1, _add(f"c{n}")) for n in range(2)]
            with pytest.raises(CartUnavailableError) as refused:
                supervisor.send(1, _add("c3"))
            await asyncio.gather(*queued)
        finally:
            await supervisor.close()

        assert "busy" == refused.value.reason


class TestIdleTimeout:
    async def test_an_idle_actor_stops_and_the_next_request_reloads_the_cart(
        self, store: FlakyStore
    ) -> None:
        """After the receive timeout the actor is gone; its cart is not."""
        supervisor = CartSupervisor(_deps(store), idle_timeout=0.05)
        try:
            await supervisor.ask(1, _add("c1", quantity=2))
            await asyncio.sleep(0.2)
            stopped = supervisor.live_actors
            reply = _reply(await supervisor.ask(1, None))
        finally:
            await supervisor.close()

        assert 0 == stopped
        assert 2 == reply.cart.quantity_of("TEA-1")

    async def test_churn_leaves_no_actor_and_no_task_behind(self, store: FlakyStore) -> None:
        """Two thousand users add, go idle, come back and add again: each time the registry
        empties after the timeout, every task ends, and no command is lost."""
        tasks_before = len(asyncio.all_tasks())
        supervisor = CartSupervisor(_deps(store), idle_timeout=0.05)
        remaining = []
        try:
            for round_ in range(2):
                results = await asyncio.gather(
                    *(supervisor.ask(user, _add(f"{round_}-{user}")) for user in range(1, 2_001))
                )
                assert all(isinstance(result, Success) for result in results)
                for _ in range(100):
                    await asyncio.sleep(0.05)
                    if supervisor.live_actors == 0:
                        break
                remaining.append(supervisor.live_actors)
            await asyncio.sleep(0)
            tasks_after = len(asyncio.all_tasks())
        finally:
            await supervisor.close()

        assert [0, 0] == remaining
        assert tasks_before == tasks_after
        assert {2} == {cart.quantity_of("TEA-1") for cart, _ in store.inner.carts.values()}
        assert 2_000 == len(store.inner.carts)

    async def test_an_expired_cart_is_emptied_when_its_actor_starts(self) -> None:
        """A cart untouched for longer than its time to live comes back empty."""
        clock = Clock()
        store = MemoryCartStore()
        supervisor = CartSupervisor(_deps(store, clock), idle_timeout=0.01)
        try:
            await supervisor.ask(1, _add("c1"))
            await asyncio.sleep(0.1)
            clock.now = NOW + timedelta(days=8)
            reply = _reply(await supervisor.ask(1, None))
        finally:
            await supervisor.close()

        assert reply.cart.is_empty
        assert 2 == reply.cart.version


class TestCrashes:
    async def test_a_crash_mid_command_restarts_the_actor_with_the_cart_intact(
        self, supervisor: CartSupervisor, store: FlakyStore
    ) -> None:
        """The command that crashed gets a 503; the stored cart is as before it; the
        restarted actor takes the next command."""
        await supervisor.ask(1, _add("c1", quantity=2))
        restarts = _restarts()
        store.failing_saves = 1

        with pytest.raises(CartUnavailableError) as crashed:
            await supervisor.ask(1, ClearCart("c2"))
        after = _reply(await supervisor.ask(1, _add("c3")))

        assert "crashed" == crashed.value.reason
        assert 3 == after.cart.quantity_of("TEA-1")
        assert 2 == after.cart.version
        assert restarts + 1 == _restarts()

    async def test_messages_queued_behind_a_crash_are_not_lost(
        self, supervisor: CartSupervisor, store: FlakyStore
    ) -> None:
        """The mailbox outlives the actor: what waited is answered by its successor."""
        await supervisor.ask(1, _add("c1"))
        store.failing_saves = 1
        crashing = supervisor.send(1, _add("c2"))
        queued = [supervisor.send(1, _add(f"q{n}")) for n in range(3)]

        with pytest.raises(CartUnavailableError):
            await crashing
        replies = [_reply(await future) for future in queued]

        assert [2, 3, 4] == [reply.cart.version for reply in replies]

    async def test_past_the_restart_limit_requests_fail_fast_then_recover(
        self, supervisor: CartSupervisor, store: FlakyStore
    ) -> None:
        """Four crashes in a row pause the cart: a clear 503, then it works again."""
        store.failing_loads = 4

        with pytest.raises(CartUnavailableError) as paused:
            await supervisor.ask(1, None)
        with pytest.raises(CartUnavailableError) as fast:
            await supervisor.ask(1, None)
        await asyncio.sleep(0.25)
        recovered = _reply(await supervisor.ask(1, _add("c1")))

        assert "failing" == paused.value.reason
        assert "failing" == fast.value.reason
        assert 0 < fast.value.retry_after <= 0.2
        assert 1 == recovered.cart.version

    async def test_closing_answers_what_waits_and_ends_every_actor(self, store: FlakyStore) -> None:
        """On shutdown nothing hangs: waiting requests get a 503."""
        supervisor = CartSupervisor(_deps(store))
        store.failing_loads = 0
        await supervisor.ask(1, _add("c1"))
        await supervisor.close()

        with pytest.raises(CartUnavailableError) as closed:
            supervisor.send(1, None)

        assert 0 == supervisor.live_actors
        assert "stopping" == closed.value.reason
