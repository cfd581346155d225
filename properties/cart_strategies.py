"""Hypothesis strategies for carts: the facts a shell gathers, commands of every kind (valid,
invalid, retried), moments with any UTC offset, and the carts histories of commands make."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Final, TypeVar, final

import attrs
from hypothesis import strategies as st

from pulseshop.core.cart import (
    EMPTY_CART,
    MAX_COMMAND_ID,
    MAX_LINE_QUANTITY,
    AddItem,
    ApplyCoupon,
    Cart,
    CartLine,
    ClearCart,
    ExpireCart,
    MergeCart,
    RemoveCoupon,
    RemoveItem,
    SetQuantity,
    apply_all,
    decide,
)
from pulseshop.core.catalog import Product
from pulseshop.core.money import EUR, JPY, USD, Currency, from_minor_units
from pulseshop.core.pricing import Tier

if TYPE_CHECKING:
    from pulseshop.core.cart import CartCommand, CartEvent

_T = TypeVar("_T")

SKUS: Final = ("MUG-1", "TEA-1", "PEN-1", "CUP-2", "BAG-3")
"""A few SKUs, the first two drawn most, so commands keep meeting the lines earlier
commands made."""

COUPONS: Final = ("WINTER10", "winter10", " Winter10 ", "SPRING", "spring ", "VIP")
"""Coupon codes that are the same code in other cases and with blanks."""

CART_CURRENCIES: Final = (EUR, EUR, EUR, USD, JPY)
"""Mostly euros, so most products fit a cart; sometimes another currency."""


def weighted(*choices: tuple[int, st.SearchStrategy[_T]]) -> st.SearchStrategy[_T]:
    """One of the strategies, each drawn about as often as its weight says.

    (`st.one_of` draws each distinct strategy about equally often, whatever repeats.)
    """
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


skus = weighted((4, st.sampled_from(SKUS[:2])), (1, st.sampled_from(SKUS[2:])))
any_skus = weighted((6, skus), (1, st.text(max_size=6)))
"""Mostly SKUs of the catalog; sometimes text that is none (or not even a SKU)."""

command_ids = weighted(
    (20, st.sampled_from([f"c-{index}" for index in range(40)])),
    (1, st.sampled_from(("", "x" * (MAX_COMMAND_ID + 1), "x" * MAX_COMMAND_ID))),
)
"""Ids from a small pool, so retries happen; now and then an invalid one."""

quantities = weighted(
    (8, st.integers(1, 6)),
    (1, st.integers(MAX_LINE_QUANTITY - 5, MAX_LINE_QUANTITY + 5)),
    (1, st.sampled_from((0, -1, True))),
)
"""Mostly a few units; near the limit of a line; sometimes not a quantity at all."""

offsets = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds and adds the zone
    max_value=datetime(2035, 1, 1),  # noqa: DTZ001 - as above
    timezones=offsets.map(timezone),
)
"""Aware moments with any UTC offset (down to microseconds)."""

ttls = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3))


@st.composite
def products(draw: st.DrawFn, sku: str) -> Product:
    """A product for ``sku``: in a cart currency, active or not, with or without a tier."""
    currency: Currency = draw(st.sampled_from(CART_CURRENCIES))
    units = draw(st.integers(100, 10_000))
    tiers = draw(st.sampled_from(((), (Tier(6, from_minor_units(units - 50, currency)),))))
    return Product(
        sku=sku,
        name="A product",
        unit_price=from_minor_units(units, currency),
        tax_category="standard",
        active=draw(st.sampled_from((True, True, True, True, False))),
        tiers=tiers,
    )


@st.composite
def facts(draw: st.DrawFn, sku: str) -> Product | None:
    """What the catalog says of ``sku``: mostly its product, sometimes none or another's."""
    return draw(weighted((8, products(sku)), (1, st.none()), (1, products("OTHER-1"))))


@st.composite
def add_items(draw: st.DrawFn) -> AddItem:
    sku = draw(any_skus)
    return AddItem(draw(command_ids), sku, draw(quantities), draw(facts(sku)))


@st.composite
def set_quantities(draw: st.DrawFn) -> SetQuantity:
    sku = draw(any_skus)
    return SetQuantity(draw(command_ids), sku, draw(quantities), draw(facts(sku)))


guest_lines = st.lists(st.builds(CartLine, any_skus, quantities), max_size=4).map(tuple)
merges = st.builds(
    MergeCart,
    command_ids,
    guest_lines,
    st.lists(st.sampled_from((*COUPONS, "", " ")), max_size=3).map(tuple),
    st.sampled_from((None, *CART_CURRENCIES)),
)

commands: st.SearchStrategy[CartCommand] = weighted(
    (6, add_items()),
    (3, set_quantities()),
    (2, st.builds(RemoveItem, command_ids, any_skus)),
    (2, st.builds(ApplyCoupon, command_ids, st.sampled_from(COUPONS), st.booleans())),
    (2, st.builds(RemoveCoupon, command_ids, st.sampled_from(COUPONS))),
    (1, st.builds(ClearCart, command_ids)),
    (2, merges),
    (1, st.builds(ExpireCart, command_ids, ttls)),
)
"""Any command, valid or not, with the facts a shell might have gathered."""

zones = offsets.map(timezone)
pauses = weighted(
    (4, st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=2))),
    (2, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4))),
    (1, st.timedeltas(min_value=timedelta(hours=-1), max_value=timedelta(0))),
)
"""The time between two commands: mostly minutes to days, now and then a clock gone back."""


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[CartCommand, datetime]]:
    """Commands and the moments they arrive at, in arrival order, each moment written in
    any UTC offset."""
    now: datetime = draw(moments)
    history: list[tuple[CartCommand, datetime]] = []
    for command in draw(st.lists(commands, max_size=30)):
        now = (now + draw(pauses)).astimezone(draw(zones))
        history.append((command, now))
    return history


@final
@attrs.frozen
class Step:
    """One command of a history: the cart before, the decision's events (None when it was
    refused) and the cart after."""

    before: Cart
    command: CartCommand
    now: datetime
    events: tuple[CartEvent, ...] | None
    after: Cart


def run(history: list[tuple[CartCommand, datetime]]) -> list[Step]:
    """Decide each command in turn, applying the events of those accepted."""
    steps: list[Step] = []
    cart = EMPTY_CART
    for command, now in history:
        decision = decide(cart, command, now)
        events = decision.value_or(None)
        after = cart if events is None else apply_all(cart, events)
        steps.append(Step(cart, command, now, events, after))
        cart = after
    return steps


@st.composite
def carts(draw: st.DrawFn) -> Cart:
    """A cart some history of commands made."""
    steps = run(draw(histories()))
    return steps[-1].after if steps else EMPTY_CART
