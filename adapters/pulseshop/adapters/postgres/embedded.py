"""The embedded default: a real PostgreSQL from the `pgserver` wheel (ADR 0003).

The server listens on a Unix socket only, keeps its data in one directory that
survives restarts, and is stopped when the last process using it lets go.
`pgserver` counts its users in ``.handle_pids.json`` inside the data directory; a
process killed without cleaning up would stay on that list forever and the server
would never be stopped again, so dead entries are dropped before every start.
"""

from __future__ import annotations

import json
import subprocess
import warnings
from typing import TYPE_CHECKING, final

import psutil
from platformdirs.api import RuntimeDirWarning

from pulseshop.adapters.postgres.url import parse_postgres_url

if TYPE_CHECKING:
    from pathlib import Path

    from pulseshop.adapters.postgres.url import PostgresUrl

with warnings.catch_warnings():
    # pgserver asks platformdirs for a runtime directory when imported; with no
    # XDG_RUNTIME_DIR it warns and falls back to /tmp/runtime-$UID, which suits us.
    warnings.simplefilter("ignore", RuntimeDirWarning)
    from pgserver.postgres_server import PostgresServer, get_server

_HANDLES_FILE = ".handle_pids.json"


@final
class EmbeddedPostgresError(Exception):
    """The embedded server could not be started; the message names the data directory."""


def forget_dead_handles(data_dir: Path) -> list[int]:
    """Drop processes that no longer run from pgserver's list of users; returns those dropped."""
    handles = data_dir / _HANDLES_FILE
    if not handles.exists():
        return []
    try:
        pids = [int(pid) for pid in json.loads(handles.read_text())]
    except (ValueError, TypeError):
        # A list we cannot read protects nobody: start it afresh.
        handles.write_text("[]")
        return []
    dead = [pid for pid in pids if not psutil.pid_exists(pid)]
    if dead:
        handles.write_text(json.dumps([pid for pid in pids if pid not in dead]))
    return dead


@final
class EmbeddedPostgres:
    """The server whose data lives in ``data_dir``: `start` it (or join it), `stop` it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self._server: PostgresServer | None = None

    def start(self) -> PostgresUrl:
        """Start the server, or join one already running on this data; returns its URL."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        # pgserver's own inter-process lock keeps two starters from racing here.
        with PostgresServer._lock:  # noqa: SLF001 - the lock pgserver takes itself
            if self.data_dir.exists():
                forget_dead_handles(self.data_dir)
        try:
            self._server = get_server(self.data_dir, cleanup_mode="stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            log = self.data_dir / "log"
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL in {self.data_dir} did not start ({error}); see {log}"
            ) from error
        # pgserver builds this URI itself, so it always parses.
        return parse_postgres_url(self._server.get_uri()).unwrap()

    def stop(self) -> None:
        """Let go of the server; it stops when no other process is using it."""
        if self._server is not None:
            server, self._server = self._server, None
            server.cleanup()

    def __enter__(self) -> PostgresUrl:
        return self.start()

    def __exit__(self, *_exc_info: object) -> None:
        self.stop()
