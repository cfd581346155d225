"""Checking one data row thoroughly: its product, or every problem in it.

The parser's hot path accepts the common valid row with a few cheap tests; every other
row comes here, so this module alone decides what is an error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Final, TypeAlias, final

import attrs

from pulseshop.core.catalog._cells import (
    CellProblem,
    description_problem,
    identifier_problem,
    name_problem,
    read_active,
    read_amount,
    read_currency,
    read_stock,
    sku_problem,
)
from pulseshop.core.catalog.errors import RowError, RowErrorCode
from pulseshop.core.catalog.formulas import unguarded
from pulseshop.core.catalog.product import SKU_PATTERN, Product, is_sku
from pulseshop.core.catalog.records import ProductRow, RejectedRow
from pulseshop.core.money import Money
from pulseshop.core.pricing import Tier

if TYPE_CHECKING:
    from pulseshop.core.catalog._layout import Layout
    from pulseshop.core.money import Currency

Matcher: TypeAlias = Callable[[str], re.Match[str] | None]

MAX_NAMES_KEPT = 1_024
"""How many distinct good (tax) category names a parse remembers, to skip checking them."""

MAX_PRICES_KEPT = 4_096
"""How many distinct good prices a parse remembers per currency: a catalog repeats a few
price points, and a remembered price costs neither a check nor a new `Money`."""

MAX_STOCKS_KEPT = 4_096
"""How many distinct good stock counts a parse remembers."""

# The SKU pattern without its anchors: `fullmatch` anchors it anyway, and the same language
# without them is matched about a third faster.
quick_sku: Final = re.compile(SKU_PATTERN.removeprefix("^").removesuffix("$")).fullmatch
"""A match when the whole text is a SKU, else None: the same test as `is_sku`."""


@functools.cache
def quick_amount(exponent: int) -> Matcher:
    """A test that passes only amounts that are surely good in a currency with this
    exponent: at most 12 integer digits (so below MAX_AMOUNT) and ``exponent`` decimals."""
    decimals = rf"(?:\.[0-9]{{1,{exponent}}})?" if exponent else ""
    return re.compile(f"[0-9]{{1,12}}{decimals}").fullmatch


@final
class KnownCurrency:
    """A currency met in the file, with the good prices in it seen so far."""

    __slots__ = ("currency", "prices", "quick")

    def __init__(self, currency: Currency) -> None:
        self.currency = currency
        self.quick = quick_amount(currency.exponent)
        self.prices: dict[str, Money] = {}

    def money(self, text: str) -> Money | None:
        """The price written ``text`` when it is surely good, else None (check it
        thoroughly)."""
        money = self.prices.get(text)
        if money is None and self.quick(text) is not None:
            money = Money(Decimal(text), self.currency)
            if len(self.prices) < MAX_PRICES_KEPT:
                self.prices[text] = money
        return money


@final
class Memory:
    """What one parse remembers across rows: the first line of each SKU, the currencies met,
    and good category names and stock counts (a bounded number of each)."""

    __slots__ = ("currencies", "names", "seen", "stocks")

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.currencies: dict[str, KnownCurrency] = {}
        self.names: set[str] = set()
        self.stocks: dict[str, int] = {}

    def stock(self, text: str) -> int | None:
        """The stock count written ``text`` when it is surely good, else None (check it
        thoroughly). A catalog repeats a few hundred counts: a remembered one costs a
        single look-up."""
        count = self.stocks.get(text)
        if count is None and text.isdigit() and text.isascii() and len(text) < 10:
            count = int(text)
            if len(self.stocks) < MAX_STOCKS_KEPT:
                self.stocks[text] = count
        return count

    def currency(self, code: str) -> Currency | CellProblem:
        """The currency of this code, remembered once known."""
        known = self.currencies.get(code)
        if known is not None:
            return known.currency
        found = read_currency(code)
        if not isinstance(found, tuple):
            self.currencies[code] = KnownCurrency(found)
        return found

    def name_problem(self, text: str, what: str, *, required: bool) -> CellProblem | None:
        """What is wrong with a (tax) category name, remembering good ones."""
        if text in self.names:
            return None
        problem = identifier_problem(text, what, required=required)
        if problem is None and text and len(self.names) < MAX_NAMES_KEPT:
            self.names.add(text)
        return problem


def check_row(
    cells: list[str], line: int, layout: Layout, memory: Memory, errors: list[RowError]
) -> ProductRow | RejectedRow | None:
    """The record of the data row starting on ``line``, or None for a blank row.

    ``errors`` holds what was found before the cells were read (lines not UTF-8).
    """
    width = layout.width
    if not errors and not any(cells):
        return None
    if len(cells) > width and any(cells[width:]):
        errors.append(
            RowError(
                line,
                None,
                RowErrorCode.TOO_MANY_CELLS,
                f"the row has {len(cells)} cells, the header {width}: "
                "a cell holding a comma must be quoted",
            )
        )
        return RejectedRow(line, None, tuple(errors))
    # A short row reads as if its missing cells were empty.
    cells = [*cells, *[""] * (width - len(cells))]

    def cell(index: int | None) -> str:
        return "" if index is None else cells[index]

    def report(column: str, problem: CellProblem | None) -> None:
        if problem is not None:
            errors.append(RowError(line, column, *problem))

    sku: str | None = cells[layout.sku]
    if not is_sku(cells[layout.sku]):
        report("sku", sku_problem(cells[layout.sku]))
        sku = None
    else:
        first = memory.seen.setdefault(cells[layout.sku], line)
        if first != line:
            report("sku", (RowErrorCode.DUPLICATE_SKU, f"{sku!r} is already on line {first}"))
    name = unguarded(cells[layout.name])
    report("name", name_problem(name))
    currency = memory.currency(cells[layout.currency])
    exponent = None if isinstance(currency, tuple) else currency.exponent
    price = read_amount(cells[layout.unit_price], exponent)
    report("unit_price", price if isinstance(price, tuple) else None)
    report("currency", currency if isinstance(currency, tuple) else None)
    tax_category = cells[layout.tax_category]
    report("tax_category", memory.name_problem(tax_category, "tax category", required=True))
    stock = read_stock(cells[layout.stock])
    report("stock", stock if isinstance(stock, tuple) else None)
    category = cell(layout.category)
    report("category", memory.name_problem(category, "category", required=False))
    description = unguarded(cell(layout.description))
    report("description", description_problem(description))
    active = read_active(cell(layout.active))
    report("active", active if isinstance(active, tuple) else None)
    tiers = _tiers(cells, layout, line=line, currency=currency, unit_price=price, errors=errors)
    if (
        errors
        or sku is None
        or isinstance(price, tuple)
        or isinstance(currency, tuple)
        or isinstance(stock, tuple)
        or isinstance(active, tuple)
    ):
        return RejectedRow(line, sku, tuple(errors))
    product = Product(
        sku,
        name,
        Money(price, currency),
        tax_category,
        stock,
        category or None,
        description or None,
        active,
        tiers,
    )
    return ProductRow(line, product)


def _tiers(
    cells: list[str],
    layout: Layout,
    *,
    line: int,
    currency: Currency | CellProblem,
    unit_price: Decimal | CellProblem,
    errors: list[RowError],
) -> tuple[Tier, ...]:
    """The row's tier prices, in increasing quantity; each must be below every price
    before it (the lowest good one so far)."""
    exponent = None if isinstance(currency, tuple) else currency.exponent
    lowest = None if isinstance(unit_price, tuple) else unit_price
    lowest_column = "unit_price"
    tiers: list[Tier] = []
    for quantity, index, column in layout.tiers:
        text = cells[index]
        if not text:
            continue
        price = read_amount(text, exponent)
        if isinstance(price, tuple):
            errors.append(RowError(line, column, *price))
        elif lowest is not None and price >= lowest:
            errors.append(
                RowError(
                    line,
                    column,
                    RowErrorCode.TIERS_NOT_DECREASING,
                    f"{text} is not below the price for fewer units ({lowest_column} {lowest}): "
                    "tier prices must fall as the quantity grows",
                )
            )
        else:
            lowest, lowest_column = price, column
            if not isinstance(currency, tuple):
                tiers.append(Tier(quantity, Money(price, currency)))
    return tuple(tiers)


def quick_tiers(
    cells: list[str],
    columns: tuple[tuple[int, int, str], ...],
    known: KnownCurrency,
    unit_price: Money,
) -> tuple[Tier, ...] | None:
    """The row's tiers when every tier cell is surely good, else None (check it thoroughly)."""
    tiers: list[Tier] = []
    lowest = unit_price.amount
    for quantity, index, _ in columns:
        text = cells[index]
        if text:
            price = known.money(text)
            if price is None or price.amount >= lowest:
                return None
            lowest = price.amount
            tiers.append(Tier(quantity, price))
    return tuple(tiers)


