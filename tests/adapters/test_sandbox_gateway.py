"""The sandbox payment gateway: test cards, and a processor's rules."""

from __future__ import annotations

import asyncio
from typing import Final

import pytest
from returns.result import Failure, Result

from pulseshop.adapters.sandbox_gateway import SandboxGateway
from pulseshop.core.money import EUR, Money
from pulseshop.core.payment_gateway import (
    DeclineCode,
    GatewayDecline,
    GatewayReceipt,
    GatewayTimeoutError,
)

pytestmark = pytest.mark.unit

TEN: Final = Money.of("10.00", EUR)
FOUR: Final = Money.of("4.00", EUR)


def _receipt(answer: Result[GatewayReceipt, GatewayDecline]) -> GatewayReceipt:
    receipt = answer.value_or(None)
    assert receipt is not None, answer
    return receipt


def _declined(answer: Result[GatewayReceipt, GatewayDecline]) -> DeclineCode:
    assert isinstance(answer, Failure), answer
    decline: GatewayDecline = answer.failure()
    return decline.code


async def _authorized(gateway: SandboxGateway) -> str:
    return _receipt(await gateway.authorize("tok_ok", TEN, idempotency_key="a")).reference


class TestAuthorize:
    async def test_tok_ok_is_authorized(self) -> None:
        """The good test card holds the amount."""
        receipt = _receipt(await SandboxGateway().authorize("tok_ok", TEN, idempotency_key="a"))

        assert TEN == receipt.amount
        assert receipt.reference.startswith("sbx_auth_")

    @pytest.mark.parametrize(
        ("token", "code"),
        [
            ("tok_decline", DeclineCode.CARD_DECLINED),
            ("tok_insufficient_funds", DeclineCode.INSUFFICIENT_FUNDS),
            ("tok_unknown", DeclineCode.INVALID_TOKEN),
        ],
    )
    async def test_declining_cards_are_refused(self, token: str, code: DeclineCode) -> None:
        """Each declining test card gives its code."""
        assert code == _declined(await SandboxGateway().authorize(token, TEN, idempotency_key="a"))

    async def test_tok_timeout_answers_nothing_in_time(self) -> None:
        """The timeout card keeps the caller, then raises."""
        gateway = SandboxGateway(timeout=0.01)

        with pytest.raises(GatewayTimeoutError):
            await gateway.authorize("tok_timeout", TEN, idempotency_key="a")

    async def test_the_same_key_gives_the_same_authorization(self) -> None:
        """A retried authorization holds the money once."""
        gateway = SandboxGateway()

        first = _receipt(await gateway.authorize("tok_ok", TEN, idempotency_key="k"))
        again = _receipt(await gateway.authorize("tok_ok", TEN, idempotency_key="k"))

        assert first == again


class TestCapture:
    async def test_a_capture_takes_at_most_the_authorized_amount_once(self) -> None:
        """Capture once; a second capture (another key) is refused."""
        gateway = SandboxGateway()
        reference = await _authorized(gateway)

        too_much = await gateway.capture(reference, TEN + FOUR, idempotency_key="c0")
        captured = _receipt(await gateway.capture(reference, TEN, idempotency_key="c1"))
        twice = await gateway.capture(reference, TEN, idempotency_key="c2")

        assert DeclineCode.AMOUNT_TOO_LARGE == _declined(too_much)
        assert TEN == captured.amount
        assert DeclineCode.ALREADY_CAPTURED == _declined(twice)

    async def test_concurrent_retries_of_one_capture_capture_once(self) -> None:
        """Retries with the capture's key, at once, all get the one capture."""
        gateway = SandboxGateway()
        reference = await _authorized(gateway)

        answers = await asyncio.gather(
            *(gateway.capture(reference, TEN, idempotency_key="c") for _ in range(10))
        )
        refund = await gateway.refund(reference, TEN, idempotency_key="r")

        assert {_receipt(answer) for answer in answers} == {GatewayReceipt(reference, TEN)}
        assert TEN == _receipt(refund).amount

    async def test_an_unknown_or_voided_payment_is_not_captured(self) -> None:
        """Only a live authorization can be captured."""
        gateway = SandboxGateway()
        reference = await _authorized(gateway)
        _receipt(await gateway.void(reference, idempotency_key="v"))

        assert DeclineCode.VOIDED == _declined(
            await gateway.capture(reference, TEN, idempotency_key="c")
        )
        assert DeclineCode.UNKNOWN_REFERENCE == _declined(
            await gateway.capture("sbx_auth_404", TEN, idempotency_key="c2")
        )


class TestRefundAndVoid:
    async def test_refunds_never_exceed_the_capture(self) -> None:
        """Refunds in parts up to the captured amount, and no further."""
        gateway = SandboxGateway()
        reference = await _authorized(gateway)
        await gateway.capture(reference, TEN, idempotency_key="c")

        parts = [await gateway.refund(reference, FOUR, idempotency_key=f"r{n}") for n in range(3)]

        assert [FOUR, FOUR] == [_receipt(part).amount for part in parts[:2]]
        assert DeclineCode.AMOUNT_TOO_LARGE == _declined(parts[2])

    async def test_nothing_captured_cannot_be_refunded(self) -> None:
        """A refund needs a capture."""
        gateway = SandboxGateway()
        reference = await _authorized(gateway)

        assert DeclineCode.NOT_CAPTURED == _declined(
            await gateway.refund(reference, FOUR, idempotency_key="r")
        )
        assert DeclineCode.UNKNOWN_REFERENCE == _declined(
            await gateway.refund("nope", FOUR, idempotency_key="r2")
        )

    async def test_a_captured_payment_cannot_be_voided(self) -> None:
        """Void only before capture."""
        gateway = SandboxGateway()
        reference = await _authorized(gateway)
        await gateway.capture(reference, TEN, idempotency_key="c")

        assert DeclineCode.ALREADY_CAPTURED == _declined(
            await gateway.void(reference, idempotency_key="v")
        )
        assert DeclineCode.UNKNOWN_REFERENCE == _declined(
            await gateway.void("nope", idempotency_key="v2")
        )
        assert "sandbox" == gateway.name
