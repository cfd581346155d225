"""``pulseshop worker``: run the service's jobs in worker processes (dramatiq's)."""

from __future__ import annotations

import os
import subprocess
import sys

import click

from pulseshop.shell import runtime
from pulseshop.shell.config import Settings
from pulseshop.shell.errors import ConfigError, ShellError
from pulseshop.shell.signals import ServiceStoppedError, StopSignals

WORKER_MODULE = "pulseshop.shell.jobs.worker"


@click.command()
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Worker processes.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=None,
    help="Threads per process [default: PULSESHOP_WORKER_THREADS, 4].",
)
def worker(processes: int, threads: int | None) -> None:
    """Run jobs from BROKER_URL until Ctrl-C or SIGTERM, which finish the jobs in progress
    (or put them back on the queue) before stopping."""
    settings = Settings.from_environ(os.environ)
    if settings.broker_url is None:
        raise ConfigError(
            "BROKER_URL is not set: with the embedded broker the service runs its jobs "
            "itself; set BROKER_URL (redis:// or amqp://) for separate workers"
        )
    signals = StopSignals()
    with signals.installed(), runtime.database_url(settings, signals) as url:
        runtime.check_reachable(url)
        command = [
            sys.executable,
            "-m",
            "dramatiq",
            WORKER_MODULE,
            "--processes",
            str(processes),
            "--threads",
            str(threads or settings.worker_threads),
        ]
        child = subprocess.Popen(command, env={**os.environ, "DATABASE_URL": url.text})  # noqa: S603
        try:
            status = child.wait()
        except ServiceStoppedError as stop:
            # dramatiq stops gracefully on the same signal: jobs in progress finish, or
            # go back to the queue when they do not in time.
            child.send_signal(stop.signum)
            child.wait()
            raise
        if status != 0:
            raise ShellError(f"the dramatiq worker exited with status {status}")
