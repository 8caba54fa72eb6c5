"""How the command line declares its subcommands."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from agent.errors import InvalidInput


def command(
    subparsers: argparse._SubParsersAction, name: str, handler: Callable, help: str
) -> argparse.ArgumentParser:
    """Add subcommand ``name`` run by ``handler``, with the usual ``--json``."""
    p = subparsers.add_parser(name, help=help, description=help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=handler)
    return p


@contextlib.contextmanager
def options_named(options: dict[str, str]) -> Iterator[None]:
    """Refusals of the service name the CLI's option, not the API's field:
    ``{"max_days": "--days"}`` turns ``max_days "0": …`` into ``--days "0": …``."""
    try:
        yield
    except InvalidInput as exc:
        if exc.field not in options:
            raise
        raise exc.renamed(options[exc.field]) from None


def whole_number(text: str) -> int:
    """An option's whole number: the digits 0 to 9 only, as int() also
    reads other scripts' digits ("٣" would be 3)."""
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number (digits 0 to 9)"
        )
    return int(text)


def text_file(name: str, *, field: str = "file") -> str:
    """The text of a file named on the command line, or of standard input
    for "-": UTF-8, a leading byte-order mark dropped. Text in another
    encoding is refused with the line and byte where it stops being UTF-8."""
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise InvalidInput(field, name, f"cannot be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidInput(
            field,
            name,
            f"not UTF-8 text (line {line}: byte 0x{data[exc.start]:02x}); "
            "save it as UTF-8",
        ) from None
