"""Browsing the catalog's active products in a real PostgreSQL: SKU order, keyset pages,
the category filter and the name search."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Final

import pytest

from pulseshop.adapters.postgres.products import active_products, name_pattern
from pulseshop.core.money import EUR, Money

if TYPE_CHECKING:
    from pulseshop.adapters.postgres import PostgresDatabase

pytestmark = pytest.mark.integration

INSERT_SQL: Final = """
    INSERT INTO products (sku, name, category, unit_price, currency, tax_category, active,
                          tier_quantities, tier_prices)
    VALUES ($1, $2, $3, 12.00, 'EUR', 'standard', $4, $5, $6)
    RETURNING id
"""

# sku, name, category, active
ROWS: Final = (
    ("A-1", "Plain mug", "kitchen", True),
    ("B-2", "100% cotton_towel", "linen", True),
    ("C-3", "Back\\slash print", "prints", True),
    ("D-4", "PLAIN PLATE", "kitchen", True),
    ("E-5", "Plain retired mug", "kitchen", False),
    ("F-6", "Ümlaut plain tea", None, True),
)


@pytest.fixture
async def stocked(database: PostgresDatabase) -> PostgresDatabase:
    """Six products, one retired; A-1 has 7 in stock and a volume price, the others no
    inventory row."""
    for sku, name, category, active in ROWS:
        tiers = ([10], [Decimal("10.00")]) if sku == "A-1" else ([], [])
        product_id = await database.fetch_value(INSERT_SQL, sku, name, category, active, *tiers)
        if sku == "A-1":
            await database.execute(
                "INSERT INTO inventory (product_id, stock) VALUES ($1, 7)", product_id
            )
    return database


async def _skus(
    database: PostgresDatabase,
    *,
    after: str = "",
    limit: int = 100,
    category: str | None = None,
    name_contains: str | None = None,
) -> list[str]:
    found = await active_products(
        database, after=after, limit=limit, category=category, name_contains=name_contains
    )
    return [product.sku for product in found]


class TestActiveProducts:
    async def test_active_products_come_in_sku_order_with_stock_and_tiers(
        self, stocked: PostgresDatabase
    ) -> None:
        """The retired one is left out; no inventory row is 0 in stock."""
        found = await active_products(stocked, limit=100)

        assert ["A-1", "B-2", "C-3", "D-4", "F-6"] == [product.sku for product in found]
        first = found[0]
        assert (7, Money.of("12.00", EUR), ((10, Money.of("10.00", EUR)),)) == (
            first.stock,
            first.unit_price,
            tuple((tier.min_quantity, tier.unit_price) for tier in first.tiers),
        )
        assert 0 == found[1].stock

    async def test_a_page_starts_after_the_sku_given(self, stocked: PostgresDatabase) -> None:
        """Keyset pages: after B-2, two more."""
        assert ["C-3", "D-4"] == await _skus(stocked, after="B-2", limit=2)

    @pytest.mark.parametrize(
        ("category", "name", "skus"),
        [
            ("kitchen", None, ["A-1", "D-4"]),
            ("KITCHEN", None, []),
            (None, "plain", ["A-1", "D-4", "F-6"]),
            (None, "PLAIN p", ["D-4"]),
            (None, "100%", ["B-2"]),
            (None, "%", ["B-2"]),
            (None, "n_t", ["B-2"]),
            (None, "_", ["B-2"]),
            (None, "\\", ["C-3"]),
            (None, "k\\s", ["C-3"]),
            ("kitchen", "plain", ["A-1", "D-4"]),
            (None, "nothing like it", []),
            (None, "pl\x00ain", []),
            ("kit\x00chen", None, []),
        ],
    )
    async def test_filters(
        self, stocked: PostgresDatabase, category: str | None, name: str | None, skus: list[str]
    ) -> None:
        """Category exactly, name as a case-insensitive substring whose wildcards and
        escape character match themselves; a NUL matches nothing."""
        assert skus == await _skus(stocked, category=category, name_contains=name)


class TestNamePattern:
    @pytest.mark.parametrize(
        ("text", "pattern"),
        [
            ("mug", "%mug%"),
            ("50%", "%50\\%%"),
            ("a_b", "%a\\_b%"),
            ("a\\b", "%a\\\\b%"),
            ("", "%%"),
        ],
    )
    def test_wildcards_are_escaped(self, text: str, pattern: str) -> None:
        """``%``, ``_`` and ``\\`` are escaped with a backslash."""
        assert pattern == name_pattern(text)
