"""Work the service repeats on a timer, such as the sweeps of expired carts and keys."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Final

from pulseshop.adapters.postgres import CONNECTION_ERRORS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

logger: Final = logging.getLogger(__name__)


async def every(seconds: float, name: str, work: Callable[[], Awaitable[int]]) -> None:
    """Run ``work`` every ``seconds`` until cancelled, logging how many things it removed;
    a database that cannot be reached is logged and the next round tries again."""
    while True:
        await asyncio.sleep(seconds)
        try:
            done = await work()
        except CONNECTION_ERRORS as error:
            logger.warning("%s could not reach the database: %s", name, error)
        else:
            if done:
                logger.info("%s removed %d", name, done)
