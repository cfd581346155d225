"""Reading the service's configuration from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from pulseshop.shell.config import Settings
from pulseshop.shell.errors import ConfigError

pytestmark = pytest.mark.unit


class TestSettings:
    def test_defaults(self) -> None:
        """An empty environment means the embedded database on 127.0.0.1:8000."""
        settings = Settings.from_environ({})

        assert settings.database_url is None
        assert ("127.0.0.1", 8000, "info") == (settings.host, settings.port, settings.log_level)
        assert Path("var/postgres") == settings.embedded_data_dir

    def test_every_variable_is_read(self) -> None:
        """Each documented variable changes its setting."""
        settings = Settings.from_environ(
            {
                "DATABASE_URL": "postgresql://u@db:5432/shop",
                "HOST": "0.0.0.0",  # noqa: S104 - a value under test, nothing binds here
                "PORT": "9000",
                "PULSESHOP_DATA_DIR": "/srv/pulseshop",
                "LOG_LEVEL": "WARNING",
            }
        )

        assert settings.database_url is not None
        assert "shop" == settings.database_url.database
        assert ("0.0.0.0", 9000, "warning") == (settings.host, settings.port, settings.log_level)  # noqa: S104
        assert Path("/srv/pulseshop/postgres") == settings.embedded_data_dir

    def test_empty_database_url_means_embedded(self) -> None:
        """DATABASE_URL= (set but empty) is the same as unset."""
        assert Settings.from_environ({"DATABASE_URL": " "}).database_url is None

    @pytest.mark.parametrize(
        ("environ", "message"),
        [
            ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL has scheme 'mysql'"),
            ({"PORT": "eighty"}, "PORT must be a port number from 1 to 65535, got 'eighty'"),
            ({"PORT": "0"}, "PORT must be a port number from 1 to 65535, got 0"),
            ({"PORT": "65536"}, "PORT must be a port number from 1 to 65535, got 65536"),
            ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of critical, error"),
        ],
    )
    def test_bad_values_name_the_variable(self, environ: dict[str, str], message: str) -> None:
        """A bad value is a ConfigError whose message starts with the variable's name."""
        with pytest.raises(ConfigError, match="^" + message.split(" ", maxsplit=1)[0]) as raised:
            Settings.from_environ(environ)

        assert message in str(raised.value)


class TestDemoCatalogSwitch:
    @pytest.mark.parametrize(
        ("text", "expected"), [("", True), ("1", True), ("Off", False), ("no", False)]
    )
    def test_words(self, text: str, *, expected: bool) -> None:
        """PULSESHOP_DEMO_CATALOG is on unless set to a word for off."""
        assert expected == Settings.from_environ({"PULSESHOP_DEMO_CATALOG": text}).demo_catalog

    def test_other_words_are_refused(self) -> None:
        """A value that is neither on nor off names the variable."""
        with pytest.raises(ConfigError, match="PULSESHOP_DEMO_CATALOG must be one of"):
            Settings.from_environ({"PULSESHOP_DEMO_CATALOG": "maybe"})


class TestCartSettings:
    def test_defaults(self) -> None:
        """Carts live 30 days, actors idle out after a minute, the sweep runs every 5."""
        settings = Settings.from_environ({})

        assert (timedelta(days=30), 60.0, 300.0, None) == (
            settings.cart_ttl,
            settings.cart_idle_seconds,
            settings.cart_sweep_seconds,
            settings.pricing_file,
        )

    def test_every_variable_is_read(self) -> None:
        """Each cart variable changes its setting."""
        settings = Settings.from_environ(
            {
                "PULSESHOP_PRICING": "shop/pricing.json",
                "PULSESHOP_CART_TTL_DAYS": "7",
                "PULSESHOP_CART_IDLE_SECONDS": "2.5",
                "PULSESHOP_CART_SWEEP_SECONDS": "30",
            }
        )

        assert (Path("shop/pricing.json"), timedelta(days=7), 2.5, 30.0) == (
            settings.pricing_file,
            settings.cart_ttl,
            settings.cart_idle_seconds,
            settings.cart_sweep_seconds,
        )

    @pytest.mark.parametrize(
        ("name", "text"),
        [
            ("PULSESHOP_CART_TTL_DAYS", "0"),
            ("PULSESHOP_CART_TTL_DAYS", "366"),
            ("PULSESHOP_CART_IDLE_SECONDS", "soon"),
            ("PULSESHOP_CART_IDLE_SECONDS", "nan"),
            ("PULSESHOP_CART_SWEEP_SECONDS", "-1"),
        ],
    )
    def test_bad_values_name_the_variable(self, name: str, text: str) -> None:
        """A value outside its range, or not a number, names the variable and the range."""
        with pytest.raises(ConfigError, match=f"^{name} must be a number from"):
            Settings.from_environ({name: text})


class TestChannelSettings:
    def test_defaults(self) -> None:
        """Events stay in the process; a silent socket is closed after a minute."""
        settings = Settings.from_environ({})

        assert ("memory://", 60.0) == (settings.pubsub_url, settings.channel_heartbeat_seconds)

    def test_every_variable_is_read(self) -> None:
        """Each variable changes its setting."""
        settings = Settings.from_environ(
            {
                "PUBSUB_URL": " redis://127.0.0.1:6379/0 ",
                "PULSESHOP_CHANNEL_HEARTBEAT_SECONDS": "5",
            }
        )

        assert ("redis://127.0.0.1:6379/0", 5.0) == (
            settings.pubsub_url,
            settings.channel_heartbeat_seconds,
        )

    @pytest.mark.parametrize(
        ("name", "text", "message"),
        [
            ("PUBSUB_URL", "kafka://k:9092", "PUBSUB_URL: the scheme must be one of"),
            ("PUBSUB_URL", "redis://", "PUBSUB_URL: a redis URL needs a host"),
            (
                "PULSESHOP_CHANNEL_HEARTBEAT_SECONDS",
                "0",
                "PULSESHOP_CHANNEL_HEARTBEAT_SECONDS must",
            ),
        ],
    )
    def test_bad_values_name_the_variable(self, name: str, text: str, message: str) -> None:
        """The error starts with the variable's name."""
        with pytest.raises(ConfigError, match=f"^{message}"):
            Settings.from_environ({name: text})


