"""Reading parsed JSON into the core's values, noting every problem with its path.

A `JsonReader` never raises: a malformed value is noted as a `Problem` at its path and a
stand-in takes its place, so a decoder can read on and report everything wrong at once.
The quote contract (`pulseshop.core.pricing.codec`) and the order-event feed
(`pulseshop.core.orders.feed`) read their JSON with it.

>>> reader = JsonReader()
>>> reader.integer("lines[0].quantity", "2")
0
>>> [str(problem) for problem in reader.problems]
['lines[0].quantity: must be an integer']
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final, TypeVar, final

from returns.pipeline import is_successful

from pulseshop.core.money import Currency, currency_of
from pulseshop.core.problems import Problem, ProblemCode, at

if TYPE_CHECKING:
    import enum
    from collections.abc import Callable

_T = TypeVar("_T")
_E = TypeVar("_E", bound="enum.Enum")

DECIMAL_PATTERN: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")
"""A decimal string: digits, optionally a point and more digits, optionally a minus."""
MAX_DECIMAL_DIGITS: Final = 40
"""The longest decimal string read (longer ones are refused before any arithmetic)."""


@final
class JsonReader:
    """Reads JSON values, noting each problem and standing in for bad values."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, code: ProblemCode, message: str) -> None:
        self.problems.append(Problem(path, code, message))

    def fields(
        self, path: str, value: object, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> dict[str, object] | None:
        """A JSON object: names its missing and unknown fields; None when not an object."""
        if not isinstance(value, dict):
            self.fail(path, ProblemCode.WRONG_TYPE, "must be an object")
            return None
        for name in required:
            if name not in value:
                self.fail(at(path, name), ProblemCode.REQUIRED, "is required")
        known = set(required) | set(optional)
        for name in value:
            if name not in known:
                self.fail(at(path, str(name)), ProblemCode.UNKNOWN_FIELD, "is not a known field")
        return {str(name): item for name, item in value.items() if name in known}

    def list_of(self, path: str, value: object, read: Callable[[str, object], _T]) -> list[_T]:
        """A JSON list, read item by item. A bad item is read as a stand-in, never dropped,
        so each item keeps its index and `validate` names the same paths as the input."""
        if not isinstance(value, list):
            self.fail(path, ProblemCode.WRONG_TYPE, "must be a list")
            return []
        return [read(at(path, index), item) for index, item in enumerate(value)]

    def text(self, path: str, value: object, default: str = "") -> str:
        if not isinstance(value, str):
            self.fail(path, ProblemCode.WRONG_TYPE, "must be a string")
            return default
        return value

    def optional_text(self, path: str, value: object) -> str | None:
        return None if value is None else self.text(path, value)

    def texts(self, path: str, value: object) -> frozenset[str]:
        return frozenset(self.list_of(path, value, self.text))

    def boolean(self, path: str, value: object) -> bool:
        if not isinstance(value, bool):
            self.fail(path, ProblemCode.WRONG_TYPE, "must be true or false")
            return False
        return value

    def integer(self, path: str, value: object, default: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, ProblemCode.WRONG_TYPE, "must be an integer")
            return default
        return value

    def decimal(self, path: str, value: object) -> Decimal:
        """A decimal string such as "12.30"; a stand-in zero when it is not one."""
        if not isinstance(value, str):
            self.fail(path, ProblemCode.INVALID_DECIMAL, 'must be a decimal string such as "12.30"')
            return Decimal(0)
        if len(value) > MAX_DECIMAL_DIGITS or not DECIMAL_PATTERN.fullmatch(value):
            self.fail(path, ProblemCode.INVALID_DECIMAL, f"{value[:50]!r} is not a decimal number")
            return Decimal(0)
        number = Decimal(value)
        # "-0.0" is zero: without its sign, so it never comes back out as "-0.0".
        return number.copy_abs() if number.is_zero() else number

    def moment(self, path: str, value: object) -> datetime:
        """An ISO 8601 date and time with its UTC offset."""
        stand_in = datetime(2000, 1, 1, tzinfo=UTC)
        if not isinstance(value, str):
            self.fail(path, ProblemCode.INVALID_DATETIME, "must be an ISO 8601 date-time string")
            return stand_in
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(
                path, ProblemCode.INVALID_DATETIME, f"{value[:50]!r} is not an ISO 8601 date-time"
            )
            return stand_in
        if moment.tzinfo is None:
            self.fail(
                path, ProblemCode.INVALID_DATETIME, "must include a UTC offset (say Z or +01:00)"
            )
            return stand_in
        return moment

    def choice(self, path: str, value: object, kind: type[_E], default: _E) -> _E:
        for member in kind:
            if member.value == value:
                return member
        names = ", ".join(str(member.value) for member in kind)
        self.fail(path, ProblemCode.INVALID_CHOICE, f"must be one of {names}")
        return default

    def currency(self, path: str, value: object, fallback: Currency) -> Currency:
        """A known ISO 4217 code such as "EUR"; ``fallback`` when it is not one."""
        code = self.text(path, value, default=fallback.code)
        found = currency_of(code)
        if not is_successful(found):
            self.fail(path, ProblemCode.UNKNOWN_CURRENCY, found.failure())
            return fallback
        return found.unwrap()
