"""Feed ingest: deduplicated events/s through the feed against a bare Dramatiq no-op actor.

In one process, on the broker at ``--broker-url`` (Redis database 13 by default, so the
tests' database 14 is untouched; an ``amqp://`` URL works too, but its ``feed``,
``receipts`` and ``bench_noop`` queues are emptied: give it a virtual host of its own),
emptied before each run:

- no-op (the baseline): an actor declared on a broker of its own (`broker_for`, so with the
  service's middleware) whose body does nothing, on queue ``bench_noop``. ``--events``
  messages are sent, one per event, to its worker running in this process with
  ``--threads`` threads and the same prefetch as the feed's; timed from the first send to
  the end of the last run: messages/s.
- feed: ``--events`` events (orders of ten events; each fourth event sent again 150 events
  later, so 20% are duplicates) in batches of 1,000, each taken as the HTTP endpoint takes
  it once the request is authenticated: `FeedIntake.busy`, the JSON body parsed,
  `read_batch`, `FeedIntake.take`, which queues the accepted events on the feed queue of a
  `Jobs` on the same broker URL, 100 events to a message (`MESSAGE_EVENTS`); the jobs'
  worker runs in this process with the same threads and prefetch and applies them to a
  PostgreSQL database migrated to head, each event once. Timed from the first batch taken
  to the end of the last message applied: deduplicated (unique) events/s, and, for
  context, messages/s.

The figure that matters is feed unique events/s as a percentage of no-op messages/s (the
goal is at least 50%). A feed message carries up to 100 events while a no-op message
stands for one, which is why the percentage can pass 100%. Each figure is the best of
``--repeats`` runs, the two kinds taking turns.

The PostgreSQL database is created for the run and dropped after it, on the server named by
``PULSESHOP_BENCH_DATABASE_URL``, else the one on 127.0.0.1:5432 (user postgres) when it
answers, else an embedded server in a temporary directory. A missed goal is reported, not
failed: this is a benchmark. Events not all stored once each, or jobs that never end, are a
failure (exit status 1); a broker that cannot be reached exits with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple, final
from urllib.parse import urlsplit

import dramatiq
import redis
from csv_import import postgres_server, throwaway_database
from dramatiq.middleware import Middleware
from returns.result import Failure

from pulseshop.adapters.jobs import broker_for, check_broker_url
from pulseshop.adapters.mail import MailDirectory
from pulseshop.adapters.postgres import PostgresDatabase
from pulseshop.core.marketplace import MAX_BATCH, read_batch
from pulseshop.shell.feed.consumer import UPDATED_TOPIC
from pulseshop.shell.feed.intake import MESSAGE_EVENTS, FeedIntake, item_text
from pulseshop.shell.jobs.runtime import Jobs

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from dramatiq.broker import MessageProxy

    from pulseshop.adapters.postgres import PostgresUrl

GOAL: Final = 50.0
"""The least acceptable feed throughput, in unique events/s, as a percentage of the no-op
actor's messages/s."""

DEFAULT_BROKER: Final = "redis://127.0.0.1:6379/13"
NOOP_QUEUE: Final = "bench_noop"
NOOP_ACTOR: Final = "bench_noop"
FEED_ACTOR: Final = "apply_feed_events"
ORDER_EVENTS: Final = 10
"""Events of each generated order: placed, paid, shipped and seven refunds."""
RESENT_AFTER: Final = 150
"""A duplicate comes this many events after the first delivery."""
WAIT_SECONDS: Final = 300.0
"""The longest a run waits for its last job before it is called stuck."""
START: Final = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
DEFAULT_PORTS: Final = {"redis": 6379, "rediss": 6379, "amqp": 5672, "amqps": 5671}


class Feed(NamedTuple):
    """The generated feed: its batches as JSON request bodies, and what they hold."""

    bodies: list[bytes]
    events: int
    unique: int
    orders: int


class Run(NamedTuple):
    """One timed run: seconds from the first send to the end of the last job, and jobs."""

    seconds: float
    messages: int


@final
class Completions(Middleware):
    """Notes when ``target`` runs of the actor ``actor_name`` have ended well."""

    def __init__(self, actor_name: str, target: int) -> None:
        self._actor_name = actor_name
        self._target = target
        self._lock = threading.Lock()
        self.done = 0
        self.failed = 0
        self.finished_at = 0.0
        self.reached = threading.Event()

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        """A run ended: counted, and the moment kept when it is the last one."""
        del broker, result
        if message.actor_name != self._actor_name:
            return
        with self._lock:
            if exception is not None:
                self.failed += 1
                return
            self.done += 1
            if self.done == self._target:
                self.finished_at = time.perf_counter()
                self.reached.set()

    def wait(self, what: str) -> float:
        """The moment the last run ended (blocking until then, at most `WAIT_SECONDS`)."""
        if not self.reached.wait(WAIT_SECONDS):
            raise SystemExit(
                f"{what}: {self.done:,} of {self._target:,} jobs done after {WAIT_SECONDS:.0f} s"
                f" ({self.failed:,} runs failed)"
            )
        return self.finished_at


