"""Everything wrong with a quote request, each problem named by its path.

Paths use the JSON contract's field names (``lines[2].quantity``,
``rules[0].action.percent``) so a message means the same from Python and from JSON.
The checks on single values are functions of their own; the JSON decoder uses them too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_never

from returns.pipeline import is_successful

from pulseshop.core.money import MAX_AMOUNT, Currency, Money, currency_of, fits_exponent
from pulseshop.core.pricing.request import MAX_LINES, MAX_QUANTITY
from pulseshop.core.pricing.rules import (
    AmountOffLines,
    AmountOffOrder,
    BuyXGetY,
    CouponCode,
    CustomerGroupIs,
    DateWindow,
    FixedUnitPrice,
    FreeShipping,
    HasItems,
    MinQuantity,
    MinSubtotal,
    PercentOffLines,
    PercentOffOrder,
    Tier,
    TieredUnitPrice,
)
from pulseshop.core.pricing.tax import ShippingTaxMode
from pulseshop.core.problems import Problem, ProblemCode, Problems, at

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

    from pulseshop.core.pricing.request import Line, QuoteRequest
    from pulseshop.core.pricing.rules import Action, Condition, PriceRule
    from pulseshop.core.pricing.tax import TaxPolicy

MAX_RATE_PLACES = 10
MAX_TEXT = 200


def validate(request: QuoteRequest) -> Problems:
    """Every problem with ``request``, in the order of its fields; empty when it is valid."""
    # Most requests are valid, and the checks below build a path for every field they look
    # at. A quick pass of plain comparisons clears a valid request without building any.
    if _clears(request):
        return ()
    problems: list[Problem] = []
    currency = request.currency
    if not _is_known(currency):
        problems.append(
            Problem("currency", ProblemCode.UNKNOWN_CURRENCY, f"{currency.code!r} is unknown")
        )
    problems.extend(_tax_policy_problems(request.tax_policy))
    problems.extend(_lines_problems(request, currency))
    problems.extend(_rules_problems(request.rules, currency))
    for index, code in enumerate(request.coupons):
        problems.extend(text_problems(at("coupons", index), code))
    if request.shipping is not None:
        problems.extend(money_problems("shipping", request.shipping, currency))
    for rule_id, usage in request.usage.items():
        for field in ("total", "customer"):
            count = getattr(usage, field)
            problems.extend(count_problems(at(at("usage", rule_id), field), count, minimum=0))
    problems.extend(datetime_problems("at", request.at))
    return tuple(problems)


def _is_known(currency: Currency) -> bool:
    known = currency_of(currency.code)
    return is_successful(known) and known.unwrap() == currency


# ---------------------------------------------------------------- single values


def money_problems(path: str, money: Money, currency: Currency) -> list[Problem]:
    """A price or amount: in the quote's currency, between 0 and MAX_AMOUNT, whole minor units."""
    if money.currency != currency:
        return [
            Problem(
                path,
                ProblemCode.MIXED_CURRENCIES,
                f"is in {money.currency.code}, the quote is in {currency.code}",
            )
        ]
    return amount_problems(path, money.amount, currency)


def amount_problems(path: str, amount: Decimal, currency: Currency) -> list[Problem]:
    """An amount of ``currency``: not negative, not huge, no finer than the minor unit."""
    if amount < 0:
        return [Problem(path, ProblemCode.OUT_OF_RANGE, "must not be negative")]
    if amount > MAX_AMOUNT:
        return [Problem(path, ProblemCode.OUT_OF_RANGE, f"must be at most {MAX_AMOUNT:f}")]
    if not fits_exponent(amount, currency.exponent):
        places = currency.exponent
        return [
            Problem(
                path,
                ProblemCode.TOO_PRECISE,
                f"{amount} has more decimal places than {currency.code} allows ({places})",
            )
        ]
    return []


def rate_problems(path: str, rate: Decimal) -> list[Problem]:
    """A tax rate: a fraction in [0, 1] with at most MAX_RATE_PLACES decimal places."""
    if not (rate.is_finite() and 0 <= rate <= 1):
        return [
            Problem(path, ProblemCode.RATE_OUT_OF_RANGE, f"must be between 0 and 1, got {rate}")
        ]
    if not fits_exponent(rate, MAX_RATE_PLACES):
        return [
            Problem(
                path, ProblemCode.TOO_PRECISE, f"has more than {MAX_RATE_PLACES} decimal places"
            )
        ]
    return []


