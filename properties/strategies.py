"""Hypothesis strategies shared by every property: money, tax policies, rules, requests, and
JSON requests broken in one place."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, TypeAlias

import attrs
from hypothesis import strategies as st

from pulseshop.core.currencies import EXPONENTS
from pulseshop.core.money import (
    BHD,
    EUR,
    JPY,
    MAX_AMOUNT,
    USD,
    Currency,
    Money,
    RoundingLevel,
    RoundingMode,
    RoundingPolicy,
    currency_of,
    from_minor_units,
)
from pulseshop.core.pricing import (
    AmountOffLines,
    AmountOffOrder,
    BuyXGetY,
    CouponCode,
    Customer,
    CustomerGroupIs,
    DateWindow,
    DiscountClass,
    FixedUnitPrice,
    FreeShipping,
    HasItems,
    Line,
    LineSelector,
    MinQuantity,
    MinSubtotal,
    PercentOffLines,
    PercentOffOrder,
    PriceRule,
    QuoteRequest,
    RuleUsage,
    ShippingTax,
    ShippingTaxMode,
    Tax,
    TaxPolicy,
    Tier,
    TieredUnitPrice,
    Zone,
)
from pulseshop.core.pricing.codec import encode_request
from pulseshop.core.pricing.rules import ALL_CLASSES

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pulseshop.core.pricing.rules import Action, Condition

CURRENCIES = (EUR, USD, JPY, BHD)
TAX_CATEGORIES = ("standard", "reduced", "zero")
PRODUCT_CATEGORIES = ("tea", "mugs", "books")
SKUS = tuple(f"SKU-{number:02d}" for number in range(12))
COUPONS = ("WINTER", "SAVE5", "VIP", "SHIPFREE")
GROUPS = ("vip", "staff")
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

currencies = st.sampled_from(CURRENCIES)
rounding_policies = st.builds(
    RoundingPolicy, st.sampled_from(list(RoundingMode)), st.sampled_from(list(RoundingLevel))
)


def money(currency: Currency, max_units: int = 200_000) -> st.SearchStrategy[Money]:
    """Whole minor units of ``currency`` from 0 to ``max_units``."""
    return st.integers(0, max_units).map(lambda units: from_minor_units(units, currency))


def rates(max_rate: str = "0.3") -> st.SearchStrategy[Decimal]:
    """Tax rates with up to four decimal places, from 0 to ``max_rate``."""
    top = int(Decimal(max_rate) * 10_000)
    return st.integers(0, top).map(lambda basis_points: Decimal(basis_points) / 10_000)


def percents() -> st.SearchStrategy[Decimal]:
    """Percentages with up to two decimal places, from 0 to 100."""
    return st.integers(0, 10_000).map(lambda hundredths: Decimal(hundredths) / 100)


@st.composite
def tax_policies(draw: st.DrawFn, max_rate: str = "0.3") -> TaxPolicy:
    """A policy over TAX_CATEGORIES: one flat tax each, sometimes a second, compounding one."""
    taxes = [Tax("vat", category, draw(rates(max_rate))) for category in TAX_CATEGORIES]
    if draw(st.booleans()):
        taxes.append(
            Tax(
                "local",
                draw(st.sampled_from(TAX_CATEGORIES)),
                draw(rates("0.1")),
                zone=draw(st.sampled_from([Zone(), Zone("US"), Zone("US", "CA")])),
                compound=draw(st.booleans()),
                sequence=1,
            )
        )
    mode = draw(st.sampled_from(list(ShippingTaxMode)))
    category = draw(st.sampled_from(TAX_CATEGORIES)) if mode is ShippingTaxMode.CATEGORY else None
    return TaxPolicy(
        tuple(taxes),
        prices_include_tax=draw(st.booleans()),
        shipping=ShippingTax(mode, category),
    )


@st.composite
def cart_lines(draw: st.DrawFn, currency: Currency) -> tuple[Line, ...]:
    """One to eight lines with distinct SKUs."""
    skus = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=8, unique=True))
    return tuple(
        Line(
            sku=sku,
            unit_price=draw(money(currency, 50_000)),
            quantity=draw(st.integers(1, 12)),
            tax_category=draw(st.sampled_from(TAX_CATEGORIES)),
            category=draw(st.sampled_from((*PRODUCT_CATEGORIES, None))),
        )
        for sku in skus
    )


selectors = st.one_of(
    st.just(LineSelector()),
    st.builds(LineSelector, skus=st.frozensets(st.sampled_from(SKUS), min_size=1, max_size=4)),
    st.builds(
        LineSelector,
        categories=st.frozensets(st.sampled_from(PRODUCT_CATEGORIES), min_size=1, max_size=2),
    ),
)


@st.composite
def actions(draw: st.DrawFn, currency: Currency) -> Action:
    """Any action, with amounts in ``currency``."""
    kind = draw(st.integers(0, 7))
    selector = draw(selectors)
    if kind == 0:
        return PercentOffLines(draw(percents()), selector)
    if kind == 1:
        return AmountOffLines(draw(money(currency, 5_000)), selector)
    if kind == 2:
        return FixedUnitPrice(draw(money(currency, 20_000)), selector)
    if kind == 3:
        thresholds = draw(st.lists(st.integers(1, 10), min_size=1, max_size=3, unique=True))
        tiers = tuple(Tier(q, draw(money(currency, 20_000))) for q in sorted(thresholds))
        return TieredUnitPrice(tiers, selector)
    if kind == 4:
        return BuyXGetY(
            draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(percents()), selector
        )
    if kind == 5:
        return PercentOffOrder(draw(percents()))
    if kind == 6:
        return AmountOffOrder(draw(money(currency, 20_000)))
    return FreeShipping()


@st.composite
def conditions(draw: st.DrawFn, currency: Currency) -> Condition:
    """Any condition, with amounts in ``currency``."""
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return MinSubtotal(draw(money(currency, 100_000)))
    if kind == 1:
        return MinQuantity(draw(st.integers(1, 10)), draw(selectors))
    if kind == 2:
        return HasItems(draw(selectors))
    if kind == 3:
        return CustomerGroupIs(draw(st.frozensets(st.sampled_from(GROUPS), min_size=1)))
    if kind in {4, 5}:
        return CouponCode(draw(st.sampled_from(COUPONS)))
    start = NOW + timedelta(days=draw(st.integers(-3, 1)))
    return DateWindow(start, start + timedelta(days=draw(st.integers(1, 4))))


@st.composite
def price_rules(draw: st.DrawFn, currency: Currency, index: int) -> PriceRule:
    """A rule with id R<index>, any action, up to two conditions and any controls."""
    return PriceRule(
        id=f"R{index}",
        action=draw(actions(currency)),
        name=f"rule {index}",
        conditions=tuple(draw(st.lists(conditions(currency), max_size=2))),
        priority=draw(st.integers(0, 2)),
        exclusive=draw(st.integers(0, 5)) == 0,
        combines_with=draw(
            st.just(frozenset(DiscountClass)) | st.frozensets(st.sampled_from(list(DiscountClass)))
        ),
        max_discount=draw(st.none() | money(currency, 10_000)),
        usage_limit=draw(st.none() | st.integers(0, 3)),
        per_customer_limit=draw(st.none() | st.integers(0, 2)),
    )


@st.composite
def rule_sets(draw: st.DrawFn, currency: Currency, max_size: int = 5) -> tuple[PriceRule, ...]:
    """Up to ``max_size`` rules with distinct ids."""
    count = draw(st.integers(0, max_size) | st.integers(min(2, max_size), max_size))
    return tuple(draw(price_rules(currency, index)) for index in range(count))


usage_counts = st.sampled_from((0, 0, 0, 1, 3))


def coupon_entries(rules: tuple[PriceRule, ...]) -> st.SearchStrategy[str]:
    """Codes as customers type them: mostly the rules' own, in any case, sometimes unknown."""
    codes = sorted({code for rule in rules for code in rule.coupon_codes})
    known = st.sampled_from(codes).flatmap(lambda code: st.sampled_from((code, code.lower())))
    unknown = st.sampled_from(("BOGUS", " winter "))
    return (known | known | unknown) if codes else unknown


