"""The JSON contract of `quote`: requests in, quotes out (docs/schemas/).

`decode_request` takes the value `json.loads` returned and never raises: every
problem comes back with its JSON path. It checks the shape (types, required and
unknown fields, decimal strings, dates); where a field is malformed it carries on
with a stand-in value, so `validate` can still report everything else, and a field
is never reported twice. Amounts and rates are decimal strings ("12.30"), never JSON
numbers, so no binary fraction creeps in.

>>> request = decode_request({
...     "currency": "EUR",
...     "tax_rates": {"standard": "0.20"},
...     "lines": [{"sku": "MUG-1", "unit_price": "12.00", "quantity": 2,
...                "tax_category": "standard"}],
...     "at": "2026-12-04T10:00:00Z",
... })
>>> encode_quote(quote(request.unwrap()).unwrap())["total"]
'28.80'
>>> [str(problem) for problem in decode_request({"lines": [{"quantity": 0}]}).failure()]
... # doctest: +NORMALIZE_WHITESPACE
['currency: is required', 'at: is required', 'lines[0].sku: is required',
 'lines[0].unit_price: is required', 'lines[0].tax_category: is required',
 'lines[0].quantity: must be a positive integer']
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final, assert_never

from returns.pipeline import is_successful
from returns.result import Failure, Result, Success

from pulseshop.core.json_reading import JsonReader
from pulseshop.core.money import (
    Currency,
    Money,
    RoundingLevel,
    RoundingMode,
    RoundingPolicy,
    currency_of,
)
from pulseshop.core.pricing.quote import quote
from pulseshop.core.pricing.request import Customer, Line, QuoteRequest
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
    LineSelector,
    MinQuantity,
    MinSubtotal,
    PercentOffLines,
    PercentOffOrder,
    PriceRule,
    RuleUsage,
    Tier,
    TieredUnitPrice,
)
from pulseshop.core.pricing.tax import ShippingTax, ShippingTaxMode, Tax, TaxPolicy, Zone
from pulseshop.core.pricing.validation import quantity_problems, validate
from pulseshop.core.problems import Problem, ProblemCode, Problems, at

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pulseshop.core.pricing.result import Quote
    from pulseshop.core.pricing.rules import Action, Condition

__all__ = ["decode_request", "encode_quote", "encode_request", "price_json"]

_PLACEHOLDER_CURRENCY: Final = Currency("XXX", 2)
_TAX_PATH: Final = re.compile(r"taxes\[([0-9]+)\]")


def price_json(data: object) -> Result[dict[str, object], Problems]:
    """Decode a JSON request, quote it, encode the quote: the contract in one call."""
    return decode_request(data).bind(quote).map(encode_quote)


# ---------------------------------------------------------------- decoding


def decode_request(data: object) -> Result[QuoteRequest, Problems]:
    """A `QuoteRequest` from parsed JSON, or every problem with its JSON path."""
    decoder = JsonReader()
    fields = decoder.fields(
        "",
        data,
        required=("currency", "lines", "at"),
        optional=(
            "prices_include_tax", "tax_rates", "taxes", "shipping_tax", "rounding", "rules",
            "coupons", "shipping", "customer", "ship_to", "usage",
        ),
    )  # fmt: skip
    if fields is None:
        return Failure(tuple(decoder.problems))
    currency = (
        _currency(decoder, fields["currency"]) if "currency" in fields else _PLACEHOLDER_CURRENCY
    )
    request = QuoteRequest(
        currency=currency,
        lines=tuple(
            decoder.list_of(
                "lines", fields.get("lines", []), lambda p, v: _line(decoder, p, v, currency)
            )
        ),
        at=decoder.moment("at", fields["at"])
        if "at" in fields
        else datetime(2000, 1, 1, tzinfo=UTC),
        tax_policy=_tax_policy(decoder, fields),
        rounding=_rounding(decoder, fields.get("rounding", {})),
        rules=tuple(
            decoder.list_of(
                "rules", fields.get("rules", []), lambda p, v: _rule(decoder, p, v, currency)
            )
        ),
        coupons=tuple(decoder.list_of("coupons", fields.get("coupons", []), decoder.text)),
        shipping=(
            Money(decoder.decimal("shipping", fields["shipping"]), currency)
            if fields.get("shipping") is not None
            else None
        ),
        customer=_customer(decoder, fields.get("customer", {})),
        destination=_zone(decoder, "ship_to", fields.get("ship_to", {})),
        usage=_usage(decoder, fields.get("usage", {})),
    )
    shape = tuple(decoder.problems)
    if any(problem.path == "currency" for problem in shape):
        # Without a currency (missing, malformed or unknown) nothing can be checked against
        # it: report the shape alone, not amounts judged by a stand-in's exponent.
        return Failure(shape)
    reported = {problem.path for problem in shape}
    rates = fields.get("tax_rates", {})
    rate_categories = [str(category) for category in rates] if isinstance(rates, dict) else []
    semantic = tuple(
        problem
        for problem in (_at_json_path(found, rate_categories) for found in validate(request))
        if not any(_within(problem.path, path) for path in reported)
    )
    problems = shape + semantic
    return Failure(problems) if problems else Success(request)


def _within(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith((ancestor + ".", ancestor + "["))


def _at_json_path(problem: Problem, rate_categories: Sequence[str]) -> Problem:
    """The problem at its JSON path: the policy's ``taxes`` are ``tax_rates``, then ``taxes``."""
    found = _TAX_PATH.match(problem.path)
    if found is None:
        return problem
    index = int(found.group(1))
    if index < len(rate_categories):
        path = at("tax_rates", rate_categories[index])
    else:
        path = at("taxes", index - len(rate_categories)) + problem.path[found.end() :]
    return Problem(path, problem.code, problem.message)


