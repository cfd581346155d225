"""`pulseshop repl`: a Python session for pricing what-ifs.

The session starts with the pricing API and these helpers loaded; ``from
pulseshop.shell.repl import *`` gives any Python session the same names. The what-if
helpers take strings where a person would type them (``"0.21"``, ``"half_up"``) and
raise `InvalidInputError` listing every problem instead of returning a `Result`.
"""

from __future__ import annotations

import code
import enum
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, TypeVar

from returns.pipeline import is_successful

from pulseshop.core import pricing
from pulseshop.core.money import (
    BHD,
    EUR,
    GBP,
    JPY,
    USD,
    Currency,
    Money,
    RoundingLevel,
    RoundingMode,
    RoundingPolicy,
    allocate,
    currency_of,
)
from pulseshop.core.pricing import *  # noqa: F403 - the session offers the whole pricing API
from pulseshop.core.pricing import whatif
from pulseshop.core.pricing.codec import encode_quote
from pulseshop.core.pricing.whatif import Comparison, compare, describe
from pulseshop.shell.errors import ShellError
from pulseshop.shell.pricing import InvalidInputError, price, problems_error
from pulseshop.shell.pricing import load_request as load
from pulseshop.shell.pricing import save_request as save

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from returns.result import Result

    from pulseshop.core.pricing import PriceRule, Quote, QuoteRequest
    from pulseshop.core.problems import Problems

__all__ = [
    "BHD",
    "EUR",
    "GBP",
    "JPY",
    "USD",
    "UTC",
    "Comparison",
    "Currency",
    "Decimal",
    "InvalidInputError",
    "Money",
    "RoundingLevel",
    "RoundingMode",
    "RoundingPolicy",
    "allocate",
    "compare",
    "currency_of",
    "datetime",
    "describe",
    "load",
    "price",
    "save",
    "show",
    "to_json",
    "with_coupons",
    "with_quantity",
    "with_rate",
    "with_rounding",
    "with_rule",
    "without_line",
    "without_rule",
]
__all__ += pricing.__all__

_T = TypeVar("_T")
_E = TypeVar("_E", bound=enum.Enum)

BANNER = """PulseShop pricing session. Try:
    request = load("cart.json")        # a quote request file
    before = price(request)            # a Quote; show(before) prints it as a table
    after = price(with_rate(request, "standard", "0.21"))
    compare(before, after)             # line and total differences
Also: with_quantity, without_line, with_rounding, with_rule, without_rule, with_coupons,
save(request, "path.json"), to_json(quote). help(name) explains each."""


def _unwrapped(changed: Result[_T, Problems]) -> _T:
    if not is_successful(changed):
        raise problems_error(changed.failure(), "cannot make that change")
    return changed.unwrap()


def show(priced: Quote) -> None:
    """Print a quote as a table of lines and totals."""
    print(describe(priced))  # noqa: T201 - showing is this helper's whole job


def to_json(priced: Quote) -> str:
    """A quote as the JSON `pulseshop price` prints."""
    return json.dumps(encode_quote(priced), indent=2, ensure_ascii=False)


def _decimal(name: str, value: Decimal | str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise InvalidInputError(f"{name} must be a decimal like '0.21', not {value!r}") from None


def with_rate(
    request: QuoteRequest, category: str, rate: Decimal | str, *, tax: str | None = None
) -> QuoteRequest:
    """``request`` with the taxes on ``category`` (or the one named ``tax``) at ``rate``."""
    return _unwrapped(whatif.with_rate(request, category, _decimal("rate", rate), tax=tax))


def with_quantity(request: QuoteRequest, sku: str, quantity: int) -> QuoteRequest:
    """``request`` with ``quantity`` of ``sku``."""
    return _unwrapped(whatif.with_quantity(request, sku, quantity))


def without_line(request: QuoteRequest, sku: str) -> QuoteRequest:
    """``request`` without the line for ``sku``."""
    return _unwrapped(whatif.without_line(request, sku))


def with_rounding(
    request: QuoteRequest,
    mode: RoundingMode | str | None = None,
    level: RoundingLevel | str | None = None,
) -> QuoteRequest:
    """``request`` rounded in ``mode`` ("half_up", ...) at ``level`` ("line" or "order")."""
    return _unwrapped(
        whatif.with_rounding(
            request,
            mode=None if mode is None else _choice("mode", RoundingMode, mode),
            level=None if level is None else _choice("level", RoundingLevel, level),
        )
    )


def _choice(name: str, kind: type[_E], value: _E | str) -> _E:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(repr(member.value) for member in kind)
        raise InvalidInputError(f"{name} must be one of {choices}, not {value!r}") from None


def with_rule(request: QuoteRequest, rule: PriceRule) -> QuoteRequest:
    """``request`` with ``rule`` added, or replacing the rule with its id."""
    return _unwrapped(whatif.with_rule(request, rule))


def without_rule(request: QuoteRequest, rule_id: str) -> QuoteRequest:
    """``request`` without the rule ``rule_id``."""
    return _unwrapped(whatif.without_rule(request, rule_id))


def with_coupons(request: QuoteRequest, *codes: str) -> QuoteRequest:
    """``request`` with exactly these coupon codes entered."""
    return _unwrapped(whatif.with_coupons(request, *codes))


class _Console(code.InteractiveConsole):
    """A console that shows a person's mistakes in one line, not as a traceback."""

    def showtraceback(self) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ShellError):
            self.write(f"error: {error}\n")
        else:
            super().showtraceback()


def namespace(request_files: Iterable[str | Path] = ()) -> dict[str, object]:
    """The names a session starts with, the given request files loaded into `requests`."""
    names: dict[str, object] = {name: globals()[name] for name in __all__}
    requests = [load(path) for path in request_files]
    names["requests"] = requests
    if requests:
        names["request"] = requests[0]
    return names


def interact(request_files: Iterable[str | Path] = ()) -> None:
    """Run the session on stdin and stdout until end of input or `exit()`."""
    _Console(namespace(request_files)).interact(banner=BANNER, exitmsg="")
