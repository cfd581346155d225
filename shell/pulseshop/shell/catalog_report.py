"""What `pulseshop catalog import` prints: the changes of a dry run, then the summary.

The summary is a table of created / updated / unchanged / failed rows, under a line saying
what happened, followed by the first `LISTED_PROBLEMS` problems, each as
``line N, column C: message``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pulseshop.core.catalog import Severity
from pulseshop.core.money import Money

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pulseshop.core.catalog import Change, FieldValue, RowError
    from pulseshop.shell.catalog_import import ImportSummary

LISTED_PROBLEMS: Final = 20
"""Problems listed after the summary; the rest are counted."""


def change_line(change: Change) -> str:
    """One line for an update a dry run found: its line, its SKU, each field old -> new."""
    fields = "; ".join(
        f"{field.field} {_value(field.old)} -> {_value(field.new)}" for field in change.fields
    )
    return f"update line {change.line}, {change.product.sku}: {fields}"


def _value(value: FieldValue) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, int | Money):
        return str(value)
    if not value:
        return "(no volume prices)"
    return "[" + ", ".join(f"from {tier.min_quantity}: {tier.unit_price}" for tier in value) + "]"


def problem_line(problem: RowError) -> str:
    """``line N, column C: message`` (no column for a problem of the row or the file)."""
    where = f"line {problem.line}"
    if problem.column is not None:
        where += f", column {problem.column}"
    warning = "warning: " if problem.severity is Severity.WARNING else ""
    return f"{where}: {warning}{problem.message}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def headline(summary: ImportSummary) -> str:
    """What happened, in one sentence."""
    failed = summary.counts.failed
    if summary.dry_run:
        if summary.rejected:
            return (
                f"dry run of {summary.file}: the import would be rejected "
                f"({_plural(failed, 'row')} failed, reject-all): nothing would be written"
            )
        return f"dry run of {summary.file}: nothing was written; the import would do this"
    if summary.outcome == "rejected":
        return (
            f"rejected {summary.file}: {_plural(failed, 'row')} failed, so nothing was written "
            "(--on-error reject-all); the counts say what the valid rows would have done"
        )
    skipped = f", skipping {_plural(failed, 'failed row')}" if failed else ""
    if summary.outcome == "unchanged":
        return (
            f"imported {summary.file}{skipped}: nothing changed, every product already was "
            "as the file says"
        )
    return f"imported {summary.file}{skipped}"


def summary_lines(summary: ImportSummary) -> Iterator[str]:
    """The report after the import: the headline, the table and the first problems."""
    yield headline(summary)
    previous = summary.previous
    if previous is not None:
        when = f"{previous.finished_at:%Y-%m-%d %H:%M:%S %Z}".strip()
        yield f"  (the same file was imported before: import {previous.id}, {when})"
    counts = summary.counts
    for label, count in (
        ("created", counts.created),
        ("updated", counts.updated),
        ("unchanged", counts.unchanged),
        ("failed rows", counts.failed),
    ):
        yield f"  {label:<12}{count:>12,}"
    problems = summary.problems
    if problems.total:
        counted = [_plural(problems.errors, "error")]
        if problems.warnings:
            counted.append(_plural(problems.warnings, "warning"))
        shown = problems.kept[:LISTED_PROBLEMS]
        yield f"{' and '.join(counted)}" + (
            f" (the first {len(shown)}):" if problems.total > len(shown) else ":"
        )
        for problem in shown:
            yield f"  {problem_line(problem)}"
        if problems.total > len(shown):
            yield f"  ... and {problems.total - len(shown):,} more"


def failure_message(summary: ImportSummary) -> str | None:
    """The closing error line when rows failed (the command then exits 1), else None."""
    failed = summary.counts.failed
    if not failed:
        return None
    rows = _plural(failed, "row")
    if summary.dry_run:
        verdict = "the import would be rejected" if summary.rejected else "they would be skipped"
        return f"{summary.file}: {rows} failed: {verdict}"
    if summary.rejected:
        return f"{summary.file}: {rows} failed: nothing was written"
    return f"{summary.file}: {rows} failed: skipped; the valid rows were written"
