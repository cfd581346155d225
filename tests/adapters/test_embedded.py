"""The embedded PostgreSQL's bookkeeping and its failures."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import psutil
import pytest

from pulseshop.adapters.postgres.embedded import (
    EmbeddedPostgres,
    EmbeddedPostgresError,
    forget_dead_handles,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.unit


def _dead_pid() -> int:
    pid = 4_000_000
    while psutil.pid_exists(pid):
        pid -= 1
    return pid


class TestForgetDeadHandles:
    def test_drops_only_processes_that_are_gone(self, tmp_path: Path) -> None:
        """Live users stay on the list; a killed one is removed."""
        dead = _dead_pid()
        (tmp_path / ".handle_pids.json").write_text(json.dumps([os.getpid(), dead]))

        assert [dead] == forget_dead_handles(tmp_path)
        assert [os.getpid()] == json.loads((tmp_path / ".handle_pids.json").read_text())

    def test_no_list_no_change(self, tmp_path: Path) -> None:
        """A data directory never used has nothing to forget."""
        assert [] == forget_dead_handles(tmp_path)
        assert not (tmp_path / ".handle_pids.json").exists()

    def test_unreadable_list_starts_afresh(self, tmp_path: Path) -> None:
        """A corrupt list protects nobody and is reset."""
        (tmp_path / ".handle_pids.json").write_text("{not json")

        assert [] == forget_dead_handles(tmp_path)
        assert [] == json.loads((tmp_path / ".handle_pids.json").read_text())


class TestStartFailures:
    def test_data_path_that_is_a_file_is_refused_with_its_path(self, tmp_path: Path) -> None:
        """When the server cannot start, the error names the data directory."""
        blocked = tmp_path / "postgres"
        blocked.write_text("not a directory")

        with pytest.raises(EmbeddedPostgresError, match=str(blocked)):
            EmbeddedPostgres(blocked).start()

    def test_stop_without_start_is_harmless(self, tmp_path: Path) -> None:
        """Stopping a server never started does nothing."""
        EmbeddedPostgres(tmp_path / "postgres").stop()
