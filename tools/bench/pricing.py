"""Quotes per second for a 20-line cart with 5 rules and 2 tax rates.

The same cart is priced two ways in the same run: by `pulseshop.core.pricing.quote`, and by
a straight-line function over plain `Decimal`s that hard-codes the cart's rules. Both must
give the same amounts to the cent before anything is timed; the figure that matters is the
ratio of their throughputs (the goal is at least 25% of the baseline's).

A missed goal is reported, not failed: this is a benchmark. Different amounts are a failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Final, NamedTuple

from returns.result import Failure, Success

from pulseshop.core.money import EUR, Money, RoundingLevel, RoundingMode, RoundingPolicy
from pulseshop.core.pricing import (
    AmountOffLines,
    BuyXGetY,
    DiscountClass,
    Line,
    LineSelector,
    MinSubtotal,
    PercentOffLines,
    PercentOffOrder,
    PriceRule,
    Quote,
    QuoteRequest,
    TaxPolicy,
    Tier,
    TieredUnitPrice,
    quote,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

GOAL: Final = Decimal(25)
"""The least acceptable throughput, as a percentage of the baseline's."""

CENT: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")


class Row(NamedTuple):
    """A cart line as plain values: what both the request and the baseline are built from."""

    sku: str
    price: Decimal
    quantity: int
    tax_category: str
    category: str


RATES: Final = {"standard": Decimal("0.20"), "reduced": Decimal("0.055")}

# In SKU order, the order the quote allocates in (ties in an allocation go to the earliest).
CART: Final = tuple(
    Row(sku, Decimal(price), quantity, tax_category, category)
    for sku, price, quantity, tax_category, category in (
        ("BOOK-01", "12.90", 1, "reduced", "books"),
        ("BOOK-02", "24.50", 2, "reduced", "books"),
        ("COFFEE-01", "6.90", 3, "reduced", "coffee"),
        ("COFFEE-02", "6.75", 6, "reduced", "coffee"),
        ("COFFEE-03", "6.95", 12, "reduced", "coffee"),
        ("GIFT-01", "19.99", 1, "standard", "gifts"),
        ("GIFT-02", "34.00", 2, "standard", "gifts"),
        ("KITCH-01", "4.75", 4, "standard", "kitchen"),
        ("KITCH-02", "15.60", 1, "standard", "kitchen"),
        ("KITCH-03", "29.95", 2, "standard", "kitchen"),
        ("MUG-01", "9.99", 3, "standard", "kitchen"),
        ("SNACK-01", "2.49", 5, "reduced", "snacks"),
        ("SNACK-02", "1.85", 8, "reduced", "snacks"),
        ("SNACK-03", "3.10", 2, "reduced", "snacks"),
        ("TEA-01", "4.99", 3, "reduced", "tea"),
        ("TEA-02", "7.45", 2, "reduced", "tea"),
        ("TEA-03", "12.80", 1, "reduced", "tea"),
        ("TEA-04", "3.35", 7, "reduced", "tea"),
        ("TOOL-01", "22.40", 1, "standard", "kitchen"),
        ("TOOL-02", "5.55", 9, "standard", "kitchen"),
    )
)

# The five rules, applied in this order (highest priority first), all combinable.
COFFEE_TIERS: Final = ((10, Decimal("5.80")), (5, Decimal("6.20")))
"""Volume prices for coffee: (from this many units, unit price), highest tier first."""
TEA_PERCENT: Final = Decimal(10)
AMOUNT_OFF: Final = Decimal("1.50")
AMOUNT_OFF_SKUS: Final = frozenset({"MUG-01", "TEA-03", "TOOL-02"})
SNACKS_BUY, SNACKS_GET, SNACKS_PERCENT = 2, 1, Decimal(50)
ORDER_PERCENT: Final = Decimal(5)
ORDER_MINIMUM: Final = Decimal("100.00")


