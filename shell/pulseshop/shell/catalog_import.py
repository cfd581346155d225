"""Importing a catalog file into the database, a dry run of it, and exporting the catalog.

An import streams: the parser's products go straight into the COPY of `apply_import`, in
the transaction that writes them, and only the problems are kept (the first
`KEPT_PROBLEMS`, and how many there were). Under reject-all that transaction is itself
inside another, which is rolled back when a row failed: the database has by then counted
what the file would have created, updated and left unchanged, and the rejected import is
recorded with those counts. A dry run plans `PLAN_CHUNK` products at a time against the
catalog's current values for their SKUs, so it holds one chunk at a time too.

Both change only the optional fields the file's header carries (`carried_fields`), and
both fail a row that would keep stored volume prices its new unit price no longer allows:
the plan finds it in its chunk, the database in its upsert. So a dry run and an import of
the same file against the same catalog report the same counts.

A SKU repeated in a file fails on its later rows (the parser says which line had it
first); the first row is a valid row like any other. A streaming import has written that
row by the time a repeat appears, and a dry run must say what the import does, so both
treat it alike.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, Final, TypeVar, final

import attrs

from pulseshop.adapters.postgres import (
    CONNECTION_ERRORS,
    DatabaseUnavailableError,
    ImportAttempt,
    PostgresDatabase,
    UnreadableProductError,
    apply_import,
    catalog_is_new,
    current_catalog,
    current_revision,
    export_catalog,
    head_revision,
    previous_import,
    record_dry_run,
    record_rejected_import,
    tier_quantities,
)
from pulseshop.adapters.postgres.database import describe_connection_error
from pulseshop.core.catalog import (
    ImportCounts,
    ProductRow,
    RejectedRow,
    Severity,
    carried_fields,
    export_rows,
    plan_import,
    rejects_all,
)
from pulseshop.shell.errors import ShellError

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Iterable, Iterator

    from pulseshop.adapters.postgres import (
        CatalogImport,
        ImportOutcome,
        PostgresUrl,
    )
    from pulseshop.adapters.postgres.catalog_imports import ImportProblem
    from pulseshop.core.catalog import (
        CatalogRecord,
        Change,
        ImportPolicy,
        OptionalField,
        Product,
        RowError,
    )
    from pulseshop.shell.catalog_files import CatalogSource

T = TypeVar("T")

PLAN_CHUNK: Final = 10_000
"""Products a dry run compares with the catalog at a time."""

KEPT_PROBLEMS: Final = 1_000
"""Problems kept for the report and recorded with the import; the rest are only counted."""

EXPORT_PAGE: Final = 5_000
"""Products formatted at a time by an export."""


@final
class ProblemLog:
    """The file's problems as the parser finds them: every one counted, the first kept.

    Iterating gives the kept ones as the import's record stores them.
    """

    def __init__(self, warnings: Iterable[RowError] = ()) -> None:
        self.kept: list[RowError] = []
        self.errors = 0
        self.warnings = 0
        self.failed_rows = 0
        for warning in warnings:
            self.add(warning)

    def add(self, problem: RowError) -> None:
        """Count one problem, and keep it while fewer than `KEPT_PROBLEMS` are kept."""
        if problem.severity is Severity.WARNING:
            self.warnings += 1
        else:
            self.errors += 1
        if len(self.kept) < KEPT_PROBLEMS:
            self.kept.append(problem)

    @property
    def total(self) -> int:
        """Every problem found, kept or not."""
        return self.errors + self.warnings

    def reject(self, row: RejectedRow) -> None:
        """Count a failed row and log its problems."""
        self.failed_rows += 1
        for error in row.errors:
            self.add(error)

    def valid_rows(self, records: Iterable[CatalogRecord]) -> Iterator[ProductRow]:
        """The valid rows of ``records``, logging the rejected ones as they pass."""
        for record in records:
            if isinstance(record, ProductRow):
                yield record
            elif isinstance(record, RejectedRow):
                self.reject(record)
            # A Header comes only first, and the caller has taken it (`CatalogSource.header`).

    def __iter__(self) -> Iterator[ImportProblem]:
        for problem in self.kept:
            yield problem.line, problem.column, problem.code.value, problem.message


@final
@attrs.frozen
class ImportSummary:
    """How an import (or a dry run) ended, for the report and the exit code."""

    file: str
    policy: ImportPolicy
    dry_run: bool
    counts: ImportCounts
    outcome: ImportOutcome
    problems: ProblemLog = attrs.field(eq=False)
    previous: CatalogImport | None
    record_id: int

    @property
    def rejected(self) -> bool:
        """Reject-all and a row failed: nothing written (or, in a dry run, nothing would be)."""
        return rejects_all(self.policy, failed_rows=self.counts.failed)


class _RejectedError(Exception):
    """Rolls back a reject-all import once the database has counted it."""

    def __init__(self, counts: ImportCounts) -> None:
        super().__init__("rows failed")
        self.counts = counts


async def import_catalog(
    database: PostgresDatabase,
    source: CatalogSource,
    *,
    policy: ImportPolicy,
    dry_run: bool,
    on_change: Callable[[Change], None] = lambda _change: None,
) -> ImportSummary:
    """Import (or plan, with ``dry_run``) the file in ``source``, and record the attempt.

    ``on_change`` sees each change a dry run finds, as it finds it.
    """
    records = source.records()
    header = source.header(records)
    fields = carried_fields(header.columns)
    problems = ProblemLog(header.warnings)
    attempt = ImportAttempt(source.sha256, source.name, datetime.now(UTC), policy)
    previous = await previous_import(database, source.sha256)
    rows = problems.valid_rows(records)
    recorded: CatalogImport
    if dry_run:
        counts = await _plan(database, rows, fields, problems, on_change)
        _check_unchanged(source)
        counts = attrs.evolve(counts, failed=problems.failed_rows)
        recorded = await record_dry_run(database, attempt=attempt, counts=counts, errors=problems)
    else:
        try:
            async with database.transaction():
                recorded = await apply_import(
                    database,
                    rows,
                    attempt=attempt,
                    fields=fields,
                    # Under reject-all a failed row rolls the writes back (below), so the
                    # import is written as if none failed; skip-rows counts them at the end.
                    failed=0 if policy == "reject-all" else lambda: problems.failed_rows,
                    errors=problems,
                    reject=problems.reject,
                )
                _check_unchanged(source)
                _roll_back_if_rejected(policy, problems, recorded)
        except _RejectedError as rejected:
            counts = attrs.evolve(rejected.counts, failed=problems.failed_rows)
            recorded = await record_rejected_import(
                database, attempt=attempt, counts=counts, errors=problems
            )
    return ImportSummary(
        file=source.name,
        policy=policy,
        dry_run=dry_run,
        counts=recorded.counts,
        outcome=recorded.outcome,
        problems=problems,
        previous=previous,
        record_id=recorded.id,
    )


def _roll_back_if_rejected(
    policy: ImportPolicy, problems: ProblemLog, recorded: CatalogImport
) -> None:
    if rejects_all(policy, failed_rows=problems.failed_rows):
        raise _RejectedError(recorded.counts)


def _check_unchanged(source: CatalogSource) -> None:
    if not source.unchanged_since_hashed():
        raise ShellError(f"{source.name} changed while it was read: nothing was written")


async def _plan(
    database: PostgresDatabase,
    rows: Iterator[ProductRow],
    fields: frozenset[OptionalField],
    problems: ProblemLog,
    on_change: Callable[[Change], None],
) -> ImportCounts:
    created = updated = unchanged = 0
    while chunk := list(islice(rows, PLAN_CHUNK)):
        current = await current_catalog(database, [row.product.sku for row in chunk])
        plan = plan_import(chunk, current, fields=fields)
        for failure in plan.failures:
            problems.reject(failure)
        for change in plan.changes:
            on_change(change)
        created += plan.counts.created
        updated += plan.counts.updated
        unchanged += plan.counts.unchanged
    return ImportCounts(created, updated, unchanged)


async def export_products(database: PostgresDatabase, write: Callable[[bytes], object]) -> int:
    """Write the catalog as a catalog file through ``write``; returns how many products."""
    quantities = await tier_quantities(database)
    write(next(export_rows((), tier_quantities=quantities)).encode())
    count = 0
    page: list[Product] = []

    def flush() -> None:
        lines = export_rows(page, tier_quantities=quantities)
        next(lines)  # the header, written once above
        write("".join(lines).encode())
        page.clear()

    try:
        async for product in export_catalog(database):
            page.append(product)
            count += 1
            if len(page) >= EXPORT_PAGE:
                flush()
        flush()
    except ValueError as error:
        # A product saved during the export with a tier quantity no other product had.
        raise ShellError(f"the catalog changed during the export ({error}): run it again") from None
    return count


async def import_demo(database: PostgresDatabase, source: CatalogSource) -> ImportSummary | None:
    """Import the demo catalog when the catalog is new (no product, no import ever); else
    None."""
    if not await catalog_is_new(database):
        return None
    return await import_catalog(database, source, policy="reject-all", dry_run=False)


def run_on_database(
    url: PostgresUrl, work: Callable[[PostgresDatabase], Coroutine[Any, Any, T]], *, failing: str
) -> T:
    """Run ``work`` on a pool to the migrated database at ``url``; a lost connection or a
    refused statement becomes a `ShellError` starting with ``failing``."""

    async def run() -> T:
        database = PostgresDatabase(url, min_size=1, max_size=2)
        try:
            await database.connect()
        except DatabaseUnavailableError as error:
            raise ShellError(f"cannot reach the database {error}") from error
        try:
            revision, head = await current_revision(database), head_revision()
            if revision != head:
                raise ShellError(
                    f"the database {url.redacted} is at revision {revision or 'none'}, "
                    f"not {head}: run `pulseshop migrate` first"
                )
            return await work(database)
        finally:
            await database.disconnect()

    try:
        return asyncio.run(run())
    except CONNECTION_ERRORS as error:
        raise ShellError(f"{failing}: {describe_connection_error(error)}") from error
    except UnreadableProductError as error:
        detail = f"the catalog holds a product this release cannot read: {error}"
        raise ShellError(f"{failing}: {detail}") from error