def _currency(decoder: JsonReader, value: object) -> Currency:
    code = decoder.text("currency", value, default="XXX")
    found = currency_of(code)
    if not is_successful(found):
        if isinstance(value, str):
            decoder.fail("currency", ProblemCode.UNKNOWN_CURRENCY, found.failure())
        return Currency(code, 2) if isinstance(value, str) else _PLACEHOLDER_CURRENCY
    return found.unwrap()


def _money(decoder: JsonReader, path: str, value: object, currency: Currency) -> Money:
    return Money(decoder.decimal(path, value), currency)


def _line(decoder: JsonReader, path: str, value: object, currency: Currency) -> Line:
    fields = decoder.fields(
        path,
        value,
        required=("sku", "unit_price", "quantity", "tax_category"),
        optional=("category", "currency"),
    )
    if fields is None:
        fields = {}  # not an object (reported): an empty one stands in
    line_currency = currency
    if "currency" in fields:
        line_currency = decoder.currency(at(path, "currency"), fields["currency"], currency)
    quantity_path = at(path, "quantity")
    raw_quantity = fields.get("quantity", 1)
    quantity_problems_found = quantity_problems(quantity_path, raw_quantity)
    decoder.problems.extend(quantity_problems_found if "quantity" in fields else ())
    quantity = raw_quantity if isinstance(raw_quantity, int) and not quantity_problems_found else 1
    return Line(
        sku=decoder.text(at(path, "sku"), fields["sku"]) if "sku" in fields else "?",
        unit_price=(
            _money(decoder, at(path, "unit_price"), fields["unit_price"], line_currency)
            if "unit_price" in fields
            else Money(Decimal(0), currency)
        ),
        quantity=quantity,
        tax_category=(
            decoder.text(at(path, "tax_category"), fields["tax_category"])
            if "tax_category" in fields
            else ""
        ),
        category=decoder.optional_text(at(path, "category"), fields.get("category")),
    )


