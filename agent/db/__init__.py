"""The appliance's one configuration database: SQLite through peewee.

WAL mode lets Kamailio read subscribers while the agent writes; every
connection waits for a busy writer instead of failing at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import peewee

# Kamailio and the agent share the file; a writer holds the lock for a few
# milliseconds, so five seconds of patience only matters under real trouble.
BUSY_TIMEOUT_MS = 5000

PRAGMAS = {
    "journal_mode": "wal",
    # In WAL mode NORMAL loses no committed data on a process crash and
    # spares the SD card a sync per transaction; only a power cut can lose
    # the last transactions, never corrupt the file.
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_MS,
}

# Every transaction takes the write lock when it begins (BEGIN IMMEDIATE),
# where the busy timeout waits for it. A deferred transaction that reads and
# then writes asks for the lock mid-way; in WAL mode, when another process
# committed since its read, SQLite cannot wait (the read snapshot is stale)
# and fails at once with "database is locked", whatever the busy timeout.
# The service layer's transactions all check before they write, and are
# short, so taking the lock up front costs nothing but that failure.
LOCK_TYPE = "IMMEDIATE"

database = peewee.DatabaseProxy()

T = TypeVar("T")
M = TypeVar("M", bound=peewee.Model)


def open_database(path: Path) -> peewee.SqliteDatabase:
    """Open (creating if needed) the database at path and bind the models."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = peewee.SqliteDatabase(
        str(path), pragmas=PRAGMAS, check_same_thread=False, lock_type=LOCK_TYPE
    )
    db.connect(reuse_if_open=True)
    database.initialize(db)
    return db


@dataclass(frozen=True)
class Saved(Generic[T]):
    """What a create-or-update wrote, and whether it made the row new (an
    API answers 201 then, 200 otherwise)."""

    info: T
    created: bool


@dataclass
class Upsert(Generic[M]):
    """The row a create-or-update writes: the stored one, or a new one."""

    row: M
    created: bool


@contextmanager
def upsert(model: type[M], where: peewee.Expression, **new: Any) -> Iterator[Upsert[M]]:
    """Begin a write transaction and give the row that ``where`` selects, or a
    new unsaved row made of ``new`` if there is none; the block changes and
    saves it, and the transaction ends with the block.

    Looking for the row inside the transaction that writes it is what makes
    the create-or-update safe when two requests for the same row run at once:
    the transaction begins by taking the write lock (``LOCK_TYPE``), so the
    second waits for the first to commit and then finds its row, instead of
    both finding none and the second failing on the unique column.
    """
    with database.atomic():
        row = model.get_or_none(where)
        yield Upsert(model(**new) if row is None else row, row is None)
