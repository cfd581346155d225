"""A product of the catalog, and the formats its text fields must have.

The patterns are written so that the same text works as a Python regular expression
(with ``re.fullmatch``) and as a PostgreSQL one. The database's CHECK constraints are
built from them (with the repetition unbounded and the length checked apart, which
PostgreSQL matches ten times faster: ADR 0012), so they say exactly what the importer
checks.

>>> from pulseshop.core.money import EUR, Money
>>> mug = Product("MUG-1", "Stoneware mug", Money.of("12.00", EUR), "standard", stock=40)
>>> mug.active, mug.tiers
(True, ())
>>> bool(is_sku("MUG-1")), bool(is_sku("mug-1")), bool(is_identifier("reduced"))
(True, False, True)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, final

import attrs

if TYPE_CHECKING:
    from pulseshop.core.money import Money
    from pulseshop.core.pricing import Tier

SKU_PATTERN: Final = "^[A-Z0-9][A-Z0-9._-]{0,63}$"
"""A SKU: 1-64 upper-case ASCII letters, digits, ``-``, ``_`` and ``.``, starting with a
letter or a digit."""

IDENTIFIER_PATTERN: Final = "^[a-z0-9][a-z0-9_-]{0,63}$"
"""A category or tax category: 1-64 lower-case ASCII letters, digits, ``_`` and ``-``,
starting with a letter or a digit."""

MAX_NAME: Final = 200
"""The most characters a product name may have."""

MAX_DESCRIPTION: Final = 5_000
"""The most characters a product description may have."""

MAX_STOCK: Final = 2**31 - 1
"""The most units a stock count may say: what a PostgreSQL ``integer`` column holds."""

# `fullmatch` with the anchored pattern: the whole text must match, so a trailing newline,
# which `$` alone would let through, is refused.
is_sku: Final = re.compile(SKU_PATTERN).fullmatch
"""A match when the whole text is a SKU, else None."""

is_identifier: Final = re.compile(IDENTIFIER_PATTERN).fullmatch
"""A match when the whole text is a category or tax category, else None."""


@final
@attrs.frozen
class Product:
    """A product as the catalog keeps it, identified by its SKU.

    ``tiers`` are volume prices: from ``min_quantity`` units on (2 or more, in increasing
    order) each unit costs the tier's price, lower than the price for fewer units.
    ``category`` groups products for price rules and the shop's pages; ``tax_category`` says
    how a tax policy taxes it. A product read from a file satisfies every rule above; a
    product built in code is trusted to.
    """

    sku: str
    name: str
    unit_price: Money
    tax_category: str
    stock: int = 0
    category: str | None = None
    description: str | None = None
    active: bool = True
    tiers: tuple[Tier, ...] = ()
