"""The catalog file's columns, as data: what each one holds and whether it must be there.

A catalog file is CSV in UTF-8 (with or without a byte order mark), one product a row,
after a header row naming the columns. Header names are matched ignoring case and
surrounding blanks; columns may come in any order. Cells are read exactly as written:
blanks around a value are part of it.

>>> [column.name for column in COLUMNS if column.required]
['sku', 'name', 'unit_price', 'currency', 'tax_category', 'stock']
>>> tier_column(10), tier_quantity("price_from_10"), tier_quantity("price_from_1")
('price_from_10', 10, None)
>>> ACTIVE_WORDS["yes"], ACTIVE_WORDS["0"]
(True, False)
>>> sorted(carried_fields(["sku", "name", "description", "price_from_6", "colour"]))
['description', 'tiers']
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal, TypeAlias, final

import attrs

from pulseshop.core.catalog.product import MAX_DESCRIPTION, MAX_NAME, MAX_STOCK
from pulseshop.core.money import MAX_AMOUNT
from pulseshop.core.pricing import MAX_QUANTITY

if TYPE_CHECKING:
    from collections.abc import Iterable


@final
@attrs.frozen
class Column:
    """One column of the file: its header name, whether every file needs it, what it holds."""

    name: str
    required: bool
    meaning: str
    example: str


COLUMNS: Final = (
    Column(
        "sku",
        required=True,
        meaning="the product's stock keeping unit, its identity: 1-64 upper-case letters, "
        "digits, '-', '_' and '.', starting with a letter or a digit; once per file",
        example="MUG-1",
    ),
    Column(
        "name", required=True, meaning=f"not blank, at most {MAX_NAME} characters", example="Mug"
    ),
    Column(
        "unit_price",
        required=True,
        meaning=f"the price of one unit: a decimal number with a '.' and no thousands "
        f"separators, from 0 to {MAX_AMOUNT:f}, no finer than the currency's minor unit",
        example="12.50",
    ),
    Column("currency", required=True, meaning="an ISO 4217 code", example="EUR"),
    Column(
        "tax_category",
        required=True,
        meaning="how the product is taxed: 1-64 lower-case letters, digits, '_' and '-'",
        example="standard",
    ),
    Column(
        "stock",
        required=True,
        meaning=f"units in stock: a whole number from 0 to {MAX_STOCK}",
        example="40",
    ),
    Column(
        "category",
        required=False,
        meaning="the product's category, written like a tax category; empty for none",
        example="kitchen",
    ),
    Column(
        "description",
        required=False,
        meaning=f"at most {MAX_DESCRIPTION} characters; empty for none",
        example="Stoneware, 300 ml",
    ),
    Column(
        "active",
        required=False,
        meaning="whether the shop sells it: true/false, yes/no or 1/0 in any case; "
        "empty means true",
        example="true",
    ),
)
"""Every named column, in the order an export writes them (tier prices follow)."""

REQUIRED_COLUMNS: Final = tuple(column.name for column in COLUMNS if column.required)
"""The columns every file must have."""

KNOWN_COLUMNS: Final = frozenset(column.name for column in COLUMNS)
"""Every named column; tier price columns are recognised by TIER_PREFIX."""

TIER_PREFIX: Final = "price_from_"
"""A column ``price_from_<N>`` holds the unit price from N units on (N from 2 to
MAX_TIER_QUANTITY, written without leading zeros), in the row's currency; empty for no
tier. Tier prices fall as N grows and are all below ``unit_price``."""

MAX_TIER_QUANTITY: Final = MAX_QUANTITY
"""The largest N of a tier column: the most units a cart line may have."""

ACTIVE_WORDS: Final = MappingProxyType(
    {"": True, "true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
)
"""What an ``active`` cell may say (in lower case) and what it means."""

_TIER_COLUMN: Final = re.compile(re.escape(TIER_PREFIX) + "([1-9][0-9]{0,6})").fullmatch


def tier_column(min_quantity: int) -> str:
    """The header name of the tier price column from ``min_quantity`` units on."""
    return f"{TIER_PREFIX}{min_quantity}"


def tier_quantity(name: str) -> int | None:
    """The N of a well-formed ``price_from_<N>`` header name, or None."""
    match = _TIER_COLUMN(name)
    if match is None:
        return None
    quantity = int(match[1])
    return quantity if 2 <= quantity <= MAX_TIER_QUANTITY else None


OptionalField: TypeAlias = Literal["category", "description", "active", "tiers"]
"""A field of a `Product` that a file may leave out: its own column, or for ``tiers`` the
``price_from_<N>`` columns."""

OPTIONAL_FIELDS: Final[tuple[OptionalField, ...]] = ("category", "description", "active", "tiers")
"""Every optional field, in the order a change lists them."""


def carried_fields(columns: Iterable[str]) -> frozenset[OptionalField]:
    """The optional fields a file with these header names (as matched) sets.

    A file sets ``category``, ``description`` and ``active`` when it has their columns, and
    ``tiers`` when it has at least one ``price_from_<N>`` column. An import leaves the other
    optional fields of an existing product as they are; required fields are always set.
    """
    names = set(columns)
    has_tiers = any(tier_quantity(name) is not None for name in names)
    return frozenset(
        field for field in OPTIONAL_FIELDS if (has_tiers if field == "tiers" else field in names)
    )
