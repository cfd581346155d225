"""The staff's catalog import page: check a catalog file, then import what was checked.

``GET /staff/catalog/import`` shows the upload form. Posting it always runs a dry run (the
import of `pulseshop.shell.catalog_import`, as the API and ``pulseshop catalog import``
run it) and shows the plan: the counts, each problem with its line and column, and, when
the import would write something, a second form that imports the very bytes checked.

The browser keeps nothing between the two forms, so the second one carries the file
itself, with its SHA-256: the import refuses a file whose bytes no longer match. The bytes
travel compressed and base64-encoded (exact bytes, so rows that are not UTF-8 are skipped
as the check said, and no browser's line-break normalization alters them), cut into
hidden fields no longer than the kit lets a text field be. The hash guards against a form
changed in transit or by a bug, not against the staff member, who may import any file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import zlib
from typing import TYPE_CHECKING, Final, final

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.routing import Route

from pulseshop.core.access import CATALOG_WRITE
from pulseshop.core.catalog import IMPORT_POLICIES, RejectedRow
from pulseshop.shell.web.catalog_api import import_upload
from pulseshop.shell.web.pages.kit import MAX_FORM_FIELDS, MAX_FORM_PART_BYTES

if TYPE_CHECKING:
    from starlette.datastructures import FormData
    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.core.catalog import ImportPolicy
    from pulseshop.shell.carts.products import CatalogProducts
    from pulseshop.shell.catalog_import import ImportSummary
    from pulseshop.shell.web.auth import Principal
    from pulseshop.shell.web.pages.kit import PageKit

PATH: Final = "/staff/catalog/import"
COMMIT_PATH: Final = "/staff/catalog/import/commit"
TEMPLATE: Final = "staff/catalog_import.html"

MAX_FILE_BYTES: Final = 5 * 1024 * 1024
"""The largest catalog file the page takes; larger ones go through the API or the command."""

PACKED_CHUNK: Final = MAX_FORM_PART_BYTES
"""Characters of the packed file per hidden field: the kit refuses a longer text field."""

MAX_PACKED_CHUNKS: Final = MAX_FORM_FIELDS - 3
"""Hidden fields the packed file may fill: the commit form has three others (CSRF token,
SHA-256, policy), and the kit refuses a form with more than `MAX_FORM_FIELDS`."""

COMMIT_FORM_BYTES: Final = MAX_FORM_FIELDS * MAX_FORM_PART_BYTES
"""The commit form's allowance past the kit's cap for text-only forms: enough for every
field it may hold at its longest, so the field limits, not the body's, decide."""

CHANGED: Final = "The file changed between the check and the import: check it again."
NO_FILE: Final = "Choose the catalog file to check."
BAD_POLICY: Final = "Choose what to do with the rows that are wrong."


def _policy(form: FormData) -> ImportPolicy | None:
    text = form.get("on_error")
    for policy in IMPORT_POLICIES:
        if text == policy:
            return policy
    return None


def pack(data: bytes) -> list[str]:
    """``data`` compressed and base64-encoded, in pieces that each fit one form field."""
    text = base64.b64encode(zlib.compress(data)).decode("ascii")
    return [text[start : start + PACKED_CHUNK] for start in range(0, len(text), PACKED_CHUNK)]


def unpack(chunks: list[str]) -> bytes | None:
    """The bytes `pack` packed into ``chunks``; None when they are not such pieces or
    unpack past `MAX_FILE_BYTES` (the form is the client's: it may hold a zip bomb)."""
    try:
        packed = base64.b64decode("".join(chunks).encode("ascii"), validate=True)
        inflater = zlib.decompressobj()
        data = inflater.decompress(packed, MAX_FILE_BYTES + 1)
    except (UnicodeEncodeError, binascii.Error, zlib.error):
        return None
    if len(data) > MAX_FILE_BYTES or not inflater.eof or inflater.unconsumed_tail:
        return None
    return data


async def _read_upload(form: FormData) -> bytes | tuple[int, str]:
    """The uploaded file's bytes, or the status and the message for the file field."""
    upload = form.get("file")
    # A form sent without a file chosen still has the part, with no name and no bytes.
    if not isinstance(upload, UploadFile) or not (upload.filename or upload.size):
        return 422, NO_FILE
    data = await upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return 413, f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB."
    if not data:
        return 422, "The file is empty: choose the catalog file, header row first."
    return data


def _not_a_catalog_file(row: RejectedRow) -> str:
    problems = "; ".join(error.message for error in row.errors)
    return f"This is not a catalog file (line {row.line}): {problems}."


def _to_write(summary: ImportSummary) -> int:
    return summary.counts.created + summary.counts.updated


