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

from agent.db.events_schema import EVENT_CENTER
from agent.db.features_schema import (
    CALL_WAITING_AND_FEATURE_CODES,
    EXTENSION_FEATURES,
)
from agent.db.provisioning_schema import PHONE_KEYS_TEMPLATES_FIRMWARE
from agent.db.recordings_schema import RECORDINGS
from agent.db.reports_schema import REPORT_SUMS, REPORTS
from agent.db.seen_phones_schema import SEEN_PHONES
from agent.db.speed_dial_schema import SPEED_DIALS
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


def _each(statements: list[str]) -> Callable[[peewee.Database], None]:
    """Statements as given, for SQL whose statements hold semicolons."""

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

# Per extension, the networks its phones may register and call from
# (empty: anywhere). Kamailio's auth_db loads the column with the
# credentials (load_credentials), so the view carries it too.
EXTENSION_ALLOWED_NETWORKS = """
ALTER TABLE extension ADD COLUMN allowed_networks TEXT NOT NULL DEFAULT '';
DROP VIEW subscriber;
CREATE VIEW subscriber AS
    SELECT id, number AS username, '' AS domain, '' AS password, ha1, ha1b,
        allowed_networks
    FROM extension WHERE enabled = 1
"""

# Calls to and from the outside world: SIP trunks and their DIDs, outbound
# routes (ordered, with dial patterns and ordered trunks), inbound routes
# from a DID to a destination, ring groups, time conditions (business
# hours), and one call detail record per call.
# "uacreg" is Kamailio's uac table (version 5 in Kamailio 5.6), read once
# at its start; it stays empty, because the agent hands every trunk
# registration to Kamailio over its RPC socket, so a trunk's password is
# never written anywhere in plain text. A trunk password is sealed under
# the device key like an extension's.
TRUNKS_ROUTES_AND_CDR = """
CREATE TABLE trunk (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(32) NOT NULL UNIQUE,
    kind VARCHAR(16) NOT NULL,
    host VARCHAR(253) NOT NULL,
    port INTEGER NOT NULL,
    transport VARCHAR(8) NOT NULL,
    outbound_proxy VARCHAR(260),
    username VARCHAR(64),
    auth_username VARCHAR(64),
    password TEXT,
    realm VARCHAR(253),
    caller_id_header VARCHAR(8) NOT NULL,
    did_header VARCHAR(16) NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE TABLE trunk_did (
    id INTEGER PRIMARY KEY NOT NULL,
    trunk_id INTEGER NOT NULL REFERENCES trunk (id) ON DELETE CASCADE,
    did VARCHAR(32) NOT NULL UNIQUE
);
CREATE TABLE outbound_route (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(32) NOT NULL UNIQUE,
    position INTEGER NOT NULL,
    caller_id VARCHAR(32),
    extensions TEXT NOT NULL DEFAULT '[]',
    enabled BOOLEAN NOT NULL DEFAULT 1
);
CREATE TABLE dial_pattern (
    id INTEGER PRIMARY KEY NOT NULL,
    route_id INTEGER NOT NULL REFERENCES outbound_route (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    pattern VARCHAR(64) NOT NULL,
    strip INTEGER NOT NULL DEFAULT 0,
    prepend VARCHAR(32) NOT NULL DEFAULT ''
);
CREATE TABLE outbound_route_trunk (
    id INTEGER PRIMARY KEY NOT NULL,
    route_id INTEGER NOT NULL REFERENCES outbound_route (id) ON DELETE CASCADE,
    trunk_id INTEGER NOT NULL REFERENCES trunk (id) ON DELETE RESTRICT,
    position INTEGER NOT NULL,
    UNIQUE (route_id, trunk_id)
);
CREATE TABLE inbound_route (
    id INTEGER PRIMARY KEY NOT NULL,
    did VARCHAR(32) NOT NULL,
    caller_id VARCHAR(32) NOT NULL DEFAULT '',
    destination_kind VARCHAR(16) NOT NULL,
    destination VARCHAR(32) NOT NULL,
    UNIQUE (did, caller_id)
);
CREATE TABLE ring_group (
    id INTEGER PRIMARY KEY NOT NULL,
    number VARCHAR(6) NOT NULL UNIQUE,
    name VARCHAR(64) NOT NULL,
    strategy VARCHAR(16) NOT NULL,
    ring_time_s INTEGER NOT NULL,
    members TEXT NOT NULL,
    failover VARCHAR(32) NOT NULL DEFAULT ''
);
CREATE TABLE time_condition (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(32) NOT NULL UNIQUE,
    timezone VARCHAR(64) NOT NULL,
    hours TEXT NOT NULL,
    holidays TEXT NOT NULL DEFAULT '[]',
    mode VARCHAR(8) NOT NULL DEFAULT 'auto',
    open_kind VARCHAR(16) NOT NULL,
    open_destination VARCHAR(32) NOT NULL,
    closed_kind VARCHAR(16) NOT NULL,
    closed_destination VARCHAR(32) NOT NULL
);
CREATE TABLE cdr (
    id INTEGER PRIMARY KEY NOT NULL,
    call_id VARCHAR(255) NOT NULL UNIQUE,
    direction VARCHAR(8) NOT NULL,
    src VARCHAR(64) NOT NULL,
    dst VARCHAR(64) NOT NULL,
    did VARCHAR(32) NOT NULL DEFAULT '',
    trunk VARCHAR(32) NOT NULL DEFAULT '',
    caller_name VARCHAR(64) NOT NULL DEFAULT '',
    started_at REAL NOT NULL,
    answered_at REAL,
    ended_at REAL,
    disposition VARCHAR(16) NOT NULL DEFAULT '',
    last_code INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cdr_started_idx ON cdr (started_at);
CREATE INDEX cdr_src_idx ON cdr (src);
CREATE INDEX cdr_dst_idx ON cdr (dst);
CREATE TABLE uacreg (
    id INTEGER PRIMARY KEY NOT NULL,
    l_uuid VARCHAR(64) DEFAULT '' NOT NULL,
    l_username VARCHAR(64) DEFAULT '' NOT NULL,
    l_domain VARCHAR(64) DEFAULT '' NOT NULL,
    r_username VARCHAR(64) DEFAULT '' NOT NULL,
    r_domain VARCHAR(64) DEFAULT '' NOT NULL,
    realm VARCHAR(64) DEFAULT '' NOT NULL,
    auth_username VARCHAR(64) DEFAULT '' NOT NULL,
    auth_password VARCHAR(64) DEFAULT '' NOT NULL,
    auth_ha1 VARCHAR(128) DEFAULT '' NOT NULL,
    auth_proxy VARCHAR(255) DEFAULT '' NOT NULL,
    expires INTEGER DEFAULT 0 NOT NULL,
    flags INTEGER DEFAULT 0 NOT NULL,
    reg_delay INTEGER DEFAULT 0 NOT NULL,
    contact_addr VARCHAR(255) DEFAULT '' NOT NULL,
    socket VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT uacreg_l_uuid_idx UNIQUE (l_uuid)
);
INSERT INTO version (table_name, table_version) VALUES ('uacreg', 5)
"""

