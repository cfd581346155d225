"""The channels' Prometheus metrics, served at ``/metrics`` with the rest (one set per
process)."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge

CONNECTIONS: Final = Gauge("pulseshop_channel_connections", "Open channel WebSockets.")
REFUSED: Final = Counter(
    "pulseshop_channel_refused",
    "Channel WebSockets refused at connect (bad token or session, foreign origin, old version).",
    ["reason"],
)
CLOSED: Final = Counter(
    "pulseshop_channel_closed",
    "Channel WebSockets closed by the server, by reason.",
    ["reason"],
)
JOINS: Final = Counter(
    "pulseshop_channel_joins",
    "Topic joins, by kind of topic (lobby, user, other) and outcome.",
    ["topic", "outcome"],
)
SUBSCRIPTIONS: Final = Gauge(
    "pulseshop_channel_subscriptions", "Joined topics, all connections.", ["topic"]
)
PRESENCES: Final = Gauge("pulseshop_channel_presences", "Connections present on the lobby.")
EVENTS: Final = Counter(
    "pulseshop_channel_events", "Order events pushed to clients (one per client and event)."
)
REPLAYED: Final = Counter(
    "pulseshop_channel_replayed_events", "Order events sent to clients catching up."
)
