"""The order store against a real PostgreSQL: checkout's writes in one transaction, stock
that never oversells, order pages, payments, refunds and optimistic saves."""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import pytest
from returns.result import Failure, Success

from pulseshop.adapters.postgres import PostgresDatabase, ensure_user
from pulseshop.adapters.postgres.journal import append_audit, append_outbox
from pulseshop.adapters.postgres.orders import (
    StoredOrder,
    insert_order,
    list_orders,
    load_order,
    reserve_stock,
    save_order_status,
)
from pulseshop.adapters.postgres.payments import (
    StoredPayment,
    StoredRefund,
    insert_payment,
    insert_refund,
    order_payments,
    payment_refunds,
    save_payment,
)
from pulseshop.core.access import Email
from pulseshop.core.money import EUR, Money
from pulseshop.core.orders import (
    Capture,
    MarkPaid,
    Order,
    Payment,
    PaymentStatus,
    RefundPayment,
    apply_order_events,
    apply_payment_events,
    authorize,
    decide_order,
    decide_payment,
    order_from_quote,
)
from pulseshop.core.pricing import Line, PercentOffOrder, PriceRule, QuoteRequest, TaxPolicy, quote

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pulseshop.adapters.postgres import PostgresUrl
    from pulseshop.core.pricing import Quote

pytestmark = pytest.mark.integration

NOW: Final = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
NAMES: Final = {"MUG-1": "Stoneware mug", "TEA-1": "Green tea"}
D = Decimal


class _RollBackError(Exception):
    """Raised to leave a transaction by rolling it back."""


def eur(amount: str) -> Money:
    return Money.of(amount, EUR)


def _quote(*, prices_include_tax: bool = False) -> Quote:
    """Two mugs at 12.00 and three teas at 4.50, 10% off the order, 5.00 shipping, 20% VAT
    on mugs and shipping, 5.5% on tea."""
    request = QuoteRequest(
        currency=EUR,
        lines=(
            Line("MUG-1", eur("12.00"), 2, "standard"),
            Line("TEA-1", eur("4.50"), 3, "reduced"),
        ),
        at=NOW,
        tax_policy=TaxPolicy.flat(
            {"standard": "0.20", "reduced": "0.055"}, prices_include_tax=prices_include_tax
        ),
        rules=(PriceRule("ten-off", PercentOffOrder(D(10))),),
        shipping=eur("5.00"),
    )
    return quote(request).unwrap()


def _order(user_id: int, *, at: datetime = NOW, prices_include_tax: bool = False) -> Order:
    priced = _quote(prices_include_tax=prices_include_tax)
    return order_from_quote(priced, NAMES, user_id=user_id, now=at).unwrap()


async def _user(database: PostgresDatabase, name: str = "ann") -> int:
    return (await ensure_user(database, Email(f"{name}@example.com"), "customer")).id


async def _product(database: PostgresDatabase, sku: str, stock: int | None) -> int:
    product_id: int = await database.fetch_value(
        "INSERT INTO products (sku, name, unit_price, currency, tax_category) "
        "VALUES ($1, $2, 5.00, 'EUR', 'standard') RETURNING id",
        sku,
        NAMES.get(sku, sku),
    )
    if stock is not None:
        await database.execute(
            "INSERT INTO inventory (product_id, stock) VALUES ($1, $2)", product_id, stock
        )
    return product_id


async def _stock(database: PostgresDatabase, sku: str) -> int | None:
    stock: int | None = await database.fetch_value(
        "SELECT stock FROM inventory JOIN products ON products.id = product_id WHERE sku = $1",
        sku,
    )
    return stock


async def _count(database: PostgresDatabase, table: str) -> int:
    # The table names are this module's own.
    count: int = await database.fetch_value(f"SELECT count(*) FROM {table}")  # noqa: S608
    return count


async def _placed(
    database: PostgresDatabase, user_id: int, *, at: datetime = NOW
) -> tuple[int, Order]:
    """An order of ``user_id`` written at ``at``, with products of its own."""
    order = _order(user_id, at=at)
    product_ids = {sku: await _product(database, sku, None) for sku in NAMES}
    return await _insert(database, order, product_ids), order


