"""The one error shape of the JSON API (PROTOCOLS.md), as data: the web handlers and the
services behind them (checkout) build their answers with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def error_body(
    code: str, message: str, details: Sequence[Mapping[str, str]] = ()
) -> dict[str, object]:
    """``{"error": {"code", "message", "details": [{"field", "problem"}]}}``."""
    return {"error": {"code": code, "message": message, "details": list(details)}}
