"""A cart actor's mailbox: a bounded first-in first-out queue with one reader.

`asyncio.Queue` would do, but it carries three deques and an event for features a mailbox
never uses (many readers, waiting writers, ``join``): about 2.5 KB per idle cart, a third
of what an idle cart costs. This one holds a list and, while its actor waits, one future.
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar, final

T = TypeVar("T")


@final
class MailboxFullError(Exception):
    """The mailbox already holds as many messages as it may."""


@final
class Mailbox(Generic[T]):
    """Messages for one reader, at most ``limit`` waiting."""

    __slots__ = ("_items", "_limit", "_waiter")

    def __init__(self, limit: int) -> None:
        self._items: list[T] = []
        self._limit = limit
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def put_nowait(self, item: T) -> None:
        """Queue ``item``; raise `MailboxFullError` when ``limit`` messages wait."""
        if len(self._items) >= self._limit:
            raise MailboxFullError
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def get_nowait(self) -> T:
        """The oldest message; `IndexError` when there is none."""
        return self._items.pop(0)

    async def get(self) -> T:
        """The oldest message, waiting for one if needed."""
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)
