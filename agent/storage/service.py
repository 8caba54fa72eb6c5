"""What fills the data directory, how long each kind is kept, and clean-up.

Kinds of data and where they live (all under the data directory):

- recordings: files under ``recordings/``; a record that points to a removed
  file shows it as removed, so removing the file is the whole clean-up.
- voicemail: messages of every mailbox under ``voicemail/``; a clean-up
  removes old messages (row and file) and never a greeting, then sends each
  mailbox's phones the new message-waiting count.
- call records: rows of the ``cdr`` table in the configuration database;
  their size is the pages SQLite holds for the table and its indexes.
- logs: files under ``logs/``. A live log (a name ending in ``.log``) is
  emptied rather than removed, because the process writing it keeps the
  file open and a removed one would free nothing.
- backups: files under ``backups/``. The backup schedule keeps its newest
  ``keep`` backups; a retention or quota here removes older ones on top of
  that, whichever is stricter wins, and the newest scheduled backup always
  stays: removing it would make the schedule make it again at once.
- prompts and music (``prompts/``) and everything else are measured only.

Each kind may keep at most ``max_days`` days and at most ``max_mb`` MB;
either may be off. The agent applies them every hour, oldest first
(``StorageKeeper``), and anyone with the permission may run a clean-up now.
Before the disk fills (``FULL_PERCENT``), the agent removes the oldest logs,
backups and recordings until the disk is back under ``TARGET_PERCENT``; the
event centre's sampler warns earlier, at its ``disk nearly full`` threshold.
Every clean-up that removes something is audited and counted.

The usage by kind is measured in one walk of the data directory and kept
for ``USAGE_CACHE_S`` in each process; a clean-up, or a change a process
announces with ``usage_changed``, makes the next request measure again.
The disk's own total and free space are always read afresh.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from peewee import Expression, fn

from agent import audit, system_settings
from agent.accounts.roles import SYSTEM, Permission, Principal
from agent.db import database
from agent.db.models import Mailbox, VoicemailMessage
from agent.errors import InvalidInput
from agent.events import catalogue, raise_event
from agent.settings import Settings
from agent.trunks.models import CallRecord, QueueCallPart
from agent.wording import counted

log = logging.getLogger("edgepbx.storage")

RECORDINGS = "recordings"
VOICEMAIL = "voicemail"
CALL_RECORDS = "call-records"
LOGS = "logs"
BACKUPS = "backups"
#: The kinds that retention and quotas apply to, in the order pages list them.
KINDS = (RECORDINGS, VOICEMAIL, CALL_RECORDS, LOGS, BACKUPS)
PROMPTS = "prompts"
OTHER = "other"
#: Every kind the usage shows.
USAGE_KINDS = (*KINDS, PROMPTS, OTHER)
LABELS = {
    RECORDINGS: "Recordings",
    VOICEMAIL: "Voicemail",
    CALL_RECORDS: "Call records",
    LOGS: "Logs",
    BACKUPS: "Backups",
    PROMPTS: "Prompts and music",
    OTHER: "Other",
}

POLICY_SETTING = "storage.policy"
COUNTS_SETTING = "storage.cleanups"
MB = 1024 * 1024
DAY_S = 86400
# Well under SQLite's limit of host parameters in one statement (32766).
CALL_RECORD_BATCH = 500
# Ten years: longer is "forever", which is the retention left off.
MAX_DAYS_LIMIT = 3650
DAYS_RULE = f"a whole number of days from 1 to {MAX_DAYS_LIMIT}, or off"
#: Logs are for finding out what went wrong lately; a month is plenty, and
#: the other kinds are the office's own data, kept until someone decides.
DEFAULT_POLICY = {LOGS: {"max_days": 30, "max_mb": None}}
#: A file this fresh may still be written (a call being recorded): a quota
#: leaves it alone.
IN_USE_GRACE_S = 60
# Past this share of the disk the agent cleans up without waiting; it cleans
# down to the target, below the sampler's default warning (90 %) so the
# warning can clear. Kinds in the order they are sacrificed: logs are least
# missed, old backups have newer ones, recordings are the bulk.
FULL_PERCENT = 95
TARGET_PERCENT = 88
DISK_KINDS = (LOGS, BACKUPS, RECORDINGS)
# Retention runs hourly; the disk is looked at every minute.
RETENTION_INTERVAL_S = 3600.0
DISK_INTERVAL_S = 60.0

#: How old the usage by kind may be when shown: measuring it walks the whole
#: data directory, and the storage page, the API and the monitor ask often.
#: A clean-up here, or a change any process announces with
#: ``usage_changed`` (a message filed or deleted), measures it again at once.
USAGE_CACHE_S = 30.0
#: The file whose modification time says "measure again" to every process.
USAGE_STAMP = ".usage-changed"

REASON_RETENTION = "retention"
REASON_QUOTA = "quota"
REASON_DISK = "disk nearly full"


@dataclass(frozen=True)
class Retention:
    kind: str
    max_days: int | None = None
    max_mb: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class KindUsage:
    kind: str
    label: str
    bytes: int
    items: int
    oldest: str | None  # ISO 8601, UTC

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Usage:
    kinds: list[KindUsage]
    data_bytes: int
    disk_total: int
    disk_free: int

    @property
    def disk_used_percent(self) -> float:
        if not self.disk_total:
            return 0.0
        return 100.0 * (self.disk_total - self.disk_free) / self.disk_total

    def of(self, kind: str) -> KindUsage:
        return next(k for k in self.kinds if k.kind == kind)

    def to_dict(self) -> dict:
        return {
            "kinds": [k.to_dict() for k in self.kinds],
            "data_bytes": self.data_bytes,
            "disk_total": self.disk_total,
            "disk_free": self.disk_free,
            "disk_used_percent": round(self.disk_used_percent, 1),
        }


@dataclass(frozen=True)
class Cleanup:
    kind: str
    reason: str
    removed: int
    freed_bytes: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Item:
    """One thing a clean-up may remove: its time, size and how to remove it."""

    at: float  # Unix seconds
    size: int
    remove: Callable[[], None]
    kept: bool = False  # never removed (the newest scheduled backup)
    tag: object = field(default=None)


def _files(folder: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Every regular file under folder (symlinks not followed)."""
    if not folder.is_dir():
        return
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            try:
                stat = path.lstat()
            except OSError:
                continue  # removed meanwhile
            if path.is_file() and not path.is_symlink():
                yield path, stat


