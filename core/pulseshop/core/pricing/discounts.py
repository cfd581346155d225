"""Which price rules apply to a cart, and how much each takes off which line.

All amounts here are whole minor units (ints): listed prices are whole minor units,
and every discount is rounded once, where it is computed.

1. **Judge** each rule: its coupons were entered, its usage limits are not reached,
   every condition holds, and it would take something off the listed cart.
2. **Select** among the rules that qualify, by priority (higher first) then id:
   the first exclusive rule, if any, applies alone; otherwise each rule joins when it
   combines with every rule already chosen (each must list the other's class).
3. **Apply** the selected rules class by class (product, then order, then shipping)
   and, within a class, priority by priority. Rules of one priority are computed on
   the same amounts; where together they ask more of a line than it has left, what it
   has left is split between them in proportion to what they asked.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import groupby
from typing import TYPE_CHECKING, assert_never, final

import attrs

from pulseshop.core.money import (
    Currency,
    Money,
    RoundingMode,
    allocate_units,
    from_minor_units,
    minor_units,
)
from pulseshop.core.pricing.result import RejectedCoupon, RejectionReason
from pulseshop.core.pricing.rules import (
    AmountOffLines,
    AmountOffOrder,
    BuyXGetY,
    CouponCode,
    CustomerGroupIs,
    DateWindow,
    DiscountClass,
    FixedUnitPrice,
    FreeShipping,
    HasItems,
    MinQuantity,
    MinSubtotal,
    PercentOffLines,
    PercentOffOrder,
    RuleUsage,
    TieredUnitPrice,
    normalise_code,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from pulseshop.core.pricing.rules import Action, Condition, LineSelector, PriceRule, Tier

CLASS_ORDER = (DiscountClass.PRODUCT, DiscountClass.ORDER, DiscountClass.SHIPPING)


@final
@attrs.frozen
class CartLine:
    """A validated line in minor units: ``listed`` is the unit price times the quantity."""

    sku: str
    category: str | None
    quantity: int
    unit: int
    listed: int


@final
@attrs.frozen
class Cart:
    """The facts rules are judged on. ``lines`` are sorted by SKU."""

    lines: tuple[CartLine, ...]
    currency: Currency
    shipping: int
    customer_group: str | None
    coupons: frozenset[str]
    at: datetime
    mode: RoundingMode
    usage: Mapping[str, RuleUsage]

    @property
    def subtotal(self) -> int:
        """The listed subtotal, before any discount."""
        return sum(line.listed for line in self.lines)

    def money(self, units: int) -> Money:
        """Minor units as Money, for messages."""
        return from_minor_units(units, self.currency)


@final
@attrs.frozen
class Grant:
    """What one rule took off: per line (in the cart's SKU order) and off shipping."""

    rule: PriceRule
    reason: str
    lines: tuple[int, ...]
    shipping: int

    @property
    def total(self) -> int:
        """Everything this rule took off."""
        return sum(self.lines) + self.shipping


@final
@attrs.frozen
class Discounts:
    """The outcome: discount per line and on shipping, the grants, the rejected coupons."""

    lines: tuple[int, ...]
    shipping: int
    grants: tuple[Grant, ...]
    rejected: tuple[RejectedCoupon, ...]


@final
@attrs.frozen
class _Verdict:
    """A rule's standing: no reason means it qualifies, and the message says why."""

    reason: RejectionReason | None
    message: str

    @property
    def qualifies(self) -> bool:
        return self.reason is None


def apply_rules(cart: Cart, rules: Sequence[PriceRule], entered: Sequence[str]) -> Discounts:
    """Judge, select and apply ``rules`` to ``cart``, given the coupon codes ``entered``."""
    ordered = sorted(rules, key=lambda rule: (-rule.priority, rule.id))
    verdicts: dict[str, _Verdict] = {}
    qualified: list[PriceRule] = []
    for rule in ordered:
        verdict = _judge(rule, cart)
        if verdict is None:
            continue
        verdicts[rule.id] = verdict
        if verdict.qualifies:
            qualified.append(rule)
    for rule, reason, message in _select(qualified):
        verdicts[rule.id] = _Verdict(reason, message)
    selected = [rule for rule in qualified if verdicts[rule.id].qualifies]
    grants = _apply(selected, cart, verdicts)
    granted = {grant.rule.id for grant in grants}
    for rule in selected:
        if rule.id not in granted:
            message = f"earlier discounts left nothing for rule {rule.id} to take off"
            verdicts[rule.id] = _Verdict(RejectionReason.NO_EFFECT, message)
    line_totals = (
        tuple(map(sum, zip(*(grant.lines for grant in grants), strict=True)))
        if grants
        else (0,) * len(cart.lines)
    )
    return Discounts(
        lines=line_totals,
        shipping=sum(grant.shipping for grant in grants),
        grants=grants,
        rejected=_rejected_coupons(entered, ordered, verdicts, granted),
    )


# ---------------------------------------------------------------- judging


def _judge(rule: PriceRule, cart: Cart) -> _Verdict | None:
    """None when the rule's coupons were not entered: it was never asked for."""
    codes = rule.coupon_codes
    if not codes <= cart.coupons:
        if codes & cart.coupons:
            needed = " and ".join(sorted(codes))
            return _Verdict(RejectionReason.CONDITIONS_NOT_MET, f"needs coupons {needed}")
        return None
    usage = cart.usage.get(rule.id, RuleUsage())
    if rule.usage_limit is not None and usage.total >= rule.usage_limit:
        message = f"rule {rule.id} has been used {usage.total} times, its limit"
        return _Verdict(RejectionReason.USAGE_LIMIT_REACHED, message)
    if rule.per_customer_limit is not None and usage.customer >= rule.per_customer_limit:
        message = f"this customer has used rule {rule.id} {usage.customer} times, its limit"
        return _Verdict(RejectionReason.CUSTOMER_LIMIT_REACHED, message)
    reasons = []
    for condition in rule.conditions:
        met, description = _check(condition, cart)
        if not met:
            return _Verdict(RejectionReason.CONDITIONS_NOT_MET, description)
        reasons.append(description)
    listed = [line.listed for line in cart.lines]
    lines, shipping = _requested(rule.action, listed, cart.shipping, cart)
    if sum(lines) + shipping == 0:
        return _Verdict(RejectionReason.NO_EFFECT, _no_effect(rule.action))
    because = "; ".join(reasons) if reasons else "no conditions"
    return _Verdict(None, f"{describe_action(rule.action)}: {because}")


def _check(condition: Condition, cart: Cart) -> tuple[bool, str]:
    """Whether ``condition`` holds, and a sentence saying why or why not."""
    match condition:
        case MinSubtotal(amount):
            subtotal, minimum = cart.money(cart.subtotal), amount
            if cart.subtotal >= minor_units(amount):
                return True, f"subtotal {subtotal} is at least {minimum}"
            return False, f"subtotal {subtotal} is below the minimum {minimum}"
        case MinQuantity(quantity, selector):
            held = sum(line.quantity for line in _selected(cart, selector))
            what = selector.describe()
            if held >= quantity:
                return True, f"{held} units of {what} (at least {quantity})"
            return False, f"needs at least {quantity} units of {what}, the cart has {held}"
        case HasItems(selector):
            if _selected(cart, selector):
                return True, f"the cart holds {selector.describe()}"
            return False, f"the cart holds no {selector.describe()}"
        case CustomerGroupIs(groups):
            if cart.customer_group in groups:
                return True, f"customer group {cart.customer_group}"
            return False, f"only for customer group {', '.join(sorted(groups))}"
        case CouponCode(code):
            return True, f"coupon {normalise_code(code)}"
        case DateWindow():
            return _check_window(condition, cart.at)
        case _:
            assert_never(condition)


def _check_window(window: DateWindow, now: datetime) -> tuple[bool, str]:
    starts_at, ends_at = window.starts_at, window.ends_at
    if starts_at is not None and now < starts_at:
        return False, f"starts at {starts_at.isoformat()}"
    if ends_at is not None and now >= ends_at:
        return False, f"ended at {ends_at.isoformat()}"
    until = f"until {ends_at.isoformat()}" if ends_at is not None else "with no end"
    return True, f"valid {until}"


def _selected(cart: Cart, selector: LineSelector) -> list[CartLine]:
    return [line for line in cart.lines if selector.selects(line.sku, line.category)]


def describe_action(action: Action) -> str:
    """What an action does, in a few words.

    >>> describe_action(PercentOffOrder(Decimal("12.5")))
    '12.5% off the order'
    """
    match action:
        case PercentOffLines(percent, selector):
            return f"{percent}% off {selector.describe()}"
        case AmountOffLines(amount, selector):
            return f"{amount} off each line of {selector.describe()}"
        case FixedUnitPrice(price, selector):
            return f"unit price {price} for {selector.describe()}"
        case TieredUnitPrice(tiers, selector):
            steps = ", ".join(f"{tier.unit_price} from {tier.min_quantity}" for tier in tiers)
            return f"volume prices for {selector.describe()} ({steps})"
        case BuyXGetY(buy, get, percent, selector):
            return f"buy {buy} get {get} at {percent}% off, on {selector.describe()}"
        case PercentOffOrder(percent):
            return f"{percent}% off the order"
        case AmountOffOrder(amount):
            return f"{amount} off the order"
        case FreeShipping():
            return "free shipping"
        case _:
            assert_never(action)


def _no_effect(action: Action) -> str:
    match action:
        case FreeShipping():
            return "there is no shipping to take off"
        case PercentOffOrder() | AmountOffOrder():
            return "there is nothing in the order to take off"
        case BuyXGetY(buy, get, _, selector):
            return f"needs {buy + get} units of {selector.describe()}"
        case (
            PercentOffLines(selector=selector)
            | AmountOffLines(selector=selector)
            | FixedUnitPrice(selector=selector)
            | TieredUnitPrice(selector=selector)
        ):
            return f"no item in the cart gets a lower price ({selector.describe()})"
        case _:
            assert_never(action)


# ---------------------------------------------------------------- selecting


def _combines(first: PriceRule, second: PriceRule) -> bool:
    return (
        second.discount_class in first.combines_with
        and first.discount_class in second.combines_with
    )


def _select(
    qualified: Sequence[PriceRule],
) -> list[tuple[PriceRule, RejectionReason, str]]:
    """The qualified rules that lose out, with why. ``qualified`` is in priority order."""
    exclusive = next((rule for rule in qualified if rule.exclusive), None)
    if exclusive is not None:
        message = f"rule {exclusive.id} is exclusive and applies alone"
        return [
            (rule, RejectionReason.EXCLUDED, message) for rule in qualified if rule is not exclusive
        ]
    chosen: list[PriceRule] = []
    losers: list[tuple[PriceRule, RejectionReason, str]] = []
    for rule in qualified:
        clash = next((other for other in chosen if not _combines(rule, other)), None)
        if clash is None:
            chosen.append(rule)
        else:
            message = f"does not combine with rule {clash.id}"
            losers.append((rule, RejectionReason.NOT_COMBINABLE, message))
    return losers


# ---------------------------------------------------------------- applying


def _apply(
    selected: Sequence[PriceRule], cart: Cart, verdicts: Mapping[str, _Verdict]
) -> tuple[Grant, ...]:
    remaining = [line.listed for line in cart.lines]
    shipping_left = cart.shipping
    grants: list[Grant] = []
    for discount_class in CLASS_ORDER:
        in_class = [rule for rule in selected if rule.discount_class is discount_class]
        for _priority, stage in groupby(in_class, key=lambda rule: rule.priority):
            rules = list(stage)
            asked = [
                _capped(rule, *_requested(rule.action, remaining, shipping_left, cart))
                for rule in rules
            ]
            given_lines = [list(lines) for lines, _ in asked]
            if len(given_lines) == 1:
                # Alone in its stage, a rule's share of what a line has left is all of it.
                (alone,) = given_lines
                given_lines = [[min(off, left) for off, left in zip(alone, remaining, strict=True)]]
            else:
                for index, left in enumerate(remaining):
                    demands = [lines[index] for lines in given_lines]
                    if sum(demands) > left:
                        for lines, share in zip(
                            given_lines, allocate_units(left, demands), strict=True
                        ):
                            lines[index] = share
            shipping_demands = [shipping for _, shipping in asked]
            shipping_given = (
                allocate_units(shipping_left, shipping_demands)
                if sum(shipping_demands) > shipping_left
                else shipping_demands
            )
            for rule, lines, shipping in zip(rules, given_lines, shipping_given, strict=True):
                remaining = [left - taken for left, taken in zip(remaining, lines, strict=True)]
                shipping_left -= shipping
                grant = Grant(rule, verdicts[rule.id].message, tuple(lines), shipping)
                if grant.total:
                    grants.append(grant)
    return tuple(grants)


def _capped(rule: PriceRule, lines: list[int], shipping: int) -> tuple[list[int], int]:
    if rule.max_discount is None:
        return lines, shipping
    cap = minor_units(rule.max_discount)
    if sum(lines) > cap:
        lines = allocate_units(cap, lines)
    return lines, min(shipping, cap)


def _percent_of(units: int | Decimal, percent: Decimal, mode: RoundingMode) -> int:
    share = Decimal(units) * percent / 100
    return int(share.quantize(Decimal(1), rounding=mode.decimal_rounding))


def _requested(
    action: Action, remaining: Sequence[int], shipping_left: int, cart: Cart
) -> tuple[list[int], int]:
    """What ``action`` would take off each line and off shipping, given what is left."""
    lines = cart.lines
    mode = cart.mode
    match action:
        case PercentOffLines(percent, selector):
            return [
                _percent_of(left, percent, mode) if selector.selects(line.sku, line.category) else 0
                for line, left in zip(lines, remaining, strict=True)
            ], 0
        case AmountOffLines(amount, selector):
            off = minor_units(amount)
            return [
                min(off, left) if selector.selects(line.sku, line.category) else 0
                for line, left in zip(lines, remaining, strict=True)
            ], 0
        case FixedUnitPrice(price, selector):
            unit = minor_units(price)
            return [
                max(0, left - unit * line.quantity)
                if selector.selects(line.sku, line.category)
                else 0
                for line, left in zip(lines, remaining, strict=True)
            ], 0
        case TieredUnitPrice(tiers, selector):
            return [
                _tier_discount(tiers, left, line.quantity)
                if selector.selects(line.sku, line.category)
                else 0
                for line, left in zip(lines, remaining, strict=True)
            ], 0
        case BuyXGetY():
            return _buy_x_get_y(action, remaining, cart), 0
        case PercentOffOrder(percent):
            total = _percent_of(sum(remaining), percent, mode)
            return allocate_units(total, remaining), 0
        case AmountOffOrder(amount):
            total = min(minor_units(amount), sum(remaining))
            return allocate_units(total, remaining), 0
        case FreeShipping():
            return [0] * len(lines), shipping_left
        case _:
            assert_never(action)


def _tier_discount(tiers: Sequence[Tier], left: int, quantity: int) -> int:
    """Down to the unit price of the highest tier reached (tiers rise in min_quantity)."""
    reached = [tier for tier in tiers if tier.min_quantity <= quantity]
    if not reached:
        return 0
    return max(0, left - minor_units(reached[-1].unit_price) * quantity)


def _buy_x_get_y(action: BuyXGetY, remaining: Sequence[int], cart: Cart) -> list[int]:
    """The cheapest selected units are ``percent`` off, ``get`` of every ``buy + get``."""
    candidates = [
        (Decimal(left) / line.quantity, line.sku, index)
        for index, (line, left) in enumerate(zip(cart.lines, remaining, strict=True))
        if action.selector.selects(line.sku, line.category)
    ]
    units = sum(cart.lines[index].quantity for _, _, index in candidates)
    free = units // (action.buy + action.get) * action.get
    discounts = [0] * len(cart.lines)
    for unit_price, _sku, index in sorted(candidates):
        if free == 0:
            break
        count = min(free, cart.lines[index].quantity)
        free -= count
        wanted = _percent_of(unit_price * count, action.percent, cart.mode)
        discounts[index] = min(wanted, remaining[index])
    return discounts


# ---------------------------------------------------------------- coupons


def _rejected_coupons(
    entered: Sequence[str],
    ordered: Sequence[PriceRule],
    verdicts: Mapping[str, _Verdict],
    granted: set[str],
) -> tuple[RejectedCoupon, ...]:
    rejected: list[RejectedCoupon] = []
    seen: set[str] = set()
    for code in entered:
        normal = normalise_code(code)
        if normal in seen:
            message = f"coupon {normal} was entered more than once"
            rejected.append(RejectedCoupon(code, RejectionReason.DUPLICATE_COUPON, message))
            continue
        seen.add(normal)
        rules = [rule for rule in ordered if normal in rule.coupon_codes]
        if not rules:
            message = f"no promotion has coupon {normal}"
            rejected.append(RejectedCoupon(code, RejectionReason.UNKNOWN_COUPON, message))
            continue
        if any(rule.id in granted for rule in rules):
            continue
        verdict = verdicts[rules[0].id]
        assert verdict.reason is not None  # noqa: S101 - not granted, so a reason was given
        rejected.append(RejectedCoupon(code, verdict.reason, verdict.message))
    return tuple(rejected)
