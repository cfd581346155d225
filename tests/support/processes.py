"""Running the real `pulseshop` command in a child process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

import httpx2
import psutil

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

PULSESHOP = Path(sys.executable).parent / "pulseshop"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


TEST_SECRET_KEY: Final = "a signing key for the services the tests start"  # noqa: S105


def environment(**overrides: str | None) -> dict[str, str]:
    """This process's environment without the service's variables, plus ``overrides``.

    A None value removes the variable. The session signing key is set (to a test key), so a
    service started from the tests writes no key file into the working tree.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "HOST",
            "PORT",
            "PULSESHOP_DATA_DIR",
            "LOG_LEVEL",
            "PULSESHOP_DEMO_CATALOG",
            "PULSESHOP_SECRET_KEY",
        }
    }
    env["PULSESHOP_SECRET_KEY"] = TEST_SECRET_KEY
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_pulseshop(
    *args: str, env: Mapping[str, str], timeout: float = 120, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run ``pulseshop ARGS`` to completion with ``stdin``, capturing its output as text."""
    return subprocess.run(
        [str(PULSESHOP), *args],
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    """PostgreSQL server processes serving the data in ``data_dir``."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and str(data_dir.resolve()) in cmdline:
            found.append(process)
    return found


class Service:
    """A running `pulseshop serve` child and the base URL it answers on."""

    def __init__(self, process: subprocess.Popen[str], base_url: str) -> None:
        self.process = process
        self.base_url = base_url

    def get(self, path: str) -> httpx2.Response:
        """GET a path of the service."""
        return httpx2.get(self.base_url + path, timeout=10)

    def wait_ready(self, timeout: float = 60) -> float:
        """Poll /readyz until it answers 200; returns the seconds that took."""
        return self._wait_for("/readyz", timeout)

    def wait_live(self, timeout: float = 60) -> float:
        """Poll /healthz until it answers 200; returns the seconds that took."""
        return self._wait_for("/healthz", timeout)

    def _wait_for(self, path: str, timeout: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise AssertionError(f"pulseshop serve exited early:\n{self.output()}")
            try:
                if self.get(path).status_code == 200:
                    return time.monotonic() - started
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{path} did not answer 200 within {timeout} s")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send ``signum`` and wait for the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout)

    def output(self) -> str:
        """Everything the child wrote (once it has exited)."""
        if self.process.poll() is None:
            return ""
        out, _ = self.process.communicate()
        return out


@contextmanager
def serving(env: Mapping[str, str], *args: str) -> Iterator[Service]:
    """Start ``pulseshop serve`` on a free port; stop it (SIGKILL as a last resort) after."""
    port = free_port()
    process = subprocess.Popen(
        [str(PULSESHOP), "serve", "--port", str(port), *args],
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    service = Service(process, f"http://127.0.0.1:{port}")
    try:
        yield service
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
