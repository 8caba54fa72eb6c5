"""Ring groups and time conditions: destinations an inbound route can use.

A ring group rings its member extensions all at once ("all") or one after
another ("sequential", each for its own ring time), then its failover
destination. A time condition sends calls to one destination while open
(business hours, not a holiday, in its timezone) and to another while
closed; its mode forces day or night by hand. Destinations are written as
agent/destinations.py says; no chain of failovers and time conditions may
lead a call back to where it started.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass

from agent import audit, numbering, setup, time_zones
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import Extension
from agent.destinations import (
    KINDS,
    TARGET_KINDS,
    Destination,
    check_exists,
    destination_parts,
    refuse_if_used,
    usage,
)
from agent.errors import AlreadyExists, InvalidInput, NotFound
from agent.sip import schedule
from agent.trunks import rules
from agent.trunks.models import RingGroupRow, TimeConditionRow

STRATEGIES = ("all", "sequential")
RING_TIME_MIN_S = 5
RING_TIME_MAX_S = 300
MEMBERS_MAX = 32
#: How far a chain of ring group failovers and time conditions is followed
#: when looking for a loop; more links than there are groups is a loop.
CHAIN_MAX = 256


def _extension(field: str, number: str) -> str:
    number = (number or "").strip()
    if not Extension.select().where(Extension.number == number).exists():
        raise InvalidInput(field, number, "no such extension")
    return number


def _ring_time(field: str, value: int) -> int:
    if not isinstance(value, int) or not RING_TIME_MIN_S <= value <= RING_TIME_MAX_S:
        raise InvalidInput(
            field, value, f"{RING_TIME_MIN_S} to {RING_TIME_MAX_S} seconds"
        )
    return value


def check_destination(
    field: str, kind: str, destination: str, kinds: tuple[str, ...] = KINDS
) -> tuple[str, str]:
    """A destination given as its kind and its target: well formed, of one
    of kinds, and existing."""
    if kind not in kinds:
        raise InvalidInput(field, kind, "one of " + ", ".join(kinds))
    found = check_exists(field, Destination.of(kind, destination, field))
    return found.kind, found.target


def destination_of(
    field: str, text: str, kinds: tuple[str, ...] = KINDS
) -> Destination:
    """KIND:TARGET, hangup, or a bare number for an extension."""
    kind, target = destination_parts(text)
    if kind not in kinds:
        raise InvalidInput(field, text, "one of " + usage(kinds))
    return Destination.of(kind, target, field)


def _next_links(destination: Destination) -> list[Destination]:
    """Where a ring group or time condition may send a call on."""
    if destination.kind == "ring_group":
        row = RingGroupRow.get_or_none(RingGroupRow.number == destination.target)
        if row is not None and row.failover:
            return [Destination.parse(row.failover, "failover")]
    if destination.kind == "time_condition":
        row = TimeConditionRow.get_or_none(TimeConditionRow.name == destination.target)
        if row is not None:
            return [
                Destination(row.open_kind, row.open_destination),
                Destination(row.closed_kind, row.closed_destination),
            ]
    return []


def refuse_loop(field: str, start: Destination, home: Destination) -> None:
    """Refuse start when following it can lead a call back to home."""
    seen: set[str] = set()
    todo = [(start, [str(home), str(start)])]
    while todo and len(seen) < CHAIN_MAX:
        here, path = todo.pop()
        if here == home:
            raise InvalidInput(
                field, str(start), "leads back here (" + " → ".join(path) + ")"
            )
        if str(here) in seen:
            continue
        seen.add(str(here))
        todo.extend((n, [*path, str(n)]) for n in _next_links(here))


@dataclass(frozen=True)
class RingGroupInfo:
    number: str
    name: str
    strategy: str
    ring_time_s: int
    members: list[dict]
    failover: str

    @classmethod
    def of(cls, row: RingGroupRow) -> RingGroupInfo:
        return cls(
            row.number,
            row.name,
            row.strategy,
            row.ring_time_s,
            json.loads(row.members),
            row.failover,
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TimeConditionInfo:
    name: str
    timezone: str
    hours: dict
    holidays: list
    mode: str
    open_destination: str
    closed_destination: str
    open_now: bool

    @classmethod
    def of(cls, row: TimeConditionRow, now: dt.datetime) -> TimeConditionInfo:
        hours, holidays = json.loads(row.hours), json.loads(row.holidays)
        return cls(
            name=row.name,
            timezone=row.timezone,
            hours=hours,
            holidays=holidays,
            mode=row.mode,
            open_destination=f"{row.open_kind}:{row.open_destination}",
            closed_destination=f"{row.closed_kind}:{row.closed_destination}",
            open_now=schedule.is_open(hours, holidays, row.timezone, row.mode, now),
        )

    def to_dict(self) -> dict:
        return asdict(self)


def parse_hours(items: list[str]) -> dict[str, list[list[str]]]:
    """["mon-fri=09:00-17:00", "sat=10:00-13:00"] -> the hours table."""
    hours: dict[str, list[list[str]]] = {}
    for item in items:
        days, sep, span = item.partition("=")
        start, dash, end = span.partition("-")
        if not sep or not dash:
            raise InvalidInput("hours", item, "like mon-fri=09:00-17:00")
        first, _, last = days.lower().partition("-")
        last = last or first
        if first not in schedule.DAYS or last not in schedule.DAYS:
            raise InvalidInput("hours", item, "days are " + " ".join(schedule.DAYS))
        try:
            if schedule.minutes(start) >= schedule.minutes(end):
                raise InvalidInput("hours", item, "the opening time must come first")
        except ValueError as exc:
            raise InvalidInput("hours", item, str(exc)) from None
        for day in schedule.DAYS[
            schedule.DAYS.index(first) : schedule.DAYS.index(last) + 1
        ]:
            hours.setdefault(day, []).append([start, end])
    return hours


def parse_holiday(text: str) -> list[str]:
    """ "2026-12-24" or "2026-12-24..2026-12-26" -> [first, last]."""
    first, _, last = text.partition("..")
    last = last or first
    try:
        a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    except ValueError:
        raise InvalidInput(
            "holidays", text, "a date or a range like 2026-12-24..2026-12-26"
        ) from None
    if a > b:
        raise InvalidInput("holidays", text, "the range ends before it starts")
    return [a.isoformat(), b.isoformat()]


class GroupService:
    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    # -- ring groups ---------------------------------------------------------

    def add_ring_group(
        self,
        number: str,
        name: str,
        strategy: str,
        members: list[tuple[str, int | None]],
        ring_time_s: int = 20,
        failover: str | None = None,
        replace: bool = False,
    ) -> RingGroupInfo:
        """Add a ring group; with replace, change every field of one that
        exists instead."""
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        number = (number or "").strip()
        if not (number.isascii() and number.isdigit()) or not 2 <= len(number) <= 6:
            raise InvalidInput("number", number, "2 to 6 digits")
        name = (name or "").strip()
        if not 1 <= len(name) <= 64:
            raise InvalidInput("name", None, "1 to 64 characters")
        strategy = rules.choice("strategy", strategy, STRATEGIES)
        ring_time_s = _ring_time("ring_time_s", ring_time_s)
        if not 1 <= len(members) <= MEMBERS_MAX:
            raise InvalidInput("members", None, f"1 to {MEMBERS_MAX} extensions")
        clean = []
        for extension, ring_time in members:
            clean.append(
                {
                    "extension": _extension("members", extension),
                    "ring_time_s": _ring_time("members", ring_time or ring_time_s),
                }
            )
        if len({m["extension"] for m in clean}) != len(clean):
            raise InvalidInput("members", None, "an extension is listed twice")
        failover = self._failover(number, failover)
        fields = {
            "name": name,
            "strategy": strategy,
            "ring_time_s": ring_time_s,
            "members": json.dumps(clean),
            "failover": failover,
        }
        with database.atomic():
            # In the write transaction: another kind's request waits for it.
            numbering.refuse_taken("number", number, "ring group")
            row = RingGroupRow.get_or_none(RingGroupRow.number == number)
            if row is not None and not replace:
                raise AlreadyExists(
                    f'ring group "{number}": already exists', field="number"
                )
            if row is None and replace:
                raise NotFound(f'ring group "{number}": no such group', field="number")
            before = None if row is None else RingGroupInfo.of(row).to_dict()
            if row is None:
                row = RingGroupRow.create(number=number, **fields)
            else:
                RingGroupRow.update(**fields).where(RingGroupRow.id == row.id).execute()
                row = RingGroupRow.get_by_id(row.id)
            info = RingGroupInfo.of(row)
            audit.record(
                self.actor,
                "update" if replace else "create",
                "ring_group",
                number,
                before,
                info.to_dict(),
            )
        return info

    def list_ring_groups(self) -> list[RingGroupInfo]:
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        return [
            RingGroupInfo.of(r)
            for r in RingGroupRow.select().order_by(RingGroupRow.number)
        ]

    def remove_ring_group(self, number: str) -> None:
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        with database.atomic():
            row = RingGroupRow.get_or_none(RingGroupRow.number == number)
            if row is None:
                raise NotFound(f'ring group "{number}": no such group', field="number")
            refuse_if_used("number", "ring_group", number)
            before = RingGroupInfo.of(row).to_dict()
            row.delete_instance()
            audit.record(self.actor, "delete", "ring_group", number, before, None)

    def _failover(self, number: str, text: str | None) -> str:
        """A ring group's failover: "" for none, else a checked destination."""
        if not (text or "").strip():
            return ""
        failover = destination_of("failover", text, KINDS)
        refuse_loop("failover", failover, Destination("ring_group", number))
        return str(check_exists("failover", failover))

    # -- time conditions -----------------------------------------------------

    def add_time_condition(
        self,
        name: str,
        timezone: str,
        hours: dict[str, list[list[str]]],
        open_target: tuple[str, str],
        closed_target: tuple[str, str],
        holidays: list[list[str]] | None = None,
        replace: bool = False,
    ) -> TimeConditionInfo:
        """Add a time condition; with replace, change the hours, holidays and
        targets of one that exists instead (its mode stays)."""
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        name = rules.name(name)
        # No zone given: the appliance's (the wizard's), as people expect.
        timezone = (timezone or "").strip() or setup.timezone()
        if not time_zones.is_zone(timezone):
            raise InvalidInput("timezone", timezone, "a zone like Europe/Berlin")
        targets = []
        for field, (kind, destination) in (
            ("open_destination", open_target),
            ("closed_destination", closed_target),
        ):
            found = check_destination(field, kind, destination, TARGET_KINDS)
            refuse_loop(field, Destination(*found), Destination("time_condition", name))
            targets.append(found)
        fields = {
            "timezone": timezone,
            "hours": json.dumps(hours),
            "holidays": json.dumps(sorted(holidays or [])),
            "open_kind": targets[0][0],
            "open_destination": targets[0][1],
            "closed_kind": targets[1][0],
            "closed_destination": targets[1][1],
        }
        now = dt.datetime.now(dt.UTC)
        with database.atomic():
            row = TimeConditionRow.get_or_none(TimeConditionRow.name == name)
            if row is not None and not replace:
                raise AlreadyExists(
                    f'time condition "{name}": already exists', field="name"
                )
            if row is None and replace:
                raise NotFound(
                    f'time condition "{name}": no such condition', field="name"
                )
            before = None if row is None else TimeConditionInfo.of(row, now).to_dict()
            if row is None:
                row = TimeConditionRow.create(name=name, **fields)
            else:
                TimeConditionRow.update(**fields).where(
                    TimeConditionRow.id == row.id
                ).execute()
                row = TimeConditionRow.get_by_id(row.id)
            info = TimeConditionInfo.of(row, now)
            audit.record(
                self.actor,
                "update" if replace else "create",
                "time_condition",
                name,
                before,
                info.to_dict(),
            )
        return info

    def set_time_condition(
        self,
        name: str,
        mode: str | None = None,
        add_holidays: list[list[str]] | None = None,
        remove_holidays: list[list[str]] | None = None,
    ) -> TimeConditionInfo:
        """Force day or night mode ("open"/"closed"/"auto"), change holidays."""
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        with database.atomic():
            row = TimeConditionRow.get_or_none(TimeConditionRow.name == name)
            if row is None:
                raise NotFound(
                    f'time condition "{name}": no such condition', field="name"
                )
            now = dt.datetime.now(dt.UTC)
            before = TimeConditionInfo.of(row, now).to_dict()
            if mode is not None:
                row.mode = rules.choice("mode", mode, schedule.MODES)
            holidays = json.loads(row.holidays)
            for span in add_holidays or []:
                if span not in holidays:
                    holidays.append(span)
            for span in remove_holidays or []:
                if span not in holidays:
                    raise InvalidInput(
                        "holidays", "..".join(span), "not a holiday here"
                    )
                holidays.remove(span)
            row.holidays = json.dumps(sorted(holidays))
            row.save()
            info = TimeConditionInfo.of(row, now)
            audit.record(
                self.actor, "update", "time_condition", name, before, info.to_dict()
            )
        return info

    def list_time_conditions(
        self, now: dt.datetime | None = None
    ) -> list[TimeConditionInfo]:
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        now = now or dt.datetime.now(dt.UTC)
        query = TimeConditionRow.select().order_by(TimeConditionRow.name)
        return [TimeConditionInfo.of(r, now) for r in query]
