"""`decide_payment` and `evolve_payment`: what a command does to a payment.

>>> from pulseshop.core.orders.payment import PaymentStatus, Void
>>> sorted(command.__name__ for command in PAYMENT_TRANSITIONS[PaymentStatus.AUTHORIZED])
['Capture', 'Fail', 'Void']
>>> Void in PAYMENT_TRANSITIONS[PaymentStatus.CAPTURED]
False
"""

# The rules of a payment. `decide_payment(payment, command, now)` changes nothing: it returns
# the events the command causes or the error that refuses it; `evolve_payment` applies them.
# For every command, in this order (the first rule that speaks decides):
#
# 0. `now` must say its offset from UTC, else ValueError (a wiring mistake, as for orders).
# 1. The command must have an entry in the row of the payment's status in PAYMENT_TRANSITIONS
#    below: else ILLEGAL_TRANSITION. So a payment is captured at most once (a second Capture
#    finds it captured: never a double capture), voided or failed only before any capture,
#    and refunded only after one. Refunded, voided and failed payments take no command.
# 2. An amount must be money in the payment's currency (else CURRENCY_MISMATCH), in whole
#    minor units and above zero (else INVALID_AMOUNT).
# 3. A Capture may take at most the amount authorized; a RefundPayment may return at most
#    what was captured and is not refunded yet (else AMOUNT_TOO_LARGE). So a payment always
#    holds refunded <= captured <= amount.
# 4. Otherwise the command gives one event. Capture without an amount captures all of the
#    authorization; what a smaller capture leaves is released, not kept for a later one.
#    RefundPayment is `fully` a refund exactly when it returns all that is left (the payment
#    becomes refunded; else partially_refunded).

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, TypeAlias, assert_never

import attrs
from returns.result import Failure, Result, Success

from pulseshop.core.orders._checks import amount_error, illegal, too_large
from pulseshop.core.orders.errors import OrderError
from pulseshop.core.orders.payment import (
    Capture,
    Fail,
    PaymentCaptured,
    PaymentEvent,
    PaymentFailed,
    PaymentRefunded,
    PaymentStatus,
    PaymentVoided,
    RefundPayment,
    Void,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from pulseshop.core.money import Currency, Money
    from pulseshop.core.orders.payment import Payment, PaymentCommand

__all__ = [
    "PAYMENT_TRANSITIONS",
    "PaymentDecision",
    "apply_payment_events",
    "decide_payment",
    "evolve_payment",
]

PaymentDecision: TypeAlias = Result[tuple[PaymentEvent, ...], OrderError]
"""The events a command causes, or why the payment refuses it."""

_REFUNDED: Final = frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED})

PAYMENT_TRANSITIONS: Final[
    Mapping[PaymentStatus, Mapping[type[PaymentCommand], frozenset[PaymentStatus]]]
] = MappingProxyType(
    {
        PaymentStatus.AUTHORIZED: MappingProxyType(
            {
                Capture: frozenset({PaymentStatus.CAPTURED}),
                Void: frozenset({PaymentStatus.VOIDED}),
                Fail: frozenset({PaymentStatus.FAILED}),
            }
        ),
        PaymentStatus.CAPTURED: MappingProxyType({RefundPayment: _REFUNDED}),
        PaymentStatus.PARTIALLY_REFUNDED: MappingProxyType({RefundPayment: _REFUNDED}),
        PaymentStatus.REFUNDED: MappingProxyType({}),
        PaymentStatus.VOIDED: MappingProxyType({}),
        PaymentStatus.FAILED: MappingProxyType({}),
    }
)
"""Status -> the commands it takes -> the statuses each can lead to."""


def decide_payment(payment: Payment, command: PaymentCommand, now: datetime) -> PaymentDecision:
    """The events ``command`` causes in ``payment`` at ``now``, or why the payment refuses it.

    The rules, and the order they are checked in, are at the top of this module.

    Raises:
        ValueError: ``now`` does not say its offset from UTC.

    >>> from datetime import UTC, datetime
    >>> from pulseshop.core.money import EUR, Money
    >>> from pulseshop.core.orders.payment import authorize
    >>> now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    >>> payment = authorize(Money.of("24.00", EUR)).unwrap()
    >>> decide_payment(payment, Capture(), now).unwrap()[0].amount
    EUR 24.00
    >>> print(decide_payment(payment, Capture(Money.of("30.00", EUR)), now).failure())
    amount: EUR 30.00 is more than the EUR 24.00 left to capture.
    """
    if now.utcoffset() is None:
        raise ValueError(f"now must say its offset from UTC, not {now.isoformat()}")
    if type(command) not in PAYMENT_TRANSITIONS[payment.status]:
        return Failure(illegal(payment.status, command))
    currency = payment.amount.currency
    match command:
        case Capture(amount=amount):
            taken = payment.amount if amount is None else amount
            if error := _amount_error(taken, currency, payment.amount, "capture"):
                return Failure(error)
            return Success((PaymentCaptured(now, taken),))
        case RefundPayment(amount=amount):
            left = payment.refundable
            if error := _amount_error(amount, currency, left, "refund"):
                return Failure(error)
            return Success((PaymentRefunded(now, amount, fully=amount == left),))
        case Void():
            return Success((PaymentVoided(now),))
        case Fail(reason=reason):
            return Success((PaymentFailed(now, reason),))
        case _:
            assert_never(command)


def _amount_error(amount: Money, currency: Currency, left: Money, what: str) -> OrderError | None:
    """Rules 2 and 3: ``amount`` must be valid money in ``currency``, at most ``left``."""
    return amount_error(amount, currency, positive=True) or too_large(amount, left, what)


def evolve_payment(payment: Payment, event: PaymentEvent) -> Payment:
    """``payment`` after ``event``, a fact `decide_payment` gave (so it is not checked again).

    >>> from datetime import UTC, datetime
    >>> from pulseshop.core.money import EUR, Money
    >>> from pulseshop.core.orders.payment import authorize
    >>> at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    >>> payment = authorize(Money.of("24.00", EUR)).unwrap()
    >>> captured = evolve_payment(payment, PaymentCaptured(at, Money.of("20.00", EUR)))
    >>> captured.status.value, captured.captured, captured.version
    ('captured', EUR 20.00, 1)
    """
    match event:
        case PaymentCaptured(amount=amount):
            changed = attrs.evolve(payment, status=PaymentStatus.CAPTURED, captured=amount)
        case PaymentRefunded(amount=amount, fully=fully):
            status = PaymentStatus.REFUNDED if fully else PaymentStatus.PARTIALLY_REFUNDED
            changed = attrs.evolve(payment, status=status, refunded=payment.refunded + amount)
        case PaymentVoided():
            changed = attrs.evolve(payment, status=PaymentStatus.VOIDED)
        case PaymentFailed():
            changed = attrs.evolve(payment, status=PaymentStatus.FAILED)
        case _:
            assert_never(event)
    return attrs.evolve(changed, version=payment.version + 1)


def apply_payment_events(payment: Payment, events: Iterable[PaymentEvent]) -> Payment:
    """``payment`` after each of ``events`` in turn; with no events, ``payment`` itself."""
    return functools.reduce(evolve_payment, events, payment)
