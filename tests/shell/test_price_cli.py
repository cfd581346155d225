"""`pulseshop price` and `pulseshop repl`, run as real processes on real files."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.support.processes import environment, run_pulseshop

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.e2e

CART: dict[str, object] = {
    "currency": "EUR",
    "tax_rates": {"standard": "0.20", "reduced": "0.055"},
    "lines": [
        {"sku": "MUG-1", "unit_price": "12.00", "quantity": 2, "tax_category": "standard"},
        {"sku": "TEA-7", "unit_price": "4.50", "quantity": 3, "tax_category": "reduced"},
    ],
    "at": "2026-12-04T10:00:00Z",
}


@pytest.fixture
def cart_file(tmp_path: Path) -> Path:
    path = tmp_path / "cart.json"
    path.write_text(json.dumps(CART), encoding="utf-8")
    return path


class TestPrice:
    def test_prints_the_quote_of_a_file(self, cart_file: Path) -> None:
        """24.00 + 20% and 13.50 + 5.5% (0.7425 rounds to 0.74) make 43.04."""
        result = run_pulseshop("price", str(cart_file), env=environment())

        assert 0 == result.returncode, result.stderr
        priced = json.loads(result.stdout)
        assert ["28.80", "14.24"] == [line["gross"] for line in priced["lines"]]
        assert ("37.50", "5.54", "43.04") == (
            priced["subtotal"],
            priced["tax_total"],
            priced["total"],
        )
        assert "" == result.stderr

    def test_reads_stdin_and_prints_one_line_with_indent_0(self) -> None:
        """`-` is stdin; --indent 0 prints the whole quote on one line."""
        result = run_pulseshop(
            "price", "--indent", "0", "-", stdin=json.dumps(CART), env=environment()
        )

        assert 0 == result.returncode, result.stderr
        assert 1 == len(result.stdout.splitlines())
        assert "43.04" == json.loads(result.stdout)["total"]

    def test_lists_every_problem_with_its_path(self) -> None:
        """An invalid request exits 2 and names each field, in the order of the input."""
        bad = {
            **CART,
            "currency": "EUR",
            "lines": [
                {"sku": "A", "unit_price": "1.001", "quantity": 0, "tax_category": "standard"},
                {"sku": "B", "unit_price": "1.00", "quantity": 1.5, "tax_category": "luxury"},
            ],
            "tax_rates": {"standard": "1.5"},
        }
        result = run_pulseshop("price", "-", stdin=json.dumps(bad), env=environment())

        assert 2 == result.returncode
        assert "" == result.stdout
        lines = result.stderr.splitlines()
        assert lines[0].startswith("pulseshop: error: stdin is not a valid quote request (")
        problems = [line.strip() for line in lines[1:]]
        for path in (
            "tax_rates.standard",
            "lines[0].unit_price",
            "lines[0].quantity",
            "lines[1].quantity",
            "lines[1].tax_category",
        ):
            assert any(problem.startswith(f"{path}: ") for problem in problems), (path, problems)
        assert "lines[0].quantity: must be a positive integer" in problems

    @pytest.mark.parametrize(
        ("text", "says"),
        [
            ('{"currency": "EUR",\n  "lines": [}', "is not valid JSON: line 2, column 13: "),
            ("", "is not valid JSON: line 1, column 1: Expecting value"),
            ("[" * 100_000 + "]" * 100_000, "is not valid JSON: nested too deeply"),
            ("[1, 2]", "is not a valid quote request (1 problem):"),
        ],
    )
    def test_malformed_json_names_line_and_column(self, text: str, says: str) -> None:
        """Text that is not JSON (or not an object) exits 2 and says where it breaks."""
        result = run_pulseshop("price", "-", stdin=text, env=environment())

        assert 2 == result.returncode
        assert f"pulseshop: error: stdin {says}" in result.stderr
        assert "Traceback" not in result.stderr

    def test_a_file_that_is_not_utf8(self, tmp_path: Path) -> None:
        """Bytes that are not UTF-8 are refused with the file's name."""
        path = tmp_path / "latin1.json"
        path.write_bytes(b'{"currency": "EUR", "lines": [{"sku": "caf\xe9"}]}')

        result = run_pulseshop("price", str(path), env=environment())

        assert 2 == result.returncode
        assert f"{path} is not UTF-8 text: line 1, byte 42 cannot be decoded" in result.stderr

    def test_a_missing_file(self, tmp_path: Path) -> None:
        """A file that does not exist is a usage error naming it."""
        result = run_pulseshop("price", str(tmp_path / "nope.json"), env=environment())

        assert 2 == result.returncode
        assert "No such file or directory" in result.stderr
        assert "nope.json" in result.stderr


class TestRepl:
    def test_a_what_if_session(self, cart_file: Path, tmp_path: Path) -> None:
        """Load a file, change a rate and a quantity, compare, save; mistakes are one line."""
        saved = tmp_path / "changed.json"
        session = "\n".join(
            [
                "before = price(request)",
                'changed = with_quantity(with_rate(request, "standard", "0.21"), "TEA-7", 4)',
                "compare(before, price(changed))",
                f"save(changed, {str(saved)!r}).name",
                'with_rate(request, "standard", "lots")',
                'with_rounding(request, "sideways")',
                'without_line(request, "NOPE")',
                "show(before)",
            ]
        )
        result = run_pulseshop("repl", str(cart_file), stdin=session, env=environment())

        assert 0 == result.returncode, result.stderr
        out = result.stdout + result.stderr
        assert "PulseShop pricing session" in out
        assert "TEA-7 x3 → x4   EUR 14.24   EUR 18.99   +EUR 4.75" in out
        assert "total           EUR 43.04   EUR 48.03   +EUR 4.99" in out
        assert "'changed.json'" in out
        assert "error: rate must be a decimal like '0.21', not 'lots'" in out
        assert "error: mode must be one of 'half_even'" in out
        assert "lines: no line has SKU 'NOPE'" in out
        assert "subtotal EUR 37.50, discount EUR 0.00" in out
        assert "Traceback" not in out
        assert 4 == json.loads(saved.read_text(encoding="utf-8"))["lines"][1]["quantity"]

    def test_a_bad_request_file_stops_before_the_session(self, tmp_path: Path) -> None:
        """A file given on the command line is checked first, like `price` checks it."""
        path = tmp_path / "bad.json"
        path.write_text('{"currency": "EUR"}', encoding="utf-8")

        result = run_pulseshop("repl", str(path), env=environment())

        assert 2 == result.returncode
        assert f"pulseshop: error: {path} is not a valid quote request (" in result.stderr
        assert "  at: is required" in result.stderr
