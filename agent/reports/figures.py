"""Call reports: the figures of a period, counted by SQLite from the call
records (``cdr``, see ``agent.cdr.records``).

A report covers whole days in the system's time zone (Setup → time zone):
calls, answered, taken by voicemail, missed (no answer, busy, failed),
total and average talk time, and the same figures per extension, per
trunk, per ring group, per day and per hour of the day. Answered, voicemail
and missed add up to the calls, but for calls still going.

A report of every extension reads sums kept as the call records are
written (migration 40, ``agent/db/reports_schema.py``): per quarter hour
and trunk, and per quarter hour and number; it reads them rather than the
month's records, a few tens of thousands of rows instead of a million. A
report narrowed to a role's extensions, or a period whose local midnight is
off the quarter hour, reads the records themselves as below; both ways give
the same figures.

Every figure is an SQL aggregate; Python only folds the per-quarter-hour
rows into local days and hours, and the per-number rows into extensions
and ring groups. Quarter hours, because every time zone's offset from UTC
is a whole number of quarter hours, so a quarter is wholly inside one local
hour even across a daylight saving change. Each pass reads one covering
index of migration 15 in its own order, so SQLite neither reads the table
nor sorts (see ``agent/db/reports_schema.py``); the queue pass reads only
the period's queue call parts, by join time (migration 38), and looks up
each one's call record.

Who sees what: ``Permission.VIEW_REPORTS``; a role narrowed to extension
ranges sees only the calls whose source or destination extension is in its
ranges, and only those extensions' rows.

Known shortcomings, written here because the data does not hold them yet:
a call to a ring group records the ring group's number as its destination,
not which member answered, so it counts for the ring group and not for the
extension that took it; a renamed ring group's old calls show under its
current name. Rows per extension and ring group are for the numbers that
exist now: a removed one's calls stay in the totals, days, hours and trunks
but have no row of their own. A call still going counts as a call, not
yet as answered or missed.

Call queues have figures of their own (``queue_figures``): per queue the
calls offered (callers who joined it), answered by an agent, abandoned
(the caller hung up waiting) and timed out (sent to the failover), the
average and longest wait of the callers who left it, the service level
(the share of offered calls an agent answered within the queue's
service_level_s), and per agent the calls answered and their talk time. A
queue call counts in the totals too, as answered only if an agent answered.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import asdict, dataclass, field

from agent import setup
from agent.accounts.roles import NumberRanges, Permission, Principal
from agent.cdr.records import (
    ABANDONED,
    ANSWERED,
    BUSY,
    FAILED,
    NO_ANSWER,
    QUEUE_ANSWERED,
    TIMED_OUT,
    VOICEMAIL,
)
from agent.db import database
from agent.errors import InvalidInput

#: The groupings a report can show, in the order pages and files show them.
GROUPINGS = ("extension", "trunk", "ring_group", "day", "hour")
GROUPING_TITLES = {
    "extension": "Extension",
    "trunk": "Trunk",
    "ring_group": "Ring group",
    "day": "Day",
    "hour": "Hour of day",
}
PRESETS = (
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
)
# A year and a month, so "the same month last year" fits in one report;
# beyond that a report is a data export, which the CDR list's CSV serves.
MAX_DAYS = 400
# Every UTC offset in the tz database is a whole number of quarter hours
# (since the 1970s; older local mean times are not), so every local
# midnight and hour starts a quarter hour counted from the Unix epoch.
BUCKET_S = 900
#: The quarter hour a call started in; migration 15's cdr_quarter_idx is on
#: exactly this expression.
QUARTER_SQL = f"CAST(started_at / {BUCKET_S} AS INTEGER)"
DATE_RULE = "a date like 2026-12-04"
# Call records hold Unix times: nothing before 1970, and a year past 2999 is
# a typing slip (and near year 9999 a day after it is no date at all).
FIRST_YEAR = 1970
LAST_YEAR = 2999


@dataclass(frozen=True)
class Period:
    """Whole local days ``first`` to ``last`` (inclusive) in ``timezone``."""

    first: dt.date
    last: dt.date
    timezone: str
    preset: str = ""

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def start(self) -> float:
        """The first day's local midnight as Unix seconds."""
        return _midnight(self.first, self.zone)

    @property
    def stop(self) -> float:
        """The local midnight after the last day, as Unix seconds."""
        return _midnight(self.last + dt.timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def to_dict(self) -> dict:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "timezone": self.timezone,
            "preset": self.preset or None,
        }

    def title(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


def _midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> float:
    return dt.datetime.combine(day, dt.time(), zone).timestamp()


def _date(name: str, value: object) -> dt.date:
    if not isinstance(value, str | dt.date):
        raise InvalidInput(name, value, DATE_RULE)
    try:
        day = (
            value
            if isinstance(value, dt.date)
            else dt.date.fromisoformat(value.strip())
        )
    except ValueError:
        raise InvalidInput(name, value, DATE_RULE) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(name, value, f"a date from {FIRST_YEAR} to {LAST_YEAR}")
    return day


def period(
    preset: str | None = None,
    first: object = None,
    last: object = None,
    timezone: str | None = None,
    today: dt.date | None = None,
) -> Period:
    """The period a request names: a preset, or ``from`` and ``to`` dates.

    Raises:
        InvalidInput: an unknown preset, a bad date, ``from`` after ``to``,
            or more than MAX_DAYS days; the field is named.
    """
    zone_name = timezone or setup.timezone()
    zone = zoneinfo.ZoneInfo(zone_name)
    today = today or dt.datetime.now(zone).date()
    if preset:
        if first or last:
            raise InvalidInput(
                "preset", preset, "give a preset or from and to, not both"
            )
        return _preset(preset, today, zone_name)
    if not first and not last:
        return _preset("today", today, zone_name)
    start = _date("from", first) if first else None
    end = _date("to", last) if last else None
    start = start or end
    end = end or start
    assert start is not None and end is not None
    if start > end:
        raise InvalidInput("from", start.isoformat(), "must not be after to")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput("to", end.isoformat(), f"at most {MAX_DAYS} days after from")
    return Period(start, end, zone_name)


def _preset(name: str, today: dt.date, zone: str) -> Period:
    monday = today - dt.timedelta(days=today.weekday())
    month = today.replace(day=1)
    last_month_end = month - dt.timedelta(days=1)
    spans = {
        "today": (today, today),
        "yesterday": (today - dt.timedelta(days=1),) * 2,
        "this_week": (monday, today),
        "last_week": (monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)),
        "this_month": (month, today),
        "last_month": (last_month_end.replace(day=1), last_month_end),
    }
    if name not in spans:
        raise InvalidInput("preset", name, "one of " + ", ".join(PRESETS))
    first, last = spans[name]
    return Period(first, last, zone, preset=name)


