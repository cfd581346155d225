"""A payment gateway that charges nobody: the `PaymentGateway` for development and tests.

It behaves like a card processor with test cards, driven by the payment token:

| token | authorize |
|---|---|
| ``tok_ok`` | succeeds |
| ``tok_decline`` | refused: ``card_declined`` |
| ``tok_insufficient_funds`` | refused: ``insufficient_funds`` |
| ``tok_timeout`` | no answer: `GatewayTimeoutError` after ``timeout`` seconds |
| anything else | refused: ``invalid_token`` |

A ``tok_timeout`` authorization is made all the same, as by a processor that acted but
whose answer was lost: a retry with the same key learns of it.

Captures, refunds and voids follow the rules of a real processor: one capture of at most
the authorized amount, refunds up to the capture, no void after a capture. Every call is
idempotent by its key: the same key answers the first answer again and does nothing more,
so a retried capture never captures twice. State lives in the process.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING, Final, final

from returns.result import Failure, Result, Success

from pulseshop.core.payment_gateway import (
    DeclineCode,
    GatewayDecline,
    GatewayReceipt,
    GatewayTimeoutError,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from pulseshop.core.money import Money

GatewayAnswer = Result[GatewayReceipt, GatewayDecline]

DECLINES: Final = {
    "tok_decline": GatewayDecline(DeclineCode.CARD_DECLINED, "the card was declined"),
    "tok_insufficient_funds": GatewayDecline(
        DeclineCode.INSUFFICIENT_FUNDS, "the card has too little money for this amount"
    ),
}
# Test card names, not secrets.
TIMEOUT_TOKEN: Final = "tok_timeout"  # noqa: S105
OK_TOKEN: Final = "tok_ok"  # noqa: S105


@final
class _Authorization:
    __slots__ = ("amount", "captured", "refunded", "voided")

    def __init__(self, amount: Money) -> None:
        self.amount = amount
        self.captured: Money | None = None
        self.refunded = amount * 0
        self.voided = False


@final
class SandboxGateway:
    """Test cards in memory; ``timeout`` is how long ``tok_timeout`` keeps a caller."""

    def __init__(self, *, timeout: float = 5.0) -> None:
        self._timeout = timeout
        self._answers: dict[str, GatewayAnswer] = {}
        self._authorizations: dict[str, _Authorization] = {}
        self._numbers = itertools.count(1)

    @property
    def name(self) -> str:
        """``sandbox``."""
        return "sandbox"

    async def authorize(self, token: str, amount: Money, *, idempotency_key: str) -> GatewayAnswer:
        """Hold ``amount`` on the test card ``token``."""

        async def act() -> GatewayAnswer:
            if token in DECLINES:
                return Failure(DECLINES[token])
            if token not in {OK_TOKEN, TIMEOUT_TOKEN}:
                return Failure(GatewayDecline(DeclineCode.INVALID_TOKEN, "no such payment token"))
            reference = f"sbx_auth_{next(self._numbers)}"
            self._authorizations[reference] = _Authorization(amount)
            return Success(GatewayReceipt(reference, amount))

        answer = await self._once(f"authorize:{idempotency_key}", act)
        if token == TIMEOUT_TOKEN:
            await asyncio.sleep(self._timeout)
            raise GatewayTimeoutError(f"the sandbox gave no answer within {self._timeout:g} s")
        return answer

    async def capture(
        self, reference: str, amount: Money, *, idempotency_key: str
    ) -> GatewayAnswer:
        """Take ``amount`` of an authorization, once."""

        async def act() -> GatewayAnswer:
            held = self._authorizations.get(reference)
            if held is None:
                return Failure(_unknown(reference))
            if held.voided:
                return Failure(GatewayDecline(DeclineCode.VOIDED, "the authorization was voided"))
            if held.captured is not None:
                return Failure(
                    GatewayDecline(DeclineCode.ALREADY_CAPTURED, "the payment was captured")
                )
            if held.amount < amount:
                return Failure(
                    GatewayDecline(
                        DeclineCode.AMOUNT_TOO_LARGE,
                        f"{amount} is more than the {held.amount} authorized",
                    )
                )
            held.captured = amount
            return Success(GatewayReceipt(reference, amount))

        return await self._once(f"capture:{idempotency_key}", act)

    async def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayAnswer:
        """Give back ``amount`` of a capture."""

        async def act() -> GatewayAnswer:
            held = self._authorizations.get(reference)
            if held is None:
                return Failure(_unknown(reference))
            if held.captured is None:
                return Failure(
                    GatewayDecline(DeclineCode.NOT_CAPTURED, "nothing was captured to refund")
                )
            if held.captured < held.refunded + amount:
                return Failure(
                    GatewayDecline(
                        DeclineCode.AMOUNT_TOO_LARGE,
                        f"{amount} is more than the {held.captured - held.refunded} left to refund",
                    )
                )
            held.refunded = held.refunded + amount
            return Success(GatewayReceipt(f"sbx_refund_{next(self._numbers)}", amount))

        return await self._once(f"refund:{idempotency_key}", act)

    async def void(self, reference: str, *, idempotency_key: str) -> GatewayAnswer:
        """Release an authorization that was not captured."""

        async def act() -> GatewayAnswer:
            held = self._authorizations.get(reference)
            if held is None:
                return Failure(_unknown(reference))
            if held.captured is not None:
                return Failure(
                    GatewayDecline(DeclineCode.ALREADY_CAPTURED, "a captured payment is refunded")
                )
            held.voided = True
            return Success(GatewayReceipt(reference, held.amount))

        return await self._once(f"void:{idempotency_key}", act)

    async def _once(self, key: str, act: Callable[[], Awaitable[GatewayAnswer]]) -> GatewayAnswer:
        """The answer given to ``key`` before, or ``act``'s, remembered. ``act`` never
        waits, so no other call with the key can run between the look-up and the answer."""
        known = self._answers.get(key)
        if known is None:
            known = self._answers[key] = await act()
        return known


def _unknown(reference: str) -> GatewayDecline:
    return GatewayDecline(DeclineCode.UNKNOWN_REFERENCE, f"no payment {reference!r}")
