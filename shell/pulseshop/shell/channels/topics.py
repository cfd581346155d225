"""The topics of the order feed, and who may join them.

``orders:lobby`` carries every order's events and is for the shop's staff (scope
``orders:all``); ``orders:<user_id>`` carries one user's and is for that user or staff.

>>> orders_topic("orders:lobby")
OrdersTopic(user_id=None)
>>> orders_topic("orders:42")
OrdersTopic(user_id=42)
>>> [orders_topic(name) for name in ("orders:042", "carts:42", "orders:9223372036854775808")]
[None, None, None]
>>> OrdersTopic(42).allows(user_id=42, scopes=frozenset())
True
>>> OrdersTopic(None).allows(user_id=42, scopes=frozenset({"orders:read"}))
False
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, final

import attrs

from pulseshop.core.access import ORDERS_ALL

if TYPE_CHECKING:
    from collections.abc import Set

LOBBY: Final = "orders:lobby"
"""Every order's events, for staff."""

_USER_TOPIC: Final = re.compile(r"orders:([1-9][0-9]{0,18})")
_MAX_USER_ID: Final = 2**63 - 1  # PostgreSQL's bigint


@final
@attrs.frozen
class OrdersTopic:
    """An order-feed topic: one user's orders, or (``user_id`` None) the lobby's."""

    user_id: int | None

    @property
    def name(self) -> str:
        """The topic as clients name it."""
        return LOBBY if self.user_id is None else f"orders:{self.user_id}"

    def allows(self, *, user_id: int, scopes: Set[str]) -> bool:
        """True when the user ``user_id`` holding ``scopes`` may join."""
        return ORDERS_ALL in scopes or self.user_id == user_id


def orders_topic(name: str) -> OrdersTopic | None:
    """The order-feed topic ``name`` names, or None when it names none."""
    if name == LOBBY:
        return OrdersTopic(None)
    match = _USER_TOPIC.fullmatch(name)
    if match is None or int(match.group(1)) > _MAX_USER_ID:
        return None
    return OrdersTopic(int(match.group(1)))
