"""Catalog files on disk: reading one as byte lines while hashing it, writing one whole.

An import needs the file's SHA-256 before it writes (the import's record carries it, in the
same transaction as the writes), and reads the file once more to parse it. That second
read hashes the bytes again and the import compares the two, so a file that changes while
it is imported is refused rather than recorded under a hash it no longer has. Standard
input cannot be read twice: it is copied to a temporary file (on disk) first.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, final

from pulseshop.core.catalog import Header, RejectedRow, parse_catalog
from pulseshop.shell.errors import ShellError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pulseshop.core.catalog import CatalogRecord

READ_BLOCK: Final = 1 << 20
"""Bytes read at a time."""

MAX_LINE_BYTES: Final = 1 << 20
"""The most bytes of one line handed to the parser. A longer line is cut there and the
rest of it skipped: its row fails anyway (the parser's row limit is 65,536 characters,
at most 262,144 bytes), and a file without line breaks must not be read into memory."""


class CatalogFileError(ShellError):
    """A file that cannot be read, or is not a catalog file at all."""

    exit_code = 2


def _ignore(_count: int) -> None:
    pass


@final
class CatalogSource:
    """An open catalog file: the name reports use, its size, and its SHA-256.

    `records` parses it from the start, hashing the bytes as they are read and telling
    ``progress`` how many were; `unchanged_since_hashed` then says whether they were the
    bytes first hashed.
    """

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.name = name
        self._stream = stream
        self.size, self.sha256 = _hash(stream, name)
        self.progress: Callable[[int], None] = _ignore
        self._digest = hashlib.sha256()

    def records(self) -> Iterator[CatalogRecord]:
        """What `parse_catalog` makes of the file, read from its start."""
        self._stream.seek(0)
        self._digest = hashlib.sha256()
        return parse_catalog(self._lines())

    def header(self, records: Iterator[CatalogRecord]) -> Header:
        """The header, the first record; a `CatalogFileError` when the file has none."""
        first = next(records)
        if isinstance(first, RejectedRow):
            detail = "; ".join(error.message for error in first.errors)
            raise CatalogFileError(
                f"{self.name} is not a catalog file: line {first.line}: {detail}"
            )
        if not isinstance(first, Header):  # pragma: no cover - the parser yields a header first
            raise TypeError(f"parse_catalog began with {first!r}")
        return first

    def unchanged_since_hashed(self) -> bool:
        """Read what the parser left (it stops at the row limit), then compare the hashes."""
        try:
            while block := self._stream.read(READ_BLOCK):
                self._digest.update(block)
        except OSError as error:
            raise CatalogFileError(f"cannot read {self.name}: {error.strerror}") from None
        return self._digest.hexdigest() == self.sha256

    def _lines(self) -> Iterator[bytes]:
        """The file's lines, each with its LF, however it ends them (the parser copes with
        CRLF, and reports a bare CR); an over-long line cut at `MAX_LINE_BYTES`."""
        read, digest = self._stream.read, self._digest
        tail = b""
        skipping = False
        while True:
            try:
                block = read(READ_BLOCK)
            except OSError as error:
                raise CatalogFileError(f"cannot read {self.name}: {error.strerror}") from None
            if not block:
                break
            digest.update(block)
            self.progress(len(block))
            if skipping:
                end = block.find(b"\n")
                if end < 0:
                    continue
                block = block[end + 1 :]
                skipping = False
            *lines, tail = (tail + block).split(b"\n")
            for line in lines:
                yield line + b"\n"
            if len(tail) > MAX_LINE_BYTES:
                yield tail[:MAX_LINE_BYTES] + b"\n"
                tail = b""
                skipping = True
        if tail:
            yield tail


def _hash(stream: IO[bytes], name: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    try:
        while block := stream.read(READ_BLOCK):
            digest.update(block)
            size += len(block)
    except OSError as error:
        raise CatalogFileError(f"cannot read {name}: {error.strerror}") from None
    return size, digest.hexdigest()


@contextmanager
def open_catalog(path: str) -> Iterator[CatalogSource]:
    """The catalog file at ``path`` (``-``: standard input), open for the block."""
    if path == "-":
        with tempfile.TemporaryFile(prefix="pulseshop-catalog-") as copy:
            try:
                while block := sys.stdin.buffer.read(READ_BLOCK):
                    copy.write(block)
            except OSError as error:
                raise CatalogFileError(f"cannot read stdin: {error.strerror}") from None
            copy.seek(0)
            yield CatalogSource(copy, "stdin")
        return
    try:
        stream = Path(path).open("rb")  # noqa: SIM115 - closed by the with below
    except OSError as error:
        raise CatalogFileError(f"cannot read {path}: {error.strerror}") from None
    with stream:
        yield CatalogSource(stream, path)


@contextmanager
def written_whole(path: str) -> Iterator[IO[bytes]]:
    """A binary stream to ``path`` (``-``: standard output) that replaces the file only
    when the block ends without an error: a failed export leaves the old file as it was."""
    if path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".partial", dir=target.parent
        )
    except OSError as error:
        raise CatalogFileError(f"cannot write {path}: {error.strerror}") from None
    partial = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        umask = os.umask(0)
        os.umask(umask)
        partial.chmod(0o666 & ~umask)
        partial.replace(target)
    except OSError as error:
        raise CatalogFileError(f"cannot write {path}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
