"""Versioned schema migrations of the configuration database.

The schema version is SQLite's ``user_version``. Each migration is plain SQL
written for the schema as it stood at that version, never derived from the
current models, and runs in one transaction with the version bump: a
database is always at exactly one known version. A database newer than this
firmware knows is refused rather than guessed at.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import peewee

from agent.db.provisioning_schema import PHONE_KEYS_TEMPLATES_FIRMWARE
from agent.errors import PbxError

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

# The web admin: people who sign in, their sessions, API tokens, the
# throttle on failed sign-ins and the audit log. Session ids and API tokens
# are stored as SHA-256 digests only, so a copy of the database opens no
# door. The two extension indexes serve the paged list's sort orders.
WEB_ADMIN = """
CREATE TABLE user_account (
    id INTEGER PRIMARY KEY NOT NULL,
    username VARCHAR(32) NOT NULL UNIQUE,
    role VARCHAR(32) NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT 1,
    one_time_password TEXT,
    created_at DATETIME NOT NULL,
    password_changed_at DATETIME NOT NULL
);
CREATE TABLE web_session (
    id INTEGER PRIMARY KEY NOT NULL,
    token_hash VARCHAR(64) NOT NULL UNIQUE,
    csrf_token VARCHAR(64) NOT NULL,
    account_id INTEGER NOT NULL REFERENCES user_account (id) ON DELETE CASCADE,
    source_ip VARCHAR(45) NOT NULL,
    created_at REAL NOT NULL,
    last_seen_at REAL NOT NULL
);
CREATE INDEX web_session_account_idx ON web_session (account_id);
CREATE TABLE api_token (
    id INTEGER PRIMARY KEY NOT NULL,
    token_hash VARCHAR(64) NOT NULL UNIQUE,
    name VARCHAR(64) NOT NULL,
    role VARCHAR(32) NOT NULL,
    created_by VARCHAR(64) NOT NULL,
    created_at DATETIME NOT NULL,
    last_used_at DATETIME
);
CREATE TABLE signin_throttle (
    subject VARCHAR(96) PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_at REAL NOT NULL,
    locked_until REAL NOT NULL
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY NOT NULL,
    at DATETIME NOT NULL,
    actor VARCHAR(64) NOT NULL,
    action VARCHAR(32) NOT NULL,
    object_type VARCHAR(32) NOT NULL,
    object_id VARCHAR(64) NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX extension_number_value_idx ON extension (CAST(number AS INTEGER));
CREATE INDEX extension_display_name_idx ON extension (display_name COLLATE NOCASE)
"""

# Phone auto-provisioning: desk phones known by MAC address (12 lower-case
# hex digits), the extension on each of their lines, a per-device admin
# password sealed under the device key, and what the phone last fetched.
# A line goes with its extension: removing the extension frees the line.
PHONE_INVENTORY = """
CREATE TABLE phone (
    id INTEGER PRIMARY KEY NOT NULL,
    mac VARCHAR(12) NOT NULL UNIQUE,
    vendor VARCHAR(32) NOT NULL,
    model VARCHAR(32) NOT NULL,
    admin_password TEXT NOT NULL,
    config_version INTEGER NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    last_request_at DATETIME,
    last_request_ip VARCHAR(45),
    last_request_file VARCHAR(128),
    last_user_agent VARCHAR(256)
);
CREATE TABLE phone_line (
    id INTEGER PRIMARY KEY NOT NULL,
    phone_id INTEGER NOT NULL REFERENCES phone (id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    extension_id INTEGER NOT NULL REFERENCES extension (id) ON DELETE CASCADE,
    UNIQUE (phone_id, line)
);
CREATE INDEX phone_line_extension_idx ON phone_line (extension_id)
"""

# The security jail's bans. A row outlives its ban: "offences" counts how
# often the address was banned, so a repeat offender's next ban is longer.
# Times are Unix seconds, compared with the clock of the agent.
SECURITY_BANS = """
CREATE TABLE ban (
    address VARCHAR(45) PRIMARY KEY NOT NULL,
    reason TEXT NOT NULL,
    banned_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    offences INTEGER NOT NULL DEFAULT 1,
    active BOOLEAN NOT NULL DEFAULT 1
);
CREATE INDEX ban_active_expires_idx ON ban (active, expires_at)
"""

# Web admin, part two. Custom roles grant view or edit per module and may
# narrow the extensions their holders see to number ranges ("100-199,300").
# A user account may belong to one extension (the user portal). Company
# contacts live in phonebooks, each visible to every extension or to number
# ranges; personal contacts belong to one extension. The sealed one-time
# password column is gone: only hashes of sign-in passwords are kept.
ROLES_PORTAL_CONTACTS = """
CREATE TABLE custom_role (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(32) NOT NULL UNIQUE,
    description VARCHAR(128) NOT NULL DEFAULT '',
    modules TEXT NOT NULL,
    extension_ranges VARCHAR(256),
    created_at DATETIME NOT NULL
);
ALTER TABLE user_account DROP COLUMN one_time_password;
ALTER TABLE user_account ADD COLUMN extension_id INTEGER
    REFERENCES extension (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX user_account_extension_idx ON user_account (extension_id);
CREATE TABLE phonebook (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(64) NOT NULL UNIQUE,
    visible_to VARCHAR(256),
    created_at DATETIME NOT NULL
);
CREATE TABLE contact (
    id INTEGER PRIMARY KEY NOT NULL,
    phonebook_id INTEGER REFERENCES phonebook (id) ON DELETE CASCADE,
    owner_id INTEGER REFERENCES extension (id) ON DELETE CASCADE,
    name VARCHAR(64) NOT NULL,
    company VARCHAR(64) NOT NULL DEFAULT '',
    number VARCHAR(32) NOT NULL,
    email VARCHAR(254),
    created_at DATETIME NOT NULL,
    CHECK ((phonebook_id IS NULL) <> (owner_id IS NULL))
);
CREATE INDEX contact_phonebook_idx ON contact (phonebook_id, name COLLATE NOCASE);
CREATE INDEX contact_owner_idx ON contact (owner_id, name COLLATE NOCASE)
"""

MIGRATIONS: list[Migration] = [
    Migration(1, "system settings and extensions", _run(SETTINGS_AND_EXTENSIONS)),
    Migration(
        2,
        "Kamailio's subscriber view",
        _run(KAMAILIO_VERSION_TABLE + ";" + KAMAILIO_SUBSCRIBER_VIEW),
    ),
    Migration(3, "web admin accounts, sessions, tokens, audit", _run(WEB_ADMIN)),
    Migration(4, "security jail bans", _run(SECURITY_BANS)),
    Migration(5, "phone inventory for auto-provisioning", _run(PHONE_INVENTORY)),
    Migration(6, "custom roles, portal users, contacts", _run(ROLES_PORTAL_CONTACTS)),
    Migration(
        11,
        "phone keys, overrides, credentials, templates, firmware",
        _run(PHONE_KEYS_TEMPLATES_FIRMWARE),
    ),
]

LATEST_VERSION = MIGRATIONS[-1].version


class SchemaTooNew(PbxError):
    """The database was written by newer firmware; it is left untouched."""

    kind = "schema-too-new"


def schema_version(db: peewee.Database) -> int:
    return db.execute_sql("PRAGMA user_version").fetchone()[0]


def file_schema_version(path: Path) -> int:
    """The schema version of the database file at path, opened read-only."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()


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