async def _insert(database: PostgresDatabase, order: Order, product_ids: Mapping[str, int]) -> int:
    return await insert_order(
        database,
        order,
        product_ids=product_ids,
        prices_include_tax=False,
        tax_exempted=D(0),
        idempotency_key_id=None,
    )


class TestCheckout:
    @pytest.mark.parametrize("prices_include_tax", [False, True])
    async def test_a_checkout_written_in_one_transaction_is_loaded_back(
        self, database: PostgresDatabase, *, prices_include_tax: bool
    ) -> None:
        """Stock, order, lines, payment, audit entry and outbox row commit together; the
        order loads back as it was written."""
        user_id = await _user(database)
        mug, tea = await _product(database, "MUG-1", 10), await _product(database, "TEA-1", 10)
        order = _order(user_id, prices_include_tax=prices_include_tax)
        payment = authorize(order.totals.total).unwrap()

        async with database.transaction():
            reserved = await reserve_stock(database, {"MUG-1": 2, "TEA-1": 3})
            order_id = await insert_order(
                database,
                order,
                product_ids=reserved.unwrap(),
                prices_include_tax=prices_include_tax,
                tax_exempted=D(0),
                idempotency_key_id=None,
            )
            payment_id = await insert_payment(
                database, order_id, payment, provider="sandbox", provider_reference="pi_1", now=NOW
            )
            audit_id = await append_audit(
                database,
                actor_user_id=user_id,
                action="order.created",
                target_type="order",
                target_id=str(order_id),
                details={"total": "51.06"},
                now=NOW,
            )
            outbox_id = await append_outbox(
                database, topic="orders.created", payload={"order_id": order_id}, now=NOW
            )
        loaded = await load_order(database, order_id)
        payments = await order_payments(database, order_id)
        audit = await database.fetch_one("SELECT * FROM audit_log WHERE id = $1", audit_id)
        outbox = await database.fetch_one("SELECT * FROM outbox WHERE id = $1", outbox_id)
        line_products = await database.fetch_all(
            "SELECT product_id FROM order_lines WHERE order_id = $1 ORDER BY position", order_id
        )

        expected = StoredOrder(order_id, user_id, order, prices_include_tax, eur("0.00"), NOW)
        assert Success({"MUG-1": mug, "TEA-1": tea}) == reserved
        assert expected == loaded
        assert [mug, tea] == [row["product_id"] for row in line_products]
        assert (8, 7) == (await _stock(database, "MUG-1"), await _stock(database, "TEA-1"))
        assert [StoredPayment(payment_id, order_id, payment, "sandbox", "pi_1", NOW, NOW)] == (
            payments
        )
        assert audit is not None
        assert outbox is not None
        assert (user_id, "order.created", "order", str(order_id), {"total": "51.06"}) == (
            audit["actor_user_id"],
            audit["action"],
            audit["target_type"],
            audit["target_id"],
            json.loads(audit["details"]),
        )
        assert ("orders.created", {"order_id": order_id}, None) == (
            outbox["topic"],
            json.loads(outbox["payload"]),
            outbox["published_at"],
        )

    async def test_a_rolled_back_checkout_leaves_nothing(self, database: PostgresDatabase) -> None:
        """An error before the transaction ends undoes the stock, the order and the rest."""
        user_id = await _user(database)
        await _product(database, "MUG-1", 10)
        await _product(database, "TEA-1", 10)
        order = _order(user_id)

        with suppress(_RollBackError):
            async with database.transaction():
                reserved = await reserve_stock(database, {"MUG-1": 2, "TEA-1": 3})
                order_id = await insert_order(
                    database,
                    order,
                    product_ids=reserved.unwrap(),
                    prices_include_tax=False,
                    tax_exempted=D(0),
                    idempotency_key_id=None,
                )
                await insert_payment(
                    database,
                    order_id,
                    authorize(order.totals.total).unwrap(),
                    provider="sandbox",
                    provider_reference="pi_1",
                    now=NOW,
                )
                await append_outbox(database, topic="orders.created", payload={}, now=NOW)
                raise _RollBackError

        counts = [await _count(database, table) for table in ("orders", "payments", "outbox")]
        assert [0, 0, 0] == counts
        assert (10, 10) == (await _stock(database, "MUG-1"), await _stock(database, "TEA-1"))

    async def test_an_order_needs_a_product_for_each_line(self, database: PostgresDatabase) -> None:
        """A line whose SKU has no product id is a programming error."""
        user_id = await _user(database)

        with pytest.raises(ValueError, match="TEA-1"):
            await insert_order(
                database,
                _order(user_id),
                product_ids={"MUG-1": 1},
                prices_include_tax=False,
                tax_exempted=D(0),
                idempotency_key_id=None,
            )


