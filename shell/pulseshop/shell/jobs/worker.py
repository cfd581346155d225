"""The module ``pulseshop worker`` hands to dramatiq: imported in each worker process, it
builds the broker of ``BROKER_URL`` and declares the service's actors on it.

Its metrics are dramatiq's Prometheus middleware's: every worker process writes them to a
shared directory (``dramatiq_prom_db``) and the main process serves them on port
``dramatiq_prom_port`` (9191), as dramatiq documents.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import dramatiq
from dramatiq.middleware.prometheus import Prometheus

from pulseshop.adapters.jobs import broker_for
from pulseshop.adapters.mail import transport_for
from pulseshop.shell.config import Settings
from pulseshop.shell.jobs.runtime import Jobs


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _jobs() -> Jobs:
    settings = Settings.from_environ(os.environ)
    # `pulseshop worker` checked both before it started dramatiq.
    if settings.broker_url is None or settings.database_url is None:
        raise SystemExit("pulseshop worker: BROKER_URL and DATABASE_URL must be set")
    broker = broker_for(settings.broker_url)
    broker.add_middleware(Prometheus())
    dramatiq.set_broker(broker)
    return Jobs(
        broker,
        settings.database_url,
        transport_for(settings.smtp_url, settings.mail_dir),
        mail_from=settings.mail_from,
        clock=_utc_now,
    )


jobs = _jobs()
