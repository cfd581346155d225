"""Taxes: which ones apply to a line, at what rates, and in what order.

A `TaxPolicy` lists `Tax`es. Each tax applies to one tax category, in a zone (anywhere,
a country, or a region of a country), at a rate between 0 and 1. Several taxes with
different names apply to the same line together (a state and a county tax); for one
name, the most specific zone matching the destination wins (a region's rate over
its country's). Taxes apply in ``sequence`` order; a ``compound`` tax is computed on
the net plus the taxes before it, the others on the net alone.

>>> policy = TaxPolicy.flat({"standard": "0.20", "reduced": "0.055"})
>>> [tax.rate for tax in policy.applicable("reduced", Zone())]
[Decimal('0.055')]
>>> gst = Tax("GST", "standard", Decimal("0.05"), sequence=1)
>>> qst = Tax("QST", "standard", Decimal("0.095"), sequence=2, compound=True)
>>> effective_rates((gst, qst))
(Decimal('0.05'), Decimal('0.09975'))
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import TYPE_CHECKING, final

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping


@final
@attrs.frozen
class Zone:
    """Where a tax applies, or where goods go: anywhere, a country, or a country's region.

    >>> Zone("US", "CA").contains(Zone("US", "CA")), Zone("US").contains(Zone("US", "NY"))
    (True, True)
    >>> Zone("US", "CA").contains(Zone("US", "NY")), Zone().contains(Zone("FR"))
    (False, True)
    """

    country: str | None = None
    region: str | None = None

    def contains(self, destination: Zone) -> bool:
        """True when goods sent to ``destination`` are taxed by this zone's taxes."""
        if self.country is not None and self.country != destination.country:
            return False
        return self.region is None or self.region == destination.region

    @property
    def specificity(self) -> int:
        """0 anywhere, 1 a country, 2 a region: a more specific zone's rate wins."""
        return (self.country is not None) + (self.region is not None)


@final
@attrs.frozen
class Tax:
    """One tax on one tax category in one zone."""

    name: str
    category: str
    rate: Decimal
    zone: Zone = Zone()
    compound: bool = False
    sequence: int = 0


class ShippingTaxMode(enum.Enum):
    """How shipping is taxed."""

    NONE = "none"
    """Shipping is not taxed."""
    CATEGORY = "category"
    """Shipping is taxed as an item of the given tax category."""
    WEIGHTED = "weighted"
    """Shipping is split over the lines in proportion to their amounts and each part is
    taxed like its line (the EU rule for a composite supply)."""


@final
@attrs.frozen
class ShippingTax:
    """The shipping tax rule: a mode, and the category for ``CATEGORY`` mode."""

    mode: ShippingTaxMode = ShippingTaxMode.NONE
    category: str | None = None


@final
@attrs.frozen
class TaxPolicy:
    """The taxes in force, whether listed prices include them, and how shipping is taxed."""

    taxes: tuple[Tax, ...]
    prices_include_tax: bool = False
    shipping: ShippingTax = ShippingTax()

    @classmethod
    def flat(
        cls,
        rates: Mapping[str, Decimal | str],
        *,
        prices_include_tax: bool = False,
        shipping: ShippingTax = ShippingTax(),
    ) -> TaxPolicy:
        """One tax named ``tax`` per category, everywhere, at the given rate."""
        taxes = tuple(Tax("tax", category, Decimal(rate)) for category, rate in rates.items())
        return cls(taxes, prices_include_tax=prices_include_tax, shipping=shipping)

    @property
    def categories(self) -> frozenset[str]:
        """Every tax category some tax applies to."""
        return frozenset(tax.category for tax in self.taxes)

    def applicable(self, category: str, destination: Zone) -> tuple[Tax, ...]:
        """The taxes on ``category`` for goods sent to ``destination``, in applying order."""
        chosen: dict[str, Tax] = {}
        for tax in self.taxes:
            if tax.category != category or not tax.zone.contains(destination):
                continue
            current = chosen.get(tax.name)
            if current is None or tax.zone.specificity > current.zone.specificity:
                chosen[tax.name] = tax
        return tuple(sorted(chosen.values(), key=lambda tax: (tax.sequence, tax.name)))


def effective_rates(taxes: tuple[Tax, ...]) -> tuple[Decimal, ...]:
    """Each tax's rate as a share of the net, compounding where a tax says so.

    The gross is ``net * (1 + sum(effective_rates(taxes)))``.
    """
    rates: list[Decimal] = []
    running = Decimal(0)
    for tax in taxes:
        rate = tax.rate * (1 + running) if tax.compound else tax.rate
        rates.append(rate)
        running += rate
    return tuple(rates)