def _folder_usage(kind: str, found: list[tuple[str, os.stat_result]]) -> KindUsage:
    return KindUsage(
        kind,
        LABELS[kind],
        sum(s.st_size for _, s in found),
        len(found),
        _iso(min((s.st_mtime for _, s in found), default=None)),
    )


# Per data directory: (monotonic time measured, the stamp then, the usage by
# kind, the data's bytes); shared by every StorageService of the process.
_CACHE: dict[Path, tuple[float, int, list[KindUsage], int]] = {}
_CACHE_LOCK = threading.Lock()


def _stamp(data_dir: Path) -> int:
    try:
        return (data_dir / USAGE_STAMP).stat().st_mtime_ns
    except OSError:
        return 0


def usage_changed(data_dir: Path) -> None:
    """Say to every process that the usage by kind must be measured again
    (a message filed or deleted, a clean-up); cheap, never raises."""
    with _CACHE_LOCK:
        _CACHE.pop(data_dir, None)
    stamp = data_dir / USAGE_STAMP
    try:
        # Two changes within one tick of the file system's clock would look
        # like one: the stamp always moves on past the last one.
        at = max(time.time_ns(), _stamp(data_dir) + 1)
        stamp.touch()
        os.utime(stamp, ns=(at, at))
    except OSError as exc:
        log.warning("storage: cannot mark the usage changed: %s", exc)