# Voicemail: a mailbox per extension (PIN as a scrypt hash, greetings as
# files under voicemail/<number>/), one row per message; IVR menus and their
# DTMF choices, each choice pointing at a destination "kind:target";
# conference rooms (PIN optional, as a scrypt hash).
MEDIA_SERVICES = """
CREATE TABLE mailbox (
    id INTEGER PRIMARY KEY NOT NULL,
    extension_id INTEGER NOT NULL UNIQUE
        REFERENCES extension (id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL DEFAULT 1,
    pin_hash TEXT NOT NULL,
    email_enabled BOOLEAN NOT NULL DEFAULT 0,
    max_message_s INTEGER NOT NULL DEFAULT 120,
    updated_at DATETIME NOT NULL
);
CREATE TABLE voicemail_message (
    id INTEGER PRIMARY KEY NOT NULL,
    mailbox_id INTEGER NOT NULL REFERENCES mailbox (id) ON DELETE CASCADE,
    caller VARCHAR(64) NOT NULL,
    caller_name VARCHAR(64) NOT NULL DEFAULT '',
    reason VARCHAR(16) NOT NULL,
    received_at DATETIME NOT NULL,
    duration_s REAL NOT NULL,
    file_name VARCHAR(128) NOT NULL,
    heard BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX voicemail_message_mailbox_idx ON voicemail_message (mailbox_id, heard);
CREATE TABLE ivr_menu (
    id INTEGER PRIMARY KEY NOT NULL,
    number VARCHAR(6) NOT NULL UNIQUE,
    name VARCHAR(64) NOT NULL,
    prompt VARCHAR(128) NOT NULL,
    digit_timeout_s INTEGER NOT NULL DEFAULT 5,
    retries INTEGER NOT NULL DEFAULT 3,
    dial_by_extension BOOLEAN NOT NULL DEFAULT 1,
    fallback VARCHAR(32) NOT NULL DEFAULT 'hangup',
    updated_at DATETIME NOT NULL
);
CREATE TABLE ivr_choice (
    id INTEGER PRIMARY KEY NOT NULL,
    menu_id INTEGER NOT NULL REFERENCES ivr_menu (id) ON DELETE CASCADE,
    digit VARCHAR(1) NOT NULL,
    destination VARCHAR(32) NOT NULL,
    UNIQUE (menu_id, digit)
);
CREATE TABLE conference_room (
    id INTEGER PRIMARY KEY NOT NULL,
    number VARCHAR(6) NOT NULL UNIQUE,
    name VARCHAR(64) NOT NULL,
    pin_hash TEXT,
    max_members INTEGER NOT NULL DEFAULT 4,
    updated_at DATETIME NOT NULL
)
"""

