"""Write the catalog's format CHECKs without bounded repetition: the same strings accepted,
at a tenth of the cost.

PostgreSQL's regular expression engine unrolls a bounded repetition (``{0,63}``, ``{64}``)
into one state per repetition. Matching a short SKU or category through ``{0,63}`` measured
about 4 µs, against under 0.5 µs for the same class repeated without a bound. Every product
written pays it for its SKU, category and tax category: inserting 200,000 new products took
2.4 s with these CHECKs and 1.2 s with the ones written here (ADR 0012).

Each such CHECK becomes the same pattern with the repetition unbounded, and a
``char_length`` bound. The two accept exactly the same strings: in PostgreSQL ``$`` matches
only at the end of the text (a newline is an ordinary character unless a pattern asks
otherwise), so the bound counts every character of the value. The constraints keep their
names. The currency's ``{3}`` stays: a repetition that short measured as fast as its
rewrites.

As in revision 0002, the patterns come from the core's constants, and
`tests/adapters/test_migrations.py` pins the values this revision was written with.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

import hashlib
import re
from typing import NamedTuple

from alembic import op

from pulseshop.core.catalog.product import IDENTIFIER_PATTERN, SKU_PATTERN

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The shape of the core's patterns: a first character from one class, then up to N more
# from another, anchored at both ends. Anything else is refused rather than guessed at.
_BOUNDED_SHAPE = re.compile(r"\^(?P<first>\[[^]]+\])(?P<more>\[[^]]+\])\{0,(?P<most>\d+)\}\$")

# `file_sha256` of `catalog_imports`: the hex SHA-256 of the file, in lower case.
HEX_DIGIT = "[0-9a-f]"
SHA256_HEX_DIGITS = 2 * hashlib.sha256().digest_size


class FormatCheck(NamedTuple):
    """A CHECK on one column: as revision 0002 wrote it (``column ~ bounded``), and as this
    revision writes it (``column ~ unbounded AND char_length(column) length``)."""

    table: str
    name: str
    column: str
    bounded: str
    unbounded: str
    length: str


def _unbounded(pattern: str) -> tuple[str, int]:
    """``^[first][more]{0,N}$`` as ``^[first][more]*$``, and the most characters it
    accepts (1 + N)."""
    shape = _BOUNDED_SHAPE.fullmatch(pattern)
    if shape is None:
        raise ValueError(f"{pattern!r} is not of the shape ^[...][...]{{0,N}}$")
    return f"^{shape['first']}{shape['more']}*$", 1 + int(shape["most"])


SKU_UNBOUNDED, MAX_SKU = _unbounded(SKU_PATTERN)
IDENTIFIER_UNBOUNDED, MAX_IDENTIFIER = _unbounded(IDENTIFIER_PATTERN)

FORMAT_CHECKS = (
    FormatCheck(
        "products",
        "products_sku_format",
        "sku",
        SKU_PATTERN,
        SKU_UNBOUNDED,
        f"<= {MAX_SKU}",
    ),
    FormatCheck(
        "products",
        "products_category_format",
        "category",
        IDENTIFIER_PATTERN,
        IDENTIFIER_UNBOUNDED,
        f"<= {MAX_IDENTIFIER}",
    ),
    FormatCheck(
        "products",
        "products_tax_category_format",
        "tax_category",
        IDENTIFIER_PATTERN,
        IDENTIFIER_UNBOUNDED,
        f"<= {MAX_IDENTIFIER}",
    ),
    FormatCheck(
        "catalog_imports",
        "catalog_imports_file_sha256_format",
        "file_sha256",
        f"^{HEX_DIGIT}{{{SHA256_HEX_DIGITS}}}$",
        f"^{HEX_DIGIT}*$",
        f"= {SHA256_HEX_DIGITS}",
    ),
)


def _literal(text: str) -> str:
    """``text`` as an SQL string literal (the patterns hold no quotes, but be exact)."""
    return "'" + text.replace("'", "''") + "'"


def _replace_checks(expressions: dict[FormatCheck, str]) -> None:
    """Drop and add the checks again under their names, each table in one ALTER TABLE, so
    its rows are read once to validate all of its new checks."""
    for table in dict.fromkeys(check.table for check in expressions):
        actions = ", ".join(
            f"DROP CONSTRAINT {check.name}, ADD CONSTRAINT {check.name} CHECK ({expression})"
            for check, expression in expressions.items()
            if check.table == table
        )
        op.execute(f"ALTER TABLE {table} {actions}")


def upgrade() -> None:
    _replace_checks(
        {
            check: f"{check.column} ~ {_literal(check.unbounded)}"
            f" AND char_length({check.column}) {check.length}"
            for check in FORMAT_CHECKS
        }
    )


def downgrade() -> None:
    _replace_checks(
        {check: f"{check.column} ~ {_literal(check.bounded)}" for check in FORMAT_CHECKS}
    )