def groupings(value: object) -> tuple[str, ...]:
    """The groupings asked for ("extension,day" or a list); all if none."""
    if value is None or value == "" or value == []:
        return GROUPINGS
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list | tuple):
        raise InvalidInput("group", value, "one or more of " + ", ".join(GROUPINGS))
    chosen = []
    for name in names:
        text = str(name).strip()
        if text not in GROUPINGS:
            raise InvalidInput("group", text, "one or more of " + ", ".join(GROUPINGS))
        if text not in chosen:
            chosen.append(text)
    return tuple(g for g in GROUPINGS if g in chosen)


@dataclass(frozen=True)
class Figures:
    """The counts of one row of a report (or of the whole period)."""

    calls: int = 0
    answered: int = 0
    no_answer: int = 0
    busy: int = 0
    failed: int = 0
    #: Calls a mailbox took: neither answered by a person nor missed, since
    #: the caller left a message (or could have).
    voicemail: int = 0
    talk_s: int = 0

    @property
    def missed(self) -> int:
        return self.no_answer + self.busy + self.failed

    @property
    def average_talk_s(self) -> int:
        return round(self.talk_s / self.answered) if self.answered else 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            *(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__)
        )

    def to_dict(self) -> dict:
        values = asdict(self)
        values["missed"] = self.missed
        values["average_talk_s"] = self.average_talk_s
        return values


