"""The record of catalog imports: one row per finished attempt, with its problems.

Every attempt is recorded, whether it wrote the catalog (``applied``, or ``unchanged`` when
it found nothing to change), was refused (``rejected``: reject-all and a row failed) or only
looked (``dry-run``), so an operator can see what was tried, when, and why it failed. An
attempt that wrote is recorded in the transaction of its writes (`catalog.apply_import`):
the record exists exactly when the writes do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal, TypeAlias, cast, final

import attrs

from pulseshop.core.catalog import ImportCounts

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator
    from datetime import datetime

    from pulseshop.adapters.postgres.database import CopyTransaction, PostgresDatabase, Row
    from pulseshop.core.catalog import ImportPolicy

ImportOutcome: TypeAlias = Literal["applied", "rejected", "dry-run", "unchanged"]
"""How an attempt ended."""

ImportProblem: TypeAlias = tuple[int, str | None, str, str]
"""One problem of a file: its line (1-based), its column (None for the row or the file),
a stable code and a sentence for a person."""

WRITTEN_OUTCOMES: Final[tuple[ImportOutcome, ...]] = ("applied", "unchanged")
"""The outcomes of imports that ran their writes."""


@final
@attrs.frozen
class ImportAttempt:
    """What the importer knows before it writes: the file, when reading it began, the policy.

    ``file_sha256`` is the hex SHA-256 of the file's bytes, in lower case.
    """

    file_sha256: str
    file_name: str
    started_at: datetime
    policy: ImportPolicy


@final
@attrs.frozen
class CatalogImport:
    """A recorded attempt."""

    id: int
    file_sha256: str
    file_name: str
    started_at: datetime
    finished_at: datetime
    policy: ImportPolicy
    dry_run: bool
    counts: ImportCounts
    outcome: ImportOutcome


_RECORD_COLUMNS: Final = (
    "id, file_sha256, file_name, started_at, finished_at, policy, dry_run, "
    "created, updated, unchanged, failed, outcome"
)

INSERT_IMPORT_SQL: Final = f"""
    INSERT INTO catalog_imports (
        file_sha256, file_name, started_at, policy, dry_run,
        created, updated, unchanged, failed, outcome
    )
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    RETURNING {_RECORD_COLUMNS}
"""  # noqa: S608 - the interpolated text is the constant column list above

PREVIOUS_IMPORT_SQL: Final = f"""
    SELECT {_RECORD_COLUMNS}
    FROM catalog_imports
    WHERE file_sha256 = $1 AND outcome = ANY($2::text[])
    ORDER BY id DESC
    LIMIT 1
"""  # noqa: S608 - the interpolated text is the constant column list above

IMPORT_ERRORS_SQL: Final = """
    SELECT line, column_name, code, message
    FROM catalog_import_errors
    WHERE import_id = $1
    ORDER BY position
"""

_ERROR_COLUMNS: Final = ("import_id", "position", "line", "column_name", "code", "message")


def _catalog_import(row: Row) -> CatalogImport:
    return CatalogImport(
        id=row["id"],
        file_sha256=row["file_sha256"],
        file_name=row["file_name"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        policy=cast("ImportPolicy", row["policy"]),
        dry_run=row["dry_run"],
        counts=ImportCounts(row["created"], row["updated"], row["unchanged"], row["failed"]),
        outcome=cast("ImportOutcome", row["outcome"]),
    )


async def insert_import(
    transaction: CopyTransaction,
    attempt: ImportAttempt,
    counts: ImportCounts,
    outcome: ImportOutcome,
    errors: Iterable[ImportProblem],
) -> CatalogImport:
    """Record an attempt and its problems (streamed, in their order) inside ``transaction``."""
    row = await transaction.fetch_one(
        INSERT_IMPORT_SQL,
        attempt.file_sha256,
        attempt.file_name,
        attempt.started_at,
        attempt.policy,
        outcome == "dry-run",
        counts.created,
        counts.updated,
        counts.unchanged,
        counts.failed,
        outcome,
    )
    if row is None:  # pragma: no cover - INSERT ... RETURNING returns the row it inserted
        raise AssertionError("the import record was not returned")
    recorded = _catalog_import(row)
    await transaction.copy_records(
        "catalog_import_errors", _ERROR_COLUMNS, _numbered(recorded.id, errors)
    )
    return recorded


def _numbered(import_id: int, errors: Iterable[ImportProblem]) -> Iterator[tuple[object, ...]]:
    for position, (line, column, code, message) in enumerate(errors, start=1):
        yield import_id, position, line, column, code, message


async def record_rejected_import(
    database: PostgresDatabase,
    *,
    attempt: ImportAttempt,
    counts: ImportCounts,
    errors: Iterable[ImportProblem],
) -> CatalogImport:
    """Record an import refused as a whole; the catalog is not touched.

    ``counts`` are what the file would have done (``failed`` > 0).
    """
    async with database.copy_transaction() as transaction:
        return await insert_import(transaction, attempt, counts, "rejected", errors)


async def record_dry_run(
    database: PostgresDatabase,
    *,
    attempt: ImportAttempt,
    counts: ImportCounts,
    errors: Iterable[ImportProblem],
) -> CatalogImport:
    """Record a dry run: what the file would have done; the catalog is not touched."""
    async with database.copy_transaction() as transaction:
        return await insert_import(transaction, attempt, counts, "dry-run", errors)


async def previous_import(
    database: PostgresDatabase,
    file_sha256: str,
    *,
    outcomes: Collection[ImportOutcome] = WRITTEN_OUTCOMES,
) -> CatalogImport | None:
    """The latest import of the file with this hash that ended in one of ``outcomes``
    (by default: one that ran its writes), or None."""
    row = await database.fetch_one(PREVIOUS_IMPORT_SQL, file_sha256, list(outcomes))
    return None if row is None else _catalog_import(row)


async def import_errors(database: PostgresDatabase, import_id: int) -> list[ImportProblem]:
    """The problems recorded with an import, in the order they were reported."""
    rows = await database.fetch_all(IMPORT_ERRORS_SQL, import_id)
    return [(row["line"], row["column_name"], row["code"], row["message"]) for row in rows]
