"""What holds for carts, whatever commands arrive: lines stay within their limits, replaying
the events gives the cart again, the version counts the events, a retried or refused command
changes nothing, a merge keeps every unit, snapshots read back equal, and expiry depends on
nothing but the cart, the time and the ttl."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.pipeline import is_successful
from returns.result import Success

from properties.cart_strategies import carts, commands, histories, merges, moments, run, ttls
from properties.strategies import json_values
from pulseshop.core.cart import (
    EMPTY_CART,
    MAX_LINE_QUANTITY,
    MAX_LINES,
    REMEMBERED_COMMANDS,
    TRANSITIONS,
    CartErrorCode,
    ExpireCart,
    apply_all,
    cart_from_json,
    cart_to_json,
    decide,
    is_expired,
)
from pulseshop.core.pricing.rules import normalise_code

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from pulseshop.core.cart import Cart, CartCommand, CartEvent, MergeCart

pytestmark = pytest.mark.unit

SNAPSHOT_FIELDS = tuple(cart_to_json(EMPTY_CART))
"""Every field of a cart snapshot."""

History = list[tuple["CartCommand", "datetime"]]


@given(histories())
def test_every_cart_keeps_within_its_limits(history: History) -> None:
    """Quantities stay from 1 to MAX_LINE_QUANTITY, SKUs once each and at most MAX_LINES;
    coupons upper-cased once each; a currency exactly when there are lines."""
    for step in run(history):
        cart = step.after
        assert all(1 <= line.quantity <= MAX_LINE_QUANTITY for line in cart.lines)
        assert len(set(cart.skus)) == len(cart.lines) <= MAX_LINES
        assert len(set(cart.coupons)) == len(cart.coupons)
        assert all(code == normalise_code(code) and code for code in cart.coupons)
        assert (cart.currency is None) == cart.is_empty
        assert len(cart.recent_commands) <= REMEMBERED_COMMANDS


@given(histories())
def test_replaying_every_event_from_the_empty_cart_gives_the_cart(history: History) -> None:
    """A cart is its events folded from EMPTY_CART."""
    steps = run(history)
    events: list[CartEvent] = [event for step in steps for event in step.events or ()]

    final = steps[-1].after if steps else EMPTY_CART
    assert final == apply_all(EMPTY_CART, events)


@given(histories())
def test_the_version_grows_by_the_number_of_events(history: History) -> None:
    """Each accepted command gives at most one event, and each event counts once."""
    for step in run(history):
        count = len(step.events or ())
        assert count <= 1
        assert step.before.version + count == step.after.version


@given(histories())
def test_decisions_follow_the_table(history: History) -> None:
    """An event is the one its command's row names; an error is one its row lists."""
    for step in run(history):
        row = TRANSITIONS[type(step.command)]
        decision = decide(step.before, step.command, step.now)
        if step.events is None:
            assert decision.failure().code in row.errors
        else:
            assert all(isinstance(event, row.event) for event in step.events)


@given(histories(), commands)
def test_a_repeated_command_id_changes_nothing(history: History, other: CartCommand) -> None:
    """Right after a command is applied, sending it again, or any other command with its
    id, gives no events."""
    for step in run(history):
        if step.events:
            retry = attrs.evolve(other, command_id=step.command.command_id)
            assert Success(()) == decide(step.after, step.command, step.now)
            assert Success(()) == decide(step.after, retry, step.now)


@given(histories())
def test_a_refused_command_changes_nothing_and_is_not_remembered(history: History) -> None:
    """The cart is as it was, deciding again gives the same error, and the id stays free."""
    for step in run(history):
        if step.events is None:
            assert step.before == step.after
            error = decide(step.before, step.command, step.now).failure()
            assert error == decide(step.before, step.command, step.now).failure()
            assert step.command.command_id not in step.after.recent_commands


def _units(lines: tuple[tuple[str, int], ...]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for sku, quantity in lines:
        totals[sku] += quantity
    return totals


@given(carts(), merges, moments)
def test_a_merge_keeps_every_unit_of_both_carts(
    cart: Cart, merge: MergeCart, now: datetime
) -> None:
    """When a merge succeeds, each SKU holds the units of both carts and the coupons are
    the union; the cart's own lines keep their order in front."""
    decision = decide(cart, merge, now)
    if not is_successful(decision) or merge.command_id in cart.recent_commands:
        return
    merged = apply_all(cart, decision.unwrap())

    guest = _units(tuple((line.sku, line.quantity) for line in merge.lines))
    for sku in set(cart.skus) | set(guest):
        assert cart.quantity_of(sku) + guest[sku] == merged.quantity_of(sku)
    assert cart.units + sum(guest.values()) == merged.units
    assert cart.skus == merged.skus[: len(cart.skus)]
    assert set(cart.coupons) | {normalise_code(code) for code in merge.coupons} == set(
        merged.coupons
    )


@given(carts())
def test_a_snapshot_reads_back_as_the_same_cart(cart: Cart) -> None:
    """Through json.dumps and json.loads and back: the equal cart, the same snapshot."""
    snapshot = json.loads(json.dumps(cart_to_json(cart)))

    read = cart_from_json(snapshot).unwrap()

    assert cart == read
    assert snapshot == cart_to_json(read)


@given(json_values | st.dictionaries(st.sampled_from(("format", "lines", "version")), json_values))
def test_no_json_value_makes_reading_raise(data: object) -> None:
    """Anything json.loads can return reads as a cart or fails with a message."""
    read = cart_from_json(data)

    assert is_successful(read) or isinstance(read.failure(), str)


@given(carts(), st.sampled_from(SNAPSHOT_FIELDS), json_values)
def test_a_snapshot_with_one_field_replaced_reads_or_fails_without_raising(
    cart: Cart, field: str, value: object
) -> None:
    """A snapshot with any value in any field fails with a message, or reads as a cart
    whose own snapshot reads back as it."""
    read = cart_from_json({**cart_to_json(cart), field: value})

    if is_successful(read):
        assert read == cart_from_json(cart_to_json(read.unwrap()))
    else:
        assert isinstance(read.failure(), str)


@given(carts(), moments, ttls, ttls)
def test_expiry_depends_only_on_the_last_change_the_time_and_the_ttl(
    cart: Cart, now: datetime, ttl: timedelta, shorter_by: timedelta
) -> None:
    """Expired means ttl or more since the last change; a later time or a shorter ttl is
    still expired; ExpireCart agrees with is_expired."""
    expired = is_expired(cart, now, ttl)

    assert expired == (cart.updated_at is not None and now - cart.updated_at >= ttl)
    assert expired == is_expired(cart, now, ttl)
    if expired:
        assert is_expired(cart, now + shorter_by, ttl)
        assert is_expired(cart, now, ttl - shorter_by)
    decision = decide(cart, ExpireCart("expire-1", ttl), now)
    if cart.updated_at is None or "expire-1" in cart.recent_commands:
        assert Success(()) == decision
    elif expired:
        assert 1 == len(decision.unwrap())
    else:
        assert CartErrorCode.NOT_EXPIRED == decision.failure().code


@given(carts(), commands, moments)
def test_deciding_is_pure(cart: Cart, command: CartCommand, now: datetime) -> None:
    """The same cart, command and time give the same decision."""
    assert decide(cart, command, now) == decide(cart, command, now)
