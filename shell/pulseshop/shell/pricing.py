"""Quote requests from files: reading JSON, and problems said as a person needs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from returns.pipeline import is_successful

from pulseshop.core.pricing import Quote, QuoteRequest, quote
from pulseshop.core.pricing.codec import decode_request, encode_request
from pulseshop.shell.errors import ShellError

if TYPE_CHECKING:
    from pulseshop.core.problems import Problems


class InvalidInputError(ShellError):
    """A request that is not JSON, not a quote request, or cannot be priced."""

    exit_code = 2


def problems_error(
    problems: Problems, heading: str = "the request is not a valid quote request"
) -> InvalidInputError:
    """One error listing every problem, each on its own line with its JSON path."""
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    listed = "\n".join(f"  {problem}" for problem in problems)
    return InvalidInputError(f"{heading} ({count}):\n{listed}")


def invalid_request(source: str, problems: Problems) -> InvalidInputError:
    """The error for a request read from ``source`` that has problems."""
    return problems_error(problems, f"{source} is not a valid quote request")


def parse_json(source: str, text: str) -> object:
    """The JSON value in ``text``, or an error naming ``source``, the line and the column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"{source} is not valid JSON: line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except RecursionError:
        raise InvalidInputError(f"{source} is not valid JSON: nested too deeply") from None


def read_json(stream: BinaryIO, source: str) -> object:
    """Read a UTF-8 JSON document from an open binary stream and parse it."""
    data = stream.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InvalidInputError(
            f"{source} is not UTF-8 text: line {line}, byte {error.start} cannot be decoded"
        ) from None
    return parse_json(source, text)


def load_request(path: str | Path) -> QuoteRequest:
    """The quote request in the JSON file at ``path``; errors list every problem."""
    file = Path(path)
    try:
        with file.open("rb") as stream:
            data = read_json(stream, str(file))
    except OSError as error:
        raise InvalidInputError(f"cannot read {file}: {error.strerror}") from None
    decoded = decode_request(data)
    if not is_successful(decoded):
        raise invalid_request(str(file), decoded.failure())
    return decoded.unwrap()


def save_request(request: QuoteRequest, path: str | Path) -> Path:
    """Write ``request`` as JSON to ``path`` (whole or not at all) and return the path."""
    file = Path(path)
    partial = file.with_name(f".{file.name}.partial")
    partial.write_text(json.dumps(encode_request(request), indent=2) + "\n", encoding="utf-8")
    partial.replace(file)
    return file


def price(request: QuoteRequest, source: str = "the request") -> Quote:
    """The quote for ``request``; an error listing every problem when it cannot be priced."""
    priced = quote(request)
    if not is_successful(priced):
        raise invalid_request(source, priced.failure())
    return priced.unwrap()
