"""The staff's page of one order, and its forms: capture the payment, refund some of it, or
cancel the order.

The forms post to `pulseshop.shell.order_actions`, as the JSON API's staff actions do, and
are shown only where the order's rules (`ORDER_TRANSITIONS`) take the command. A done
action sends the browser back to the order (303) with a notice; a refused one shows the
page again, the error next to the field it names (or at the top) and what was typed kept.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Final, Literal, TypeAlias, final

from starlette.routing import Route

from pulseshop.adapters.postgres.order_events import last_published_seq
from pulseshop.adapters.postgres.orders import load_order
from pulseshop.adapters.postgres.payments import order_payments
from pulseshop.adapters.postgres.users import emails_of
from pulseshop.core.access import ORDERS_ALL
from pulseshop.core.orders import Cancel, MarkPaid, Refund, commands_open
from pulseshop.shell.web.orders_api import AMOUNT, MAX_NOTE
from pulseshop.shell.web.pages.forms import error_parts, form_text, is_form_key, path_id
from pulseshop.shell.web.pages.kit import redirect

if TYPE_CHECKING:
    from starlette.datastructures import FormData
    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.adapters.postgres.orders import StoredOrder
    from pulseshop.core.orders import Order
    from pulseshop.shell.order_actions import ActionAnswer, OrderActions
    from pulseshop.shell.web.auth import Principal
    from pulseshop.shell.web.pages.kit import PageKit

Done: TypeAlias = Literal["captured", "refunded", "cancelled"]

DONE: Final[dict[str, str]] = {
    "captured": "Payment captured.",
    "refunded": "Refund made.",
    "cancelled": "Order cancelled.",
}
"""The notice shown after each action (``?done=...``)."""

LIVE_TOPIC: Final = "orders:lobby"
"""The staff's feed of every order's changes: the page's live region follows it."""

STALE_FORM: Final = "This form is out of date: look at the order again and send it again."


def amount_of(text: str) -> Decimal | None:
    """The amount typed, as the JSON API takes it (``4.00``); None when it is not one. The
    order's rules judge its size and digits."""
    return Decimal(text) if AMOUNT.fullmatch(text) else None


def reason_problem(text: str, *, required: bool) -> str | None:
    """Why ``text`` cannot be a reason (the JSON API's rule), or None when it can."""
    if not text:
        return "Enter a reason." if required else None
    if len(text) > MAX_NOTE:
        return f"Write at most {MAX_NOTE} characters."
    # The reason is stored (refund row, audit entry): PostgreSQL text holds no NUL.
    if "\x00" in text:
        return "Remove the NUL character."
    return None


def available_actions(order: Order) -> dict[str, bool]:
    """Which forms the order's page shows: those of the commands the order can take now."""
    takes = commands_open(order)
    return {"capture": MarkPaid in takes, "refund": Refund in takes, "cancel": Cancel in takes}


