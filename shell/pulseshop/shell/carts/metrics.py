"""The cart runtime's Prometheus metrics, served at ``/metrics`` with the rest.

One set per process: every supervisor in it adds to the same series.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge, Histogram

LIVE_ACTORS: Final = Gauge("pulseshop_cart_actors", "Cart actors running (one per active user).")
MAILBOX_DEPTH: Final = Gauge(
    "pulseshop_cart_mailbox_messages", "Messages waiting in cart actors' mailboxes, all actors."
)
RESTARTS: Final = Counter("pulseshop_cart_actor_restarts", "Cart actors restarted after a crash.")
UNAVAILABLE: Final = Counter(
    "pulseshop_cart_unavailable",
    "Cart requests refused because the user's actor is failing or its mailbox is full.",
    ["reason"],
)
COMMANDS: Final = Histogram(
    "pulseshop_cart_command_seconds",
    "Time from a cart message's arrival in the mailbox to its reply.",
    ["command", "outcome"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
EXPIRED: Final = Counter("pulseshop_carts_expired", "Abandoned carts removed by the sweep.")
