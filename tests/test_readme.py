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
PULSESHOP_COMMAND = re.compile(r"^\.venv/bin/pulseshop (?P<args>[^#]*)")
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
        """Each `.venv/bin/pulseshop COMMAND ...` in the README names a real command."""
        commands = {
            tuple(word for word in match["args"].split() if not word.startswith(("-", "docs/")))
            for line in README.read_text().splitlines()
            if (match := PULSESHOP_COMMAND.match(line))
        }

        assert {("db", "status"), ("price",), ("repl",), ("migrate",)} <= commands
        for command in commands:
            result = run_pulseshop(*command, "--help", env=environment())
            assert 0 == result.returncode, (command, result.stderr)

    def test_the_priced_example_has_the_total_shown(self) -> None:
        """`pulseshop price` on the tour's example prints the total the README shows."""
        line = next(line for line in README.read_text().splitlines() if " price docs/" in line)
        path = line.split()[2]
        shown = re.search(r'"total": "([0-9.]+)"', line)

        result = run_pulseshop("price", str(README.parent / path), env=environment())

        assert shown is not None
        assert 0 == result.returncode, result.stderr
        assert shown[1] == json.loads(result.stdout)["total"]