# ---------------------------------------------------------------- the feed


def feed_event(
    event_id: str, kind: str, ref: str, amount: str | None = None, minutes: int = 0
) -> dict[str, object]:
    """A valid event of the zalando feed about order ``ref``."""
    event: dict[str, object] = {
        "event_id": event_id,
        "type": f"order.{kind}",
        "marketplace": "zalando",
        "order_ref": ref,
        "occurred_at": (START + timedelta(minutes=minutes)).isoformat(),
    }
    if amount is not None:
        event |= {"currency": "EUR", "amount": amount}
    return event


def make_feed(events: int) -> Feed:
    """About ``events`` events, 80% of them unique (orders of `ORDER_EVENTS` events: placed,
    paid, shipped, seven refunds of 1.00), each fourth unique one sent again `RESENT_AFTER`
    events later, as request bodies of `MAX_BATCH` events."""
    orders = max(1, round(events * 0.8 / ORDER_EVENTS))
    unique: list[dict[str, object]] = []
    for order in range(orders):
        ref = f"M{order:06d}"
        unique += [
            feed_event(f"{ref}-placed", "placed", ref, "30.00"),
            feed_event(f"{ref}-paid", "paid", ref, "30.00", minutes=1),
            feed_event(f"{ref}-shipped", "shipped", ref, minutes=2),
            *(
                feed_event(f"{ref}-refund-{n}", "refunded", ref, "1.00", minutes=3 + n)
                for n in range(ORDER_EVENTS - 3)
            ),
        ]
    stream: list[dict[str, object]] = []
    for index, event in enumerate(unique):
        stream.append(event)
        if index >= RESENT_AFTER and (index - RESENT_AFTER) % 4 == 0:
            stream.append(unique[index - RESENT_AFTER])
    stream += [
        unique[index]
        for index in range(max(0, len(unique) - RESENT_AFTER), len(unique))
        if index % 4 == 0
    ]
    bodies = [
        json.dumps({"events": stream[start : start + MAX_BATCH]}).encode()
        for start in range(0, len(stream), MAX_BATCH)
    ]
    return Feed(bodies, len(stream), len(unique), orders)


def texts_of(events: Sequence[object]) -> Callable[[int], str]:
    """The text of the item of ``events`` at an index, as the endpoint keeps a reject's."""
    return lambda index: item_text(events[index])


# ---------------------------------------------------------------- the broker


def shown(url: str) -> str:
    """``url`` without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def reachable(url: str) -> bool:
    """Whether something answers on the broker's host and port."""
    parts = urlsplit(url)
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def flush(broker: dramatiq.Broker, url: str) -> None:
    """Empty the broker's queues and dead letters, whatever earlier runs left there (on
    Redis, every ``dramatiq:*`` key of the URL's database)."""
    if urlsplit(url).scheme in {"redis", "rediss"}:
        client = redis.Redis.from_url(url)
        try:
            for key in client.scan_iter("dramatiq:*"):
                client.delete(key)
        finally:
            client.close()
    else:
        for queue in broker.get_declared_queues():
            broker.flush(queue)


def do_nothing() -> None:
    """The no-op actor's body."""


def noop_run(url: str, messages: int, threads: int, prefetch: int | None) -> Run:
    """``messages`` no-op jobs sent and run by a worker in this process, timed."""
    broker = broker_for(url)
    completions = Completions(NOOP_ACTOR, messages)
    broker.add_middleware(completions)
    actor: dramatiq.Actor[[], None] = dramatiq.actor(
        broker=broker, actor_name=NOOP_ACTOR, queue_name=NOOP_QUEUE, max_retries=0
    )(do_nothing)
    flush(broker, url)
    # The worker as `Jobs` boots its own.
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    if prefetch is not None:
        worker.queue_prefetch = prefetch
    worker.start()
    try:
        started = time.perf_counter()
        for _ in range(messages):
            actor.send()
        finished = completions.wait("the no-op actor")
    finally:
        worker.stop()
        broker.close()
    return Run(finished - started, messages)


# ---------------------------------------------------------------- the feed run


def utc_now() -> datetime:
    return datetime.now(UTC)


async def empty_feed_tables(database: PostgresDatabase) -> None:
    """Forget what an earlier run applied."""
    await database.execute("TRUNCATE feed_events, marketplace_orders, feed_rejects")
    await database.execute("DELETE FROM outbox WHERE topic = $1", UPDATED_TOPIC)


