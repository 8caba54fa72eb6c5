"""A time zone's rule as phones take it: the POSIX TZ string of its TZif file.

A TZif file (RFC 8536) lists a zone's transitions; from version 2 on it
ends with a footer, a newline-enclosed POSIX TZ string that gives the rule
for every time after the last listed transition (RFC 8536 section 3.3): for
nearly every zone, the rule in force today. Reading it from the system's
time zone database (the files Python's ``zoneinfo`` reads) keeps phones in
step with that database, with no table of our own to go stale.

The string's grammar is POSIX.1-2017 section 8.3 (``TZ``): a standard name
and offset, then optionally a daylight-saving name, offset and the two
changes as ``Mm.w.d[/time]``. Offsets count hours *west* of UTC
(``EST5EDT``); here they are kept as seconds *east* of UTC, the way
``datetime`` does. RFC 8536 section 3.3.1 lets a change's time run from
-167 to 167 hours, which tzdata uses for rules like Israel's (``/26``: the
Friday after the fourth Thursday, 02:00).

``ZoneRule.parse`` and ``ZoneRule.text`` are a pair: ``text`` writes what
``parse`` read, byte for byte, for every zone of the database.
"""

from __future__ import annotations

import calendar
import importlib.resources
import re
import zoneinfo
from dataclasses import dataclass, replace
from pathlib import Path

#: POSIX's default time of a change when the string gives none.
DEFAULT_CHANGE_AT = 2 * 3600
#: POSIX's default daylight-saving offset: one hour ahead of standard time.
DEFAULT_SAVING = 3600
#: RFC 8536 section 3.3.1: a change's hour may run from -167 to 167.
MAX_CHANGE_HOURS = 167
#: POSIX offsets run from 0 to 24 hours either side.
MAX_OFFSET_HOURS = 24
#: Names phones accept without quoting: three letters or more (POSIX).
_PLAIN_NAME = re.compile(r"[A-Za-z]{3,}")
_NAME = r"<[A-Za-z0-9+-]{3,}>|[A-Za-z]{3,}"
_CLOCK = r"[+-]?\d{1,3}(?::\d{2}){0,2}"
_CHANGE = rf"M\d{{1,2}}\.\d\.\d(?:/{_CLOCK})?"
_RULE = re.compile(
    rf"(?P<std>{_NAME})(?P<std_offset>{_CLOCK})"
    rf"(?:(?P<dst>{_NAME})(?P<dst_offset>{_CLOCK})?"
    rf",(?P<start>{_CHANGE}),(?P<end>{_CHANGE}))?"
)
_CHANGE_PARTS = re.compile(rf"M(\d{{1,2}})\.(\d)\.(\d)(?:/({_CLOCK}))?")


@dataclass(frozen=True)
class Change:
    """When daylight saving starts or ends: weekday ``weekday`` (0 Sunday to
    6 Saturday) of week ``week`` (1 to 4; 5 is the month's last such day) of
    month ``month``, at ``at`` seconds after midnight in the local time in
    force until the change."""

    month: int
    week: int
    weekday: int
    at: int = DEFAULT_CHANGE_AT

    @property
    def whole_hour(self) -> int | None:
        """The hour of the day the change falls on (0 to 23), for a phone
        that takes only that; None off the whole hour (Chatham's 2:45) or
        outside the day (Israel's ``/26``, Greenland's ``/-1``)."""
        if self.at % 3600 or not 0 <= self.at < SECONDS_A_DAY:
            return None
        return self.at // 3600


#: Seconds, days and the largest day of a month, for ``DayOfMonth``.
SECONDS_A_DAY = 24 * 3600
DAYS_A_WEEK = 7
MAX_DAY = 31
LAST_WEEK = 5  # POSIX's week 5: the month's last such weekday
FEBRUARY = 2  # the one month whose length varies
A_COMMON_YEAR = 2001  # for the length of every other month


