"""The catalog's JSON API: browse the products, and import a catalog file.

``GET /api/v1/products`` lists the active products in SKU order, a page at a time
(`pagination`), narrowed by ``category`` (exact) and ``q`` (a case-insensitive substring of
the name); a filter no product can match (a category that is not one, a NUL character)
gives an empty page rather than an error. ``GET /api/v1/products/{sku}`` shows one product,
active or not; an unknown SKU, or a text that cannot be one, is 404.

``POST /api/v1/catalog/imports?dry_run=&on_error=`` takes the CSV file itself as the body
(``Content-Type: text/csv``; multipart forms are refused with 415) and runs the import of
`pulseshop.shell.catalog_import`, the one ``pulseshop catalog import`` runs: a dry run
answers 200, an import 201, each with its summary (`import_json`). Under reject-all a
failing row makes it 422, with each row's problem in ``details``, and nothing is written.
The upload is spooled to a temporary file (up to `MAX_UPLOAD` bytes), and the import runs
in a worker thread on a pool of its own, as the command does, so parsing a large file does
not hold up the requests of everyone else.
"""

from __future__ import annotations

import tempfile
from contextlib import asynccontextmanager
from typing import IO, TYPE_CHECKING, Final, final

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.routing import Route

from pulseshop.adapters.postgres.products import active_products
from pulseshop.core.access import CATALOG_READ, CATALOG_WRITE
from pulseshop.core.catalog import (
    IMPORT_POLICIES,
    MAX_NAME,
    RejectedRow,
    Severity,
    is_identifier,
    is_sku,
)
from pulseshop.shell.catalog_files import CatalogSource
from pulseshop.shell.catalog_import import import_catalog, run_on_database
from pulseshop.shell.web._catalog_json import import_json, problem_field, product_json
from pulseshop.shell.web.auth import Principal
from pulseshop.shell.web.bodies import BadRequestError, capped_chunks, invalid
from pulseshop.shell.web.errors import error_response
from pulseshop.shell.web.pagination import (
    cursor_key,
    encode_cursor,
    not_a_cursor,
    page_limit,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl
    from pulseshop.core.catalog import ImportPolicy, Product
    from pulseshop.shell.carts.products import CatalogProducts
    from pulseshop.shell.catalog_import import ImportSummary
    from pulseshop.shell.web.auth import Authenticator

MAX_UPLOAD: Final = 50 * 1024 * 1024
"""The largest catalog file an import takes, in bytes."""

SPOOLED_IN_MEMORY: Final = 1024 * 1024
"""Bytes of an upload held in memory; a larger one goes to a temporary file on disk."""

CSV_MEDIA_TYPE: Final = "text/csv"


@final
class CatalogApi:
    """The handlers of ``/api/v1/products`` and ``/api/v1/catalog/imports``.

    ``products`` is the carts' cache of the catalog, emptied after an import writes.
    """

    def __init__(
        self,
        database: PostgresDatabase,
        products: CatalogProducts,
        authenticator: Authenticator,
    ) -> None:
        self._database = database
        self._products = products
        self._authenticator = authenticator

    def routes(self) -> list[Route]:
        """The API's routes."""
        return [
            Route("/api/v1/products", self.products, methods=["GET"]),
            Route("/api/v1/products/{sku}", self.product, methods=["GET"]),
            Route("/api/v1/catalog/imports", self.import_file, methods=["POST"]),
        ]

    async def products(self, request: Request) -> Response:
        """``GET /api/v1/products[?category=&q=&cursor=&limit=]``: ``{"items",
        "next_cursor"}``."""
        principal = await self._authenticator.authenticate(request, CATALOG_READ)
        if not isinstance(principal, Principal):
            return principal
        params = request.query_params
        try:
            limit = page_limit(params.get("limit"))
            after = _sku_cursor(params.get("cursor"))
        except BadRequestError as bad:
            return bad.response
        # An empty filter is no filter: `?category=&q=` lists every active product.
        category = params.get("category") or None
        name = params.get("q") or None
        page: list[Product] = []
        if (category is None or is_identifier(category)) and (
            name is None or len(name) <= MAX_NAME
        ):
            page = await active_products(
                self._database, after=after, limit=limit + 1, category=category, name_contains=name
            )
        next_cursor = encode_cursor(page[limit - 1].sku) if len(page) > limit else None
        items = [product_json(product) for product in page[:limit]]
        return JSONResponse({"items": items, "next_cursor": next_cursor})

    async def product(self, request: Request) -> Response:
        """``GET /api/v1/products/{sku}``: the product, as the list shows it."""
        principal = await self._authenticator.authenticate(request, CATALOG_READ)
        if not isinstance(principal, Principal):
            return principal
        sku: str = request.path_params["sku"]
        product = (
            (self._products.cached(sku) or await self._products.product(sku))
            if is_sku(sku)
            else None
        )
        if product is None:
            return error_response(
                404,
                "not_found",
                f"The catalog has no product {sku[:80]!r}.",
                [{"field": "path.sku", "problem": "no product has this SKU"}],
            )
        return JSONResponse(product_json(product))

    async def import_file(self, request: Request) -> Response:
        """``POST /api/v1/catalog/imports[?dry_run=true&on_error=skip-rows]`` with a CSV
        file as the body: 200 and the summary of a dry run, 201 and that of an import."""
        principal = await self._authenticator.authenticate(request, CATALOG_WRITE)
        if not isinstance(principal, Principal):
            return principal
        try:
            dry_run = _dry_run(request.query_params.get("dry_run"))
            policy = _policy(request.query_params.get("on_error"))
            _check_media_type(request)
            async with _uploaded(request) as upload:
                outcome = await run_in_threadpool(
                    import_upload,
                    self._database.url,
                    upload,
                    name=f"upload by {principal.email}",
                    policy=policy,
                    dry_run=dry_run,
                )
        except BadRequestError as bad:
            return bad.response
        if isinstance(outcome, RejectedRow):
            return _not_a_catalog_file(outcome)
        if outcome.outcome == "applied":
            # Carts price from the cache: they see the new catalog now, not in a while.
            await self._products.forget()
        if outcome.outcome == "rejected":
            return _rejected(outcome)
        return JSONResponse(import_json(outcome), status_code=200 if dry_run else 201)


def _sku_cursor(text: str | None) -> str:
    """The SKU a page starts after ('' for the first page)."""
    key = cursor_key(text)
    if key is None:
        return ""
    match key:
        case [str() as sku] if is_sku(sku):
            return sku
    raise not_a_cursor()


def _dry_run(text: str | None) -> bool:
    if text is None or text == "false":
        return False
    if text == "true":
        return True
    raise invalid("query.dry_run", "must be true or false")


def _policy(text: str | None) -> ImportPolicy:
    if text is None:
        return IMPORT_POLICIES[0]
    for policy in IMPORT_POLICIES:
        if text == policy:
            return policy
    raise invalid("query.on_error", f"must be one of {', '.join(IMPORT_POLICIES)}")


def _check_media_type(request: Request) -> None:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != CSV_MEDIA_TYPE:
        raise BadRequestError(
            error_response(
                415,
                "unsupported_media_type",
                "Send the CSV file itself as the body, with Content-Type: text/csv.",
                [{"field": "headers.content-type", "problem": f"must be {CSV_MEDIA_TYPE}"}],
            )
        )


@asynccontextmanager
async def _uploaded(request: Request) -> AsyncIterator[IO[bytes]]:
    """The body, read into a temporary file (on disk past `SPOOLED_IN_MEMORY` bytes) that
    is deleted after the block; 413 past `MAX_UPLOAD` bytes, 422 when empty."""
    with tempfile.SpooledTemporaryFile(SPOOLED_IN_MEMORY, prefix="pulseshop-upload-") as spool:
        size = 0
        async for chunk in capped_chunks(request, MAX_UPLOAD):
            size += len(chunk)
            spool.write(chunk)
        if not size:
            raise invalid("body", "is empty: send the catalog file, header row first")
        spool.seek(0)
        yield spool


def import_upload(
    url: PostgresUrl, upload: IO[bytes], *, name: str, policy: ImportPolicy, dry_run: bool
) -> ImportSummary | RejectedRow:
    """Import the uploaded file as ``pulseshop catalog import`` does, on a pool of its own
    (this runs in a worker thread); or the first row of a file that is not a catalog file
    (empty, not UTF-8, an unusable header), which is not an attempt and is not recorded."""
    source = CatalogSource(upload, name)
    first = next(source.records())
    if isinstance(first, RejectedRow):
        return first
    return run_on_database(
        url,
        lambda database: import_catalog(database, source, policy=policy, dry_run=dry_run),
        failing=f"importing {name} failed, nothing was written",
    )


def _not_a_catalog_file(row: RejectedRow) -> Response:
    return error_response(
        422,
        "invalid_catalog_file",
        f"The body is not a catalog file: {row.errors[0]}.",
        [{"field": problem_field(error), "problem": error.message} for error in row.errors],
    )


def _rejected(summary: ImportSummary) -> Response:
    failed = summary.counts.failed
    rows = f"{failed} row{'' if failed == 1 else 's'}"
    errors = [error for error in summary.problems.kept if error.severity is Severity.ERROR]
    return error_response(
        422,
        "import_rejected",
        f"{rows} failed, so nothing was written (on_error=reject-all): fix them, or import "
        "with on_error=skip-rows to write the valid rows.",
        [{"field": problem_field(error), "problem": error.message} for error in errors],
    )
