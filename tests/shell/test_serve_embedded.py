"""`pulseshop serve` on the embedded PostgreSQL: start, stop, restart, no orphans."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import TYPE_CHECKING

import asyncpg
import psutil
import pytest

from tests.support.processes import environment, postgres_processes, serving

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.e2e


def _socket_url(data_dir: Path) -> str:
    return f"postgresql://postgres:@/postgres?host={(data_dir / 'postgres').resolve()}"


async def _write_marker(data_dir: Path, text: str) -> None:
    connection = await asyncpg.connect(_socket_url(data_dir))
    await connection.execute("CREATE TABLE IF NOT EXISTS test_marker (text text)")
    await connection.execute("INSERT INTO test_marker VALUES ($1)", text)
    await connection.close()


async def _read_markers(data_dir: Path) -> list[str]:
    connection = await asyncpg.connect(_socket_url(data_dir))
    rows = await connection.fetch("SELECT text FROM test_marker")
    await connection.close()
    return [row["text"] for row in rows]


class TestEmbeddedLifecycle:
    def test_start_stop_restart_keeps_data_and_leaves_no_server(self, tmp_path: Path) -> None:
        """Ctrl-C stops PostgreSQL too; a second start reuses the data; SIGTERM stops again."""
        env = environment(PULSESHOP_DATA_DIR=str(tmp_path))

        with serving(env) as first:
            first.wait_ready()
            assert 1 == len(postgres_processes(tmp_path / "postgres"))
            asyncio.run(_write_marker(tmp_path, "written before the restart"))
            first_exit = first.stop(signal.SIGINT)
            first_output = first.output()

        assert 0 == first_exit, first_output
        assert [] == postgres_processes(tmp_path / "postgres")
        assert "migrated" in first_output

        with serving(env) as second:
            second.wait_ready()
            markers = asyncio.run(_read_markers(tmp_path))
            second_exit = second.stop(signal.SIGTERM)
            second_output = second.output()

        assert ["written before the restart"] == markers
        assert 0 == second_exit, second_output
        assert "up to date" in second_output
        assert [] == postgres_processes(tmp_path / "postgres")
        assert "Traceback" not in first_output + second_output

    def test_a_killed_server_process_does_not_block_the_next_start(self, tmp_path: Path) -> None:
        """After SIGKILL the next start joins the left-over PostgreSQL and stops it on exit."""
        env = environment(PULSESHOP_DATA_DIR=str(tmp_path))
        with serving(env) as killed:
            killed.wait_ready()
            killed_pid = killed.process.pid
            killed.stop(signal.SIGKILL)
        leftover = postgres_processes(tmp_path / "postgres")
        assert 1 == len(leftover)
        handles = json.loads((tmp_path / "postgres" / ".handle_pids.json").read_text())
        assert killed_pid in handles

        with serving(env) as restarted:
            restarted.wait_ready()
            assert [p.pid for p in leftover] == [
                p.pid for p in postgres_processes(tmp_path / "postgres")
            ]
            assert 0 == restarted.stop(signal.SIGTERM)

        assert [] == postgres_processes(tmp_path / "postgres")
        assert not any(_alive(process) for process in leftover)


def _alive(process: psutil.Process) -> bool:
    """Running, and not merely a zombie waiting for a parent to reap it."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
