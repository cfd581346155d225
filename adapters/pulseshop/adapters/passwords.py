"""Password hashes: argon2id through argon2-cffi, with the library's default parameters.

The hash is a PHC string (``$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>``) carrying its
own salt and parameters, so a hash written with older parameters still verifies after the
defaults change, and `needs_rehash` says when to write a new one (at the next sign-in,
when the password is at hand).

Hashing is slow and takes tens of MiB on purpose: it blocks the calling thread for tens of
milliseconds. An event loop should call these functions in a worker thread.
"""

from __future__ import annotations

from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_password", "needs_rehash", "verify_password"]

_HASHER: Final = PasswordHasher()
"""argon2id with the parameters argon2-cffi recommends (RFC 9106's second profile)."""


def hash_password(text: str) -> str:
    """The argon2id hash of ``text``, with a fresh random salt, as a PHC string.

    Raises:
        UnicodeEncodeError: ``text`` holds a lone surrogate
            (`pulseshop.core.access.check_password` refuses such a text).
    """
    return _HASHER.hash(text)


def verify_password(password_hash: str, text: str) -> bool:
    """True when ``text`` is the password ``password_hash`` was made from; False when it is
    not, or when ``password_hash`` is not a hash argon2-cffi can read."""
    try:
        return _HASHER.verify(password_hash, text)
    # VerifyMismatchError, the wrong password, is a VerificationError. A text with no UTF-8
    # form (a lone surrogate) cannot be a password that was hashed: `hash_password` refuses it.
    except (VerificationError, InvalidHashError, UnicodeEncodeError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when ``password_hash`` was not made with the current algorithm and parameters
    (or cannot be read at all), so the password should be hashed again."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
