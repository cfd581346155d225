"""The service's garbage collector settings."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import pytest

from pulseshop.shell.collector import THRESHOLDS, tune_for_service

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.unit


@pytest.fixture
def restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored")
def test_the_service_freezes_what_lives_and_collects_less_often() -> None:
    """Objects alive at start are out of collections; the thresholds are raised."""
    tune_for_service()

    assert THRESHOLDS == gc.get_threshold()
    assert gc.get_freeze_count() > 0
