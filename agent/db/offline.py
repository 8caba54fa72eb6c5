"""Working on when the configuration database cannot be opened.

The recovery console and the network watchdog must act when the database
file is damaged or missing. They open the appliance as usual; when that
fails, the models are bound to an empty in-memory database of the current
schema instead, so the services they call run unchanged, and whatever those
services write to the audit log is appended to ``logs/audit-offline.jsonl``
rather than lost.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass

import peewee

from agent.appliance import Appliance
from agent.db import database
from agent.db.migrations import migrate
from agent.db.models import AuditEntry
from agent.errors import PbxError
from agent.settings import Settings

log = logging.getLogger("edgepbx")

OFFLINE_AUDIT_LOG = "audit-offline.jsonl"
SETTING_UP = (
    "not made yet: the appliance is still setting up (the agent makes its "
    "data at its first start)"
)


@dataclass
class Database:
    """The database the models are bound to, and whether it is the real one."""

    settings: Settings
    appliance: Appliance | None
    #: Why the real database could not be opened; None when it was.
    problem: str | None

    @property
    def online(self) -> bool:
        return self.appliance is not None

    @property
    def setting_up(self) -> bool:
        """No database yet, nothing broken: the agent makes it at its first
        start (a new card's first boot, or after a factory reset)."""
        return not self.online and not self.settings.config_db.exists()

    def state(self) -> str:
        """The database's state in words, for a person at the console."""
        if self.online:
            return "ok"
        if self.setting_up:
            return SETTING_UP
        return f"unusable: {self.problem}"

    def flush_audit(self) -> None:
        """Move what was audited in memory to the offline audit log."""
        if self.online:
            return
        rows = list(AuditEntry.select().order_by(AuditEntry.id))
        if not rows:
            return
        self.settings.logs_dir.mkdir(parents=True, exist_ok=True)
        with (self.settings.logs_dir / OFFLINE_AUDIT_LOG).open("a") as out:
            for row in rows:
                entry = {
                    "at": f"{row.at.isoformat()}Z",
                    "actor": row.actor,
                    "action": row.action,
                    "object": f"{row.object_type} {row.object_id}",
                    "before": row.before,
                    "after": row.after,
                }
                out.write(json.dumps(entry) + "\n")
        AuditEntry.delete().execute()

    def retry(self) -> bool:
        """Try the real database again (it may exist or be restored by now)."""
        if self.online:
            return True
        self.flush_audit()
        try:
            self.appliance = Appliance.open(self.settings, create=False)
        except (peewee.DatabaseError, sqlite3.DatabaseError, PbxError, OSError):
            _bind_stand_in()
            return False
        self.problem = None
        log.info("database usable again")
        return True

    def close(self) -> None:
        self.flush_audit()
        if self.appliance is not None:
            self.appliance.close()


def open_or_stand_in(settings: Settings) -> Database:
    """The appliance's database if it opens, else an in-memory stand-in."""
    try:
        appliance = Appliance.open(settings, create=False)
        return Database(settings, appliance, None)
    except (peewee.DatabaseError, sqlite3.DatabaseError, PbxError, OSError) as exc:
        problem = str(exc) or type(exc).__name__
    if not settings.config_db.exists():
        log.info("no database yet: the appliance is still setting up")
    else:
        log.warning("database unusable (%s): changes are audited to logs/", problem)
    _bind_stand_in()
    return Database(settings, None, problem)


def _bind_stand_in() -> None:
    stand_in = peewee.SqliteDatabase(":memory:", check_same_thread=False)
    stand_in.connect()
    database.initialize(stand_in)
    migrate(stand_in)
