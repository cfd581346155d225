"""Marketplace feeds: every event type is read, every malformed event is refused with the
path and code of each problem, a batch keeps the good events of a bad lot, events encode
back to what was read, and an order's state is the fold of its events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs
import pytest
from returns.result import Failure

from pulseshop.core.marketplace import (
    EventType,
    FeedEvent,
    MarketplaceOrder,
    MarketplaceStatus,
    Rejection,
    apply_event,
    decode_event,
    encode_event,
    read_batch,
    read_encoded,
    status_of,
)
from pulseshop.core.money import BHD, EUR, JPY, USD, Money
from pulseshop.core.problems import Problem, ProblemCode

if TYPE_CHECKING:
    from pulseshop.core.money import Currency

pytestmark = pytest.mark.unit

AT: Final = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
ENCODED_PAID: Final[dict[str, object]] = {
    "event_id": "zl-1",
    "type": "order.paid",
    "marketplace": "zalando",
    "order_ref": "1001",
    "occurred_at": "2026-12-05T10:00:00+00:00",
    "currency": "EUR",
    "amount": "24.00",
}
_REMOVE: Final = object()

COMMON: Final[dict[str, object]] = {
    "event_id": "zl-1001-1",
    "marketplace": "zalando",
    "order_ref": "1001",
    "occurred_at": "2026-12-05T10:00:00Z",
}
AMOUNT: Final[dict[str, object]] = {"currency": "EUR", "amount": "24.00"}

PLACED, PAID, SHIPPED, CANCELLED, REFUNDED = (
    EventType.PLACED,
    EventType.PAID,
    EventType.SHIPPED,
    EventType.CANCELLED,
    EventType.REFUNDED,
)

# Known bugs, pinned by tests that state the intended behaviour (strict: they must be
# unmarked once the bug is fixed).


def event_json(kind: str, **changes: object) -> dict[str, object]:
    """A valid event of ``kind`` (with an amount when the kind carries one), with fields
    changed; the value _REMOVE deletes the field."""
    data: dict[str, object] = {**COMMON, "type": kind}
    if EventType(kind) in (PLACED, PAID, REFUNDED):
        data |= AMOUNT
    for name, value in changes.items():
        if value is _REMOVE:
            del data[name]
        else:
            data[name] = value
    return data


def placed_json(**changes: object) -> dict[str, object]:
    """A valid placed event of order 1001 at zalando, EUR 24.00, with fields changed."""
    return event_json("order.placed", **changes)


def found(data: object) -> list[tuple[str, ProblemCode]]:
    """The path and code of each problem `decode_event` finds in ``data``."""
    return [(problem.path, problem.code) for problem in decode_event(data).failure()]


def said(data: object) -> list[str]:
    """The problems `decode_event` finds in ``data``, as sentences."""
    return [str(problem) for problem in decode_event(data).failure()]


def event(
    kind: EventType,
    amount: str | None = None,
    *,
    currency: Currency = EUR,
    at: datetime = AT,
    order_ref: str = "1001",
    marketplace: str = "zalando",
    reason: str | None = None,
    event_id: str = "zl-1001-1",
) -> FeedEvent:
    """A checked event of order ``order_ref``, with ``amount`` in ``currency`` when given."""
    money = None if amount is None else Money.of(amount, currency)
    return FeedEvent(event_id, kind, marketplace, order_ref, at, money, reason)


def fold(*events: FeedEvent) -> MarketplaceOrder:
    """The order the events tell, applied in the given order (each must be accepted)."""
    order: MarketplaceOrder | None = None
    for each in events:
        order = apply_event(order, each).unwrap()
    assert order is not None
    return order


# ---------------------------------------------------------------- decoding


class TestDecodingEvents:
    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            pytest.param(
                placed_json(),
                event(PLACED, "24.00"),
                id="placed",
            ),
            pytest.param(
                event_json("order.paid"),
                event(PAID, "24.00"),
                id="paid",
            ),
            pytest.param(
                event_json("order.shipped"),
                event(SHIPPED),
                id="shipped",
            ),
            pytest.param(
                event_json("order.cancelled"),
                event(CANCELLED),
                id="cancelled",
            ),
            pytest.param(
                event_json("order.cancelled", reason="out of stock"),
                event(CANCELLED, reason="out of stock"),
                id="cancelled-with-reason",
            ),
            pytest.param(
                event_json("order.refunded", amount="4.50"),
                event(REFUNDED, "4.50"),
                id="refunded",
            ),
            pytest.param(
                event_json("order.refunded", reason="damaged"),
                event(REFUNDED, "24.00", reason="damaged"),
                id="refunded-with-reason",
            ),
        ],
    )
    def test_every_event_type_is_read(self, data: dict[str, object], expected: FeedEvent) -> None:
        """Each of the five event types is read into the `FeedEvent` it describes."""
        actual = decode_event(data).unwrap()

        assert expected == actual

    def test_an_event_reads_every_field(self) -> None:
        """Id, type, marketplace, reference, moment, amount and reason are read as given."""
        data = event_json(
            "order.refunded",
            event_id="otto:7.A_b-1",
            marketplace="otto_de-2",
            order_ref="A/7 #1",
            occurred_at="2026-12-05T11:30:00+01:30",
            currency="BHD",
            amount="1.234",
            reason="arrived broken",
        )

        actual = decode_event(data).unwrap()

        offset = timezone(timedelta(hours=1, minutes=30))
        expected = FeedEvent(
            "otto:7.A_b-1",
            REFUNDED,
            "otto_de-2",
            "A/7 #1",
            datetime(2026, 12, 5, 11, 30, tzinfo=offset),
            Money.of("1.234", BHD),
            "arrived broken",
        )
        assert expected == actual
        assert offset == actual.occurred_at.tzinfo

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            pytest.param("event_id", "x" * 128, id="longest-event-id"),
            pytest.param("event_id", "A", id="shortest-event-id"),
            pytest.param("marketplace", "a" * 64, id="longest-marketplace"),
            pytest.param("marketplace", "7", id="shortest-marketplace"),
            pytest.param("order_ref", "r" * 128, id="longest-order-ref"),
            pytest.param("order_ref", "7", id="shortest-order-ref"),
            pytest.param("order_ref", "A 7", id="inner-space-order-ref"),
            pytest.param("amount", "0.01", id="smallest-amount"),
            pytest.param("amount", "1000000000000.00", id="largest-amount"),
            pytest.param("amount", "24", id="whole-amount"),
            pytest.param("occurred_at", "2026-12-05T10:00:00.123456-05:00", id="micro-seconds"),
        ],
    )
    def test_values_at_the_limits_are_accepted(self, field: str, value: str) -> None:
        """The longest and shortest ids, names and references, and the extreme amounts, are
        accepted."""
        assert decode_event(placed_json(**{field: value})).unwrap() is not None

    def test_a_yen_amount_has_no_decimal_places(self) -> None:
        """A JPY amount is read in whole yen."""
        actual = decode_event(placed_json(currency="JPY", amount="1200")).unwrap()

        assert Money.of(1200, JPY) == actual.amount


class TestMalformedEvents:
    @pytest.mark.parametrize(
        "data",
        [
            pytest.param([COMMON], id="list"),
            pytest.param("zl-1001-1", id="string"),
            pytest.param(None, id="null"),
            pytest.param(7, id="number"),
        ],
    )
    def test_an_event_that_is_not_an_object_is_refused_at_the_root(self, data: object) -> None:
        """Anything but a JSON object is one problem at the empty path, and nothing else."""
        assert ["must be an object"] == said(data)
        assert [("", ProblemCode.WRONG_TYPE)] == found(data)

    @pytest.mark.parametrize(
        "field", ["event_id", "type", "marketplace", "order_ref", "occurred_at"]
    )
    def test_a_missing_field_is_required_and_said_once(self, field: str) -> None:
        """A missing field is REQUIRED at its name, and not also of a wrong type."""
        assert [f"{field}: is required"] == said(placed_json(**{field: _REMOVE}))
        assert [(field, ProblemCode.REQUIRED)] == found(placed_json(**{field: _REMOVE}))

    def test_an_empty_object_misses_every_field(self) -> None:
        """An empty object names each required field once, in order."""
        expected = [
            (field, ProblemCode.REQUIRED)
            for field in ("event_id", "type", "marketplace", "order_ref", "occurred_at")
        ]

        assert expected == found({})

    def test_an_unknown_field_is_named(self) -> None:
        """A field the feed does not define is UNKNOWN_FIELD at its name."""
        assert ["colour: is not a known field"] == said(placed_json(colour="red"))
        assert [("colour", ProblemCode.UNKNOWN_FIELD)] == found(placed_json(colour="red"))

    @pytest.mark.parametrize(
        ("field", "value", "code"),
        [
            # event_id
            pytest.param("event_id", "", ProblemCode.WRONG_TYPE, id="empty-event-id"),
            pytest.param("event_id", "zl 1001", ProblemCode.WRONG_TYPE, id="spaced-event-id"),
            pytest.param("event_id", "zl/1001", ProblemCode.WRONG_TYPE, id="slashed-event-id"),
            pytest.param("event_id", "zl-1\n", ProblemCode.WRONG_TYPE, id="newline-event-id"),
            pytest.param("event_id", "x" * 129, ProblemCode.WRONG_TYPE, id="long-event-id"),
            pytest.param("event_id", 1001, ProblemCode.WRONG_TYPE, id="number-event-id"),
            pytest.param(
                "event_id",
                None,
                ProblemCode.WRONG_TYPE,
                id="null-event-id",
            ),
            # marketplace
            pytest.param("marketplace", "Zalando", ProblemCode.WRONG_TYPE, id="upper-marketplace"),
            pytest.param("marketplace", "-zl", ProblemCode.WRONG_TYPE, id="dash-first-marketplace"),
            pytest.param("marketplace", "_zl", ProblemCode.WRONG_TYPE, id="underscore-first"),
            pytest.param("marketplace", "", ProblemCode.WRONG_TYPE, id="empty-marketplace"),
            pytest.param("marketplace", "a" * 65, ProblemCode.WRONG_TYPE, id="long-marketplace"),
            pytest.param("marketplace", "za.de", ProblemCode.WRONG_TYPE, id="dotted-marketplace"),
            pytest.param("marketplace", ["zl"], ProblemCode.WRONG_TYPE, id="list-marketplace"),
            pytest.param(
                "marketplace",
                None,
                ProblemCode.WRONG_TYPE,
                id="null-marketplace",
            ),
            # order_ref
            pytest.param("order_ref", "", ProblemCode.OUT_OF_RANGE, id="empty-order-ref"),
            pytest.param("order_ref", "   ", ProblemCode.WRONG_TYPE, id="blank-order-ref"),
            pytest.param("order_ref", " 1001", ProblemCode.WRONG_TYPE, id="leading-space"),
            pytest.param("order_ref", "1001 ", ProblemCode.WRONG_TYPE, id="trailing-space"),
            pytest.param("order_ref", "10\n01", ProblemCode.WRONG_TYPE, id="newline-order-ref"),
            pytest.param("order_ref", "10\x0001", ProblemCode.WRONG_TYPE, id="nul-order-ref"),
            pytest.param("order_ref", "10\u200b01", ProblemCode.WRONG_TYPE, id="zero-width"),
            pytest.param("order_ref", "r" * 129, ProblemCode.OUT_OF_RANGE, id="long-order-ref"),
            pytest.param("order_ref", 1001, ProblemCode.WRONG_TYPE, id="number-order-ref"),
            pytest.param("order_ref", None, ProblemCode.WRONG_TYPE, id="null-order-ref"),
            # occurred_at
            pytest.param(
                "occurred_at", "2026-12-05T10:00:00", ProblemCode.INVALID_DATETIME, id="naive"
            ),
            pytest.param("occurred_at", "2026-12-05", ProblemCode.INVALID_DATETIME, id="date"),
            pytest.param("occurred_at", "yesterday", ProblemCode.INVALID_DATETIME, id="words"),
            pytest.param(
                "occurred_at", "2026-13-05T10:00:00Z", ProblemCode.INVALID_DATETIME, id="month-13"
            ),
            pytest.param("occurred_at", 1796464800, ProblemCode.INVALID_DATETIME, id="epoch"),
            pytest.param("occurred_at", None, ProblemCode.INVALID_DATETIME, id="null-moment"),
            # type
            pytest.param("type", "order.lost", ProblemCode.INVALID_CHOICE, id="unknown-type"),
            pytest.param("type", "placed", ProblemCode.INVALID_CHOICE, id="short-type"),
            pytest.param("type", "ORDER.PLACED", ProblemCode.INVALID_CHOICE, id="upper-type"),
            pytest.param("type", None, ProblemCode.INVALID_CHOICE, id="null-type"),
            pytest.param("type", ["order.placed"], ProblemCode.INVALID_CHOICE, id="list-type"),
        ],
    )
    def test_a_malformed_field_is_refused_at_its_path(
        self, field: str, value: object, code: ProblemCode
    ) -> None:
        """A malformed common field is exactly one problem, at the field, with its code."""
        assert [(field, code)] == found(placed_json(**{field: value}))

    @pytest.mark.parametrize(
        ("field", "value", "expected"),
        [
            pytest.param(
                "event_id", "zl 1", "event_id: must be 1 to 128 letters, digits or ._:- characters"
            ),
            pytest.param(
                "marketplace",
                "Zalando",
                "marketplace: must be 1 to 64 lower-case letters, digits, _ or -, starting with "
                "a letter or digit",
            ),
            pytest.param("order_ref", "", "order_ref: must be 1 to 128 characters"),
            pytest.param(
                "order_ref", " 1", "order_ref: must be printable, without surrounding spaces"
            ),
            pytest.param(
                "occurred_at",
                "2026-12-05T10:00:00",
                "occurred_at: must include a UTC offset (say Z or +01:00)",
            ),
            pytest.param("occurred_at", "soon", "occurred_at: 'soon' is not an ISO 8601 date-time"),
            pytest.param("occurred_at", 5, "occurred_at: must be an ISO 8601 date-time string"),
            pytest.param("currency", "XYZ", "currency: 'XYZ' is not an ISO 4217 currency code"),
            pytest.param("currency", 978, "currency: must be a string"),
            pytest.param("amount", "0.00", "amount: must be more than zero"),
            pytest.param("amount", "-1.00", "amount: must not be negative"),
            pytest.param(
                "amount", "24.001", "amount: 24.001 has more decimal places than EUR allows (2)"
            ),
        ],
    )
    def test_each_problem_says_what_is_wrong(
        self, field: str, value: object, expected: str
    ) -> None:
        """Each problem reads as its path and a sentence a person can act on."""
        assert [expected] == said(placed_json(**{field: value}))

    def test_every_problem_is_reported_at_once_in_field_order(self) -> None:
        """Missing and unknown fields first (as the object is read), then each field's own
        problems, then what the type asks for."""
        data = {
            "event_id": "zl 1",
            "type": "order.placed",
            "marketplace": "Zalando",
            "order_ref": " 1",
            "occurred_at": "soon",
            "amount": "-1",
            "note": "x",
        }

        expected = [
            ("note", ProblemCode.UNKNOWN_FIELD),
            ("event_id", ProblemCode.WRONG_TYPE),
            ("marketplace", ProblemCode.WRONG_TYPE),
            ("order_ref", ProblemCode.WRONG_TYPE),
            ("occurred_at", ProblemCode.INVALID_DATETIME),
            ("currency", ProblemCode.REQUIRED),
        ]
        assert expected == found(data)

    def test_an_unknown_type_hides_the_fields_that_depend_on_it(self) -> None:
        """With an unknown type, currency, amount and reason are not judged: only the type
        (and the other common fields) are reported."""
        data = placed_json(type="order.lost", currency="XYZ", amount=-3, reason=42)

        assert [("type", ProblemCode.INVALID_CHOICE)] == found(data)

    def test_a_missing_type_hides_the_fields_that_depend_on_it(self) -> None:
        """With no type at all, a missing amount is not reported: only the missing type."""
        data = placed_json(type=_REMOVE, amount=_REMOVE, reason="")

        assert [("type", ProblemCode.REQUIRED)] == found(data)

    def test_the_type_is_listed_with_its_choices(self) -> None:
        """An unknown type says which types there are."""
        expected = [
            (
                "type: must be one of order.placed, order.paid, order.shipped, order.cancelled, "
                "order.refunded"
            )
        ]

        assert expected == said(placed_json(type="order.lost"))


class TestAmounts:
    @pytest.mark.parametrize("kind", ["order.placed", "order.paid", "order.refunded"])
    @pytest.mark.parametrize(
        ("removed", "expected"),
        [
            pytest.param(("currency",), [("currency", ProblemCode.REQUIRED)], id="no-currency"),
            pytest.param(("amount",), [("amount", ProblemCode.REQUIRED)], id="no-amount"),
            pytest.param(
                ("currency", "amount"),
                [("currency", ProblemCode.REQUIRED), ("amount", ProblemCode.REQUIRED)],
                id="neither",
            ),
        ],
    )
    def test_events_with_money_require_currency_and_amount(
        self, kind: str, removed: tuple[str, ...], expected: list[tuple[str, ProblemCode]]
    ) -> None:
        """Placed, paid and refunded events must carry both a currency and an amount."""
        data = event_json(kind, **dict.fromkeys(removed, _REMOVE))

        assert expected == found(data)
        assert all(message.endswith(f"is required for {kind}") for message in said(data))

    @pytest.mark.parametrize("kind", ["order.shipped", "order.cancelled"])
    @pytest.mark.parametrize(
        ("added", "expected"),
        [
            pytest.param({"currency": "EUR"}, [("currency", ProblemCode.UNKNOWN_FIELD)], id="cur"),
            pytest.param({"amount": "1.00"}, [("amount", ProblemCode.UNKNOWN_FIELD)], id="amount"),
            pytest.param(
                AMOUNT,
                [("currency", ProblemCode.UNKNOWN_FIELD), ("amount", ProblemCode.UNKNOWN_FIELD)],
                id="both",
            ),
        ],
    )
    def test_events_without_money_refuse_currency_and_amount(
        self, kind: str, added: dict[str, object], expected: list[tuple[str, ProblemCode]]
    ) -> None:
        """Shipped and cancelled events carry no money: a currency or amount is unknown."""
        data = event_json(kind, **added)

        assert expected == found(data)
        assert all(message.endswith(f"is not a field of {kind}") for message in said(data))

    @pytest.mark.parametrize(
        ("currency", "code"),
        [
            pytest.param("XYZ", ProblemCode.UNKNOWN_CURRENCY, id="unknown"),
            pytest.param("eur", ProblemCode.UNKNOWN_CURRENCY, id="lower-case"),
            pytest.param("", ProblemCode.UNKNOWN_CURRENCY, id="empty"),
            pytest.param(978, ProblemCode.WRONG_TYPE, id="number"),
            pytest.param(None, ProblemCode.WRONG_TYPE, id="null"),
        ],
    )
    def test_an_unknown_currency_is_refused(self, currency: object, code: ProblemCode) -> None:
        """A currency that is no ISO 4217 code the core knows is refused at ``currency``."""
        assert [("currency", code)] == found(placed_json(currency=currency))

    def test_a_broken_currency_is_reported_alone(self) -> None:
        """An amount cannot be judged without its currency: only the currency is reported."""
        assert [("currency", ProblemCode.UNKNOWN_CURRENCY)] == found(
            placed_json(currency="XYZ", amount="1.234")
        )

    @pytest.mark.parametrize(
        ("amount", "currency", "code"),
        [
            pytest.param("0", "EUR", ProblemCode.OUT_OF_RANGE, id="zero"),
            pytest.param("0.00", "EUR", ProblemCode.OUT_OF_RANGE, id="zero-cents"),
            pytest.param("-0.00", "EUR", ProblemCode.OUT_OF_RANGE, id="minus-zero"),
            pytest.param("-1.00", "EUR", ProblemCode.OUT_OF_RANGE, id="negative"),
            pytest.param("1000000000000.01", "EUR", ProblemCode.OUT_OF_RANGE, id="huge"),
            pytest.param("24.001", "EUR", ProblemCode.TOO_PRECISE, id="finer-than-cents"),
            pytest.param("1.5", "JPY", ProblemCode.TOO_PRECISE, id="finer-than-yen"),
            pytest.param("1.2345", "BHD", ProblemCode.TOO_PRECISE, id="finer-than-fils"),
            pytest.param(24, "EUR", ProblemCode.INVALID_DECIMAL, id="int"),
            pytest.param(24.0, "EUR", ProblemCode.INVALID_DECIMAL, id="float"),
            pytest.param(None, "EUR", ProblemCode.INVALID_DECIMAL, id="null"),
            pytest.param("24,00", "EUR", ProblemCode.INVALID_DECIMAL, id="comma"),
            pytest.param("2.4e1", "EUR", ProblemCode.INVALID_DECIMAL, id="exponent"),
            pytest.param("1" * 41, "EUR", ProblemCode.INVALID_DECIMAL, id="41-digits"),
        ],
    )
    def test_a_bad_amount_is_refused(
        self, amount: object, currency: str, code: ProblemCode
    ) -> None:
        """Zero, negative, huge, too precise or non-decimal amounts are one problem at
        ``amount``."""
        assert [("amount", code)] == found(placed_json(currency=currency, amount=amount))


class TestReasons:
    @pytest.mark.parametrize("kind", ["order.placed", "order.paid", "order.shipped"])
    def test_only_cancelled_and_refunded_events_give_a_reason(self, kind: str) -> None:
        """A reason on a placed, paid or shipped event is an unknown field."""
        data = event_json(kind, reason="because")

        assert [("reason", ProblemCode.UNKNOWN_FIELD)] == found(data)
        assert [f"reason: is not a field of {kind}"] == said(data)

    @pytest.mark.parametrize("kind", ["order.cancelled", "order.refunded"])
    @pytest.mark.parametrize(
        ("reason", "code"),
        [
            pytest.param("", ProblemCode.REQUIRED, id="empty"),
            pytest.param(" \t", ProblemCode.REQUIRED, id="blank"),
            pytest.param("x" * 201, ProblemCode.OUT_OF_RANGE, id="too-long"),
            pytest.param(42, ProblemCode.WRONG_TYPE, id="number"),
            pytest.param("late\x00", ProblemCode.WRONG_TYPE, id="nul"),
            pytest.param("two\nlines", ProblemCode.WRONG_TYPE, id="newline"),
        ],
    )
    def test_a_blank_or_long_reason_is_refused(
        self, kind: str, reason: object, code: ProblemCode
    ) -> None:
        """A reason must say something, in at most 200 characters."""
        assert [("reason", code)] == found(event_json(kind, reason=reason))

    def test_a_reason_of_200_characters_is_accepted(self) -> None:
        """The longest reason is accepted as given."""
        actual = decode_event(event_json("order.cancelled", reason="x" * 200)).unwrap()

        assert "x" * 200 == actual.reason


# ---------------------------------------------------------------- batches


class TestReadingBatches:
    def test_a_bad_event_is_refused_and_the_others_accepted(self) -> None:
        """Each item is read on its own: indexes count from ``first_index``; a refused item
        keeps its id when it is readable, None otherwise."""
        paid = event_json("order.paid", event_id="zl-1001-2")
        items: list[object] = [
            placed_json(),
            "not an event",
            placed_json(event_id="zl-1001-3", amount="0"),
            placed_json(event_id="zl 1001 4", amount="0"),
            paid,
            placed_json(event_id=42, order_ref=""),
        ]

        reading = read_batch(items, first_index=1)

        expected = ((1, event(PLACED, "24.00")), (5, event(PAID, "24.00", event_id="zl-1001-2")))
        assert expected == reading.accepted
        assert [2, 3, 4, 6] == [rejection.index for rejection in reading.rejected]
        assert [None, "zl-1001-3", None, None] == [r.event_id for r in reading.rejected]

    def test_a_rejection_holds_every_problem_of_its_event(self) -> None:
        """A rejection carries what `decode_event` found, at the same paths."""
        bad = placed_json(event_id="zl-9", amount="-1.00", colour="red")

        reading = read_batch([bad])

        assert () == reading.accepted
        assert (Rejection(0, "zl-9", decode_event(bad).failure()),) == reading.rejected

    def test_indexes_start_at_zero(self) -> None:
        """Without ``first_index``, the first item is index 0."""
        reading = read_batch([placed_json(), {}])

        assert [0] == [index for index, _ in reading.accepted]
        assert [1] == [rejection.index for rejection in reading.rejected]

    def test_an_empty_batch_is_read_as_nothing(self) -> None:
        """No items, no events and no rejections."""
        reading = read_batch([], first_index=10)

        assert ((), ()) == (reading.accepted, reading.rejected)


# ---------------------------------------------------------------- encoding


class TestEncodingEvents:
    @pytest.mark.parametrize(
        "data",
        [
            pytest.param(placed_json(), id="placed"),
            pytest.param(event_json("order.paid", currency="JPY", amount="1200"), id="paid"),
            pytest.param(event_json("order.shipped"), id="shipped"),
            pytest.param(event_json("order.cancelled"), id="cancelled"),
            pytest.param(event_json("order.cancelled", reason="out of stock"), id="reason"),
            pytest.param(
                event_json("order.refunded", currency="BHD", amount="1.5", reason="damaged"),
                id="refunded",
            ),
            pytest.param(placed_json(occurred_at="2026-12-05T23:59:59.5-09:30"), id="offset"),
        ],
    )
    def test_an_encoded_event_decodes_to_itself(self, data: dict[str, object]) -> None:
        """Encoding a read event and reading it again gives the same event."""
        read = decode_event(data).unwrap()

        assert read == decode_event(encode_event(read)).unwrap()

    def test_an_event_is_encoded_as_plain_json(self) -> None:
        """The moment in ISO 8601 with its offset; the amount as a string with the
        currency's decimal places."""
        expected = {
            "event_id": "zl-1001-1",
            "type": "order.refunded",
            "marketplace": "zalando",
            "order_ref": "1001",
            "occurred_at": "2026-12-05T10:00:00+00:00",
            "currency": "EUR",
            "amount": "4.50",
            "reason": "damaged",
        }

        assert expected == encode_event(event(REFUNDED, "4.5", reason="damaged"))

    def test_an_event_without_money_or_reason_leaves_them_out(self) -> None:
        """No currency, amount or reason keys for an event that has none."""
        assert {"event_id", "type", "marketplace", "order_ref", "occurred_at"} == set(
            encode_event(event(SHIPPED))
        )