@dataclass(frozen=True)
class Row:
    """One line of a grouping: its key (a number, a name, a date, an hour)."""

    key: str
    label: str
    figures: Figures

    def to_dict(self) -> dict:
        return {"key": self.key, "label": self.label, **self.figures.to_dict()}


@dataclass(frozen=True)
class AgentFigures:
    """One agent's part of a queue's calls."""

    extension: str
    answered: int = 0
    talk_s: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class QueueFigures:
    """A call queue's calls in a period (see the module's docstring)."""

    number: str
    name: str
    service_level_s: int
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    timed_out: int = 0
    #: The waits of the callers who left the queue: their sum and count.
    wait_total_s: float = 0.0
    waits: int = 0
    longest_wait_s: int = 0
    answered_in_level: int = 0
    agents: list[AgentFigures] = field(default_factory=list)

    @property
    def average_wait_s(self) -> int:
        return round(self.wait_total_s / self.waits) if self.waits else 0

    @property
    def service_level_percent(self) -> int | None:
        """Offered calls answered within service_level_s, in percent; None
        when nobody called."""
        if not self.offered:
            return None
        return round(100 * self.answered_in_level / self.offered)

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "name": self.name,
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "timed_out": self.timed_out,
            "average_wait_s": self.average_wait_s,
            "longest_wait_s": self.longest_wait_s,
            "service_level_s": self.service_level_s,
            "service_level_percent": self.service_level_percent,
            "agents": [a.to_dict() for a in self.agents],
        }


@dataclass(frozen=True)
class CallReport:
    period: Period
    totals: Figures
    groups: dict[str, list[Row]] = field(default_factory=dict)
    #: The ranges the figures were narrowed to, "" for every extension.
    extensions: str = ""
    queues: list[QueueFigures] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "period": self.period.to_dict(),
            "extensions": self.extensions or None,
            "totals": self.totals.to_dict(),
            "groups": {
                name: [row.to_dict() for row in rows]
                for name, rows in self.groups.items()
            },
            "queues": [q.to_dict() for q in self.queues],
        }


# -- SQL -----------------------------------------------------------------------

# The figure columns of every query, in Figures' field order. Talk time is
# rounded per call, as the call record's billsec is.
_FIGURES_SQL = f"""
    COUNT(*),
    SUM(disposition = '{ANSWERED}'),
    SUM(disposition = '{NO_ANSWER}'),
    SUM(disposition = '{BUSY}'),
    SUM(disposition = '{FAILED}'),
    SUM(disposition = '{VOICEMAIL}'),
    SUM(CASE WHEN disposition = '{ANSWERED}' AND ended_at IS NOT NULL
        THEN CAST(ROUND(ended_at - answered_at) AS INTEGER) ELSE 0 END)
"""


#: The columns of migration 40's sums, in Figures' field order.
SUM_COLUMNS = (
    "calls",
    "answered",
    "no_answer",
    "busy",
    "failed",
    "voicemail",
    "talk_s",
)
_SUM_COLUMNS = ", ".join(SUM_COLUMNS)


def _in_ranges(column: str, ranges: NumberRanges) -> tuple[str, list]:
    """SQL true when column holds an extension number inside ranges."""
    spans = " OR ".join(
        f"CAST({column} AS INTEGER) BETWEEN ? AND ?" for _ in ranges.spans
    )
    sql = (
        f"({column} <> '' AND {column} NOT GLOB '*[^0-9]*' "
        f"AND length({column}) <= 6 AND ({spans}))"
    )
    return sql, [n for span in ranges.spans for n in span]


def _figures(row: tuple) -> Figures:
    return Figures(*(int(v or 0) for v in row))


