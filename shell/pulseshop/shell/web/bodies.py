"""Reading a JSON request body into fields, and the 4xx answers when it cannot be read."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final, final

from pulseshop.shell.web.errors import error_response

if TYPE_CHECKING:
    from collections.abc import Mapping

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


async def object_body(request: Request, fields: tuple[str, ...]) -> Mapping[str, object]:
    """The body as a JSON object with no other keys than ``fields`` (413 when over
    `MAX_BODY`, 422 when not UTF-8 JSON or not such an object)."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequestError(
            error_response(413, "payload_too_large", f"The body is over {MAX_BODY} bytes.")
        )
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
    if not isinstance(data, dict):
        raise invalid("body", f"must be a JSON object with {', '.join(fields)}")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise invalid(unknown[0], f"is not a field here (expected {', '.join(fields)})")
    return data


def text_field(body: Mapping[str, object], field: str) -> str:
    """A required, non-blank string field."""
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise invalid(field, "is required and must be a non-empty string")
    return value
