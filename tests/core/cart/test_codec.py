"""Cart snapshots as JSON: the round trip, and every way a snapshot can be malformed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from returns.result import Failure

from pulseshop.core.cart import (
    EMPTY_CART,
    MAX_LINES,
    REMEMBERED_COMMANDS,
    SNAPSHOT_FORMAT,
    ApplyCoupon,
    Cart,
    CartLine,
    cart_from_json,
    cart_to_json,
)
from pulseshop.core.money import BHD, EUR
from tests.core.cart._builders import MUG, NOW, TEA, add, run

pytestmark = pytest.mark.unit

PARIS = timezone(timedelta(hours=1))
SNAPSHOT: dict[str, object] = {
    "format": SNAPSHOT_FORMAT,
    "lines": [{"sku": "MUG-1", "quantity": 2}],
    "coupons": ["WINTER10"],
    "currency": "EUR",
    "version": 3,
    "created_at": "2026-12-04T10:00:00+00:00",
    "updated_at": "2026-12-04T11:30:00.000001+01:00",
    "recent_commands": ["c-1", "c-2", "c-3"],
}
"""A valid snapshot, changed one field at a time below."""

_LINE = {"sku": "MUG-1", "quantity": 1}


class TestRoundTrip:
    def test_the_snapshot_is_plain_json(self) -> None:
        """Every value survives json.dumps and json.loads."""
        cart = run(add("c-1", MUG, 2), add("c-2", TEA), ApplyCoupon("c-3", "w", known=True))

        snapshot = cart_to_json(cart)

        assert snapshot == json.loads(json.dumps(snapshot))
        assert cart == cart_from_json(json.loads(json.dumps(snapshot))).unwrap()

    def test_a_known_snapshot_reads_as_its_cart(self) -> None:
        """Times with any offset read as their moment; the currency by its code."""
        cart = Cart(
            lines=(CartLine("MUG-1", 2),),
            coupons=("WINTER10",),
            currency=EUR,
            version=3,
            created_at=NOW,
            updated_at=datetime(2026, 12, 4, 11, 30, 0, 1, tzinfo=PARIS),
            recent_commands=("c-1", "c-2", "c-3"),
        )

        assert cart == cart_from_json(SNAPSHOT).unwrap()

    def test_times_are_written_in_utc(self) -> None:
        """The same moment, written with +00:00 whatever offset it had."""
        cart = cart_from_json(SNAPSHOT).unwrap()

        snapshot = cart_to_json(cart)

        assert "2026-12-04T10:30:00.000001+00:00" == snapshot["updated_at"]
        assert {**SNAPSHOT, "updated_at": snapshot["updated_at"]} == snapshot

    def test_empty_and_three_digit_currency_carts_round_trip(self) -> None:
        """The empty cart and a cart in dinars come back equal."""
        dinars = Cart((CartLine("A", 1),), (), BHD, 1, NOW, NOW, ("c",))

        for cart in (EMPTY_CART, dinars):
            assert cart == cart_from_json(cart_to_json(cart)).unwrap()


def _with(**fields: object) -> dict[str, object]:
    return {**SNAPSHOT, **fields}


def _without(name: str) -> dict[str, object]:
    return {key: value for key, value in SNAPSHOT.items() if key != name}


MALFORMED: list[tuple[object, str]] = [
    ([], "a cart snapshot must be an object"),
    (_without("format"), "format: must be 1"),
    (_with(format=True), "format: must be 1"),
    (_with(format=1.0), "format: must be 1"),
    (_with(format=2), "format: must be 1"),
    (_with(owner="u-1"), "owner: is not a field of a cart snapshot"),
    (_without("coupons"), "coupons: is required"),
    (_with(lines={}), "lines: must be a list"),
    (_with(lines=["MUG-1"]), "lines[0]: must be an object with exactly sku and quantity"),
    (
        _with(lines=[{**_LINE, "price": "1"}]),
        "lines[0]: must be an object with exactly sku and quantity",
    ),
    (_with(lines=[{"sku": "mug", "quantity": 1}]), "lines[0].sku: must be a SKU such as MUG-1"),
    (_with(lines=[{"sku": 1, "quantity": 1}]), "lines[0].sku: must be a SKU such as MUG-1"),
    (
        _with(lines=[_LINE, {"sku": "TEA-1", "quantity": True}]),
        "lines[1].quantity: must be a whole number from 1 to 999",
    ),
    (
        _with(lines=[{"sku": "TEA-1", "quantity": 1000}]),
        "lines[0].quantity: must be a whole number from 1 to 999",
    ),
    (
        _with(lines=[{"sku": "TEA-1", "quantity": "2"}]),
        "lines[0].quantity: must be a whole number from 1 to 999",
    ),
    (_with(lines=[_LINE, _LINE]), "lines: must name each SKU once"),
    (
        _with(lines=[{"sku": f"P{i}", "quantity": 1} for i in range(MAX_LINES + 1)]),
        "lines: must have at most 100 items",
    ),
    (_with(coupons="W"), "coupons: must be a list"),
    (_with(coupons=[""]), "coupons[0]: must be a coupon code, upper-cased, without blanks around"),
    (_with(coupons=["w"]), "coupons[0]: must be a coupon code, upper-cased, without blanks around"),
    (
        _with(coupons=[" W"]),
        "coupons[0]: must be a coupon code, upper-cased, without blanks around",
    ),
    (_with(coupons=[1]), "coupons[0]: must be a coupon code, upper-cased, without blanks around"),
    (_with(coupons=["W", "W"]), "coupons: must name each coupon once"),
    (_with(currency=None), "currency: must be the ISO 4217 code of the lines' currency"),
    (_with(currency=978), "currency: must be the ISO 4217 code of the lines' currency"),
    (_with(currency="EURO"), "currency: 'EURO' is not an ISO 4217 currency code"),
    (_with(lines=[]), "currency: must be null when there are no lines"),
    (_with(version=-1), "version: must be a whole number of at least 0"),
    (_with(version=False), "version: must be a whole number of at least 0"),
    (_with(created_at=None), "created_at: must be null exactly when the version is 0"),
    (
        _with(version=0, created_at=None, recent_commands=[]),
        "updated_at: must be null exactly when the version is 0",
    ),
    (_with(created_at=0), "created_at: must be an ISO 8601 date-time string"),
    (_with(created_at="yesterday"), "created_at: must be an ISO 8601 date-time"),
    (
        _with(updated_at="2026-12-04T10:00:00"),
        "updated_at: must say its offset from UTC (Z or +01:00, say)",
    ),
    (
        _with(recent_commands=[""]),
        "recent_commands[0]: must be a command id of 1 to 100 characters",
    ),
    (_with(recent_commands=[7]), "recent_commands[0]: must be a command id of 1 to 100 characters"),
    (
        _with(recent_commands=["a", "b", "c", "d"]),
        "recent_commands: must have at most 128 items, and no more than the version",
    ),
    (
        _with(version=500, recent_commands=[f"c-{i}" for i in range(REMEMBERED_COMMANDS + 1)]),
        "recent_commands: must have at most 128 items, and no more than the version",
    ),
]


class TestMalformed:
    @pytest.mark.parametrize(("data", "message"), MALFORMED)
    def test_a_malformed_snapshot_fails_naming_its_path(self, data: object, message: str) -> None:
        """Never an exception: a Failure with the path and what is wrong."""
        assert Failure(message) == cart_from_json(data)

    def test_a_snapshot_with_z_for_utc_reads(self) -> None:
        """Z is an offset too."""
        cart = cart_from_json(_with(created_at="2026-12-04T10:00:00Z")).unwrap()

        assert datetime(2026, 12, 4, 10, 0, tzinfo=UTC) == cart.created_at
