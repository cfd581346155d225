"""Looking into a network broker's queues: how deep they are, which jobs died, and sending
dead ones back.

Dramatiq keeps a queue's dead letters beside it (``<queue>.XQ``) but offers no way to read
or replay them; this module does, for the two brokers ``BROKER_URL`` names:

- Redis: the dead letters are a sorted set of message ids (by the time they died) and a
  hash of the messages (``dramatiq:<queue>.XQ`` and ``.XQ.msgs``); jobs being run are in
  each worker's acknowledgement set (``dramatiq:__acks__.<worker>.<queue>``).
- RabbitMQ: the dead letters are the queue ``<queue>.XQ``; they are read by taking every
  message without acknowledging it and handing them all back. RabbitMQ's AMQP interface
  does not say how many messages are being worked on, so "in flight" is unknown there.

A replayed job is queued again with its retries reset, then removed from the dead letters
(a crash in between leaves it in both places: it may run twice, which jobs allow).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, final

import attrs
from dramatiq import Message
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator

    import dramatiq

__all__ = [
    "DeadLetter",
    "QueueStats",
    "dead_letters",
    "queue_depth",
    "queue_stats",
    "replay_dead_letters",
]

NAMESPACE: Final = "dramatiq"


@final
@attrs.frozen
class DeadLetter:
    """A job that failed for good."""

    queue: str
    message_id: str
    actor: str
    args: tuple[object, ...]
    failed_at: datetime | None
    """When it was dead-lettered (Redis keeps it; RabbitMQ does not)."""
    error: str
    """The last line of its last traceback ("" when none was kept)."""


@final
@attrs.frozen
class QueueStats:
    """A queue's depth."""

    queue: str
    ready: int
    delayed: int
    in_flight: int | None
    """Jobs being run now; None where the broker cannot tell."""
    dead: int


def _dead_letter(queue: str, message: Message[object], failed_at: datetime | None) -> DeadLetter:
    trace = str(message.options.get("traceback", "")).strip().splitlines()
    return DeadLetter(
        queue=queue,
        message_id=message.message_id,
        actor=message.actor_name,
        args=tuple(message.args),
        failed_at=failed_at,
        error=trace[-1] if trace else "",
    )


def _fresh(message: Message[object]) -> Message[object]:
    """The job as it was first queued: no retries counted, no traceback."""
    options = {
        key: value
        for key, value in message.options.items()
        if key not in {"retries", "traceback", "redis_message_id"}
    }
    return message.copy(options=options)


def _is_redis(broker: dramatiq.Broker) -> bool:
    return broker.__class__.__name__ == "RedisBroker"


def dead_letters(broker: dramatiq.Broker, queues: Collection[str]) -> list[DeadLetter]:
    """The dead jobs of ``queues``, oldest first within each queue."""
    found: list[DeadLetter] = []
    for queue in sorted(queues):
        if _is_redis(broker):
            found.extend(_redis_dead(broker, queue))
        else:
            found.extend(
                _dead_letter(queue, message, None)
                for message, _tag in _rabbit_dead(broker, queue, keep=True)
            )
    return found


def replay_dead_letters(
    broker: dramatiq.Broker, queues: Collection[str], message_id: str | None
) -> int:
    """Queue the dead job ``message_id`` again (every dead job of ``queues`` when None);
    how many were replayed."""
    replayed = 0
    for queue in sorted(queues):
        if _is_redis(broker):
            replayed += _redis_replay(broker, queue, message_id)
        else:
            replayed += _rabbit_replay(broker, queue, message_id)
    return replayed


