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
    discount_class_of,
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
    """A rule's standing: no reason means it qualifies, and the message says why.

    ``asked`` is what a qualifying line action asked of the listed cart when it was judged:
    applying it asks the same again of lines nothing has been taken off yet.
    """

    reason: RejectionReason | None
    message: str
    asked: list[int] | None = None

    @property
    def qualifies(self) -> bool:
        return self.reason is None


@final
@attrs.frozen
class _Candidate:
    """A rule with what judging, selecting and applying look up more than once.

    ``chosen`` are the indices of the lines its action's selector selects (none for order
    and shipping actions), worked out once per quote rather than once per look.
    """

    rule: PriceRule
    discount_class: DiscountClass
    chosen: tuple[int, ...]


_LINE_ACTIONS = (PercentOffLines, AmountOffLines, FixedUnitPrice, TieredUnitPrice, BuyXGetY)


def _candidate(rule: PriceRule, lines: Sequence[CartLine]) -> _Candidate:
    action = rule.action
    if isinstance(action, _LINE_ACTIONS):
        return _Candidate(rule, DiscountClass.PRODUCT, _selected_indices(action.selector, lines))
    return _Candidate(rule, discount_class_of(action), ())


def apply_rules(cart: Cart, rules: Sequence[PriceRule], entered: Sequence[str]) -> Discounts:
    """Judge, select and apply ``rules`` to ``cart``, given the coupon codes ``entered``."""
    ordered = sorted(rules, key=lambda rule: (-rule.priority, rule.id))
    listed = [line.listed for line in cart.lines]
    verdicts: dict[str, _Verdict] = {}
    qualified: list[_Candidate] = []
    for rule in ordered:
        candidate = _candidate(rule, cart.lines)
        verdict = _judge(candidate, cart, listed)
        if verdict is None:
            continue
        verdicts[rule.id] = verdict
        if verdict.qualifies:
            qualified.append(candidate)
    for rule, reason, message in _select(qualified):
        verdicts[rule.id] = _Verdict(reason, message)
    selected = [candidate for candidate in qualified if verdicts[candidate.rule.id].qualifies]
    grants, left = _apply(selected, cart, verdicts, listed)
    granted = {grant.rule.id for grant in grants}
    for rule in (candidate.rule for candidate in selected):
        if rule.id not in granted:
            message = f"earlier discounts left nothing for rule {rule.id} to take off"
            verdicts[rule.id] = _Verdict(RejectionReason.NO_EFFECT, message)
    # What the grants took off a line is what it no longer has: a rule that took nothing off
    # (and got no grant) took nothing off any line, as no rule ever adds to a line.
    line_totals = tuple([before - after for before, after in zip(listed, left, strict=True)])
    return Discounts(
        lines=line_totals,
        shipping=sum(grant.shipping for grant in grants),
        grants=grants,
        rejected=_rejected_coupons(entered, ordered, verdicts, granted),
    )


# ---------------------------------------------------------------- judging


_UNUSED = RuleUsage()


def _judge(candidate: _Candidate, cart: Cart, listed: list[int]) -> _Verdict | None:
    """None when the rule's coupons were not entered: it was never asked for."""
    rule = candidate.rule
    codes = rule.coupon_codes
    if not codes <= cart.coupons:
        if codes & cart.coupons:
            needed = " and ".join(sorted(codes))
            return _Verdict(RejectionReason.CONDITIONS_NOT_MET, f"needs coupons {needed}")
        return None
    usage = cart.usage.get(rule.id, _UNUSED)
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
    takes, asked = _takes_something(candidate, listed, cart)
    if not takes:
        return _Verdict(RejectionReason.NO_EFFECT, _no_effect(rule.action))
    because = "; ".join(reasons) if reasons else "no conditions"
    return _Verdict(None, f"{describe_action(rule.action)}: {because}", asked)


def _takes_something(
    candidate: _Candidate, listed: list[int], cart: Cart
) -> tuple[bool, list[int] | None]:
    """Whether the rule's action would take anything off the listed cart, and for a line
    action what it would take off each line.

    Order and shipping actions answer from their totals, without splitting them over lines.
    """
    match candidate.rule.action:
        case PercentOffOrder(percent):
            return _percent_of(sum(listed), percent, cart.mode.decimal_rounding) != 0, None
        case AmountOffOrder(amount):
            return min(minor_units(amount), sum(listed)) != 0, None
        case FreeShipping():
            return cart.shipping != 0, None
        case action:
            lines, _shipping = _requested(action, listed, cart.shipping, cart, candidate.chosen)
            return sum(lines) != 0, lines


def _check(condition: Condition, cart: Cart) -> tuple[bool, str]:
    """Whether ``condition`` holds, and a sentence saying why or why not."""
    match condition:
        case MinSubtotal(amount):
            units = cart.subtotal
            subtotal, minimum = cart.money(units), amount
            if units >= minor_units(amount):
                return True, f"subtotal {subtotal} is at least {minimum}"
            return False, f"subtotal {subtotal} is below the minimum {minimum}"
        case MinQuantity(quantity, selector):
            lines = cart.lines
            held = sum(lines[index].quantity for index in _selected_indices(selector, lines))
            what = selector.describe()
            if held >= quantity:
                return True, f"{held} units of {what} (at least {quantity})"
            return False, f"needs at least {quantity} units of {what}, the cart has {held}"
        case HasItems(selector):
            if _selected_indices(selector, cart.lines):
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


