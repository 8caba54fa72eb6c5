"""Scheduled page broadcasts: a prompt played to a page group at set times.

A broadcast names a page group, a prompt (``upload:NAME``, a prompt the
owner uploaded, or ``system:NAME``, one of the system prompts) and when it
goes out: every chosen weekday at a time of day, or once on a date at a
time, both read in the appliance's time zone (agent/local_time.py). A day
that skips the time (the spring change to summer time) plays it at the
same wall-clock distance after midnight, an hour later; a day that has it
twice (the autumn change) plays it the first time.

The agent's :class:`BroadcastScheduler` looks for due broadcasts every
CHECK_INTERVAL_S. Running one, on time or "run now", writes a job file to
the spool folder in the run directory; the first media worker with a line
free for every member takes it (an atomic rename, so only one does),
calls the members as a page does (their phones answer by themselves),
plays the prompt and hangs up (agent/paging/broadcast_flow.py). A job no
worker took within SPOOL_MAX_WAIT_S, and a broadcast that reached nobody,
are events.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from agent import audit, local_time
from agent.accounts.roles import Permission, Principal
from agent.db import Saved, database, upsert
from agent.db.models import PageBroadcast, PageGroup, utcnow
from agent.errors import InvalidInput, NotFound
from agent.events import catalogue
from agent.events.record import raise_event
from agent.media.prompts import PromptMissing, system_prompt
from agent.paging.service import member_numbers
from agent.settings import Settings

log = logging.getLogger("edgepbx.paging")

NAME_MAX = 64
YEARS = (2000, 2999)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PROMPT_KINDS = ("upload", "system")
# The folder names of uploaded prompts (agent/media/uploads.py) and of the
# system prompts' files: no path separators, so a prompt stays in its folder.
_PROMPT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# A name goes into the page's and the API's paths: no slash, no quote.
_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9 _-]{{0,{NAME_MAX - 1}}}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
#: Where job files wait for a media worker, under the run directory.
SPOOL_FOLDER = "broadcasts"
JOB_SUFFIX = ".json"
# How often the agent looks for due broadcasts: one goes out within this
# long after its minute.
CHECK_INTERVAL_S = 5.0
# A job no worker took in this long (every worker busy or down) is given
# up and is an event: a broadcast a minute late is still useful, one ten
# minutes late ("the shop closes in five minutes") is not.
SPOOL_MAX_WAIT_S = 120.0


@dataclass(frozen=True)
class BroadcastInfo:
    name: str
    page_group: str
    prompt: str
    weekdays: list[str]
    time_of_day: str
    on_date: str | None
    enabled: bool
    #: The next run in the appliance's zone (ISO 8601), "" when none is due.
    next_run: str
    last_run: str

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def of(cls, row: PageBroadcast) -> BroadcastInfo:
        def shown(seconds: float | None) -> str:
            if seconds is None:
                return ""
            return local_time.local(seconds).isoformat(timespec="minutes")

        return cls(
            row.name,
            row.page_group,
            row.prompt,
            _weekdays_of(row.weekdays),
            row.time_of_day,
            row.on_date,
            bool(row.enabled),
            shown(row.next_run_at) if row.enabled else "",
            shown(row.last_run_at),
        )


def _weekdays_of(stored: str) -> list[str]:
    return [d for d in (stored or "").split(",") if d]


# -- when ---------------------------------------------------------------------


def next_run(
    weekdays: list[str],
    time_of_day: str,
    on_date: str | None,
    after: float,
    zone: dt.tzinfo,
) -> float | None:
    """The first moment after ``after`` (Unix seconds) the schedule is due,
    or None if never again (a single date that has passed).

    Args:
        weekdays: ``mon`` .. ``sun``; empty for a single date.
        time_of_day: ``HH:MM`` on the wall clock of ``zone``.
        on_date: ``YYYY-MM-DD`` for a single broadcast, else None.
    """
    hour, minute = (int(x) for x in time_of_day.split(":"))
    at = dt.time(hour, minute)
    if on_date:
        due = dt.datetime.combine(dt.date.fromisoformat(on_date), at, zone)
        return due.timestamp() if due.timestamp() > after else None
    first_day = dt.datetime.fromtimestamp(after, zone).date()
    for offset in range(len(WEEKDAYS) + 1):
        day = first_day + dt.timedelta(days=offset)
        if WEEKDAYS[day.weekday()] not in weekdays:
            continue
        due = dt.datetime.combine(day, at, zone).timestamp()
        if due > after:
            return due
    return None


# -- what ---------------------------------------------------------------------


def prompt_path(settings: Settings, prompt: str) -> Path:
    """The WAV a prompt reference plays.

    Raises:
        InvalidInput: not ``upload:NAME`` or ``system:NAME``, or no such file.
    """
    kind, _, name = (prompt or "").partition(":")
    if kind not in PROMPT_KINDS or not _PROMPT_NAME.fullmatch(name):
        raise InvalidInput(
            "prompt", prompt, "upload:NAME or system:NAME (letters, digits, - and _)"
        )
    if kind == "upload":
        path = settings.data_dir / "prompts" / f"{name}.wav"
        if not path.is_file():
            raise InvalidInput("prompt", prompt, "no uploaded prompt of that name")
        return path
    try:
        return system_prompt(name)
    except PromptMissing:
        raise InvalidInput("prompt", prompt, "no system prompt of that name") from None


def _check_schedule(
    weekdays: list[str], time_of_day: str, on_date: str | None
) -> tuple[list[str], str, str | None]:
    days = []
    for day in weekdays or []:
        day = (day or "").strip().lower()
        if not day:
            continue
        if day not in WEEKDAYS:
            raise InvalidInput("weekdays", day, "one of " + ", ".join(WEEKDAYS))
        if day in days:
            raise InvalidInput("weekdays", day, "listed twice")
        days.append(day)
    days.sort(key=WEEKDAYS.index)
    time_of_day = (time_of_day or "").strip()
    if not _TIME.fullmatch(time_of_day):
        raise InvalidInput("time_of_day", time_of_day, "a time like 08:30 (HH:MM)")
    on_date = (on_date or "").strip() or None
    if on_date is not None:
        try:
            day = dt.date.fromisoformat(on_date)
        except ValueError:
            raise InvalidInput("on_date", on_date, "a date like 2026-12-24") from None
        # Years far off are typing mistakes, and at the calendar's ends a
        # zone's offset would carry the moment out of the calendar.
        if len(on_date) != len("2026-12-24") or not YEARS[0] <= day.year <= YEARS[1]:
            raise InvalidInput(
                "on_date",
                on_date,
                f"a date like 2026-12-24, years {YEARS[0]} to {YEARS[1]}",
            )
    if bool(days) == bool(on_date):
        raise InvalidInput(
            "weekdays", ",".join(days), "either weekdays or a date, one of the two"
        )
    return days, time_of_day, on_date


# -- the service --------------------------------------------------------------


class BroadcastService:
    def __init__(self, settings: Settings, actor: Principal) -> None:
        self.settings = settings
        self.actor = actor

    def list(self) -> list[BroadcastInfo]:
        self.actor.require(Permission.VIEW_MEDIA)
        rows = PageBroadcast.select().order_by(PageBroadcast.name)
        return [BroadcastInfo.of(r) for r in rows]

    def show(self, name: str) -> BroadcastInfo:
        self.actor.require(Permission.VIEW_MEDIA)
        return BroadcastInfo.of(self._row(name))

    def _row(self, name: str) -> PageBroadcast:
        row = PageBroadcast.get_or_none(PageBroadcast.name == name)
        if row is None:
            raise NotFound(f"page broadcast {name} does not exist", field="name")
        return row

    def save(
        self,
        name: str,
        *,
        page_group: str,
        prompt: str,
        weekdays: list[str],
        time_of_day: str,
        on_date: str | None = None,
        enabled: bool = True,
    ) -> Saved[BroadcastInfo]:
        """Create or change a broadcast; its next run is worked out anew."""
        self.actor.require(Permission.MANAGE_MEDIA)
        name = (name or "").strip()
        if not _NAME.fullmatch(name):
            raise InvalidInput(
                "name",
                name,
                f"A-Z, a-z, 0-9, spaces, - and _ (up to {NAME_MAX}; the name is in "
                "the page's addresses)",
            )
        if not PageGroup.select().where(PageGroup.number == page_group).exists():
            raise InvalidInput("page_group", page_group, "not a page group's number")
        prompt_path(self.settings, prompt)
        weekdays, time_of_day, on_date = _check_schedule(weekdays, time_of_day, on_date)
        due = next_run(weekdays, time_of_day, on_date, time.time(), local_time.zone())
        if on_date is not None and due is None:
            raise InvalidInput("on_date", on_date, "that moment has passed")

        where = PageBroadcast.name == name
        with upsert(PageBroadcast, where, name=name) as found:
            row = found.row
            before = None if found.created else BroadcastInfo.of(row).to_dict()
            row.page_group = page_group
            row.prompt = prompt
            row.weekdays = ",".join(weekdays)
            row.time_of_day = time_of_day
            row.on_date = on_date
            row.enabled = enabled
            row.next_run_at = due
            row.updated_at = utcnow()
            row.save()
            after = BroadcastInfo.of(row)
            audit.record(
                self.actor,
                "create" if found.created else "update",
                "page broadcast",
                name,
                before,
                after.to_dict(),
            )
        return Saved(after, found.created)

    def set_enabled(self, name: str, enabled: bool) -> BroadcastInfo:
        self.actor.require(Permission.MANAGE_MEDIA)
        row = self._row(name)
        return self.save(
            name,
            page_group=row.page_group,
            prompt=row.prompt,
            weekdays=_weekdays_of(row.weekdays),
            time_of_day=row.time_of_day,
            on_date=row.on_date,
            enabled=enabled,
        ).info

    def remove(self, name: str) -> None:
        self.actor.require(Permission.MANAGE_MEDIA)
        row = self._row(name)
        with database.atomic():
            before = BroadcastInfo.of(row).to_dict()
            row.delete_instance()
            audit.record(self.actor, "delete", "page broadcast", name, before, None)

    def run_now(self, name: str) -> BroadcastInfo:
        """Send the broadcast to the media service now, whatever its schedule."""
        self.actor.require(Permission.MANAGE_MEDIA)
        row = self._row(name)
        now = time.time()
        enqueue(self.settings, row, now)
        row.last_run_at = now
        row.save(only=[PageBroadcast.last_run_at])
        audit.record(self.actor, "run", "page broadcast", name, None, None)
        return BroadcastInfo.of(row)


# -- the spool between the agent and the media workers -----------------------


@dataclass(frozen=True)
class BroadcastJob:
    """One run of a broadcast, as a media worker reads it from the spool."""

    name: str
    page_group: str
    members: list[str]
    prompt: str
    queued_at: float

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def parse(cls, text: str) -> BroadcastJob:
        body = json.loads(text)
        return cls(
            str(body["name"]),
            str(body["page_group"]),
            [str(m) for m in body["members"]],
            str(body["prompt"]),
            float(body["queued_at"]),
        )


def spool_dir(settings: Settings) -> Path:
    return settings.run_dir / SPOOL_FOLDER


def enqueue(settings: Settings, row: PageBroadcast, now: float | None = None) -> Path:
    """Write a job file for the media workers; it appears whole or not at all.

    Raises:
        InvalidInput: the page group or the prompt is gone since it was saved.
    """
    group = PageGroup.get_or_none(PageGroup.number == row.page_group)
    if group is None:
        raise InvalidInput("page_group", row.page_group, "not a page group's number")
    job = BroadcastJob(
        row.name,
        group.number,
        member_numbers(group.members),
        str(prompt_path(settings, row.prompt)),
        time.time() if now is None else now,
    )
    folder = spool_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "w") as out:
        out.write(job.to_json())
    target = folder / f"{int(job.queued_at * 1000)}-{row.id}{JOB_SUFFIX}"
    os.replace(partial, target)
    log.info(
        "page broadcast %s: sent to the media service for page group %s",
        row.name,
        group.number,
    )
    return target


def run_due(settings: Settings, now: float | None = None) -> int:
    """Send every enabled broadcast that is due; return how many went."""
    now = time.time() if now is None else now
    zone = local_time.zone()
    due = PageBroadcast.select().where(
        PageBroadcast.enabled, PageBroadcast.next_run_at <= now
    )
    sent = 0
    for row in due:
        try:
            enqueue(settings, row, now)
            sent += 1
        except InvalidInput as exc:
            log.warning("page broadcast %s: not sent: %s", row.name, exc)
            raise_event(
                catalogue.PAGE_BROADCAST_FAILED,
                f"page broadcast {row.name} not sent: {exc}",
                row.name,
            )
        row.last_run_at = now
        row.next_run_at = next_run(
            _weekdays_of(row.weekdays), row.time_of_day, row.on_date, now, zone
        )
        row.save()
    return sent


def reschedule(now: float | None = None) -> int:
    """Work out every enabled broadcast's next run again, in the appliance's
    zone as it is now: after the zone changed, "08:00" is the new zone's.
    Returns how many were moved."""
    now = time.time() if now is None else now
    zone = local_time.zone()
    moved = 0
    for row in PageBroadcast.select().where(PageBroadcast.enabled):
        due = next_run(
            _weekdays_of(row.weekdays), row.time_of_day, row.on_date, now, zone
        )
        if due != row.next_run_at:
            row.next_run_at = due
            row.save()
            moved += 1
    return moved


def expire_stale(settings: Settings, now: float | None = None) -> list[str]:
    """Give up jobs no worker took in SPOOL_MAX_WAIT_S; return their names."""
    now = time.time() if now is None else now
    expired = []
    for path in sorted(spool_dir(settings).glob(f"*{JOB_SUFFIX}")):
        try:
            job = BroadcastJob.parse(path.read_text())
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
            continue
        if now - job.queued_at < SPOOL_MAX_WAIT_S:
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue  # a worker took it just now
        expired.append(job.name)
        log.warning("page broadcast %s: no media worker was free", job.name)
        raise_event(
            catalogue.PAGE_BROADCAST_FAILED,
            f"page broadcast {job.name} reached nobody: no media worker was free",
            job.name,
        )
    return expired


class BroadcastScheduler:
    """Run from the agent's loop: due broadcasts go out, stale jobs expire."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._next_check = 0.0

    def tick(self, now: float) -> None:
        if now < self._next_check:
            return
        self._next_check = now + CHECK_INTERVAL_S
        try:
            run_due(self.settings)
            expire_stale(self.settings)
        except Exception:
            log.exception("page broadcasts: the check failed")
