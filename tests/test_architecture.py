"""The import-linter contracts hold, and they do fail on a bad import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(*python_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(path) for path in python_path)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def _tree_with(tmp_path: Path, ring: str, module: str, source: str) -> Path:
    """A copy of one ring's source tree with one extra module in it."""
    copy = tmp_path / ring
    shutil.copytree(ROOT / ring, copy)
    (copy / "pulseshop" / ring / f"{module}.py").write_text(source)
    return copy


class TestContracts:
    def test_the_real_tree_keeps_every_contract(self) -> None:
        """As committed, no contract is broken."""
        result = _lint_imports()

        assert 0 == result.returncode, result.stdout
        assert "0 broken" in result.stdout

    @pytest.mark.parametrize(
        ("ring", "source", "contract", "names"),
        [
            ("core", "import starlette\n", "The core is pure", "pulseshop.core._bad -> starlette"),
            ("core", "import os\n", "The core is pure", "pulseshop.core._bad -> os"),
            ("core", "import logging\n", "The core is pure", "pulseshop.core._bad -> logging"),
            (
                "core",
                "import pulseshop.shell.cli\n",
                "Rings",
                "pulseshop.core._bad -> pulseshop.shell",
            ),
            (
                "adapters",
                "import pulseshop.shell.config\n",
                "Rings",
                "pulseshop.adapters._bad -> pulseshop.shell",
            ),
        ],
    )
    def test_a_bad_import_breaks_a_contract(
        self, tmp_path: Path, ring: str, source: str, contract: str, names: str
    ) -> None:
        """A deliberately bad import fails the run and is named in the report."""
        tree = _tree_with(tmp_path, ring, "_bad", source)

        result = _lint_imports(tree)

        assert 0 != result.returncode
        broken = result.stdout.split("Broken contracts", 1)[1]
        assert contract in broken
        assert names in broken
