"""Orders placed on a marketplace, as its feed of events tells them: each event checked
(`decode_event`, `read_batch`) and folded into the order it is about (`apply_event`).

A marketplace reports what happens to the orders it takes for the shop: placed (with the
total), paid, shipped, cancelled, refunded (with the amount). Events of one order can
arrive in any order and from several workers at once, so an order's state is a fold that
does not depend on their order: amounts add up, and the status follows from the facts
(`status_of`). Folding the same event twice counts it twice: the shell applies each
``event_id`` once.

>>> from datetime import UTC, datetime
>>> placed = decode_event({
...     "event_id": "zl-1001-1", "type": "order.placed", "marketplace": "zalando",
...     "order_ref": "1001", "occurred_at": "2026-12-05T10:00:00Z",
...     "currency": "EUR", "amount": "24.00",
... }).unwrap()
>>> order = apply_event(None, placed).unwrap()
>>> order.status.value, order.currency.code, order.total
('placed', 'EUR', Decimal('24.00'))
>>> [str(problem) for problem in decode_event({"event_id": "", "type": "order.lost"}).failure()]
... # doctest: +NORMALIZE_WHITESPACE
['marketplace: is required', 'order_ref: is required', 'occurred_at: is required',
 'event_id: must be 1 to 128 letters, digits or ._:- characters',
 'type: must be one of order.placed, order.paid, order.shipped, order.cancelled,
  order.refunded']
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final, final

import attrs
from returns.result import Failure, Result, Success

from pulseshop.core.json_reading import JsonReader
from pulseshop.core.money import EUR, Currency, Money, amount_text, currency_of
from pulseshop.core.pricing.validation import amount_problems, text_problems
from pulseshop.core.problems import Problem, ProblemCode, Problems

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class EventType(enum.Enum):
    """What happened to a marketplace order."""

    PLACED = "order.placed"
    PAID = "order.paid"
    SHIPPED = "order.shipped"
    CANCELLED = "order.cancelled"
    REFUNDED = "order.refunded"


class MarketplaceStatus(enum.Enum):
    """Where a marketplace order stands (`status_of` says how it is found)."""

    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


_WITH_AMOUNT: Final = frozenset({EventType.PLACED, EventType.PAID, EventType.REFUNDED})
"""The events that carry a ``currency`` and an ``amount`` (and only they may)."""

_WITH_REASON: Final = frozenset({EventType.CANCELLED, EventType.REFUNDED})
"""The events that may say why."""

EVENT_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9._:-]{1,128}")
"""An event's id: unique across every marketplace (prefix it with the marketplace's name)."""

MARKETPLACE_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
"""A marketplace's name: lower-case letters, digits, ``_`` and ``-``."""

MAX_ORDER_REF: Final = 128
"""The longest order reference a marketplace may use."""

MAX_BATCH: Final = 1000
"""The most events one batch may carry."""

_FIELDS: Final = ("event_id", "type", "marketplace", "order_ref", "occurred_at")
_OPTIONAL: Final = ("currency", "amount", "reason")


@final
@attrs.frozen
class FeedEvent:
    """One event of a marketplace's feed, checked. ``amount`` is there for placed (the
    order's total), paid and refunded events, in the order's currency."""

    event_id: str
    type: EventType
    marketplace: str
    order_ref: str
    occurred_at: datetime
    amount: Money | None = None
    reason: str | None = None


@final
@attrs.frozen
class Rejection:
    """An event of a batch that was refused: its index in the batch (or line number in a
    file), its id when it had a readable one, and everything wrong with it."""

    index: int
    event_id: str | None
    problems: Problems


@final
@attrs.frozen
class BatchReading:
    """A batch, read: the events to apply with their indexes, and the ones refused."""

    accepted: tuple[tuple[int, FeedEvent], ...]
    rejected: tuple[Rejection, ...]


@final
@attrs.frozen
class MarketplaceOrder:
    """A marketplace order as its events so far tell it.

    ``currency`` is unknown (None) until an event with an amount arrives, ``total`` until
    its placed event does (a marketplace that places an order again, to correct it, is
    taken at its latest word: the total of the placed event with the latest
    ``placed_at``, and of two at the same moment the larger); ``paid`` and ``refunded``
    add up the paid and refunded events (amounts in ``currency``); ``seen`` holds the kinds
    of events folded in, ``events`` counts them, and ``last_event_at`` is the latest moment
    among them.
    """

    marketplace: str
    order_ref: str
    currency: Currency | None
    status: MarketplaceStatus
    total: Decimal | None
    paid: Decimal
    refunded: Decimal
    seen: frozenset[EventType]
    events: int
    last_event_at: datetime
    placed_at: datetime | None = None


# ---------------------------------------------------------------- reading events