def _tax_policy(decoder: JsonReader, fields: Mapping[str, object]) -> TaxPolicy:
    taxes: list[Tax] = []
    rates = fields.get("tax_rates", {})
    if isinstance(rates, dict):
        for category, rate in rates.items():
            taxes.append(
                Tax("tax", str(category), decoder.decimal(at("tax_rates", str(category)), rate))
            )
    else:
        decoder.fail("tax_rates", ProblemCode.WRONG_TYPE, "must be an object of category to rate")
    taxes.extend(
        decoder.list_of("taxes", fields.get("taxes", []), lambda p, v: _tax(decoder, p, v))
    )
    include = fields.get("prices_include_tax", False)
    return TaxPolicy(
        taxes=tuple(taxes),
        prices_include_tax=decoder.boolean("prices_include_tax", include),
        shipping=_shipping_tax(decoder, fields.get("shipping_tax", {})),
    )


def _tax(decoder: JsonReader, path: str, value: object) -> Tax:
    fields = decoder.fields(
        path,
        value,
        required=("name", "category", "rate"),
        optional=("country", "region", "compound", "sequence"),
    )
    if fields is None:
        fields = {}  # not an object (reported): an empty one stands in
    return Tax(
        name=decoder.text(at(path, "name"), fields.get("name", "tax")),
        category=decoder.text(at(path, "category"), fields.get("category", "")),
        rate=decoder.decimal(at(path, "rate"), fields.get("rate", "0")),
        zone=Zone(
            decoder.optional_text(at(path, "country"), fields.get("country")),
            decoder.optional_text(at(path, "region"), fields.get("region")),
        ),
        compound=decoder.boolean(at(path, "compound"), fields.get("compound", False)),
        sequence=decoder.integer(at(path, "sequence"), fields.get("sequence", 0)),
    )


def _shipping_tax(decoder: JsonReader, value: object) -> ShippingTax:
    fields = decoder.fields("shipping_tax", value, required=(), optional=("mode", "category"))
    if fields is None:
        return ShippingTax()
    mode = decoder.choice(
        "shipping_tax.mode", fields.get("mode", "none"), ShippingTaxMode, ShippingTaxMode.NONE
    )
    category = decoder.optional_text("shipping_tax.category", fields.get("category"))
    if mode is ShippingTaxMode.CATEGORY and category is None:
        decoder.fail(
            "shipping_tax.category", ProblemCode.REQUIRED, "is required with mode category"
        )
    return ShippingTax(mode, category)


def _rounding(decoder: JsonReader, value: object) -> RoundingPolicy:
    fields = decoder.fields("rounding", value, required=(), optional=("mode", "level"))
    if fields is None:
        return RoundingPolicy()
    return RoundingPolicy(
        mode=decoder.choice(
            "rounding.mode", fields.get("mode", "half_even"), RoundingMode, RoundingMode.HALF_EVEN
        ),
        level=decoder.choice(
            "rounding.level", fields.get("level", "line"), RoundingLevel, RoundingLevel.LINE
        ),
    )


def _customer(decoder: JsonReader, value: object) -> Customer:
    fields = decoder.fields(
        "customer", value, required=(), optional=("id", "group", "tax_exemption")
    )
    if fields is None:
        return Customer()
    return Customer(
        id=decoder.optional_text("customer.id", fields.get("id")),
        group=decoder.optional_text("customer.group", fields.get("group")),
        tax_exemption=decoder.optional_text("customer.tax_exemption", fields.get("tax_exemption")),
    )


def _zone(decoder: JsonReader, path: str, value: object) -> Zone:
    fields = decoder.fields(path, value, required=(), optional=("country", "region"))
    if fields is None:
        return Zone()
    return Zone(
        decoder.optional_text(at(path, "country"), fields.get("country")),
        decoder.optional_text(at(path, "region"), fields.get("region")),
    )


