"""Reading what a page's request carries: form fields, ids in the path, and the error
answers of the services behind the forms (which speak the API's error shape)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.datastructures import FormData
    from starlette.requests import Request

FORM_KEY: Final = re.compile(r"[A-Za-z0-9_-]{1,100}")
"""A key a form carries to make its sending idempotent (the page makes a uuid4's hex); a
command id of the cart and an Idempotency-Key of checkout and refunds take it."""

MAX_ID_DIGITS: Final = 18
"""The most digits an id in a path may have (a PostgreSQL ``bigint`` holds 18 at least)."""


def form_text(form: FormData, name: str, *, strip: bool = True) -> str:
    """The text of the field ``name`` ("" when absent or a file), without surrounding spaces
    unless ``strip`` is false (a password is taken as typed)."""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return value.strip() if strip else value


def is_form_key(text: str) -> bool:
    """Whether ``text`` can be a form's idempotency key (`FORM_KEY`)."""
    return FORM_KEY.fullmatch(text) is not None


def path_id(request: Request, name: str) -> int | None:
    """The id in the path parameter ``name``, or None when it cannot be one."""
    text: str = request.path_params[name]
    # ASCII digits only: `isdigit` also passes "²", which `int` cannot read.
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
        return int(text)
    return None


def error_parts(body: Mapping[str, object], fallback: str) -> tuple[str | None, str, str | None]:
    """The first field, the message and the code of an error answer's body
    (``{"error": {"code", "message", "details": [{"field", "problem"}]}}``); ``fallback`` is
    the message when the body has none."""
    error = body.get("error")
    if not isinstance(error, dict):
        return None, fallback, None
    details = error.get("details")
    field = None
    if isinstance(details, list) and details and isinstance(details[0], dict):
        found = details[0].get("field")
        field = found if isinstance(found, str) else None
    message, code = error.get("message"), error.get("code")
    return (
        field,
        message if isinstance(message, str) else fallback,
        code if isinstance(code, str) else None,
    )