PAGE_GROUPS = """
CREATE TABLE page_group (
    id INTEGER PRIMARY KEY NOT NULL,
    number VARCHAR(6) NOT NULL UNIQUE,
    name VARCHAR(64) NOT NULL,
    members TEXT NOT NULL DEFAULT '',
    updated_at DATETIME NOT NULL
)
"""

CALL_QUEUES = """
CREATE TABLE call_queue (
    id INTEGER PRIMARY KEY NOT NULL,
    number VARCHAR(6) NOT NULL UNIQUE,
    name VARCHAR(64) NOT NULL,
    strategy VARCHAR(16) NOT NULL DEFAULT 'ring-all',
    agents TEXT NOT NULL DEFAULT '',
    ring_s INTEGER NOT NULL DEFAULT 15,
    max_wait_s INTEGER NOT NULL DEFAULT 300,
    failover VARCHAR(32) NOT NULL DEFAULT 'hangup',
    music VARCHAR(64) NOT NULL DEFAULT 'default',
    announce_position BOOLEAN NOT NULL DEFAULT 0,
    announce_wait BOOLEAN NOT NULL DEFAULT 0,
    announce_every_s INTEGER NOT NULL DEFAULT 60,
    updated_at DATETIME NOT NULL
);
CREATE TABLE queue_login (
    id INTEGER PRIMARY KEY NOT NULL,
    queue_id INTEGER NOT NULL REFERENCES call_queue (id) ON DELETE CASCADE,
    extension VARCHAR(6) NOT NULL,
    logged_in_at DATETIME NOT NULL,
    UNIQUE (queue_id, extension)
)
"""

# Call pickup: extensions that share a pickup group answer each other's
# ringing calls; empty: in no group.
EXTENSION_PICKUP_GROUP = """
ALTER TABLE extension ADD COLUMN pickup_group VARCHAR(16) NOT NULL DEFAULT ''
"""

# Call queues in the call records: the queue a call waited in, the agent
# who took it, how it left the queue and after how long; and per queue the
# wait within which an answered call counts toward its service level.
QUEUE_RECORDS = """
ALTER TABLE cdr ADD COLUMN queue VARCHAR(6) NOT NULL DEFAULT '';
ALTER TABLE cdr ADD COLUMN agent VARCHAR(6) NOT NULL DEFAULT '';
ALTER TABLE cdr ADD COLUMN queue_outcome VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE cdr ADD COLUMN queue_wait_s REAL;
CREATE INDEX cdr_queue_idx ON cdr (queue, started_at) WHERE queue != '';
ALTER TABLE call_queue ADD COLUMN service_level_s INTEGER NOT NULL DEFAULT 20
"""

