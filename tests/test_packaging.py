"""The distribution: one wheel, three namespace portions, a core with two dependencies."""

from __future__ import annotations

import email
import json
import subprocess
import zipfile
from typing import TYPE_CHECKING

import pytest

from tests.support.packaging import ROOT, build_wheel, clean_venv

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once for this module."""
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def core_only_python(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean virtualenv's python with `pip install pulseshop` (no extras) done."""
    return clean_venv(tmp_path_factory.mktemp("venv"), wheel)


class TestWheel:
    def test_holds_three_portions_and_no_namespace_init(self, wheel: Path) -> None:
        """core, adapters and shell are in; pulseshop/__init__.py is not."""
        names = set(zipfile.ZipFile(wheel).namelist())

        for ring in ("core", "adapters", "shell"):
            assert f"pulseshop/{ring}/__init__.py" in names
            assert f"pulseshop/{ring}/py.typed" in names
        assert "pulseshop/__init__.py" not in names
        assert any(
            name.startswith("pulseshop/adapters/postgres/schema/versions/") for name in names
        )

    def test_requires_only_attrs_and_returns_without_extras(self, wheel: Path) -> None:
        """The core's dependencies are attrs and returns; everything else is behind an extra."""
        archive = zipfile.ZipFile(wheel)
        metadata_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(metadata_name))
        requirements = metadata.get_all("Requires-Dist") or []

        unconditional = sorted(r.split(">")[0].split("=")[0] for r in requirements if ";" not in r)
        extras = set(metadata.get_all("Provides-Extra") or [])

        assert ["attrs", "returns"] == unconditional
        assert {"service", "embedded", "dev", "load"} <= extras


class TestCoreOnlyInstall:
    def test_core_imports_without_the_service_libraries(self, core_only_python: Path) -> None:
        """`import pulseshop.core` works and pulls in neither starlette nor databases."""
        probe = (
            "import sys, pulseshop.core\n"
            "loaded = sorted({m.split('.')[0] for m in sys.modules})\n"
            "print(','.join(loaded))\n"
        )
        result = subprocess.run(
            [str(core_only_python), "-c", probe], capture_output=True, text=True, check=True
        )
        loaded = set(result.stdout.strip().split(","))

        assert "pulseshop" in loaded
        assert not loaded & {"starlette", "databases", "asyncpg", "sqlalchemy", "uvicorn"}

    def test_service_libraries_are_absent(self, core_only_python: Path) -> None:
        """Nothing but the core's dependencies was installed."""
        result = subprocess.run(
            [str(core_only_python), "-c", "import starlette"], capture_output=True, check=False
        )

        assert 0 != result.returncode

    def test_command_line_asks_for_the_service_extra(self, core_only_python: Path) -> None:
        """The `pulseshop` script says, in one line, which extra it needs."""
        script = core_only_python.parent / "pulseshop"

        result = subprocess.run(
            [str(script), "--help"], capture_output=True, text=True, check=False
        )

        assert 1 == result.returncode
        expected = (
            "pulseshop: error: the command line needs the service extra (click is not installed): "
            "pip install 'pulseshop[service]'"
        )
        assert [expected] == result.stderr.splitlines()

    def test_library_examples_run_on_the_wheel_alone(
        self, core_only_python: Path, tmp_path: Path
    ) -> None:
        """Every example in docs/library.md passes with only the wheel and its two dependencies."""
        probe = (
            "import doctest, json, sys, pulseshop.core\n"
            "flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS\n"
            "result = doctest.testfile(sys.argv[1], module_relative=False, optionflags=flags)\n"
            "print(json.dumps([result.attempted, result.failed, pulseshop.core.__file__]))\n"
        )
        result = subprocess.run(
            [str(core_only_python), "-c", probe, str(ROOT / "docs" / "library.md")],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )

        assert 0 == result.returncode, result.stderr
        attempted, failed, imported_from = json.loads(result.stdout.splitlines()[-1])
        assert 0 == failed, result.stdout
        assert attempted >= 30
        assert imported_from.startswith(str(core_only_python.parent.parent))