@st.composite
def requests(
    draw: st.DrawFn,
    *,
    max_rules: int = 5,
    policies: st.SearchStrategy[TaxPolicy] | None = None,
    exempt: bool | None = None,
) -> QuoteRequest:
    """A valid quote request, rules, coupons, shipping and all."""
    currency = draw(currencies)
    rules = draw(rule_sets(currency, max_rules))
    is_exempt = draw(st.booleans()) if exempt is None else exempt
    return QuoteRequest(
        currency=currency,
        lines=draw(cart_lines(currency)),
        at=NOW,
        tax_policy=draw(policies if policies is not None else tax_policies()),
        rounding=draw(rounding_policies),
        rules=rules,
        coupons=tuple(draw(st.lists(coupon_entries(rules), max_size=3))),
        shipping=draw(st.none() | money(currency, 3_000)),
        customer=Customer(
            id=draw(st.none() | st.just("c-1")),
            group=draw(st.none() | st.sampled_from(GROUPS)),
            tax_exemption="certificate 42" if is_exempt else None,
        ),
        destination=draw(st.sampled_from([Zone(), Zone("FR"), Zone("US", "CA")])),
        usage={rule.id: RuleUsage(draw(usage_counts), draw(usage_counts)) for rule in rules},
    )


@st.composite
def requests_sharing_a_priority(draw: st.DrawFn) -> QuoteRequest:
    """A valid request whose rules all have one priority and, mostly, all combine, so they
    apply in one stage and split what a line has left between them."""
    request = draw(requests(max_rules=6))
    priority = draw(st.integers(-2, 2))
    stack = draw(st.integers(0, 3)) > 0
    rules = tuple(
        attrs.evolve(rule, priority=priority, exclusive=False, combines_with=ALL_CLASSES)
        if stack
        else attrs.evolve(rule, priority=priority)
        for rule in request.rules
    )
    return attrs.evolve(request, rules=rules)


