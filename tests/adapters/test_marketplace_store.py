"""The marketplace feed's tables on a real PostgreSQL: each event applied once, orders
folded under concurrent batches, refusals recorded, rejects kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import asyncpg
import pytest

from pulseshop.adapters.postgres.marketplace import (
    FeedReject,
    apply_feed_events,
    feed_rejects,
    marketplace_order,
    store_rejects,
)
from pulseshop.core.marketplace import EventType, FeedEvent, MarketplaceStatus
from pulseshop.core.money import EUR, USD, Money

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.adapters.postgres.marketplace import AppliedBatch

pytestmark = pytest.mark.integration

NOW: Final = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def event(
    event_id: str,
    kind: EventType,
    ref: str = "1001",
    amount: str | None = None,
    *,
    currency: str = "EUR",
    minutes: int = 0,
) -> FeedEvent:
    money = None
    if amount is not None:
        money = Money.of(amount, EUR if currency == "EUR" else USD)
    return FeedEvent(event_id, kind, "zalando", ref, NOW + timedelta(minutes=minutes), money, None)


async def apply(database: PostgresDatabase, events: Sequence[FeedEvent]) -> AppliedBatch:
    async with database.transaction():
        return await apply_feed_events(database, events, now=NOW)


async def count(database: PostgresDatabase, table: str) -> int:
    return int(await database.fetch_value(f"SELECT count(*) FROM {table}"))  # noqa: S608


class TestOnce:
    async def test_a_batch_folds_its_events_into_their_orders(
        self, database: PostgresDatabase
    ) -> None:
        applied = await apply(
            database,
            [
                event("e1", EventType.PLACED, amount="24.00"),
                event("e2", EventType.PAID, amount="24.00", minutes=1),
                event("e3", EventType.SHIPPED, minutes=2),
                event("e4", EventType.PLACED, "1002", "10.00"),
            ],
        )

        assert (applied.applied, applied.duplicates, applied.refused) == (4, 0, ())
        assert {order.order_ref for order in applied.changed} == {"1001", "1002"}
        order = await marketplace_order(database, "zalando", "1001")
        assert order is not None
        assert order.status is MarketplaceStatus.SHIPPED
        assert (order.total, order.paid, order.refunded) == (
            Decimal("24.00"),
            Decimal("24.00"),
            Decimal("0.00"),
        )
        assert order.events == 3
        assert order.last_event_at == NOW + timedelta(minutes=2)
        assert order.seen == {EventType.PLACED, EventType.PAID, EventType.SHIPPED}

    async def test_an_event_sent_again_has_no_second_effect(
        self, database: PostgresDatabase
    ) -> None:
        refund = event("r1", EventType.REFUNDED, amount="5.00")
        await apply(database, [event("p1", EventType.PAID, amount="24.00"), refund])

        again = await apply(database, [refund, refund])

        assert (again.applied, again.duplicates, again.changed) == (0, 2, ())
        order = await marketplace_order(database, "zalando", "1001")
        assert order is not None
        assert order.refunded == Decimal("5.00")
        assert order.events == 2
        assert await count(database, "feed_events") == 2

    async def test_the_same_id_twice_in_one_batch_counts_once(
        self, database: PostgresDatabase
    ) -> None:
        paid = event("p1", EventType.PAID, amount="24.00")

        applied = await apply(database, [paid, paid])

        assert (applied.applied, applied.duplicates) == (1, 1)
        order = await marketplace_order(database, "zalando", "1001")
        assert order is not None
        assert order.paid == Decimal("24.00")

    async def test_concurrent_batches_of_the_same_orders_lose_nothing(
        self, database: PostgresDatabase
    ) -> None:
        batches = [
            [event(f"b{batch}-{ref}", EventType.PAID, f"o{ref}", "1.00") for ref in range(20)]
            for batch in range(8)
        ]

        results = await asyncio.gather(*(apply(database, batch) for batch in batches))

        assert sum(result.applied for result in results) == 160
        for ref in range(20):
            order = await marketplace_order(database, "zalando", f"o{ref}")
            assert order is not None
            assert (order.paid, order.events) == (Decimal("8.00"), 8)


class TestRefusals:
    async def test_an_event_in_another_currency_is_recorded_as_refused(
        self, database: PostgresDatabase
    ) -> None:
        await apply(database, [event("e1", EventType.PLACED, amount="24.00")])

        applied = await apply(
            database, [event("e2", EventType.PAID, amount="24.00", currency="USD")]
        )

        assert applied.applied == 0
        assert applied.refused == (("e2", "currency: is USD, the order is in EUR"),)
        row = await database.fetch_one("SELECT * FROM feed_events WHERE event_id = 'e2'")
        assert row is not None
        assert (row["outcome"], row["problem"]) == (
            "refused",
            "currency: is USD, the order is in EUR",
        )
        order = await marketplace_order(database, "zalando", "1001")
        assert order is not None
        assert (order.paid, order.events) == (Decimal("0.00"), 1)

    async def test_an_id_reused_for_another_order_leaves_no_empty_order(
        self, database: PostgresDatabase
    ) -> None:
        await apply(database, [event("e1", EventType.PLACED, "1001", "24.00")])

        applied = await apply(database, [event("e1", EventType.PLACED, "1002", "9.00")])

        assert applied.duplicates == 1
        assert await marketplace_order(database, "zalando", "1002") is None

    async def test_an_order_whose_events_carry_no_amount_yet_has_no_currency(
        self, database: PostgresDatabase
    ) -> None:
        await apply(database, [event("s1", EventType.SHIPPED, minutes=5)])

        order = await marketplace_order(database, "zalando", "1001")

        assert order is not None
        assert (order.currency, order.total, order.status) == (
            None,
            None,
            MarketplaceStatus.SHIPPED,
        )
        await apply(database, [event("p1", EventType.PLACED, amount="3.50")])
        later = await marketplace_order(database, "zalando", "1001")
        assert later is not None
        assert (later.currency, later.total, later.last_event_at) == (
            EUR,
            Decimal("3.50"),
            NOW + timedelta(minutes=5),
        )

    async def test_the_tables_refuse_what_the_core_would(self, database: PostgresDatabase) -> None:
        with pytest.raises(asyncpg.CheckViolationError):
            await database.execute(
                "INSERT INTO feed_events (event_id, marketplace, order_ref, type, occurred_at,"
                " payload, outcome, applied_at) VALUES ('bad id', 'z', '1', 'order.paid', $1,"
                " '{}', 'applied', $1)",
                NOW,
            )
        with pytest.raises(asyncpg.CheckViolationError):
            await database.execute(
                "INSERT INTO marketplace_orders (marketplace, order_ref, status, total, paid,"
                " refunded, seen, events, last_event_at, updated_at)"
                " VALUES ('z', '1', 'placed', 5, 0, 0, '{}', 1, $1, $1)",
                NOW,
            )


class TestRejects:
    async def test_rejects_are_kept_in_order_with_their_problems(
        self, database: PostgresDatabase
    ) -> None:
        problems = [{"field": "amount", "problem": "must be more than zero"}]
        await store_rejects(
            database,
            "api",
            [
                FeedReject(3, "e3", problems, '{"event_id":"e3"}'),
                FeedReject(7, None, [{"field": "", "problem": "must be an object"}], "x" * 20_000),
                FeedReject(9, None, [{"field": "", "problem": "is not JSON"}], "{\x00"),
            ],
            now=NOW,
        )
        await store_rejects(database, "api", [], now=NOW)

        stored = await feed_rejects(database)

        assert [(item.origin, item.reject.position, item.reject.event_id) for item in stored] == [
            ("api", 3, "e3"),
            ("api", 7, None),
            ("api", 9, None),
        ]
        assert stored[0].reject.problems == problems
        assert stored[1].reject.raw.endswith("… (cut)")
        assert len(stored[1].reject.raw) < 10_100
        assert stored[2].reject.raw == "{\\x00"
        assert await feed_rejects(database, after_id=stored[2].id) == []
