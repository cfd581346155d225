"""``pulseshop ingest FILE.jsonl``: send a file of marketplace feed events, one JSON event
per line, as the HTTP endpoint takes a batch.

Each line is checked on its own: a line that is not JSON, or not a valid event, is kept in
``feed_rejects`` with its line number and problems (and printed), the others are queued.
With ``BROKER_URL`` the workers apply them; without it this command applies them itself
and returns once they are applied. When the feed queue is past its limit the command
waits, as the endpoint's ``Retry-After`` asks, rather than failing. Sending a file again is
safe: each event is applied once, by its ``event_id``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

import attrs
import click
from prometheus_client import REGISTRY

from pulseshop.adapters.jobs import BROKER_UNREACHABLE, broker_for
from pulseshop.adapters.mail import transport_for
from pulseshop.core.marketplace import (
    MAX_BATCH,
    BatchReading,
    FeedEvent,
    Rejection,
    read_batch,
)
from pulseshop.core.problems import Problem, ProblemCode
from pulseshop.shell import runtime
from pulseshop.shell.catalog_import import run_on_database
from pulseshop.shell.config import Settings
from pulseshop.shell.errors import ShellError
from pulseshop.shell.feed.intake import FeedIntake
from pulseshop.shell.jobs.runtime import FEED_QUEUE, Jobs
from pulseshop.shell.signals import StopSignals

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pulseshop.adapters.postgres import PostgresDatabase

MAX_LINE: Final = 64 * 1024
"""The longest line read as an event, in bytes (a longer one is refused unread)."""

SHOWN_REJECTS: Final = 20
"""Rejected lines printed; the rest are counted (all are kept in ``feed_rejects``)."""


@attrs.define
class _Tally:
    accepted: int = 0
    messages: int = 0
    rejected: int = 0
    waited: float = 0.0
    shown: list[str] = attrs.Factory(list)
    outcomes: tuple[int, int, int] | None = None
    """Applied, duplicate and refused events, when this process applied them."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def ingest(file: str) -> None:
    """Send the marketplace feed events of FILE.jsonl (- for stdin), one JSON event a line.

    Bad lines are kept with their line number and problems in feed_rejects; the good ones
    are applied once each (by their event_id) by the workers of BROKER_URL, or, without
    it, by this command before it returns. Exits 1 when any line was rejected.
    """
    settings = Settings.from_environ(os.environ)
    signals = StopSignals()
    with signals.installed(), _opened(file) as (stream, size):
        name = "stdin" if file == "-" else Path(file).name
        with runtime.database_url(settings, signals) as url:
            jobs = Jobs(
                broker_for(settings.broker_url),
                url,
                transport_for(settings.smtp_url, settings.mail_dir),
                mail_from=settings.mail_from,
                clock=_utc_now,
            )
            if settings.broker_url is None:
                jobs.start_worker(
                    threads=settings.worker_threads, prefetch=settings.worker_prefetch
                )
            try:
                tally = run_on_database(
                    url,
                    lambda database: _send(
                        database, jobs, settings, stream, size=size, origin=name
                    ),
                    failing=f"sending {name} failed (sending it again is safe)",
                )
            except BROKER_UNREACHABLE as error:
                raise ShellError(
                    f"the broker at BROKER_URL cannot be reached ({error}): sending {name} "
                    "again is safe"
                ) from error
            finally:
                asyncio.run(jobs.stop_worker())
    for line in tally.shown:
        click.echo(line, err=True)
    if tally.rejected > len(tally.shown):
        click.echo(f"... and {tally.rejected - len(tally.shown)} more rejected lines", err=True)
    if tally.waited:
        click.echo(f"waited {tally.waited:,.0f} s for the feed queue to drain", err=True)
    if tally.outcomes is None:
        done = "queued for the workers"
    else:
        applied, duplicate, refused = tally.outcomes
        done = (
            f"taken: {applied:,} applied, {duplicate:,} applied before, "
            f"{refused:,} refused (another currency than their order's)"
        )
    click.echo(
        f"{_count(tally.accepted, 'event')} ({_count(tally.messages, 'message')}) {done}; "
        f"{_count(tally.rejected, 'line')} rejected (kept in feed_rejects)"
    )
    if tally.rejected:
        raise ShellError(f"{_count(tally.rejected, 'line')} of {name} rejected")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


@contextmanager
def _opened(file: str) -> Iterator[tuple[IO[bytes], int]]:
    if file == "-":
        yield sys.stdin.buffer, 0
        return
    try:
        stream = Path(file).open("rb")  # noqa: SIM115 - closed below
    except OSError as error:
        raise ShellError(f"cannot read {file}: {error.strerror}") from error
    with stream:
        yield stream, os.fstat(stream.fileno()).st_size


