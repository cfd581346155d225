"""Browsing the catalog: its active products a page at a time in SKU order, each with its
stock, narrowed to one category and searched by name.

A page starts after the last SKU of the previous one and walks the SKU index (keyset
paging), so a deep page costs what the first one does. The category is compared exactly;
the name is searched as a case-insensitive substring with ``ILIKE``, the search text's
``%``, ``_`` and ``\\`` escaped so that they match themselves. No index serves the name
search: the rows are filtered as the SKU index is walked, which suits a catalog of
thousands of products (a trigram index would be the next step for millions).

One product by SKU, active or not, is `current_catalog` with one SKU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pulseshop.adapters.postgres._catalog_rows import ProductReader

if TYPE_CHECKING:
    from pulseshop.adapters.postgres.database import PostgresDatabase
    from pulseshop.core.catalog.product import Product

__all__ = ["ACTIVE_PRODUCTS_SQL", "active_products", "name_pattern", "product_categories"]

# The `ESCAPE '\'` is PostgreSQL's default too; it is written out because `name_pattern`
# depends on it. '' sorts before every SKU, so it stands for "from the first page".
ACTIVE_PRODUCTS_SQL: Final = r"""
    SELECT p.sku, p.name, p.category, p.description, p.unit_price, p.currency,
           p.tax_category, p.active, p.tier_quantities, p.tier_prices,
           coalesce(i.stock, 0) AS stock
    FROM products AS p
    LEFT JOIN inventory AS i ON i.product_id = p.id
    WHERE p.active
      AND p.sku > $1
      AND ($2::text IS NULL OR p.category = $2::text)
      AND ($3::text IS NULL OR p.name ILIKE $3::text ESCAPE '\')
    ORDER BY p.sku
    LIMIT $4
"""

_LIKE_ESCAPES: Final = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})


CATEGORIES_SQL: Final = """
    SELECT DISTINCT category FROM products
    WHERE active AND category IS NOT NULL
    ORDER BY category
"""


def name_pattern(text: str) -> str:
    r"""The ``ILIKE`` pattern of names holding ``text``: its wildcards match themselves.

    >>> name_pattern("50% off_cut\\")
    '%50\\% off\\_cut\\\\%'
    """
    return f"%{text.translate(_LIKE_ESCAPES)}%"


async def active_products(
    database: PostgresDatabase,
    *,
    after: str = "",
    limit: int,
    category: str | None = None,
    name_contains: str | None = None,
) -> list[Product]:
    """Up to ``limit`` active products with a SKU after ``after``, in SKU order (byte order:
    SKUs are ASCII); only those of ``category`` when given, and only those whose name holds
    ``name_contains`` in any case when given. A category or name holding a NUL character
    (which no PostgreSQL text can) matches nothing.
    """
    if any(text is not None and "\x00" in text for text in (category, name_contains)):
        return []
    pattern = None if name_contains is None else name_pattern(name_contains)
    rows = await database.fetch_all(ACTIVE_PRODUCTS_SQL, after, category, pattern, limit)
    reader = ProductReader()
    return [reader.product(row) for row in rows]


async def product_categories(database: PostgresDatabase) -> list[str]:
    """The categories of the active products, in order (for a filter's choices)."""
    rows = await database.fetch_all(CATEGORIES_SQL)
    return [row["category"] for row in rows]