# ---------------------------------------------------------------- folding


class TestApplyingEvents:
    def test_the_first_event_starts_the_order(self) -> None:
        """A placed event alone: its total, currency and moment; nothing paid or refunded."""
        expected = MarketplaceOrder(
            marketplace="zalando",
            order_ref="1001",
            currency=EUR,
            status=MarketplaceStatus.PLACED,
            total=Decimal("24.00"),
            paid=Decimal(0),
            refunded=Decimal(0),
            seen=frozenset({PLACED}),
            events=1,
            last_event_at=AT,
            placed_at=AT,
        )

        assert expected == apply_event(None, event(PLACED, "24.00")).unwrap()

    def test_an_order_placed_again_takes_the_latest_total_whatever_arrives_first(self) -> None:
        """A correction (a later placed event) wins in either order; of two placed at the
        same moment, the larger total does."""
        first = event(PLACED, "24.00")
        correction = attrs.evolve(event(PLACED, "20.00"), occurred_at=AT + timedelta(hours=1))
        same_moment = event(PLACED, "30.00")

        for events in ((first, correction), (correction, first)):
            assert fold(*events).total == Decimal("20.00")
        for events in ((first, same_moment), (same_moment, first)):
            assert fold(*events).total == Decimal("30.00")

    def test_the_currency_is_unknown_until_an_amount_arrives(self) -> None:
        """A shipped event first leaves currency and total unknown; a paid one sets the
        currency, not the total."""
        shipped = fold(event(SHIPPED))
        paid = apply_event(shipped, event(PAID, "10.00", currency=USD)).unwrap()

        assert (None, None) == (shipped.currency, shipped.total)
        assert (USD, None, Decimal("10.00")) == (paid.currency, paid.total, paid.paid)

    def test_an_event_without_money_keeps_the_currency(self) -> None:
        """Once known, the currency stays through events without an amount."""
        order = fold(event(PLACED, "24.00"), event(SHIPPED), event(CANCELLED))

        assert EUR == order.currency

    def test_an_amount_in_another_currency_is_refused(self) -> None:
        """An order in EUR refuses a USD payment, at ``currency``."""
        order = fold(event(PLACED, "24.00"))

        actual = apply_event(order, event(PAID, "24.00", currency=USD))

        expected = Problem("currency", ProblemCode.MIXED_CURRENCIES, "is USD, the order is in EUR")
        assert Failure(expected) == actual

    @pytest.mark.parametrize(
        "other",
        [
            pytest.param(event(PAID, "24.00", order_ref="1002"), id="other-order-ref"),
            pytest.param(event(PAID, "24.00", marketplace="otto"), id="other-marketplace"),
        ],
    )
    def test_an_event_of_another_order_is_refused(self, other: FeedEvent) -> None:
        """An event of another order (another reference, or the same reference at another
        marketplace) is refused at ``order_ref``."""
        order = fold(event(PLACED, "24.00"))

        actual = apply_event(order, other)

        expected = Problem("order_ref", ProblemCode.NOT_FOUND, "the event is about another order")
        assert Failure(expected) == actual

    def test_amounts_add_up_and_events_are_counted(self) -> None:
        """Payments and refunds add up; every event is counted, a repeated one twice."""
        order = fold(
            event(PLACED, "30.00"),
            event(PAID, "10.00"),
            event(PAID, "20.00"),
            event(REFUNDED, "5.00"),
            event(REFUNDED, "5.00"),
        )

        assert (Decimal("30.00"), Decimal("30.00"), Decimal("10.00"), 5) == (
            order.total,
            order.paid,
            order.refunded,
            order.events,
        )
        assert frozenset({PLACED, PAID, REFUNDED}) == order.seen

    def test_the_last_event_moment_is_the_latest_whatever_the_order(self) -> None:
        """An earlier event arriving later does not move ``last_event_at`` back."""
        later = AT + timedelta(hours=2)

        order = fold(event(PAID, "24.00", at=later), event(PLACED, "24.00"), event(SHIPPED))

        assert later == order.last_event_at

    def test_moments_are_compared_across_offsets(self) -> None:
        """11:00+01:00 is 10:00Z: an event at 10:30Z is the latest."""
        berlin = datetime(2026, 12, 5, 11, 0, tzinfo=timezone(timedelta(hours=1)))
        latest = AT + timedelta(minutes=30)

        order = fold(event(PLACED, "24.00", at=latest), event(PAID, "24.00", at=berlin))

        assert latest == order.last_event_at

    @pytest.mark.parametrize(
        ("events", "expected"),
        [
            pytest.param([event(PLACED, "24.00")], MarketplaceStatus.PLACED, id="placed"),
            pytest.param(
                [event(PLACED, "24.00"), event(PAID, "24.00")], MarketplaceStatus.PAID, id="paid"
            ),
            pytest.param(
                [event(PLACED, "24.00"), event(PAID, "24.00"), event(SHIPPED)],
                MarketplaceStatus.SHIPPED,
                id="shipped",
            ),
            pytest.param(
                [event(PLACED, "24.00"), event(SHIPPED)],
                MarketplaceStatus.SHIPPED,
                id="shipped-unpaid",
            ),
            pytest.param(
                [event(PLACED, "24.00"), event(PAID, "24.00"), event(REFUNDED, "4.00")],
                MarketplaceStatus.PAID,
                id="partial-refund-stays-paid",
            ),
            pytest.param(
                [event(PAID, "24.00"), event(SHIPPED), event(REFUNDED, "4.00")],
                MarketplaceStatus.SHIPPED,
                id="partial-refund-stays-shipped",
            ),
            pytest.param(
                [event(PLACED, "24.00"), event(PAID, "24.00"), event(REFUNDED, "24.00")],
                MarketplaceStatus.REFUNDED,
                id="full-refund",
            ),
            pytest.param(
                [event(PAID, "24.00"), event(SHIPPED), event(REFUNDED, "24.00")],
                MarketplaceStatus.REFUNDED,
                id="full-refund-after-shipping",
            ),
            pytest.param(
                [event(REFUNDED, "24.00")],
                MarketplaceStatus.REFUNDED,
                id="refund-before-payment",
            ),
            pytest.param(
                [event(PLACED, "24.00"), event(CANCELLED)],
                MarketplaceStatus.CANCELLED,
                id="cancelled",
            ),
            pytest.param(
                [event(PAID, "24.00"), event(SHIPPED), event(REFUNDED, "24.00"), event(CANCELLED)],
                MarketplaceStatus.CANCELLED,
                id="cancelled-wins",
            ),
        ],
    )
    def test_the_status_follows_from_the_facts(
        self, events: list[FeedEvent], expected: MarketplaceStatus
    ) -> None:
        """Cancelled wins; a refund of all that was paid is refunded; a partial refund keeps
        the order paid or shipped; then shipped, paid, placed."""
        assert expected == fold(*events).status
        assert expected == fold(*reversed(events)).status


