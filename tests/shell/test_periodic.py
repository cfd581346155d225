"""Work repeated on a timer."""

from __future__ import annotations

import asyncio
import logging

import pytest

from pulseshop.shell.periodic import every

pytestmark = pytest.mark.unit


async def test_work_repeats_and_a_database_error_does_not_stop_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The round after a failed one runs; what was removed is logged."""
    rounds: list[int] = []
    third = asyncio.Event()

    async def work() -> int:
        rounds.append(len(rounds))
        if len(rounds) == 3:
            third.set()
        if len(rounds) == 1:
            raise OSError("connection refused")
        return 3

    caplog.set_level(logging.INFO, logger="pulseshop.shell.periodic")
    task = asyncio.create_task(every(0.001, "the test sweep", work))
    await asyncio.wait_for(third.wait(), timeout=5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    assert "the test sweep could not reach the database: connection refused" in caplog.text
    assert "the test sweep removed 3" in caplog.text
