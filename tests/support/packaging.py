"""Building the wheel and installing it, without extras, into a clean virtualenv."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"


def build_wheel(out_dir: Path) -> Path:
    """``pip wheel .`` of the project (no dependencies); returns the one wheel built."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out_dir), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    wheels = sorted(out_dir.glob("pulseshop-*.whl"))
    if len(wheels) != 1:
        raise AssertionError(f"expected one wheel, found {wheels}")
    return wheels[0]


def clean_venv(directory: Path, wheel: Path) -> Path:
    """A new virtualenv with the wheel installed and no extras; returns its python."""
    venv.EnvBuilder(with_pip=True, clear=True).create(directory)
    python = directory / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-c", str(CONSTRAINTS), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    return python
