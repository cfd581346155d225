"""The service's configuration, read once from the environment.

Every variable is listed in the README's configuration table; a bad value is a
`ConfigError` naming the variable.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, final

import attrs
from returns.pipeline import is_successful

from pulseshop.adapters.jobs import check_broker_url
from pulseshop.adapters.mail import SmtpUrl, parse_smtp_url
from pulseshop.adapters.postgres import PostgresUrl, parse_postgres_url
from pulseshop.adapters.pubsub import PubSubUrlError, check_pubsub_url
from pulseshop.shell.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
SWITCH_WORDS = {"1": True, "true": True, "yes": True, "on": True}
SWITCH_WORDS |= {"0": False, "false": False, "no": False, "off": False}
DEFAULT_CART_TTL = timedelta(days=30)
DEFAULT_CART_IDLE_SECONDS = 60.0
DEFAULT_CART_SWEEP_SECONDS = 300.0
DEFAULT_PUBSUB_URL = "memory://"
DEFAULT_CHANNEL_HEARTBEAT_SECONDS = 60.0
DEFAULT_SESSION_IDLE_MINUTES = 30.0
DEFAULT_SESSION_ABSOLUTE_HOURS = 12.0
MIN_SECRET_KEY = 32
DEFAULT_MAIL_FROM = "PulseShop <shop@localhost>"
DEFAULT_WORKER_THREADS = 4
DEFAULT_FEED_QUEUE_LIMIT = 200


@final
@attrs.frozen
class Settings:
    """What `pulseshop` commands need to know about their surroundings."""

    database_url: PostgresUrl | None
    host: str
    port: int
    data_dir: Path
    log_level: str
    demo_catalog: bool = True
    pricing_file: Path | None = None
    cart_ttl: timedelta = DEFAULT_CART_TTL
    cart_idle_seconds: float = DEFAULT_CART_IDLE_SECONDS
    cart_sweep_seconds: float = DEFAULT_CART_SWEEP_SECONDS
    pubsub_url: str = DEFAULT_PUBSUB_URL
    channel_heartbeat_seconds: float = DEFAULT_CHANNEL_HEARTBEAT_SECONDS
    secret_key: str | None = attrs.field(default=None, repr=False)
    """What signs the browser's session cookie; None: a key kept in `secret_key_file`."""
    session_idle: timedelta = timedelta(minutes=DEFAULT_SESSION_IDLE_MINUTES)
    session_absolute: timedelta = timedelta(hours=DEFAULT_SESSION_ABSOLUTE_HOURS)
    broker_url: str | None = None
    """The job broker; None: the embedded one, whose worker runs in the service."""
    smtp_url: SmtpUrl | None = None
    """Where e-mail goes; None: into `mail_dir` as .eml files."""
    mail_from: str = DEFAULT_MAIL_FROM
    worker_threads: int = DEFAULT_WORKER_THREADS
    worker_prefetch: int | None = None
    """Messages a worker takes from a queue ahead of its threads; None: twice the threads."""
    feed_queue_limit: int = DEFAULT_FEED_QUEUE_LIMIT
    """Messages waiting on the feed queue past which intake takes nothing more (429)."""

    @property
    def mail_dir(self) -> Path:
        """Where e-mail is written when no SMTP server is configured."""
        return self.data_dir / "mail"

    @property
    def secret_key_file(self) -> Path:
        """Where the generated signing key is kept when ``PULSESHOP_SECRET_KEY`` is unset."""
        return self.data_dir / "secret_key"

    @property
    def embedded_data_dir(self) -> Path:
        """Where the embedded PostgreSQL keeps its files."""
        return self.data_dir / "postgres"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Read and check every variable; raise `ConfigError` naming the first bad one."""
        return cls(
            database_url=database_url_from(environ.get("DATABASE_URL", "")),
            host=environ.get("HOST", "").strip() or DEFAULT_HOST,
            port=port_from("PORT", environ.get("PORT", "")) or DEFAULT_PORT,
            data_dir=Path(environ.get("PULSESHOP_DATA_DIR", "").strip() or "var"),
            log_level=log_level_from(environ.get("LOG_LEVEL", "")),
            demo_catalog=switch_from(
                "PULSESHOP_DEMO_CATALOG", environ.get("PULSESHOP_DEMO_CATALOG", ""), default=True
            ),
            pricing_file=Path(pricing)
            if (pricing := environ.get("PULSESHOP_PRICING", "").strip())
            else None,
            cart_ttl=timedelta(
                days=number_from(
                    "PULSESHOP_CART_TTL_DAYS",
                    environ.get("PULSESHOP_CART_TTL_DAYS", ""),
                    default=DEFAULT_CART_TTL.days,
                    low=1,
                    high=365,
                )
            ),
            cart_idle_seconds=number_from(
                "PULSESHOP_CART_IDLE_SECONDS",
                environ.get("PULSESHOP_CART_IDLE_SECONDS", ""),
                default=DEFAULT_CART_IDLE_SECONDS,
                low=1,
                high=86_400,
            ),
            cart_sweep_seconds=number_from(
                "PULSESHOP_CART_SWEEP_SECONDS",
                environ.get("PULSESHOP_CART_SWEEP_SECONDS", ""),
                default=DEFAULT_CART_SWEEP_SECONDS,
                low=1,
                high=86_400,
            ),
            pubsub_url=pubsub_url_from(environ.get("PUBSUB_URL", "")),
            channel_heartbeat_seconds=number_from(
                "PULSESHOP_CHANNEL_HEARTBEAT_SECONDS",
                environ.get("PULSESHOP_CHANNEL_HEARTBEAT_SECONDS", ""),
                default=DEFAULT_CHANNEL_HEARTBEAT_SECONDS,
                low=1,
                high=3_600,
            ),
            secret_key=secret_key_from(environ.get("PULSESHOP_SECRET_KEY", "")),
            session_idle=timedelta(
                minutes=number_from(
                    "PULSESHOP_SESSION_IDLE_MINUTES",
                    environ.get("PULSESHOP_SESSION_IDLE_MINUTES", ""),
                    default=DEFAULT_SESSION_IDLE_MINUTES,
                    low=1,
                    high=7 * 24 * 60,
                )
            ),
            session_absolute=timedelta(
                hours=number_from(
                    "PULSESHOP_SESSION_ABSOLUTE_HOURS",
                    environ.get("PULSESHOP_SESSION_ABSOLUTE_HOURS", ""),
                    default=DEFAULT_SESSION_ABSOLUTE_HOURS,
                    low=1,
                    high=30 * 24,
                )
            ),
            broker_url=broker_url_from(environ.get("BROKER_URL", "")),
            smtp_url=smtp_url_from(environ.get("SMTP_URL", "")),
            mail_from=environ.get("PULSESHOP_MAIL_FROM", "").strip() or DEFAULT_MAIL_FROM,
            worker_threads=count_from(
                "PULSESHOP_WORKER_THREADS",
                environ.get("PULSESHOP_WORKER_THREADS", ""),
                default=DEFAULT_WORKER_THREADS,
                low=1,
                high=64,
            ),
            worker_prefetch=_optional_count(
                environ, "PULSESHOP_WORKER_PREFETCH", low=1, high=65_535
            ),
            feed_queue_limit=count_from(
                "PULSESHOP_FEED_QUEUE_LIMIT",
                environ.get("PULSESHOP_FEED_QUEUE_LIMIT", ""),
                default=DEFAULT_FEED_QUEUE_LIMIT,
                low=1,
                high=1_000_000,
            ),
        )


def _optional_count(environ: Mapping[str, str], name: str, *, low: int, high: int) -> int | None:
    text = environ.get(name, "").strip()
    return count_from(name, text, default=low, low=low, high=high) if text else None


def count_from(name: str, text: str, *, default: int, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` (``default`` when empty)."""
    return _bounded(name, text, default, low, high, int, "a whole number")


