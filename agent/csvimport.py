"""Bulk import from CSV: every row checked, and all of a file or none of it.

A file is read whole (it is small: ``MAX_ROWS`` rows at most), each row
checked against the same rules as one-by-one adding, and written in one
transaction only when no row is wrong. A refused file reports every wrong
row by its line number and field, so it can be fixed in one go.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from agent.db import database
from agent.errors import InvalidInput, PbxError

#: A thousand-person office imports its extensions in one file.
MAX_ROWS = 5000
#: The largest file the web admin takes (``webadmin.bodies``).
MAX_BYTES = 1024 * 1024

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str | None
    message: str

    def to_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "error": self.message}


class ImportRefused(PbxError):
    """A file with wrong rows; nothing of it was imported."""

    kind = "import-refused"

    def __init__(self, errors: list[RowError]) -> None:
        shown = "; ".join(f"row {e.row}: {e.message}" for e in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"nothing imported: {shown}{more}", field="csv")
        self.errors = errors


def read_rows(
    text: str, columns: tuple[str, ...], required: tuple[str, ...]
) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with a header naming some of columns.

    Raises:
        InvalidInput: no header, an unknown or missing column, no rows, or
            more than MAX_ROWS of them.
    """
    if text.startswith("\ufeff"):
        text = text[1:]  # spreadsheets often save UTF-8 with a BOM
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    except csv.Error as exc:
        raise InvalidInput("csv", None, f"not CSV: {exc}") from None
    wanted = ",".join(columns)
    if not header or not set(header) & set(columns):
        # A first row naming no column at all is data: the header is missing.
        raise InvalidInput(
            "csv", None, f"needs a header row first, naming columns of {wanted}"
        )
    for name in header:
        if name not in columns:
            raise InvalidInput("csv", name, f"not a column here (one of {wanted})")
    for name in required:
        if name not in header:
            raise InvalidInput("csv", None, f"the header must name {name}")
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise InvalidInput("csv", None, f"at most {MAX_ROWS} rows")
            if None in row:
                rows.append((reader.line_num, {"": "more cells than columns"}))
                continue
            if not any((v or "").strip() for v in row.values()):
                continue  # a blank line
            rows.append(
                (reader.line_num, {k: (v or "").strip() for k, v in row.items()})
            )
    except csv.Error as exc:
        raise InvalidInput("csv", None, f"line {reader.line_num}: {exc}") from None
    if not rows:
        raise InvalidInput("csv", None, "the file has no rows")
    return rows


def import_all(
    rows: list[tuple[int, dict[str, str]]],
    check: Callable[[dict[str, str], set], T],
    write: Callable[[T], object],
) -> list:
    """Check every row (check sees the keys of the rows before it), then
    write them all in one transaction, or raise ImportRefused."""
    errors: list[RowError] = []
    checked: list[T] = []
    seen: set = set()
    for line, row in rows:
        if "" in row:
            errors.append(RowError(line, None, row[""]))
            continue
        try:
            checked.append(check(row, seen))
        except PbxError as exc:
            errors.append(RowError(line, exc.field, str(exc)))
    if errors:
        raise ImportRefused(errors)
    with database.atomic():
        return [write(item) for item in checked]
