"""The jobs of one process: its broker, the actors declared on it, and, for the embedded
broker, the worker that runs inside the service.

Actors are declared on a broker built from the configuration (never on dramatiq's global
default), so a test, the service and ``pulseshop worker`` each get their own. Each job's
body is ``async``: it runs on its worker's own event loop with the worker's own pool of
database connections (`WorkerLoop`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING, Final, final

import dramatiq

from pulseshop.adapters.jobs import WorkerLoop
from pulseshop.adapters.jobs_admin import queue_depth
from pulseshop.adapters.mail import SmtpTransport
from pulseshop.adapters.postgres.orders import load_order
from pulseshop.adapters.postgres.receipts import (
    ReceiptRecord,
    lock_receipt,
    receipt_of,
    receipt_wanted,
    record_receipt,
)
from pulseshop.adapters.postgres.users import emails_of
from pulseshop.shell.feed.consumer import consume_feed_events
from pulseshop.shell.receipts import receipt_message, receipt_message_id

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence
    from datetime import datetime

    from pulseshop.adapters.mail import MailTransport
    from pulseshop.adapters.postgres import PostgresUrl
    from pulseshop.adapters.postgres.outbox_jobs import JobRow

logger = logging.getLogger(__name__)

RECEIPTS_QUEUE: Final = "receipts"
FEED_QUEUE: Final = "feed"
QUEUES: Final = (RECEIPTS_QUEUE, FEED_QUEUE)
"""Every queue the service's jobs use."""

RECEIPT_TOPIC: Final = "email.receipt"
"""The outbox topic checkout writes for each order's receipt."""

RECEIPT_MAX_RETRIES: Final = 8
"""A receipt is retried for about half an hour of SMTP trouble before it is dead-lettered."""

FEED_MAX_RETRIES: Final = 10
"""A message of feed events is retried for about ten minutes of database trouble."""

WORKER_STOP_MS: Final = 10_000
"""How long stopping the in-service worker waits for the jobs in progress."""


@final
class Jobs:
    """The actors of one process, declared on ``broker``.

    ``mail`` sends receipts from ``mail_from``; ``clock`` dates them.
    """

    def __init__(
        self,
        broker: dramatiq.Broker,
        database_url: PostgresUrl,
        mail: MailTransport,
        *,
        mail_from: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.broker = broker
        self._loop = WorkerLoop(database_url)
        broker.add_middleware(self._loop)
        self._mail = mail
        self._mail_from = mail_from
        self._clock = clock
        self._worker: dramatiq.Worker | None = None
        self._worker_threads: int | None = None
        self._worker_prefetch: int | None = None
        self._booting = threading.Lock()
        self.send_receipt: dramatiq.Actor[[int], None] = dramatiq.actor(
            broker=broker,
            actor_name="send_receipt",
            queue_name=RECEIPTS_QUEUE,
            max_retries=RECEIPT_MAX_RETRIES,
        )(self._run_send_receipt)
        self.apply_feed_events: dramatiq.Actor[[list[dict[str, object]]], None] = dramatiq.actor(
            broker=broker,
            actor_name="apply_feed_events",
            queue_name=FEED_QUEUE,
            max_retries=FEED_MAX_RETRIES,
        )(self._run_apply_feed_events)

    @property
    def topics(self) -> Collection[str]:
        """The outbox topics that become jobs here."""
        return (RECEIPT_TOPIC,)

    def hand_over(self, rows: Sequence[JobRow]) -> None:
        """Queue the job of each outbox row (blocking I/O with a network broker)."""
        self._boot_worker()
        for row in rows:
            if row.topic == RECEIPT_TOPIC:
                self.send_receipt.send(_order_id(row))
            else:  # pragma: no cover - claimed by topic, so never
                raise ValueError(f"no job for outbox topic {row.topic!r}")

    def send_feed_events(self, events: list[dict[str, object]]) -> None:
        """Queue one message of feed events (blocking I/O with a network broker)."""
        self._boot_worker()
        self.apply_feed_events.send(events)

    def feed_depth(self) -> int:
        """The messages waiting on the feed queue (blocking I/O with a network broker)."""
        return queue_depth(self.broker, FEED_QUEUE)

    def _run_apply_feed_events(self, events: list[dict[str, object]]) -> None:
        self._loop.run(self._apply_feed_events(events))

    async def _apply_feed_events(self, events: list[dict[str, object]]) -> None:
        database = await self._loop.database()
        await consume_feed_events(database, events, now=self._clock())

    def _run_send_receipt(self, order_id: int) -> None:
        self._loop.run(self._send_receipt(order_id))

    async def _send_receipt(self, order_id: int) -> None:
        """E-mail the order's receipt, once: a second delivery finds it recorded."""
        database = await self._loop.database()
        async with database.transaction():
            await lock_receipt(database, order_id)
            if await receipt_of(database, order_id) is not None:
                logger.info("the receipt of order %s was handled already", order_id)
                return
            stored = await load_order(database, order_id)
            if stored is None:
                logger.warning("order %s is gone: no receipt", order_id)
                return
            now = self._clock()
            if not await receipt_wanted(database, stored.user_id):
                await record_receipt(
                    database,
                    ReceiptRecord(
                        order_id, "skipped", None, None, receipt_message_id(order_id), now
                    ),
                )
                return
            recipient = (await emails_of(database, [stored.user_id]))[stored.user_id]
            message = receipt_message(stored, to=recipient, sender=self._mail_from, now=now)
            # Sent inside the transaction that holds the receipt: a failure rolls the record
            # back and the job is retried; a second delivery waits for the lock.
            await self._mail.send(message)
            await record_receipt(
                database,
                ReceiptRecord(
                    order_id,
                    "sent",
                    recipient,
                    "smtp" if isinstance(self._mail, SmtpTransport) else "file",
                    str(message["Message-ID"]),
                    now,
                ),
            )

    def start_worker(
        self, *, threads: int = 4, prefetch: int | None = None, lazily: bool = True
    ) -> None:
        """Run this broker's jobs in this process (the embedded broker's worker), on
        ``threads`` threads, each queue's consumer holding at most ``prefetch`` messages
        taken and not yet done (None: twice the threads). ``lazily``, the worker boots with
        the first job handed over, so a process that queues none (a node that takes no
        orders, most tests) never runs one; else it boots now."""
        self._worker_threads = threads
        self._worker_prefetch = prefetch
        if not lazily:
            self._boot_worker()

    def _boot_worker(self) -> None:
        with self._booting:
            if self._worker_threads is None or self._worker is not None:
                return
            worker = dramatiq.Worker(
                self.broker, worker_threads=self._worker_threads, worker_timeout=100
            )
            if self._worker_prefetch is not None:
                worker.queue_prefetch = self._worker_prefetch
            worker.start()
            self._worker = worker

    async def stop_worker(self, timeout_ms: int = WORKER_STOP_MS) -> None:
        """Stop the in-process worker: jobs in progress get ``timeout_ms`` to finish."""
        with self._booting:
            worker, self._worker = self._worker, None
            self._worker_threads = None
        if worker is not None:
            await asyncio.to_thread(worker.stop, timeout_ms)
        self.broker.close()


def _order_id(row: JobRow) -> int:
    value = row.payload.get("order_id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"outbox row {row.id} names no order_id: {dict(row.payload)!r}")
    return value
