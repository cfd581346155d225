"""What the shop (or its payment gateway) asks of an order.

A command carries everything `decide_order` needs besides the order and the time. Amounts
are money in the order's currency, in whole minor units.

>>> from pulseshop.core.money import EUR, Money
>>> Refund(Money.of("5.00", EUR), "damaged in transit").amount
EUR 5.00
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, final

import attrs

if TYPE_CHECKING:
    from pulseshop.core.money import Money


@final
@attrs.frozen
class MarkPaid:
    """The gateway captured ``amount``, which must be the order's total."""

    amount: Money


@final
@attrs.frozen
class Fulfil:
    """The order was shipped (or handed over)."""


@final
@attrs.frozen
class Cancel:
    """Call the order off, for ``reason``; what was captured goes back in full."""

    reason: str


@final
@attrs.frozen
class Refund:
    """Give back ``amount`` of what was captured, for ``reason``."""

    amount: Money
    reason: str


OrderCommand: TypeAlias = MarkPaid | Fulfil | Cancel | Refund
"""Every command an order takes."""
