"""Cart snapshots against a real PostgreSQL: saves, version conflicts and the expiry sweep."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import asyncpg
import pytest

from pulseshop.adapters.postgres import (
    CartSnapshot,
    delete_cart,
    ensure_user,
    expired_carts,
    load_cart,
    save_cart,
)
from pulseshop.core.access import Email

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pulseshop.adapters.postgres import PostgresDatabase

pytestmark = pytest.mark.integration

NOW: Final = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
TTL: Final = timedelta(days=7)
ONE_MUG: Final = {"lines": [{"sku": "MUG-1", "quantity": 1}], "coupon": None}
TWO_MUGS: Final = {"lines": [{"sku": "MUG-1", "quantity": 2}], "coupon": None}


async def _user(database: PostgresDatabase, name: str = "ann") -> int:
    return (await ensure_user(database, Email(f"{name}@example.com"), "customer")).id


async def _save(
    database: PostgresDatabase,
    user_id: int,
    expected: int,
    version: int,
    snapshot: Mapping[str, object] = ONE_MUG,
    *,
    at: datetime = NOW,
    owner_node: str | None = None,
) -> bool:
    return await save_cart(
        database,
        user_id,
        expected_version=expected,
        version=version,
        snapshot=snapshot,
        updated_at=at,
        expires_at=at + TTL,
        owner_node=owner_node,
    )


class TestSaveAndLoad:
    async def test_a_first_save_is_loaded_back(self, database: PostgresDatabase) -> None:
        """From version 0 (no cart) to 1: the snapshot, times and version come back."""
        user_id = await _user(database)

        saved = await _save(database, user_id, 0, 1, owner_node="node-a")
        loaded = await load_cart(database, user_id)

        expected = CartSnapshot(
            user_id=user_id,
            version=1,
            snapshot=ONE_MUG,
            updated_at=NOW,
            expires_at=NOW + TTL,
            epoch=0,
            owner_node="node-a",
        )
        assert saved
        assert expected == loaded

    async def test_no_cart_loads_as_none(self, database: PostgresDatabase) -> None:
        """A user who never saved a cart has none."""
        assert await load_cart(database, await _user(database)) is None

    async def test_a_save_at_the_stored_version_replaces_the_snapshot(
        self, database: PostgresDatabase
    ) -> None:
        """Saving version 2 over version 1 replaces the snapshot and the times."""
        user_id = await _user(database)
        await _save(database, user_id, 0, 1)
        later = NOW + timedelta(minutes=5)

        saved = await _save(database, user_id, 1, 2, TWO_MUGS, at=later)
        loaded = await load_cart(database, user_id)

        assert saved
        assert loaded is not None
        assert (2, TWO_MUGS, later, later + TTL) == (
            loaded.version,
            loaded.snapshot,
            loaded.updated_at,
            loaded.expires_at,
        )

    async def test_the_json_of_a_snapshot_comes_back_as_written(
        self, database: PostgresDatabase
    ) -> None:
        """Nested objects, lists, text beyond ASCII, numbers, booleans and null survive."""
        user_id = await _user(database)
        snapshot = {"a": {"b": [1, 2.5, True, None, "zoë ☕"]}, "": {}, "n": -(2**60)}

        await _save(database, user_id, 0, 1, snapshot)
        loaded = await load_cart(database, user_id)

        assert loaded is not None
        assert snapshot == loaded.snapshot


class TestVersionConflicts:
    async def test_a_stale_save_returns_false_and_keeps_the_newer_row(
        self, database: PostgresDatabase
    ) -> None:
        """A writer that read version 1 after version 2 was saved changes nothing."""
        user_id = await _user(database)
        await _save(database, user_id, 0, 1)
        await _save(database, user_id, 1, 2, TWO_MUGS)
        before = await load_cart(database, user_id)

        saved = await _save(database, user_id, 1, 2, {"lines": []}, at=NOW + TTL)

        assert not saved
        assert before == await load_cart(database, user_id)

    async def test_a_first_save_over_an_existing_cart_returns_false(
        self, database: PostgresDatabase
    ) -> None:
        """Expecting no cart when there is one changes nothing."""
        user_id = await _user(database)
        await _save(database, user_id, 0, 1)

        assert not await _save(database, user_id, 0, 5, TWO_MUGS)
        loaded = await load_cart(database, user_id)
        assert loaded is not None
        assert (1, ONE_MUG) == (loaded.version, loaded.snapshot)

    async def test_a_save_expecting_a_cart_that_is_gone_creates_nothing(
        self, database: PostgresDatabase
    ) -> None:
        """A writer that read version 3 of a cart since deleted does not bring it back."""
        user_id = await _user(database)

        assert not await _save(database, user_id, 3, 4)
        assert await load_cart(database, user_id) is None

    async def test_concurrent_first_saves_one_wins(self, database: PostgresDatabase) -> None:
        """Two writers saving a user's first cart at once: exactly one succeeds."""
        user_id = await _user(database)

        results = await asyncio.gather(
            _save(database, user_id, 0, 1, ONE_MUG), _save(database, user_id, 0, 1, TWO_MUGS)
        )
        loaded = await load_cart(database, user_id)

        assert [False, True] == sorted(results)
        assert loaded is not None
        assert (ONE_MUG if results[0] else TWO_MUGS) == loaded.snapshot

    async def test_concurrent_saves_of_the_same_version_one_wins(
        self, database: PostgresDatabase
    ) -> None:
        """Two writers that both read version 1: exactly one writes version 2."""
        user_id = await _user(database)
        await _save(database, user_id, 0, 1)

        results = await asyncio.gather(
            *(_save(database, user_id, 1, 2, {"writer": writer}) for writer in range(2))
        )
        loaded = await load_cart(database, user_id)

        assert [False, True] == sorted(results)
        assert loaded is not None
        assert (2, {"writer": results.index(True)}) == (loaded.version, loaded.snapshot)

    @pytest.mark.parametrize(("expected", "version"), [(1, 1), (2, 1), (-1, 1), (0, 0)])
    async def test_a_save_must_move_the_version_up(
        self, database: PostgresDatabase, expected: int, version: int
    ) -> None:
        """A version not above the expected one is a ValueError."""
        user_id = await _user(database)

        with pytest.raises(ValueError, match="higher"):
            await _save(database, user_id, expected, version)

    async def test_a_snapshot_that_is_not_json_is_refused(self, database: PostgresDatabase) -> None:
        """NaN is not JSON: ValueError before anything is written."""
        user_id = await _user(database)

        with pytest.raises(ValueError, match="JSON"):
            await _save(database, user_id, 0, 1, {"total": float("nan")})

        assert await load_cart(database, user_id) is None

    async def test_a_cart_needs_an_existing_user(self, database: PostgresDatabase) -> None:
        """Saving the cart of a user id that does not exist fails."""
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await _save(database, 404, 0, 1)


