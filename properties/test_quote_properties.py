"""What holds for every quote, whatever the cart, the taxes and the rules."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from properties.strategies import requests, requests_sharing_a_priority, tax_policies
from pulseshop.core.money import Money
from pulseshop.core.pricing import (
    Line,
    Quote,
    QuoteRequest,
    TaxPolicy,
    quote,
)
from pulseshop.core.pricing.codec import decode_request, encode_quote, encode_request
from pulseshop.core.pricing.rules import normalise_code

if TYPE_CHECKING:
    import random

pytestmark = pytest.mark.unit


def _priced(request: QuoteRequest) -> Quote:
    return quote(request).unwrap()


def _sum(amounts: list[Money], zero: Money) -> Money:
    return sum(amounts, zero)


class TestTotals:
    @given(requests())
    def test_every_total_is_the_sum_of_its_parts(self, request: QuoteRequest) -> None:
        """Subtotal, discounts, tax and total add up exactly from lines and shipping."""
        priced = _priced(request)
        zero = Money.zero(request.currency)
        lines = priced.lines

        assert priced.subtotal == _sum([line.subtotal for line in lines], zero)
        assert priced.discount_total == _sum([line.discount for line in lines], zero)
        assert priced.tax_total == _sum([line.tax for line in lines], priced.shipping.tax)
        assert priced.tax_total == _sum([tax.amount for tax in priced.tax_breakdown], zero)
        assert priced.total == _sum([line.gross for line in lines], priced.shipping.gross)
        assert priced.shipping_total == priced.shipping.amount - priced.shipping.discount
        for line in lines:
            assert line.tax == _sum([tax.amount for tax in line.taxes], zero)
            assert line.subtotal == line.unit_price * line.quantity

    @given(requests(exempt=False))
    def test_lines_follow_the_price_basis(self, request: QuoteRequest) -> None:
        """Net + tax = gross; the discount comes off the net, or off the gross with tax in."""
        priced = _priced(request)
        for line in priced.lines:
            assert line.gross == line.net + line.tax
            if priced.prices_include_tax:
                assert line.gross == line.subtotal - line.discount
            else:
                assert line.net == line.subtotal - line.discount
        if priced.prices_include_tax:
            expected = priced.subtotal - priced.discount_total + priced.shipping_total
        else:
            expected = (
                priced.subtotal - priced.discount_total + priced.shipping_total + priced.tax_total
            )
        assert expected == priced.total

    @given(requests(exempt=True))
    def test_exempt_customers_pay_no_tax(self, request: QuoteRequest) -> None:
        """No tax at all, the reason carried over, and tax-inclusive prices lose their tax."""
        priced = _priced(request)

        assert priced.tax_exemption is not None
        assert request.customer.tax_exemption == priced.tax_exemption.reason
        assert Money.zero(request.currency) == priced.tax_total
        for line in priced.lines:
            assert line.gross == line.net
        relief = priced.tax_exemption.amount if priced.prices_include_tax else None
        if relief is not None:
            listed = priced.subtotal - priced.discount_total + priced.shipping_total
            assert listed - relief == priced.total

    @given(requests())
    def test_every_amount_is_whole_minor_units(self, request: QuoteRequest) -> None:
        """Nothing in a quote leaves the currency's exponent."""
        priced = _priced(request)
        amounts = [priced.subtotal, priced.discount_total, priced.tax_total, priced.total]
        for line in priced.lines:
            amounts += [line.discount, line.net, line.tax, line.gross]
            amounts += [tax.amount for tax in line.taxes]
        for rule in priced.applied_rules:
            amounts += [rule.amount, rule.shipping, *(amount for _, amount in rule.lines)]

        assert all(amount.is_rounded for amount in amounts)

    @given(requests())
    def test_nothing_goes_negative_and_no_discount_exceeds_its_base(
        self, request: QuoteRequest
    ) -> None:
        """Lines and shipping stay at or above zero; a discount never exceeds what it discounts."""
        priced = _priced(request)
        zero = Money.zero(request.currency)
        for line in priced.lines:
            assert zero <= line.discount <= line.subtotal
            assert min(line.net, line.tax, line.gross) >= zero
        shipping = priced.shipping
        assert zero <= shipping.discount <= shipping.amount
        assert min(shipping.net, shipping.tax, shipping.gross) >= zero
        assert priced.total >= zero


