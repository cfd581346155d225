"""Finding the real services a test needs, and failing rather than skipping under CI."""

from __future__ import annotations

import os
import socket

import pytest


def running_in_ci() -> bool:
    """True when the CI variable says so (``CI=true``, as every CI system sets it)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def missing_service(description: str) -> None:
    """A service the test needs is absent: a failure under CI, a skip on a laptop."""
    if running_in_ci():
        pytest.fail(f"{description} is required under CI=true and is not available")
    pytest.skip(f"{description} is not available")
