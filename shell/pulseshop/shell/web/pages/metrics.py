"""The pages' Prometheus metrics (served at ``/metrics`` with the others)."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter

SIGN_INS: Final = Counter(
    "pulseshop_web_sign_ins",
    "Sign-in attempts from the pages, by outcome (ok, failed, invalid).",
    ["outcome"],
)
SIGN_OUTS: Final = Counter("pulseshop_web_sign_outs", "Sign-outs from the pages.")
CSRF_REFUSED: Final = Counter(
    "pulseshop_web_csrf_refused",
    "Forms refused because their CSRF token was missing or not the visitor's.",
)
