"""The feed's metrics; the jobs' own (in flight, retried, dead-lettered, by queue ``feed``
and actor ``apply_feed_events``) are `pulseshop.adapters.jobs`'s."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge

EVENTS: Final = Counter(
    "pulseshop_feed_events",
    "Marketplace feed events by outcome: accepted or rejected at intake; applied, refused "
    "(another currency than the order's) or duplicate when consumed.",
    ["outcome"],
)
QUEUE_DEPTH: Final = Gauge(
    "pulseshop_feed_queue_depth", "Messages waiting on the feed queue, as last measured."
)
THROTTLED: Final = Counter(
    "pulseshop_feed_throttled",
    "Batches turned away (429) because the feed queue was past its limit.",
)
