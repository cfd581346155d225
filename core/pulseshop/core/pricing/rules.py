"""Price rules and promotions, as data.

A `PriceRule` has conditions (all must hold), one action, and the controls that
decide how it meets other rules:

- ``priority``: higher applies first. Within one discount class, rules of equal
  priority are computed on the same amounts and add up; a lower priority sees what
  the higher ones left.
- ``exclusive``: when an exclusive rule applies, no other rule does.
- ``combines_with``: the discount classes (product, order, shipping) this rule may
  be combined with; two rules apply together only when each lists the other's class.
  The default is none: promotions stack only when told to.
- ``max_discount``: a cap on the rule's total discount.
- ``usage_limit`` / ``per_customer_limit``: checked against the counts the caller
  passes in (`RuleUsage`); the core keeps no counters.

Classes apply in order: product discounts, then order discounts on what is left,
then shipping discounts.

>>> from decimal import Decimal
>>> rule = PriceRule(
...     id="WINTER10",
...     action=PercentOffLines(Decimal(10), LineSelector(categories=frozenset({"tea"}))),
...     conditions=(CouponCode("WINTER"),),
... )
>>> rule.discount_class, rule.coupon_codes
(<DiscountClass.PRODUCT: 'product'>, frozenset({'WINTER'}))
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, TypeAlias, final

import attrs

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

    from pulseshop.core.money import Money


class DiscountClass(enum.Enum):
    """What a discount takes money off."""

    PRODUCT = "product"
    ORDER = "order"
    SHIPPING = "shipping"


ALL_CLASSES = frozenset(DiscountClass)


@final
@attrs.frozen
class LineSelector:
    """Which lines an action or condition is about: by SKU, by category, or (neither) all.

    A line is selected when its SKU is in ``skus`` or its category in ``categories``.
    """

    skus: frozenset[str] | None = None
    categories: frozenset[str] | None = None

    def selects(self, sku: str, category: str | None) -> bool:
        """True when a line with this SKU and category is selected."""
        if self.skus is None and self.categories is None:
            return True
        in_skus = self.skus is not None and sku in self.skus
        in_categories = self.categories is not None and category in self.categories
        return in_skus or in_categories

    def describe(self) -> str:
        """``every item``, or the SKUs and categories named."""
        parts = []
        if self.skus is not None:
            parts.append("SKU " + ", ".join(sorted(self.skus)))
        if self.categories is not None:
            parts.append("category " + ", ".join(sorted(self.categories)))
        return " or ".join(parts) if parts else "every item"


EVERY_LINE = LineSelector()


# ---------------------------------------------------------------- conditions


@final
@attrs.frozen
class MinSubtotal:
    """The cart's subtotal at listed prices (before any discount) is at least ``amount``."""

    amount: Money


@final
@attrs.frozen
class MinQuantity:
    """The selected lines hold at least ``quantity`` units together."""

    quantity: int
    selector: LineSelector = EVERY_LINE


@final
@attrs.frozen
class HasItems:
    """The cart holds at least one selected line (a SKU or category set)."""

    selector: LineSelector


@final
@attrs.frozen
class CustomerGroupIs:
    """The customer belongs to one of ``groups``."""

    groups: frozenset[str]


@final
@attrs.frozen
class CouponCode:
    """The customer entered this coupon code (compared without regard to case)."""

    code: str


@final
@attrs.frozen
class DateWindow:
    """``now`` is in ``[starts_at, ends_at)``; either end may be open."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None


Condition: TypeAlias = (
    MinSubtotal | MinQuantity | HasItems | CustomerGroupIs | CouponCode | DateWindow
)


# ---------------------------------------------------------------- actions


@final
@attrs.frozen
class PercentOffLines:
    """``percent`` (0-100) off each selected line."""

    percent: Decimal
    selector: LineSelector = EVERY_LINE


@final
@attrs.frozen
class AmountOffLines:
    """``amount`` off each selected line (at most the line's amount)."""

    amount: Money
    selector: LineSelector = EVERY_LINE


@final
@attrs.frozen
class FixedUnitPrice:
    """Selected lines cost ``price`` per unit (when that is lower)."""

    price: Money
    selector: LineSelector = EVERY_LINE


@final
@attrs.frozen
class Tier:
    """From ``min_quantity`` units of a line on, each unit costs ``unit_price``."""

    min_quantity: int
    unit_price: Money


@final
@attrs.frozen
class TieredUnitPrice:
    """Volume pricing: a selected line's unit price falls with its quantity."""

    tiers: tuple[Tier, ...]
    selector: LineSelector = EVERY_LINE


@final
@attrs.frozen
class BuyXGetY:
    """For every ``buy`` + ``get`` selected units, the ``get`` cheapest are ``percent`` off."""

    buy: int
    get: int
    percent: Decimal
    selector: LineSelector = EVERY_LINE


@final
@attrs.frozen
class PercentOffOrder:
    """``percent`` (0-100) off the order, after product discounts."""

    percent: Decimal


@final
@attrs.frozen
class AmountOffOrder:
    """``amount`` off the order (at most what is left after product discounts)."""

    amount: Money


@final
@attrs.frozen
class FreeShipping:
    """Shipping costs nothing."""


ProductAction: TypeAlias = (
    PercentOffLines | AmountOffLines | FixedUnitPrice | TieredUnitPrice | BuyXGetY
)
OrderAction: TypeAlias = PercentOffOrder | AmountOffOrder
Action: TypeAlias = ProductAction | OrderAction | FreeShipping


def discount_class_of(action: Action) -> DiscountClass:
    """The class of discount an action gives."""
    if isinstance(action, PercentOffOrder | AmountOffOrder):
        return DiscountClass.ORDER
    if isinstance(action, FreeShipping):
        return DiscountClass.SHIPPING
    return DiscountClass.PRODUCT


@final
@attrs.frozen
class PriceRule:
    """A promotion: when its conditions hold, its action takes money off."""

    id: str
    action: Action
    name: str = ""
    conditions: tuple[Condition, ...] = ()
    priority: int = 0
    exclusive: bool = False
    combines_with: frozenset[DiscountClass] = frozenset()
    max_discount: Money | None = None
    usage_limit: int | None = None
    per_customer_limit: int | None = None

    @property
    def discount_class(self) -> DiscountClass:
        """Product, order or shipping: what this rule's action takes money off."""
        return discount_class_of(self.action)

    @property
    def coupon_codes(self) -> frozenset[str]:
        """The coupon codes this rule needs (normalised to upper case)."""
        return frozenset(
            normalise_code(condition.code)
            for condition in self.conditions
            if isinstance(condition, CouponCode)
        )


@final
@attrs.frozen
class RuleUsage:
    """How often a rule was used so far: in total, and by this customer."""

    total: int = 0
    customer: int = 0


def normalise_code(code: str) -> str:
    """Coupon codes compare without case or surrounding blanks.

    >>> normalise_code(" winter10 ")
    'WINTER10'
    """
    return code.strip().upper()