def build_request() -> QuoteRequest:
    """The benchmark cart as a quote request: EUR, prices without tax, tax rounded per line."""
    both = frozenset({DiscountClass.PRODUCT, DiscountClass.ORDER})
    coffee = LineSelector(categories=frozenset({"coffee"}))
    rules = (
        PriceRule(
            id="COFFEE-VOLUME",
            action=TieredUnitPrice(
                tuple(Tier(least, Money(price, EUR)) for least, price in reversed(COFFEE_TIERS)),
                coffee,
            ),
            priority=40,
            combines_with=both,
        ),
        PriceRule(
            id="TEA-10",
            action=PercentOffLines(TEA_PERCENT, LineSelector(categories=frozenset({"tea"}))),
            priority=30,
            combines_with=both,
        ),
        PriceRule(
            id="PICKS-150",
            action=AmountOffLines(Money(AMOUNT_OFF, EUR), LineSelector(skus=AMOUNT_OFF_SKUS)),
            priority=20,
            combines_with=both,
        ),
        PriceRule(
            id="SNACKS-3-FOR-2",
            action=BuyXGetY(
                SNACKS_BUY,
                SNACKS_GET,
                SNACKS_PERCENT,
                LineSelector(categories=frozenset({"snacks"})),
            ),
            priority=10,
            combines_with=both,
        ),
        PriceRule(
            id="ORDER-5",
            action=PercentOffOrder(ORDER_PERCENT),
            conditions=(MinSubtotal(Money(ORDER_MINIMUM, EUR)),),
            combines_with=both,
        ),
    )
    return QuoteRequest(
        currency=EUR,
        lines=tuple(
            Line(row.sku, Money(row.price, EUR), row.quantity, row.tax_category, row.category)
            for row in CART
        ),
        at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
        tax_policy=TaxPolicy.flat(RATES),
        rounding=RoundingPolicy(RoundingMode.HALF_EVEN, RoundingLevel.LINE),
        rules=rules,
    )


# ---------------------------------------------------------------- the baseline


class BaselineLine(NamedTuple):
    """One priced line of the baseline."""

    sku: str
    discount: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


class BaselineQuote(NamedTuple):
    """The baseline's lines and totals."""

    lines: tuple[BaselineLine, ...]
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal


def baseline_quote(cart: Sequence[Row]) -> BaselineQuote:
    """The benchmark cart priced with nothing but Decimal, its rules written out by hand."""
    listed = [row.price * row.quantity for row in cart]
    left = listed[:]
    # Coffee volume prices, then 10% off tea, then a fixed amount off a few SKUs.
    for index, row in enumerate(cart):
        if row.category == "coffee":
            for least, price in COFFEE_TIERS:
                if row.quantity >= least:
                    left[index] = min(left[index], price * row.quantity)
                    break
        elif row.category == "tea":
            off = (left[index] * TEA_PERCENT / 100).quantize(CENT, ROUND_HALF_EVEN)
            left[index] -= off
        if row.sku in AMOUNT_OFF_SKUS:
            left[index] -= min(AMOUNT_OFF, left[index])
    # Snacks: buy two, get one at half price; the cheapest units are the ones discounted.
    snacks = sorted(
        (left[index] / row.quantity, row.sku, index)
        for index, row in enumerate(cart)
        if row.category == "snacks"
    )
    cheap = sum(cart[index].quantity for _, _, index in snacks)
    cheap = cheap // (SNACKS_BUY + SNACKS_GET) * SNACKS_GET
    for unit, _sku, index in snacks:
        if cheap == 0:
            break
        count = min(cheap, cart[index].quantity)
        cheap -= count
        off = (unit * count * SNACKS_PERCENT / 100).quantize(CENT, ROUND_HALF_EVEN)
        left[index] -= min(off, left[index])
    # 5% off the order over a minimum, split over the lines by largest remainder, in cents.
    subtotal = sum(listed, ZERO)
    if subtotal >= ORDER_MINIMUM:
        order_off = (sum(left, ZERO) * ORDER_PERCENT / 100).quantize(CENT, ROUND_HALF_EVEN)
        for index, part in enumerate(_split_cents(order_off, left)):
            left[index] -= part
    lines = tuple(
        _taxed(row.sku, listed_amount, net, RATES[row.tax_category])
        for row, listed_amount, net in zip(cart, listed, left, strict=True)
    )
    return BaselineQuote(
        lines=lines,
        subtotal=subtotal,
        discount_total=sum((line.discount for line in lines), ZERO),
        tax_total=sum((line.tax for line in lines), ZERO),
        total=sum((line.gross for line in lines), ZERO),
    )


