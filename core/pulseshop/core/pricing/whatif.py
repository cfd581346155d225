"""What-ifs: change one thing about a quote request, price both, and see what moved.

Each change returns a new request (requests are immutable) or a `Failure` naming what
it could not find; `compare` lines two quotes up as a table of line and total changes.

>>> from datetime import UTC, datetime
>>> from decimal import Decimal
>>> from pulseshop.core.money import EUR, Money
>>> from pulseshop.core.pricing import Line, QuoteRequest, TaxPolicy, quote
>>> request = QuoteRequest(
...     EUR,
...     (Line("MUG-1", Money.of("12.00", EUR), 2, "standard"),
...      Line("TEA-7", Money.of("4.50", EUR), 3, "reduced")),
...     datetime(2026, 12, 4, tzinfo=UTC),
...     TaxPolicy.flat({"standard": "0.20", "reduced": "0.055"}),
... )
>>> changed = with_rate(request, "standard", Decimal("0.21")).bind(
...     lambda changed: with_quantity(changed, "TEA-7", 4))
>>> print(compare(quote(request).unwrap(), quote(changed.unwrap()).unwrap()))
                   before       after      change
MUG-1 x2        EUR 28.80   EUR 29.04   +EUR 0.24
TEA-7 x3 → x4   EUR 14.24   EUR 18.99   +EUR 4.75
subtotal        EUR 37.50   EUR 42.00   +EUR 4.50
discount         EUR 0.00    EUR 0.00           =
shipping         EUR 0.00    EUR 0.00           =
tax              EUR 5.54    EUR 6.03   +EUR 0.49
total           EUR 43.04   EUR 48.03   +EUR 4.99
>>> with_quantity(request, "NOPE", 1).failure()[0].message
"no line has SKU 'NOPE'"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

import attrs
from returns.result import Failure, Result, Success

from pulseshop.core.money import RoundingLevel, RoundingMode, RoundingPolicy
from pulseshop.core.pricing.tax import Tax
from pulseshop.core.problems import Problem, ProblemCode, Problems

if TYPE_CHECKING:
    from decimal import Decimal

    from pulseshop.core.money import Money
    from pulseshop.core.pricing.request import QuoteRequest
    from pulseshop.core.pricing.result import Quote, QuoteLine
    from pulseshop.core.pricing.rules import PriceRule

__all__ = [
    "Comparison",
    "ComparisonRow",
    "compare",
    "describe",
    "with_coupons",
    "with_quantity",
    "with_rate",
    "with_rounding",
    "with_rule",
    "without_line",
    "without_rule",
]

_ABSENT: Final = "—"
_UNCHANGED: Final = "="


def with_rate(
    request: QuoteRequest, category: str, rate: Decimal, *, tax: str | None = None
) -> Result[QuoteRequest, Problems]:
    """The request with every tax on ``category`` (or only the one named ``tax``) at ``rate``.

    A category no tax covers yet gets a tax named ``tax`` (or "tax") everywhere. The rate
    is checked when the request is quoted, like any other.
    """
    taxes = request.tax_policy.taxes
    targets = [t for t in taxes if t.category == category and (tax is None or t.name == tax)]
    if targets:
        changed = tuple(attrs.evolve(t, rate=rate) if t in targets else t for t in taxes)
    else:
        changed = (*taxes, Tax(tax or "tax", category, rate))
    return Success(
        attrs.evolve(request, tax_policy=attrs.evolve(request.tax_policy, taxes=changed))
    )


def with_quantity(request: QuoteRequest, sku: str, quantity: int) -> Result[QuoteRequest, Problems]:
    """The request with ``quantity`` of ``sku`` (checked when quoted, like any quantity)."""
    if not any(line.sku == sku for line in request.lines):
        return Failure((_no_line(sku),))
    lines = tuple(
        attrs.evolve(line, quantity=quantity) if line.sku == sku else line for line in request.lines
    )
    return Success(attrs.evolve(request, lines=lines))


def without_line(request: QuoteRequest, sku: str) -> Result[QuoteRequest, Problems]:
    """The request without the line for ``sku``."""
    lines = tuple(line for line in request.lines if line.sku != sku)
    if len(lines) == len(request.lines):
        return Failure((_no_line(sku),))
    return Success(attrs.evolve(request, lines=lines))


def with_rounding(
    request: QuoteRequest,
    *,
    mode: RoundingMode | None = None,
    level: RoundingLevel | None = None,
) -> Result[QuoteRequest, Problems]:
    """The request rounded with ``mode`` and/or at ``level``; what is not given stays."""
    rounding = RoundingPolicy(mode or request.rounding.mode, level or request.rounding.level)
    return Success(attrs.evolve(request, rounding=rounding))


def with_rule(request: QuoteRequest, rule: PriceRule) -> Result[QuoteRequest, Problems]:
    """The request with ``rule`` added, or replacing the rule with the same id."""
    others = tuple(existing for existing in request.rules if existing.id != rule.id)
    return Success(attrs.evolve(request, rules=(*others, rule)))


def without_rule(request: QuoteRequest, rule_id: str) -> Result[QuoteRequest, Problems]:
    """The request without the rule ``rule_id``."""
    rules = tuple(rule for rule in request.rules if rule.id != rule_id)
    if len(rules) == len(request.rules):
        return Failure((Problem("rules", ProblemCode.NOT_FOUND, f"no rule has id {rule_id!r}"),))
    return Success(attrs.evolve(request, rules=rules))


def with_coupons(request: QuoteRequest, *codes: str) -> Result[QuoteRequest, Problems]:
    """The request with exactly these coupon codes entered."""
    return Success(attrs.evolve(request, coupons=codes))


def _no_line(sku: str) -> Problem:
    return Problem("lines", ProblemCode.NOT_FOUND, f"no line has SKU {sku!r}")


@final
@attrs.frozen
class ComparisonRow:
    """One row of a comparison: a line (by SKU) or a total, before and after."""

    label: str
    before: Money | None
    after: Money | None

    @property
    def change(self) -> Money | None:
        """After less before; None when either side is missing or currencies differ."""
        if self.before is None or self.after is None:
            return None
        if self.before.currency != self.after.currency:
            return None
        return self.after - self.before


@final
@attrs.frozen(repr=False)
class Comparison:
    """Two quotes side by side: each line's gross, then each total."""

    lines: tuple[ComparisonRow, ...]
    totals: tuple[ComparisonRow, ...]

    @property
    def changed(self) -> tuple[ComparisonRow, ...]:
        """The rows whose amount moved (or that exist on one side only)."""
        return tuple(
            row
            for row in (*self.lines, *self.totals)
            if row.change is None or row.change.amount != 0
        )

    def __str__(self) -> str:
        rows = [("", "before", "after", "change")]
        rows += [
            (row.label, _shown(row.before), _shown(row.after), _change(row))
            for row in (*self.lines, *self.totals)
        ]
        label_width = max(len(row[0]) for row in rows)
        widths = [max(len(row[column]) for row in rows) for column in (1, 2, 3)]
        return "\n".join(
            "   ".join(
                [
                    label.ljust(label_width),
                    *(cell.rjust(w) for cell, w in zip(cells, widths, strict=True)),
                ]
            ).rstrip()
            for label, *cells in rows
        )

    __repr__ = __str__  # an interactive session shows the table


