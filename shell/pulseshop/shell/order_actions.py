"""What staff do to a placed order: capture its payment, refund some of it, or cancel it.

Gather, decide, apply, for each action:

1. The order and its payment are read (an unknown order is 404).
2. The core decides: `decide_order` and `decide_payment` give the events, or the refusal
   (an illegal transition is 409, a bad or too large amount 422). Nothing is written.
3. The gateway acts, outside any transaction, under an idempotency key that a retry of the
   same intention repeats: ``capture:{order}`` (an order is captured once, so every capture
   of it is the same call), ``cancel:{order}:void`` or ``cancel:{order}:refund`` (an order
   is cancelled once), and for a refund the caller's ``Idempotency-Key`` or else the order,
   what it had refunded and the amount. A decline is 402, a timeout 504; neither writes
   anything.
4. One transaction saves the payment and the order at the versions read (and the refund
   row), with the audit entry and the ``order.updated`` outbox message. If either row moved
   on meanwhile, it rolls back and the action is decided again once on a fresh read, keeping
   the gateway's receipt: the gateway is never asked twice, and a receipt already recorded
   (the same refund, sent twice) answers with the order as it now is. A second conflict is
   409 ``conflict``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final, final

import attrs
from returns.result import Failure, Result
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt
from tenacity import wait_random_exponential as jittered

from pulseshop.adapters.postgres.journal import append_audit, append_outbox
from pulseshop.adapters.postgres.orders import load_order, save_order_status
from pulseshop.adapters.postgres.payments import (
    insert_refund,
    order_payments,
    payment_refunds,
    save_payment,
)
from pulseshop.core.money import Money, amount_text
from pulseshop.core.orders import (
    GatewayCall,
    OrderErrorCode,
    Settlement,
    settle_cancel,
    settle_capture,
    settle_refund,
)
from pulseshop.core.payment_gateway import GatewayTimeoutError
from pulseshop.shell.checkout import RETRIED, CheckoutAnswer, order_json
from pulseshop.shell.error_shape import error_body

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from decimal import Decimal

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.adapters.postgres.orders import StoredOrder
    from pulseshop.adapters.postgres.payments import StoredPayment
    from pulseshop.core.orders import Order, OrderError, Payment
    from pulseshop.core.payment_gateway import GatewayReceipt, PaymentGateway

logger = logging.getLogger(__name__)

ActionAnswer = CheckoutAnswer
"""An HTTP answer: status and JSON body."""

ATTEMPTS: Final = 2
"""Decisions per action: the first, and one more on a fresh read after a version conflict."""


@final
@attrs.frozen
class _Gathered:
    stored: StoredOrder
    payment: StoredPayment


@final
class _ConflictError(Exception):
    """A row moved on since it was read: the transaction rolls back."""


def _error(status: int, code: str, message: str, field: str | None = None) -> ActionAnswer:
    details = [] if field is None else [{"field": field, "problem": message.rstrip(".")}]
    return ActionAnswer(status, error_body(code, message, details))


def _as_it_is(gathered: _Gathered, status: int) -> ActionAnswer:
    """The order as stored: the answer to an action that is already done."""
    stored, payment = gathered.stored, gathered.payment.payment
    return ActionAnswer(
        status, {"order": order_json(stored.id, stored.order, payment.status.value)}
    )


def _refused(error: OrderError) -> ActionAnswer:
    status = 409 if error.code is OrderErrorCode.ILLEGAL_TRANSITION else 422
    return _error(status, error.code.value, f"{error.message}", error.field)


@final
class OrderActions:
    """Capture, refund and cancel, as staff ask for them; ``committed`` is called after each
    change commits."""

    def __init__(
        self,
        database: PostgresDatabase,
        gateway: PaymentGateway,
        *,
        clock: Callable[[], datetime],
        committed: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._committed = committed
        self._gateway = gateway
        self._clock = clock

    async def capture(self, order_id: int, *, actor_user_id: int) -> ActionAnswer:
        """Capture the order's payment in full; the order becomes paid (200)."""
        return await self._act(
            order_id,
            settle_capture,
            key=lambda _change, _order: f"capture:{order_id}",
            action="order.captured",
            actor_user_id=actor_user_id,
            reason=None,
            status=200,
        )

    async def refund(
        self,
        order_id: int,
        amount: Decimal,
        reason: str | None,
        *,
        actor_user_id: int,
        idempotency_key: str | None,
    ) -> ActionAnswer:
        """Give back ``amount`` (in the order's currency) of what was captured (201)."""
        text = reason or "refund"

        def key(change: Settlement, before: Order) -> str:
            if idempotency_key is not None:
                return f"refund:{order_id}:key:{idempotency_key}"
            assert change.amount is not None  # noqa: S101 - a refund moves money
            return f"refund:{order_id}:{amount_text(before.refunded)}:{amount_text(change.amount)}"

        return await self._act(
            order_id,
            lambda order, payment, now: settle_refund(
                order, payment, Money(amount, order.currency), text, now
            ),
            key=key,
            action="order.refunded",
            actor_user_id=actor_user_id,
            reason=reason,
            status=201,
        )

    async def cancel(self, order_id: int, reason: str, *, actor_user_id: int) -> ActionAnswer:
        """Cancel the order, voiding or refunding its payment (200)."""
        return await self._act(
            order_id,
            lambda order, payment, now: settle_cancel(order, payment, reason, now),
            key=lambda change, _order: f"cancel:{order_id}:{change.call and change.call.value}",
            action="order.cancelled",
            actor_user_id=actor_user_id,
            reason=reason,
            status=200,
        )

    async def _gather(self, order_id: int) -> _Gathered | None:
        stored = await load_order(self._database, order_id)
        if stored is None:
            return None
        payments = await order_payments(self._database, order_id)
        # Checkout writes exactly one payment with every order (a total is never zero).
        return _Gathered(stored, payments[-1]) if payments else None

    async def _act(
        self,
        order_id: int,
        decide: Callable[[Order, Payment, datetime], Result[Settlement, OrderError]],
        *,
        key: Callable[[Settlement, Order], str],
        action: str,
        actor_user_id: int,
        reason: str | None,
        status: int,
    ) -> ActionAnswer:
        receipt: GatewayReceipt | None = None
        first: Settlement | None = None
        for _attempt in range(ATTEMPTS):
            gathered = await self._gather(order_id)
            if gathered is None:
                return _error(404, "not_found", f"There is no order {order_id}.")
            stored, payment = gathered.stored, gathered.payment
            if await self._recorded(payment.id, first, receipt):
                return _as_it_is(gathered, status)
            decided = decide(stored.order, payment.payment, self._clock())
            if isinstance(decided, Failure):
                return _refused(decided.failure())
            change = decided.unwrap()
            if first is None:
                first = change
                called = await self._call(change, payment, key(change, stored.order))
                if isinstance(called, ActionAnswer):
                    return called
                receipt = called
                if receipt is not None and change.amount not in {None, receipt.amount}:
                    # The gateway remembered this key with another amount.
                    return _error(
                        422,
                        "idempotency_error",
                        "This Idempotency-Key was used with another amount: use a new key.",
                        "Idempotency-Key",
                    )
                if await self._recorded(payment.id, first, receipt):
                    return _as_it_is(gathered, status)
            elif (change.call, change.amount) != (first.call, first.amount):
                # The gateway acted for the order as first read; that is not this order.
                logger.error("order %s changed under a %s at the gateway", order_id, first.call)
                break
            try:
                return await self._write(
                    stored, payment, change, receipt, action, actor_user_id, reason, status
                )
            except _ConflictError:
                continue
        return _error(
            409, "conflict", f"Order {order_id} changed meanwhile: look at it again and retry."
        )

    async def _call(
        self, change: Settlement, payment: StoredPayment, key: str
    ) -> GatewayReceipt | ActionAnswer | None:
        """The gateway's receipt (None when no call is needed), or the answer to give."""
        reference = payment.provider_reference
        if change.call is None or reference is None:
            return None
        try:
            match change.call:
                case GatewayCall.CAPTURE:
                    assert change.amount is not None  # noqa: S101 - a capture moves money
                    answer = await self._gateway.capture(
                        reference, change.amount, idempotency_key=key
                    )
                case GatewayCall.REFUND:
                    assert change.amount is not None  # noqa: S101 - a refund moves money
                    answer = await self._gateway.refund(
                        reference, change.amount, idempotency_key=key
                    )
                case GatewayCall.VOID:
                    answer = await self._gateway.void(reference, idempotency_key=key)
        except GatewayTimeoutError:
            return _error(
                504,
                "payment_gateway_timeout",
                "The payment provider did not answer in time; nothing was changed. Retry.",
            )
        if isinstance(answer, Failure):
            decline = answer.failure()
            return _error(
                402,
                "payment_declined",
                f"The payment provider refused ({decline.code.value}): {decline.message}.",
            )
        return answer.unwrap()

    async def _recorded(
        self, payment_id: int, change: Settlement | None, receipt: GatewayReceipt | None
    ) -> bool:
        """True when the gateway refund of ``receipt`` is written already: the same refund
        was asked for again (the same Idempotency-Key, or a concurrent twin)."""
        if change is None or change.call is not GatewayCall.REFUND or receipt is None:
            return False
        refunds = await payment_refunds(self._database, payment_id)
        return any(refund.provider_reference == receipt.reference for refund in refunds)

    async def _write(  # noqa: PLR0917 - one action's whole write, named
        self,
        stored: StoredOrder,
        payment: StoredPayment,
        change: Settlement,
        receipt: GatewayReceipt | None,
        action: str,
        actor_user_id: int,
        reason: str | None,
        status: int,
    ) -> ActionAnswer:
        now = self._clock()
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(RETRIED),
            stop=stop_after_attempt(4),
            wait=jittered(multiplier=0.01, max=0.2),
            reraise=True,
        ):
            with attempt:
                await self._transaction(
                    stored, payment, change, receipt, action, actor_user_id, reason, now
                )
        self._committed()
        shown = order_json(stored.id, change.order, change.payment.status.value)
        return ActionAnswer(status, {"order": shown})

    async def _transaction(  # noqa: PLR0917 - one action's whole write, named
        self,
        stored: StoredOrder,
        payment: StoredPayment,
        change: Settlement,
        receipt: GatewayReceipt | None,
        action: str,
        actor_user_id: int,
        reason: str | None,
        now: datetime,
    ) -> None:
        """Write the change in one transaction; `_ConflictError` when a row moved on."""
        database = self._database
        order = change.order
        async with database.transaction():
            if change.call is GatewayCall.REFUND and receipt is not None:
                assert change.amount is not None  # noqa: S101 - a refund moves money
                await insert_refund(
                    database,
                    payment.id,
                    amount=change.amount,
                    reason=reason,
                    provider_reference=receipt.reference,
                    now=now,
                )
            if change.payment.version > payment.payment.version and not await save_payment(
                database,
                payment.id,
                change.payment,
                expected_version=payment.payment.version,
                now=now,
            ):
                raise _ConflictError
            if not await save_order_status(
                database, stored.id, order, expected_version=stored.order.version
            ):
                raise _ConflictError
            event = {
                "order_id": stored.id,
                "user_id": stored.user_id,
                "status": order.status.value,
                "total": amount_text(order.totals.total),
                "currency": order.currency.code,
                "inserted_at": now.isoformat(),
            }
            details: dict[str, object] = {"status": order.status.value}
            if change.amount is not None:
                details["amount"] = amount_text(change.amount)
            if reason is not None:
                details["reason"] = reason
            if receipt is not None:
                details["gateway_reference"] = receipt.reference
            await append_audit(
                database,
                actor_user_id=actor_user_id,
                action=action,
                target_type="order",
                target_id=str(stored.id),
                details=details,
                now=now,
            )
            await append_outbox(database, topic="order.updated", payload=event, now=now)
