"""Password hashes with argon2id."""

from __future__ import annotations

from typing import Final

import pytest
from argon2 import PasswordHasher

from pulseshop.adapters.passwords import hash_password, needs_rehash, verify_password

pytestmark = pytest.mark.unit

PASSWORD: Final = "correct horse battery staple"  # noqa: S105 - a test password


class TestHashPassword:
    def test_makes_an_argon2id_phc_string(self) -> None:
        """The hash names its algorithm, version and parameters, and holds no password."""
        password_hash = hash_password(PASSWORD)

        assert password_hash.startswith("$argon2id$v=19$m=")
        assert PASSWORD not in password_hash

    def test_salts_each_hash(self) -> None:
        """The same password hashed twice gives two hashes, both of which verify."""
        first, second = hash_password(PASSWORD), hash_password(PASSWORD)

        assert first != second
        assert verify_password(first, PASSWORD)
        assert verify_password(second, PASSWORD)


class TestVerifyPassword:
    def test_the_right_password_verifies(self) -> None:
        """True for the password the hash was made from, spaces and all."""
        assert verify_password(hash_password(" ünïcode pass "), " ünïcode pass ")

    @pytest.mark.parametrize(
        "attempt", ["", "correct horse battery stapl", PASSWORD + " ", PASSWORD.upper()]
    )
    def test_another_password_does_not(self, attempt: str) -> None:
        """False for any other text, however close."""
        assert not verify_password(hash_password(PASSWORD), attempt)

    @pytest.mark.parametrize(
        "password_hash",
        [
            "",
            "nonsense",
            PASSWORD,
            "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaA",
            "$argon2id$v=19$m=65536,t=3,p=4$$",
        ],
    )
    def test_an_unreadable_hash_verifies_nothing(self, password_hash: str) -> None:
        """False, not an exception, for a hash that is not one or is broken."""
        assert not verify_password(password_hash, PASSWORD)

    def test_a_text_with_a_lone_surrogate_verifies_nothing(self) -> None:
        """A text with no UTF-8 form cannot be a password that was set."""
        assert not verify_password(hash_password(PASSWORD), "\ud800")


class TestNeedsRehash:
    def test_a_fresh_hash_does_not(self) -> None:
        """A hash made with today's parameters is kept."""
        assert not needs_rehash(hash_password(PASSWORD))

    def test_a_hash_with_weaker_parameters_does(self) -> None:
        """A hash made with other parameters verifies, and should be made again."""
        old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)

        assert verify_password(old, PASSWORD)
        assert needs_rehash(old)

    def test_an_unreadable_hash_does(self) -> None:
        """A hash that cannot be read must be replaced."""
        assert needs_rehash("nonsense")