def compare(before: Quote, after: Quote) -> Comparison:
    """Line up two quotes: lines by SKU (in the order first seen), then the totals."""
    skus = list(dict.fromkeys([line.sku for line in (*before.lines, *after.lines)]))
    lines = tuple(_line_row(sku, before.line(sku), after.line(sku)) for sku in skus)
    totals = tuple(
        ComparisonRow(label, getattr(before, field), getattr(after, field))
        for label, field in (
            ("subtotal", "subtotal"),
            ("discount", "discount_total"),
            ("shipping", "shipping_total"),
            ("tax", "tax_total"),
            ("total", "total"),
        )
    )
    return Comparison(lines, totals)


def _line_row(sku: str, before: QuoteLine | None, after: QuoteLine | None) -> ComparisonRow:
    quantities = [f"x{line.quantity}" for line in (before, after) if line is not None]
    if len(quantities) == 2 and quantities[0] == quantities[1]:
        quantities.pop()
    label = f"{sku} {' → '.join(quantities)}"
    return ComparisonRow(label, before.gross if before else None, after.gross if after else None)


def describe(priced: Quote) -> str:
    """A quote as a table: each line's figures, then the order's totals.

    >>> from datetime import UTC, datetime
    >>> from pulseshop.core.money import JPY, Money
    >>> from pulseshop.core.pricing import Line, QuoteRequest, TaxPolicy, quote
    >>> lines = (Line("TEA-7", Money.of(450, JPY), 3, "reduced"),)
    >>> at = datetime(2026, 12, 4, tzinfo=UTC)
    >>> policy = TaxPolicy.flat({"reduced": "0.08"})
    >>> print(describe(quote(QuoteRequest(JPY, lines, at, policy)).unwrap()))
    sku     qty      unit   discount         net       tax       gross
    TEA-7     3   JPY 450      JPY 0   JPY 1,350   JPY 108   JPY 1,458
    subtotal JPY 1,350, discount JPY 0, shipping JPY 0, tax JPY 108, total JPY 1,458
    """
    header = ("sku", "qty", "unit", "discount", "net", "tax", "gross")
    rows = [header] + [
        (
            line.sku,
            str(line.quantity),
            *(
                _grouped(amount)
                for amount in (line.unit_price, line.discount, line.net, line.tax, line.gross)
            ),
        )
        for line in priced.lines
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    table = [
        "   ".join(
            [
                row[0].ljust(widths[0]),
                *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
            ]
        )
        for row in rows
    ]
    totals = ", ".join(
        f"{label} {_grouped(amount)}"
        for label, amount in (
            ("subtotal", priced.subtotal),
            ("discount", priced.discount_total),
            ("shipping", priced.shipping_total),
            ("tax", priced.tax_total),
            ("total", priced.total),
        )
    )
    return "\n".join([*table, totals])


def _grouped(amount: Money) -> str:
    return f"{amount.currency.code} {amount.amount:,f}"


def _shown(amount: Money | None) -> str:
    return _ABSENT if amount is None else str(amount)


def _change(row: ComparisonRow) -> str:
    change = row.change
    if change is None:
        return _ABSENT
    if change.amount == 0:
        return _UNCHANGED
    if change.amount > 0:
        return f"+{change}"
    return f"-{-change}"