def _selected_indices(selector: LineSelector, lines: Sequence[CartLine]) -> tuple[int, ...]:
    """The indices of the lines ``selector`` selects.

    The rule of `LineSelector.selects`, applied to a whole cart at once: a quote asks this
    of every line for every rule, so the selector's sets are looked at once, not per line.
    """
    skus, categories = selector.skus, selector.categories
    if skus is None:
        if categories is None:
            return tuple(range(len(lines)))
        return tuple([index for index, line in enumerate(lines) if line.category in categories])
    if categories is None:
        return tuple([index for index, line in enumerate(lines) if line.sku in skus])
    return tuple(
        [
            index
            for index, line in enumerate(lines)
            if line.sku in skus or line.category in categories
        ]
    )


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


def _combines(first: _Candidate, second: _Candidate) -> bool:
    return (
        second.discount_class in first.rule.combines_with
        and first.discount_class in second.rule.combines_with
    )


def _select(
    qualified: Sequence[_Candidate],
) -> list[tuple[PriceRule, RejectionReason, str]]:
    """The qualified rules that lose out, with why. ``qualified`` is in priority order."""
    exclusive = next((each.rule for each in qualified if each.rule.exclusive), None)
    if exclusive is not None:
        message = f"rule {exclusive.id} is exclusive and applies alone"
        return [
            (each.rule, RejectionReason.EXCLUDED, message)
            for each in qualified
            if each.rule is not exclusive
        ]
    chosen: list[_Candidate] = []
    losers: list[tuple[PriceRule, RejectionReason, str]] = []
    for candidate in qualified:
        clash = next((other for other in chosen if not _combines(candidate, other)), None)
        if clash is None:
            chosen.append(candidate)
        else:
            message = f"does not combine with rule {clash.rule.id}"
            losers.append((candidate.rule, RejectionReason.NOT_COMBINABLE, message))
    return losers


# ---------------------------------------------------------------- applying


def _priority(candidate: _Candidate) -> int:
    return candidate.rule.priority


def _apply(
    selected: Sequence[_Candidate],
    cart: Cart,
    verdicts: Mapping[str, _Verdict],
    listed: list[int],
) -> tuple[tuple[Grant, ...], list[int]]:
    """The grants of the selected rules, and what each line has left after them."""
    remaining = listed
    shipping_left = cart.shipping
    grants: list[Grant] = []
    for discount_class in CLASS_ORDER:
        in_class = [each for each in selected if each.discount_class is discount_class]
        for _, stage in groupby(in_class, key=_priority):
            candidates = list(stage)
            asked = [
                _capped(
                    candidate.rule,
                    *_asked_now(
                        candidate, verdicts[candidate.rule.id], remaining, shipping_left, cart
                    ),
                )
                for candidate in candidates
            ]
            if len(asked) == 1:
                # Alone in its stage, a rule's share of what a line (or shipping) has left is
                # all of it.
                ((alone, alone_shipping),) = asked
                given_lines = [_clipped(alone, remaining, candidates[0].chosen)]
                shipping_given = [min(alone_shipping, shipping_left)]
            else:
                given_lines = _shared(asked, remaining)
                shipping_given = _shared_shipping(asked, shipping_left)
            for candidate, lines, shipping in zip(
                candidates, given_lines, shipping_given, strict=True
            ):
                remaining = _less(remaining, lines, candidate.chosen)
                shipping_left -= shipping
                rule = candidate.rule
                grant = Grant(rule, verdicts[rule.id].message, tuple(lines), shipping)
                if grant.total:
                    grants.append(grant)
    return tuple(grants), remaining


def _asked_now(
    candidate: _Candidate,
    verdict: _Verdict,
    remaining: list[int],
    shipping_left: int,
    cart: Cart,
) -> tuple[list[int], int]:
    """What the candidate's action asks of what is left now.

    A line action's request depends only on its selected lines, so while nothing has been
    taken off them it is the request it was judged by.
    """
    judged = verdict.asked
    lines = cart.lines
    if judged is not None and all(
        remaining[index] == lines[index].listed for index in candidate.chosen
    ):
        return judged, 0
    return _requested(candidate.rule.action, remaining, shipping_left, cart, candidate.chosen)


def _less(remaining: list[int], taken: list[int], chosen: Sequence[int]) -> list[int]:
    """What lines have left once ``taken`` is taken off (a line action takes off only its
    ``chosen`` lines)."""
    if not chosen:
        return [left - off for left, off in zip(remaining, taken, strict=True)]
    left_now = remaining.copy()
    for index in chosen:
        left_now[index] -= taken[index]
    return left_now


