"""Hypothesis strategies for orders and payments: orders placed from any valid quote,
payments for any amount, commands of every kind (amounts right, too large, in another
currency, unrounded, zero or negative), and the steps histories of commands make."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Generic, TypeAlias, TypeVar, final

import attrs
from hypothesis import strategies as st

from properties.cart_strategies import weighted
from properties.strategies import NOW, requests
from pulseshop.core.money import EUR, JPY, Money, from_minor_units, minor_units
from pulseshop.core.orders import (
    Cancel,
    Capture,
    Fail,
    Fulfil,
    MarkPaid,
    Order,
    Payment,
    Refund,
    RefundPayment,
    Void,
    apply_order_events,
    apply_payment_events,
    authorize,
    decide_order,
    decide_payment,
    order_from_quote,
)
from pulseshop.core.pricing import quote

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from returns.result import Result

    from pulseshop.core.money import Currency
    from pulseshop.core.orders import (
        OrderCommand,
        OrderError,
        OrderEvent,
        PaymentCommand,
        PaymentEvent,
    )
    from pulseshop.core.pricing import Quote

_S = TypeVar("_S")
_C = TypeVar("_C")
_E = TypeVar("_E")

quotes = requests(max_rules=3).map(lambda asked: quote(asked).unwrap())
"""A quote for any valid request: taxes, rules, coupons and shipping."""


def names_of(priced: Quote) -> dict[str, str]:
    """A product name for every SKU of ``priced``."""
    return {line.sku: f"Product {line.sku}" for line in priced.lines}


@st.composite
def orders(draw: st.DrawFn) -> Order:
    """An order, pending payment, placed from some quote."""
    priced = draw(quotes)
    user_id = draw(st.integers(1, 10_000))
    return order_from_quote(priced, names_of(priced), user_id=user_id, now=NOW).unwrap()


def amounts(currency: Currency, near: int) -> st.SearchStrategy[Money]:
    """Money in ``currency``: mostly up to a little over ``near`` minor units (small parts of
    it, any part, or exactly it); now and then zero, negative, unrounded or in another
    currency."""
    other = JPY if currency == EUR else EUR

    def units(low: int, high: int) -> st.SearchStrategy[Money]:
        return st.integers(low, high).map(lambda count: from_minor_units(count, currency))

    return weighted(
        (4, units(1, max(1, near // 4))),
        (3, units(1, near + 2)),
        (3, st.just(from_minor_units(near, currency))),
        (1, units(-2, 0)),
        (1, st.just(Money(from_minor_units(1, currency).amount / 10, currency))),
        (1, st.just(from_minor_units(near, other))),
    )


def order_commands(order: Order) -> st.SearchStrategy[OrderCommand]:
    """Any command for ``order``: mostly paying its total and refunds around it, now and
    then a cancellation (which ends the order's history)."""
    total = order.totals.total
    money = amounts(order.currency, minor_units(total))
    reasons = st.sampled_from(("changed my mind", "damaged", ""))
    return weighted(
        (4, st.just(MarkPaid(total))),
        (2, st.builds(MarkPaid, money)),
        (3, st.just(Fulfil())),
        (1, st.builds(Cancel, reasons)),
        (6, st.builds(Refund, money, reasons)),
    )


@st.composite
def payments(draw: st.DrawFn) -> Payment:
    """A payment authorized for some amount in a currency of the quotes."""
    currency = draw(st.sampled_from((EUR, JPY)))
    units = draw(st.integers(1, 100_000))
    return authorize(from_minor_units(units, currency)).unwrap()


def payment_commands(payment: Payment) -> st.SearchStrategy[PaymentCommand]:
    """Any command for ``payment``, with amounts around what it authorized."""
    money = amounts(payment.amount.currency, minor_units(payment.amount))
    return weighted(
        (2, st.just(Capture())),
        (2, st.builds(Capture, money)),
        (6, st.builds(RefundPayment, money)),
        (1, st.just(Void())),
        (1, st.builds(Fail, st.just("declined"))),
    )


@final
@attrs.frozen
class Step(Generic[_S, _C, _E]):
    """One command of a history: the state before, the decision's events (None when it was
    refused, and then ``error`` says why) and the state after."""

    before: _S
    command: _C
    events: tuple[_E, ...] | None
    error: OrderError | None
    after: _S


def _run(
    state: _S,
    commands: list[_C],
    decide: Callable[[_S, _C, datetime], Result[tuple[_E, ...], OrderError]],
    apply: Callable[[_S, tuple[_E, ...]], _S],
) -> list[Step[_S, _C, _E]]:
    steps: list[Step[_S, _C, _E]] = []
    for index, command in enumerate(commands):
        decision = decide(state, command, NOW + timedelta(minutes=index + 1))
        events = decision.value_or(None)
        error = None if events is not None else decision.failure()
        after = state if events is None else apply(state, events)
        steps.append(Step(state, command, events, error, after))
        state = after
    return steps


OrderStep: TypeAlias = "Step[Order, OrderCommand, OrderEvent]"
PaymentStep: TypeAlias = "Step[Payment, PaymentCommand, PaymentEvent]"


def run_order(order: Order, commands: list[OrderCommand]) -> list[OrderStep]:
    """Decide each command in turn, a minute apart, applying the events of those accepted."""
    return _run(order, commands, decide_order, apply_order_events)


def run_payment(payment: Payment, commands: list[PaymentCommand]) -> list[PaymentStep]:
    """Decide each command in turn, a minute apart, applying the events of those accepted."""
    return _run(payment, commands, decide_payment, apply_payment_events)


@st.composite
def order_histories(draw: st.DrawFn) -> tuple[Order, list[OrderCommand]]:
    """An order as placed and the commands that then arrive for it."""
    order = draw(orders())
    return order, draw(st.lists(order_commands(order), max_size=12))


@st.composite
def payment_histories(draw: st.DrawFn) -> tuple[Payment, list[PaymentCommand]]:
    """A payment as authorized and the commands that then arrive for it."""
    payment = draw(payments())
    return payment, draw(st.lists(payment_commands(payment), max_size=10))
