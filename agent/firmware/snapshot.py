"""The database copy taken before an update, for the way back.

A new release may migrate the databases during its trial boot. If the trial
fails, the old release boots again and finds a schema newer than it knows,
which it would refuse, and the box would stop working as a PBX. So
``firmware apply`` copies both databases (SQLite's online backup API)
before it writes the slot, and the old release, opening a database too new
for it, puts that copy back. What was changed during the failed trial is
lost; that is minutes of changes, against a box that no longer works.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
from pathlib import Path

from agent.db.migrations import LATEST_VERSION, file_schema_version
from agent.settings import Settings
from agent.sip import state_db

log = logging.getLogger("edgepbx.firmware")

SNAPSHOT_DIR = "rollback-snapshot"
ABOUT = "snapshot.json"


def _databases(settings: Settings) -> dict[Path, int]:
    """Each database and the newest schema this release knows for it."""
    return {
        settings.config_db: LATEST_VERSION,
        settings.sip_state_db: state_db.MIGRATIONS[-1].version,
    }


def take(settings: Settings, before_version: str) -> Path:
    """Copy both databases aside, replacing an older copy."""
    root = settings.data_dir / "firmware"
    final = root / SNAPSHOT_DIR
    partial = root / f".{SNAPSHOT_DIR}.{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    schemas = {}
    for database in _databases(settings):
        if not database.exists():
            continue
        source = sqlite3.connect(database)
        target = sqlite3.connect(partial / database.name)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        schemas[database.name] = file_schema_version(partial / database.name)
    about = {"before_installing": before_version, "schemas": schemas}
    (partial / ABOUT).write_text(json.dumps(about, indent=2))
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    return final


def restore_if_too_new(settings: Settings) -> bool:
    """Put the copy back if a database is newer than this release knows.

    Returns True if it did. Called before the databases are opened.
    """
    snapshot = settings.data_dir / "firmware" / SNAPSHOT_DIR
    known = _databases(settings)
    too_new = [
        db
        for db, latest in known.items()
        if db.exists() and file_schema_version(db) > latest
    ]
    if not too_new or not (snapshot / ABOUT).exists():
        return False
    about = json.loads((snapshot / ABOUT).read_text())
    if any(about["schemas"].get(db.name, 0) > latest for db, latest in known.items()):
        return False  # the copy is no better; leave the refusal to migrate()
    for database in known:
        copy = snapshot / database.name
        if not copy.exists():
            continue
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        staged = database.with_name(f".{database.name}.restoring")
        shutil.copyfile(copy, staged)
        os.replace(staged, database)
    log.warning(
        "database schema newer than this release (a failed update?): restored the "
        "copy taken before installing %s; changes made since are lost",
        about["before_installing"],
    )
    return True
