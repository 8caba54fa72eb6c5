"""The park slots and timeout, kept as one system setting (agent/park).

The SIP routing inside Kamailio reads the row (``system_setting``, key
``park``) with plain sqlite3, so this module uses the standard library only
and the value is plain JSON: the first slot's number, how many slots follow
it, and the timeout in seconds.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass

#: The system_setting key.
KEY = "park"
#: Eight slots, one row of lamps on a desk phone; four digits, as short
#: internal numbers (7xx) are often extensions already.
DEFAULT_FIRST = "7001"
DEFAULT_COUNT = 8
#: A parked call forgotten for this long rings its parker again.
DEFAULT_TIMEOUT_S = 120
COUNT_RANGE = (1, 50)
TIMEOUT_RANGE_S = (10, 3600)
DIGITS_RANGE = (2, 6)


@dataclass(frozen=True)
class ParkSettings:
    first: str = DEFAULT_FIRST
    count: int = DEFAULT_COUNT
    timeout_s: int = DEFAULT_TIMEOUT_S

    @property
    def slots(self) -> list[str]:
        """Every slot number, in order; leading zeros and width kept."""
        width = len(self.first)
        start = int(self.first)
        return [str(start + i).zfill(width) for i in range(self.count)]

    def to_dict(self) -> dict:
        return {**asdict(self), "slots": self.slots}

    @classmethod
    def parse(cls, text: str | None) -> ParkSettings:
        """The stored value; the defaults for none, or one that does not read."""
        if not text:
            return cls()
        try:
            body = json.loads(text)
            return cls(str(body["first"]), int(body["count"]), int(body["timeout_s"]))
        except (ValueError, KeyError, TypeError):
            return cls()


def read(con: sqlite3.Connection) -> ParkSettings:
    """The settings from a plain sqlite3 connection (the SIP routing's)."""
    try:
        row = con.execute(
            "SELECT value FROM system_setting WHERE key = ?", (KEY,)
        ).fetchone()
    except sqlite3.Error:
        return ParkSettings()
    return ParkSettings.parse(row[0] if row else None)
