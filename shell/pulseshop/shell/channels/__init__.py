"""Phoenix Channels V2 over Starlette: the live order feed's WebSocket edge.

`ChannelSocket` is the endpoint, `ChannelHub` routes frames and events on a node, and
`listen_for_order_events` hands it the feed's events from the pub/sub channel.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pulseshop.shell.channels.hub import ChannelHub, OrderFeedReader
from pulseshop.shell.channels.socket import ChannelSocket
from pulseshop.shell.order_feed import ORDERS_CHANNEL, OrderEvent

if TYPE_CHECKING:
    import asyncio

    from pulseshop.adapters.pubsub import PubSub

__all__ = ["ChannelHub", "ChannelSocket", "OrderFeedReader", "listen_for_order_events"]

logger = logging.getLogger(__name__)


async def listen_for_order_events(
    pubsub: PubSub, hub: ChannelHub, subscribed: asyncio.Event | None = None
) -> None:
    """Deliver every order event published on the pub/sub channel to ``hub``'s sockets,
    until cancelled; ``subscribed`` is set once listening."""
    async with pubsub.subscribe(ORDERS_CHANNEL) as messages:
        if subscribed is not None:
            subscribed.set()
        async for message in messages:
            try:
                event = OrderEvent.from_message(message)
            except ValueError:
                logger.exception("an unreadable message on %s was dropped", ORDERS_CHANNEL)
                continue
            hub.deliver(event)
