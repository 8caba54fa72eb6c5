"""How the command line declares its subcommands."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def command(
    subparsers: argparse._SubParsersAction, name: str, handler: Callable, help: str
) -> argparse.ArgumentParser:
    """Add subcommand ``name`` run by ``handler``, with the usual ``--json``."""
    p = subparsers.add_parser(name, help=help, description=help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=handler)
    return p


def whole_number(text: str) -> int:
    """An option's whole number: the digits 0 to 9 only, as int() also
    reads other scripts' digits ("٣" would be 3)."""
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number (digits 0 to 9)"
        )
    return int(text)