def _usage(decoder: JsonReader, value: object) -> dict[str, RuleUsage]:
    if not isinstance(value, dict):
        decoder.fail("usage", ProblemCode.WRONG_TYPE, "must be an object of rule id to counts")
        return {}
    usage = {}
    for rule_id, counts in value.items():
        path = at("usage", str(rule_id))
        fields = decoder.fields(path, counts, required=(), optional=("total", "customer"))
        if fields is not None:
            usage[str(rule_id)] = RuleUsage(
                total=decoder.integer(at(path, "total"), fields.get("total", 0)),
                customer=decoder.integer(at(path, "customer"), fields.get("customer", 0)),
            )
    return usage


def _selector(decoder: JsonReader, path: str, fields: Mapping[str, object]) -> LineSelector:
    return LineSelector(
        skus=decoder.texts(at(path, "skus"), fields["skus"]) if "skus" in fields else None,
        categories=(
            decoder.texts(at(path, "categories"), fields["categories"])
            if "categories" in fields
            else None
        ),
    )


def _rule(decoder: JsonReader, path: str, value: object, currency: Currency) -> PriceRule:
    fields = decoder.fields(
        path,
        value,
        required=("id", "action"),
        optional=(
            "name", "priority", "exclusive", "combines_with", "max_discount", "usage_limit",
            "per_customer_limit", "conditions",
        ),
    )  # fmt: skip
    if fields is None:
        fields = {}  # not an object (reported): an empty one stands in
    combines = decoder.list_of(
        at(path, "combines_with"),
        fields.get("combines_with", []),
        lambda p, v: decoder.choice(p, v, DiscountClass, DiscountClass.PRODUCT),
    )
    action = (
        _action(decoder, at(path, "action"), fields["action"], currency)
        if "action" in fields
        else None
    )
    return PriceRule(
        id=decoder.text(at(path, "id"), fields["id"]) if "id" in fields else "?",
        action=action if action is not None else FreeShipping(),
        name=decoder.text(at(path, "name"), fields.get("name", "")),
        conditions=tuple(
            decoder.list_of(
                at(path, "conditions"),
                fields.get("conditions", []),
                lambda p, v: _condition(decoder, p, v, currency),
            )
        ),
        priority=decoder.integer(at(path, "priority"), fields.get("priority", 0)),
        exclusive=decoder.boolean(at(path, "exclusive"), fields.get("exclusive", False)),
        combines_with=frozenset(combines),
        max_discount=(
            _money(decoder, at(path, "max_discount"), fields["max_discount"], currency)
            if fields.get("max_discount") is not None
            else None
        ),
        usage_limit=_optional_int(decoder, at(path, "usage_limit"), fields.get("usage_limit")),
        per_customer_limit=_optional_int(
            decoder, at(path, "per_customer_limit"), fields.get("per_customer_limit")
        ),
    )


def _optional_int(decoder: JsonReader, path: str, value: object) -> int | None:
    return None if value is None else decoder.integer(path, value)


_SELECTOR_FIELDS = ("skus", "categories")


def _condition(decoder: JsonReader, path: str, value: object, currency: Currency) -> Condition:
    kind = _kind(decoder, path, value, _CONDITION_FIELDS)
    if kind is None:
        return HasItems(LineSelector())  # a stand-in that holds no further problems
    required, optional = _CONDITION_FIELDS[kind]
    # `_kind` saw an object, so there are fields.
    fields = decoder.fields(path, value, required=("type", *required), optional=optional) or {}
    match kind:
        case "min_subtotal":
            return MinSubtotal(
                _money(decoder, at(path, "amount"), fields.get("amount", "0"), currency)
            )
        case "min_quantity":
            return MinQuantity(
                decoder.integer(at(path, "quantity"), fields.get("quantity", 1), default=1),
                _selector(decoder, path, fields),
            )
        case "has_items":
            return HasItems(_selector(decoder, path, fields))
        case "customer_group":
            return CustomerGroupIs(decoder.texts(at(path, "groups"), fields.get("groups", [])))
        case "coupon":
            return CouponCode(decoder.text(at(path, "code"), fields.get("code", ""), default="?"))
        case _:
            return DateWindow(
                decoder.moment(at(path, "starts_at"), fields["starts_at"])
                if fields.get("starts_at") is not None
                else None,
                decoder.moment(at(path, "ends_at"), fields["ends_at"])
                if fields.get("ends_at") is not None
                else None,
            )