def queue_stats(broker: dramatiq.Broker, queues: Collection[str]) -> list[QueueStats]:
    """The depth of each of ``queues``."""
    stats = []
    for queue in sorted(queues):
        if _is_redis(broker):
            client = broker.client  # type: ignore[attr-defined]
            acks = sum(
                client.scard(key) for key in client.scan_iter(f"{NAMESPACE}:__acks__.*.{queue}")
            )
            stats.append(
                QueueStats(
                    queue,
                    ready=client.llen(f"{NAMESPACE}:{queue}"),
                    delayed=client.llen(f"{NAMESPACE}:{queue}.DQ"),
                    in_flight=acks,
                    dead=client.zcard(f"{NAMESPACE}:{queue}.XQ"),
                )
            )
        else:
            ready, delayed, dead = broker.get_queue_message_counts(queue)  # type: ignore[attr-defined]
            stats.append(QueueStats(queue, ready, delayed, None, dead))
    return stats


def queue_depth(broker: dramatiq.Broker, queue: str) -> int:
    """The jobs waiting on ``queue``, ready or delayed (for a retry), on any broker (the
    in-memory one too). Blocking I/O with a network broker."""
    if isinstance(broker, StubBroker):
        return sum(broker.queues[name].qsize() for name in (queue, dq_name(queue)))
    if _is_redis(broker):
        client = broker.client  # type: ignore[attr-defined]
        return int(client.llen(f"{NAMESPACE}:{queue}") + client.llen(f"{NAMESPACE}:{queue}.DQ"))
    ready, delayed, _dead = broker.get_queue_message_counts(queue)  # type: ignore[attr-defined]
    return int(ready + delayed)


def _redis_dead(broker: dramatiq.Broker, queue: str) -> list[DeadLetter]:
    client = broker.client  # type: ignore[attr-defined]
    key = f"{NAMESPACE}:{queue}.XQ"
    entries = client.zrange(key, 0, -1, withscores=True)
    if not entries:
        return []
    ids = [message_id for message_id, _score in entries]
    bodies = client.hmget(f"{key}.msgs", ids)
    found = []
    for (_message_id, score), body in zip(entries, bodies, strict=True):
        if body is None:
            continue  # expired between the two reads
        failed_at = datetime.fromtimestamp(score / 1000, UTC)
        found.append(_dead_letter(queue, Message.decode(body), failed_at))
    return found


def _redis_replay(broker: dramatiq.Broker, queue: str, message_id: str | None) -> int:
    client = broker.client  # type: ignore[attr-defined]
    key = f"{NAMESPACE}:{queue}.XQ"
    replayed = 0
    for raw_id in client.zrange(key, 0, -1):
        body = client.hget(f"{key}.msgs", raw_id)
        if body is None:
            continue
        message = Message.decode(body)
        if message_id is not None and message.message_id != message_id:
            continue
        broker.enqueue(_fresh(message))
        client.zrem(key, raw_id)
        client.hdel(f"{key}.msgs", raw_id)
        replayed += 1
    return replayed


def _rabbit_dead(
    broker: dramatiq.Broker, queue: str, *, keep: bool
) -> Iterator[tuple[Message[object], int]]:
    """Every dead message of ``queue`` with its delivery tag; with ``keep``, all are handed
    back to the queue at the end (each is taken once, so none is listed twice)."""
    # Declared first: reading a queue that does not exist closes the channel.
    broker._declare_xq_queue(queue)  # type: ignore[attr-defined]  # noqa: SLF001
    channel = broker.channel  # type: ignore[attr-defined]
    taken = []
    try:
        while True:
            method, _properties, body = channel.basic_get(f"{queue}.XQ", auto_ack=False)
            if method is None:
                break
            taken.append(method.delivery_tag)
            yield Message.decode(body), method.delivery_tag
    finally:
        if keep and taken:
            channel.basic_nack(delivery_tag=taken[-1], multiple=True, requeue=True)


def _rabbit_replay(broker: dramatiq.Broker, queue: str, message_id: str | None) -> int:
    channel = broker.channel  # type: ignore[attr-defined]
    replayed = 0
    for message, tag in list(_rabbit_dead(broker, queue, keep=False)):
        if message_id is not None and message.message_id != message_id:
            channel.basic_nack(delivery_tag=tag, requeue=True)
            continue
        broker.enqueue(_fresh(message))
        channel.basic_ack(delivery_tag=tag)
        replayed += 1
    return replayed
