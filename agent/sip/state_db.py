"""Kamailio's own state database: the registrar's location table, and the
table pua checks at start.

A second SQLite file, written by Kamailio alone (usrloc in write-back mode
flushes it every few seconds and at shutdown), so that registrations
survive a restart of the SIP core. The schema is Kamailio 5.6's
``location`` (table version 9) and ``location_attrs`` (version 1),
versioned here like the configuration database.

Busy lamp fields keep their state in memory (agent/sip/lamps.py), but pua
refuses to start unless its table, Kamailio 5.6's ``pua`` (version 7),
exists; it stays empty.
"""

from __future__ import annotations

from pathlib import Path

import peewee

from agent.db import PRAGMAS
from agent.db.migrations import KAMAILIO_VERSION_TABLE, Migration, _run, migrate

LOCATION_TABLES = """
INSERT INTO version (table_name, table_version) VALUES ('location', 9);
INSERT INTO version (table_name, table_version) VALUES ('location_attrs', 1);
CREATE TABLE location (
    id INTEGER PRIMARY KEY NOT NULL,
    ruid VARCHAR(64) DEFAULT '' NOT NULL UNIQUE,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT NULL,
    contact VARCHAR(512) DEFAULT '' NOT NULL,
    received VARCHAR(128) DEFAULT NULL,
    path VARCHAR(512) DEFAULT NULL,
    expires TIMESTAMP WITHOUT TIME ZONE DEFAULT '2030-05-28 21:32:15' NOT NULL,
    q REAL DEFAULT 1.0 NOT NULL,
    callid VARCHAR(255) DEFAULT 'Default-Call-ID' NOT NULL,
    cseq INTEGER DEFAULT 1 NOT NULL,
    last_modified TIMESTAMP WITHOUT TIME ZONE DEFAULT '2000-01-01 00:00:01' NOT NULL,
    flags INTEGER DEFAULT 0 NOT NULL,
    cflags INTEGER DEFAULT 0 NOT NULL,
    user_agent VARCHAR(255) DEFAULT '' NOT NULL,
    socket VARCHAR(64) DEFAULT NULL,
    methods INTEGER DEFAULT NULL,
    instance VARCHAR(255) DEFAULT NULL,
    reg_id INTEGER DEFAULT 0 NOT NULL,
    server_id INTEGER DEFAULT 0 NOT NULL,
    connection_id INTEGER DEFAULT 0 NOT NULL,
    keepalive INTEGER DEFAULT 0 NOT NULL,
    partition INTEGER DEFAULT 0 NOT NULL
);
CREATE INDEX location_account_contact_idx ON location (username, domain, contact);
CREATE INDEX location_expires_idx ON location (expires);
CREATE INDEX location_connection_idx ON location (server_id, connection_id);
CREATE TABLE location_attrs (
    id INTEGER PRIMARY KEY NOT NULL,
    ruid VARCHAR(64) DEFAULT '' NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT NULL,
    aname VARCHAR(64) DEFAULT '' NOT NULL,
    atype INTEGER DEFAULT 0 NOT NULL,
    avalue VARCHAR(512) DEFAULT '' NOT NULL,
    last_modified TIMESTAMP WITHOUT TIME ZONE DEFAULT '2000-01-01 00:00:01' NOT NULL
);
CREATE INDEX location_attrs_account_record_idx
    ON location_attrs (username, domain, ruid);
CREATE INDEX location_attrs_last_modified_idx ON location_attrs (last_modified)
"""

PUA_TABLE = """
INSERT INTO version (table_name, table_version) VALUES ('pua', 7);
CREATE TABLE pua (
    id INTEGER PRIMARY KEY NOT NULL,
    pres_uri VARCHAR(255) NOT NULL,
    pres_id VARCHAR(255) NOT NULL,
    event INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    desired_expires INTEGER NOT NULL,
    flag INTEGER NOT NULL,
    etag VARCHAR(128) NOT NULL,
    tuple_id VARCHAR(64),
    watcher_uri VARCHAR(255) NOT NULL,
    call_id VARCHAR(255) NOT NULL,
    to_tag VARCHAR(128) NOT NULL,
    from_tag VARCHAR(128) NOT NULL,
    cseq INTEGER NOT NULL,
    record_route TEXT,
    contact VARCHAR(255) NOT NULL,
    remote_contact VARCHAR(255) NOT NULL,
    version INTEGER NOT NULL,
    extra_headers TEXT NOT NULL,
    UNIQUE (etag, tuple_id, call_id, from_tag)
)
"""

MIGRATIONS = [
    Migration(
        1,
        "Kamailio 5.6 location tables",
        _run(KAMAILIO_VERSION_TABLE + ";" + LOCATION_TABLES),
    ),
    Migration(2, "Kamailio 5.6 pua table (busy lamp fields)", _run(PUA_TABLE)),
]


def prepare_state_db(path: Path) -> None:
    """Create or upgrade the SIP state database before Kamailio opens it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = peewee.SqliteDatabase(str(path), pragmas=PRAGMAS)
    with db.connection_context():
        migrate(db, MIGRATIONS, name="SIP state database")