# Voicemail transcription: the text the provider gave for a message (empty:
# none, or not transcribed), and a mailbox's choice to have its messages sent
# to the provider while transcription is on for the system.
VOICEMAIL_TRANSCRIPTS = """
ALTER TABLE voicemail_message ADD COLUMN transcript TEXT NOT NULL DEFAULT '';
ALTER TABLE mailbox ADD COLUMN transcribe BOOLEAN NOT NULL DEFAULT 1
"""

# The codecs a trunk's carrier is offered, in order of preference, as
# comma-separated names (agent/trunks/rules.py CODECS); "": whatever the
# phones offer.
TRUNK_CODECS = """
ALTER TABLE trunk ADD COLUMN codecs VARCHAR(64) NOT NULL DEFAULT ''
"""

# A ring group's failover was an extension's bare number; it is now a
# destination like an IVR key's (agent/destinations.py): "extension:101".
RING_GROUP_FAILOVER = """
UPDATE ring_group SET failover = 'extension:' || failover
WHERE failover != '' AND failover NOT LIKE '%:%' AND failover != 'hangup'
"""

# Conference rooms get a moderator PIN (hashed like the member PIN), a
# waiting room until the moderator joins, and an end when the last moderator
# leaves; page groups get scheduled broadcasts of a prompt. ``prompt`` is
# "upload:NAME" or "system:NAME"; ``weekdays`` is "mon,tue,..." for a weekly
# schedule, empty for the one ``on_date``; times are in the appliance's zone.
MODERATORS_AND_BROADCASTS = """
ALTER TABLE conference_room ADD COLUMN moderator_pin_hash TEXT;
ALTER TABLE conference_room ADD COLUMN wait_for_moderator BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE conference_room ADD COLUMN end_with_moderator BOOLEAN NOT NULL DEFAULT 0;
CREATE TABLE page_broadcast (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(64) NOT NULL UNIQUE,
    page_group VARCHAR(6) NOT NULL,
    prompt VARCHAR(80) NOT NULL,
    weekdays VARCHAR(32) NOT NULL DEFAULT '',
    time_of_day VARCHAR(5) NOT NULL,
    on_date VARCHAR(10),
    enabled BOOLEAN NOT NULL DEFAULT 1,
    next_run_at REAL,
    last_run_at REAL,
    updated_at DATETIME NOT NULL
)
"""

# Each queue's part of a call: a caller who fails over from one queue into
# another has a row per queue, so each queue's figures count only its own
# wait and outcome. The call records' queue columns so far become parts.
QUEUE_CALL_PARTS = """
CREATE TABLE queue_call (
    id INTEGER PRIMARY KEY,
    call_id VARCHAR(255) NOT NULL,
    queue VARCHAR(6) NOT NULL,
    joined_at REAL NOT NULL,
    outcome VARCHAR(16) NOT NULL DEFAULT '',
    agent VARCHAR(6) NOT NULL DEFAULT '',
    wait_s REAL,
    answered_at REAL
);
CREATE INDEX queue_call_call_idx ON queue_call (call_id);
CREATE INDEX queue_call_joined_idx ON queue_call (joined_at);
CREATE INDEX queue_call_agent_idx ON queue_call (agent, joined_at) WHERE agent != '';
INSERT INTO queue_call (call_id, queue, joined_at, outcome, agent, wait_s,
                        answered_at)
    SELECT call_id, queue, started_at, queue_outcome, agent, queue_wait_s,
           CASE WHEN queue_outcome = 'answered' THEN answered_at END
    FROM cdr WHERE queue != ''
"""

# Call records say who transferred a call: the extension on whose transfer
# (blind or attended) the transferee made it; empty for any other call.
CDR_TRANSFERRED_BY = """
ALTER TABLE cdr ADD COLUMN transferred_by VARCHAR(64) NOT NULL DEFAULT ''
"""

# A report reads a period's queue call parts in join-time order from this
# index alone (agent/reports/figures.py, queue_figures); it replaces the bare
# join-time index, whose every entry cost a table read.
QUEUE_CALL_REPORT = """
DROP INDEX queue_call_joined_idx;
CREATE INDEX queue_call_report_idx ON queue_call (
    joined_at, queue, agent, outcome, wait_s, answered_at, call_id
)
"""