class TestStatusOf:
    @pytest.mark.parametrize(
        ("seen", "paid", "refunded", "expected"),
        [
            pytest.param(set(), "0", "0", MarketplaceStatus.PLACED, id="nothing"),
            pytest.param({PLACED}, "0", "0", MarketplaceStatus.PLACED, id="placed"),
            pytest.param({PAID}, "10", "0", MarketplaceStatus.PAID, id="paid"),
            pytest.param({PAID, SHIPPED}, "10", "0", MarketplaceStatus.SHIPPED, id="shipped"),
            pytest.param({PAID, REFUNDED}, "10", "3", MarketplaceStatus.PAID, id="partly"),
            pytest.param({PAID, REFUNDED}, "10", "10", MarketplaceStatus.REFUNDED, id="fully"),
            pytest.param({PAID, REFUNDED}, "10", "12", MarketplaceStatus.REFUNDED, id="over"),
            pytest.param(
                {PAID, SHIPPED, REFUNDED}, "10", "3", MarketplaceStatus.SHIPPED, id="shipped-part"
            ),
            pytest.param({CANCELLED}, "0", "0", MarketplaceStatus.CANCELLED, id="cancelled"),
            pytest.param(
                {CANCELLED, PAID, SHIPPED, REFUNDED},
                "10",
                "3",
                MarketplaceStatus.CANCELLED,
                id="cancel-wins",
            ),
        ],
    )
    def test_status_of(
        self, seen: set[EventType], paid: str, refunded: str, expected: MarketplaceStatus
    ) -> None:
        """The status is a function of the kinds seen and the sums paid and refunded."""
        assert expected == status_of(frozenset(seen), Decimal(paid), Decimal(refunded))


class TestReadingQueuedEvents:
    @pytest.mark.parametrize(
        "data",
        [
            pytest.param({}, id="empty"),
            pytest.param({**ENCODED_PAID, "type": "order.lost"}, id="unknown-type"),
            pytest.param({**ENCODED_PAID, "currency": "EURO"}, id="unknown-currency"),
            pytest.param({**ENCODED_PAID, "occurred_at": "soon"}, id="bad-moment"),
        ],
    )
    def test_what_intake_never_queues_raises(self, data: dict[str, object]) -> None:
        """A message not written by intake fails loudly (its job is retried, then
        dead-lettered), never as an event made up of stand-ins."""
        with pytest.raises((KeyError, ValueError)):
            read_encoded(data)

    def test_a_reason_is_read_back(self) -> None:
        """A cancelled event keeps its reason and has no amount."""
        cancelled = {**ENCODED_PAID, "type": "order.cancelled", "reason": "out of stock"}
        del cancelled["amount"], cancelled["currency"]

        event = read_encoded(cancelled)

        assert (event.reason, event.amount) == ("out of stock", None)