class TestReserveStock:
    async def test_takes_the_quantities_out_of_stock(self, database: PostgresDatabase) -> None:
        """Each SKU's stock goes down by its quantity, to zero if that is all there is."""
        mug = await _product(database, "MUG-1", 5)

        reserved = await reserve_stock(database, {"MUG-1": 5})

        assert Success({"MUG-1": mug}) == reserved
        assert 0 == await _stock(database, "MUG-1")

    async def test_refuses_when_short_and_leaves_every_stock(
        self, database: PostgresDatabase
    ) -> None:
        """One short SKU refuses the whole reservation; no stock moves, not even the SKUs
        that had enough."""
        await _product(database, "MUG-1", 5)
        await _product(database, "TEA-1", 2)

        reserved = await reserve_stock(database, {"MUG-1": 1, "TEA-1": 3})

        assert Failure(("TEA-1",)) == reserved
        assert (5, 2) == (await _stock(database, "MUG-1"), await _stock(database, "TEA-1"))

    async def test_unknown_skus_are_short(self, database: PostgresDatabase) -> None:
        """A SKU with no product, or a product with no inventory row, has no stock."""
        await _product(database, "MUG-1", 5)
        await _product(database, "TEA-1", None)

        reserved = await reserve_stock(database, {"MUG-1": 1, "TEA-1": 1, "NOPE-1": 1})

        assert Failure(("NOPE-1", "TEA-1")) == reserved
        assert 5 == await _stock(database, "MUG-1")

    async def test_nothing_to_reserve_is_a_success(self, database: PostgresDatabase) -> None:
        """An empty reservation reserves nothing."""
        assert Success({}) == await reserve_stock(database, {})

    @pytest.mark.parametrize("quantity", [0, -1])
    async def test_refuses_quantities_below_one(
        self, database: PostgresDatabase, quantity: int
    ) -> None:
        """Reserving nothing or a negative amount of a SKU is a programming error."""
        with pytest.raises(ValueError, match="at least 1"):
            await reserve_stock(database, {"MUG-1": quantity})

    async def test_never_oversells_under_concurrent_checkouts(
        self, database: PostgresDatabase, database_url: PostgresUrl
    ) -> None:
        """20 checkouts of 1 unit each, at once, on a stock of 5: exactly 5 succeed and the
        stock ends at 0."""
        await _product(database, "MUG-1", 5)
        await _product(database, "TEA-1", 100)
        pool = PostgresDatabase(database_url, min_size=10, max_size=10)
        await pool.connect()

        async def checkout(number: int) -> bool:
            # Half take the SKUs in one order and half in the other: no deadlock either way.
            wanted = {"MUG-1": 1, "TEA-1": 1}
            if number % 2:
                wanted = dict(reversed(wanted.items()))
            async with pool.transaction():
                reserved = await reserve_stock(pool, wanted)
                # Hold the locks a moment, as a checkout writing its order would.
                await asyncio.sleep(0.01)
            return isinstance(reserved, Success)

        try:
            results = await asyncio.gather(*(checkout(number) for number in range(20)))
        finally:
            await pool.disconnect()

        assert 5 == sum(results)
        assert (0, 95) == (await _stock(database, "MUG-1"), await _stock(database, "TEA-1"))


