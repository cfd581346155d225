"""Placing an order from a quote: every amount is the quote's."""

from __future__ import annotations

from datetime import datetime

import attrs
import pytest

from pulseshop.core.money import EUR, USD, CurrencyMismatchError, Money
from pulseshop.core.orders import (
    OrderErrorCode,
    OrderLine,
    OrderStatus,
    OrderTotals,
    order_from_quote,
)
from tests.core.orders._builders import NAMES, NOW, a_quote, eur, placed

pytestmark = pytest.mark.unit


class TestOrderFromQuote:
    def test_the_order_takes_every_amount_from_the_quote(self) -> None:
        """Unit prices, line grosses and taxes, and every total are the quote's."""
        quote = a_quote()

        order = placed(quote)

        assert (
            OrderLine("MUG-1", "Stoneware mug", 2, eur("12.00"), eur("25.92"), eur("4.32")),
            OrderLine("TEA-1", "Green tea", 3, eur("4.50"), eur("12.82"), eur("0.67")),
        ) == order.lines
        assert (
            OrderTotals(eur("37.50"), eur("3.75"), eur("5.00"), eur("4.99"), eur("43.74"))
            == order.totals
        )
        assert quote.total == order.totals.total

    def test_a_new_order_waits_for_payment_with_nothing_captured(self) -> None:
        """Pending payment, version 0, created and updated now, nothing captured or refunded."""
        order = placed()

        assert (OrderStatus.PENDING_PAYMENT, 0, 7, EUR) == (
            order.status,
            order.version,
            order.user_id,
            order.currency,
        )
        assert (NOW, NOW) == (order.created_at, order.updated_at)
        assert (eur("0.00"), eur("0.00"), eur("0.00")) == (
            order.captured,
            order.refunded,
            order.refundable,
        )

    def test_names_are_trimmed(self) -> None:
        """A product name keeps no surrounding blanks."""
        names = {"MUG-1": "  Mug ", "TEA-1": "Tea"}

        order = order_from_quote(a_quote(), names, user_id=7, now=NOW).unwrap()

        assert ("Mug", "Tea") == tuple(line.name for line in order.lines)

    def test_an_empty_quote_is_no_order(self) -> None:
        """EMPTY_ORDER, about the lines."""
        empty = attrs.evolve(a_quote(), lines=())

        error = order_from_quote(empty, NAMES, user_id=7, now=NOW).failure()

        assert (OrderErrorCode.EMPTY_ORDER, "lines") == (error.code, error.field)

    @pytest.mark.parametrize("names", [{"MUG-1": "Mug"}, {"MUG-1": "Mug", "TEA-1": "  "}])
    def test_every_sku_needs_a_name(self, names: dict[str, str]) -> None:
        """MISSING_NAME when a SKU has no name, or only blanks."""
        error = order_from_quote(a_quote(), names, user_id=7, now=NOW).failure()

        assert (OrderErrorCode.MISSING_NAME, "names") == (error.code, error.field)
        assert "No product name was given for TEA-1." == error.message

    @pytest.mark.parametrize("user_id", [0, -3, True, "7"])
    def test_the_user_id_is_a_positive_whole_number(self, user_id: object) -> None:
        """INVALID_USER for zero, negatives, booleans and text; checked first."""
        empty = attrs.evolve(a_quote(), lines=())

        error = order_from_quote(empty, {}, user_id=user_id, now=NOW).failure()  # type: ignore[arg-type]  # not an int on purpose

        assert (OrderErrorCode.INVALID_USER, "user_id") == (error.code, error.field)

    def test_a_naive_time_is_a_wiring_mistake(self) -> None:
        """A time without a UTC offset raises ValueError."""
        naive = datetime(2026, 12, 4, 10, 0)  # noqa: DTZ001 - naive on purpose

        with pytest.raises(ValueError, match="offset from UTC"):
            order_from_quote(a_quote(), NAMES, user_id=7, now=naive)


class TestOrderTotals:
    def test_totals_in_two_currencies_are_a_programming_error(self) -> None:
        """Mixing currencies raises CurrencyMismatchError."""
        with pytest.raises(CurrencyMismatchError):
            attrs.evolve(OrderTotals.zero(EUR), discount_total=Money.zero(USD))

    def test_zero_totals_are_rounded_zeros(self) -> None:
        """Zero in the currency's minor units, in every total."""
        totals = OrderTotals.zero(EUR)

        assert {"0.00"} == {
            str(money.amount)
            for money in (
                totals.subtotal,
                totals.discount_total,
                totals.shipping_total,
                totals.tax_total,
                totals.total,
            )
        }
        assert EUR == totals.currency


class TestOrderStatus:
    def test_only_cancelled_and_refunded_are_final(self) -> None:
        """No command moves an order on from those two."""
        assert {OrderStatus.CANCELLED, OrderStatus.REFUNDED} == {
            status for status in OrderStatus if status.is_final
        }
