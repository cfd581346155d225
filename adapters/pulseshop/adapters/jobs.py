"""Background jobs on Dramatiq: the broker a URL names, the middleware every worker runs,
and the job metrics.

``BROKER_URL`` chooses the broker: ``redis://`` (or ``rediss://``) is dramatiq's
RedisBroker, ``amqp://`` (or ``amqps://``) its RabbitmqBroker; unset, the embedded default
is an in-memory broker whose worker runs inside the service (started and stopped with it),
so one process does everything and nothing else needs to run. Its queue lives in memory: a
job queued and not yet done when the process stops is lost, which the outbox makes good for
the jobs that come from it (they are relayed again only if never handed over, so the
embedded default suits one node, not a fleet).

Every broker gets the same middleware, in this order: age and time limits, shutdown
notifications, callbacks, pipelines, retries with exponential backoff (per-actor
``max_retries``, ``min_backoff``, ``max_backoff``), the job metrics (`JobMetrics`, in the
process's Prometheus registry), and asyncio support for ``async def`` actors. The service's
own jobs run their ``async`` bodies on a loop of their worker's (`WorkerLoop`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Final, TypeVar, final
from urllib.parse import urlsplit

import pika.exceptions
import redis.exceptions
from dramatiq.asyncio import EventLoopThread
from dramatiq.brokers.stub import StubBroker
from dramatiq.errors import BrokerConnectionError
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from prometheus_client import Counter, Gauge, Histogram
from returns.result import Failure, Result, Success

if TYPE_CHECKING:
    from collections.abc import Coroutine

    import dramatiq
    from dramatiq.broker import MessageProxy

    from pulseshop.adapters.postgres.database import PostgresDatabase
    from pulseshop.adapters.postgres.url import PostgresUrl

__all__ = [
    "BROKER_SCHEMES",
    "BROKER_UNREACHABLE",
    "JobMetrics",
    "WorkerLoop",
    "broker_for",
    "check_broker_url",
    "job_middleware",
]

logger = logging.getLogger(__name__)

BROKER_UNREACHABLE: Final[tuple[type[BaseException], ...]] = (
    OSError,
    BrokerConnectionError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    pika.exceptions.AMQPConnectionError,
)
"""What sending to (or measuring) a broker that cannot be reached raises: Dramatiq wraps
some of its clients' errors, not all."""

T = TypeVar("T")

BROKER_SCHEMES: Final = ("redis", "rediss", "amqp", "amqps")

MAX_RETRIES: Final = 5
"""Retries of a failing job unless its actor says otherwise (6 runs in all)."""
MIN_BACKOFF_MS: Final = 1_000
MAX_BACKOFF_MS: Final = 5 * 60 * 1_000
MAX_AGE_MS: Final = 24 * 60 * 60 * 1_000
"""A job not started within a day is dropped (the dead-letter queue keeps failures only)."""
TIME_LIMIT_MS: Final = 5 * 60 * 1_000
"""The longest one run of a job may take before it is interrupted (and retried)."""

IN_FLIGHT: Final = Gauge(
    "pulseshop_jobs_in_flight", "Jobs being processed now, by queue.", ["queue"]
)
PROCESSED: Final = Counter(
    "pulseshop_jobs_processed",
    "Job runs that ended, by actor and outcome (ok, retried, dead).",
    ["actor", "outcome"],
)
DEAD_LETTERED: Final = Counter(
    "pulseshop_jobs_dead_lettered", "Jobs moved to the dead-letter queue, by actor.", ["actor"]
)
DURATION: Final = Histogram("pulseshop_job_seconds", "How long job runs take, by actor.", ["actor"])


def check_broker_url(text: str) -> Result[str | None, str]:
    """The broker URL as given (None for the embedded default, when ``text`` is empty), or
    why it cannot be one."""
    url = text.strip()
    if not url:
        return Success(None)
    parts = urlsplit(url)
    if parts.scheme not in BROKER_SCHEMES:
        return Failure(f"the scheme must be one of {', '.join(BROKER_SCHEMES)}")
    if not parts.hostname:
        return Failure(f"a {parts.scheme} URL needs a host")
    try:
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:
        return Failure("the port must be a number from 1 to 65535")
    return Success(url)


