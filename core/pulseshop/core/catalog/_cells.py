"""Reading one cell: its value, or what is wrong with it.

These are the thorough checks. The parser's hot path tries a cheaper test first that only
ever accepts valid cells, and asks these functions whenever that test does not pass, so
they alone decide what is an error and what each message says.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Final, TypeAlias

from returns.pipeline import is_successful

from pulseshop.core.catalog.columns import ACTIVE_WORDS
from pulseshop.core.catalog.errors import RowErrorCode
from pulseshop.core.catalog.product import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_STOCK,
    is_identifier,
    is_sku,
)
from pulseshop.core.money import MAX_AMOUNT, currency_of

if TYPE_CHECKING:
    from pulseshop.core.money import Currency

CellProblem: TypeAlias = tuple[RowErrorCode, str]
"""A code and a message; the caller adds the line and the column."""

AMOUNT: Final = re.compile(r"([0-9]+)(?:\.([0-9]+))?").fullmatch
"""A plain decimal number: ASCII digits, optionally a point and more digits."""

_SHOWN = 40


def shown(text: str) -> str:
    """``text`` quoted for a message, cut short when long."""
    if len(text) > _SHOWN:
        return f"{text[:_SHOWN]!r}... ({len(text)} characters)"
    return repr(text)


def sku_problem(text: str) -> CellProblem:
    """What is wrong with a cell that is not a SKU."""
    if not text:
        return RowErrorCode.REQUIRED, "a SKU is required"
    hint = ""
    if is_sku(text.upper()):
        hint = f" (upper case: {text.upper()!r})"
    elif is_sku(text.strip()):
        hint = " (remove the blanks around it)"
    return (
        RowErrorCode.INVALID_SKU,
        (
            f"{shown(text)} is not a SKU: use 1-64 upper-case letters, digits, '-', '_' and "
            f"'.', starting with a letter or a digit{hint}"
        ),
    )


def name_problem(text: str) -> CellProblem | None:
    """What is wrong with a product name, if anything."""
    if not text or text.isspace():
        return RowErrorCode.REQUIRED, "a name is required"
    if len(text) > MAX_NAME:
        return RowErrorCode.TOO_LONG, f"has {len(text)} characters, at most {MAX_NAME} are allowed"
    return None


def description_problem(text: str) -> CellProblem | None:
    """What is wrong with a description, if anything (empty means none)."""
    if len(text) > MAX_DESCRIPTION:
        return (
            RowErrorCode.TOO_LONG,
            f"has {len(text)} characters, at most {MAX_DESCRIPTION} are allowed",
        )
    return None


def identifier_problem(text: str, what: str, *, required: bool) -> CellProblem | None:
    """What is wrong with a category or tax category name (``what`` says which), if
    anything."""
    if not text:
        return (RowErrorCode.REQUIRED, f"a {what} is required") if required else None
    if is_identifier(text):
        return None
    hint = f" (lower case: {text.lower()!r})" if is_identifier(text.lower()) else ""
    return (
        RowErrorCode.INVALID_IDENTIFIER,
        (
            f"{shown(text)} is not a {what} name: use 1-64 lower-case letters, digits, '_' "
            f"and '-', starting with a letter or a digit{hint}"
        ),
    )


def read_currency(code: str) -> Currency | CellProblem:
    """The currency with this ISO 4217 code."""
    if not code:
        return RowErrorCode.REQUIRED, "a currency is required"
    found = currency_of(code)
    if is_successful(found):
        return found.unwrap()
    hint = f" (upper case: {code.upper()!r})" if is_successful(currency_of(code.upper())) else ""
    return RowErrorCode.UNKNOWN_CURRENCY, f"{shown(code)} is not an ISO 4217 currency code{hint}"


def read_amount(text: str, exponent: int | None) -> Decimal | CellProblem:
    """A price: a plain decimal from 0 to MAX_AMOUNT, in whole minor units of a currency
    with ``exponent`` decimal places (not checked when the currency is unknown: None)."""
    match = AMOUNT(text)
    if match is None:
        return _amount_format_problem(text)
    amount = Decimal(text)
    if amount > MAX_AMOUNT:
        return RowErrorCode.OUT_OF_RANGE, f"{shown(text)} is more than {MAX_AMOUNT:f}"
    places = match[2]
    # Counted on the text, so the answer is exact whatever the decimal context.
    if exponent is not None and places is not None and len(places.rstrip("0")) > exponent:
        return (
            RowErrorCode.TOO_PRECISE,
            f"{shown(text)} has more decimal places than the currency's {exponent}",
        )
    return amount


def _amount_format_problem(text: str) -> CellProblem:
    if not text:
        return RowErrorCode.REQUIRED, "a price is required"
    if text.startswith("-") and AMOUNT(text[1:]):
        return RowErrorCode.OUT_OF_RANGE, f"{shown(text)} is negative"
    hint = ""
    if "," in text:
        hint = ": use '.' for decimals and no thousands separators"
    elif text != text.strip():
        hint = ": remove the blanks around it"
    return (
        RowErrorCode.INVALID_DECIMAL,
        f"{shown(text)} is not a decimal number like 12.50{hint}",
    )


def read_stock(text: str) -> int | CellProblem:
    """A stock count: a whole number from 0 to MAX_STOCK, in ASCII digits only."""
    if text.isascii() and text.isdigit():
        digits = text.lstrip("0") or "0"
        if len(digits) <= len(str(MAX_STOCK)) and int(digits) <= MAX_STOCK:
            return int(digits)
        return RowErrorCode.OUT_OF_RANGE, f"{shown(text)} is more than {MAX_STOCK}"
    if not text:
        return RowErrorCode.REQUIRED, "a stock count is required"
    if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
        return RowErrorCode.OUT_OF_RANGE, f"{shown(text)} is negative"
    return RowErrorCode.INVALID_INTEGER, f"{shown(text)} is not a whole number like 12"


def read_active(text: str) -> bool | CellProblem:
    """Whether the product is sold: true/false, yes/no, 1/0 in any case; empty means true."""
    active = ACTIVE_WORDS.get(text.lower())
    if active is None:
        return (
            RowErrorCode.INVALID_BOOLEAN,
            f"{shown(text)} is not one of true, false, yes, no, 1, 0 (or empty for true)",
        )
    return active
