"""Business hours: is a time condition open at a given moment?

Used by the routing inside Kamailio (standard library only) and by the
agent to show the current state. The clock is an argument, so tests give
any moment they like.

    hours:    {"mon": [["09:00", "17:00"]], "tue": [...], ...}; a missing day
              is closed all day; "00:00"-"24:00" is the whole day
    holidays: [["2026-12-24", "2026-12-26"], ["2026-01-01", "2026-01-01"]],
              inclusive date ranges, closed all day
    mode:     "auto" follows hours and holidays; "open" and "closed" are the
              administrator forcing day or night mode by hand
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MODES = ("auto", "open", "closed")


def minutes(text: str) -> int:
    """ "09:30" -> 570; "24:00" is the end of the day. Raises ValueError."""
    hours, sep, mins = text.partition(":")
    digits = (hours + mins).isascii() and hours.isdigit() and mins.isdigit()
    if not sep or not digits or len(mins) != 2:
        raise ValueError(f'"{text}" is not a time like 09:30')
    value = int(hours) * 60 + int(mins)
    if int(mins) > 59 or value > 24 * 60:
        raise ValueError(f'"{text}" is not a time of day')
    return value


def is_open(
    hours: dict[str, list[list[str]]],
    holidays: list[list[str]],
    timezone: str,
    mode: str,
    now: dt.datetime,
) -> bool:
    """Whether the condition is open at ``now`` (an aware datetime)."""
    if mode == "open":
        return True
    if mode == "closed":
        return False
    local = now.astimezone(ZoneInfo(timezone))
    today = local.date().isoformat()
    for first, last in holidays:
        if first <= today <= last:
            return False
    minute = local.hour * 60 + local.minute
    for start, end in hours.get(DAYS[local.weekday()], []):
        if minutes(start) <= minute < minutes(end):
            return True
    return False
