"""The Starlette application: routes, middleware and the lifespan of its resources."""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute
from starlette_exporter import PrometheusMiddleware, handle_metrics

from pulseshop.adapters.jobs import broker_for
from pulseshop.adapters.mail import transport_for
from pulseshop.adapters.postgres import head_revision
from pulseshop.adapters.postgres.idempotency import sweep_expired_keys
from pulseshop.adapters.postgres.sessions import sweep_expired_sessions
from pulseshop.adapters.pubsub import PubSub
from pulseshop.adapters.sandbox_gateway import SandboxGateway
from pulseshop.shell.carts.actor import CartDeps
from pulseshop.shell.carts.pricing import load_shop_pricing
from pulseshop.shell.carts.products import CatalogProducts
from pulseshop.shell.carts.store import PostgresCartStore
from pulseshop.shell.carts.supervisor import CartSupervisor
from pulseshop.shell.carts.sweep import sweep_once
from pulseshop.shell.channels import ChannelHub, ChannelSocket, listen_for_order_events
from pulseshop.shell.channels.socket import PATH as CHANNELS_PATH
from pulseshop.shell.checkout import Checkout
from pulseshop.shell.config import Settings
from pulseshop.shell.feed.intake import FeedIntake
from pulseshop.shell.jobs.runtime import Jobs
from pulseshop.shell.order_actions import OrderActions
from pulseshop.shell.order_feed import OutboxRelay, PostgresOrderFeed
from pulseshop.shell.periodic import every
from pulseshop.shell.read_cache import CacheInvalidations
from pulseshop.shell.web import api_docs
from pulseshop.shell.web.auth import Authenticator
from pulseshop.shell.web.browser_sessions import BrowserSessions, load_secret_key
from pulseshop.shell.web.cart_api import CartApi
from pulseshop.shell.web.catalog_api import CatalogApi
from pulseshop.shell.web.feed_api import FeedApi
from pulseshop.shell.web.health import Readyz, healthz
from pulseshop.shell.web.me_api import MeApi
from pulseshop.shell.web.orders_api import OrdersApi
from pulseshop.shell.web.pages.account import AccountPages
from pulseshop.shell.web.pages.catalog_import import CatalogImportPages
from pulseshop.shell.web.pages.errors import error_handlers
from pulseshop.shell.web.pages.kit import PageKit
from pulseshop.shell.web.pages.shop import ShopPages
from pulseshop.shell.web.pages.staff_dashboard import StaffDashboard
from pulseshop.shell.web.pages.staff_orders import StaffOrderPages
from pulseshop.shell.web.quotes_api import QuotesApi
from pulseshop.shell.web.security_headers import SecurityHeadersMiddleware

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.core.payment_gateway import PaymentGateway


RELAY_STOP_SECONDS = 10.0
"""The longest shutdown waits for the order feed's relay to finish its round."""

KEY_SWEEP_SECONDS = 3600.0
"""Seconds between sweeps of idempotency keys past their 24 hours."""

SESSION_SWEEP_SECONDS = 3600.0
"""Seconds between sweeps of sign-in sessions past their expiry."""

