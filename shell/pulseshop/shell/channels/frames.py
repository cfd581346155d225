"""Frames of the Phoenix Channels V2 JSON serializer (``vsn=2.0.0``, PROTOCOLS.md).

A frame is a JSON array ``[join_ref, ref, topic, event, payload]``: ``join_ref`` and
``ref`` are the client's (strings, or null; numbers are accepted and echoed back as
they came), ``topic`` and ``event`` are strings, ``payload`` an object.

>>> frame = decode('["1", "2", "orders:lobby", "phx_join", {}]')
>>> frame.topic, frame.event
('orders:lobby', 'phx_join')
>>> reply(frame, "ok", {})
'["1","2","orders:lobby","phx_reply",{"status":"ok","response":{}}]'
>>> decode('["1", "2", "orders:lobby"]')
Traceback (most recent call last):
...
pulseshop.shell.channels.frames.MalformedFrameError: a frame is an array of 5 items: \
join_ref, ref, topic, event, payload
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final, Literal, TypeAlias, final

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping

Ref: TypeAlias = str | int | None
"""A client's reference: echoed back exactly as it came."""

MAX_FRAME_CHARACTERS: Final = 64 * 1024
"""The longest text frame a client may send; a longer one closes the connection."""

MAX_NAME_CHARACTERS: Final = 256
"""The longest topic or event name."""

# Events of the protocol itself.
JOIN: Final = "phx_join"
LEAVE: Final = "phx_leave"
REPLY: Final = "phx_reply"
CLOSE: Final = "phx_close"
ERROR: Final = "phx_error"
HEARTBEAT: Final = "heartbeat"
PHOENIX_TOPIC: Final = "phoenix"

_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


@final
class MalformedFrameError(ValueError):
    """A text that is not a V2 frame; the message says what is wrong with it."""


@final
@attrs.frozen
class Frame:
    """One message from a client."""

    join_ref: Ref
    ref: Ref
    topic: str
    event: str
    payload: Mapping[str, object]


def _is_ref(value: object) -> bool:
    # bool is an int to Python but not a reference any client sends.
    return value is None or (isinstance(value, str | int) and not isinstance(value, bool))


def decode(text: str) -> Frame:
    """The frame ``text`` holds.

    Raises:
        MalformedFrameError: it is not JSON, not a 5-item array, or an item has the
            wrong type.
    """
    try:
        items = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedFrameError("a frame must be JSON") from None
    if not isinstance(items, list) or len(items) != 5:
        raise MalformedFrameError(
            "a frame is an array of 5 items: join_ref, ref, topic, event, payload"
        )
    join_ref, ref, topic, event, payload = items
    if not _is_ref(join_ref) or not _is_ref(ref):
        raise MalformedFrameError("join_ref and ref must be strings, numbers or null")
    for name, value in (("topic", topic), ("event", event)):
        if not isinstance(value, str) or not 0 < len(value) <= MAX_NAME_CHARACTERS:
            raise MalformedFrameError(
                f"{name} must be a string of 1 to {MAX_NAME_CHARACTERS} characters"
            )
    if not isinstance(payload, dict):
        raise MalformedFrameError("payload must be an object")
    return Frame(join_ref, ref, topic, event, payload)


def encode(join_ref: Ref, ref: Ref, topic: str, event: str, payload: object) -> str:
    """The text of a frame the server sends."""
    return _ENCODER.encode([join_ref, ref, topic, event, payload])


def reply(frame: Frame, status: Literal["ok", "error"], response: Mapping[str, object]) -> str:
    """The ``phx_reply`` to ``frame``, with its refs."""
    return encode(
        frame.join_ref,
        frame.ref,
        frame.topic,
        REPLY,
        {"status": status, "response": response},
    )
