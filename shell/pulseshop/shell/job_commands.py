"""``pulseshop worker``: run the service's jobs in worker processes (dramatiq's);
``pulseshop jobs``: the queues' depths and dead letters."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from pulseshop.adapters.jobs import broker_for
from pulseshop.adapters.jobs_admin import dead_letters, queue_stats, replay_dead_letters
from pulseshop.shell import runtime
from pulseshop.shell.config import Settings
from pulseshop.shell.errors import ConfigError, ShellError
from pulseshop.shell.jobs.runtime import QUEUES
from pulseshop.shell.signals import ServiceStoppedError, StopSignals

if TYPE_CHECKING:
    from collections.abc import Iterator

    import dramatiq

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
@click.option(
    "--prefetch",
    type=click.IntRange(1, 65_535),
    default=None,
    help="Messages each process takes from a queue ahead of its threads "
    "[default: PULSESHOP_WORKER_PREFETCH, else twice the threads].",
)
def worker(processes: int, threads: int | None, prefetch: int | None) -> None:
    """Run jobs from BROKER_URL until Ctrl-C or SIGTERM, which finish the jobs in progress
    (or put them back on the queue) before stopping. At most processes x threads jobs run
    at once, and processes x prefetch are taken from each queue and not yet done."""
    settings = Settings.from_environ(os.environ)
    _network_broker(settings, "the service runs its jobs itself")
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
        environment = {**os.environ, "DATABASE_URL": url.text}
        prefetch = prefetch or settings.worker_prefetch
        if prefetch is not None:
            # dramatiq's worker reads its queues' prefetch from here.
            environment["dramatiq_queue_prefetch"] = str(prefetch)
        child = subprocess.Popen(command, env=environment)  # noqa: S603
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


def _network_broker(settings: Settings, embedded: str) -> str:
    if settings.broker_url is None:
        raise ConfigError(
            f"BROKER_URL is not set: with the embedded broker {embedded}; set BROKER_URL "
            "(redis:// or amqp://) for separate workers"
        )
    return settings.broker_url


@contextmanager
def _broker() -> Iterator[dramatiq.Broker]:
    url = _network_broker(
        Settings.from_environ(os.environ), "its queues live inside the service's process"
    )
    broker = broker_for(url)
    try:
        yield broker
    except OSError as error:
        raise ShellError(f"the broker at BROKER_URL cannot be reached: {error}") from error
    finally:
        broker.close()


@click.group()
def jobs() -> None:
    """Look into the job queues of BROKER_URL: their depths and dead letters."""


@jobs.command()
def stats() -> None:
    """Each queue's jobs waiting, delayed (retries), being run, and dead."""
    with _broker() as broker:
        rows = queue_stats(broker, QUEUES)
    click.echo(f"{'queue':<12} {'ready':>7} {'delayed':>8} {'in flight':>10} {'dead':>6}")
    for row in rows:
        in_flight = "?" if row.in_flight is None else str(row.in_flight)
        click.echo(f"{row.queue:<12} {row.ready:>7} {row.delayed:>8} {in_flight:>10} {row.dead:>6}")


@jobs.group()
def dlq() -> None:
    """The dead letters: jobs that failed after every retry."""


@dlq.command(name="list")
def list_dead() -> None:
    """Every dead job: queue, id, call, when it died, its last error."""
    with _broker() as broker:
        found = dead_letters(broker, QUEUES)
    if not found:
        click.echo("no dead letters")
        return
    for dead in found:
        when = "-" if dead.failed_at is None else dead.failed_at.isoformat(timespec="seconds")
        call = f"{dead.actor}({', '.join(map(repr, dead.args))})"
        click.echo(f"{dead.queue}\t{dead.message_id}\t{call}\t{when}\t{dead.error}")


@dlq.command()
@click.argument("message_id", required=False)
@click.option("--all", "every", is_flag=True, help="Replay every dead job.")
def replay(message_id: str | None, every: bool) -> None:  # noqa: FBT001 - a click flag
    """Queue the dead job MESSAGE_ID again (or every one with --all), retries reset."""
    if (message_id is None) == (not every):
        raise click.UsageError("give one MESSAGE_ID or --all, not both nor neither")
    with _broker() as broker:
        replayed = replay_dead_letters(broker, QUEUES, message_id)
    if message_id is not None and replayed == 0:
        raise ShellError(
            f"no dead job has the id {message_id}",
        )
    click.echo(f"replayed {replayed} job{'' if replayed == 1 else 's'}")