# Call records say why the PBX cut a call (it stopped, or went down): NULL
# for a call its phones ended, whose last code says how.
CDR_END_REASON = """
ALTER TABLE cdr ADD COLUMN end_reason TEXT
"""

# Calls still going, by start: the agent closes them at every start and stop
# (agent.cdr.records.close_cut_calls), the monitor lists them and the
# call guard counts them. Only open calls are in it, a handful whatever the
# size of the table, so each is a lookup instead of a scan of every record.
CDR_OPEN_CALLS = """
CREATE INDEX cdr_open_idx ON cdr (started_at, direction) WHERE ended_at IS NULL
"""

# A trunk's main number: the caller ID the PBX presents at the carrier when
# nothing else names one (agent/trunks/rules.py main_number); "": the DID
# added to the trunk first, as before.
TRUNK_MAIN_NUMBER = """
ALTER TABLE trunk ADD COLUMN main_number VARCHAR(16) NOT NULL DEFAULT ''
"""

# Caller ID per extension: the number and name the carrier sees (""; the
# route's caller ID, else the trunk's main number), the name other
# extensions' phones show ("": the display name), and whether its outside
# calls withhold the number (agent/extensions/rules.py, agent/sip/outside.py).
EXTENSION_CALLER_ID = """
ALTER TABLE extension ADD COLUMN outside_cid_number VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE extension ADD COLUMN outside_cid_name VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE extension ADD COLUMN internal_cid_name VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE extension ADD COLUMN withhold_number INTEGER NOT NULL DEFAULT 0
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
    Migration(7, "trunks, routes and call records", _run(TRUNKS_ROUTES_AND_CDR)),
    Migration(8, "voicemail, IVR menus, conference rooms", _run(MEDIA_SERVICES)),
    Migration(
        9,
        "networks each extension may register from",
        _run(EXTENSION_ALLOWED_NETWORKS),
    ),
    Migration(
        11,
        "phone keys, overrides, credentials, templates, firmware",
        _run(PHONE_KEYS_TEMPLATES_FIRMWARE),
    ),
    Migration(
        12,
        "do-not-disturb and call forwarding per extension",
        _run(EXTENSION_FEATURES),
    ),
    Migration(13, "phones seen but not assigned", _run(SEEN_PHONES)),
    Migration(14, "event center: events and webhooks", _run(EVENT_CENTER)),
    Migration(15, "call reports: covering index, schedules", _run(REPORTS)),
    Migration(20, "company speed dials", _run(SPEED_DIALS)),
    Migration(21, "page groups", _run(PAGE_GROUPS)),
    Migration(
        22,
        "call waiting per extension, the feature-code table",
        _run(CALL_WAITING_AND_FEATURE_CODES),
    ),
    Migration(23, "call queues and their logged-in agents", _run(CALL_QUEUES)),
    Migration(24, "pickup group per extension", _run(EXTENSION_PICKUP_GROUP)),
    Migration(25, "call recording per extension and trunk", _run(RECORDINGS)),
    Migration(26, "ring group failover as a destination", _run(RING_GROUP_FAILOVER)),
    Migration(
        29,
        "conference moderators, scheduled page broadcasts",
        _run(MODERATORS_AND_BROADCASTS),
    ),
    Migration(
        30, "call queues in the call records, service level", _run(QUEUE_RECORDS)
    ),
    Migration(31, "voicemail transcripts", _run(VOICEMAIL_TRANSCRIPTS)),
    Migration(33, "codecs per trunk", _run(TRUNK_CODECS)),
    Migration(36, "each queue's part of a call", _run(QUEUE_CALL_PARTS)),
    Migration(37, "who transferred a call, in its record", _run(CDR_TRANSFERRED_BY)),
    Migration(38, "queue call parts by join time, covering", _run(QUEUE_CALL_REPORT)),
    Migration(39, "why the PBX cut a call, in its record", _run(CDR_END_REASON)),
    Migration(40, "call report sums kept as calls are written", _each(REPORT_SUMS)),
    Migration(41, "calls still going, by start", _run(CDR_OPEN_CALLS)),
    Migration(42, "a trunk's main number", _run(TRUNK_MAIN_NUMBER)),
    Migration(43, "caller ID per extension", _run(EXTENSION_CALLER_ID)),
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
