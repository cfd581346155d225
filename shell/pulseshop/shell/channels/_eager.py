"""Starting a coroutine at once, and giving it a task only if it has to wait.

A broadcast writes one frame to each of thousands of sockets, and a write to a socket whose
buffer has room finishes without waiting. A task per write would cost more than the write:
this runs the coroutine to its first suspension in the caller's step, and only a coroutine
that really waits (a client reading slowly) is carried on by a task. Python 3.12's
``asyncio.eager_task_factory`` does the same for every task; the service runs on 3.11.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Coroutine


def start_eagerly(coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run ``coroutine`` until it finishes or first waits: None when it finished, else the
    task that carries it on from where it waits. Its exceptions are the task's; one raised
    before it first waits is raised here."""
    try:
        waiting_on = coroutine.send(None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_carry_on(coroutine, waiting_on))


async def _carry_on(coroutine: Coroutine[Any, Any, None], waiting_on: object) -> None:
    while True:
        try:
            if isinstance(waiting_on, asyncio.Future):
                # `wait` rather than `await`: a failed future's error belongs to the coroutine.
                await asyncio.wait({waiting_on})
            else:
                await asyncio.sleep(0)  # a bare yield: it only gives way
        except asyncio.CancelledError:
            coroutine.close()
            raise
        try:
            waiting_on = coroutine.send(None)
        except StopIteration:
            return
