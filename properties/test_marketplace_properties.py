"""What holds for marketplace feeds, whatever events arrive: an encoded event reads back as
itself, an order's state does not depend on the order its events arrive in and adds up
their amounts, no JSON makes reading raise, and a batch accounts for each of its items."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import reduce
from typing import TYPE_CHECKING

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from returns.result import Failure, Success

from properties.marketplace_strategies import (
    almost_events,
    batch_items,
    feed_events,
    order_histories,
)
from properties.strategies import json_values
from pulseshop.core.marketplace import (
    EVENT_ID_PATTERN,
    EventType,
    apply_event,
    decode_event,
    encode_event,
    read_batch,
    read_encoded,
)

if TYPE_CHECKING:
    from pulseshop.core.marketplace import FeedEvent, MarketplaceOrder

pytestmark = pytest.mark.unit

NULL_EVENT_ID: dict[str, object] = {
    "event_id": None,
    "type": "order.shipped",
    "marketplace": "zalando",
    "order_ref": "1001",
    "occurred_at": "2026-12-05T10:00:00Z",
}
"""Found by the properties: accepted, with an empty id that encodes to an invalid event."""


def fold(events: list[FeedEvent]) -> MarketplaceOrder:
    """The order its events tell, applied in the given order (each must be accepted)."""
    first, *rest = events
    return reduce(
        lambda order, event: apply_event(order, event).unwrap(),
        rest,
        apply_event(None, first).unwrap(),
    )


def sum_of(events: list[FeedEvent], kind: EventType) -> Decimal:
    """The amounts of the events of ``kind``, added up (zero when there are none)."""
    return sum(
        (event.amount.amount for event in events if event.type is kind and event.amount),
        start=Decimal(0),
    )


class TestEncoding:
    @given(feed_events())
    def test_an_encoded_event_reads_back_as_itself(self, event: FeedEvent) -> None:
        """Encoded, written as JSON text, parsed and decoded: the same event."""
        text = json.dumps(encode_event(event))

        assert event == decode_event(json.loads(text)).unwrap()

    @given(feed_events())
    def test_a_queued_event_is_read_back_as_itself_without_checks(self, event: FeedEvent) -> None:
        """What intake queues (encoded, as JSON text), the consumer reads back unchanged."""
        text = json.dumps(encode_event(event))

        assert event == read_encoded(json.loads(text))


class TestFolding:
    @given(
        order_histories().flatmap(
            lambda events: st.tuples(st.just(events), st.permutations(events))
        )
    )
    def test_the_order_does_not_depend_on_the_order_of_its_events(
        self, shuffled: tuple[list[FeedEvent], list[FeedEvent]]
    ) -> None:
        """Any permutation of one order's events folds to the same order."""
        events, permuted = shuffled

        assert fold(events) == fold(permuted)

    @given(order_histories())
    def test_the_order_adds_up_its_events(self, events: list[FeedEvent]) -> None:
        """Paid and refunded are the sums of the paid and refunded amounts; the total is the
        amount of the latest placed event (the larger of the latest); every event is
        counted, and the latest moment kept."""
        order = fold(events)

        placed = sorted(
            (event.occurred_at, event.amount.amount)
            for event in events
            if event.type is EventType.PLACED and event.amount
        )
        currencies = {event.amount.currency for event in events if event.amount}
        assert sum_of(events, EventType.PAID) == order.paid
        assert sum_of(events, EventType.REFUNDED) == order.refunded
        assert (placed[-1][1] if placed else None) == order.total
        assert (placed[-1][0] if placed else None) == order.placed_at
        assert len(events) == order.events
        assert max(event.occurred_at for event in events) == order.last_event_at
        assert frozenset(event.type for event in events) == order.seen
        assert (currencies.pop() if currencies else None) == order.currency


class TestReading:
    @given(json_values)
    def test_reading_any_json_never_raises(self, data: object) -> None:
        """Any JSON value is read as an event or as a non-empty list of problems."""
        result = decode_event(data)

        assert isinstance(result, Success) or (isinstance(result, Failure) and result.failure())

    @given(almost_events())
    def test_reading_an_event_broken_in_one_place_never_raises(self, data: object) -> None:
        """A valid event with any field set to any JSON value is read as an event or as a
        non-empty list of problems; it never raises."""
        result = decode_event(data)

        assert isinstance(result, Success) or (isinstance(result, Failure) and result.failure())

    @given(almost_events())
    @example(NULL_EVENT_ID)
    def test_an_accepted_event_is_a_valid_one(self, data: object) -> None:
        """Whatever broken event is accepted reads back as itself once encoded: nothing
        invalid gets through."""
        result = decode_event(data)

        if isinstance(result, Success):
            assert result == decode_event(encode_event(result.unwrap()))

    @given(st.lists(batch_items, max_size=8), st.integers(0, 10**6))
    def test_a_batch_accounts_for_each_item(self, items: list[object], first_index: int) -> None:
        """Each item is accepted or rejected, once, at its index counted from
        ``first_index``; an accepted item is what `decode_event` reads, a rejected one keeps
        its readable id."""
        reading = read_batch(items, first_index=first_index)

        indexes = sorted(
            [index for index, _ in reading.accepted]
            + [rejection.index for rejection in reading.rejected]
        )
        assert len(items) == len(reading.accepted) + len(reading.rejected)
        assert list(range(first_index, first_index + len(items))) == indexes
        for index, event in reading.accepted:
            assert Success(event) == decode_event(items[index - first_index])
        for rejection in reading.rejected:
            item = items[rejection.index - first_index]
            assert Failure(rejection.problems) == decode_event(item)
            event_id = item.get("event_id") if isinstance(item, dict) else None
            readable = isinstance(event_id, str) and EVENT_ID_PATTERN.fullmatch(event_id)
            assert (event_id if readable else None) == rejection.event_id
