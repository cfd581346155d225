"""What is wrong with an input, said so that a person can find and fix it.

Every failure of the core carries one or more `Problem`s: the path of the
offending field (``lines[2].quantity``), a stable code a program can match on,
and a sentence for a person.
"""

from __future__ import annotations

import enum
from typing import TypeAlias, final

import attrs


class ProblemCode(enum.Enum):
    """The closed set of things that can be wrong with an input."""

    REQUIRED = "required"
    WRONG_TYPE = "wrong_type"
    UNKNOWN_FIELD = "unknown_field"
    NOT_POSITIVE_INTEGER = "not_positive_integer"
    OUT_OF_RANGE = "out_of_range"
    INVALID_DECIMAL = "invalid_decimal"
    INVALID_DATETIME = "invalid_datetime"
    INVALID_CHOICE = "invalid_choice"
    UNKNOWN_CURRENCY = "unknown_currency"
    TOO_PRECISE = "too_precise"
    MIXED_CURRENCIES = "mixed_currencies"
    UNKNOWN_TAX_CATEGORY = "unknown_tax_category"
    RATE_OUT_OF_RANGE = "rate_out_of_range"
    EMPTY_CART = "empty_cart"
    DUPLICATE = "duplicate"
    TOO_MANY = "too_many"
    INVALID_WINDOW = "invalid_window"
    NOT_FOUND = "not_found"


@final
@attrs.frozen
class Problem:
    """One thing wrong with an input: where, what kind, and in words."""

    path: str
    code: ProblemCode
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


Problems: TypeAlias = tuple[Problem, ...]
"""Every problem found in one input, in the order of the input."""


def at(path: str, field: str | int) -> str:
    """The path of ``field`` inside ``path``.

    >>> at("", "lines")
    'lines'
    >>> at("lines", 2)
    'lines[2]'
    >>> at("lines[2]", "quantity")
    'lines[2].quantity'
    """
    if isinstance(field, int):
        return f"{path}[{field}]"
    return f"{path}.{field}" if path else field
