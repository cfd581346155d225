"""The sweep of abandoned carts (`sweep_once`) against a real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import pytest
from prometheus_client import REGISTRY

from pulseshop.adapters.postgres import CartSnapshot, ensure_user, load_cart
from pulseshop.core.access import Email
from pulseshop.core.cart import EMPTY_CART, AddItem, Cart, apply_all, decide
from pulseshop.core.catalog import Product
from pulseshop.core.money import EUR, Money
from pulseshop.shell.carts import sweep
from pulseshop.shell.carts.actor import CartDeps
from pulseshop.shell.carts.memory import MemoryProducts
from pulseshop.shell.carts.pricing import load_shop_pricing
from pulseshop.shell.carts.store import PostgresCartStore
from pulseshop.shell.carts.supervisor import CartSupervisor

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pulseshop.adapters.postgres import PostgresDatabase

pytestmark = pytest.mark.integration

CHANGED: Final = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
"""When every cart here was last changed (and the time of the supervisor's clock)."""
SWEPT: Final = CHANGED + timedelta(hours=2)
"""When the sweep runs."""
EXPIRED: Final = CHANGED + timedelta(hours=1)
"""An expiry before the sweep."""
LATER: Final = CHANGED + timedelta(hours=3)
"""An expiry after the sweep."""
TTL: Final = timedelta(days=7)

TEA: Final = Product("TEA-1", "Tea", Money.of("8.90", EUR), "reduced", stock=10, category="tea")


def _cart(cart: Cart = EMPTY_CART, *, command_id: str = "c-1", at: datetime = CHANGED) -> Cart:
    """``cart`` with one more tea, changed ``at``."""
    return apply_all(cart, decide(cart, AddItem(command_id, TEA.sku, 1, TEA), at).unwrap())


@pytest.fixture
def store(database: PostgresDatabase) -> PostgresCartStore:
    return PostgresCartStore(database)


@pytest.fixture
async def supervisor(store: PostgresCartStore) -> AsyncIterator[CartSupervisor]:
    """Cart actors on the carts in PostgreSQL, whose clock stays at `CHANGED`."""
    deps = CartDeps(
        store=store,
        products=MemoryProducts([TEA]),
        pricing=load_shop_pricing(None),
        clock=lambda: CHANGED,
        cart_ttl=TTL,
    )
    supervisor = CartSupervisor(deps)
    yield supervisor
    await supervisor.close()


async def _carts(
    database: PostgresDatabase, store: PostgresCartStore, *expires_at: datetime
) -> list[int]:
    """A user with a stored one-line cart for each expiry, in order; their ids."""
    users: list[int] = []
    for expiry in expires_at:
        email = Email(f"shopper-{uuid.uuid4().hex[:12]}@example.com")
        user = await ensure_user(database, email, "customer")
        assert await store.save(user.id, _cart(), expected_version=0, expires_at=expiry)
        users.append(user.id)
    return users


async def _stored(database: PostgresDatabase) -> list[int]:
    rows = await database.fetch_all("SELECT user_id FROM carts ORDER BY user_id")
    return [row["user_id"] for row in rows]


def _expired_count() -> float:
    return REGISTRY.get_sample_value("pulseshop_carts_expired_total") or 0.0


class TestSweepOnce:
    async def test_expired_carts_go_and_the_others_stay(
        self, database: PostgresDatabase, store: PostgresCartStore, supervisor: CartSupervisor
    ) -> None:
        """Carts whose expiry is past are deleted; those expiring later are kept."""
        gone = await _carts(database, store, EXPIRED, EXPIRED)
        kept = await _carts(database, store, LATER)
        counted = _expired_count()

        removed = await sweep.sweep_once(database, supervisor, now=SWEPT)

        assert (2, kept) == (removed, await _stored(database))
        assert 2 == _expired_count() - counted
        assert [None, None] == [await load_cart(database, user) for user in gone]

    async def test_a_cart_expiring_at_the_sweeps_time_goes(
        self, database: PostgresDatabase, store: PostgresCartStore, supervisor: CartSupervisor
    ) -> None:
        """An expiry equal to ``now`` has passed."""
        await _carts(database, store, SWEPT)

        removed = await sweep.sweep_once(database, supervisor, now=SWEPT)

        assert (1, []) == (removed, await _stored(database))

    async def test_nothing_expired_removes_nothing(
        self, database: PostgresDatabase, store: PostgresCartStore, supervisor: CartSupervisor
    ) -> None:
        """Without expired carts the sweep counts 0 and leaves every cart."""
        kept = await _carts(database, store, LATER, LATER)

        removed = await sweep.sweep_once(database, supervisor, now=SWEPT)

        assert (0, kept) == (removed, await _stored(database))

    async def test_a_cart_whose_user_has_a_live_actor_stays(
        self, database: PostgresDatabase, store: PostgresCartStore, supervisor: CartSupervisor
    ) -> None:
        """An active user's cart is the actor's to expire, not the sweep's."""
        [active, idle] = await _carts(database, store, EXPIRED, EXPIRED)
        await supervisor.ask(active, None)

        removed = await sweep.sweep_once(database, supervisor, now=SWEPT)

        assert (1, [active]) == (removed, await _stored(database))
        assert (True, False) == (supervisor.is_live(active), supervisor.is_live(idle))

    async def test_a_cart_saved_after_the_sweep_read_it_stays(
        self,
        database: PostgresDatabase,
        store: PostgresCartStore,
        supervisor: CartSupervisor,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The sweep deletes a cart only at the version it read: a newer save wins."""
        [user] = await _carts(database, store, EXPIRED)

        async def load_then_changed(
            database: PostgresDatabase, user_id: int
        ) -> CartSnapshot | None:
            read = await load_cart(database, user_id)
            newer = _cart(_cart(), command_id="c-2", at=SWEPT)
            await store.save(user_id, newer, expected_version=1, expires_at=SWEPT + TTL)
            return read

        monkeypatch.setattr(sweep, "load_cart", load_then_changed)

        removed = await sweep.sweep_once(database, supervisor, now=SWEPT)

        stored = await load_cart(database, user)
        assert stored is not None
        assert (0, 2) == (removed, stored.version)

    async def test_more_expired_carts_than_a_batch_all_go(
        self,
        database: PostgresDatabase,
        store: PostgresCartStore,
        supervisor: CartSupervisor,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The sweep goes on batch after batch until no expired cart is left."""
        monkeypatch.setattr(sweep, "SWEEP_BATCH", 3)
        expiries = [EXPIRED + timedelta(minutes=minute) for minute in range(10)]
        await _carts(database, store, *expiries)

        removed = await sweep.sweep_once(database, supervisor, now=SWEPT)

        assert (10, []) == (removed, await _stored(database))

    async def test_live_carts_filling_a_batch_do_not_stop_the_sweep(
        self,
        database: PostgresDatabase,
        store: PostgresCartStore,
        supervisor: CartSupervisor,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The longest expired carts, kept for their live actors, do not hide the rest."""
        monkeypatch.setattr(sweep, "SWEEP_BATCH", 3)
        expiries = [EXPIRED + timedelta(minutes=minute) for minute in range(10)]
        users = await _carts(database, store, *expiries)
        active = users[:4]
        for user in active:
            await supervisor.ask(user, None)

        removed = await sweep.sweep_once(database, supervisor, now=SWEPT)

        assert (6, active) == (removed, await _stored(database))
