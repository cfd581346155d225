"""A cart as JSON: the snapshot the shell stores, and reading it back.

`cart_to_json` gives a value `json.dumps` takes as it is: times are ISO 8601 strings in
UTC (``+00:00``), the currency is its ISO 4217 code. `cart_from_json` reads such a value
back into the equal cart. It never raises: a malformed snapshot gives a Failure naming the
path of the first thing wrong with it.

>>> from datetime import UTC, datetime
>>> from pulseshop.core.money import EUR
>>> at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
>>> cart = Cart((CartLine("MUG-1", 2),), ("WINTER10",), EUR, 2, at, at, ("c-1", "c-2"))
>>> snapshot = cart_to_json(cart)
>>> snapshot["lines"], snapshot["currency"], snapshot["updated_at"]
([{'sku': 'MUG-1', 'quantity': 2}], 'EUR', '2026-12-04T10:00:00+00:00')
>>> cart_from_json(snapshot).unwrap() == cart
True
>>> cart_from_json({**snapshot, "lines": [{"sku": "MUG-1", "quantity": 0}]}).failure()
'lines[0].quantity: must be a whole number from 1 to 999'
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, TypeVar

from returns.pipeline import is_successful
from returns.result import Failure, Result, Success

from pulseshop.core.cart.state import (
    MAX_COMMAND_ID,
    MAX_LINE_QUANTITY,
    MAX_LINES,
    REMEMBERED_COMMANDS,
    Cart,
    CartLine,
)
from pulseshop.core.catalog import is_sku
from pulseshop.core.money import currency_of
from pulseshop.core.pricing.rules import normalise_code
from pulseshop.core.problems import at

if TYPE_CHECKING:
    from collections.abc import Callable

    from pulseshop.core.money import Currency

__all__ = ["SNAPSHOT_FORMAT", "cart_from_json", "cart_to_json"]

SNAPSHOT_FORMAT: Final = 1
"""The version of the snapshot's layout, stored in it as ``format``: a reader refuses a
layout it does not know rather than guess."""

_FIELDS: Final = (
    "format",
    "lines",
    "coupons",
    "currency",
    "version",
    "created_at",
    "updated_at",
    "recent_commands",
)
_T = TypeVar("_T")


class _MalformedError(Exception):
    """What is wrong, and where; caught in `cart_from_json`, never raised past it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)


def cart_to_json(cart: Cart) -> dict[str, object]:
    """The snapshot of ``cart``: plain dicts, lists, strings, ints and None.

    >>> cart_to_json(Cart())
    ... # doctest: +NORMALIZE_WHITESPACE
    {'format': 1, 'lines': [], 'coupons': [], 'currency': None, 'version': 0,
     'created_at': None, 'updated_at': None, 'recent_commands': []}
    """
    return {
        "format": SNAPSHOT_FORMAT,
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in cart.lines],
        "coupons": list(cart.coupons),
        "currency": None if cart.currency is None else cart.currency.code,
        "version": cart.version,
        "created_at": _moment_text(cart.created_at),
        "updated_at": _moment_text(cart.updated_at),
        "recent_commands": list(cart.recent_commands),
    }


def cart_from_json(data: object) -> Result[Cart, str]:
    """The cart a snapshot holds, or the path and the first thing wrong with it.

    Besides the shape, it checks what every cart `evolve` makes satisfies: SKUs once each,
    quantities from 1 to `MAX_LINE_QUANTITY`, coupons upper-cased and once each, a
    currency exactly when there are lines, times exactly when the version is not 0.

    >>> cart_from_json([]).failure()
    'a cart snapshot must be an object'
    >>> cart_from_json({"format": 2}).failure()
    'format: must be 1'
    """
    try:
        return Success(_cart(data))
    except _MalformedError as error:
        return Failure(str(error))