@dataclass(frozen=True)
class DayOfMonth:
    """A change told the way many phones take it: weekday ``weekday`` (0
    Sunday to 6 Saturday) on or after day ``day`` of month ``month``, or
    with ``day`` None the month's last such weekday, at ``at`` seconds
    after midnight (0 to 23:59:59) in the local time in force until then.
    """

    month: int
    day: int | None
    weekday: int
    at: int

    @classmethod
    def of(cls, change: Change) -> DayOfMonth | None:
        """``change`` as a day on or after a day of the month; None where
        that cannot say it exactly.

        Week 1 to 4 is the weekday on or after day 1, 8, 15 or 22. A time
        outside the day (Israel's ``/26``, Chile's ``/24``) moves the change
        to another weekday, counted from the same start: the Friday after
        the fourth Thursday is the Friday on or after day 23.

        A month's last weekday falls in the month's last seven days, so the
        day ``n`` days before it falls in the seven days from ``length - 6
        - n``: Greenland's Saturday before the last Sunday of March
        (``M3.5.0/-1``) is the Saturday on or after the 24th, in every
        year. February has no such form (its length varies), nor has a last
        weekday moved to the day after (Egypt's ``M10.5.4/24``, the Friday
        after the last Thursday of October), which may fall in the next
        month: None.
        """
        days, at = divmod(change.at, SECONDS_A_DAY)
        weekday = (change.weekday + days) % DAYS_A_WEEK
        if change.week == LAST_WEEK:
            if not days:
                return cls(change.month, None, weekday, at)
            if days > 0 or change.month == FEBRUARY:
                return None
            length = calendar.monthrange(A_COMMON_YEAR, change.month)[1]
            day = length - (DAYS_A_WEEK - 1) + days
            return cls(change.month, day, weekday, at) if day >= 1 else None
        day = 1 + DAYS_A_WEEK * (change.week - 1) + days
        if not 1 <= day <= MAX_DAY:
            return None
        return cls(change.month, day, weekday, at)


@dataclass(frozen=True)
class ZoneRule:
    """A zone's standard offset and, where it has one, its daylight-saving
    offset and changes. Offsets are seconds east of UTC."""

    standard_name: str
    standard_offset: int
    daylight_name: str | None = None
    daylight_offset: int | None = None
    start: Change | None = None
    end: Change | None = None

    @property
    def has_daylight_saving(self) -> bool:
        return self.start is not None

    @property
    def saving(self) -> int:
        """Seconds the clock moves forward in daylight saving (0 without)."""
        if self.daylight_offset is None:
            return 0
        return self.daylight_offset - self.standard_offset

    @classmethod
    def parse(cls, text: str) -> ZoneRule:
        """The rule a POSIX TZ string states.

        Raises:
            ValueError: the text is no TZ string with ``M`` changes (the
            only form tzdata's footers use), or a number is out of range.
        """
        found = _RULE.fullmatch(text)
        if found is None:
            raise ValueError(
                f"time zone rule {text!r}: not a POSIX TZ string like "
                "CET-1CEST,M3.5.0,M10.5.0/3"
            )
        standard_offset = -_seconds(found["std_offset"], MAX_OFFSET_HOURS, text)
        if found["dst"] is None:
            return cls(_unquoted(found["std"]), standard_offset)
        daylight_offset = standard_offset + DEFAULT_SAVING
        if found["dst_offset"] is not None:
            daylight_offset = -_seconds(found["dst_offset"], MAX_OFFSET_HOURS, text)
        return cls(
            _unquoted(found["std"]),
            standard_offset,
            _unquoted(found["dst"]),
            daylight_offset,
            _change(found["start"], text),
            _change(found["end"], text),
        )

    def text(self, plain_names: bool = False) -> str:
        """The rule as a POSIX TZ string. With ``plain_names``, a name that
        needs quoting (``<+0530>``) becomes ``STD`` or ``DST``, for phones
        whose documented syntax shows only unquoted names."""
        standard = self._name(self.standard_name, "STD", plain_names)
        out = standard + _clock(-self.standard_offset)
        if self.start is None or self.end is None or self.daylight_name is None:
            return out
        out += self._name(self.daylight_name, "DST", plain_names)
        if self.saving != DEFAULT_SAVING:
            out += _clock(-(self.daylight_offset or 0))
        return f"{out},{_change_text(self.start)},{_change_text(self.end)}"

    def with_forward_saving(self) -> ZoneRule:
        """The same local times, told so that daylight saving moves the
        clock forward. tzdata writes Ireland's winter as the saving period
        (``IST-1GMT0,M10.5.0,M3.5.0/1``); phones expect summer to be it
        (``GMT0IST-1,M3.5.0/1,M10.5.0``). Each change's time stays right:
        it is in the local time in force before it, which the swap keeps."""
        if self.saving >= 0 or self.daylight_name is None:
            return self
        return replace(
            self,
            standard_name=self.daylight_name,
            standard_offset=self.daylight_offset or 0,
            daylight_name=self.standard_name,
            daylight_offset=self.standard_offset,
            start=self.end,
            end=self.start,
        )

    @staticmethod
    def _name(name: str, plain: str, plain_names: bool) -> str:
        if _PLAIN_NAME.fullmatch(name):
            return name
        return plain if plain_names else f"<{name}>"