class TestListOrders:
    async def test_pages_newest_first_without_gaps_or_duplicates(
        self, database: PostgresDatabase
    ) -> None:
        """Pages of 2 after the last order of the previous page cover every order once,
        newest first, ties in time broken by id."""
        user_id = await _user(database)
        product_ids = {sku: await _product(database, sku, None) for sku in NAMES}
        written: list[tuple[datetime, int]] = []
        for minutes in (0, 1, 1, 2, 3):
            at = NOW + timedelta(minutes=minutes)
            order_id = await _insert(database, _order(user_id, at=at), product_ids)
            written.append((at, order_id))

        pages: list[list[StoredOrder]] = []
        after: tuple[datetime, int] | None = None
        while page := await list_orders(database, user_id=user_id, after=after, limit=2):
            pages.append(page)
            after = (page[-1].created_at, page[-1].id)

        newest_first = sorted(written, reverse=True)
        assert [2, 2, 1] == [len(page) for page in pages]
        assert newest_first == [(stored.created_at, stored.id) for page in pages for stored in page]

    async def test_a_user_sees_only_their_orders_and_staff_see_all(
        self, database: PostgresDatabase
    ) -> None:
        """Orders are listed by user; without a user, every user's."""
        ann, bob = await _user(database, "ann"), await _user(database, "bob")
        ann_order, _ = await _placed(database, ann)
        product_ids = await database.fetch_all("SELECT sku, id FROM products")
        bob_order = await _insert(
            database,
            _order(bob, at=NOW + timedelta(minutes=1)),
            {row["sku"]: row["id"] for row in product_ids},
        )

        anns = await list_orders(database, user_id=ann, after=None, limit=10)
        bobs = await list_orders(database, user_id=bob, after=None, limit=10)
        everyone = await list_orders(database, user_id=None, after=None, limit=10)
        after_bob = await list_orders(
            database, user_id=None, after=(everyone[0].created_at, bob_order), limit=10
        )

        assert [ann_order] == [stored.id for stored in anns]
        assert [bob_order] == [stored.id for stored in bobs]
        assert [bob_order, ann_order] == [stored.id for stored in everyone]
        assert [ann_order] == [stored.id for stored in after_bob]
        assert everyone[1] == await load_order(database, ann_order)

    async def test_no_order_is_none(self, database: PostgresDatabase) -> None:
        """Loading an order that is not there gives None."""
        assert await load_order(database, 404) is None


class TestSaves:
    async def test_an_order_status_save_is_loaded_back(self, database: PostgresDatabase) -> None:
        """A paid order, saved from the version it was read at, loads back paid."""
        user_id = await _user(database)
        order_id, order = await _placed(database, user_id)
        later = NOW + timedelta(minutes=5)
        paid = apply_order_events(
            order, decide_order(order, MarkPaid(order.totals.total), later).unwrap()
        )

        saved = await save_order_status(database, order_id, paid, expected_version=0)
        loaded = await load_order(database, order_id)

        assert saved
        assert loaded is not None
        assert paid == loaded.order

    async def test_a_stale_order_save_changes_nothing(self, database: PostgresDatabase) -> None:
        """A writer that read an older version loses, and the stored order stays."""
        user_id = await _user(database)
        order_id, order = await _placed(database, user_id)
        paid = apply_order_events(
            order, decide_order(order, MarkPaid(order.totals.total), NOW).unwrap()
        )
        await save_order_status(database, order_id, paid, expected_version=0)

        again = await save_order_status(database, order_id, paid, expected_version=0)
        loaded = await load_order(database, order_id)

        assert not again
        assert loaded is not None
        assert paid == loaded.order

    async def test_a_save_must_move_the_version_up(self, database: PostgresDatabase) -> None:
        """Saving an order at the version it was read at is a programming error."""
        user_id = await _user(database)
        order_id, order = await _placed(database, user_id)

        with pytest.raises(ValueError, match="higher"):
            await save_order_status(database, order_id, order, expected_version=0)


