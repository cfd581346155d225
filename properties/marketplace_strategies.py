"""Hypothesis strategies for marketplace feeds: valid events of every type, the events of
one order in one currency, and JSON that is an event broken in one place or no event at all."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Final

from hypothesis import strategies as st

from properties.strategies import CURRENCIES, json_values
from pulseshop.core.marketplace import (
    EVENT_ID_PATTERN,
    MARKETPLACE_PATTERN,
    MAX_ORDER_REF,
    EventType,
    FeedEvent,
    encode_event,
)
from pulseshop.core.money import MAX_AMOUNT, Money, from_minor_units
from pulseshop.core.pricing.validation import MAX_TEXT

if TYPE_CHECKING:
    from pulseshop.core.money import Currency

WITH_AMOUNT: Final = frozenset({EventType.PLACED, EventType.PAID, EventType.REFUNDED})
"""The event types that carry a currency and an amount."""
WITH_REASON: Final = frozenset({EventType.CANCELLED, EventType.REFUNDED})
"""The event types that may give a reason."""
FIELDS: Final = (
    "event_id",
    "type",
    "marketplace",
    "order_ref",
    "occurred_at",
    "currency",
    "amount",
    "reason",
)
"""Every field an event may have."""

event_ids = st.from_regex(EVENT_ID_PATTERN, fullmatch=True)
marketplaces = st.from_regex(MARKETPLACE_PATTERN, fullmatch=True)
order_refs = st.text(
    st.characters(categories=("L", "M", "N", "P", "S")), min_size=1, max_size=MAX_ORDER_REF
).filter(lambda ref: ref.isprintable() and ref == ref.strip())
"""Printable references without surrounding spaces (letters, marks, digits, punctuation,
symbols)."""
reasons = st.text(min_size=1, max_size=MAX_TEXT).filter(
    lambda reason: bool(reason.strip()) and reason.isprintable()
)

offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
moments = st.datetimes(
    # Hypothesis takes naive bounds; ``timezones`` gives each moment its offset.
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=offsets,
)
"""Moments with any whole-minute UTC offset a country uses (or might)."""


def amounts(currency: Currency) -> st.SearchStrategy[Money]:
    """A positive amount of ``currency``, up to the largest an input may carry."""
    most = int(MAX_AMOUNT) * 10**currency.exponent
    units = st.integers(1, 10_000) | st.integers(1, most)
    return units.map(lambda count: from_minor_units(count, currency))


@st.composite
def events_of(
    draw: st.DrawFn,
    marketplace: str,
    order_ref: str,
    currency: Currency,
    kinds: tuple[EventType, ...] = tuple(EventType),
) -> FeedEvent:
    """A valid event of one of ``kinds`` about one order, any amount in ``currency``."""
    kind = draw(st.sampled_from(kinds))
    amount = draw(amounts(currency)) if kind in WITH_AMOUNT else None
    reason = draw(st.none() | reasons) if kind in WITH_REASON else None
    return FeedEvent(draw(event_ids), kind, marketplace, order_ref, draw(moments), amount, reason)


@st.composite
def feed_events(draw: st.DrawFn) -> FeedEvent:
    """A valid event of any type, about any order, in any currency."""
    return draw(events_of(draw(marketplaces), draw(order_refs), draw(st.sampled_from(CURRENCIES))))


@st.composite
def order_histories(draw: st.DrawFn) -> list[FeedEvent]:
    """The events of one order, all amounts in one currency, at least one event; up to
    three of them placed events (a marketplace may place an order again to correct it)."""
    marketplace = draw(st.sampled_from(("zalando", "otto")) | marketplaces)
    order_ref = draw(st.sampled_from(("1001", "A-7")) | order_refs)
    currency = draw(st.sampled_from(CURRENCIES))
    placed = draw(
        st.lists(events_of(marketplace, order_ref, currency, (EventType.PLACED,)), max_size=3)
    )
    others = tuple(kind for kind in EventType if kind is not EventType.PLACED)
    rest = draw(
        st.lists(
            events_of(marketplace, order_ref, currency, others),
            min_size=0 if placed else 1,
            max_size=10,
        )
    )
    return placed + rest


encoded_events = feed_events().map(encode_event)
"""Valid events as JSON."""


@st.composite
def damaged_events(draw: st.DrawFn) -> dict[str, object]:
    """A valid event as JSON with one field removed or an unknown one added."""
    data = draw(encoded_events)
    if draw(st.booleans()):
        del data[draw(st.sampled_from(sorted(data)))]
    else:
        name = draw(st.text(max_size=8).filter(lambda name: name not in FIELDS))
        data[name] = draw(json_values)
    return data


@st.composite
def almost_events(draw: st.DrawFn) -> dict[str, object]:
    """A valid event as JSON with one field (present or not) set to any JSON value."""
    data = draw(encoded_events)
    data[draw(st.sampled_from(FIELDS))] = draw(json_values)
    return data


batch_items = st.one_of(encoded_events, damaged_events(), almost_events(), json_values)
"""What a batch may hold: good events, events broken in one place, any JSON at all."""