class TestOwnership:
    async def test_a_new_owner_moves_the_epoch(self, database: PostgresDatabase) -> None:
        """The epoch counts the saves that changed the owner node."""
        user_id = await _user(database)
        epochs = []
        for expected, owner in enumerate(["node-a", "node-a", "node-b", None, None]):
            await _save(database, user_id, expected, expected + 1, owner_node=owner)
            loaded = await load_cart(database, user_id)
            assert loaded is not None
            epochs.append((loaded.owner_node, loaded.epoch))

        expected_epochs = [("node-a", 0), ("node-a", 0), ("node-b", 1), (None, 2), (None, 2)]
        assert expected_epochs == epochs


class TestSweep:
    async def test_lists_expired_carts_oldest_first(self, database: PostgresDatabase) -> None:
        """Carts expired at or before the time, longest expired first, up to the limit."""
        ann, bob, cy, dee = [await _user(database, name) for name in ("ann", "bob", "cy", "dee")]
        await _save(database, ann, 0, 1, at=NOW - timedelta(hours=1))
        await _save(database, bob, 0, 1, at=NOW - timedelta(hours=3))
        await _save(database, cy, 0, 1, at=NOW - timedelta(hours=2))
        await _save(database, dee, 0, 1, at=NOW)

        sweep_time = NOW - timedelta(hours=1) + TTL

        assert [bob, cy, ann] == await expired_carts(database, now=sweep_time, limit=10)
        assert [bob, cy] == await expired_carts(database, now=sweep_time, limit=2)
        assert [] == await expired_carts(database, now=NOW, limit=10)

    async def test_deletes_only_at_the_version_given(self, database: PostgresDatabase) -> None:
        """A cart saved again after the sweep read it is kept."""
        user_id = await _user(database)
        await _save(database, user_id, 0, 1)
        await _save(database, user_id, 1, 2)

        stale = await delete_cart(database, user_id, version=1)
        kept = await load_cart(database, user_id)
        current = await delete_cart(database, user_id, version=2)

        assert (False, True) == (stale, current)
        assert kept is not None
        assert await load_cart(database, user_id) is None
        assert not await delete_cart(database, user_id, version=2)
