"""The receipt e-mail of an order."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Final

import attrs
import pytest

from pulseshop.adapters.postgres.orders import StoredOrder
from pulseshop.core.money import EUR, Money
from pulseshop.core.orders import order_from_quote
from pulseshop.shell.receipts import receipt_message
from pulseshop.shell.web.pages.kit import money
from tests.core.orders._builders import NOW, a_quote, eur

pytestmark = pytest.mark.unit

SENT_AT: Final = datetime(2026, 12, 4, 23, 4, 55, tzinfo=UTC)
NAMES: Final = {"MUG-1": "Mug <b>&co", "TEA-1": "Green tea"}


def stored_order(*, prices_include_tax: bool = False) -> StoredOrder:
    """Order 42 of user 7: two mugs (a name with markup in it) and three teas, 10% off."""
    order = order_from_quote(a_quote(), NAMES, user_id=7, now=NOW).unwrap()
    return StoredOrder(42, 7, order, prices_include_tax, eur("0.00"), NOW)


def bodies(stored: StoredOrder) -> tuple[str, str]:
    """The plain-text and HTML parts of the receipt of ``stored``."""
    message = receipt_message(stored, to="ada@example.com", sender="shop@example.com", now=SENT_AT)
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


class TestReceiptMessage:
    def test_headers(self) -> None:
        """Subject, addresses, the date given and a Message-ID made from the order id."""
        message = receipt_message(
            stored_order(), to="ada@example.com", sender="shop@example.com", now=SENT_AT
        )

        assert {
            "Subject": "Your PulseShop order #42",
            "From": "shop@example.com",
            "To": "ada@example.com",
            "Date": "Fri, 04 Dec 2026 23:04:55 +0000",
            "Message-ID": "<receipt-42@pulseshop>",
        } == {name: str(message[name]) for name in ("Subject", "From", "To", "Date", "Message-ID")}

    def test_plain_text_with_an_html_alternative(self) -> None:
        """The body is multipart/alternative: plain text first, then HTML."""
        message = receipt_message(
            stored_order(), to="ada@example.com", sender="shop@example.com", now=SENT_AT
        )

        assert "multipart/alternative" == message.get_content_type()
        assert ["text/plain", "text/html"] == [
            part.get_content_type() for part in message.iter_parts()
        ]

    def test_a_resend_is_the_same_email(self) -> None:
        """Built again later, the receipt keeps its Message-ID and its body."""
        first = receipt_message(stored_order(), to="a@example.com", sender="s@example.com", now=NOW)
        again = receipt_message(
            stored_order(), to="a@example.com", sender="s@example.com", now=SENT_AT
        )

        assert first["Message-ID"] == again["Message-ID"]
        assert bodies(stored_order()) == bodies(stored_order())

    def test_both_parts_carry_every_line_and_the_totals(self) -> None:
        """Each line's name, quantity, unit price and total, every total, the id and date."""
        stored = stored_order()
        totals = stored.order.totals
        text, html = bodies(stored)

        for body, shown in ((text, str), (html, escape)):
            assert "#42" in body
            assert "2026-12-04 10:00 UTC" in body
            for line in stored.order.lines:
                assert shown(line.name) in body
                assert money(line.unit_price) in body
                assert money(line.line_total) in body
            for amount in (
                totals.subtotal,
                -totals.discount_total,
                totals.shipping_total,
                totals.tax_total,
                totals.total,
            ):
                assert money(amount) in body, (money(amount), body)
        assert "2 x 12.00 EUR = 25.92 EUR" in text
        assert "3 x 4.50 EUR = 12.82 EUR" in text
        assert "Discounts: -3.75 EUR" in text
        assert "Total: 43.74 EUR" in text
        assert '<td>Green tea</td><td align="right">3</td>' in html
        assert "<strong>43.74 EUR</strong>" in html

    def test_product_names_are_escaped_in_html_only(self) -> None:
        """Markup in a product name is text: escaped in HTML, verbatim in plain text."""
        text, html = bodies(stored_order())

        assert "Mug <b>&co" in text
        assert "Mug &lt;b&gt;&amp;co" in html
        assert "<b>" not in html

    def test_html_loads_nothing_and_runs_nothing(self) -> None:
        """No scripts, no images, no external resources."""
        _, html = bodies(stored_order())

        for forbidden in ("<script", "<img", "<link", "src=", "href=", "http"):
            assert forbidden not in html.lower()

    def test_no_discount_line_without_a_discount(self) -> None:
        """An order without discounts shows no discount line."""
        stored = stored_order()
        totals = attrs.evolve(stored.order.totals, discount_total=Money.zero(EUR))
        undiscounted = attrs.evolve(stored, order=attrs.evolve(stored.order, totals=totals))

        for body in bodies(undiscounted):
            assert "Discounts" not in body

    def test_tax_says_when_prices_include_it(self) -> None:
        """With tax-inclusive prices the tax line says the tax is included."""
        included = bodies(stored_order(prices_include_tax=True))
        added = bodies(stored_order(prices_include_tax=False))

        assert all("Tax (included)" in body for body in included)
        assert not any("Tax (included)" in body for body in added)

    def test_now_must_say_its_offset(self) -> None:
        """A naive time cannot be a Date header."""
        with pytest.raises(ValueError, match="offset from UTC"):
            receipt_message(
                stored_order(),
                to="a@example.com",
                sender="s@example.com",
                now=datetime(2026, 12, 4),  # noqa: DTZ001 (naive on purpose)
            )
