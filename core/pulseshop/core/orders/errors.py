"""Why an order or a payment refused a command: a stable code, the field at fault, a sentence.

>>> error = OrderError(OrderErrorCode.AMOUNT_TOO_LARGE, "amount", "Only EUR 5.00 is left.")
>>> error.code.value, error.field
('amount_too_large', 'amount')
>>> str(error)
'amount: Only EUR 5.00 is left.'
"""

from __future__ import annotations

import enum
from typing import final

import attrs


class OrderErrorCode(enum.Enum):
    """The closed set of reasons an order (or its payment) refuses a command."""

    ILLEGAL_TRANSITION = "illegal_transition"
    """The command is not allowed in the current status (see the TRANSITIONS tables)."""
    CURRENCY_MISMATCH = "currency_mismatch"
    """The amount is in another currency than the order's (or the payment's)."""
    INVALID_AMOUNT = "invalid_amount"
    """The amount is not money, not a whole number of minor units, or not positive."""
    AMOUNT_MISMATCH = "amount_mismatch"
    """The amount paid is not the order's total."""
    AMOUNT_TOO_LARGE = "amount_too_large"
    """The amount is more than is left: to refund of what was captured, or to capture of what
    was authorized."""
    EMPTY_ORDER = "empty_order"
    """The quote has no lines: there is nothing to order."""
    MISSING_NAME = "missing_name"
    """A SKU of the quote has no product name to show on the order."""
    INVALID_USER = "invalid_user"
    """The user id is not a positive whole number."""


@final
@attrs.frozen
class OrderError:
    """One refusal: its code, the field it is about (``amount``, ``lines``, ``names``...;
    None when no one field is at fault) and a sentence for a person."""

    code: OrderErrorCode
    field: str | None
    message: str

    def __str__(self) -> str:
        return self.message if self.field is None else f"{self.field}: {self.message}"