@final
class CatalogImportPages:
    """The catalog import page and its two forms, for staff who may change the catalog.

    ``products`` is the carts' cache of the catalog, emptied after an import writes.
    """

    def __init__(self, kit: PageKit, database: PostgresDatabase, products: CatalogProducts) -> None:
        self._kit = kit
        self._database = database
        self._products = products

    def routes(self) -> list[Route]:
        """The pages' routes."""
        page, action = self._kit.page, self._kit.action
        return [
            Route(PATH, page(CATALOG_WRITE)(self.upload_form), methods=["GET"]),
            Route(
                PATH,
                action(CATALOG_WRITE, max_file_bytes=MAX_FILE_BYTES)(self.check),
                methods=["POST"],
            ),
            Route(
                COMMIT_PATH,
                action(CATALOG_WRITE, max_file_bytes=COMMIT_FORM_BYTES)(self.commit),
                methods=["POST"],
            ),
        ]

    async def upload_form(self, request: Request, principal: Principal) -> Response:
        """``GET /staff/catalog/import``: the form that checks a file."""
        del principal  # the kit checked the scope
        return await self._form(request, IMPORT_POLICIES[0])

    async def check(self, request: Request, principal: Principal, form: FormData) -> Response:
        """``POST /staff/catalog/import``: a dry run of the uploaded file, and its plan."""
        try:
            policy = _policy(form)
            upload = await _read_upload(form)
        finally:
            await form.close()
        if policy is None:
            return await self._form(request, IMPORT_POLICIES[0], policy_error=BAD_POLICY)
        if isinstance(upload, tuple):
            status, message = upload
            return await self._form(request, policy, file_error=message, status=status)
        outcome = await self._import(principal, upload, policy, dry_run=True)
        if isinstance(outcome, RejectedRow):
            return await self._form(request, policy, file_error=_not_a_catalog_file(outcome))
        committable = _to_write(outcome) > 0 and not outcome.rejected
        # Compressing a few MiB takes a moment: not on the event loop.
        packed = await run_in_threadpool(pack, upload) if committable else []
        return await self._kit.render(
            request,
            TEMPLATE,
            {
                **self._context(policy),
                "summary": outcome,
                "to_write": _to_write(outcome),
                "committable": committable,
                "too_large": len(packed) > MAX_PACKED_CHUNKS,
                "packed": packed,
                "sha256": hashlib.sha256(upload).hexdigest(),
            },
        )

    async def commit(self, request: Request, principal: Principal, form: FormData) -> Response:
        """``POST /staff/catalog/import/commit``: import the file checked before, if its
        bytes still match their SHA-256; the result, or the plan again when rejected."""
        policy = _policy(form)
        if policy is None:
            return await self._form(request, IMPORT_POLICIES[0], policy_error=BAD_POLICY)
        chunks = [chunk for chunk in form.getlist("csv") if isinstance(chunk, str)]
        data = await run_in_threadpool(unpack, chunks)
        sha256 = form.get("sha256")
        if data is None or hashlib.sha256(data).hexdigest() != sha256:
            return await self._form(request, policy, file_error=CHANGED)
        outcome = await self._import(principal, data, policy, dry_run=False)
        if isinstance(outcome, RejectedRow):  # checked files have a header: a crafted form
            return await self._form(request, policy, file_error=_not_a_catalog_file(outcome))
        if outcome.outcome == "applied":
            # Carts price from the cache: they see the new catalog now, not in a while.
            await self._products.forget()
        return await self._kit.render(
            request,
            TEMPLATE,
            {
                **self._context(policy),
                "summary": outcome,
                "to_write": _to_write(outcome),
                "committable": False,
            },
            status=422 if outcome.outcome == "rejected" else 200,
        )

    async def _import(
        self, principal: Principal, data: bytes, policy: ImportPolicy, *, dry_run: bool
    ) -> ImportSummary | RejectedRow:
        return await run_in_threadpool(
            import_upload,
            self._database.url,
            io.BytesIO(data),
            name=f"upload by {principal.email}",
            policy=policy,
            dry_run=dry_run,
        )

    def _context(
        self,
        policy: ImportPolicy,
        *,
        file_error: str | None = None,
        policy_error: str | None = None,
    ) -> dict[str, object]:
        return {
            "path": PATH,
            "commit_path": COMMIT_PATH,
            "max_mib": MAX_FILE_BYTES // (1024 * 1024),
            "policy": policy,
            "file_error": file_error,
            "policy_error": policy_error,
            "summary": None,
        }

    async def _form(
        self,
        request: Request,
        policy: ImportPolicy,
        *,
        file_error: str | None = None,
        policy_error: str | None = None,
        status: int | None = None,
    ) -> Response:
        """The upload form alone; 422 (or ``status``) with a field's error."""
        failed = file_error is not None or policy_error is not None
        return await self._kit.render(
            request,
            TEMPLATE,
            self._context(policy, file_error=file_error, policy_error=policy_error),
            status=status or (422 if failed else 200),
        )