def _clipped(asked: list[int], remaining: Sequence[int], chosen: Sequence[int]) -> list[int]:
    """What each line gives a rule that asked ``asked``: at most what the line has left.

    A line action asks nothing of the lines it does not select, so only its ``chosen``
    lines need a look; an order or shipping action (nothing chosen) may ask of every line.
    """
    if not chosen:
        return [off if off <= left else left for off, left in zip(asked, remaining, strict=True)]
    given = [0] * len(asked)
    for index in chosen:
        off, left = asked[index], remaining[index]
        given[index] = off if off <= left else left
    return given


def _shared(asked: Sequence[tuple[list[int], int]], remaining: Sequence[int]) -> list[list[int]]:
    """Each rule's share of each line, where rules of one stage together ask more than it has."""
    given_lines = [list(lines) for lines, _ in asked]
    for index, left in enumerate(remaining):
        demands = [lines[index] for lines in given_lines]
        if sum(demands) > left:
            for lines, share in zip(given_lines, allocate_units(left, demands), strict=True):
                lines[index] = share
    return given_lines


def _shared_shipping(asked: Sequence[tuple[list[int], int]], shipping_left: int) -> list[int]:
    """Each rule's share of shipping, split as for a line when together they ask too much."""
    demands = [shipping for _, shipping in asked]
    return allocate_units(shipping_left, demands) if sum(demands) > shipping_left else demands


def _capped(rule: PriceRule, lines: list[int], shipping: int) -> tuple[list[int], int]:
    if rule.max_discount is None:
        return lines, shipping
    cap = minor_units(rule.max_discount)
    if sum(lines) > cap:
        lines = allocate_units(cap, lines)
    return lines, min(shipping, cap)


_ONE = Decimal(1)


def _percent_of(units: int | Decimal, percent: Decimal, rounding: str) -> int:
    """``percent`` of ``units``, rounded to a whole unit; ``rounding`` is a `decimal` mode."""
    share = percent * units / 100
    # Positional: a keyword argument costs a C method more than the rounding itself.
    return int(share.quantize(_ONE, rounding))


def _requested(
    action: Action,
    remaining: Sequence[int],
    shipping_left: int,
    cart: Cart,
    chosen: Sequence[int],
) -> tuple[list[int], int]:
    """What ``action`` would take off each line and off shipping, given what is left.

    ``chosen`` are the indices of the lines the action's selector selects.
    """
    match action:
        case PercentOffLines() | AmountOffLines() | FixedUnitPrice() | TieredUnitPrice():
            return _asked_of_lines(action, remaining, cart, chosen), 0
        case BuyXGetY():
            return _buy_x_get_y(action, remaining, cart, chosen), 0
        case PercentOffOrder(percent):
            total = _percent_of(sum(remaining), percent, cart.mode.decimal_rounding)
            return allocate_units(total, remaining), 0
        case AmountOffOrder(amount):
            total = min(minor_units(amount), sum(remaining))
            return allocate_units(total, remaining), 0
        case FreeShipping():
            return [0] * len(remaining), shipping_left
        case _:
            assert_never(action)


def _asked_of_lines(
    action: PercentOffLines | AmountOffLines | FixedUnitPrice | TieredUnitPrice,
    remaining: Sequence[int],
    cart: Cart,
    chosen: Sequence[int],
) -> list[int]:
    """What an action on each selected line takes off it, given what it has left."""
    lines = cart.lines
    asked = [0] * len(lines)
    match action:
        case PercentOffLines(percent):
            rounding = cart.mode.decimal_rounding
            for index in chosen:
                asked[index] = _percent_of(remaining[index], percent, rounding)
        case AmountOffLines(amount):
            off = minor_units(amount)
            for index in chosen:
                asked[index] = min(off, remaining[index])
        case FixedUnitPrice(price):
            unit = minor_units(price)
            for index in chosen:
                asked[index] = max(0, remaining[index] - unit * lines[index].quantity)
        case TieredUnitPrice(tiers):
            for index in chosen:
                asked[index] = _tier_discount(tiers, remaining[index], lines[index].quantity)
        case _:
            assert_never(action)
    return asked


def _tier_discount(tiers: Sequence[Tier], left: int, quantity: int) -> int:
    """Down to the unit price of the highest tier reached (tiers rise in min_quantity)."""
    for tier in reversed(tiers):
        if tier.min_quantity <= quantity:
            return max(0, left - minor_units(tier.unit_price) * quantity)
    return 0


def _buy_x_get_y(
    action: BuyXGetY, remaining: Sequence[int], cart: Cart, chosen: Sequence[int]
) -> list[int]:
    """The cheapest selected units are ``percent`` off, ``get`` of every ``buy + get``."""
    lines = cart.lines
    rounding = cart.mode.decimal_rounding
    candidates = [
        (Decimal(remaining[index]) / lines[index].quantity, lines[index].sku, index)
        for index in chosen
    ]
    units = sum(cart.lines[index].quantity for _, _, index in candidates)
    free = units // (action.buy + action.get) * action.get
    discounts = [0] * len(cart.lines)
    for unit_price, _sku, index in sorted(candidates):
        if free == 0:
            break
        count = min(free, cart.lines[index].quantity)
        free -= count
        wanted = _percent_of(unit_price * count, action.percent, rounding)
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
