"""Roles, scopes and email addresses."""

from __future__ import annotations

from itertools import pairwise

import pytest
from returns.result import Failure, Success

from pulseshop.core.access import (
    ALL_SCOPES,
    CART_READ,
    CART_WRITE,
    CATALOG_READ,
    CATALOG_WRITE,
    MAX_EMAIL,
    MAX_PASSWORD,
    MIN_PASSWORD,
    ORDERS_ALL,
    ORDERS_READ,
    ORDERS_WRITE,
    ROLE_SCOPES,
    ROLES,
    EmailProblem,
    PasswordError,
    PasswordProblem,
    check_password,
    effective_scopes,
    is_scope,
    missing_scopes,
    parse_email,
)

pytestmark = pytest.mark.unit


class TestRoleScopes:
    def test_every_role_has_its_scopes(self) -> None:
        """Each role listed in ROLES, and only those, has scopes."""
        assert set(ROLES) == set(ROLE_SCOPES)

    def test_customers_use_their_cart_and_orders_and_read_the_catalog(self) -> None:
        """A customer reads and writes their cart and orders, and reads the catalog."""
        expected = {CART_READ, CART_WRITE, ORDERS_READ, ORDERS_WRITE, CATALOG_READ}

        assert expected == ROLE_SCOPES["customer"]

    def test_staff_also_write_the_catalog_and_see_every_order(self) -> None:
        """Staff hold the customer's scopes plus catalog writes and every order."""
        expected = ROLE_SCOPES["customer"] | {CATALOG_WRITE, ORDERS_ALL}

        assert expected == ROLE_SCOPES["staff"]

    def test_admins_hold_every_scope(self) -> None:
        """An administrator holds every scope there is."""
        assert ALL_SCOPES == ROLE_SCOPES["admin"]

    def test_roles_go_from_fewest_scopes_to_most(self) -> None:
        """Each role's scopes include those of the role before it."""
        scopes = [ROLE_SCOPES[role] for role in ROLES]

        assert all(lower <= higher for lower, higher in pairwise(scopes))

    def test_every_known_scope_has_the_scope_format(self) -> None:
        """The constants are all well-formed scopes."""
        assert all(is_scope(scope) for scope in ALL_SCOPES)


class TestScopeFormat:
    @pytest.mark.parametrize("text", ["cart:read", "a:b", "orders:all"])
    def test_accepts_resource_colon_action(self, text: str) -> None:
        """Lower-case letters, one colon, letters again."""
        assert is_scope(text)

    @pytest.mark.parametrize(
        "text", ["", "cart", "cart:", ":read", "Cart:read", "cart:read:all", "cart_x:read", "a:b\n"]
    )
    def test_refuses_anything_else(self, text: str) -> None:
        """Other shapes, upper case, digits or underscores and a trailing newline are refused."""
        assert not is_scope(text)


class TestMissingScopes:
    def test_nothing_is_missing_when_every_scope_is_granted(self) -> None:
        """Required scopes that are all granted leave nothing missing."""
        assert frozenset() == missing_scopes(ROLE_SCOPES["staff"], [CART_READ, CATALOG_WRITE])

    def test_names_each_scope_not_granted(self) -> None:
        """Only the scopes lacking are returned."""
        missing = missing_scopes({CART_READ}, [CART_READ, CART_WRITE, ORDERS_ALL])

        assert {CART_WRITE, ORDERS_ALL} == missing

    def test_requiring_nothing_misses_nothing(self) -> None:
        """No required scope: nothing missing, even with nothing granted."""
        assert frozenset() == missing_scopes(frozenset(), [])


class TestEffectiveScopes:
    def test_a_token_grants_what_its_role_still_holds(self) -> None:
        """Scopes the role lost since the token was issued are not granted."""
        issued = [CART_READ, CATALOG_WRITE, ORDERS_ALL]

        assert {CART_READ} == effective_scopes("customer", issued)
        assert set(issued) == effective_scopes("staff", issued)

    def test_unknown_scopes_grant_nothing(self) -> None:
        """A scope no role holds is dropped."""
        assert frozenset() == effective_scopes("admin", ["cart:delete"])


