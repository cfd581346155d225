"""Writing products back as a catalog file, in the format `parse_catalog` reads.

Reading what `export_rows` writes gives back the same products. Prices are written with
their currency's decimal places (``12.50``, ``1200`` yen); a name or description that a
spreadsheet would run as a formula is written with an apostrophe in front (`formulas`).

>>> from pulseshop.core.catalog.product import Product
>>> from pulseshop.core.money import EUR, Money
>>> from pulseshop.core.pricing import Tier
>>> mug = Product(
...     "MUG-1", 'Mug "Blue", large', Money.of("12.00", EUR), "standard", stock=40,
...     tiers=(Tier(10, Money.of("10.00", EUR)),),
... )
>>> header, row = export_rows([mug])
>>> row
'MUG-1,"Mug ""Blue"", large",12.00,EUR,standard,40,,,true,10.00\\r\\n'
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, final

from pulseshop.core.catalog.columns import COLUMNS, tier_column
from pulseshop.core.catalog.formulas import guarded
from pulseshop.core.money import amount_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from pulseshop.core.catalog.product import Product


@final
class _LastRow:
    """Where the csv writer puts each row it formats."""

    __slots__ = ("text",)

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text = text
        return len(text)


def export_rows(
    products: Iterable[Product], *, tier_quantities: Iterable[int] | None = None
) -> Iterator[str]:
    """The lines of a catalog file holding ``products``: the header, then a row each.

    Every line ends with CRLF, as RFC 4180 says; cells are quoted when they hold a comma,
    a quote or a line break. There is a tier price column for each quantity in
    ``tier_quantities``: by default every quantity the products use, which means reading
    all of them first. A caller streaming a large catalog passes the quantities instead
    (from its database, say), and must pass all of them.

    Raises:
        ValueError: a product has a tier at a quantity missing from ``tier_quantities``:
            the caller broke its promise (a programming error, not bad data).
    """
    if tier_quantities is None:
        products = tuple(products)
        tier_quantities = {tier.min_quantity for product in products for tier in product.tiers}
    quantities = sorted(set(tier_quantities))
    positions = {quantity: position for position, quantity in enumerate(quantities)}
    sink = _LastRow()
    writer = csv.writer(sink, lineterminator="\r\n")
    writer.writerow([*(column.name for column in COLUMNS), *map(tier_column, quantities)])
    yield sink.text
    for product in products:
        tiers = [""] * len(quantities)
        for tier in product.tiers:
            position = positions.get(tier.min_quantity)
            if position is None:
                raise ValueError(
                    f"{product.sku} has a tier from {tier.min_quantity} units, "
                    f"which is not among the tier quantities given: {quantities}"
                )
            tiers[position] = amount_text(tier.unit_price)
        writer.writerow(
            [
                product.sku,
                guarded(product.name),
                amount_text(product.unit_price),
                product.unit_price.currency.code,
                product.tax_category,
                str(product.stock),
                product.category or "",
                guarded(product.description or ""),
                "true" if product.active else "false",
                *tiers,
            ]
        )
        yield sink.text