_CONDITION_FIELDS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "min_subtotal": (("amount",), ()),
    "min_quantity": (("quantity",), _SELECTOR_FIELDS),
    "has_items": ((), _SELECTOR_FIELDS),
    "customer_group": (("groups",), ()),
    "coupon": (("code",), ()),
    "date_window": ((), ("starts_at", "ends_at")),
}

_ACTION_FIELDS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "percent_off_lines": (("percent",), _SELECTOR_FIELDS),
    "amount_off_lines": (("amount",), _SELECTOR_FIELDS),
    "fixed_unit_price": (("price",), _SELECTOR_FIELDS),
    "tiered_unit_price": (("tiers",), _SELECTOR_FIELDS),
    "buy_x_get_y": (("buy", "get"), ("percent", *_SELECTOR_FIELDS)),
    "percent_off_order": (("percent",), ()),
    "amount_off_order": (("amount",), ()),
    "free_shipping": ((), ()),
}


def _kind(
    decoder: JsonReader,
    path: str,
    value: object,
    kinds: Mapping[str, object],
) -> str | None:
    if not isinstance(value, dict):
        decoder.fail(path, ProblemCode.WRONG_TYPE, "must be an object")
        return None
    kind = value.get("type")
    # Only a string can name a kind; a list or object here is not even hashable.
    if not isinstance(kind, str) or kind not in kinds:
        names = ", ".join(kinds)
        decoder.fail(at(path, "type"), ProblemCode.INVALID_CHOICE, f"must be one of {names}")
        return None
    return str(kind)


def _action(decoder: JsonReader, path: str, value: object, currency: Currency) -> Action | None:
    kind = _kind(decoder, path, value, _ACTION_FIELDS)
    if kind is None:
        return None
    required, optional = _ACTION_FIELDS[kind]
    # `_kind` saw an object, so there are fields.
    fields = decoder.fields(path, value, required=("type", *required), optional=optional) or {}
    selector = _selector(decoder, path, fields)
    percent = decoder.decimal(at(path, "percent"), fields.get("percent", "100"))
    match kind:
        case "percent_off_lines":
            return PercentOffLines(percent, selector)
        case "amount_off_lines":
            return AmountOffLines(
                _money(decoder, at(path, "amount"), fields.get("amount", "0"), currency), selector
            )
        case "fixed_unit_price":
            return FixedUnitPrice(
                _money(decoder, at(path, "price"), fields.get("price", "0"), currency), selector
            )
        case "tiered_unit_price":
            tiers = decoder.list_of(
                at(path, "tiers"),
                fields.get("tiers", []),
                lambda p, v: _tier(decoder, p, v, currency),
            )
            return TieredUnitPrice(tuple(tiers), selector)
        case "buy_x_get_y":
            return BuyXGetY(
                decoder.integer(at(path, "buy"), fields.get("buy", 1), default=1),
                decoder.integer(at(path, "get"), fields.get("get", 1), default=1),
                percent,
                selector,
            )
        case "percent_off_order":
            return PercentOffOrder(percent)
        case "amount_off_order":
            return AmountOffOrder(
                _money(decoder, at(path, "amount"), fields.get("amount", "0"), currency)
            )
        case _:
            return FreeShipping()


def _tier(decoder: JsonReader, path: str, value: object, currency: Currency) -> Tier:
    fields = decoder.fields(path, value, required=("min_quantity", "unit_price"), optional=())
    if fields is None:
        fields = {}  # not an object (reported): an empty one stands in
    # A stand-in min_quantity of 0 is reported with its tier and leaves the order check alone.
    return Tier(
        decoder.integer(at(path, "min_quantity"), fields.get("min_quantity", 0)),
        _money(decoder, at(path, "unit_price"), fields.get("unit_price", "0"), currency),
    )


