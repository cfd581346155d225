"""The payment gateway port: what checkout asks of a card processor, and its answers.

A gateway authorizes an amount against a payment token, then captures, refunds or voids
it by the reference it gave. Every call carries an idempotency key: a gateway that sees a
key again answers what it answered the first time and does nothing more, so a call retried
after a timeout never charges twice. A refusal is a value (`GatewayDecline`); a gateway
that does not answer in time raises `GatewayTimeoutError`, since nobody can know then
whether it acted.

>>> decline = GatewayDecline(DeclineCode.INSUFFICIENT_FUNDS, "the card has too little money")
>>> decline.code.value
'insufficient_funds'
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Protocol, final

import attrs

if TYPE_CHECKING:
    from returns.result import Result

    from pulseshop.core.money import Money


@final
class DeclineCode(enum.Enum):
    """Why a gateway refused."""

    CARD_DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - a refusal's name, not a secret
    ALREADY_CAPTURED = "already_captured"
    NOT_CAPTURED = "not_captured"
    AMOUNT_TOO_LARGE = "amount_too_large"
    VOIDED = "voided"
    UNKNOWN_REFERENCE = "unknown_reference"


@final
@attrs.frozen
class GatewayDecline:
    """A refusal: its code and a sentence a person can read."""

    code: DeclineCode
    message: str


@final
@attrs.frozen
class GatewayReceipt:
    """What a gateway did: its reference for the payment (or the refund) and the amount."""

    reference: str
    amount: Money


@final
class GatewayTimeoutError(Exception):
    """The gateway did not answer in time: it may or may not have acted. Retry with the
    same idempotency key to learn which."""


class PaymentGateway(Protocol):
    """A card processor, as checkout and the order endpoints use it."""

    @property
    def name(self) -> str:
        """The gateway's name, stored with each payment (``provider``)."""

    async def authorize(
        self, token: str, amount: Money, *, idempotency_key: str
    ) -> Result[GatewayReceipt, GatewayDecline]:
        """Hold ``amount`` on the card behind ``token``."""

    async def capture(
        self, reference: str, amount: Money, *, idempotency_key: str
    ) -> Result[GatewayReceipt, GatewayDecline]:
        """Take ``amount`` (at most what was authorized) of an authorization, once."""

    async def refund(
        self, reference: str, amount: Money, *, idempotency_key: str
    ) -> Result[GatewayReceipt, GatewayDecline]:
        """Give back ``amount`` of a capture; refunds never exceed the capture."""

    async def void(
        self, reference: str, *, idempotency_key: str
    ) -> Result[GatewayReceipt, GatewayDecline]:
        """Release an authorization that was not captured."""
