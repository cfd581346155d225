"""Stopping on SIGINT and SIGTERM without leaving anything behind.

uvicorn handles both signals while it serves and raises them again once it has
shut down. Our handler turns them into `ServiceStopped`, which unwinds through
every ``finally`` (the embedded PostgreSQL among them). While something must not
be cut in half (starting or stopping that server), the signal waits.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import TYPE_CHECKING, final

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@final
class ServiceStoppedError(BaseException):
    """SIGINT or SIGTERM arrived: stop cleanly. A BaseException, so no handler swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@final
class StopSignals:
    """Turns SIGINT and SIGTERM into `ServiceStoppedError`, now or after a critical section."""

    def __init__(self) -> None:
        self._deferring = 0
        self._pending: int | None = None

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self._deferring:
            self._pending = signum
            return
        raise ServiceStoppedError(signum)

    @contextmanager
    def installed(self) -> Iterator[StopSignals]:
        """Handle the stop signals inside the block; restore the previous handlers after."""
        previous = {signum: signal.signal(signum, self._handle) for signum in STOP_SIGNALS}
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """A signal arriving inside the block takes effect when the block ends."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
        if not self._deferring and self._pending is not None:
            signum, self._pending = self._pending, None
            raise ServiceStoppedError(signum)
