"""How the command line prints what a command did."""

from __future__ import annotations

import json
import unicodedata


def print_json(value: object) -> None:
    """Print ``value`` as the indented JSON every ``--json`` option promises."""
    print(json.dumps(value, indent=2))


def _cells(char: str) -> int:
    """Terminal cells one character takes: none for a combining mark or a
    format character, two for a wide or full-width one (CJK, most emoji)."""
    if unicodedata.combining(char) or unicodedata.category(char) in {"Mn", "Me", "Cf"}:
        return 0
    return 2 if unicodedata.east_asian_width(char) in {"W", "F"} else 1


def cells(text: str) -> int:
    """Terminal cells text takes."""
    return sum(_cells(c) for c in text)


def padded(text: str, width: int) -> str:
    """text left-aligned in width terminal cells, as ``f"{text:<width}"``
    would be if every character took one cell."""
    return text + " " * max(width - cells(text), 0)


#: Between two columns of a listing.
COLUMN_GAP = "  "


def columns(rows: list[list[str]]) -> list[str]:
    """rows (each as long) as lines of aligned columns, each column as wide
    as its widest cell in terminal cells; the last column, which may be of
    any length, is not padded."""
    if not rows:
        return []
    widths = [max(map(cells, col)) for col in zip(*rows, strict=True)]
    lines = []
    for row in rows:
        shown = [padded(cell, width) for cell, width in zip(row, widths, strict=True)]
        lines.append(COLUMN_GAP.join([*shown[:-1], row[-1]]).rstrip())
    return lines
