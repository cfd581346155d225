"""Reading the service's configuration from the environment."""

from __future__ import annotations

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