@final
class StaffOrderPages:
    """The staff's order page (scope ``orders:all``) and the forms it posts."""

    def __init__(self, kit: PageKit, database: PostgresDatabase, actions: OrderActions) -> None:
        self._kit = kit
        self._database = database
        self._actions = actions

    def routes(self) -> list[Route]:
        """The pages' routes."""
        page, action = self._kit.page(ORDERS_ALL), self._kit.action(ORDERS_ALL)
        base = "/staff/orders/{order_id}"
        return [
            Route(base, page(self.order), methods=["GET"]),
            Route(f"{base}/capture", action(self.capture), methods=["POST"]),
            Route(f"{base}/refund", action(self.refund), methods=["POST"]),
            Route(f"{base}/cancel", action(self.cancel), methods=["POST"]),
        ]

    async def order(self, request: Request, _principal: Principal) -> Response:
        """``GET /staff/orders/{id}[?done=...]``: the order, its payment and its forms."""
        done = request.query_params.get("done", "")
        return await self._order_page(request, notice=DONE.get(done))

    async def capture(self, request: Request, principal: Principal, _form: FormData) -> Response:
        """``POST /staff/orders/{id}/capture``: take the payment; the order becomes paid."""
        order_id = path_id(request, "order_id")
        if order_id is None:
            return await self._kit.not_found(request)
        answer = await self._actions.capture(order_id, actor_user_id=principal.user_id)
        return await self._answered(request, order_id, answer, "captured", "capture", {})

    async def refund(self, request: Request, principal: Principal, form: FormData) -> Response:
        """``POST /staff/orders/{id}/refund`` (``amount``, ``reason``, ``idempotency_key``):
        give some of the payment back. The same form sent twice refunds once."""
        order_id = path_id(request, "order_id")
        if order_id is None:
            return await self._kit.not_found(request)
        typed = {"amount": form_text(form, "amount"), "reason": form_text(form, "reason")}
        key = form_text(form, "idempotency_key")
        errors: dict[str, str] = {}
        amount = amount_of(typed["amount"])
        if amount is None:
            errors["amount"] = "Enter an amount in plain digits, such as 4.00."
        if problem := reason_problem(typed["reason"], required=False):
            errors["reason"] = problem
        if not is_form_key(key):
            errors["form"] = STALE_FORM
        if errors or amount is None:
            return await self._order_page(
                request, failed="refund", errors=errors, typed=typed, refund_key=key, status=422
            )
        answer = await self._actions.refund(
            order_id,
            amount,
            typed["reason"] or None,
            actor_user_id=principal.user_id,
            idempotency_key=key,
        )
        return await self._answered(request, order_id, answer, "refunded", "refund", typed, key)

    async def cancel(self, request: Request, principal: Principal, form: FormData) -> Response:
        """``POST /staff/orders/{id}/cancel`` (``reason``): call the order off, voiding or
        refunding its payment."""
        order_id = path_id(request, "order_id")
        if order_id is None:
            return await self._kit.not_found(request)
        typed = {"reason": form_text(form, "reason")}
        if problem := reason_problem(typed["reason"], required=True):
            return await self._order_page(
                request, failed="cancel", errors={"reason": problem}, typed=typed, status=422
            )
        answer = await self._actions.cancel(
            order_id, typed["reason"], actor_user_id=principal.user_id
        )
        return await self._answered(request, order_id, answer, "cancelled", "cancel", typed)

    async def _answered(  # noqa: PLR0917 - one action's answer, named
        self,
        request: Request,
        order_id: int,
        answer: ActionAnswer,
        done: Done,
        form_name: str,
        typed: dict[str, str],
        refund_key: str = "",
    ) -> Response:
        """The page after an action: on to the order with a notice, or the page again with
        the refusal."""
        if answer.status < 300:  # any success (200, 201)
            return redirect(f"/staff/orders/{order_id}?done={done}")
        if answer.status == 404:  # the order is gone
            return await self._kit.not_found(request)
        field, message, code = error_parts(answer.body, "The order could not be changed.")
        if code == "idempotency_error":
            # The gateway knows this key with another amount: the form gets a new one.
            refund_key = ""
        return await self._order_page(
            request,
            failed=form_name,
            errors={field if field in typed else "form": message},
            typed=typed,
            # After a timeout the same key is kept: sent again, the gateway refunds once.
            refund_key=refund_key,
            status=answer.status,
        )

    async def _order_page(
        self,
        request: Request,
        *,
        notice: str | None = None,
        failed: str | None = None,
        errors: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
        refund_key: str = "",
        status: int = 200,
    ) -> Response:
        # The feed's position is read first: an event after it is replayed to the page's
        # socket even if the order read below already shows it.
        last_event_id = await last_published_seq(self._database)
        order_id = path_id(request, "order_id")
        stored = None if order_id is None else await load_order(self._database, order_id)
        if stored is None:
            return await self._kit.not_found(request)
        shown = await self._shown(stored)
        errors = errors or {}
        if failed is not None and not available_actions(stored.order)[failed]:
            # The form is no longer shown (the order moved on): its errors go to the top.
            errors = {"form": " ".join(errors.values())}
        return await self._kit.render(
            request,
            "staff/order.html",
            {
                **shown,
                "last_event_id": last_event_id,
                "topic": LIVE_TOPIC,
                "notice": notice,
                "failed": failed,
                "errors": errors,
                "typed": typed or {},
                # A new key per form shown (kept after a refusal): sent twice, it refunds once.
                "refund_key": refund_key if is_form_key(refund_key) else uuid.uuid4().hex,
            },
            status=status,
        )

    async def _shown(self, stored: StoredOrder) -> dict[str, object]:
        payments = await order_payments(self._database, stored.id)
        email = (await emails_of(self._database, [stored.user_id])).get(stored.user_id)
        return {
            "stored": stored,
            "order": stored.order,
            "customer_email": email or "-",
            "payment_status": payments[-1].payment.status.value if payments else "none",
            "actions": available_actions(stored.order),
        }
