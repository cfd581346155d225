"""What an import does when rows fail.

>>> rejects_all("reject-all", failed_rows=1), rejects_all("skip-rows", failed_rows=1)
(True, False)
>>> rejects_all("reject-all", failed_rows=0)
False
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

ImportPolicy: TypeAlias = Literal["reject-all", "skip-rows"]
"""``reject-all``: one failed row and nothing is written. ``skip-rows``: the valid rows are
written and the failed ones reported."""

IMPORT_POLICIES: Final[tuple[ImportPolicy, ...]] = ("reject-all", "skip-rows")
"""Every policy, the default first."""


def rejects_all(policy: ImportPolicy, *, failed_rows: int) -> bool:
    """True when an import under ``policy`` with ``failed_rows`` failed rows writes nothing."""
    return policy == "reject-all" and failed_rows > 0
