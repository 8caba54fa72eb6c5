"""How the command line declares its subcommands."""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from agent.errors import InvalidInput

#: The services name an extension's number ``extension``; the commands keep
#: it in the argument ``number``, shown as ``extension`` (``edgepbx extension
#: dnd extension on``), as the README and the API name it.
EXTENSION_ARGUMENT = {"extension": "number"}


def one_of(
    parser: argparse.ArgumentParser,
    name: str,
    choices: tuple[str, ...] | list[str],
    help: str,
    **kwargs,
) -> None:
    """A positional argument that takes one of choices, called ``name`` in
    the usage line and in every refusal alike (``state``, "on or off"), as
    the commands whose service checks the value call theirs: argparse would
    show the choices in the usage line and name the argument by its dest
    when it is missing."""
    parser.add_argument(name, choices=choices, metavar=name, help=help, **kwargs)


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


def fields_named(parser: argparse.ArgumentParser, dests: dict[str, str]) -> None:
    """Declare the service fields a command feeds from arguments of another
    name, field to ``dest``: ``{"ring_s": "ring_time"}``, so that a refusal
    of ``ring_s`` names ``--ring-time``. A field named as an argument's
    ``dest`` needs no declaration; declare after adding the arguments."""
    known = {action.dest for action in parser._actions}
    unknown = set(dests.values()) - known
    if unknown:
        raise ValueError(f"{parser.prog}: no argument for {', '.join(sorted(unknown))}")
    parser.set_defaults(fields_as_dests=dests)


def option_of(parser: argparse.ArgumentParser, field: str) -> str | None:
    """The argument of a command that feeds a service's field: its long
    option, or a positional argument as ``--help`` shows it.

    The field's ``dest`` is as declared with ``fields_named``, else the field
    itself. A field within a value (``dns[0]``, ``choices.1``, ``sip.allow``)
    is looked up whole, then by its first part, then by its last.
    """
    declared = parser.get_default("fields_as_dests") or {}
    parts = [part for part in re.split(r"[.\[\]]", field) if part] or [field]
    for name in dict.fromkeys([field, parts[0], parts[-1]]):
        dest = declared.get(name, name)
        for action in parser._actions:
            if action.dest != dest or action.help == argparse.SUPPRESS:
                continue
            if action.option_strings:
                long = [o for o in action.option_strings if o.startswith("--")]
                return (long or action.option_strings)[0]
            return action.metavar if isinstance(action.metavar, str) else dest
    return None


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
