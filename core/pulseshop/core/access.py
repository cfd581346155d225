"""Who may do what: users' roles, the scopes a bearer token can carry, the checks on both,
and the rule a password must follow.

A token carries scopes, each a ``resource:action`` pair. The scopes a token may be issued
with are those of its user's role (`ROLE_SCOPES`); what it grants at any moment is the
scopes it was issued with that its user's role still has (`effective_scopes`), so taking a
role away takes its scopes away from the tokens already issued too.

The format rules are written once here, and the database's CHECK constraints are written
from them (SCOPE_PATTERN works as a Python and as a PostgreSQL regular expression).

>>> sorted(ROLE_SCOPES["customer"])
['cart:read', 'cart:write', 'catalog:read', 'orders:read', 'orders:write']
>>> sorted(missing_scopes(ROLE_SCOPES["customer"], [CART_WRITE, CATALOG_WRITE]))
['catalog:write']
"""

from __future__ import annotations

import enum
import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal, NewType, TypeAlias, final

import attrs
from returns.result import Failure, Result, Success

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

Role: TypeAlias = Literal["customer", "staff", "admin"]
"""What a user is to the shop: a customer, a member of its staff, or an administrator."""

ROLES: Final[tuple[Role, ...]] = ("customer", "staff", "admin")
"""Every role, from the fewest scopes to the most."""

Scope = NewType("Scope", str)
"""A permission a token carries: ``resource:action``, lower-case ASCII letters."""

Email = NewType("Email", str)
"""An email address as users are stored: checked by `parse_email` and lower-cased."""

CART_READ: Final = Scope("cart:read")
"""See one's own cart."""
CART_WRITE: Final = Scope("cart:write")
"""Change one's own cart."""
ORDERS_READ: Final = Scope("orders:read")
"""Read one's own orders."""
ORDERS_WRITE: Final = Scope("orders:write")
"""Place and change one's own orders."""
ORDERS_ALL: Final = Scope("orders:all")
"""Read and act on every user's orders (the shop's staff)."""
CATALOG_READ: Final = Scope("catalog:read")
"""See the catalog."""
CATALOG_WRITE: Final = Scope("catalog:write")
"""Change the catalog."""
INGEST_WRITE: Final = Scope("ingest:write")
"""Send marketplace feed events (an integration's token, issued by an administrator)."""

ALL_SCOPES: Final = frozenset(
    {
        CART_READ,
        CART_WRITE,
        ORDERS_READ,
        ORDERS_WRITE,
        ORDERS_ALL,
        CATALOG_READ,
        CATALOG_WRITE,
        INGEST_WRITE,
    }
)
"""Every scope PulseShop knows."""

_CUSTOMER_SCOPES: Final = frozenset(
    {CART_READ, CART_WRITE, ORDERS_READ, ORDERS_WRITE, CATALOG_READ}
)

ROLE_SCOPES: Final[Mapping[Role, frozenset[Scope]]] = MappingProxyType(
    {
        "customer": _CUSTOMER_SCOPES,
        "staff": _CUSTOMER_SCOPES | {CATALOG_WRITE, ORDERS_ALL},
        "admin": ALL_SCOPES,
    }
)
"""The scopes each role may hold; a token is issued with some or all of its user's."""

SCOPE_PATTERN: Final = "^[a-z]+:[a-z]+$"
"""The format of a scope."""

MAX_EMAIL: Final = 254
"""The most characters an email address may have (RFC 5321's limit on a path)."""

MIN_PASSWORD: Final = 12
"""The fewest characters a password may have."""

MAX_PASSWORD: Final = 1024
"""The most characters a password may have: enough for any passphrase or password manager,
and a bound on the text a sign-in form makes the server hash."""

_SCOPE: Final = re.compile(SCOPE_PATTERN)
_FIRST_SURROGATE: Final = 0xD800
_LAST_SURROGATE: Final = 0xDFFF


class EmailProblem(enum.Enum):
    """Why a text is not an email address we store; the value is the sentence's end."""

    EMPTY = "is empty"
    NOT_ONE_AT_SIGN = "needs exactly one @ with text on both sides"
    SPACE_OR_CONTROL = "must not contain spaces or control characters"
    TOO_LONG = f"has more than {MAX_EMAIL} characters"


