"""Reading a JSON request body into fields, and the 4xx answers when it cannot be read."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Final, final

from pulseshop.shell.web.errors import error_response

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from starlette.requests import Request
    from starlette.responses import Response

MAX_BODY: Final = 16 * 1024
"""The largest JSON request body the API reads, in bytes."""


@final
class BadRequestError(Exception):
    """The request cannot be read; the answer is ready."""

    def __init__(self, response: Response) -> None:
        super().__init__("bad request")
        self.response = response


def invalid(field: str, problem: str) -> BadRequestError:
    """A 422 ``invalid_request`` naming ``field``."""
    return BadRequestError(
        error_response(
            422, "invalid_request", f"{field}: {problem}.", [{"field": field, "problem": problem}]
        )
    )


def too_large(limit: int) -> BadRequestError:
    """The 413 ``payload_too_large`` for a body over ``limit`` bytes."""
    return BadRequestError(
        error_response(413, "payload_too_large", f"The body is over {limit} bytes.")
    )


async def capped_chunks(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body's chunks as they arrive; `too_large` is raised once they pass ``limit``
    bytes, or at once when the ``Content-Length`` header says they will, so a client can
    never make the service hold more than ``limit``."""
    declared = request.headers.get("content-length", "")
    # A length of more digits than any size we take is refused before `int` reads it.
    if (
        declared.isascii()
        and declared.isdigit()
        and (len(declared) > len(str(limit)) or int(declared) > limit)
    ):
        raise too_large(limit)
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        yield chunk


async def json_value(request: Request, limit: int = MAX_BODY) -> object:
    """The body's JSON value (413 when over ``limit`` bytes, 422 when it is not UTF-8 JSON
    text; errors name the field ``body``)."""
    raw = bytearray()
    async for chunk in capped_chunks(request, limit):
        raw += chunk
    try:
        # JSON between systems is UTF-8 (RFC 8259): `json.loads` of bytes would guess
        # UTF-16 or UTF-32 too.
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("body", "is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadRequestError(
            error_response(
                422,
                "invalid_json",
                f"The body is not JSON: {error.msg} at line {error.lineno}, column {error.colno}.",
                [{"field": "body", "problem": error.msg}],
            )
        ) from None
    except (ValueError, RecursionError):
        # An integer of thousands of digits, or arrays nested thousands deep.
        raise invalid("body", "holds a number too long or nesting too deep to read") from None
    if "\\u" in text and _has_lone_surrogate(data):
        raise BadRequestError(
            error_response(
                422,
                "invalid_json",
                "The body is not JSON text: it escapes half of a surrogate pair.",
                [{"field": "body", "problem": "escapes a lone surrogate (\\ud800-\\udfff)"}],
            )
        )
    return data


async def object_body(request: Request, fields: tuple[str, ...]) -> Mapping[str, object]:
    """The body as a JSON object with no other keys than ``fields`` (413 when over
    `MAX_BODY`, 422 when not UTF-8 JSON or not such an object)."""
    data = await json_value(request)
    if not isinstance(data, dict):
        raise invalid("body", f"must be a JSON object with {', '.join(fields)}")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise invalid(unknown[0], f"is not a field here (expected {', '.join(fields)})")
    return data


_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(data: object) -> bool:
    """True when a string of ``data`` (a key or a value) holds a lone surrogate, which
    JSON's ``\\u`` escapes can spell but no UTF-8 text can: nothing could store it, or
    send it back in an answer. Iterative, as the body may nest deeply."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def text_field(body: Mapping[str, object], field: str) -> str:
    """A required, non-blank string field."""
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise invalid(field, "is required and must be a non-empty string")
    return value
