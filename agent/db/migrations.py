"""Versioned schema migrations of the configuration database.

The schema version is SQLite's ``user_version``. Each migration is plain SQL
written for the schema as it stood at that version, never derived from the
current models, and runs in one transaction with the version bump: a
database is always at exactly one known version. A database newer than this
firmware knows is refused rather than guessed at.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import peewee

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[peewee.Database], None]


def _run(sql: str) -> Callable[[peewee.Database], None]:
    statements = [s.strip() for s in sql.split(";") if s.strip()]

    def apply(db: peewee.Database) -> None:
        for statement in statements:
            db.execute_sql(statement)

    return apply


SETTINGS_AND_EXTENSIONS = """
CREATE TABLE system_setting (
    key VARCHAR(64) PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE extension (
    id INTEGER PRIMARY KEY NOT NULL,
    number VARCHAR(6) NOT NULL UNIQUE,
    display_name VARCHAR(64) NOT NULL,
    email VARCHAR(254),
    sip_password TEXT NOT NULL,
    ha1 VARCHAR(64) NOT NULL,
    ha1b VARCHAR(64) NOT NULL,
    created_at DATETIME NOT NULL
)
"""

# Kamailio's auth_db reads "subscriber" (table version 7 of Kamailio 5.6)
# through this view, so it sees HA1 values of enabled extensions and
# nothing else. The "password" column is empty: auth_db is told to use ha1.
# Kamailio checks each table's version here before using it.
KAMAILIO_VERSION_TABLE = """
CREATE TABLE version (
    id INTEGER PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL UNIQUE,
    table_version INTEGER DEFAULT 0 NOT NULL
);
INSERT INTO version (table_name, table_version) VALUES ('version', 1);
"""

KAMAILIO_SUBSCRIBER_VIEW = """
ALTER TABLE extension ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE extension ADD COLUMN updated_at DATETIME;
UPDATE extension SET updated_at = created_at;
INSERT INTO version (table_name, table_version) VALUES ('subscriber', 7);
CREATE VIEW subscriber AS
    SELECT id, number AS username, '' AS domain, '' AS password, ha1, ha1b
    FROM extension WHERE enabled = 1
"""

MIGRATIONS: list[Migration] = [
    Migration(1, "system settings and extensions", _run(SETTINGS_AND_EXTENSIONS)),
    Migration(
        2,
        "Kamailio's subscriber view",
        _run(KAMAILIO_VERSION_TABLE + ";" + KAMAILIO_SUBSCRIBER_VIEW),
    ),
]

LATEST_VERSION = MIGRATIONS[-1].version


class SchemaTooNew(RuntimeError):
    pass


def schema_version(db: peewee.Database) -> int:
    return db.execute_sql("PRAGMA user_version").fetchone()[0]


def migrate(
    db: peewee.Database,
    migrations: list[Migration] = MIGRATIONS,
    target: int | None = None,
    name: str = "configuration database",
) -> int:
    """Bring db up to target (the latest by default); return the version.

    Raises:
        SchemaTooNew: the database was written by newer firmware.
    """
    latest = migrations[-1].version
    target = latest if target is None else target
    current = schema_version(db)
    if current > latest:
        raise SchemaTooNew(
            f"{name} has schema version {current}, newer than the {latest} "
            "this firmware knows; restore a backup or upgrade the firmware"
        )

    for migration in migrations:
        if current < migration.version <= target:
            # IMMEDIATE takes the write lock first, so of two processes
            # starting at once one migrates and the other finds it done.
            with db.atomic(lock_type="IMMEDIATE"):
                if schema_version(db) >= migration.version:
                    current = schema_version(db)
                    continue
                migration.apply(db)
                db.execute_sql(f"PRAGMA user_version = {migration.version:d}")
            log.info(
                "%s: migrated to schema %d (%s)",
                name,
                migration.version,
                migration.description,
            )
            current = migration.version
    return current