async def _send(
    database: PostgresDatabase,
    jobs: Jobs,
    settings: Settings,
    stream: IO[bytes],
    *,
    size: int,
    origin: str,
) -> _Tally:
    intake = FeedIntake(
        database,
        send=jobs.send_feed_events,
        depth=jobs.feed_depth,
        queue_limit=settings.feed_queue_limit,
        clock=_utc_now,
    )
    tally = _Tally()
    before = _outcomes()
    # On a terminal, a bar over the file's bytes.
    with click.progressbar(
        length=max(size, 1),
        label=f"sending {origin}",
        file=sys.stderr,
        hidden=not sys.stderr.isatty(),
    ) as bar:
        for chunk in _chunks(stream, bar.update):
            while (busy := await intake.busy()) is not None:
                tally.waited += busy.retry_after
                await asyncio.sleep(busy.retry_after)
            taken = await intake.take(chunk.reading, origin=origin, raw_of=chunk.raws.__getitem__)
            tally.accepted += taken.accepted
            tally.messages += taken.messages
            tally.rejected += len(taken.rejected)
            for rejection in taken.rejected:
                if len(tally.shown) < SHOWN_REJECTS:
                    tally.shown.append(_rejection_line(origin, rejection))
    if settings.broker_url is None:
        # The events are applied by this process's worker: wait until they all are.
        await asyncio.to_thread(jobs.broker.join, FEED_QUEUE)
        after = _outcomes()
        applied, duplicate, refused = (now - then for now, then in zip(after, before, strict=True))
        tally.outcomes = (applied, duplicate, refused)
    return tally


def _outcomes() -> tuple[int, int, int]:
    """The events this process applied, found applied before, and refused, so far."""
    return (
        int(REGISTRY.get_sample_value("pulseshop_feed_events_total", {"outcome": "applied"}) or 0),
        int(
            REGISTRY.get_sample_value("pulseshop_feed_events_total", {"outcome": "duplicate"}) or 0
        ),
        int(REGISTRY.get_sample_value("pulseshop_feed_events_total", {"outcome": "refused"}) or 0),
    )


@attrs.frozen
class _Chunk:
    reading: BatchReading
    raws: dict[int, str]


def _chunks(stream: IO[bytes], progress: Callable[[int], None]) -> Iterator[_Chunk]:
    """The file's events, `MAX_BATCH` lines at a time, each checked; blank lines skipped.
    An event's index is its line number."""
    accepted: list[tuple[int, FeedEvent]] = []
    rejected: list[Rejection] = []
    raws: dict[int, str] = {}
    for number, raw in enumerate(_lines(stream, progress), start=1):
        if raw is not None and not raw.strip():
            continue
        checked = _checked_line(number, raw)
        if isinstance(checked, Rejection):
            rejected.append(checked)
            raws[number] = "" if raw is None else raw.decode("utf-8", "replace").rstrip("\r\n")
        else:
            accepted.append((number, checked))
        if len(accepted) + len(rejected) == MAX_BATCH:
            yield _Chunk(BatchReading(tuple(accepted), tuple(rejected)), raws)
            accepted, rejected, raws = [], [], {}
    if accepted or rejected:
        yield _Chunk(BatchReading(tuple(accepted), tuple(rejected)), raws)


def _lines(stream: IO[bytes], progress: Callable[[int], None]) -> Iterator[bytes | None]:
    """Each line of ``stream``; None for a line longer than `MAX_LINE` bytes, which is
    skipped without being held in memory."""
    while raw := stream.readline(MAX_LINE + 1):
        progress(len(raw))
        if len(raw) <= MAX_LINE or raw.endswith(b"\n"):
            yield raw
            continue
        while (rest := stream.readline(MAX_LINE)) and not rest.endswith(b"\n"):
            progress(len(rest))
        progress(len(rest))
        yield None


def _checked_line(number: int, raw: bytes | None) -> FeedEvent | Rejection:
    if raw is None:
        return _refused(number, ProblemCode.OUT_OF_RANGE, f"is longer than {MAX_LINE} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _refused(number, ProblemCode.WRONG_TYPE, "is not UTF-8 text")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as error:
        return _refused(number, ProblemCode.WRONG_TYPE, f"is not JSON ({error})")
    reading = read_batch([value], first_index=number)
    return reading.accepted[0][1] if reading.accepted else reading.rejected[0]


def _refused(number: int, code: ProblemCode, message: str) -> Rejection:
    return Rejection(number, None, (Problem("", code, f"the line {message}"),))


def _rejection_line(origin: str, rejection: Rejection) -> str:
    problems = "; ".join(str(problem) for problem in rejection.problems)
    return f"{origin} line {rejection.index}: {problems}"
