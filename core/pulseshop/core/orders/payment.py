"""A payment as the decider keeps it, with the commands it takes and the events it records.

A payment starts authorized for an amount (`authorize`); the gateway then captures it once,
in full or in part, or voids or fails it; captured money may be refunded, in one go or in
several. It always holds ``refunded <= captured <= amount``. The rules are in
`pulseshop.core.orders.payment_decider`.

>>> from pulseshop.core.money import EUR, Money
>>> payment = authorize(Money.of("24.00", EUR)).unwrap()
>>> payment.status.value, payment.captured, payment.version
('authorized', EUR 0.00, 0)
>>> authorize(Money.of("0.00", EUR)).failure().code
<OrderErrorCode.INVALID_AMOUNT: 'invalid_amount'>
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, TypeAlias, final

import attrs
from returns.result import Failure, Result, Success

from pulseshop.core.money import Money
from pulseshop.core.orders._checks import amount_error, not_money

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.core.orders.errors import OrderError


class PaymentStatus(enum.Enum):
    """Where a payment is in its lifecycle."""

    AUTHORIZED = "authorized"
    """The gateway holds the amount; nothing is taken yet."""
    CAPTURED = "captured"
    """Taken, in full or in part; what was not captured is released."""
    PARTIALLY_REFUNDED = "partially_refunded"
    """Some, not all, of what was captured went back."""
    REFUNDED = "refunded"
    """Everything captured went back."""
    VOIDED = "voided"
    """The authorization was released before any capture."""
    FAILED = "failed"
    """The gateway refused or lost the authorization before any capture."""


@final
@attrs.frozen
class Payment:
    """The state of one payment: the ``amount`` authorized, what was ``captured`` of it and
    what was ``refunded`` of that; ``version`` counts the events applied."""

    amount: Money
    captured: Money
    refunded: Money
    status: PaymentStatus = PaymentStatus.AUTHORIZED
    version: int = 0

    @property
    def refundable(self) -> Money:
        """What is captured and not refunded yet: the most a refund may return."""
        return self.captured - self.refunded


def authorize(amount: Money) -> Result[Payment, OrderError]:
    """A payment authorized for ``amount``, nothing captured yet; or INVALID_AMOUNT when
    ``amount`` is not money in whole minor units above zero."""
    # The annotation says Money; an amount built from decoded data may still be anything.
    actual: object = amount
    if not isinstance(actual, Money):
        return Failure(not_money(actual))
    if error := amount_error(actual, actual.currency, positive=True):
        return Failure(error)
    nothing = Money.zero(actual.currency).rounded()
    return Success(Payment(actual, nothing, nothing))


@final
@attrs.frozen
class Capture:
    """Take ``amount`` of the authorization, or all of it when ``amount`` is None."""

    amount: Money | None = None


@final
@attrs.frozen
class RefundPayment:
    """Give back ``amount`` of what was captured."""

    amount: Money


@final
@attrs.frozen
class Void:
    """Release the authorization, before any capture."""


@final
@attrs.frozen
class Fail:
    """The gateway refused or lost the authorization, for ``reason``."""

    reason: str


PaymentCommand: TypeAlias = Capture | RefundPayment | Void | Fail
"""Every command a payment takes."""


@final
@attrs.frozen
class PaymentCaptured:
    """``amount`` of the authorization was taken."""

    at: datetime
    amount: Money


@final
@attrs.frozen
class PaymentRefunded:
    """``amount`` of what was captured went back; ``fully`` says whether nothing is left."""

    at: datetime
    amount: Money
    fully: bool


@final
@attrs.frozen
class PaymentVoided:
    """The authorization was released."""

    at: datetime


@final
@attrs.frozen
class PaymentFailed:
    """The authorization was refused or lost, for ``reason``."""

    at: datetime
    reason: str


PaymentEvent: TypeAlias = PaymentCaptured | PaymentRefunded | PaymentVoided | PaymentFailed
"""Every event a payment records."""