async def feed_run(
    database: PostgresDatabase,
    url: str,
    feed: Feed,
    options: argparse.Namespace,
    mail_dir: Path,
) -> Run:
    """The feed's batches taken and applied by a worker in this process, timed; checked."""
    await empty_feed_tables(database)
    messages = sum(
        math.ceil(len(json.loads(body)["events"]) / MESSAGE_EVENTS) for body in feed.bodies
    )
    broker = broker_for(url)
    completions = Completions(FEED_ACTOR, messages)
    broker.add_middleware(completions)
    jobs = Jobs(
        broker,
        database.url,
        MailDirectory(mail_dir),
        mail_from="PulseShop <shop@example.com>",
        clock=utc_now,
    )
    flush(broker, url)
    intake = FeedIntake(
        database,
        send=jobs.send_feed_events,
        depth=jobs.feed_depth,
        queue_limit=feed.events,  # never reached: every batch is taken
        clock=utc_now,
    )
    jobs.start_worker(threads=options.threads, prefetch=options.prefetch, lazily=False)
    queued = 0
    try:
        started = time.perf_counter()
        for body in feed.bodies:
            busy = await intake.busy()
            if busy is not None:
                raise SystemExit(f"the feed queue was full: {busy}")
            events: list[object] = json.loads(body)["events"]
            reading = read_batch(events)
            taken = await intake.take(reading, origin="bench", raw_of=texts_of(events))
            if taken.rejected:
                raise SystemExit(f"{len(taken.rejected)} events refused: {taken.rejected[0]}")
            queued += taken.messages
        finished = await asyncio.to_thread(completions.wait, "the feed")
    finally:
        await jobs.stop_worker()
    if queued != messages:
        raise SystemExit(f"{queued:,} feed messages queued, {messages:,} expected")
    stored = int(await database.fetch_value("SELECT count(*) FROM feed_events"))
    if stored != feed.unique:
        raise SystemExit(f"{stored:,} events stored in feed_events, {feed.unique:,} expected")
    return Run(finished - started, messages)


# ---------------------------------------------------------------- the figures


async def measure(database_url: PostgresUrl, options: argparse.Namespace, scratch: Path) -> None:
    """Print the figures, the no-op actor's and the feed's runs taking turns."""
    url: str = options.broker_url
    feed = make_feed(options.events)
    database = PostgresDatabase(database_url, min_size=1, max_size=2)
    await database.connect()
    noop_rates: list[float] = []
    unique_rates: list[float] = []
    message_rates: list[float] = []
    try:
        for repeat in range(options.repeats):
            noop = await asyncio.to_thread(
                noop_run, url, feed.events, options.threads, options.prefetch
            )
            noop_rates.append(noop.messages / noop.seconds)
            ran = await feed_run(database, url, feed, options, scratch / f"mail-{repeat}")
            unique_rates.append(feed.unique / ran.seconds)
            message_rates.append(ran.messages / ran.seconds)
    finally:
        await database.disconnect()

    baseline, unique, messages = max(noop_rates), max(unique_rates), max(message_rates)
    prefetch = options.prefetch or 2 * options.threads
    print(
        f"== feed ingest on {shown(url)} ({feed.events:,} events, {feed.unique:,} unique, "
        f"in batches of {MAX_BATCH:,}; {options.threads} threads, prefetch {prefetch}; "
        f"best of {options.repeats})"
    )
    print(f"no-op actor (baseline):     {baseline:10,.0f} messages/s (one per event)")
    print(f"feed, deduplicated:         {unique:10,.0f} unique events/s")
    print(
        f"feed, messages:             {messages:10,.0f} messages/s "
        f"(up to {MESSAGE_EVENTS} events each)"
    )
    ratio = 100 * unique / baseline
    print(
        f"feed unique events/s / no-op messages/s: {ratio:.0f}% (goal: >= {GOAL:.0f}%; a feed "
        f"message carries up to {MESSAGE_EVENTS} events, a no-op message one)"
    )
    print("goal met" if ratio >= GOAL else "goal NOT met")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--broker-url", default=DEFAULT_BROKER, help="redis:// or amqp:// URL of the broker"
    )
    parser.add_argument("--events", type=int, default=50_000, help="events sent per run")
    parser.add_argument("--threads", type=int, default=4, help="worker threads")
    parser.add_argument(
        "--prefetch", type=int, default=None, help="messages a worker takes ahead (twice threads)"
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs; the best is reported")
    options = parser.parse_args(argv)
    checked = check_broker_url(options.broker_url)
    if isinstance(checked, Failure):
        parser.error(f"--broker-url: {checked.failure()}")
    if checked.unwrap() is None:
        parser.error("--broker-url: a redis:// or amqp:// URL is needed")
    if not reachable(options.broker_url):
        print(f"the broker at {shown(options.broker_url)} cannot be reached", file=sys.stderr)
        return 2
    with (
        tempfile.TemporaryDirectory(prefix="pulseshop-bench-") as directory,
        postgres_server(Path(directory)) as server,
        throwaway_database(server) as url,
    ):
        asyncio.run(measure(url, options, Path(directory)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