class TestRules:
    @given(requests())
    def test_rule_amounts_add_up_to_line_discounts(self, request: QuoteRequest) -> None:
        """What the applied rules say they took off each line is exactly the line's discount."""
        priced = _priced(request)
        zero = Money.zero(request.currency)
        by_sku = {line.sku: zero for line in priced.lines}
        shipping = zero
        for rule in priced.applied_rules:
            assert rule.amount == _sum([amount for _, amount in rule.lines], rule.shipping)
            assert rule.amount > zero
            shipping += rule.shipping
            for sku, amount in rule.lines:
                by_sku[sku] += amount

        assert {line.sku: line.discount for line in priced.lines} == by_sku
        assert priced.shipping.discount == shipping

    @given(requests())
    def test_caps_hold(self, request: QuoteRequest) -> None:
        """No rule takes more than its max_discount."""
        caps = {rule.id: rule.max_discount for rule in request.rules}
        for applied in _priced(request).applied_rules:
            cap = caps[applied.rule_id]
            assert cap is None or applied.amount <= cap

    @given(requests())
    def test_an_exclusive_rule_applies_alone(self, request: QuoteRequest) -> None:
        """When an exclusive rule applies, it is the only one."""
        exclusive = {rule.id for rule in request.rules if rule.exclusive}
        applied = [rule.rule_id for rule in _priced(request).applied_rules]
        if exclusive & set(applied):
            assert 1 == len(applied)

    @given(requests())
    def test_applied_rules_combine_pairwise(self, request: QuoteRequest) -> None:
        """Any two applied rules each list the other's discount class."""
        rules = {rule.id: rule for rule in request.rules}
        applied = [rules[rule.rule_id] for rule in _priced(request).applied_rules]
        for first in applied:
            for second in applied:
                if first is not second:
                    assert second.discount_class in first.combines_with

    @given(requests())
    def test_every_entered_coupon_is_used_or_rejected_once(self, request: QuoteRequest) -> None:
        """A coupon either feeds an applied rule or appears once among the rejected, per entry."""
        priced = _priced(request)
        rules = {rule.id: rule for rule in request.rules}
        used = {
            code for applied in priced.applied_rules for code in rules[applied.rule_id].coupon_codes
        }
        entered = [normalise_code(code) for code in request.coupons]
        accepted = {code for code in entered if code in used}

        assert used <= set(entered)
        assert len(request.coupons) - len(accepted) == len(priced.rejected_coupons)
        assert {coupon.code for coupon in priced.rejected_coupons} <= set(request.coupons)


class TestDeterminism:
    @given(requests(), st.randoms(use_true_random=False))
    def test_line_and_rule_order_change_nothing(
        self, request: QuoteRequest, shuffler: random.Random
    ) -> None:
        """The same cart and rules in another order price identically, line for line."""
        lines = list(request.lines)
        rules = list(request.rules)
        shuffler.shuffle(lines)
        shuffler.shuffle(rules)
        shuffled = attrs.evolve(request, lines=tuple(lines), rules=tuple(rules))

        first, second = _priced(request), _priced(shuffled)

        assert {line.sku: line for line in first.lines} == {line.sku: line for line in second.lines}
        assert attrs.evolve(first, lines=()) == attrs.evolve(second, lines=())

    @given(requests_sharing_a_priority(), st.data())
    def test_rules_of_equal_priority_commute(
        self, request: QuoteRequest, data: st.DataObject
    ) -> None:
        """Rules of one priority are computed on the same amounts: in any order they take the
        same off each line, however they split what a line has left."""
        rules = data.draw(st.permutations(request.rules))
        first, second = _priced(request), _priced(attrs.evolve(request, rules=tuple(rules)))

        assert first.applied_rules == second.applied_rules
        assert first == second

    @given(requests())
    def test_quoting_twice_gives_the_same_quote(self, request: QuoteRequest) -> None:
        """No hidden state: the same request, the same answer."""
        assert _priced(request) == _priced(request)


class TestInclusiveAndExclusiveAgree:
    @given(
        requests(
            max_rules=3,
            policies=tax_policies().map(
                lambda policy: attrs.evolve(policy, prices_include_tax=False)
            ),
            exempt=False,
        )
    )
    @settings(max_examples=150)
    def test_repricing_gross_as_inclusive_prices_reproduces_the_quote(
        self, request: QuoteRequest
    ) -> None:
        """Each line's gross, listed as a tax-inclusive price, gives the same gross back, and
        net and tax within one minor unit per line."""
        exclusive = _priced(request)
        inclusive_request = attrs.evolve(
            request,
            lines=tuple(
                Line(line.sku, priced.gross, 1, line.tax_category, line.category)
                for line, priced in zip(request.lines, exclusive.lines, strict=True)
            ),
            rules=(),
            coupons=(),
            shipping=None,
            tax_policy=TaxPolicy(
                request.tax_policy.taxes,
                prices_include_tax=True,
                shipping=request.tax_policy.shipping,
            ),
        )
        inclusive = _priced(inclusive_request)
        minor = Money.zero(request.currency).currency.quantum

        for before, after in zip(exclusive.lines, inclusive.lines, strict=True):
            assert before.gross == after.gross
            assert abs(before.net.amount - after.net.amount) <= minor
            assert abs(before.tax.amount - after.tax.amount) <= minor
        lines_total = _sum([line.gross for line in exclusive.lines], Money.zero(request.currency))
        assert lines_total == inclusive.total


class TestJson:
    @given(requests())
    def test_requests_round_trip_through_json(self, request: QuoteRequest) -> None:
        """Encoding a request to JSON text and decoding it gives the same request."""
        text = json.dumps(encode_request(request))

        assert request == decode_request(json.loads(text)).unwrap()

    @given(requests())
    def test_quotes_encode_to_stable_json(self, request: QuoteRequest) -> None:
        """A quote's JSON survives a trip through text unchanged, amounts as strings."""
        encoded = encode_quote(_priced(request))
        text = json.dumps(encoded)

        assert encoded == json.loads(text)
        assert isinstance(encoded["total"], str)
