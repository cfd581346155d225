"""The channels through the official phoenix.js client under Node, against the real service
on a real port: presence, the order feed, refused joins, catching up with ``last_seen_id``
and a refused token (the scenarios in tests/js/), and the Node example of docs/channels.md
run as the page shows it.

Each scenario exits non-zero with a message on stderr at the first mismatch, and otherwise
prints a JSON summary as its last line, which the test checks again. Node and the packages
tests/js/package-lock.json pins (installed by ``make test`` with ``npm ci``) are needed: a
skip without them, a failure under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import httpx2
import pytest

from pulseshop.adapters.postgres import PostgresDatabase
from pulseshop.shell.channels.connection import MAX_PENDING, SLOW_CLIENT
from pulseshop.shell.channels.frames import MAX_FRAME_CHARACTERS
from pulseshop.shell.channels.hub import MAX_REPLAY
from pulseshop.shell.channels.socket import (
    HEARTBEAT_TIMEOUT,
    INVALID_DATA,
    NORMAL,
    TOO_BIG,
    UNSUPPORTED_DATA,
)
from pulseshop.shell.config import DEFAULT_CHANNEL_HEARTBEAT_SECONDS, Settings
from pulseshop.shell.web import create_app
from tests.support.live_server import live_server
from tests.support.services import missing_service
from tests.support.shop import stock_product, user_with_token

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from pulseshop.adapters.postgres import PostgresUrl
    from pulseshop.core.access import Role

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

JS_DIR: Final = Path(__file__).parents[1] / "js"
CHANNELS_DOC: Final = Path(__file__).parents[2] / "docs" / "channels.md"
NODE_VERSION: Final = re.compile(r"v(2\d|[3-9]\d|\d{3,})\.\d+\.\d+")
"""What ``node --version`` prints for Node.js 20 or later."""
NODE_SECONDS: Final = 60.0
"""The longest a Node process may run (each scenario gives up on its own well before)."""
WAIT: Final = 5.0
"""Seconds to wait for a line the page's example must print."""
SKU: Final = "TEA-DARJ-100"
PEOPLE: Final[Mapping[str, Role]] = {
    "SUE": "staff",
    "TOM": "staff",
    "ANN": "customer",
    "BOB": "customer",
}
# The fenced ```js block after `<!-- runs-in-tests -->`, and the first ```text block after
# it: what the example prints.
RUNS_IN_TESTS: Final = re.compile(
    r"<!-- runs-in-tests -->\n```js\n(?P<code>.*?)```\n.*?```text\n(?P<output>.*?)```", re.DOTALL
)
# A whole number that is not part of a decimal amount: an id, which varies from run to run.
AN_ID: Final = re.compile(r"(?<![\d.])\d+(?![\d.])")
CLOSE_CODE_ROW: Final = re.compile(r"^\| (\d{4}) \|", re.MULTILINE)


class Person(NamedTuple):
    id: int
    token: str


class LiveShop(NamedTuple):
    """The service on a real port, and its people by the names the scenarios use."""

    base_url: str
    people: Mapping[str, Person]

    def environ(self) -> dict[str, str]:
        """What a scenario reads: the URL, the product to buy, each person's id and token."""
        environ = {**os.environ, "PULSESHOP_URL": self.base_url, "PULSESHOP_SKU": SKU}
        for name, person in self.people.items():
            environ |= {f"{name}_ID": str(person.id), f"{name}_TOKEN": person.token}
        return environ


