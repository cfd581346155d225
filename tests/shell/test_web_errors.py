"""Errors the application did not expect still answer in the API's error shape."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from pulseshop.shell.web.errors import internal_error_handler

pytestmark = pytest.mark.unit


async def broken(_request: object) -> None:
    raise RuntimeError("a secret detail")


def test_an_unexpected_error_is_a_500_in_the_error_shape() -> None:
    """The client gets the shape and no detail; the detail goes to the log."""
    app = Starlette(
        routes=[Route("/broken", broken)], exception_handlers={Exception: internal_error_handler}
    )

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/broken")

    assert 500 == response.status_code
    assert {
        "error": {
            "code": "internal_error",
            "message": "Something went wrong on our side.",
            "details": [],
        }
    } == response.json()