# ---------------------------------------------------------------- money and allocation

every_currency = st.sampled_from(sorted(EXPONENTS)).map(lambda code: currency_of(code).unwrap())
"""Every ISO 4217 currency the core knows: exponents 0, 2, 3 and 4."""


def whole_amounts(currency: Currency) -> st.SearchStrategy[Money]:
    """Whole minor units of ``currency``, negative too, up to MAX_AMOUNT either way."""
    limit = int(MAX_AMOUNT) * 10**currency.exponent
    units = st.integers(-1_000, 1_000) | st.integers(-limit, limit)
    return units.map(lambda count: from_minor_units(count, currency))


def unrounded_amounts(currency: Currency) -> st.SearchStrategy[Money]:
    """Amounts of ``currency`` with up to eight digits beyond its minor unit, up to MAX_AMOUNT
    either way; exact halves of a minor unit come often."""

    def amount(units: int, extra_places: int) -> Money:
        return Money(Decimal(units).scaleb(-(currency.exponent + extra_places)), currency)

    @st.composite
    def build(draw: st.DrawFn) -> Money:
        extra_places = draw(st.integers(0, 8))
        limit = int(MAX_AMOUNT) * 10 ** (currency.exponent + extra_places)
        half = 5 * 10 ** (extra_places - 1) if extra_places else 0
        near_half = st.integers(-(10**6), 10**6).map(lambda whole: whole * 10**extra_places + half)
        units = draw(near_half | st.integers(-1_000, 1_000) | st.integers(-limit, limit))
        return amount(units, extra_places)

    return build()


def decimal_weights(max_places: int = 4) -> st.SearchStrategy[Decimal]:
    """Non-negative Decimal weights with up to ``max_places`` decimal places."""
    return st.builds(
        lambda units, places: Decimal(units).scaleb(-places),
        st.integers(0, 10**6),
        st.integers(0, max_places),
    )


allocation_weights = st.lists(
    st.just(0) | st.integers(0, 10) | st.integers(0, 10**9) | decimal_weights(),
    min_size=1,
    max_size=12,
)
"""Weights for `allocate`: ints and Decimals, zeros common, all zeros possible."""


# ---------------------------------------------------------------- the JSON contract
#
# Where a request's JSON fields sit, named by their shape: the path with list indices
# written ``[]`` and the keys of the two free-form objects (``tax_rates``, ``usage``)
# written ``*``. These tables restate the contract so mutations know what breaks it.

JsonStep: TypeAlias = str | int
JsonSteps: TypeAlias = tuple[JsonStep, ...]

MAP_SHAPES = frozenset({"tax_rates", "usage"})
"""Objects whose keys are data (tax categories, rule ids), not field names."""

NULLABLE_SHAPES = frozenset(
    {
        "lines[].category",
        "taxes[].country",
        "taxes[].region",
        "shipping_tax.category",
        "shipping",
        "customer.id",
        "customer.group",
        "customer.tax_exemption",
        "ship_to.country",
        "ship_to.region",
        "rules[].max_discount",
        "rules[].usage_limit",
        "rules[].per_customer_limit",
        "rules[].conditions[].starts_at",
        "rules[].conditions[].ends_at",
    }
)
"""Fields where null means "not given"; everywhere else null is malformed."""