# ---------------------------------------------------------------- encoding


def _amount(money: Money) -> str:
    return f"{money.amount.quantize(money.currency.quantum):f}"


def _decimal(value: Decimal) -> str:
    return f"{value:f}"


def encode_quote(priced: Quote) -> dict[str, object]:
    """A quote as JSON-ready values: amounts as decimal strings at the currency's exponent."""
    shipping = priced.shipping
    return {
        "currency": priced.currency.code,
        "prices_include_tax": priced.prices_include_tax,
        "rounding": {"mode": priced.rounding.mode.value, "level": priced.rounding.level.value},
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": _amount(line.unit_price),
                "subtotal": _amount(line.subtotal),
                "discount": _amount(line.discount),
                "net": _amount(line.net),
                "tax": _amount(line.tax),
                "gross": _amount(line.gross),
                "taxes": [
                    {"name": tax.name, "rate": _decimal(tax.rate), "amount": _amount(tax.amount)}
                    for tax in line.taxes
                ],
            }
            for line in priced.lines
        ],
        "shipping": {
            "amount": _amount(shipping.amount),
            "discount": _amount(shipping.discount),
            "net": _amount(shipping.net),
            "tax": _amount(shipping.tax),
            "gross": _amount(shipping.gross),
        },
        "subtotal": _amount(priced.subtotal),
        "discount_total": _amount(priced.discount_total),
        "shipping_total": _amount(priced.shipping_total),
        "tax_total": _amount(priced.tax_total),
        "total": _amount(priced.total),
        "applied_rules": [
            {
                "id": rule.rule_id,
                "name": rule.name,
                "class": rule.discount_class.value,
                "reason": rule.reason,
                "amount": _amount(rule.amount),
                "lines": [{"sku": sku, "amount": _amount(amount)} for sku, amount in rule.lines],
                "shipping": _amount(rule.shipping),
            }
            for rule in priced.applied_rules
        ],
        "rejected_coupons": [
            {"code": coupon.code, "reason": coupon.reason.value, "message": coupon.message}
            for coupon in priced.rejected_coupons
        ],
        "tax_breakdown": [
            {
                "name": line.name,
                "rate": _decimal(line.rate),
                "base": _amount(line.base),
                "amount": _amount(line.amount),
            }
            for line in priced.tax_breakdown
        ],
        "tax_exemption": (
            {"reason": priced.tax_exemption.reason, "amount": _amount(priced.tax_exemption.amount)}
            if priced.tax_exemption is not None
            else None
        ),
    }


def encode_request(request: QuoteRequest) -> dict[str, object]:
    """A request as JSON-ready values; `decode_request` of it gives the same request back."""
    policy = request.tax_policy
    return {
        "currency": request.currency.code,
        "prices_include_tax": policy.prices_include_tax,
        "taxes": [
            {
                "name": tax.name,
                "category": tax.category,
                "rate": _decimal(tax.rate),
                "country": tax.zone.country,
                "region": tax.zone.region,
                "compound": tax.compound,
                "sequence": tax.sequence,
            }
            for tax in policy.taxes
        ],
        "shipping_tax": {"mode": policy.shipping.mode.value, "category": policy.shipping.category},
        "rounding": {"mode": request.rounding.mode.value, "level": request.rounding.level.value},
        "lines": [_encode_line(line, request.currency) for line in request.lines],
        "rules": [_encode_rule(rule) for rule in request.rules],
        "coupons": list(request.coupons),
        "shipping": _decimal(request.shipping.amount) if request.shipping is not None else None,
        "customer": {
            "id": request.customer.id,
            "group": request.customer.group,
            "tax_exemption": request.customer.tax_exemption,
        },
        "ship_to": {"country": request.destination.country, "region": request.destination.region},
        "usage": {
            rule_id: {"total": usage.total, "customer": usage.customer}
            for rule_id, usage in request.usage.items()
        },
        "at": request.at.isoformat(),
    }


