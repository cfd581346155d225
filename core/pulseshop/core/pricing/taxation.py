"""Tax on taxable items (lines, shipping), rounded per line or per order, exactly.

Amounts are whole minor units in the price basis: net when prices exclude tax, gross
when they include it. The unrounded tax of an item is ``amount * rate`` (exclusive)
or ``amount * rate / (1 + total rate)`` (inclusive).

- Rounding per **line**: each item's total tax is rounded once, then split over its
  taxes in proportion to their unrounded amounts.
- Rounding per **order**: the unrounded amounts of each tax (name and rate) are summed
  over the order and rounded once, then split back over the items in proportion.

Either way every part is whole minor units and the parts sum to the rounded totals.
With tax in prices an item's tax never exceeds its amount, so its net is never negative.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, final

import attrs

from pulseshop.core.money import RoundingLevel, RoundingPolicy, allocate_units
from pulseshop.core.pricing.tax import Tax, effective_rates

if TYPE_CHECKING:
    from collections.abc import Sequence

TaxKey = tuple[str, Decimal]
"""A tax as the breakdown groups it: its name and rate."""

_WEIGHT_PLACES = 12


@final
@attrs.frozen
class TaxableItem:
    """An amount (minor units, price basis, after discounts) and the taxes on it."""

    amount: int
    taxes: tuple[Tax, ...]


@final
@attrs.frozen
class ItemTax:
    """An item's net, tax and gross, and the amount of each of its taxes."""

    net: int
    tax: int
    gross: int
    taxes: tuple[tuple[Tax, int], ...]


@final
@attrs.frozen
class Taxation:
    """Every item's tax; ``exempted`` is the tax an exempt customer did not pay."""

    items: tuple[ItemTax, ...]
    exempted: int


def tax_items(
    items: Sequence[TaxableItem],
    *,
    prices_include_tax: bool,
    exempt: bool,
    rounding: RoundingPolicy,
) -> Taxation:
    """Compute and round the tax of each item; an exempt customer pays none of it."""
    mode = rounding.mode.decimal_rounding
    if rounding.level is RoundingLevel.LINE:
        amounts = [
            _rounded_per_line(item, mode, prices_include_tax=prices_include_tax) for item in items
        ]
    else:
        unrounded = [_unrounded(item, prices_include_tax=prices_include_tax) for item in items]
        caps = [item.amount for item in items] if prices_include_tax else None
        amounts = _round_order(items, unrounded, mode, caps)
    results = []
    # ItemTax(net, tax, gross, taxes), positionally: this runs for every line of a quote.
    for item, taxes in zip(items, amounts, strict=True):
        tax = sum(taxes)
        if exempt:
            net = item.amount - tax if prices_include_tax else item.amount
            results.append(ItemTax(net, 0, net, ()))
        elif prices_include_tax:
            pairs = _pairs(item.taxes, taxes)
            results.append(ItemTax(item.amount - tax, tax, item.amount, pairs))
        else:
            pairs = _pairs(item.taxes, taxes)
            results.append(ItemTax(item.amount, tax, item.amount + tax, pairs))
    exempted = sum(sum(taxes) for taxes in amounts) if exempt else 0
    return Taxation(items=tuple(results), exempted=exempted)


def _pairs(taxes: tuple[Tax, ...], amounts: list[int]) -> tuple[tuple[Tax, int], ...]:
    if len(taxes) == 1:
        # Most items owe one tax, and this pair costs a fraction of a strict zip.
        return ((taxes[0], amounts[0]),)
    return tuple(zip(taxes, amounts, strict=True))


def _unrounded(item: TaxableItem, *, prices_include_tax: bool) -> list[Decimal]:
    rates = effective_rates(item.taxes)
    amount = Decimal(item.amount)
    if prices_include_tax:
        amount /= 1 + sum(rates)
    return [amount * rate for rate in rates]


_ONE = Decimal(1)


def _to_int(value: Decimal, mode: str) -> int:
    """``value`` rounded to a whole number by ``mode``, a `decimal` rounding name."""
    # Positional arguments: a keyword costs C methods more than the rounding itself.
    return int(value.quantize(_ONE, mode))


def _weights(shares: Sequence[Decimal]) -> list[int]:
    """Integer weights in the proportions of ``shares`` (any positive share weighs at least 1)."""
    return [
        max(1, int(share.scaleb(_WEIGHT_PLACES).to_integral_value(rounding=ROUND_FLOOR)))
        if share > 0
        else 0
        for share in shares
    ]


def _rounded_per_line(item: TaxableItem, mode: str, *, prices_include_tax: bool) -> list[int]:
    taxes = item.taxes
    if len(taxes) == 1 and not prices_include_tax:
        # The usual line, worked out directly: one tax on the net, at its own rate (the
        # effective rate of a lone tax, compound or not).
        return [_to_int(item.amount * taxes[0].rate, mode)]
    return _round_item(_unrounded(item, prices_include_tax=prices_include_tax), mode)


def _round_item(shares: list[Decimal], mode: str) -> list[int]:
    if not shares:
        return []
    if len(shares) == 1:
        # One tax takes the whole rounded amount: the split below would give it all anyway.
        return [_to_int(shares[0], mode)]
    return allocate_units(_to_int(sum(shares, Decimal(0)), mode), _weights(shares))


def _round_order(
    items: Sequence[TaxableItem],
    unrounded: Sequence[list[Decimal]],
    mode: str,
    caps: list[int] | None,
) -> list[list[int]]:
    """Round each tax's order total, then split it back over the items that owe it."""
    amounts = [[0] * len(item.taxes) for item in items]
    members: dict[TaxKey, list[tuple[int, int]]] = {}
    for index, item in enumerate(items):
        for position, tax in enumerate(item.taxes):
            members.setdefault((tax.name, tax.rate), []).append((index, position))
    for key in sorted(members):
        owed = members[key]
        shares = [unrounded[index][position] for index, position in owed]
        total = _to_int(sum(shares, Decimal(0)), mode)
        if caps is None:
            parts = allocate_units(total, _weights(shares))
        else:
            room = [caps[index] for index, _ in owed]
            parts = _allocate_within(min(total, sum(room)), _weights(shares), room)
            for (index, _), part in zip(owed, parts, strict=True):
                caps[index] -= part
        for (index, position), part in zip(owed, parts, strict=True):
            amounts[index][position] = part
    return amounts


def _allocate_within(total: int, weights: list[int], room: list[int]) -> list[int]:
    """Largest remainder, then any part over its room gives the excess to parts with room.

    ``total`` is at most ``sum(room)``, so everything finds a place.
    """
    parts = allocate_units(total, weights)
    excess = sum(max(0, part - limit) for part, limit in zip(parts, room, strict=True))
    parts = [min(part, limit) for part, limit in zip(parts, room, strict=True)]
    for index in sorted(range(len(parts)), key=lambda i: (-weights[i], i)):
        if excess == 0:
            break
        moved = min(excess, room[index] - parts[index])
        parts[index] += moved
        excess -= moved
    return parts