def _split_cents(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    cents = int(amount * 100)
    scaled = [int(weight * 100) for weight in weights]
    whole = sum(scaled)
    shares = [divmod(cents * weight, whole) for weight in scaled]
    parts = [share for share, _ in shares]
    by_remainder = sorted(range(len(parts)), key=lambda index: (-shares[index][1], index))
    for index in by_remainder[: cents - sum(parts)]:
        parts[index] += 1
    return [Decimal(part).scaleb(-2) for part in parts]


def _taxed(sku: str, listed: Decimal, net: Decimal, rate: Decimal) -> BaselineLine:
    tax = (net * rate).quantize(CENT, ROUND_HALF_EVEN)
    return BaselineLine(sku, listed - net, net, tax, net + tax)


# ---------------------------------------------------------------- checking and timing


def differences(priced: Quote, expected: BaselineQuote) -> list[str]:
    """Every amount where the quote and the baseline disagree (empty when they agree)."""
    found: list[str] = []
    if len(priced.lines) != len(expected.lines):
        return [f"{len(priced.lines)} quote lines, {len(expected.lines)} baseline lines"]
    for line, baseline in zip(priced.lines, expected.lines, strict=True):
        pairs = (
            ("sku", line.sku, baseline.sku),
            ("discount", line.discount.amount, baseline.discount),
            ("net", line.net.amount, baseline.net),
            ("tax", line.tax.amount, baseline.tax),
            ("gross", line.gross.amount, baseline.gross),
        )
        found.extend(
            f"{line.sku} {field}: quote {ours}, baseline {theirs}"
            for field, ours, theirs in pairs
            if ours != theirs
        )
    totals = (
        ("subtotal", priced.subtotal.amount, expected.subtotal),
        ("discount_total", priced.discount_total.amount, expected.discount_total),
        ("tax_total", priced.tax_total.amount, expected.tax_total),
        ("total", priced.total.amount, expected.total),
    )
    found.extend(
        f"{field}: quote {ours}, baseline {theirs}"
        for field, ours, theirs in totals
        if ours != theirs
    )
    return found


def rate(work: Callable[[], object], calls: int) -> float:
    """Calls of ``work`` per second, over ``calls`` calls."""
    started = time.perf_counter()
    for _ in range(calls):
        work()
    return calls / (time.perf_counter() - started)


def calls_per_round(work: Callable[[], object], seconds: float) -> int:
    """How many calls of ``work`` take about ``seconds``."""
    calls = 1
    while True:
        started = time.perf_counter()
        for _ in range(calls):
            work()
        elapsed = time.perf_counter() - started
        if elapsed >= seconds / 4:
            return max(1, round(calls * seconds / elapsed))
        calls *= 2


def main(argv: Sequence[str] | None = None) -> int:
    """Check that both agree, time both, print the ratio; 1 when the amounts differ."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds each (best counts)")
    parser.add_argument(
        "--seconds", type=float, default=0.5, help="length of one round, in seconds"
    )
    options = parser.parse_args(argv)

    request = build_request()
    match quote(request):
        case Success(priced):
            pass
        case Failure(problems):
            print(f"the benchmark request is invalid: {problems}", file=sys.stderr)
            return 1
    unapplied = {rule.id for rule in request.rules} - {
        applied.rule_id for applied in priced.applied_rules
    }
    if unapplied:
        print(f"rules that did not apply: {', '.join(sorted(unapplied))}", file=sys.stderr)
        return 1
    mismatches = differences(priced, baseline_quote(CART))
    if mismatches:
        print("the quote and the baseline disagree:", file=sys.stderr)
        for mismatch in mismatches:
            print(f"  {mismatch}", file=sys.stderr)
        return 1

    def ours() -> object:
        return quote(request)

    def theirs() -> object:
        return baseline_quote(CART)

    ours_calls = calls_per_round(ours, options.seconds)
    theirs_calls = calls_per_round(theirs, options.seconds)
    ours_rate = theirs_rate = 0.0
    # Alternate the two so that a slow patch of the machine hits both alike; the best round counts.
    for _ in range(options.rounds):
        ours_rate = max(ours_rate, rate(ours, ours_calls))
        theirs_rate = max(theirs_rate, rate(theirs, theirs_calls))
    ratio = 100 * ours_rate / theirs_rate
    print(f"cart: {len(CART)} lines, {len(request.rules)} rules, {len(RATES)} tax rates")
    print(f"pulseshop quote:  {ours_rate:12,.0f} quotes/s")
    print(f"Decimal baseline: {theirs_rate:12,.0f} quotes/s")
    print(f"ratio: {ratio:.1f}% of the baseline (goal: >= {GOAL}%)")
    print("goal met" if ratio >= GOAL else "goal NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