def job_middleware() -> list[Middleware]:
    """The middleware of every broker, in the order it runs."""
    return [
        AgeLimit(max_age=MAX_AGE_MS),
        TimeLimit(time_limit=TIME_LIMIT_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=MAX_RETRIES, min_backoff=MIN_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS),
        JobMetrics(),
        AsyncIO(),
    ]


def broker_for(url: str | None) -> dramatiq.Broker:
    """The broker ``url`` names (checked by `check_broker_url`); an in-memory one for None."""
    middleware = job_middleware()
    if url is None:
        return StubBroker(middleware=middleware)
    scheme = urlsplit(url).scheme
    if scheme in {"redis", "rediss"}:
        from dramatiq.brokers.redis import RedisBroker  # noqa: PLC0415 - only when used

        return RedisBroker(url=url, middleware=middleware)  # type: ignore[no-untyped-call]
    from dramatiq.brokers.rabbitmq import RabbitmqBroker  # noqa: PLC0415 - only when used

    return RabbitmqBroker(url=url, middleware=middleware)


@final
class JobMetrics(Middleware):
    """Counts job runs, retries and dead letters, and times runs, in this process's
    Prometheus registry (the service's ``/metrics``, or a worker's)."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        """A run starts."""
        del broker
        IN_FLIGHT.labels(message.queue_name).inc()
        self._started[message.message_id] = time.perf_counter()

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        """A run ended: ok, failed to be retried, or failed for good (the retries
        middleware, which runs before this one, marked it failed)."""
        del broker, result
        IN_FLIGHT.labels(message.queue_name).dec()
        started = self._started.pop(message.message_id, None)
        if started is not None:
            DURATION.labels(message.actor_name).observe(time.perf_counter() - started)
        outcome = "ok" if exception is None else "dead" if message.failed else "retried"
        PROCESSED.labels(message.actor_name, outcome).inc()

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        """A run was skipped (too old): it ends here."""
        del broker
        IN_FLIGHT.labels(message.queue_name).dec()
        self._started.pop(message.message_id, None)

    def after_nack(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        """A job went to the dead-letter queue."""
        del broker
        DEAD_LETTERED.labels(message.actor_name).inc()


@final
class WorkerLoop(Middleware):
    """An event loop of this worker's own, in a thread, with a pool of database connections
    on it: the service's jobs run their ``async`` bodies here (`run`).

    Dramatiq's AsyncIO middleware keeps one loop per process in a global; two workers in one
    process (a test's, a service's) would share and stop each other's. This loop belongs to
    its broker's worker: started when the worker boots, its pool closed and the loop stopped
    once the worker's last job is done. The service's own pool belongs to the service's
    event loop, which jobs do not run on.
    """

    def __init__(self, url: PostgresUrl, *, max_size: int = 10) -> None:
        self._url = url
        self._max_size = max_size
        self._thread: EventLoopThread | None = None
        self._database: PostgresDatabase | None = None
        self._opening: asyncio.Lock | None = None

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        """Start the loop."""
        del broker, worker
        thread = EventLoopThread(logger)
        thread.start(timeout=10)
        self._thread = thread

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        """Close the pool on the loop, then stop the loop (every job is done by now)."""
        del broker, worker
        thread, self._thread = self._thread, None
        if thread is None:
            return
        database, self._database = self._database, None
        if database is not None:
            thread.run_coroutine(database.disconnect())
        thread.stop()  # type: ignore[no-untyped-call]
        self._opening = None

    def run(self, job: Coroutine[object, object, T]) -> T:
        """Run ``job`` on the loop and wait for it (from a worker's thread)."""
        thread = self._thread
        if thread is None:
            job.close()
            raise RuntimeError("the worker's event loop is not running")
        return thread.run_coroutine(job)

    async def database(self) -> PostgresDatabase:
        """The pool, connected (on the loop, at its first use)."""
        if self._database is not None:
            return self._database
        if self._opening is None:
            self._opening = asyncio.Lock()
        # The first jobs may ask together: one opens the pool, the others wait for it.
        async with self._opening:
            if self._database is None:
                # Imported here: the configuration reads this module, and most commands
                # need no pool.
                from pulseshop.adapters.postgres.database import (  # noqa: PLC0415
                    PostgresDatabase,
                )

                database = PostgresDatabase(self._url, min_size=1, max_size=self._max_size)
                await database.connect()
                self._database = database
        return self._database