class ReportService:
    """Call reports as one principal may see them."""

    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    def report(
        self,
        period: Period,
        groups: tuple[str, ...] = GROUPINGS,
        from_records: bool = False,
    ) -> CallReport:
        """The report of period; from_records reads the call records even
        where the kept sums would answer (the same figures, slower: tests
        and the bench compare the two)."""
        self.actor.require(Permission.VIEW_REPORTS)
        ranges = self.actor.extensions
        visible, visible_params = "", []
        if ranges is not None:
            src, src_params = _in_ranges("src", ranges)
            dst, dst_params = _in_ranges("dst", ranges)
            visible, visible_params = f" AND ({src} OR {dst})", src_params + dst_params

        # The sums kept as calls are written (migration 40) answer a report
        # of every extension over whole quarter hours; a role narrowed to
        # some extensions, or a day that starts off the quarter hour (a
        # local mean time before 1972), reads the records themselves.
        summed = (
            ranges is None
            and not from_records
            and not (period.start % BUCKET_S or period.stop % BUCKET_S)
        )

        # Step 1: one pass by quarter hour and trunk (days, hours, trunks).
        if summed:
            buckets, trunks = self._summed_by_time_and_trunk(period)
        else:
            buckets, trunks = self._by_time_and_trunk(period, visible, visible_params)
        totals = sum(trunks.values(), Figures())

        # Step 2: a pass per side (caller, callee) by extension or ring group
        # number, only when a grouping needs it.
        numbers: dict[str, Figures] = {}
        group_names: dict[str, str] = {}
        if {"extension", "ring_group"} & set(groups):
            group_names = dict(
                database.execute_sql("SELECT number, name FROM ring_group")
            )
            numbers = (
                self._summed_by_number(period)
                if summed
                else self._by_number(period, visible, visible_params)
            )

        result: dict[str, list[Row]] = {}
        for name in groups:
            if name == "day":
                result[name] = _by_day(buckets, period)
            elif name == "hour":
                result[name] = _by_hour(buckets)
            elif name == "trunk":
                result[name] = [Row(t, t, f) for t, f in sorted(trunks.items()) if t]
            elif name == "extension":
                result[name] = _extensions(numbers, group_names, ranges)
            elif name == "ring_group":
                result[name] = [
                    Row(n, group_names[n], f)
                    for n, f in sorted(numbers.items())
                    if n in group_names
                ]
        queues = queue_figures(period.start, period.stop, visible, visible_params)
        return CallReport(period, totals, result, str(ranges) if ranges else "", queues)

    @staticmethod
    def _by_time_and_trunk(
        period: Period, visible: str, params: list
    ) -> tuple[list[tuple[dt.datetime, Figures]], dict[str, Figures]]:
        """(local start of each quarter hour with calls, its figures), and
        the figures per trunk ("" for calls between extensions)."""
        # Grouped by disposition too (the index's third key, so still no
        # sort): two aggregates a row instead of six.
        cursor = database.execute_sql(
            f"SELECT {QUARTER_SQL}, trunk, disposition, COUNT(*), "
            "SUM(CAST(ROUND(ended_at - answered_at) AS INTEGER)) FROM cdr "
            f"WHERE {QUARTER_SQL} >= ? AND {QUARTER_SQL} < ?{visible} "
            "GROUP BY 1, 2, 3",
            [int(period.start // BUCKET_S), int(period.stop // BUCKET_S), *params],
        )
        # Summed as plain lists: tens of thousands of rows for a busy month.
        slot = {ANSWERED: 1, NO_ANSWER: 2, BUSY: 3, FAILED: 4, VOICEMAIL: 5}
        by_quarter: dict[int, list[int]] = {}
        by_trunk: dict[str, list[int]] = {}
        for q, trunk, disposition, count, talk in cursor.fetchall():
            for sums in (
                by_quarter.setdefault(q, [0] * 7),
                by_trunk.setdefault(trunk, [0] * 7),
            ):
                sums[0] += count
                if disposition in slot:
                    sums[slot[disposition]] += count
                if disposition == ANSWERED:
                    sums[6] += int(talk or 0)
        return _time_and_trunk(period, by_quarter, by_trunk)

    @staticmethod
    def _summed_by_time_and_trunk(
        period: Period,
    ) -> tuple[list[tuple[dt.datetime, Figures]], dict[str, Figures]]:
        """As _by_time_and_trunk for every extension, from the sums kept per
        quarter hour and trunk. A row whose records were all removed holds
        nothing and is skipped, as no record would show."""
        cursor = database.execute_sql(
            f"SELECT quarter, trunk, {_SUM_COLUMNS} FROM cdr_quarter_sum "
            "WHERE quarter >= ? AND quarter < ? AND calls > 0",
            [int(period.start // BUCKET_S), int(period.stop // BUCKET_S)],
        )
        by_quarter: dict[int, list[int]] = {}
        by_trunk: dict[str, list[int]] = {}
        for q, trunk, *values in cursor.fetchall():
            for sums in (
                by_quarter.setdefault(q, [0] * 7),
                by_trunk.setdefault(trunk, [0] * 7),
            ):
                for n, value in enumerate(values):
                    sums[n] += value
        return _time_and_trunk(period, by_quarter, by_trunk)

    @staticmethod
    def _summed_by_number(period: Period) -> dict[str, Figures]:
        """As _by_number for every extension, from the sums kept per number
        and quarter hour."""
        cursor = database.execute_sql(
            f"SELECT number, {', '.join(f'SUM({c})' for c in SUM_COLUMNS)} "
            "FROM cdr_number_sum WHERE number IN "
            "(SELECT number FROM extension UNION SELECT number FROM ring_group) "
            "AND quarter >= ? AND quarter < ? GROUP BY number HAVING SUM(calls) > 0",
            [int(period.start // BUCKET_S), int(period.stop // BUCKET_S)],
        )
        return {number: _figures(rest) for number, *rest in cursor.fetchall()}

    @staticmethod
    def _by_number(period: Period, visible: str, params: list) -> dict[str, Figures]:
        """Figures per extension or ring group number.

        The extension's side of each call: the caller of an outbound or
        internal call, the callee of an inbound or internal one (a call
        between two extensions counts for both). Only numbers that are an
        extension or a ring group now are looked up: the calls of a removed
        extension count in the totals, days, hours and trunks, but have no
        row of their own.
        """
        numbers: dict[str, Figures] = {}
        for column, directions in (
            ("src", "'out', 'internal'"),
            ("dst", "'in', 'internal'"),
        ):
            cursor = database.execute_sql(
                f"SELECT {column}, {_FIGURES_SQL} FROM cdr WHERE {column} IN "
                "(SELECT number FROM extension UNION SELECT number FROM ring_group) "
                f"AND started_at >= ? AND started_at < ? "
                f"AND direction IN ({directions}){visible} GROUP BY {column}",
                [period.start, period.stop, *params],
            )
            for number, *rest in cursor.fetchall():
                numbers[number] = numbers.get(number, Figures()) + _figures(rest)
        return numbers


def _time_and_trunk(
    period: Period, by_quarter: dict[int, list[int]], by_trunk: dict[str, list[int]]
) -> tuple[list[tuple[dt.datetime, Figures]], dict[str, Figures]]:
    quarters = {q: Figures(*sums) for q, sums in by_quarter.items()}
    trunks = {t: Figures(*sums) for t, sums in by_trunk.items()}
    zone = period.zone
    buckets = [
        (dt.datetime.fromtimestamp(q * BUCKET_S, zone), f)
        for q, f in sorted(quarters.items())
    ]
    return buckets, trunks


def _extensions(
    numbers: dict[str, Figures], ring_groups: dict, ranges: NumberRanges | None
) -> list[Row]:
    names = dict(database.execute_sql("SELECT number, display_name FROM extension"))
    shown = [
        n for n in numbers if n not in ring_groups and (ranges is None or n in ranges)
    ]
    shown.sort(key=lambda n: (len(n), n))
    return [Row(n, names.get(n, ""), numbers[n]) for n in shown]


def _by_day(buckets: list, period: Period) -> list[Row]:
    """Every day of the period, with or without calls."""
    days: dict[dt.date, Figures] = {}
    for start, figures in buckets:
        days[start.date()] = days.get(start.date(), Figures()) + figures
    rows = []
    for n in range(period.days):
        day = period.first + dt.timedelta(days=n)
        rows.append(
            Row(day.isoformat(), day.strftime("%a %d %b"), days.get(day, Figures()))
        )
    return rows


def _by_hour(buckets: list) -> list[Row]:
    """The 24 hours of the day, each summed over the period's days."""
    hours = [Figures()] * 24
    for start, figures in buckets:
        hours[start.hour] = hours[start.hour] + figures
    return [Row(f"{h:02d}", f"{h:02d}:00-{h:02d}:59", hours[h]) for h in range(24)]


# Per queue and agent, one row each: the figures of QueueFigures in order.
# A call counts in each queue it waited in, with that queue's part alone
# (queue_call): a caller who timed out of one queue into another is one
# timed-out call of the first and one offered call of the second.
_QUEUE_SQL = f"""
    SELECT part.queue, part.agent,
        COUNT(*),
        SUM(part.outcome = '{QUEUE_ANSWERED}'),
        SUM(part.outcome = '{ABANDONED}'),
        SUM(part.outcome = '{TIMED_OUT}'),
        SUM(COALESCE(part.wait_s, 0)),
        COUNT(part.wait_s),
        MAX(part.wait_s),
        SUM(part.outcome = '{QUEUE_ANSWERED}'
            AND part.wait_s <= call_queue.service_level_s),
        SUM(CASE WHEN part.outcome = '{QUEUE_ANSWERED}'
            AND cdr.ended_at IS NOT NULL AND part.answered_at IS NOT NULL
            THEN CAST(ROUND(cdr.ended_at - part.answered_at) AS INTEGER)
            ELSE 0 END)
    FROM queue_call AS part
    CROSS JOIN cdr ON cdr.call_id = part.call_id
    JOIN call_queue ON call_queue.number = part.queue
    WHERE part.joined_at >= ? AND part.joined_at < ?
        AND cdr.started_at >= ? AND cdr.started_at < ?
"""
# A caller joins a queue while its call lasts, so a part's join time is
# within this of its call's start (a day, with room for the clocks of the
# processes that tell of the call). Reading the parts by join time (migration
# 38's covering index, driven first by CROSS JOIN) reads only the period's
# queue calls; the call's start still decides which period a part is in.
# Known shortcoming: a call that joins a queue more than a day after it
# started is left out of the queue figures of the period it started in.
QUEUE_JOIN_WITHIN_S = 86400


def queue_figures(
    start: float,
    stop: float,
    visible: str = "",
    params: list | None = None,
    numbers: list[str] | None = None,
) -> list[QueueFigures]:
    """The figures of every queue (or those numbered) for calls that started
    from start to stop (Unix seconds); visible narrows the calls as a
    report's role does. Only queues that exist now have figures."""
    cursor = database.execute_sql(
        # visible names src and dst, which call_queue has no column of.
        f"{_QUEUE_SQL}{visible} GROUP BY part.queue, part.agent",
        [
            start - QUEUE_JOIN_WITHIN_S,
            stop + QUEUE_JOIN_WITHIN_S,
            start,
            stop,
            *(params or []),
        ],
    )
    # Per queue, its rows (one per agent, "" for calls no agent answered)
    # folded into one: counts and wait sums add up, the longest wait is the
    # longest of any row.
    folded: dict[str, dict] = {}
    agents: dict[str, list[AgentFigures]] = {}
    for queue, agent, *values in cursor.fetchall():
        offered, answered, abandoned, timed_out, wait, waits, longest, level, talk = (
            v or 0 for v in values
        )
        mine = folded.setdefault(queue, {"longest_wait_s": 0})
        for key, value in (
            ("offered", offered),
            ("answered", answered),
            ("abandoned", abandoned),
            ("timed_out", timed_out),
            ("wait_total_s", wait),
            ("waits", waits),
            ("answered_in_level", level),
        ):
            mine[key] = mine.get(key, 0) + value
        mine["longest_wait_s"] = max(mine["longest_wait_s"], round(longest))
        if agent:
            agents.setdefault(queue, []).append(
                AgentFigures(agent, int(answered), int(talk))
            )

    queues = database.execute_sql(
        "SELECT number, name, service_level_s FROM call_queue ORDER BY number"
    ).fetchall()
    return [
        QueueFigures(
            number,
            name,
            level_s,
            **folded.get(number, {}),
            agents=agents.get(number, []),
        )
        for number, name, level_s in queues
        if numbers is None or number in numbers
    ]