class TestParseEmail:
    def test_lower_cases_and_strips(self) -> None:
        """The address is stored lower-cased, without surrounding spaces."""
        assert Success("ann.lee+shop@example.com") == parse_email(" Ann.Lee+Shop@Example.COM\n")

    def test_keeps_letters_beyond_ascii(self) -> None:
        """Non-ASCII letters are lower-cased too."""
        assert Success("zoë@exämple.de") == parse_email("ZOË@EXÄMPLE.DE")

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("", EmailProblem.EMPTY),
            ("   ", EmailProblem.EMPTY),
            ("ann.example.com", EmailProblem.NOT_ONE_AT_SIGN),
            ("@example.com", EmailProblem.NOT_ONE_AT_SIGN),
            ("ann@", EmailProblem.NOT_ONE_AT_SIGN),
            ("@", EmailProblem.NOT_ONE_AT_SIGN),
            ("ann@lee@example.com", EmailProblem.NOT_ONE_AT_SIGN),
            ("ann lee@example.com", EmailProblem.SPACE_OR_CONTROL),
            ("ann@exa\tmple.com", EmailProblem.SPACE_OR_CONTROL),
            ("ann@example.com\x00x", EmailProblem.SPACE_OR_CONTROL),
            ("ann\u00a0lee@example.com", EmailProblem.SPACE_OR_CONTROL),
        ],
    )
    def test_refuses_what_is_not_an_address(self, text: str, problem: EmailProblem) -> None:
        """Each malformed address fails with the problem it has."""
        assert Failure(problem) == parse_email(text)

    def test_the_longest_address_is_accepted(self) -> None:
        """MAX_EMAIL characters are allowed."""
        address = "a" * (MAX_EMAIL - len("@example.com")) + "@example.com"

        assert Success(address) == parse_email(address)

    def test_one_character_more_is_too_long(self) -> None:
        """MAX_EMAIL + 1 characters are refused."""
        address = "a" * (MAX_EMAIL + 1 - len("@example.com")) + "@example.com"

        assert Failure(EmailProblem.TOO_LONG) == parse_email(address)

    def test_length_is_counted_after_lower_casing(self) -> None:
        """A capital whose lower case is two characters counts as two."""
        # "İ" lower-cases to "i" and a combining dot above.
        address = "İ" * 127 + "@x"

        assert Failure(EmailProblem.TOO_LONG) == parse_email(address)

    def test_every_problem_reads_as_the_end_of_a_sentence(self) -> None:
        """Problems say what is wrong in words."""
        assert all(problem.value[0].islower() for problem in EmailProblem)


class TestCheckPassword:
    @pytest.mark.parametrize(
        "text",
        [
            "a" * MIN_PASSWORD,
            "x" * MAX_PASSWORD,
            "correct horse battery staple",
            "  padded password  ",
            "пароль-пароль-пароль",
            " " * (MIN_PASSWORD - 1) + "x",
            "emoji \U0001f511 outside the BMP",
            "\ud7ff\ue000 next to surrogates",
        ],
    )
    def test_accepts_a_long_enough_text_unchanged(self, text: str) -> None:
        """From 12 to 1024 characters, not all spaces: kept exactly, spaces included."""
        assert Success(text) == check_password(text)

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("", PasswordProblem.TOO_SHORT),
            ("a" * (MIN_PASSWORD - 1), PasswordProblem.TOO_SHORT),
            ("x" * (MAX_PASSWORD + 1), PasswordProblem.TOO_LONG),
            (" " * MIN_PASSWORD, PasswordProblem.BLANK),
            ("\t\n \u00a0\u3000" * 4, PasswordProblem.BLANK),
            (" " * (MAX_PASSWORD + 1), PasswordProblem.TOO_LONG),
            ("long enough \ud800", PasswordProblem.SURROGATE),
            ("\udfff long enough", PasswordProblem.SURROGATE),
        ],
    )
    def test_refuses_a_short_long_blank_or_broken_text(
        self, text: str, problem: PasswordProblem
    ) -> None:
        """Too few or too many characters, only spaces of any kind, or a lone surrogate."""
        assert Failure(PasswordError(problem)) == check_password(text)

    def test_the_error_names_the_field_and_says_why(self) -> None:
        """The error is about the field `password` and carries a sentence."""
        error = check_password("short").failure()

        assert "password" == error.field
        assert "the password has fewer than 12 characters" == error.message
        assert "password: the password has fewer than 12 characters" == str(error)