def percent_problems(path: str, percent: Decimal) -> list[Problem]:
    """A percentage between 0 and 100, as precise as a rate (MAX_RATE_PLACES - 2 places)."""
    if not (percent.is_finite() and 0 <= percent <= 100):
        return [
            Problem(path, ProblemCode.OUT_OF_RANGE, f"must be between 0 and 100, got {percent}")
        ]
    if not fits_exponent(percent, MAX_RATE_PLACES - 2):
        places = MAX_RATE_PLACES - 2
        return [Problem(path, ProblemCode.TOO_PRECISE, f"has more than {places} decimal places")]
    return []


def count_problems(
    path: str, value: object, *, minimum: int, maximum: int | None = None
) -> list[Problem]:
    """An integer (not a bool) within bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        return [Problem(path, ProblemCode.WRONG_TYPE, "must be an integer")]
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        return [Problem(path, ProblemCode.OUT_OF_RANGE, f"must be at least {minimum}{upper}")]
    return []


def quantity_problems(path: str, value: object) -> list[Problem]:
    """A line quantity: a whole number from 1 to MAX_QUANTITY."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return [Problem(path, ProblemCode.NOT_POSITIVE_INTEGER, "must be a positive integer")]
    if value > MAX_QUANTITY:
        return [Problem(path, ProblemCode.OUT_OF_RANGE, f"must be at most {MAX_QUANTITY}")]
    return []


def text_problems(path: str, value: str) -> list[Problem]:
    """An identifier or name: not blank, at most MAX_TEXT characters."""
    if not value.strip():
        return [Problem(path, ProblemCode.REQUIRED, "must not be blank")]
    if len(value) > MAX_TEXT:
        return [Problem(path, ProblemCode.OUT_OF_RANGE, f"must be at most {MAX_TEXT} characters")]
    return []


