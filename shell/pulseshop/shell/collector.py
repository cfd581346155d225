"""How the service process runs Python's cyclic garbage collector.

A service holds many long-lived objects (one cart actor per active user, their carts,
cached products), and CPython's default thresholds make it walk all of them in a full
collection every few hundred thousand allocations: pauses of a hundred milliseconds and
more, which showed as the p99 of checkout (`tools/bench/checkout.py`: 175 ms at half the
maximum rate with the defaults, about 80 ms with these settings). Objects alive when the
service starts are frozen out of collections, and young collections run less often, so
the full ones that walk everything become rare. Reference counting still frees almost all
memory at once; only cyclic garbage waits longer.
"""

from __future__ import annotations

import gc
from typing import Final

THRESHOLDS: Final = (50_000, 20, 100)
"""Allocations before a young collection, and young (then middle) collections before the
next older one; CPython's defaults are (700, 10, 10)."""


def tune_for_service() -> None:
    """Freeze what is alive now out of every collection and raise the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