def _encode_line(line: Line, currency: Currency) -> dict[str, object]:
    encoded: dict[str, object] = {
        "sku": line.sku,
        "unit_price": _decimal(line.unit_price.amount),
        "quantity": line.quantity,
        "tax_category": line.tax_category,
        "category": line.category,
    }
    if line.unit_price.currency != currency:
        encoded["currency"] = line.unit_price.currency.code
    return encoded


def _encode_selector(selector: LineSelector) -> dict[str, object]:
    encoded: dict[str, object] = {}
    if selector.skus is not None:
        encoded["skus"] = sorted(selector.skus)
    if selector.categories is not None:
        encoded["categories"] = sorted(selector.categories)
    return encoded


def _encode_condition(condition: Condition) -> dict[str, object]:
    match condition:
        case MinSubtotal(amount):
            return {"type": "min_subtotal", "amount": _decimal(amount.amount)}
        case MinQuantity(quantity, selector):
            return {"type": "min_quantity", "quantity": quantity, **_encode_selector(selector)}
        case HasItems(selector):
            return {"type": "has_items", **_encode_selector(selector)}
        case CustomerGroupIs(groups):
            return {"type": "customer_group", "groups": sorted(groups)}
        case CouponCode(code):
            return {"type": "coupon", "code": code}
        case DateWindow(starts_at, ends_at):
            return {
                "type": "date_window",
                "starts_at": starts_at.isoformat() if starts_at is not None else None,
                "ends_at": ends_at.isoformat() if ends_at is not None else None,
            }
        case _:
            assert_never(condition)


def _encode_action(action: Action) -> dict[str, object]:
    match action:
        case PercentOffLines(percent, selector):
            return {
                "type": "percent_off_lines",
                "percent": _decimal(percent),
                **_encode_selector(selector),
            }
        case AmountOffLines(amount, selector):
            return {
                "type": "amount_off_lines",
                "amount": _decimal(amount.amount),
                **_encode_selector(selector),
            }
        case FixedUnitPrice(price, selector):
            return {
                "type": "fixed_unit_price",
                "price": _decimal(price.amount),
                **_encode_selector(selector),
            }
        case TieredUnitPrice(tiers, selector):
            return {
                "type": "tiered_unit_price",
                "tiers": [
                    {
                        "min_quantity": tier.min_quantity,
                        "unit_price": _decimal(tier.unit_price.amount),
                    }
                    for tier in tiers
                ],
                **_encode_selector(selector),
            }
        case BuyXGetY(buy, get, percent, selector):
            return {
                "type": "buy_x_get_y",
                "buy": buy,
                "get": get,
                "percent": _decimal(percent),
                **_encode_selector(selector),
            }
        case PercentOffOrder(percent):
            return {"type": "percent_off_order", "percent": _decimal(percent)}
        case AmountOffOrder(amount):
            return {"type": "amount_off_order", "amount": _decimal(amount.amount)}
        case FreeShipping():
            return {"type": "free_shipping"}
        case _:
            assert_never(action)


def _encode_rule(rule: PriceRule) -> dict[str, object]:
    return {
        "id": rule.id,
        "name": rule.name,
        "priority": rule.priority,
        "exclusive": rule.exclusive,
        "combines_with": sorted(cls.value for cls in rule.combines_with),
        "max_discount": _decimal(rule.max_discount.amount)
        if rule.max_discount is not None
        else None,
        "usage_limit": rule.usage_limit,
        "per_customer_limit": rule.per_customer_limit,
        "conditions": [_encode_condition(condition) for condition in rule.conditions],
        "action": _encode_action(rule.action),
    }
