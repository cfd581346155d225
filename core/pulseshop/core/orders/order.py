"""An order as the decider keeps it, and `order_from_quote`, which makes one from a quote.

An order takes every amount from the quote it was placed from: nothing is priced again,
so what the customer saw at checkout is what the order charges. Its lifecycle (paid,
fulfilled, cancelled, refunded) is decided in `pulseshop.core.orders.decider`.

>>> from pulseshop.core.money import EUR, Money
>>> totals = OrderTotals.zero(EUR)
>>> totals.total, totals.currency.code
(EUR 0.00, 'EUR')
>>> OrderStatus.PENDING_PAYMENT.is_final, OrderStatus.REFUNDED.is_final
(False, True)
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, final

import attrs

from pulseshop.core.money import CurrencyMismatchError, Money

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.core.money import Currency


class OrderStatus(enum.Enum):
    """Where an order is in its lifecycle."""

    PENDING_PAYMENT = "pending_payment"
    """Placed; nothing paid yet."""
    PAID = "paid"
    """The total was captured."""
    FULFILLED = "fulfilled"
    """Paid and shipped (or handed over)."""
    CANCELLED = "cancelled"
    """Called off; whatever was captured was refunded with it."""
    PARTIALLY_REFUNDED = "partially_refunded"
    """Some, not all, of what was captured went back."""
    REFUNDED = "refunded"
    """Everything captured went back."""

    @property
    def is_final(self) -> bool:
        """True when no command can move an order on from this status."""
        return self in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


@final
@attrs.frozen
class OrderLine:
    """One ordered SKU as the quote priced it.

    ``unit_price`` is the listed price of one unit; ``line_total`` is what the customer
    pays for the line (the quote line's gross: after discounts, with tax); ``tax`` is the
    tax in it.
    """

    sku: str
    name: str
    quantity: int
    unit_price: Money
    line_total: Money
    tax: Money


def _one_currency(instance: OrderTotals, _attribute: attrs.Attribute[Money], _value: Money) -> None:
    amounts = (
        instance.subtotal,
        instance.discount_total,
        instance.shipping_total,
        instance.tax_total,
        instance.total,
    )
    if any(amount.currency != instance.total.currency for amount in amounts):
        raise CurrencyMismatchError(f"order totals mix currencies: {amounts}")


@final
@attrs.frozen
class OrderTotals:
    """The quote's totals, all in one currency (mixing them is a programming error and
    raises `CurrencyMismatchError`).

    >>> from pulseshop.core.money import EUR, USD
    >>> OrderTotals.zero(EUR).subtotal
    EUR 0.00
    >>> attrs.evolve(OrderTotals.zero(EUR), tax_total=Money.zero(USD))
    Traceback (most recent call last):
    ...
    pulseshop.core.money.CurrencyMismatchError: order totals mix currencies: ...
    """

    subtotal: Money
    discount_total: Money
    shipping_total: Money
    tax_total: Money
    total: Money = attrs.field(validator=_one_currency)

    @property
    def currency(self) -> Currency:
        """The currency of every total."""
        return self.total.currency

    @classmethod
    def zero(cls, currency: Currency) -> OrderTotals:
        """Totals of nothing, in ``currency``."""
        nothing = Money.of("0", currency).rounded()
        return cls(nothing, nothing, nothing, nothing, nothing)


@final
@attrs.frozen
class Order:
    """The state of one order, as it was placed and as its events left it.

    ``captured`` is what was taken from the customer, ``refunded`` what went back of it
    (never more); both start at zero. ``version`` counts the events applied;
    ``updated_at`` is the time of the last of them (``created_at`` until the first).
    """

    user_id: int
    status: OrderStatus
    currency: Currency
    lines: tuple[OrderLine, ...]
    totals: OrderTotals
    created_at: datetime
    updated_at: datetime
    captured: Money
    refunded: Money
    version: int = 0

    @property
    def refundable(self) -> Money:
        """What is captured and not refunded yet: the most a refund may return."""
        return self.captured - self.refunded