def decode_event(data: object) -> Result[FeedEvent, Problems]:
    """A `FeedEvent` from a parsed JSON value, or every problem with its field."""
    reader = JsonReader()
    fields = reader.fields("", data, required=_FIELDS, optional=_OPTIONAL)
    if fields is None:
        return Failure(tuple(reader.problems))
    event_id = _patterned(
        reader,
        fields,
        "event_id",
        EVENT_ID_PATTERN,
        "must be 1 to 128 letters, digits or ._:- characters",
    )
    known = len(reader.problems)
    # A missing field is reported once, as required: it is not read as well.
    kind = EventType.PLACED
    if "type" in fields:
        kind = reader.choice("type", fields["type"], EventType, EventType.PLACED)
    # The fields an event type asks for are checked only once the type is known.
    typed = "type" in fields and len(reader.problems) == known
    marketplace = _patterned(
        reader,
        fields,
        "marketplace",
        MARKETPLACE_PATTERN,
        "must be 1 to 64 lower-case letters, digits, _ or -, starting with a letter or digit",
    )
    order_ref = _order_ref(reader, fields)
    occurred_at = (
        reader.moment("occurred_at", fields["occurred_at"]) if "occurred_at" in fields else None
    )
    amount = _amount(reader, fields, kind) if typed else None
    reason = _reason(reader, fields, kind) if typed else None
    if reader.problems or occurred_at is None:
        return Failure(tuple(reader.problems))
    return Success(FeedEvent(event_id, kind, marketplace, order_ref, occurred_at, amount, reason))


def _patterned(
    reader: JsonReader, fields: dict[str, object], name: str, pattern: re.Pattern[str], rule: str
) -> str:
    """The string field ``name`` when it matches ``pattern``; else "" (a missing one is
    reported as required already, a bad one here, as ``rule``)."""
    if name not in fields:
        return ""
    value = fields[name]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        reader.fail(name, ProblemCode.WRONG_TYPE, rule)
        return ""
    return value


def _order_ref(reader: JsonReader, fields: dict[str, object]) -> str:
    if "order_ref" not in fields:
        return ""  # reported as required
    value = fields["order_ref"]
    if not isinstance(value, str):
        reader.fail("order_ref", ProblemCode.WRONG_TYPE, "must be a string")
        return ""
    if not value.isprintable() or value != value.strip():
        reader.fail(
            "order_ref", ProblemCode.WRONG_TYPE, "must be printable, without surrounding spaces"
        )
    elif len(value) > MAX_ORDER_REF or not value:
        reader.fail(
            "order_ref", ProblemCode.OUT_OF_RANGE, f"must be 1 to {MAX_ORDER_REF} characters"
        )
    return value


def _amount(reader: JsonReader, fields: dict[str, object], kind: EventType) -> Money | None:
    if kind not in _WITH_AMOUNT:
        for name in ("currency", "amount"):
            if name in fields:
                reader.fail(name, ProblemCode.UNKNOWN_FIELD, f"is not a field of {kind.value}")
        return None
    for name in ("currency", "amount"):
        if name not in fields:
            reader.fail(name, ProblemCode.REQUIRED, f"is required for {kind.value}")
    if "currency" not in fields or "amount" not in fields:
        return None
    known = len(reader.problems)
    currency = reader.currency("currency", fields["currency"], EUR)
    amount = reader.decimal("amount", fields["amount"])
    if len(reader.problems) == known:
        # Judged only when both are readable: never against a stand-in.
        found = amount_problems("amount", amount, currency)
        if not found and amount == 0:
            found = [Problem("amount", ProblemCode.OUT_OF_RANGE, "must be more than zero")]
        reader.problems.extend(found)
    return Money(amount, currency)


def _reason(reader: JsonReader, fields: dict[str, object], kind: EventType) -> str | None:
    if "reason" not in fields:
        return None
    if kind not in _WITH_REASON:
        reader.fail("reason", ProblemCode.UNKNOWN_FIELD, f"is not a field of {kind.value}")
        return None
    value = fields["reason"]
    if not isinstance(value, str):
        reader.fail("reason", ProblemCode.WRONG_TYPE, "must be a string")
        return None
    found = text_problems("reason", value)
    if not found and not value.isprintable():
        # No control characters (NUL above all, which PostgreSQL cannot store in text).
        found = [Problem("reason", ProblemCode.WRONG_TYPE, "must be printable text, on one line")]
    reader.problems.extend(found)
    return value


