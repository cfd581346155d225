"""The `pulseshop` console script.

The script comes with every install, but the command line needs the `service`
extra; without it, say so in one line instead of a traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point of the `pulseshop` script."""
    try:
        from pulseshop.shell.cli import main as cli_main  # noqa: PLC0415 - see module docstring
    except ModuleNotFoundError as missing:
        sys.stderr.write(
            f"pulseshop: error: the command line needs the service extra ({missing.name} is not "
            "installed): pip install 'pulseshop[service]'\n"
        )
        raise SystemExit(1) from None
    raise SystemExit(cli_main())