class TestSessionSettings:
    def test_defaults(self) -> None:
        """No key (the service keeps one in the data directory), 30 minutes idle, 12 hours."""
        settings = Settings.from_environ({"PULSESHOP_DATA_DIR": "/srv/shop"})

        assert (None, timedelta(minutes=30), timedelta(hours=12)) == (
            settings.secret_key,
            settings.session_idle,
            settings.session_absolute,
        )
        assert Path("/srv/shop/secret_key") == settings.secret_key_file

    def test_every_variable_is_read(self) -> None:
        key = "k" * 40
        settings = Settings.from_environ(
            {
                "PULSESHOP_SECRET_KEY": f" {key} ",
                "PULSESHOP_SESSION_IDLE_MINUTES": "5",
                "PULSESHOP_SESSION_ABSOLUTE_HOURS": "1.5",
            }
        )

        assert (key, timedelta(minutes=5), timedelta(hours=1.5)) == (
            settings.secret_key,
            settings.session_idle,
            settings.session_absolute,
        )
        assert key not in repr(settings)

    @pytest.mark.parametrize(
        ("name", "text", "message"),
        [
            ("PULSESHOP_SECRET_KEY", "short", "PULSESHOP_SECRET_KEY must be at least 32"),
            ("PULSESHOP_SESSION_IDLE_MINUTES", "0", "PULSESHOP_SESSION_IDLE_MINUTES must"),
            ("PULSESHOP_SESSION_IDLE_MINUTES", "soon", "PULSESHOP_SESSION_IDLE_MINUTES must"),
            ("PULSESHOP_SESSION_ABSOLUTE_HOURS", "721", "PULSESHOP_SESSION_ABSOLUTE_HOURS must"),
        ],
    )
    def test_bad_values_name_the_variable(self, name: str, text: str, message: str) -> None:
        with pytest.raises(ConfigError, match=f"^{message}"):
            Settings.from_environ({name: text})


class TestJobAndMailSettings:
    def test_defaults(self) -> None:
        """The embedded broker, .eml files in the data directory, four threads."""
        settings = Settings.from_environ({"PULSESHOP_DATA_DIR": "/srv/shop"})

        assert (None, None, "PulseShop <shop@localhost>", 4, Path("/srv/shop/mail")) == (
            settings.broker_url,
            settings.smtp_url,
            settings.mail_from,
            settings.worker_threads,
            settings.mail_dir,
        )

    def test_every_variable_is_read(self) -> None:
        settings = Settings.from_environ(
            {
                "BROKER_URL": " amqp://guest:guest@127.0.0.1:5672/%2F ",
                "SMTP_URL": "smtps://mailer:secret@mail.example.com",
                "PULSESHOP_MAIL_FROM": "Tea Shop <tea@example.com>",
                "PULSESHOP_WORKER_THREADS": "8",
                "PULSESHOP_WORKER_PREFETCH": "3",
                "PULSESHOP_FEED_QUEUE_LIMIT": "50",
            }
        )

        assert settings.broker_url == "amqp://guest:guest@127.0.0.1:5672/%2F"
        assert settings.smtp_url is not None
        assert (settings.smtp_url.host, settings.smtp_url.port) == ("mail.example.com", 465)
        assert (settings.mail_from, settings.worker_threads) == ("Tea Shop <tea@example.com>", 8)
        assert (settings.worker_prefetch, settings.feed_queue_limit) == (3, 50)
        assert "secret" not in repr(settings)

    @pytest.mark.parametrize(
        ("name", "text", "message"),
        [
            ("BROKER_URL", "kafka://k:9092", "BROKER_URL: the scheme must be one of"),
            ("BROKER_URL", "redis://", "BROKER_URL: a redis URL needs a host"),
            ("BROKER_URL", "redis://h:99999", "BROKER_URL: the port must be"),
            ("SMTP_URL", "http://mail", "SMTP_URL: "),
            ("PULSESHOP_WORKER_THREADS", "0", "PULSESHOP_WORKER_THREADS must"),
            ("PULSESHOP_WORKER_THREADS", "2.5", "PULSESHOP_WORKER_THREADS must be a whole"),
            ("PULSESHOP_WORKER_PREFETCH", "0", "PULSESHOP_WORKER_PREFETCH must"),
            ("PULSESHOP_WORKER_PREFETCH", "many", "PULSESHOP_WORKER_PREFETCH must be a whole"),
            ("PULSESHOP_FEED_QUEUE_LIMIT", "-1", "PULSESHOP_FEED_QUEUE_LIMIT must"),
            ("PULSESHOP_FEED_QUEUE_LIMIT", "1e9", "PULSESHOP_FEED_QUEUE_LIMIT must be a whole"),
        ],
    )
    def test_bad_values_name_the_variable(self, name: str, text: str, message: str) -> None:
        with pytest.raises(ConfigError, match=f"^{message}"):
            Settings.from_environ({name: text})
