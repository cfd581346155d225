"""The paging helpers every list of the JSON API shares: ``limit`` and opaque cursors."""

from __future__ import annotations

import base64
import json

import pytest

from pulseshop.shell.web.bodies import BadRequestError
from pulseshop.shell.web.pagination import (
    MAX_CURSOR,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    cursor_key,
    encode_cursor,
    page_limit,
)

pytestmark = pytest.mark.unit


def _field(error: BadRequestError) -> tuple[int, str]:
    body = json.loads(bytes(error.response.body))
    return error.response.status_code, body["error"]["details"][0]["field"]


class TestLimit:
    def test_absent_is_the_default_page_size(self) -> None:
        """20 items when the request does not say."""
        assert 20 == PAGE_SIZE == page_limit(None)

    @pytest.mark.parametrize(("text", "limit"), [("1", 1), ("100", 100), ("007", 7)])
    def test_a_whole_number_from_1_to_100_is_the_limit(self, text: str, limit: int) -> None:
        """Leading zeros are read as a person would."""
        assert limit == page_limit(text)

    @pytest.mark.parametrize(
        "text", ["0", "101", "1000", "-1", "+5", "1.0", "", " 5", "²", "٣", "1" * 5000]
    )
    def test_anything_else_is_a_422_naming_query_limit(self, text: str) -> None:
        """Never a ValueError: ``int`` is only given three ASCII digits."""
        with pytest.raises(BadRequestError) as refused:
            page_limit(text)

        assert (422, "query.limit") == _field(refused.value)
        assert MAX_PAGE_SIZE == 100


class TestCursor:
    @pytest.mark.parametrize("key", [["MUG-1"], ["2026-12-04T10:00:00+00:00", 12], []])
    def test_a_cursor_gives_back_its_key(self, key: list[str | int]) -> None:
        """URL-safe text, no padding."""
        cursor = encode_cursor(*key)

        assert key == cursor_key(cursor)
        assert "=" not in cursor
        assert cursor.replace("-", "").replace("_", "").isalnum() or not cursor

    def test_no_cursor_is_the_first_page(self) -> None:
        """None: start from the beginning."""
        assert cursor_key(None) is None

    @pytest.mark.parametrize(
        "text",
        [
            "not base64!",
            "été",
            base64.urlsafe_b64encode(b"{}").decode(),
            base64.urlsafe_b64encode(b'"MUG-1"').decode(),
            base64.urlsafe_b64encode(b"\xff\xfe").decode(),
            base64.urlsafe_b64encode(b"[" * 700).decode()[:MAX_CURSOR],
            "A" * (MAX_CURSOR + 1),
        ],
    )
    def test_a_text_that_is_not_a_json_list_in_base64_is_a_422(self, text: str) -> None:
        """Named query.cursor, whatever is wrong with it."""
        with pytest.raises(BadRequestError) as refused:
            cursor_key(text)

        assert (422, "query.cursor") == _field(refused.value)
