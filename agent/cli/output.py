"""How the command line prints what a command did."""

from __future__ import annotations

import json


def print_json(value: object) -> None:
    """Print ``value`` as the indented JSON every ``--json`` option promises."""
    print(json.dumps(value, indent=2))
