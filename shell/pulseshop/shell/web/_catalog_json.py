"""The catalog's values as the JSON API shows them: products, and the summary of an import.

The shapes are those of the ``Product`` and ``ImportSummary`` schemas of
``openapi/catalog.yaml``; the tests hold answers to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pulseshop.core.money import amount_text

if TYPE_CHECKING:
    from pulseshop.core.catalog import Product, RowError
    from pulseshop.shell.catalog_import import ImportSummary


def product_json(product: Product) -> dict[str, object]:
    """A product with its stock: prices as decimal strings with the currency's decimals."""
    return {
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "tax_category": product.tax_category,
        "unit_price": amount_text(product.unit_price),
        "currency": product.unit_price.currency.code,
        "stock": product.stock,
        "active": product.active,
        "tiers": [
            {"min_quantity": tier.min_quantity, "unit_price": amount_text(tier.unit_price)}
            for tier in product.tiers
        ],
    }


def problem_field(problem: RowError) -> str:
    """Where a problem of a catalog file is, as the error shape's ``field``:
    ``line 12: unit_price``, or ``line 12`` for a problem of the whole row."""
    where = f"line {problem.line}"
    return where if problem.column is None else f"{where}: {problem.column}"


def problem_json(problem: RowError) -> dict[str, object]:
    """One problem of a catalog file, as ``pulseshop catalog import`` reports it."""
    return {
        "line": problem.line,
        "column": problem.column,
        "field": problem_field(problem),
        "code": problem.code.value,
        "severity": problem.severity.value,
        "problem": problem.message,
    }


def import_json(summary: ImportSummary) -> dict[str, object]:
    """What an import (or a dry run) did: its record's id, the counts, and the problems
    found (every one counted, the first `KEPT_PROBLEMS` listed)."""
    counts = summary.counts
    problems = summary.problems
    previous = summary.previous
    return {
        "id": summary.record_id,
        "file": summary.file,
        "dry_run": summary.dry_run,
        "policy": summary.policy,
        "outcome": summary.outcome,
        "rejected": summary.rejected,
        "counts": {
            "created": counts.created,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "failed": counts.failed,
        },
        "error_count": problems.errors,
        "warning_count": problems.warnings,
        "errors": [problem_json(problem) for problem in problems.kept],
        "previous_import": None
        if previous is None
        else {"id": previous.id, "finished_at": previous.finished_at.isoformat()},
    }
