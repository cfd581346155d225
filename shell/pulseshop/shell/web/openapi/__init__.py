"""The service's OpenAPI 3.1 document, assembled from the YAML fragments in this package.

``common.yaml`` is the frame: the ``openapi`` version, ``info``, the security scheme, and
the components every part of the API shares (the ``Error`` schema, the error responses,
the paging parameters). Every other ``*.yaml`` file, in sorted order, is a fragment that
describes one part of the API: a mapping with ``paths`` and, optionally, ``components``
holding ``schemas``, ``parameters`` or ``responses``. Fragments are merged into the frame;
a path or a component that two files define is an error naming both, so each part of the
API is described once, by the file that owns it.

A new endpoint is documented by adding a fragment beside these: nothing here lists them.
"""

from __future__ import annotations

import functools
from importlib import metadata, resources
from typing import TYPE_CHECKING, Final, final

import yaml

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["COMMON", "OpenApiFragmentError", "assemble_document", "openapi_document"]

COMMON: Final = "common.yaml"
"""The frame every fragment is merged into."""

FRAGMENT_KEYS: Final = frozenset({"paths", "components"})
COMPONENT_SECTIONS: Final = frozenset({"schemas", "parameters", "responses"})


@final
class OpenApiFragmentError(Exception):
    """A fragment cannot be merged: it is malformed, or defines what another file did."""


@functools.cache
def openapi_document() -> dict[str, object]:
    """The document the service serves at ``/openapi.json``, read once per process.

    Callers must not change it: every caller gets the same dictionary.
    """
    document = assemble_document(resources.files(__name__))
    info = document["info"]
    assert isinstance(info, dict)  # noqa: S101 - assemble_document checked it
    info["version"] = metadata.version("pulseshop")
    return document


def assemble_document(directory: Traversable) -> dict[str, object]:
    """The frame in ``directory`` with every other ``*.yaml`` file there merged in.

    Raises:
        OpenApiFragmentError: a file is not a mapping of the allowed keys, or a path or
            component is defined by two files (both are named).
    """
    document = _load(directory / COMMON)
    if not isinstance(document.get("info"), dict):
        raise OpenApiFragmentError(f"{COMMON}: `info` must be a mapping")
    paths = _section(document, "paths", COMMON)
    components = _section(document, "components", COMMON)
    owners: dict[tuple[str, str], str] = {("paths", path): COMMON for path in paths}
    for section, named in components.items():
        if section in COMPONENT_SECTIONS and isinstance(named, dict):
            owners.update({(section, name): COMMON for name in named})
    fragments = sorted(
        (entry for entry in directory.iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    for entry in fragments:
        if entry.name == COMMON:
            continue
        fragment = _load(entry)
        unknown = sorted(set(fragment) - FRAGMENT_KEYS)
        if unknown or "paths" not in fragment:
            raise OpenApiFragmentError(
                f"{entry.name}: a fragment holds `paths` and optionally `components`"
                + (f", not {', '.join(unknown)}" if unknown else "")
            )
        _merge(paths, _section(fragment, "paths", entry.name), "paths", entry.name, owners)
        parts = _section(fragment, "components", entry.name)
        extra = sorted(set(parts) - COMPONENT_SECTIONS)
        if extra:
            raise OpenApiFragmentError(
                f"{entry.name}: components may hold {', '.join(sorted(COMPONENT_SECTIONS))}, "
                f"not {', '.join(extra)}"
            )
        for section in sorted(parts):
            merged = _section(components, section, COMMON)
            _merge(merged, _section(parts, section, entry.name), section, entry.name, owners)
    return document


def _load(entry: Traversable) -> dict[str, object]:
    try:
        loaded = yaml.safe_load(entry.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise OpenApiFragmentError(f"{entry.name}: not YAML: {error}") from None
    if not isinstance(loaded, dict):
        raise OpenApiFragmentError(f"{entry.name}: must be a mapping")
    return loaded


def _section(parent: dict[str, object], key: str, source: str) -> dict[str, object]:
    """``parent[key]``, a mapping (created empty when absent)."""
    value = parent.setdefault(key, {})
    if value is None:
        value = parent[key] = {}
    if not isinstance(value, dict):
        raise OpenApiFragmentError(f"{source}: `{key}` must be a mapping")
    return value


def _merge(
    into: dict[str, object],
    new: dict[str, object],
    section: str,
    source: str,
    owners: dict[tuple[str, str], str],
) -> None:
    for name, value in new.items():
        owner = owners.get((section, name))
        if owner is not None:
            kind = "path" if section == "paths" else f"component {section}"
            raise OpenApiFragmentError(f"{kind} {name!r} is defined in both {owner} and {source}")
        owners[section, name] = source
        into[name] = value
