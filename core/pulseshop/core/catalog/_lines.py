"""The file's byte lines as text for the csv reader, and the problems found on the way."""

from __future__ import annotations

from typing import TYPE_CHECKING, final

from pulseshop.core.catalog.errors import RowError, RowErrorCode

if TYPE_CHECKING:
    import csv
    from collections.abc import Iterator


class RowTooLongError(Exception):
    """Raised through the csv reader to abandon a row that passed the length limit."""


@final
class Lines:
    """Decodes each line, counts the lines read and the characters of the current row.

    The parser sets ``chars`` back to 0 at the start of each row. Lines that are not UTF-8
    (or hold a NUL byte, as UTF-16 text does) are decoded with replacement characters, so
    the CSV structure stays in step, and noted in ``undecodable`` as
    ``(line, byte offset, what)`` until the parser takes them with `encoding_errors`.
    """

    __slots__ = ("_raw", "chars", "limit", "line", "undecodable")

    def __init__(self, raw: Iterator[bytes], limit: int) -> None:
        self._raw = raw
        self.limit = limit
        self.line = 0
        self.chars = 0
        self.undecodable: list[tuple[int, int, str]] = []

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        raw = next(self._raw)
        self.line += 1
        try:
            text = raw.decode()
        except UnicodeDecodeError as error:
            self.undecodable.append((self.line, error.start, "is not UTF-8"))
            text = raw.decode(errors="replace")
        else:
            if "\x00" in text:
                self.undecodable.append(
                    (self.line, raw.index(b"\x00"), "holds a NUL byte, as UTF-16 text does")
                )
        self.chars += len(text)
        if self.chars > self.limit:
            raise RowTooLongError
        return text


def encoding_errors(line: int, source: Lines) -> list[RowError]:
    """The undecodable lines of the row starting on ``line``, as errors; the source
    forgets them."""
    errors = [
        RowError(
            line,
            None,
            RowErrorCode.NOT_UTF8,
            f"line {bad_line} {what} (at byte {offset}): save the file as UTF-8 "
            "(in a spreadsheet: CSV UTF-8)",
        )
        for bad_line, offset, what in source.undecodable
    ]
    source.undecodable.clear()
    return errors


def unreadable(line: int, source: Lines, error: csv.Error | RowTooLongError) -> RowError:
    """A row starting on ``line`` that the csv reader could not read, or that grew past
    the length limit."""
    span = f"line {line}" if source.line == line else f"lines {line}-{source.line}"
    message = str(error)
    hint = "" if source.line == line else " (is a closing quote missing?)"
    if isinstance(error, RowTooLongError):
        return RowError(
            line,
            None,
            RowErrorCode.ROW_TOO_LONG,
            f"the row on {span} is longer than {source.limit} characters{hint}",
        )
    if message.startswith("field larger"):
        return RowError(
            line, None, RowErrorCode.ROW_TOO_LONG, f"a cell on {span} is too long ({message}){hint}"
        )
    if message == "unexpected end of data":
        return RowError(
            line,
            None,
            RowErrorCode.UNCLOSED_QUOTE,
            f"a quoted cell in the row on {span} is never closed (the file ends inside it): "
            "close the quote; a quote inside a quoted cell is written twice",
        )
    if message.startswith("new-line character"):
        return RowError(
            line,
            None,
            RowErrorCode.MALFORMED_ROW,
            "the row has a carriage return (CR) outside quotes: end lines with LF or CRLF, "
            "and quote cells that hold line breaks",
        )
    return RowError(
        line,
        None,
        RowErrorCode.MALFORMED_ROW,
        f"the row's quoting is broken ({message}): a cell holding a quote must be quoted as "
        'a whole, with the quote written twice, as in "12"" vinyl"',
    )
