"""Products to rows and back: the staging table's tuples, and products read from queries.

Reading builds products as the importer does: amounts are quantized exactly to the
currency's minor unit, so a product read back equals the product written and ``str`` of its
price shows the currency's digits (``EUR 12.00``, ``JPY 1200``, ``BHD 1.250``). Nothing is
rounded or guessed: a row no import could have written raises `UnreadableProductError`.
"""

from __future__ import annotations

import decimal
import functools
import sys
from typing import TYPE_CHECKING, Final, final

from returns.pipeline import is_successful

from pulseshop.core.catalog.plan import kept_tiers_error
from pulseshop.core.catalog.product import Product
from pulseshop.core.catalog.records import RejectedRow
from pulseshop.core.money import Currency, CurrencyMismatchError, Money, currency_of
from pulseshop.core.pricing import Tier

if TYPE_CHECKING:
    from collections.abc import Sequence
    from decimal import Decimal

    from pulseshop.adapters.postgres.database import Row

SHARED_PRICES: Final = 65_536
"""Distinct prices a `ProductReader` keeps one `Money` for."""

# Quantizing a stored amount to its currency's minor unit must not round: an amount with
# finer digits than its currency would be a product the importer never wrote.
_EXACT: Final = decimal.Context(prec=40, traps=[decimal.Inexact, decimal.InvalidOperation])


@final
class UnreadableProductError(ValueError):
    """The database holds a product that is not a valid `Product` (a currency unknown to
    this release, an amount finer than its currency): data written by other means."""


@functools.cache
def _currency(code: str) -> Currency:
    found = currency_of(code)
    if not is_successful(found):
        raise UnreadableProductError(found.failure())
    return found.unwrap()


def _exact(amount: Decimal, currency: Currency, sku: str) -> Money:
    try:
        return Money(amount.quantize(currency.quantum, context=_EXACT), currency)
    except decimal.Inexact:
        raise UnreadableProductError(
            f"{sku}: {amount} has more decimal places than {currency.code}'s {currency.exponent}"
        ) from None


@final
class ProductReader:
    """Builds products from query rows, sharing the values that repeat across a catalog.

    A million products held at once (to plan an import against) cost mostly their own
    strings and amounts; catalogs repeat prices and categories, so the reader keeps one
    `Money` per distinct price (up to `SHARED_PRICES` of them) and one string per category.
    Every shared value is immutable.
    """

    __slots__ = ("_prices",)

    def __init__(self) -> None:
        self._prices: dict[tuple[Decimal, str], Money] = {}

    def _money(self, amount: Decimal, currency: Currency, sku: str) -> Money:
        key = (amount, currency.code)
        known = self._prices.get(key)
        if known is None:
            known = _exact(amount, currency, sku)
            if len(self._prices) < SHARED_PRICES:
                self._prices[key] = known
        return known

    def product(self, row: Row) -> Product:
        """The product a row of sku, name, category, description, unit_price, currency,
        tax_category, active, tier_quantities, tier_prices, stock describes."""
        (sku, name, category, description, price, code, tax_category, active, quantities,
         prices, stock) = row  # fmt: skip
        currency = _currency(code)
        tiers = (
            tuple(
                Tier(quantity, self._money(amount, currency, sku))
                for quantity, amount in zip(quantities, prices, strict=True)
            )
            if quantities
            else ()
        )
        return Product(
            sku=sku,
            name=name,
            unit_price=self._money(price, currency, sku),
            tax_category=sys.intern(tax_category),
            stock=stock,
            category=None if category is None else sys.intern(category),
            description=description,
            active=active,
            tiers=tiers,
        )


def staged_row(line: int, product: Product) -> tuple[object, ...]:
    """The staging row for ``product`` from line ``line``: line, sku, name, category,
    description, unit_price, currency, tax_category, active, tier_quantities, tier_prices,
    stock."""
    price = product.unit_price
    tiers = product.tiers
    quantities: Sequence[int] = ()
    prices: Sequence[Decimal] = ()
    if tiers:
        if any(tier.unit_price.currency != price.currency for tier in tiers):
            raise CurrencyMismatchError(f"{product.sku}: a tier price is not in {price.currency}")
        quantities = [tier.min_quantity for tier in tiers]
        prices = [tier.unit_price.amount for tier in tiers]
    return (
        line,
        product.sku,
        product.name,
        product.category,
        product.description,
        price.amount,
        price.currency.code,
        product.tax_category,
        product.active,
        quantities,
        prices,
        product.stock,
    )


def kept_tiers_rejection(row: Row) -> RejectedRow:
    """The failed row the upsert reports when a row would keep stored tiers that no longer
    fit: its line, sku, unit_price and currency, and the stored currency, tier_quantities
    and tier_prices."""
    sku = row["sku"]
    price = _exact(row["unit_price"], _currency(row["currency"]), sku)
    stored = _currency(row["stored_currency"])
    kept = tuple(
        Tier(quantity, _exact(amount, stored, sku))
        for quantity, amount in zip(row["tier_quantities"], row["tier_prices"], strict=True)
    )
    error = kept_tiers_error(row["line"], price, kept)
    if error is None:  # pragma: no cover - the upsert reports only rows whose tiers conflict
        raise AssertionError(f"{sku}: the upsert reported tiers that fit")
    return RejectedRow(row["line"], sku, (error,))