MONEY_SHAPES = frozenset(
    {
        "lines[].unit_price",
        "shipping",
        "rules[].max_discount",
        "rules[].conditions[].amount",
        "rules[].action.amount",
        "rules[].action.price",
        "rules[].action.tiers[].unit_price",
    }
)
"""Decimal strings in the request's currency: whole minor units, not negative."""

DECIMAL_PLACES = {"tax_rates.*": 10, "taxes[].rate": 10, "rules[].action.percent": 8}
"""The other decimal strings (rates, percentages) and the places they may have."""

COUNT_SHAPES = frozenset(
    {
        "lines[].quantity",
        "rules[].usage_limit",
        "rules[].per_customer_limit",
        "rules[].conditions[].quantity",
        "rules[].action.buy",
        "rules[].action.get",
        "rules[].action.tiers[].min_quantity",
        "usage.*.total",
        "usage.*.customer",
    }
)
"""Integers that may not be negative."""

_REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "": ("currency", "lines", "at"),
    "lines[]": ("sku", "unit_price", "quantity", "tax_category"),
    "taxes[]": ("name", "category", "rate"),
    "rules[]": ("id", "action"),
    "rules[].action.tiers[]": ("min_quantity", "unit_price"),
}
_REQUIRED_BY_TYPE: dict[str, dict[str, tuple[str, ...]]] = {
    "rules[].action": {
        "percent_off_lines": ("percent",),
        "amount_off_lines": ("amount",),
        "fixed_unit_price": ("price",),
        "tiered_unit_price": ("tiers",),
        "buy_x_get_y": ("buy", "get"),
        "percent_off_order": ("percent",),
        "amount_off_order": ("amount",),
        "free_shipping": (),
    },
    "rules[].conditions[]": {
        "min_subtotal": ("amount",),
        "min_quantity": ("quantity",),
        "has_items": (),
        "customer_group": ("groups",),
        "coupon": ("code",),
        "date_window": (),
    },
}


def required_fields(shape: str, value: dict[str, object]) -> tuple[str, ...]:
    """The fields an object of this shape must have (actions and conditions: by type)."""
    by_type = _REQUIRED_BY_TYPE.get(shape)
    if by_type is not None:
        kind = value.get("type")
        return ("type", *(by_type.get(kind, ()) if isinstance(kind, str) else ()))
    if shape == "shipping_tax" and value.get("mode") == "category":
        return ("category",)
    return _REQUIRED_FIELDS.get(shape, ())


def json_path(steps: JsonSteps) -> str:
    """A path as problems name it: ``lines[2].quantity``, ``usage.R1.total``."""
    path = ""
    for step in steps:
        if isinstance(step, int):
            path += f"[{step}]"
        else:
            path = f"{path}.{step}" if path else step
    return path


def json_shape(steps: JsonSteps) -> str:
    """A path's shape: ``lines[].quantity``, ``usage.*.total``."""
    shape = ""
    for step in steps:
        if isinstance(step, int):
            shape += "[]"
        elif shape in MAP_SHAPES:
            shape += ".*"
        else:
            shape = f"{shape}.{step}" if shape else step
    return shape