CACHE_SWEEP_SECONDS = 1.0
"""Seconds between sweeps of the read caches' expired entries."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    database: PostgresDatabase,
    settings: Settings | None = None,
    *,
    gateway: PaymentGateway | None = None,
) -> Starlette:
    """The service, serving from ``database`` (connected on startup, closed on shutdown),
    charging through ``gateway`` (by default the sandbox: no real card is ever charged).
    Without ``settings``: the defaults, with sessions signed by a key made for this
    application and local state (mail) in a new temporary directory.

    Raises:
        ShellError: the shop's pricing file (``PULSESHOP_PRICING``) cannot be used.
    """
    if settings is None:
        # Built in code (as tests build it): nothing read from the environment, and nothing
        # written into the working directory. Sessions are signed with a key of this
        # application alone; mail goes into a directory of its own under the system's
        # temporary directory (made only if a mail is written).
        local = Path(tempfile.gettempdir()) / f"pulseshop-{uuid.uuid4().hex}"
        settings = Settings.from_environ({"PULSESHOP_DATA_DIR": str(local)})
        signing_key = secrets.token_urlsafe(32)
    else:
        signing_key = settings.secret_key or load_secret_key(settings.secret_key_file)
    pricing = load_shop_pricing(settings.pricing_file)
    pubsub = PubSub(settings.pubsub_url)
    # Every write to a cached read drops it here and, through pub/sub, on the other nodes.
    invalidations = CacheInvalidations(pubsub)
    products = CatalogProducts(database, invalidations=invalidations)
    carts = PostgresCartStore(database)
    supervisor = CartSupervisor(
        CartDeps(
            store=carts,
            products=products,
            pricing=pricing,
            clock=_utc_now,
            cart_ttl=settings.cart_ttl,
        ),
        idle_timeout=settings.cart_idle_seconds,
    )
    authenticator = Authenticator(database)
    sessions = BrowserSessions(
        database,
        signing_key,
        idle=settings.session_idle,
        absolute=settings.session_absolute,
        clock=_utc_now,
    )
    kit = PageKit(sessions)
    # Captures, refunds and voids go to the gateway that authorized the payment.
    gateway = gateway or SandboxGateway()
    jobs = Jobs(
        broker_for(settings.broker_url),
        database.url,
        transport_for(settings.smtp_url, settings.mail_dir),
        mail_from=settings.mail_from,
        clock=_utc_now,
    )
    relay = OutboxRelay(database, pubsub, jobs=jobs)
    intake = FeedIntake(
        database,
        send=jobs.send_feed_events,
        depth=jobs.feed_depth,
        queue_limit=settings.feed_queue_limit,
        clock=_utc_now,
    )
    hub = ChannelHub(PostgresOrderFeed(database), clock=_utc_now)
    actions = OrderActions(database, gateway, clock=_utc_now, committed=relay.wake)
    checkout = Checkout(
        database,
        supervisor,
        carts,
        gateway,
        clock=_utc_now,
        cart_ttl=settings.cart_ttl,
        committed=relay.wake,
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await database.connect()
        await pubsub.connect()
        if settings.broker_url is None:
            # The embedded broker's queue is in this process: so is its worker.
            jobs.start_worker(threads=settings.worker_threads, prefetch=settings.worker_prefetch)
        subscribed = asyncio.Event()
        caches_subscribed = asyncio.Event()
        sweeps = [
            asyncio.create_task(
                listen_for_order_events(pubsub, hub, subscribed), name="order-feed-listener"
            ),
            asyncio.create_task(
                every(
                    settings.cart_sweep_seconds,
                    "the cart sweep",
                    lambda: sweep_once(database, supervisor, now=_utc_now()),
                ),
                name="cart-sweep",
            ),
            asyncio.create_task(
                every(
                    KEY_SWEEP_SECONDS,
                    "the idempotency key sweep",
                    lambda: sweep_expired_keys(database, now=_utc_now()),
                ),
                name="idempotency-key-sweep",
            ),
            asyncio.create_task(
                every(
                    SESSION_SWEEP_SECONDS,
                    "the session sweep",
                    lambda: sweep_expired_sessions(database, now=_utc_now()),
                ),
                name="session-sweep",
            ),
            asyncio.create_task(
                every(CACHE_SWEEP_SECONDS, "the cache sweep", invalidations.sweep),
                name="cache-sweep",
            ),
            asyncio.create_task(intake.watch_depth(), name="feed-queue-depth"),
        ]
        # Events are relayed once this node listens, so none published at start is missed.
        await subscribed.wait()
        # Subscribed one after the other: the PostgreSQL backend's one connection runs one
        # operation at a time.
        sweeps.append(
            asyncio.create_task(
                invalidations.listen(caches_subscribed), name="cache-invalidation-listener"
            )
        )
        await caches_subscribed.wait()
        relaying = asyncio.create_task(relay.run(), name="order-feed-relay")
        try:
            yield
        finally:
            relay.stop()
            await asyncio.wait({relaying}, timeout=RELAY_STOP_SECONDS)
            for task in (relaying, *sweeps):
                task.cancel()
            await asyncio.gather(relaying, *sweeps, return_exceptions=True)
            await jobs.stop_worker()
            await supervisor.close()
            await pubsub.disconnect()
            await database.disconnect()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", Readyz(database, head_revision()).respond, methods=["GET"]),
        Route("/metrics", handle_metrics, methods=["GET"]),
        *api_docs.routes(),
        *CartApi(supervisor, products, pricing, authenticator).routes(),
        *OrdersApi(
            database,
            checkout,
            authenticator,
            actions,
        ).routes(),
        *QuotesApi(authenticator).routes(),
        *CatalogApi(database, products, authenticator).routes(),
        *MeApi(authenticator, database, invalidations, clock=_utc_now).routes(),
        *FeedApi(authenticator, intake).routes(),
        WebSocketRoute(
            CHANNELS_PATH,
            ChannelSocket(
                hub,
                authenticator,
                sessions=sessions,
                heartbeat_timeout=settings.channel_heartbeat_seconds,
            ).serve,
        ),
        *AccountPages(kit).routes(),
        *ShopPages(
            kit, database, supervisor, products=products, pricing=pricing, checkout=checkout
        ).routes(),
        *CatalogImportPages(kit, database, products).routes(),
        *StaffOrderPages(kit, database, actions).routes(),
        *StaffDashboard(kit, database, clock=_utc_now).routes(),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(
            PrometheusMiddleware,
            app_name="pulseshop",
            prefix="pulseshop_http",
            group_paths=True,
            filter_unhandled_paths=True,
        ),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers=error_handlers(kit),  # type: ignore[arg-type]
    )
