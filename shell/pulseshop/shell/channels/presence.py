"""Who is on a topic: Phoenix Presence's state and diffs (PROTOCOLS.md).

A topic's presence maps keys (for us, user ids as text) to the metas of their
connections; each meta carries a ``phx_ref`` unique to that connection's join. The
client merges diffs by ``phx_ref`` and drops a key when its last meta leaves, so a diff
holds whole metas, and a state is what the client shows.

>>> lobby = TopicPresence()
>>> lobby.track("7", "r1", {"online_at": "2026-12-04T10:00:00+00:00"})
{'joins': {'7': {'metas': [{'online_at': '2026-12-04T10:00:00+00:00', 'phx_ref': 'r1'}]}}, \
'leaves': {}}
>>> lobby.untrack("7", "r1")
{'joins': {}, 'leaves': {'7': {'metas': [{'online_at': '2026-12-04T10:00:00+00:00', \
'phx_ref': 'r1'}]}}}
>>> lobby.state()
{}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, final

if TYPE_CHECKING:
    from collections.abc import Mapping

Meta: TypeAlias = "dict[str, object]"
"""What is shown of one connection: its ``phx_ref`` and what the server adds."""

Diff: TypeAlias = "dict[str, dict[str, dict[str, list[Meta]]]]"
"""``{"joins": {key: {"metas": [...]}}, "leaves": {key: {"metas": [...]}}}``."""


@final
class TopicPresence:
    """The presences of one topic on this node."""

    def __init__(self) -> None:
        self._metas: dict[str, dict[str, Meta]] = {}

    def __len__(self) -> int:
        """How many connections are present."""
        return sum(len(metas) for metas in self._metas.values())

    def track(self, key: str, phx_ref: str, meta: Mapping[str, object]) -> Diff:
        """``key`` is present through one more connection; returns the diff to broadcast."""
        shown: Meta = {**meta, "phx_ref": phx_ref}
        self._metas.setdefault(key, {})[phx_ref] = shown
        return {"joins": {key: {"metas": [shown]}}, "leaves": {}}

    def untrack(self, key: str, phx_ref: str) -> Diff | None:
        """The connection ``phx_ref`` of ``key`` left; the diff to broadcast, or None when
        it was not present."""
        metas = self._metas.get(key, {})
        shown = metas.pop(phx_ref, None)
        if not metas:
            self._metas.pop(key, None)
        if shown is None:
            return None
        return {"joins": {}, "leaves": {key: {"metas": [shown]}}}

    def state(self) -> dict[str, dict[str, list[Meta]]]:
        """Every key with the metas of its connections, as ``presence_state`` sends it."""
        return {key: {"metas": list(metas.values())} for key, metas in self._metas.items()}