def parse_email(text: str) -> Result[Email, EmailProblem]:
    """The address in ``text`` as it is stored: without surrounding spaces, lower-cased.

    The address is checked for its shape only (one ``@``, text on both sides, no spaces),
    not for whether mail can reach it.

    >>> parse_email("  Ann@Example.COM ")
    <Success: ann@example.com>
    >>> parse_email("ann.example.com")
    <Failure: EmailProblem.NOT_ONE_AT_SIGN>
    >>> parse_email("ann @example.com")
    <Failure: EmailProblem.SPACE_OR_CONTROL>
    """
    address = text.strip().lower()
    if not address:
        return Failure(EmailProblem.EMPTY)
    local, at_sign, domain = address.partition("@")
    if not (local and at_sign and domain) or "@" in domain:
        return Failure(EmailProblem.NOT_ONE_AT_SIGN)
    # `isprintable` is False for control characters and every space but " ".
    if " " in address or not address.isprintable():
        return Failure(EmailProblem.SPACE_OR_CONTROL)
    # Lower-casing may lengthen a text ("İ" becomes two characters): count afterwards.
    if len(address) > MAX_EMAIL:
        return Failure(EmailProblem.TOO_LONG)
    return Success(Email(address))


def is_scope(text: str) -> bool:
    """True when ``text`` has the format of a scope (known or not).

    >>> is_scope("cart:read"), is_scope("cart"), is_scope("Cart:Read"), is_scope("a:b\\n")
    (True, False, False, False)
    """
    return _SCOPE.fullmatch(text) is not None


def missing_scopes(granted: Collection[str], required: Iterable[str]) -> frozenset[str]:
    """The scopes of ``required`` that ``granted`` lacks; empty when every one is granted.

    >>> missing_scopes({CART_READ}, [CART_READ])
    frozenset()
    >>> missing_scopes({CART_READ}, [CART_READ, CART_WRITE])
    frozenset({'cart:write'})
    """
    return frozenset(scope for scope in required if scope not in granted)


def effective_scopes(role: Role, issued: Iterable[str]) -> frozenset[Scope]:
    """What a token issued with ``issued`` grants while its user has ``role``: the issued
    scopes the role still holds.

    >>> sorted(effective_scopes("staff", [CART_READ, CATALOG_WRITE]))
    ['cart:read', 'catalog:write']
    >>> sorted(effective_scopes("customer", [CART_READ, CATALOG_WRITE]))
    ['cart:read']
    """
    allowed = ROLE_SCOPES[role]
    return frozenset(Scope(scope) for scope in issued if scope in allowed)


class PasswordProblem(enum.Enum):
    """Why a text is refused as a password; the value is the sentence's end."""

    TOO_SHORT = f"has fewer than {MIN_PASSWORD} characters"
    TOO_LONG = f"has more than {MAX_PASSWORD} characters"
    BLANK = "is only spaces"
    SURROGATE = "holds a lone surrogate, which is no character"


@final
@attrs.frozen
class PasswordError:
    """A refused password: the problem, the field it is about and a sentence for a person.

    >>> error = PasswordError(PasswordProblem.BLANK)
    >>> (error.field, error.message)
    ('password', 'the password is only spaces')
    >>> str(error)
    'password: the password is only spaces'
    """

    problem: PasswordProblem
    field: Literal["password"] = "password"

    @property
    def message(self) -> str:
        """The refusal as a sentence, without the field's name."""
        return f"the password {self.problem.value}"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def check_password(text: str) -> Result[str, PasswordError]:
    """``text`` unchanged when it may be a password: from `MIN_PASSWORD` to `MAX_PASSWORD`
    characters, not all of them spaces, and every one a character (a lone surrogate, which
    an escaped JSON string may hold, has no UTF-8 form to hash).

    Length is the rule, not a mix of character classes: a long passphrase of lower-case
    words is stronger than a short password of every class. The text is kept exactly as
    given (no trimming, no normalisation), so the password typed at sign-in is the one set.

    >>> check_password("correct horse battery staple")
    <Success: correct horse battery staple>
    >>> check_password("hunter2")
    <Failure: password: the password has fewer than 12 characters>
    >>> check_password(" " * 12)
    <Failure: password: the password is only spaces>
    """
    if len(text) > MAX_PASSWORD:
        return Failure(PasswordError(PasswordProblem.TOO_LONG))
    if len(text) < MIN_PASSWORD:
        return Failure(PasswordError(PasswordProblem.TOO_SHORT))
    # `isspace` covers every Unicode space, tabs and line breaks.
    if text.isspace():
        return Failure(PasswordError(PasswordProblem.BLANK))
    if any(_FIRST_SURROGATE <= ord(character) <= _LAST_SURROGATE for character in text):
        return Failure(PasswordError(PasswordProblem.SURROGATE))
    return Success(text)
