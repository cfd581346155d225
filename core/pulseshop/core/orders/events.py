"""What happened to an order: the facts `decide_order` gives and `evolve_order` applies.

Every event carries the moment it happened. An event says what changed, so replaying an
order's events on the order as it was placed gives the order again.

>>> from datetime import UTC, datetime
>>> from pulseshop.core.money import EUR, Money
>>> OrderPaid(datetime(2026, 12, 4, tzinfo=UTC), Money.of("24.00", EUR)).amount
EUR 24.00
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, final

import attrs

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.core.money import Money


@final
@attrs.frozen
class OrderPaid:
    """The order's total, ``amount``, was captured."""

    at: datetime
    amount: Money


@final
@attrs.frozen
class OrderFulfilled:
    """The order was shipped (or handed over)."""

    at: datetime


@final
@attrs.frozen
class OrderCancelled:
    """The order was called off, for ``reason``."""

    at: datetime
    reason: str


@final
@attrs.frozen
class OrderRefunded:
    """``amount`` of what was captured went back, for ``reason``; ``fully`` says whether
    nothing captured is left to refund."""

    at: datetime
    amount: Money
    fully: bool
    reason: str


OrderEvent: TypeAlias = OrderPaid | OrderFulfilled | OrderCancelled | OrderRefunded
"""Every event an order records."""
