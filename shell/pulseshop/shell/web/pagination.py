"""Pages of the JSON API's lists: ``?limit=`` and the opaque ``?cursor=`` of the next page.

A list answers ``{"items": [...], "next_cursor": "..."}``, ``next_cursor`` null on its last
page. A cursor is the key of the last item of a page (a JSON array), in URL-safe base64
without padding: opaque to clients, who send it back as they got it. Each list reads its
own key out of it (`cursor_key`) and checks its shape, so a cursor this API did not give is
a 422 naming ``query.cursor``, never an error of the database.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Final

from pulseshop.shell.web.bodies import BadRequestError, invalid

PAGE_SIZE: Final = 20
"""Items per page when the request does not say."""

MAX_PAGE_SIZE: Final = 100
"""The most items a page may hold."""

LIMIT_FIELD: Final = "query.limit"
CURSOR_FIELD: Final = "query.cursor"

MAX_CURSOR: Final = 1024
"""The longest cursor read; the ones this API gives are far shorter."""


def page_limit(text: str | None) -> int:
    """The ``limit`` query parameter: `PAGE_SIZE` when absent, else a whole number from 1 to
    `MAX_PAGE_SIZE` (a 422 naming ``query.limit`` otherwise)."""
    if text is None:
        return PAGE_SIZE
    # ASCII digits only: `int` would also read "٣", and `isdigit` passes "²", which it cannot.
    if not (text.isascii() and text.isdigit() and len(text) <= 3):
        raise _bad_limit()
    limit = int(text)
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise _bad_limit()
    return limit


def _bad_limit() -> BadRequestError:
    return invalid(LIMIT_FIELD, f"must be a whole number from 1 to {MAX_PAGE_SIZE}")


def encode_cursor(*key: str | int) -> str:
    """The cursor of the page after the item with this key."""
    raw = json.dumps(list(key)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_key(text: str | None) -> list[object] | None:
    """The key a ``cursor`` query parameter holds (None when there is none); the caller
    checks its shape and raises `not_a_cursor` when it is not one of its own."""
    if text is None:
        return None
    if len(text) > MAX_CURSOR:
        raise not_a_cursor()
    try:
        key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        # Not base64 (or not ASCII), not UTF-8, not JSON, or nested too deep to read.
        raise not_a_cursor() from None
    if not isinstance(key, list):
        raise not_a_cursor()
    return key


def not_a_cursor() -> BadRequestError:
    """The 422 for a cursor this API did not give."""
    return invalid(CURSOR_FIELD, "is not a cursor this API gave")