# Products and rows made from cells the quick path or `check_row` have checked, with their
# slots written directly (as `money_maker` does for Money): a frozen attrs class sets each
# field through `object.__setattr__`, which costs a noticeable share of a row's time.
_new: Final = object.__new__
_product_slots: Final = tuple(
    Product.__dict__[field.name].__set__ for field in attrs.fields(Product)
)
_set_line: Final = ProductRow.__dict__["line"].__set__
_set_product: Final = ProductRow.__dict__["product"].__set__


def trusted_row(  # noqa: PLR0917 - the row's line, then one argument per product field
    line: int,
    sku: str,
    name: str,
    unit_price: Money,
    tax_category: str,
    stock: int,
    category: str | None,
    description: str | None,
    active: bool,  # noqa: FBT001 - positional, as `Product` takes it
    tiers: tuple[Tier, ...],
) -> ProductRow:
    """``ProductRow(line, Product(sku, ...))`` of checked values, made without `__init__`."""
    product: Product = _new(Product)
    (
        set_sku,
        set_name,
        set_price,
        set_tax,
        set_stock,
        set_category,
        set_text,
        set_active,
        set_tiers,
    ) = _product_slots
    set_sku(product, sku)
    set_name(product, name)
    set_price(product, unit_price)
    set_tax(product, tax_category)
    set_stock(product, stock)
    set_category(product, category)
    set_text(product, description)
    set_active(product, active)
    set_tiers(product, tiers)
    row: ProductRow = _new(ProductRow)
    _set_line(row, line)
    _set_product(row, product)
    return row