def read_batch(items: Sequence[object], *, first_index: int = 0) -> BatchReading:
    """Every item of a batch checked on its own: a bad one is refused with its index
    (counted from ``first_index``), the others are accepted whatever it holds."""
    accepted: list[tuple[int, FeedEvent]] = []
    rejected: list[Rejection] = []
    for index, item in enumerate(items, start=first_index):
        decoded = decode_event(item)
        if isinstance(decoded, Success):
            accepted.append((index, decoded.unwrap()))
        else:
            rejected.append(Rejection(index, _readable_id(item), decoded.failure()))
    return BatchReading(tuple(accepted), tuple(rejected))


def _readable_id(item: object) -> str | None:
    if isinstance(item, dict):
        value = item.get("event_id")
        if isinstance(value, str) and EVENT_ID_PATTERN.fullmatch(value):
            return value
    return None


def encode_event(event: FeedEvent) -> dict[str, object]:
    """The event as JSON again: `decode_event` reads it back to an equal event."""
    data: dict[str, object] = {
        "event_id": event.event_id,
        "type": event.type.value,
        "marketplace": event.marketplace,
        "order_ref": event.order_ref,
        "occurred_at": event.occurred_at.isoformat(),
    }
    if event.amount is not None:
        data["currency"] = event.amount.currency.code
        data["amount"] = amount_text(event.amount)
    if event.reason is not None:
        data["reason"] = event.reason
    return data


def read_encoded(data: Mapping[str, object]) -> FeedEvent:
    """An event `encode_event` wrote, read back without checking it again: for messages
    this system queued, never for input (`decode_event` is for input).

    Raises:
        KeyError, ValueError, TypeError: ``data`` is not what `encode_event` writes.
    """
    amount = None
    if "amount" in data:
        currency = currency_of(str(data["currency"]))
        if isinstance(currency, Failure):
            raise ValueError(currency.failure())
        amount = Money(Decimal(str(data["amount"])), currency.unwrap())
    reason = data.get("reason")
    return FeedEvent(
        str(data["event_id"]),
        EventType(data["type"]),
        str(data["marketplace"]),
        str(data["order_ref"]),
        datetime.fromisoformat(str(data["occurred_at"])),
        amount,
        None if reason is None else str(reason),
    )


# ---------------------------------------------------------------- folding events


def apply_event(
    order: MarketplaceOrder | None, event: FeedEvent
) -> Result[MarketplaceOrder, Problem]:
    """The order once ``event`` is counted in; ``order`` is None for its first event.

    Refused when the event's currency is not the order's, or when it is about another order.
    """
    if order is None:
        order = MarketplaceOrder(
            event.marketplace,
            event.order_ref,
            None,
            MarketplaceStatus.PLACED,
            None,
            Decimal(0),
            Decimal(0),
            frozenset(),
            0,
            event.occurred_at,
            None,
        )
    if (order.marketplace, order.order_ref) != (event.marketplace, event.order_ref):
        return Failure(
            Problem("order_ref", ProblemCode.NOT_FOUND, "the event is about another order")
        )
    currency = order.currency
    if event.amount is not None:
        if currency not in {None, event.amount.currency}:
            return Failure(
                Problem(
                    "currency",
                    ProblemCode.MIXED_CURRENCIES,
                    f"is {event.amount.currency.code}, the order is in {currency}",
                )
            )
        currency = event.amount.currency
    return Success(_counted(order, event, currency))


def _counted(
    order: MarketplaceOrder, event: FeedEvent, currency: Currency | None
) -> MarketplaceOrder:
    amount = Decimal(0) if event.amount is None else event.amount.amount
    total, paid, refunded, placed_at = order.total, order.paid, order.refunded, order.placed_at
    match event.type:
        case EventType.PLACED:
            if (
                total is None
                or placed_at is None
                or (event.occurred_at, amount)
                > (
                    placed_at,
                    total,
                )
            ):
                total, placed_at = amount, event.occurred_at
        case EventType.PAID:
            paid += amount
        case EventType.REFUNDED:
            refunded += amount
        case _:
            pass
    seen = order.seen | {event.type}
    return attrs.evolve(
        order,
        currency=currency,
        status=status_of(seen, paid, refunded),
        total=total,
        paid=paid,
        refunded=refunded,
        seen=seen,
        events=order.events + 1,
        last_event_at=max(order.last_event_at, event.occurred_at),
        placed_at=placed_at,
    )


def status_of(seen: frozenset[EventType], paid: Decimal, refunded: Decimal) -> MarketplaceStatus:
    """Where an order stands, from the kinds of events seen and the sums paid and refunded:
    a function of the facts, not of the order they arrived in."""
    if EventType.CANCELLED in seen:
        return MarketplaceStatus.CANCELLED
    if refunded > 0 and refunded >= paid:
        return MarketplaceStatus.REFUNDED
    if EventType.SHIPPED in seen:
        return MarketplaceStatus.SHIPPED
    if paid > 0:
        return MarketplaceStatus.PAID
    return MarketplaceStatus.PLACED