def datetime_problems(path: str, value: datetime) -> list[Problem]:
    """A moment: it must say its offset from UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        return [
            Problem(
                path, ProblemCode.INVALID_DATETIME, "must include a UTC offset (say Z or +01:00)"
            )
        ]
    return []


# ---------------------------------------------------------------- parts of a request


def _tax_policy_problems(policy: TaxPolicy) -> list[Problem]:
    problems: list[Problem] = []
    for index, tax in enumerate(policy.taxes):
        path = at("taxes", index)
        problems.extend(text_problems(at(path, "name"), tax.name))
        problems.extend(text_problems(at(path, "category"), tax.category))
        problems.extend(rate_problems(at(path, "rate"), tax.rate))
    shipping = policy.shipping
    if shipping.mode is ShippingTaxMode.CATEGORY and shipping.category not in policy.categories:
        problems.append(
            Problem(
                "shipping_tax.category",
                ProblemCode.UNKNOWN_TAX_CATEGORY,
                f"{shipping.category!r} is not a tax category of the tax policy",
            )
        )
    return problems


def _lines_problems(request: QuoteRequest, currency: Currency) -> list[Problem]:
    lines = request.lines
    if not lines:
        return [Problem("lines", ProblemCode.EMPTY_CART, "the cart is empty")]
    if len(lines) > MAX_LINES:
        return [Problem("lines", ProblemCode.TOO_MANY, f"at most {MAX_LINES} lines")]
    categories = request.tax_policy.categories
    first_seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, line in enumerate(lines):
        path = at("lines", index)
        problems.extend(text_problems(at(path, "sku"), line.sku))
        if line.sku in first_seen:
            problems.append(
                Problem(
                    at(path, "sku"),
                    ProblemCode.DUPLICATE,
                    f"{line.sku!r} is already on lines[{first_seen[line.sku]}]",
                )
            )
        first_seen.setdefault(line.sku, index)
        problems.extend(money_problems(at(path, "unit_price"), line.unit_price, currency))
        problems.extend(quantity_problems(at(path, "quantity"), line.quantity))
        if line.tax_category not in categories:
            problems.append(
                Problem(
                    at(path, "tax_category"),
                    ProblemCode.UNKNOWN_TAX_CATEGORY,
                    f"{line.tax_category!r} is not a tax category of the tax policy",
                )
            )
    return problems


def _rules_problems(rules: tuple[PriceRule, ...], currency: Currency) -> list[Problem]:
    problems: list[Problem] = []
    first_seen: dict[str, int] = {}
    for index, rule in enumerate(rules):
        path = at("rules", index)
        problems.extend(text_problems(at(path, "id"), rule.id))
        if rule.id in first_seen:
            problems.append(
                Problem(
                    at(path, "id"),
                    ProblemCode.DUPLICATE,
                    f"{rule.id!r} is already the id of rules[{first_seen[rule.id]}]",
                )
            )
        first_seen.setdefault(rule.id, index)
        problems.extend(
            count_problems(at(path, "priority"), rule.priority, minimum=-(10**6), maximum=10**6)
        )
        if rule.max_discount is not None:
            problems.extend(money_problems(at(path, "max_discount"), rule.max_discount, currency))
        for field in ("usage_limit", "per_customer_limit"):
            limit = getattr(rule, field)
            if limit is not None:
                problems.extend(count_problems(at(path, field), limit, minimum=0))
        for number, condition in enumerate(rule.conditions):
            condition_path = at(at(path, "conditions"), number)
            problems.extend(_condition_problems(condition_path, condition, currency))
        problems.extend(_action_problems(at(path, "action"), rule.action, currency))
    return problems


def _condition_problems(path: str, condition: Condition, currency: Currency) -> list[Problem]:
    match condition:
        case MinSubtotal(amount):
            return money_problems(at(path, "amount"), amount, currency)
        case MinQuantity(quantity, _selector):
            return quantity_problems(at(path, "quantity"), quantity)
        case CustomerGroupIs(groups):
            if not groups:
                return [Problem(at(path, "groups"), ProblemCode.REQUIRED, "must name a group")]
            return []
        case CouponCode(code):
            return text_problems(at(path, "code"), code)
        case DateWindow(starts_at, ends_at):
            problems: list[Problem] = []
            for field, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
                if moment is not None:
                    problems.extend(datetime_problems(at(path, field), moment))
            if (
                not problems
                and starts_at is not None
                and ends_at is not None
                and ends_at <= starts_at
            ):
                problems.append(
                    Problem(
                        at(path, "ends_at"), ProblemCode.INVALID_WINDOW, "must be after starts_at"
                    )
                )
            return problems
        case HasItems():
            return []
        case _:
            assert_never(condition)


def _action_problems(path: str, action: Action, currency: Currency) -> list[Problem]:
    match action:
        case PercentOffLines(percent, _) | PercentOffOrder(percent):
            return percent_problems(at(path, "percent"), percent)
        case AmountOffLines(amount, _) | AmountOffOrder(amount):
            return money_problems(at(path, "amount"), amount, currency)
        case FixedUnitPrice(price, _):
            return money_problems(at(path, "price"), price, currency)
        case BuyXGetY(buy, get, percent, _):
            return [
                *quantity_problems(at(path, "buy"), buy),
                *quantity_problems(at(path, "get"), get),
                *percent_problems(at(path, "percent"), percent),
            ]
        case TieredUnitPrice(tiers, _):
            return _tiers_problems(at(path, "tiers"), tiers, currency)
        case FreeShipping():
            return []
        case _:
            assert_never(action)


def _tiers_problems(path: str, tiers: tuple[Tier, ...], currency: Currency) -> list[Problem]:
    if not tiers:
        return [Problem(path, ProblemCode.REQUIRED, "must list at least one tier")]
    problems: list[Problem] = []
    previous = 0
    for index, tier in enumerate(tiers):
        tier_path = at(path, index)
        quantity = quantity_problems(at(tier_path, "min_quantity"), tier.min_quantity)
        problems.extend(quantity)
        if not quantity and tier.min_quantity <= previous:
            problems.append(
                Problem(
                    at(tier_path, "min_quantity"),
                    ProblemCode.OUT_OF_RANGE,
                    "tiers must be in increasing order of min_quantity",
                )
            )
        if not quantity:
            previous = tier.min_quantity
        problems.extend(money_problems(at(tier_path, "unit_price"), tier.unit_price, currency))
    return problems


# ---------------------------------------------------------------- the quick pass
#
# The same checks as above, as plain comparisons that build no paths or messages. Each is
# True only when its detailed counterpart finds nothing; False sends the request through the
# detailed checks, which say what is wrong (and find nothing when a quick check was merely
# stricter, as for an int subclass where an int is expected).


def _clears(request: QuoteRequest) -> bool:
    currency = request.currency
    return (
        _is_known(currency)
        and _tax_policy_clears(request.tax_policy)
        and _lines_clear(request.lines, currency, request.tax_policy.categories)
        and _rules_clear(request.rules, currency)
        and all(_text_clears(code) for code in request.coupons)
        and (request.shipping is None or _money_clears(request.shipping, currency))
        and all(
            _count_clears(usage.total, 0) and _count_clears(usage.customer, 0)
            for usage in request.usage.values()
        )
        and _moment_clears(request.at)
    )


def _money_clears(money: Money, currency: Currency) -> bool:
    amount = money.amount
    return (
        (money.currency is currency or money.currency == currency)
        and 0 <= amount <= MAX_AMOUNT
        and fits_exponent(amount, currency.exponent)
    )


def _rate_clears(rate: Decimal) -> bool:
    return rate.is_finite() and 0 <= rate <= 1 and fits_exponent(rate, MAX_RATE_PLACES)


def _percent_clears(percent: Decimal) -> bool:
    return (
        percent.is_finite() and 0 <= percent <= 100 and fits_exponent(percent, MAX_RATE_PLACES - 2)
    )


def _count_clears(value: object, minimum: int, maximum: int | None = None) -> bool:
    # type() rather than isinstance(): a bool is not a count.
    return type(value) is int and value >= minimum and (maximum is None or value <= maximum)


def _quantity_clears(value: object) -> bool:
    return type(value) is int and 1 <= value <= MAX_QUANTITY


def _text_clears(value: str) -> bool:
    return value.strip() != "" and len(value) <= MAX_TEXT


def _moment_clears(value: datetime | None) -> bool:
    return value is None or not datetime_problems("", value)


def _tax_policy_clears(policy: TaxPolicy) -> bool:
    shipping = policy.shipping
    return all(
        _text_clears(tax.name) and _text_clears(tax.category) and _rate_clears(tax.rate)
        for tax in policy.taxes
    ) and (shipping.mode is not ShippingTaxMode.CATEGORY or shipping.category in policy.categories)


def _lines_clear(lines: tuple[Line, ...], currency: Currency, categories: frozenset[str]) -> bool:
    if not lines or len(lines) > MAX_LINES:
        return False
    exponent = currency.exponent
    skus: set[str] = set()
    # `_text_clears`, `_money_clears` and `_quantity_clears` written out: this runs per line.
    for line in lines:
        sku, price, quantity = line.sku, line.unit_price, line.quantity
        amount = price.amount
        if not (
            sku.strip() != ""
            and len(sku) <= MAX_TEXT
            and sku not in skus
            and (price.currency is currency or price.currency == currency)
            and 0 <= amount <= MAX_AMOUNT
            and fits_exponent(amount, exponent)
            and type(quantity) is int
            and 1 <= quantity <= MAX_QUANTITY
            and line.tax_category in categories
        ):
            return False
        skus.add(sku)
    return True


def _rules_clear(rules: tuple[PriceRule, ...], currency: Currency) -> bool:
    ids: set[str] = set()
    for rule in rules:
        if not (_text_clears(rule.id) and rule.id not in ids and _rule_clears(rule, currency)):
            return False
        ids.add(rule.id)
    return True


def _rule_clears(rule: PriceRule, currency: Currency) -> bool:
    return (
        _count_clears(rule.priority, -(10**6), 10**6)
        and (rule.max_discount is None or _money_clears(rule.max_discount, currency))
        and (rule.usage_limit is None or _count_clears(rule.usage_limit, 0))
        and (rule.per_customer_limit is None or _count_clears(rule.per_customer_limit, 0))
        and all(_condition_clears(condition, currency) for condition in rule.conditions)
        and _action_clears(rule.action, currency)
    )


def _condition_clears(condition: Condition, currency: Currency) -> bool:
    match condition:
        case MinSubtotal(amount):
            return _money_clears(amount, currency)
        case MinQuantity(quantity, _selector):
            return _quantity_clears(quantity)
        case CustomerGroupIs(groups):
            return bool(groups)
        case CouponCode(code):
            return _text_clears(code)
        case DateWindow(starts_at, ends_at):
            return (
                _moment_clears(starts_at)
                and _moment_clears(ends_at)
                and (starts_at is None or ends_at is None or ends_at > starts_at)
            )
        case HasItems():
            return True
        case _:
            assert_never(condition)


def _action_clears(action: Action, currency: Currency) -> bool:
    match action:
        case PercentOffLines(percent, _) | PercentOffOrder(percent):
            return _percent_clears(percent)
        case AmountOffLines(amount, _) | AmountOffOrder(amount):
            return _money_clears(amount, currency)
        case FixedUnitPrice(price, _):
            return _money_clears(price, currency)
        case BuyXGetY(buy, get, percent, _):
            return _quantity_clears(buy) and _quantity_clears(get) and _percent_clears(percent)
        case TieredUnitPrice(tiers, _):
            return _tiers_clear(tiers, currency)
        case FreeShipping():
            return True
        case _:
            assert_never(action)


def _tiers_clear(tiers: tuple[Tier, ...], currency: Currency) -> bool:
    previous = 0
    for tier in tiers:
        if not (
            _quantity_clears(tier.min_quantity)
            and tier.min_quantity > previous
            and _money_clears(tier.unit_price, currency)
        ):
            return False
        previous = tier.min_quantity
    return bool(tiers)