class NodeRun(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def node() -> str:
    """The node command, once tests/js holds the packages its lock pins."""
    command = shutil.which("node")
    version = "none"
    if command is not None:
        version = subprocess.run(
            [command, "--version"], capture_output=True, text=True, check=False, timeout=30
        ).stdout.strip()
    if command is None or not NODE_VERSION.fullmatch(version):
        missing_service(f"Node.js 20 or later (found: {version})")
        raise AssertionError("missing_service skips or fails")
    lock = json.loads((JS_DIR / "package-lock.json").read_text())
    for package in ("phoenix", "ws"):
        manifest = JS_DIR / "node_modules" / package / "package.json"
        if not manifest.is_file():
            missing_service("tests/js/node_modules (`make test` installs it with npm ci)")
        pinned = lock["packages"][f"node_modules/{package}"]["version"]
        installed = json.loads(manifest.read_text())["version"]
        if pinned != installed:
            pytest.fail(
                f"tests/js/node_modules holds {package} {installed}, package-lock.json pins "
                f"{pinned}: run `make test` (or `npm ci` in tests/js)"
            )
    return command


@pytest.fixture
async def shop(database: PostgresDatabase, database_url: PostgresUrl) -> AsyncIterator[LiveShop]:
    """The service with the tea in stock, two staff members and two customers."""
    await stock_product(database, SKU, stock=50)
    people = {
        name: Person(*await user_with_token(database, f"{name.lower()}@example.com", role))
        for name, role in PEOPLE.items()
    }
    app = create_app(
        PostgresDatabase(database_url, min_size=1, max_size=10), Settings.from_environ({})
    )
    async with live_server(app) as base_url:
        yield LiveShop(base_url, people)


async def run_node(
    node: str, *arguments: str, environ: Mapping[str, str], stdin: str | None = None
) -> NodeRun:
    """``node ARGUMENTS`` in tests/js (where "phoenix" and "ws" resolve), to its end."""
    process = await asyncio.create_subprocess_exec(
        node,
        *arguments,
        cwd=JS_DIR,
        env=dict(environ),
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(NODE_SECONDS):
            stdout, stderr = await process.communicate(
                stdin.encode() if stdin is not None else None
            )
    except TimeoutError:
        process.kill()
        _stdout, stderr = await process.communicate()
        pytest.fail(f"node {' '.join(arguments)} ran over {NODE_SECONDS:g} s:\n{stderr.decode()}")
    assert process.returncode is not None
    return NodeRun(process.returncode, stdout.decode(), stderr.decode())


async def scenario(node: str, shop: LiveShop, script: str) -> dict[str, Any]:
    """The summary ``script`` prints, once it exited 0."""
    result = await run_node(node, script, environ=shop.environ())

    assert 0 == result.returncode, f"{script} failed:\n{result.stderr}{result.stdout}"
    summary: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return summary


class TestPresence:
    async def test_staff_on_the_lobby_see_each_other_come_and_go(
        self, node: str, shop: LiveShop
    ) -> None:
        """Presence.list shows both staff members to each; a second connection is a second
        meta of the same key; after one disconnects the other sees only themself."""
        sue, tom = shop.people["SUE"], shop.people["TOM"]

        summary = await scenario(node, shop, "presence.mjs")

        both = {str(sue.id): 1, str(tom.id): 1}
        assert both == summary["sue_saw"]
        assert both == summary["tom_saw"]
        assert {str(sue.id): 2, str(tom.id): 1} == summary["two_tabs"]
        emails = {str(sue.id): "sue@example.com", str(tom.id): "tom@example.com"}
        assert emails == summary["emails"]
        assert {str(sue.id): 1} == summary["after_tom_left"]


class TestOrderFeed:
    async def test_a_checkout_reaches_the_lobby_and_its_buyer_only(
        self, node: str, shop: LiveShop
    ) -> None:
        """order_created on orders:lobby and orders:<buyer>, never on another customer's
        topic; the capture that follows is order_updated on the same two."""
        ann = shop.people["ANN"]

        summary = await scenario(node, shop, "order_feed.mjs")

        created = summary["ann"]["created"]
        assert [summary["ann_order"], summary["bob_order"]] == summary["lobby"]["created"]
        assert [(summary["ann_order"], ann.id, "pending_payment", "14.29", "EUR")] == [
            (e["order_id"], e["user_id"], e["status"], e["total"], e["currency"]) for e in created
        ]
        assert [summary["ann_order"]] == summary["ann"]["updated"]
        assert "paid" == summary["lobby"]["updated"][0]["status"]
        assert [summary["bob_order"]] == summary["bob"]["created"]
        assert [] == summary["bob"]["updated"]


class TestJoins:
    async def test_a_customer_is_refused_the_lobby_and_other_users_topics(
        self, node: str, shop: LiveShop
    ) -> None:
        """receive("error") with reason unauthorized; their own topic joins, and the socket
        still answers a ping."""
        ann, bob = shop.people["ANN"], shop.people["BOB"]

        summary = await scenario(node, shop, "refused_joins.mjs")

        assert [
            {"topic": "orders:lobby", "status": "error", "reason": "unauthorized"},
            {"topic": f"orders:{bob.id}", "status": "error", "reason": "unauthorized"},
            {"topic": f"orders:{ann.id}", "status": "ok", "reason": None},
        ] == summary["replies"]
        assert summary["ping_answered"]


class TestCatchingUp:
    async def test_last_seen_id_replays_exactly_the_missed_events_in_order(
        self, node: str, shop: LiveShop
    ) -> None:
        """The automatic rejoin after a reconnect carries last_seen_id and is sent the
        user's missed events; the lobby is sent all of them; then live events resume."""
        summary = await scenario(node, shop, "replay.mjs")

        seen, missed = summary["seen_before_leaving"], summary["missed"]
        assert [{}, {"last_seen_id": seen}] == summary["ann_join_params"]
        assert [missed[0], missed[2]] == summary["ann_replayed"]
        assert {"last_event_id": missed[-1], "replayed": 2, "replay_complete": True} == summary[
            "ann_rejoin_reply"
        ]
        assert missed == summary["lobby_replayed"]
        assert (3, True) == (
            summary["lobby_reply"]["replayed"],
            summary["lobby_reply"]["replay_complete"],
        )
        assert [seen, missed[0], missed[2]] == summary["ann_events"][:3]
        assert [*missed, summary["ann_events"][3]] == summary["lobby_events"]
        assert 4 == len(summary["ann_events"])


class TestConnect:
    async def test_a_bad_token_fails_to_connect(self, node: str, shop: LiveShop) -> None:
        """The upgrade is refused with 401: onError fires, within the scenario's wait, and
        the socket never opens."""
        summary = await scenario(node, shop, "bad_token.mjs")

        assert "401" in summary["error"]
        assert not summary["opened"]
        assert summary["error_within_ms"] < 5000


def _page_example() -> tuple[str, str]:
    """The Node example of docs/channels.md and the output it shows."""
    found = RUNS_IN_TESTS.findall(CHANNELS_DOC.read_text())
    assert 1 == len(found), "docs/channels.md shows one example marked runs-in-tests"
    code, output = found[0]
    return code, output


async def _checkout(base_url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(base_url=base_url, headers=headers) as http:
        added = await http.post("/api/v1/cart/items", json={"sku": SKU, "quantity": 1})
        assert 200 == added.status_code, added.text
        placed = await http.post(
            "/api/v1/checkout",
            headers={"Idempotency-Key": "docs-example-1"},
            json={"payment_token": "tok_ok"},
        )
        assert 201 == placed.status_code, placed.text


class TestTheChannelsPage:
    async def test_the_node_example_prints_what_the_page_shows(
        self, node: str, shop: LiveShop
    ) -> None:
        """Run with a staff token, it prints its join, then the order a customer places;
        the page shows the same lines (ids aside)."""
        code, shown = _page_example()
        environ = {
            **os.environ,
            "PULSESHOP_SOCKET_URL": shop.base_url.replace("http://", "ws://") + "/socket",
            "PULSESHOP_TOKEN": shop.people["SUE"].token,
        }
        process = await asyncio.create_subprocess_exec(
            node,
            "--input-type=module",
            cwd=JS_DIR,
            env=environ,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stdin is not None
        assert process.stdout is not None
        printed = []
        try:
            process.stdin.write(code.encode())
            await process.stdin.drain()
            process.stdin.close()
            async with asyncio.timeout(WAIT):
                printed.append((await process.stdout.readline()).decode())
            await _checkout(shop.base_url, shop.people["ANN"].token)
            async with asyncio.timeout(WAIT):
                printed.append((await process.stdout.readline()).decode())
        finally:
            if process.returncode is None:
                process.terminate()
            _rest, stderr = await process.communicate()

        assert AN_ID.sub("N", shown) == AN_ID.sub("N", "".join(printed)), stderr.decode()
        assert f"of user {shop.people['ANN'].id}," in printed[1]

    async def test_the_node_example_is_refused_with_a_customer_token(
        self, node: str, shop: LiveShop
    ) -> None:
        """As the page says: `refused: unauthorized` on stderr, and exit code 1."""
        code, _shown = _page_example()
        environ = {
            **os.environ,
            "PULSESHOP_SOCKET_URL": shop.base_url.replace("http://", "ws://") + "/socket",
            "PULSESHOP_TOKEN": shop.people["ANN"].token,
        }

        result = await run_node(node, "--input-type=module", environ=environ, stdin=code)

        assert (1, "refused: unauthorized\n") == (result.returncode, result.stderr)

    def test_the_close_codes_and_limits_are_the_services(self) -> None:
        """The page's close codes, timeout and limits are those the service uses."""
        page = CHANNELS_DOC.read_text()

        assert [NORMAL, UNSUPPORTED_DATA, INVALID_DATA, SLOW_CLIENT, TOO_BIG] == [
            int(code) for code in CLOSE_CODE_ROW.findall(page)
        ]
        assert HEARTBEAT_TIMEOUT == DEFAULT_CHANNEL_HEARTBEAT_SECONDS == 60
        assert "(60 s by default)" in page
        assert "| `PULSESHOP_CHANNEL_HEARTBEAT_SECONDS` | `60` |" in page
        assert (1_000, 1_000, 64 * 1024) == (MAX_PENDING, MAX_REPLAY, MAX_FRAME_CHARACTERS)
        assert "more than 1,000 frames behind" in page
        assert "at most 1,000 events" in page
        assert "a frame over 64 KiB" in page
