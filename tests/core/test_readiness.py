"""Readiness verdicts from gathered facts."""

from __future__ import annotations

import pytest

from pulseshop.core import assess, database_check, migrations_check

pytestmark = pytest.mark.unit


class TestReadiness:
    def test_ready_when_every_check_passed(self) -> None:
        """A reachable database at the head revision is ready."""
        verdict = assess(database_check(None), migrations_check("0002", "0002"))

        assert verdict.ready
        assert () == verdict.failed

    def test_database_behind_head_is_not_ready(self) -> None:
        """One revision behind the head fails the migrations check, naming both revisions."""
        verdict = assess(database_check(None), migrations_check("0001", "0002"))

        assert not verdict.ready
        assert ["migrations"] == [check.name for check in verdict.failed]
        assert "0001" in verdict.failed[0].problem
        assert "0002" in verdict.failed[0].problem

    def test_database_ahead_of_head_is_not_ready(self) -> None:
        """A schema migrated by a newer release is not one this code knows."""
        assert not migrations_check("0003", "0002").ok

    def test_unreachable_database_is_not_ready(self) -> None:
        """The database's error is carried into the problem."""
        verdict = assess(database_check("connection refused"))

        assert not verdict.ready
        assert "database did not answer: connection refused" == verdict.failed[0].problem

    def test_no_checks_is_not_ready(self) -> None:
        """Nothing checked proves nothing."""
        assert not assess().ready
