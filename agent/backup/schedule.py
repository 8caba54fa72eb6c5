"""Backups made on a schedule, kept on the box, the oldest pruned.

The schedule (daily or weekly, at an hour of the appliance's time zone,
how many to keep, an optional passphrase) is one system setting; the
passphrase is sealed with the device key like a trunk's password. The
agent asks ``ScheduledBackups.run_if_due`` every few seconds: a backup is
due when no scheduled backup was made since the latest scheduled moment,
so a box that was off at that moment makes it when it comes back, once.
By the same rule a schedule turned on (or moved to an hour already past)
makes the backup of its latest scheduled moment at once, unless one was
made since: a box is never left without a backup until the next moment.

Scheduled backups live in ``backups/`` of the data directory, named
``scheduled-YYYYMMDDTHHMMSSZ.backup``; only those are ever pruned, the
newest ``keep`` stay. The backup itself is ``BackupService.create``, the
same as ``edgepbx backup create`` and the download on the System page.
Keeping the copies on the same card guards against a bad change, not a dead
card: download one now and then, or restore on another box, as the page says.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from agent import audit, setup, system_settings
from agent.accounts.roles import SYSTEM, Permission, Principal
from agent.backup.service import BackupService, check_passphrase
from agent.db import database
from agent.devicekey import DeviceKey
from agent.errors import InvalidInput, NotFound, Refusals
from agent.settings import Settings

log = logging.getLogger("edgepbx.backup")

SCHEDULE_SETTING = "backup.schedule"
PASSPHRASE_PURPOSE = "scheduled backup passphrase"
FREQUENCIES = ("off", "daily", "weekly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
            "sunday")  # fmt: skip
#: A week of dailies or most of a quarter of weeklies by default; a backup
#: of a small office is megabytes, voicemail and recordings aside.
DEFAULT_KEEP = 7
KEEP_RANGE = (1, 100)
KEEP_RULE = f"{KEEP_RANGE[0]} to {KEEP_RANGE[1]} backups"
HOUR_RULE = "a whole hour from 0 to 23"
WEEKDAY_RULE = "a day such as sunday"
#: A daily schedule has no day, and one given with it would be dropped.
WEEKDAY_ONLY_WEEKLY = "a day only for a weekly schedule"
#: Night-time, when nobody calls and the card has time.
DEFAULT_HOUR = 3
SCHEDULED_NAME = re.compile(r"^scheduled-\d{8}T\d{6}Z\.backup$")
_INTEGER = re.compile(r"-?[0-9]+")


def number_as_typed(text: str) -> int | str:
    """An hour or a count as the command line or the form gave it: a whole
    number, sign and all ("-1", "24"), else the text itself, so that
    ``set_schedule`` refuses either with its own rule."""
    return int(text) if _INTEGER.fullmatch(text) else text


@dataclass(frozen=True)
class BackupSchedule:
    frequency: str = "off"
    hour: int = DEFAULT_HOUR
    weekday: str = "sunday"
    keep: int = DEFAULT_KEEP
    sealed: bool = False  # whether a passphrase seals each backup

    def to_dict(self) -> dict:
        """As shown: a day only for weekly backups (a daily or no schedule
        has none, though the day stays stored for a switch to weekly)."""
        shown = asdict(self)
        if self.frequency != "weekly":
            shown["weekday"] = None
        return shown

    def last_due(self, now: dt.datetime) -> dt.datetime | None:
        """The latest scheduled moment at or before now (aware), if any."""
        if self.frequency == "off":
            return None
        moment = now.replace(hour=self.hour, minute=0, second=0, microsecond=0)
        if moment > now:
            moment -= dt.timedelta(days=1)
        if self.frequency == "weekly":
            back = (moment.weekday() - WEEKDAYS.index(self.weekday)) % 7
            moment -= dt.timedelta(days=back)
        return moment


@dataclass(frozen=True)
class StoredBackup:
    name: str
    size: int
    made_at: str  # ISO 8601, UTC

    def to_dict(self) -> dict:
        return asdict(self)


def _schedule_of(stored: dict) -> BackupSchedule:
    return BackupSchedule(
        frequency=stored.get("frequency", "off"),
        hour=stored.get("hour", DEFAULT_HOUR),
        weekday=stored.get("weekday", "sunday"),
        keep=stored.get("keep", DEFAULT_KEEP),
        sealed=bool(stored.get("passphrase")),
    )


def _one_passphrase_change(passphrase: str | None, clear_passphrase: bool) -> None:
    if passphrase is not None and clear_passphrase:
        raise InvalidInput(
            "passphrase",
            None,
            "a new passphrase seals the backups, stopping sealing clears it: "
            "one or the other, not both",
        )


def _frequency(value: object) -> str:
    if value not in FREQUENCIES:
        raise InvalidInput("frequency", value, "off, daily or weekly")
    return value


def _whole_number_in(field: str, value: object, low: int, high: int, rule: str) -> int:
    """An hour or a count: empty text (a form's field left empty) is
    "required", anything but a whole number from low to high the rule."""
    if value == "":
        raise InvalidInput(field, None, f"required: {rule}")
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        raise InvalidInput(field, value, rule)
    return value


def _hour(value: object) -> int:
    return _whole_number_in("hour", value, 0, 23, HOUR_RULE)


def _keep(value: object) -> int:
    return _whole_number_in("keep", value, *KEEP_RANGE, KEEP_RULE)


def _weekday(value: object, schedule_is: str) -> str:
    if not isinstance(value, str) or value.lower() not in WEEKDAYS:
        raise InvalidInput("weekday", value, WEEKDAY_RULE)
    if schedule_is != "weekly":
        raise InvalidInput(
            "weekday", value, f"{WEEKDAY_ONLY_WEEKLY} (the schedule is {schedule_is})"
        )
    return value.lower()


class ScheduledBackups:
    def __init__(self, settings: Settings, key: DeviceKey, actor: Principal) -> None:
        self.settings = settings
        self.key = key
        self.actor = actor
        self.folder = settings.data_dir / "backups"

    # -- the schedule ------------------------------------------------------------

    def schedule(self) -> BackupSchedule:
        self.actor.require(Permission.MANAGE_BACKUPS)
        return _schedule_of(system_settings.get(SCHEDULE_SETTING, {}))

    def set_schedule(
        self,
        *,
        frequency: str | None = None,
        hour: int | None = None,
        weekday: str | None = None,
        keep: int | None = None,
        passphrase: str | None = None,
        clear_passphrase: bool = False,
    ) -> BackupSchedule:
        """Change what is given; a refused value changes nothing, and every
        value refused is refused at once."""
        self.actor.require(Permission.MANAGE_BACKUPS)
        stored = dict(system_settings.get(SCHEDULE_SETTING, {}))
        before = _schedule_of(stored)
        refusals = Refusals()
        refusals.check(_one_passphrase_change, passphrase, clear_passphrase)
        if frequency is not None:
            stored["frequency"] = refusals.check(_frequency, frequency)
        if hour is not None:
            stored["hour"] = refusals.check(_hour, hour)
        if weekday is not None:
            schedule_is = stored.get("frequency") or before.frequency
            stored["weekday"] = refusals.check(_weekday, weekday, schedule_is)
        if keep is not None:
            stored["keep"] = refusals.check(_keep, keep)
        if passphrase is not None:
            refusals.check(check_passphrase, passphrase)
        refusals.raise_any()

        if passphrase is not None:
            stored["passphrase"] = self.key.seal(passphrase, PASSPHRASE_PURPOSE)
        elif clear_passphrase:
            stored.pop("passphrase", None)

        after = _schedule_of(stored)
        with database.atomic():
            system_settings.put(SCHEDULE_SETTING, stored)
            audit.record(
                self.actor,
                "update",
                "setting",
                SCHEDULE_SETTING,
                before.to_dict(),
                after.to_dict(),
            )
        log.info(
            "scheduled backups: %s at %02d:00, keep %d%s",
            after.frequency
            if after.frequency != "weekly"
            else f"every {after.weekday}",
            after.hour,
            after.keep,
            ", sealed" if after.sealed else "",
        )
        return after

    # -- the backups kept --------------------------------------------------------

    def stored(self) -> list[StoredBackup]:
        """The scheduled backups on the box, newest first."""
        self.actor.require(Permission.MANAGE_BACKUPS)
        found = []
        for path in self._files():
            try:
                size = path.stat().st_size
            except FileNotFoundError:  # pruned by the agent while we looked
                continue
            made_at = _made_at(path.name).isoformat(timespec="seconds")
            found.append(StoredBackup(path.name, size, made_at))
        return found

    def path_of(self, name: str) -> Path:
        """One stored backup's file, for a download; only by its exact name."""
        self.actor.require(Permission.MANAGE_BACKUPS)
        if not SCHEDULED_NAME.match(name or "") or not (self.folder / name).is_file():
            raise NotFound(f"stored backup {name} does not exist", field="name")
        return self.folder / name

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        found = [p for p in self.folder.iterdir() if SCHEDULED_NAME.match(p.name)]
        return sorted(found, key=lambda p: p.name, reverse=True)

    # -- making them ---------------------------------------------------------------

    def due(self, now: dt.datetime | None = None) -> dt.datetime | None:
        """The scheduled moment whose backup is still to be made (in the
        appliance's time zone), or None: no schedule, or made since."""
        self.actor.require(Permission.MANAGE_BACKUPS)
        schedule = _schedule_of(system_settings.get(SCHEDULE_SETTING, {}))
        return self._due(schedule, self._local(now))

    def _due(self, schedule: BackupSchedule, now: dt.datetime) -> dt.datetime | None:
        due = schedule.last_due(now)
        if due is None:
            return None
        newest = self._files()
        if newest and _made_at(newest[0].name) >= due:
            return None
        return due

    @staticmethod
    def _local(now: dt.datetime | None) -> dt.datetime:
        zone = ZoneInfo(setup.timezone())
        return (now or dt.datetime.now(dt.UTC)).astimezone(zone)

    def run_if_due(self, now: dt.datetime | None = None) -> Path | None:
        """Make the backup if one is due, then prune; the path made, or None."""
        stored = system_settings.get(SCHEDULE_SETTING, {})
        schedule = _schedule_of(stored)
        now = self._local(now)
        if self._due(schedule, now) is None:
            return None

        passphrase = None
        if stored.get("passphrase"):
            passphrase = self.key.open(stored["passphrase"], PASSPHRASE_PURPOSE)
        stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = self.folder / f"scheduled-{stamp}.backup"
        self.folder.mkdir(parents=True, exist_ok=True)
        BackupService(self.settings, SYSTEM).create(path, passphrase)
        self.prune(schedule.keep)
        return path

    def prune(self, keep: int) -> list[str]:
        """Remove all but the newest keep scheduled backups; their names."""
        removed = []
        for path in self._files()[keep:]:
            path.unlink(missing_ok=True)
            removed.append(path.name)
        if removed:
            log.info("scheduled backups: %d old ones removed", len(removed))
        return removed


def _made_at(name: str) -> dt.datetime:
    stamp = name.removeprefix("scheduled-").removesuffix(".backup")
    return dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


class BackupScheduler:
    """The agent's side: asks whether a backup is due, makes it in a thread.

    A backup takes seconds to minutes (voicemail, recordings), so it never
    runs on the agent's supervision loop; one at a time.
    """

    #: How often the agent asks; a backup starts at most this late.
    CHECK_INTERVAL_S = 30.0

    def __init__(self, settings: Settings, key: DeviceKey) -> None:
        self.backups = ScheduledBackups(settings, key, SYSTEM)
        self._thread: threading.Thread | None = None
        self._next_check = 0.0

    def tick(self, monotonic_now: float) -> None:
        if monotonic_now < self._next_check:
            return
        self._next_check = monotonic_now + self.CHECK_INTERVAL_S
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(
            target=self._run, name="scheduled-backup", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        try:
            made = self.backups.run_if_due()
        except Exception as exc:  # a failed backup must never stop the agent
            log.error("scheduled backup failed: %s", exc)
            return
        if made is not None:
            log.info("scheduled backup made: %s", made.name)