def for_zone(zone: str) -> ZoneRule:
    """The rule of IANA zone ``zone``: the footer of its TZif file.

    Raises:
        ValueError: no such zone, a version 1 file (which has no footer),
        an empty footer (a zone no TZ string describes), or a footer
        ``ZoneRule.parse`` refuses.
    """
    data = _tzif(zone)
    if not data.startswith(b"TZif") or data[4:5] in {b"", b"\0"}:
        raise ValueError(f"time zone {zone}: not a TZif file of version 2 or later")
    if not data.endswith(b"\n"):
        raise ValueError(f"time zone {zone}: the TZif file has no footer")
    footer = data[data.rindex(b"\n", 0, len(data) - 1) + 1 : -1]
    if not footer:
        raise ValueError(f"time zone {zone}: no POSIX TZ string describes it")
    return ZoneRule.parse(footer.decode("ascii"))


def _tzif(zone: str) -> bytes:
    """The zone's TZif file, from the directories ``zoneinfo`` searches,
    then the ``tzdata`` package, as ``zoneinfo`` itself does."""
    try:
        zoneinfo.ZoneInfo(zone)  # refuses names that are no zone, like ../x
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"time zone {zone}: no such zone") from None
    for directory in zoneinfo.TZPATH:
        path = Path(directory, zone)
        if path.is_file():
            return path.read_bytes()
    package, _, name = f"tzdata.zoneinfo.{zone.replace('/', '.')}".rpartition(".")
    try:
        return importlib.resources.files(package).joinpath(name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        raise ValueError(f"time zone {zone}: no TZif file found") from None


def _unquoted(name: str) -> str:
    return name[1:-1] if name.startswith("<") else name


def _seconds(clock: str, max_hours: int, text: str) -> int:
    sign = -1 if clock.startswith("-") else 1
    parts = [int(part) for part in clock.lstrip("+-").split(":")]
    hours, minutes, seconds = [*parts, 0, 0][:3]
    if hours > max_hours or minutes > 59 or seconds > 59:
        raise ValueError(f"time zone rule {text!r}: {clock} is out of range")
    return sign * (hours * 3600 + minutes * 60 + seconds)


def _clock(seconds: int) -> str:
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    if seconds:
        return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"
    if minutes:
        return f"{sign}{hours}:{minutes:02d}"
    return f"{sign}{hours}"


def _change(text: str, rule: str) -> Change:
    found = _CHANGE_PARTS.fullmatch(text)
    assert found is not None  # _RULE matched it already
    month, week, weekday = int(found[1]), int(found[2]), int(found[3])
    if not (1 <= month <= 12 and 1 <= week <= 5 and 0 <= weekday <= 6):
        raise ValueError(f"time zone rule {rule!r}: {text} is no day of a month")
    at = DEFAULT_CHANGE_AT
    if found[4] is not None:
        at = _seconds(found[4], MAX_CHANGE_HOURS, rule)
    return Change(month, week, weekday, at)


def _change_text(change: Change) -> str:
    out = f"M{change.month}.{change.week}.{change.weekday}"
    if change.at != DEFAULT_CHANGE_AT:
        out += "/" + _clock(change.at)
    return out
