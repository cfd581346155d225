"""Whether a node may take traffic, decided from facts the shell gathered.

The shell asks the database and the migration scripts; this module only judges
what came back, so the rule "serve only at the head revision" is tested without
any server.
"""

from __future__ import annotations

from typing import final

import attrs


@final
@attrs.frozen
class Check:
    """The outcome of one readiness check: its name, whether it passed, and why not."""

    name: str
    ok: bool
    problem: str = ""


@final
@attrs.frozen
class Readiness:
    """Every check's outcome; the node is ready only when all of them passed."""

    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        """True when every check passed (and there was at least one)."""
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks that did not pass, in the order they were made."""
        return tuple(check for check in self.checks if not check.ok)


def database_check(error: str | None) -> Check:
    """Judge the database from the error its ping raised, if any.

    >>> database_check(None)
    Check(name='database', ok=True, problem='')
    >>> database_check("connection refused").problem
    'database did not answer: connection refused'
    """
    if error is None:
        return Check(name="database", ok=True)
    return Check(name="database", ok=False, problem=f"database did not answer: {error}")


def migrations_check(current: str | None, head: str) -> Check:
    """Judge the schema: ready only at exactly the head revision.

    A database behind the head lacks tables the code needs; one ahead of it was
    migrated by a newer release, whose schema this code does not know.

    >>> migrations_check("0001", "0001").ok
    True
    >>> migrations_check(None, "0001").problem
    'database is not migrated (head is 0001); run `pulseshop migrate`'
    >>> migrations_check("0001", "0002").problem
    'database is at revision 0001, head is 0002; run `pulseshop migrate`'
    """
    if current == head:
        return Check(name="migrations", ok=True)
    if current is None:
        problem = f"database is not migrated (head is {head}); run `pulseshop migrate`"
    else:
        problem = f"database is at revision {current}, head is {head}; run `pulseshop migrate`"
    return Check(name="migrations", ok=False, problem=problem)


def assess(*checks: Check) -> Readiness:
    """Collect checks into a verdict.

    >>> assess(database_check(None), migrations_check("0001", "0001")).ready
    True
    >>> verdict = assess(database_check(None), migrations_check(None, "0001"))
    >>> [check.name for check in verdict.failed]
    ['migrations']
    >>> assess().ready
    False
    """
    return Readiness(checks=checks)