def _iso(at: float | None) -> str | None:
    if at is None:
        return None
    return dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="seconds")


def _check_kind(kind: object) -> str:
    if not isinstance(kind, str) or kind not in KINDS:
        raise InvalidInput("kind", kind, "one of " + ", ".join(KINDS))
    return kind


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class StorageService:
    def __init__(
        self,
        settings: Settings,
        actor: Principal = SYSTEM,
        disk_usage: Callable[[Path], tuple[int, int, int]] = shutil.disk_usage,
    ) -> None:
        self.settings = settings
        self.actor = actor
        self.data_dir = settings.data_dir
        # The file system's (total, used, free); a test gives a small disk.
        self.disk_usage = disk_usage

    # -- usage -----------------------------------------------------------------

    def usage(self) -> Usage:
        self.actor.require(Permission.VIEW_SYSTEM_SETTINGS)
        return self._usage()

    def _usage(self) -> Usage:
        kinds, data_bytes = self._kinds_usage()
        total, _used, free = self.disk_usage(self.data_dir)
        return Usage(kinds, data_bytes, total, free)

    def _kinds_usage(self) -> tuple[list[KindUsage], int]:
        """The usage by kind, measured at most USAGE_CACHE_S ago and not
        before the last announced change."""
        stamp = _stamp(self.data_dir)
        now = time.monotonic()
        with _CACHE_LOCK:
            kept = _CACHE.get(self.data_dir)
        if kept is not None:
            measured_at, measured_stamp, kinds, data_bytes = kept
            if measured_stamp == stamp and now - measured_at < USAGE_CACHE_S:
                return kinds, data_bytes
        kinds, data_bytes = self._measure()
        with _CACHE_LOCK:
            _CACHE[self.data_dir] = (now, stamp, kinds, data_bytes)
        return kinds, data_bytes

    def _measure(self) -> tuple[list[KindUsage], int]:
        """One walk of the data directory, each file counted under its top
        folder; messages and call records counted in the database."""
        files: dict[str, list[tuple[str, os.stat_result]]] = {}
        for path, stat in _files(self.data_dir):
            parts = path.relative_to(self.data_dir).parts
            if parts == (USAGE_STAMP,):
                continue
            where = parts[0] if len(parts) > 1 else OTHER
            files.setdefault(where, []).append((path.name, stat))
        # A backup being written for a download is not a backup yet.
        backups = [f for f in files.get(BACKUPS, []) if not f[0].startswith(".")]

        kinds = [_folder_usage(RECORDINGS, files.get(RECORDINGS, []))]
        messages, oldest = self._voicemail_counts()
        # Greetings are voicemail too, though no clean-up removes them.
        voicemail_bytes = sum(s.st_size for _, s in files.get(VOICEMAIL, []))
        kinds.append(
            KindUsage(
                VOICEMAIL, LABELS[VOICEMAIL], voicemail_bytes, messages, _iso(oldest)
            )
        )
        kinds.append(self._call_records_usage())
        kinds.append(_folder_usage(LOGS, files.get(LOGS, [])))
        kinds.append(_folder_usage(BACKUPS, backups))
        kinds.append(_folder_usage(PROMPTS, files.get(PROMPTS, [])))

        data_bytes = sum(s.st_size for found in files.values() for _, s in found)
        measured = {RECORDINGS, VOICEMAIL, LOGS, BACKUPS, PROMPTS}
        others = sum(
            len(found) for where, found in files.items() if where not in measured
        )
        counted = sum(k.bytes for k in kinds)
        kinds.append(
            KindUsage(OTHER, LABELS[OTHER], max(data_bytes - counted, 0), others, None)
        )
        return kinds, data_bytes

    def _voicemail_counts(self) -> tuple[int, float | None]:
        """(messages, the oldest one's time) of every mailbox."""
        count, oldest = (
            VoicemailMessage.select(
                fn.COUNT(VoicemailMessage.id), fn.MIN(VoicemailMessage.received_at)
            )
            .join(Mailbox)
            .scalar(as_tuple=True)
        )
        if oldest is None:
            return count, None
        if isinstance(oldest, str):
            oldest = dt.datetime.fromisoformat(oldest)
        return count, oldest.replace(tzinfo=dt.UTC).timestamp()

    def _call_records_usage(self) -> KindUsage:
        """The call records' count, oldest and bytes, without reading a row
        (the clean-up spreads the table's bytes evenly over its rows)."""
        count, oldest = CallRecord.select(
            fn.COUNT(CallRecord.id), fn.MIN(CallRecord.started_at)
        ).scalar(as_tuple=True)
        size = (self._call_record_bytes() // count) * count if count else 0
        return KindUsage(CALL_RECORDS, LABELS[CALL_RECORDS], size, count, _iso(oldest))

    # -- the policy ------------------------------------------------------------

    def policy(self) -> list[Retention]:
        self.actor.require(Permission.VIEW_SYSTEM_SETTINGS)
        return self._policy()

    def _policy(self) -> list[Retention]:
        stored = system_settings.get(POLICY_SETTING, DEFAULT_POLICY)
        return [
            Retention(
                kind,
                stored.get(kind, {}).get("max_days"),
                stored.get(kind, {}).get("max_mb"),
            )
            for kind in KINDS
        ]

    def retention(self, kind: str) -> Retention:
        _check_kind(kind)
        return next(r for r in self.policy() if r.kind == kind)

    def set_retention(self, kind: str, **changes: int | None) -> Retention:
        """Change max_days and/or max_mb of a kind; None turns one off.

        Only the keys given change; a refused value changes nothing.
        """
        self.actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
        _check_kind(kind)
        unknown = set(changes) - {"max_days", "max_mb"}
        if unknown:
            raise InvalidInput(sorted(unknown)[0], None, "max_days or max_mb only")
        days = changes.get("max_days")
        if days is not None and (not _whole(days) or not 1 <= days <= MAX_DAYS_LIMIT):
            raise InvalidInput("max_days", days, DAYS_RULE)
        size = changes.get("max_mb")
        if "max_mb" in changes and size is not None:
            disk_mb = self.disk_usage(self.data_dir)[0] // MB
            if not _whole(size) or size < 1:
                raise InvalidInput("max_mb", size, "a whole number of MB, 1 or more")
            if size > disk_mb:
                raise InvalidInput(
                    "max_mb", size, f"at most the disk's size, {disk_mb} MB"
                )

        stored = dict(system_settings.get(POLICY_SETTING, DEFAULT_POLICY))
        before = self.retention(kind)
        stored[kind] = {
            "max_days": changes.get("max_days", before.max_days),
            "max_mb": changes.get("max_mb", before.max_mb),
        }
        with database.atomic():
            system_settings.put(POLICY_SETTING, stored)
            after = self.retention(kind)
            audit.record(
                self.actor,
                "update",
                "storage retention",
                kind,
                before.to_dict(),
                after.to_dict(),
            )
        log.info(
            "storage %s: keep %s, at most %s",
            kind,
            counted(after.max_days, "day") if after.max_days else "every day",
            f"{after.max_mb} MB" if after.max_mb else "any size",
        )
        return after

    def counts(self) -> dict[str, dict]:
        """Per kind: clean-ups run, things removed, bytes freed, the last one."""
        self.actor.require(Permission.VIEW_SYSTEM_SETTINGS)
        stored = system_settings.get(COUNTS_SETTING, {})
        empty = {"cleanups": 0, "removed": 0, "freed_bytes": 0, "last_at": None}
        return {kind: empty | stored.get(kind, {}) for kind in KINDS}

    # -- clean-up ----------------------------------------------------------------

    def clean(self, kind: str | None = None) -> list[Cleanup]:
        """Apply the retention and quota of one kind (or all) now."""
        self.actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
        kinds = KINDS if kind is None else (_check_kind(kind),)
        return self._apply_policy(kinds)

    def apply_policy(self) -> list[Cleanup]:
        """The agent's hourly run: every kind's retention and quota."""
        return self._apply_policy(KINDS)

    def _apply_policy(self, kinds: tuple[str, ...]) -> list[Cleanup]:
        policy = {r.kind: r for r in self._policy()}
        done = []
        for kind in kinds:
            rule = policy[kind]
            if kind == CALL_RECORDS:
                done.extend(self._clean_call_records(rule))
                continue
            items = sorted(self._items(kind), key=lambda i: i.at)
            if rule.max_days is not None:
                cutoff = time.time() - rule.max_days * DAY_S
                old = [i for i in items if i.at < cutoff and not i.kept]
                done.append(self._remove(kind, REASON_RETENTION, old))
                gone = {id(i) for i in old}
                items = [i for i in items if id(i) not in gone]
            if rule.max_mb is not None:
                excess = sum(i.size for i in items) - rule.max_mb * MB
                done.append(self._remove(kind, REASON_QUOTA, _oldest(items, excess)))
        return [c for c in done if c.removed or self.actor is not SYSTEM]

    def clean_before_full(self) -> list[Cleanup]:
        """If the disk is past FULL_PERCENT, free the oldest of DISK_KINDS
        until it is under TARGET_PERCENT; what was removed."""
        total, _used, free = self.disk_usage(self.data_dir)
        if not total or 100.0 * (total - free) / total < FULL_PERCENT:
            return []
        needed = (total - free) - total * TARGET_PERCENT // 100
        log.warning(
            "storage: disk %.0f%% used, freeing %d MB of the oldest data",
            100.0 * (total - free) / total,
            needed // MB + 1,
        )
        done = []
        for kind in DISK_KINDS:
            if needed <= 0:
                break
            items = sorted(self._items(kind), key=lambda i: i.at)
            cleanup = self._remove(kind, REASON_DISK, _oldest(items, needed))
            needed -= cleanup.freed_bytes
            done.append(cleanup)
        if needed > 0:
            log.error(
                "storage: disk still nearly full; %d MB more is voicemail, call "
                "records or other data, which only a person may remove",
                needed // MB + 1,
            )
        done = [c for c in done if c.removed]
        if done:
            self._announce_freed(done, max(needed, 0))
        return done

    def _announce_freed(self, done: list[Cleanup], still_needed: int) -> None:
        gone = ", ".join(
            f"{c.removed} of {LABELS[c.kind].lower()} ({c.freed_bytes / MB:.1f} MB)"
            for c in done
        )
        summary = f"disk nearly full: removed the oldest: {gone}"
        if still_needed:
            summary += f"; {still_needed // MB + 1} MB more only a person may remove"
        raise_event(
            catalogue.STORAGE_FREED,
            summary,
            object="data partition",
            details={
                "removed": {c.kind: c.removed for c in done},
                "freed_bytes": sum(c.freed_bytes for c in done),
                "still_needed_bytes": still_needed,
            },
        )

    def _remove(self, kind: str, reason: str, items: list[_Item]) -> Cleanup:
        removed, freed = 0, 0
        for item in items:
            try:
                item.remove()
            except OSError as exc:
                log.warning("storage %s: cannot remove: %s", kind, exc)
                continue
            removed += 1
            freed += item.size
        if removed:
            usage_changed(self.data_dir)
        if kind == VOICEMAIL and removed:
            self._tell_mailboxes({i.tag for i in items})
        cleanup = Cleanup(kind, reason, removed, freed)
        if removed or self.actor is not SYSTEM:
            self._account(cleanup)
        return cleanup

    def _clean_call_records(self, rule: Retention) -> list[Cleanup]:
        """Retention, then quota, of the call records: the rows to remove are
        chosen in SQL on the start-time index (cdr_started_idx), the oldest
        first, so a clean-up reads the ids of the rows it removes and no
        others (and, for the bytes, the count and the pages' sizes)."""
        done = []
        if rule.max_days is not None:
            cutoff = time.time() - rule.max_days * DAY_S
            old = self._oldest_call_records(CallRecord.started_at < cutoff)
            share = self._row_share() if old else 0
            done.append(self._remove_call_records(REASON_RETENTION, old, share))
        if rule.max_mb is not None:
            # Measured after the retention's removal, which freed its rows'
            # room in the pages.
            per_row = self._row_share()
            excess = CallRecord.select().count() * per_row - rule.max_mb * MB
            # The fewest oldest rows whose shares add up to the excess. Known
            # shortcoming: a share is an average, and removing rows frees
            # about their share, not exactly, so the calls may stay a few KB
            # over the quota until the next run.
            over = -(-excess // per_row) if excess > 0 and per_row else 0
            oldest = self._oldest_call_records(limit=over) if over else []
            done.append(self._remove_call_records(REASON_QUOTA, oldest, per_row))
        return done

    def _row_share(self) -> int:
        """Each call record's equal share of the bytes of the table and its
        indexes, as the usage shows them."""
        count = CallRecord.select().count()
        return self._call_record_bytes() // count if count else 0

    @staticmethod
    def _oldest_call_records(
        where: Expression | None = None, limit: int | None = None
    ) -> list[int]:
        """The ids of the call records that where selects, oldest first."""
        query = CallRecord.select(CallRecord.id).order_by(
            CallRecord.started_at, CallRecord.id
        )
        if where is not None:
            query = query.where(where)
        if limit is not None:
            query = query.limit(limit)
        return [row_id for (row_id,) in query.tuples()]

    def _remove_call_records(self, reason: str, ids: list[int], size: int) -> Cleanup:
        """Rows go in batches, one transaction: a card writes a year of
        calls' removal in one commit, not one per call. Each frees size
        bytes of the table's share."""
        with database.atomic():
            for start in range(0, len(ids), CALL_RECORD_BATCH):
                batch = ids[start : start + CALL_RECORD_BATCH]
                calls = CallRecord.select(CallRecord.call_id).where(
                    CallRecord.id.in_(batch)
                )
                QueueCallPart.delete().where(QueueCallPart.call_id.in_(calls)).execute()
                CallRecord.delete().where(CallRecord.id.in_(batch)).execute()
        if ids:
            usage_changed(self.data_dir)
        cleanup = Cleanup(CALL_RECORDS, reason, len(ids), size * len(ids))
        if ids or self.actor is not SYSTEM:
            self._account(cleanup)
        return cleanup

    def _account(self, cleanup: Cleanup) -> None:
        counts = dict(system_settings.get(COUNTS_SETTING, {}))
        mine = counts.get(cleanup.kind, {})
        counts[cleanup.kind] = {
            "cleanups": mine.get("cleanups", 0) + 1,
            "removed": mine.get("removed", 0) + cleanup.removed,
            "freed_bytes": mine.get("freed_bytes", 0) + cleanup.freed_bytes,
            "last_at": _iso(time.time()),
        }
        with database.atomic():
            system_settings.put(COUNTS_SETTING, counts)
            audit.record(
                self.actor, "clean", "storage", cleanup.kind, None, cleanup.to_dict()
            )
        if cleanup.removed:
            log.info(
                "storage %s: %d removed (%s), %d KB freed",
                cleanup.kind,
                cleanup.removed,
                cleanup.reason,
                cleanup.freed_bytes // 1024,
            )

    # -- the things of each kind -------------------------------------------------

    def _items(self, kind: str) -> list[_Item]:
        if kind == VOICEMAIL:
            return self._voicemail_items()
        folder = self.data_dir / kind
        fresh = time.time() - IN_USE_GRACE_S
        items = []
        for path, stat in _files(folder):
            if kind == BACKUPS and path.name.startswith("."):
                continue  # a backup being written for a download
            if kind == LOGS and path.name.endswith(".log"):
                remove = _emptier(path)
            else:
                remove = _unlinker(path)
            kept = kind == RECORDINGS and stat.st_mtime > fresh
            items.append(_Item(stat.st_mtime, stat.st_size, remove, kept, path))
        if kind == BACKUPS:
            _keep_newest_scheduled(items)
        return items

    def _voicemail_items(self) -> list[_Item]:
        from agent.voicemail.service import VoicemailService

        service = VoicemailService(self.settings, SYSTEM)
        items = []
        for message in VoicemailMessage.select().join(Mailbox):
            path = service.message_path(message)
            try:
                size = path.stat().st_size
            except OSError:
                size = 0
            at = message.received_at.replace(tzinfo=dt.UTC).timestamp()
            items.append(
                _Item(
                    at,
                    size,
                    _message_remover(service, message),
                    tag=message.mailbox_id,
                )
            )
        return items

    def _call_record_bytes(self) -> int:
        """The bytes the cdr table and its indexes fill in their pages (SQLite's
        dbstat): a deleted row frees its share even where its page stays."""
        cursor = database.execute_sql(
            "SELECT COALESCE(SUM(pgsize - unused), 0) FROM dbstat WHERE name IN "
            "(SELECT name FROM sqlite_master WHERE tbl_name = ?)",
            (CallRecord._meta.table_name,),
        )
        return int(cursor.fetchone()[0])

    def _tell_mailboxes(self, mailbox_ids: set) -> None:
        from agent.voicemail.service import VoicemailService

        service = VoicemailService(self.settings, SYSTEM)
        for box in Mailbox.select().where(Mailbox.id.in_(list(mailbox_ids))):
            service.tell_phones(box)


def _oldest(items: list[_Item], excess: int) -> list[_Item]:
    """The oldest removable items whose sizes add up to at least excess."""
    chosen = []
    for item in items:
        if excess <= 0:
            break
        if item.kept:
            continue
        chosen.append(item)
        excess -= item.size
    return chosen


def _keep_newest_scheduled(items: list[_Item]) -> None:
    """The schedule's newest backup stays: without it the schedule would make
    it again at once."""
    from agent.backup.schedule import SCHEDULED_NAME

    scheduled = [i for i in items if SCHEDULED_NAME.match(i.tag.name)]
    if scheduled:
        max(scheduled, key=lambda i: i.tag.name).kept = True


def _unlinker(path: Path) -> Callable[[], None]:
    return lambda: path.unlink(missing_ok=True)


def _emptier(path: Path) -> Callable[[], None]:
    def empty() -> None:
        with path.open("r+b") as f:
            f.truncate(0)

    return empty


def _message_remover(service, message: VoicemailMessage) -> Callable[[], None]:
    def remove() -> None:
        with database.atomic():
            service.delete(message)

    return remove


class StorageKeeper:
    """The agent's side: retention hourly and the disk every minute, in a
    thread of their own so a big clean-up never holds up supervision."""

    def __init__(self, settings: Settings) -> None:
        self.service = StorageService(settings, SYSTEM)
        self._thread: threading.Thread | None = None
        self._next_retention = 0.0
        self._next_disk = 0.0

    def tick(self, monotonic_now: float) -> None:
        if monotonic_now < min(self._next_retention, self._next_disk):
            return
        if self._thread is not None and self._thread.is_alive():
            return
        retention = monotonic_now >= self._next_retention
        if retention:
            self._next_retention = monotonic_now + RETENTION_INTERVAL_S
        self._next_disk = monotonic_now + DISK_INTERVAL_S
        self._thread = threading.Thread(
            target=self._run, args=(retention,), name="storage", daemon=True
        )
        self._thread.start()

    def _run(self, retention: bool) -> None:
        try:
            self.service.clean_before_full()
            if retention:
                self.service.apply_policy()
        except Exception as exc:  # a failed clean-up must never stop the agent
            log.error("storage clean-up failed: %s", exc)
