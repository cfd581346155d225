"""The README's tour answers what the README says it answers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.processes import environment, run_pulseshop, serving

if TYPE_CHECKING:
    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parent.parent / "README.md"
# `curl -s localhost:8000/PATH     # {"json": ...}: what it means`
CURL_WITH_ANSWER = re.compile(r"^curl -s localhost:8000(?P<path>/\S+)\s+# (?P<json>\{.*\})")
DOCUMENTED_VARIABLE = re.compile(r"^\| `(?P<name>[A-Z_]+)` \|")


def _tour_calls() -> list[tuple[str, object]]:
    calls = []
    for line in README.read_text().splitlines():
        match = CURL_WITH_ANSWER.match(line)
        if match:
            answer, _end = json.JSONDecoder().raw_decode(match["json"])
            calls.append((match["path"], answer))
    return calls


class TestReadme:
    def test_the_tour_has_documented_answers(self) -> None:
        """The tour shows at least the two probes with their answers."""
        assert {"/healthz", "/readyz"} <= {path for path, _answer in _tour_calls()}

    def test_tour_answers_match_a_running_service(self, database_url: PostgresUrl) -> None:
        """Each `curl` in the tour gets exactly the JSON shown beside it."""
        with serving(environment(DATABASE_URL=database_url.text)) as service:
            service.wait_ready()
            actual = {path: service.get(path).json() for path, _answer in _tour_calls()}

        assert dict(_tour_calls()) == actual

    def test_every_variable_the_code_reads_is_documented(self) -> None:
        """The configuration table names every variable `Settings` reads."""
        documented = {
            match["name"]
            for line in README.read_text().splitlines()
            if (match := DOCUMENTED_VARIABLE.match(line))
        }
        source = (README.parent / "shell/pulseshop/shell/config.py").read_text()
        read = set(re.findall(r'environ\.get\("([A-Z_]+)"', source))

        assert read <= documented

    def test_every_command_in_the_tour_exists(self) -> None:
        """`pulseshop db status` and `pulseshop --help` are real commands."""
        assert 0 == run_pulseshop("db", "status", "--help", env=environment()).returncode