def database_url_from(text: str) -> PostgresUrl | None:
    """The checked URL, or None (embedded default) when the variable is unset or empty."""
    if not text.strip():
        return None
    url = parse_postgres_url(text)
    if not is_successful(url):
        raise ConfigError(f"DATABASE_URL {url.failure()}")
    return url.unwrap()


def broker_url_from(text: str) -> str | None:
    """The checked job broker URL, or None (the embedded broker) when unset or empty."""
    checked = check_broker_url(text)
    if not is_successful(checked):
        raise ConfigError(f"BROKER_URL: {checked.failure()}")
    return checked.unwrap()


def smtp_url_from(text: str) -> SmtpUrl | None:
    """The checked SMTP URL, or None (write .eml files) when unset or empty."""
    if not text.strip():
        return None
    checked = parse_smtp_url(text.strip())
    if not is_successful(checked):
        raise ConfigError(f"SMTP_URL: {checked.failure()}")
    return checked.unwrap()


def secret_key_from(text: str) -> str | None:
    """The session signing key (None when unset: the service keeps a generated one)."""
    key = text.strip()
    if not key:
        return None
    if len(key) < MIN_SECRET_KEY:
        raise ConfigError(
            f"PULSESHOP_SECRET_KEY must be at least {MIN_SECRET_KEY} characters, got {len(key)}"
        )
    return key


def pubsub_url_from(text: str) -> str:
    """The checked pub/sub URL (``memory://`` when the variable is unset or empty)."""
    if not text.strip():
        return DEFAULT_PUBSUB_URL
    try:
        return check_pubsub_url(text.strip())
    except PubSubUrlError as error:
        raise ConfigError(f"PUBSUB_URL: {error}") from None


def port_from(name: str, text: str) -> int | None:
    """A TCP port number from text, None when empty; ``name`` says where it came from."""
    if not text.strip():
        return None
    try:
        port = int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a port number from 1 to 65535, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"{name} must be a port number from 1 to 65535, got {port}")
    return port


def log_level_from(text: str) -> str:
    """A uvicorn log level name (default ``info``)."""
    level = text.strip().lower() or "info"
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {text!r}")
    return level


def switch_from(name: str, text: str, *, default: bool) -> bool:
    """On or off from ``1``/``0``, ``true``/``false``, ``yes``/``no``, ``on``/``off``
    (any case); ``default`` when empty."""
    word = text.strip().lower()
    if not word:
        return default
    if word not in SWITCH_WORDS:
        words = ", ".join(SWITCH_WORDS)
        raise ConfigError(f"{name} must be one of {words}, got {text!r}")
    return SWITCH_WORDS[word]


def number_from(name: str, text: str, *, default: float, low: float, high: float) -> float:
    """A number from ``low`` to ``high`` (``default`` when empty)."""
    return _bounded(name, text, default, low, high, float, "a number")


_N = TypeVar("_N", int, float)


def _bounded(  # noqa: PLR0917 - the reading, named
    name: str,
    text: str,
    default: _N,
    low: _N,
    high: _N,
    parse: Callable[[str], _N],
    kind: str,
) -> _N:
    if not text.strip():
        return default
    try:
        value = parse(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        # A float's bounds as %g (0.5, 60), an int's in full (1000000, never 1e+06).
        bounds = (f"{low:g}", f"{high:g}") if isinstance(low, float) else (str(low), str(high))
        raise ConfigError(f"{name} must be {kind} from {bounds[0]} to {bounds[1]}, got {text!r}")
    return value