def _moment_text(moment: datetime | None) -> str | None:
    # In UTC: an equal moment, written the way every reader parses. Offsets finer than a
    # minute (which datetime allows) are not RFC 3339, and Python 3.11 misreads some.
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _cart(data: object) -> Cart:
    if not isinstance(data, dict):
        raise _MalformedError("", "a cart snapshot must be an object")
    layout = data.get("format")
    # `type(...) is int`: JSON's true and 1.0 equal 1 in Python but are not this layout.
    if type(layout) is not int or layout != SNAPSHOT_FORMAT:
        raise _MalformedError("format", f"must be {SNAPSHOT_FORMAT}")
    for name in data:
        if name not in _FIELDS:
            raise _MalformedError(at("", str(name)), "is not a field of a cart snapshot")
    for name in _FIELDS:
        if name not in data:
            raise _MalformedError(name, "is required")
    lines = tuple(_list_of("lines", data["lines"], _line))
    if len({line.sku for line in lines}) < len(lines):
        raise _MalformedError("lines", "must name each SKU once")
    if len(lines) > MAX_LINES:
        raise _MalformedError("lines", f"must have at most {MAX_LINES} items")
    coupons = tuple(_list_of("coupons", data["coupons"], _coupon))
    if len(set(coupons)) < len(coupons):
        raise _MalformedError("coupons", "must name each coupon once")
    currency = _currency(data["currency"], has_lines=bool(lines))
    version = _whole("version", data["version"], 0, None)
    created_at = _moment("created_at", data["created_at"], version)
    updated_at = _moment("updated_at", data["updated_at"], version)
    commands = tuple(_list_of("recent_commands", data["recent_commands"], _command_id))
    if len(commands) > min(version, REMEMBERED_COMMANDS):
        most = f"at most {REMEMBERED_COMMANDS} items, and no more than the version"
        raise _MalformedError("recent_commands", f"must have {most}")
    return Cart(lines, coupons, currency, version, created_at, updated_at, commands)


def _list_of(path: str, value: object, read: Callable[[str, object], _T]) -> list[_T]:
    if not isinstance(value, list):
        raise _MalformedError(path, "must be a list")
    return [read(at(path, index), item) for index, item in enumerate(value)]


def _line(path: str, value: object) -> CartLine:
    if not isinstance(value, dict) or set(value) != {"sku", "quantity"}:
        raise _MalformedError(path, "must be an object with exactly sku and quantity")
    sku = value["sku"]
    if not isinstance(sku, str) or not is_sku(sku):
        raise _MalformedError(at(path, "sku"), "must be a SKU such as MUG-1")
    quantity = _whole(at(path, "quantity"), value["quantity"], 1, MAX_LINE_QUANTITY)
    return CartLine(sku, quantity)


def _coupon(path: str, value: object) -> str:
    if not isinstance(value, str) or not value or normalise_code(value) != value:
        raise _MalformedError(path, "must be a coupon code, upper-cased, without blanks around")
    return value


def _command_id(path: str, value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_COMMAND_ID:
        raise _MalformedError(path, f"must be a command id of 1 to {MAX_COMMAND_ID} characters")
    return value


def _whole(path: str, value: object, least: int, most: int | None) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < least
        or (most is not None and value > most)
    ):
        bounds = f"from {least} to {most}" if most is not None else f"of at least {least}"
        raise _MalformedError(path, f"must be a whole number {bounds}")
    return value


def _currency(value: object, *, has_lines: bool) -> Currency | None:
    if value is None and not has_lines:
        return None
    if not has_lines:
        raise _MalformedError("currency", "must be null when there are no lines")
    if not isinstance(value, str):
        raise _MalformedError("currency", "must be the ISO 4217 code of the lines' currency")
    known = currency_of(value)
    if not is_successful(known):
        raise _MalformedError("currency", known.failure())
    return known.unwrap()


def _moment(path: str, value: object, version: int) -> datetime | None:
    if value is None and version == 0:
        return None
    if value is None or version == 0:
        raise _MalformedError(path, "must be null exactly when the version is 0")
    if not isinstance(value, str):
        raise _MalformedError(path, "must be an ISO 8601 date-time string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _MalformedError(path, "must be an ISO 8601 date-time") from None
    if moment.utcoffset() is None:
        raise _MalformedError(path, "must say its offset from UTC (Z or +01:00, say)")
    return moment