def json_sites(value: object, steps: JsonSteps = ()) -> Iterator[tuple[JsonSteps, object]]:
    """Every value inside ``value`` (itself first), with the steps that reach it."""
    yield steps, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_sites(item, (*steps, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_sites(item, (*steps, index))


def json_kind(value: object) -> str:
    """The JSON type of a parsed value (booleans are not numbers here)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return type(value).__name__


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(allow_nan=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
"""Any JSON value."""


broken_currencies = st.sampled_from(("XXX", "XAU", "eur", "BHX", "")) | json_values.filter(
    lambda value: not (isinstance(value, str) and value in EXPONENTS)
)
"""Anything in a request's ``currency`` that is not a currency the core knows."""


def _flat_rates(encoded: dict[str, object]) -> dict[str, object]:
    """The same request with its plain VAT taxes written as ``tax_rates``."""
    taxes = encoded["taxes"]
    assert isinstance(taxes, list)
    plain = [
        tax
        for tax in taxes
        if tax["name"] == "vat"
        and tax["country"] is None
        and tax["region"] is None
        and not tax["compound"]
        and tax["sequence"] == 0
    ]
    rest = [tax for tax in taxes if tax not in plain]
    return {**encoded, "tax_rates": {tax["category"]: tax["rate"] for tax in plain}, "taxes": rest}


@st.composite
def valid_json_requests(draw: st.DrawFn) -> dict[str, object]:
    """A valid request as parsed JSON, its taxes as a ``taxes`` list or as ``tax_rates``."""
    encoded = json.loads(json.dumps(encode_request(draw(requests()))))
    assert isinstance(encoded, dict)
    return _flat_rates(encoded) if draw(st.booleans()) else encoded


@attrs.frozen
class MalformedRequest:
    """A valid JSON request broken at one path, and how."""

    data: object
    path: str
    change: str


def _decimal_text(units: int, places: int) -> str:
    return f"{Decimal(units).scaleb(-places):f}"


def _possible_changes(data: object) -> dict[str, list[JsonSteps]]:
    """Each kind of change that breaks ``data``, with the paths it can be made at."""
    changes: dict[str, list[JsonSteps]] = {}
    for steps, value in json_sites(data):
        shape = json_shape(steps)
        if value is not None:
            # A null says nothing of the type its field takes, so only values are retyped.
            changes.setdefault("wrong type", []).append(steps)
            if shape not in NULLABLE_SHAPES:
                changes.setdefault("null", []).append(steps)
        is_decimal = isinstance(value, str) and (shape in MONEY_SHAPES or shape in DECIMAL_PLACES)
        if is_decimal or (shape in COUNT_SHAPES and json_kind(value) == "int"):
            changes.setdefault("negative", []).append(steps)
        if is_decimal:
            changes.setdefault("too precise", []).append(steps)
        if isinstance(value, dict):
            if shape not in MAP_SHAPES:
                changes.setdefault("unknown field", []).append(steps)
            for name in required_fields(shape, value):
                if name in value:
                    changes.setdefault("required field deleted", []).append((*steps, name))
    return changes


@st.composite
def _replacement(draw: st.DrawFn, change: str, original: object, places: int) -> object:
    """A value that breaks the contract where ``original`` was; ``places`` are the decimal
    places allowed there (for amounts, the currency's exponent)."""
    match change:
        case "wrong type":
            return draw(
                json_values.filter(
                    lambda value: value is not None and json_kind(value) != json_kind(original)
                )
            )
        case "negative" if isinstance(original, str):
            return "-" + _decimal_text(draw(st.integers(1, 10**6)), draw(st.integers(0, places)))
        case "negative":
            return -draw(st.integers(1, 10**6))
        case "too precise":
            last_digit_not_zero = st.integers(0, 10**4).map(lambda tens: tens * 10 + 7)
            return _decimal_text(draw(last_digit_not_zero), places + draw(st.integers(1, 3)))
        case _:
            return None


@st.composite
def malformed_requests(draw: st.DrawFn) -> MalformedRequest:
    """A valid JSON request with one change that breaks the contract: a value of the wrong
    type (or a null where null means nothing), a negative count or amount, an amount too
    precise for its currency or a rate too precise, an unknown field, a required field gone."""
    data = draw(valid_json_requests())
    changes = _possible_changes(data)
    change = draw(st.sampled_from(sorted(changes)))
    steps = draw(st.sampled_from(changes[change]))
    if change == "required field deleted":
        return MalformedRequest(_without(data, steps), json_path(steps), change)
    if change == "unknown field":
        name = draw(st.sampled_from(("", "colour", "Quantity", "unitPrice")) | _unknown_names)
        added = (*steps, name)
        return MalformedRequest(_with(data, added, draw(json_values)), json_path(added), change)
    shape = json_shape(steps)
    exponent = currency_of(str(_at_steps(data, ("currency",)))).unwrap().exponent
    places = exponent if shape in MONEY_SHAPES else DECIMAL_PLACES.get(shape, 0)
    replacement = draw(_replacement(change, _at_steps(data, steps), places))
    return MalformedRequest(_with(data, steps, replacement), json_path(steps), change)


_unknown_names = st.text(max_size=6).map(lambda name: f"x-{name}")


def _at_steps(data: object, steps: JsonSteps) -> object:
    for step in steps:
        data = data[step]  # type: ignore[index]  # steps were read off this very value
    return data


def _with(data: object, steps: JsonSteps, replacement: object) -> object:
    """A deep copy of ``data`` with the value at ``steps`` replaced (or added)."""
    if not steps:
        return replacement
    copy = json.loads(json.dumps(data))
    parent = _at_steps(copy, steps[:-1])
    parent[steps[-1]] = replacement  # type: ignore[index]  # a list or an object, by its steps
    return copy


def _without(data: object, steps: JsonSteps) -> object:
    """A deep copy of ``data`` without the field at ``steps``."""
    copy = json.loads(json.dumps(data))
    parent = _at_steps(copy, steps[:-1])
    assert isinstance(parent, dict)
    del parent[steps[-1]]
    return copy