class TestPayments:
    async def _payment(self, database: PostgresDatabase) -> tuple[int, int, Payment]:
        user_id = await _user(database)
        order_id, order = await _placed(database, user_id)
        payment = authorize(order.totals.total).unwrap()
        payment_id = await insert_payment(
            database, order_id, payment, provider="sandbox", provider_reference="pi_1", now=NOW
        )
        return order_id, payment_id, payment

    async def test_captures_and_refunds_round_trip(self, database: PostgresDatabase) -> None:
        """A captured payment with a partial refund loads back with its refund."""
        order_id, payment_id, payment = await self._payment(database)
        later = NOW + timedelta(minutes=5)
        captured = _run(payment, Capture(), at=later)
        refunded = _run(captured, RefundPayment(eur("10.00")), at=later)

        async with database.transaction():
            first = await save_payment(
                database, payment_id, captured, expected_version=0, now=later
            )
            second = await save_payment(
                database, payment_id, refunded, expected_version=1, now=later
            )
            refund_id = await insert_refund(
                database,
                payment_id,
                amount=eur("10.00"),
                reason="a mug arrived broken",
                provider_reference="re_1",
                now=later,
            )

        payments = await order_payments(database, order_id)
        refunds = await payment_refunds(database, payment_id)

        assert (first, second) == (True, True)
        assert PaymentStatus.PARTIALLY_REFUNDED == refunded.status
        assert [StoredPayment(payment_id, order_id, refunded, "sandbox", "pi_1", NOW, later)] == (
            payments
        )
        expected = StoredRefund(
            refund_id, payment_id, eur("10.00"), "a mug arrived broken", "re_1", later
        )
        assert [expected] == refunds

    async def test_a_stale_payment_save_changes_nothing(self, database: PostgresDatabase) -> None:
        """A writer that read an older version loses, and the stored payment stays."""
        order_id, payment_id, payment = await self._payment(database)
        captured = _run(payment, Capture())
        await save_payment(database, payment_id, captured, expected_version=0, now=NOW)

        again = await save_payment(database, payment_id, captured, expected_version=0, now=NOW)
        stored = await order_payments(database, order_id)

        assert not again
        assert [captured] == [row.payment for row in stored]

    async def test_the_same_payment_again_is_not_written_twice(
        self, database: PostgresDatabase
    ) -> None:
        """The provider's reference names one payment: a retry returns its id."""
        order_id, payment_id, payment = await self._payment(database)

        again = await insert_payment(
            database, order_id, payment, provider="sandbox", provider_reference="pi_1", now=NOW
        )

        assert payment_id == again
        assert 1 == await _count(database, "payments")

    async def test_a_reference_of_another_payment_is_refused(
        self, database: PostgresDatabase
    ) -> None:
        """The same reference for a different amount is not the same payment."""
        order_id, _, _ = await self._payment(database)

        with pytest.raises(ValueError, match="pi_1"):
            await insert_payment(
                database,
                order_id,
                authorize(eur("1.00")).unwrap(),
                provider="sandbox",
                provider_reference="pi_1",
                now=NOW,
            )

    async def test_the_same_refund_again_is_not_written_twice(
        self, database: PostgresDatabase
    ) -> None:
        """A refund's reference names one refund: a retry returns its id; another amount
        under that reference is refused."""
        _, payment_id, payment = await self._payment(database)
        await save_payment(
            database, payment_id, _run(payment, Capture()), expected_version=0, now=NOW
        )

        first, again = [
            await insert_refund(
                database,
                payment_id,
                amount=eur("10.00"),
                reason=None,
                provider_reference="re_1",
                now=NOW,
            )
            for _ in range(2)
        ]
        with pytest.raises(ValueError, match="re_1"):
            await insert_refund(
                database,
                payment_id,
                amount=eur("5.00"),
                reason=None,
                provider_reference="re_1",
                now=NOW,
            )

        assert first == again
        assert 1 == await _count(database, "refunds")

    async def test_no_payment_has_no_refunds(self, database: PostgresDatabase) -> None:
        """Refunds of a payment that is not there: none."""
        assert [] == await payment_refunds(database, 404)


def _run(payment: Payment, *commands: Capture | RefundPayment, at: datetime = NOW) -> Payment:
    for command in commands:
        payment = apply_payment_events(payment, decide_payment(payment, command, at).unwrap())
    return payment
