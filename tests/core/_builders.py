"""Small builders for pricing tests: money in a few currencies, lines and requests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from pulseshop.core.money import EUR, Currency, Money
from pulseshop.core.pricing import Line, Quote, QuoteRequest, TaxPolicy, quote

if TYPE_CHECKING:
    from pulseshop.core.problems import Problems

AT: Final = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
NO_TAX: Final = TaxPolicy.flat({"standard": "0"})


def eur(amount: str) -> Money:
    """Euros from a decimal string."""
    return Money.of(amount, EUR)


def line(
    sku: str,
    unit_price: str,
    quantity: int = 1,
    *,
    tax_category: str = "standard",
    category: str | None = None,
    currency: Currency = EUR,
) -> Line:
    """A cart line priced in ``currency`` (euros unless told)."""
    return Line(sku, Money.of(unit_price, currency), quantity, tax_category, category)


def request(*lines: Line, tax_policy: TaxPolicy = NO_TAX, currency: Currency = EUR) -> QuoteRequest:
    """A request for ``lines`` at a fixed moment, untaxed unless told."""
    return QuoteRequest(currency=currency, lines=lines, at=AT, tax_policy=tax_policy)


def priced(asked: QuoteRequest) -> Quote:
    """The quote for a request that must be valid."""
    return quote(asked).unwrap()


def problems_of(asked: QuoteRequest) -> Problems:
    """The problems of a request that must be invalid."""
    return quote(asked).failure()
