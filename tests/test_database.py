"""The configuration database: migrations, encryption at rest, Kamailio's view."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import peewee
import pytest

from agent.db.migrations import LATEST_VERSION, SchemaTooNew, migrate, schema_version
from agent.devicekey import DeviceKey, DeviceKeyError

# Enough processes racing to open a new appliance that, without the opening
# lock, two of them meet in SQLite's switch to WAL most runs.
CONCURRENT_FIRST_OPENS = 12
# Time for every racer to import the agent before the start signal.
RACERS_IMPORT_S = 3.0


def test_a_database_made_by_the_first_schema_is_upgraded_with_its_extensions(
    tmp_path,
):
    path = tmp_path / "old.sqlite"
    db = peewee.SqliteDatabase(str(path))
    migrate(db, target=1)
    db.execute_sql(
        "INSERT INTO extension (number, display_name, sip_password, ha1, ha1b,"
        " created_at) VALUES ('101', 'Front desk', 'aesgcm1:x', 'a1', 'b1',"
        " '2026-01-02 03:04:05')"
    )
    db.close()

    db = peewee.SqliteDatabase(str(path))
    assert migrate(db) == LATEST_VERSION
    row = db.execute_sql(
        "SELECT number, display_name, enabled, updated_at FROM extension"
    ).fetchone()
    subscriber = db.execute_sql("SELECT username, ha1 FROM subscriber").fetchall()
    assert row == ("101", "Front desk", 1, "2026-01-02 03:04:05")
    assert subscriber == [("101", "a1")]


def test_a_database_from_newer_firmware_is_refused_untouched(tmp_path):
    path = tmp_path / "new.sqlite"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    db = peewee.SqliteDatabase(str(path))
    with pytest.raises(SchemaTooNew, match="newer than"):
        migrate(db)
    assert schema_version(db) == LATEST_VERSION + 1


def test_disabled_extensions_are_invisible_to_kamailio(tmp_path):
    db = peewee.SqliteDatabase(str(tmp_path / "db.sqlite"))
    migrate(db)
    for number, enabled in (("101", 1), ("102", 0)):
        db.execute_sql(
            "INSERT INTO extension (number, display_name, sip_password, ha1, ha1b,"
            " created_at, enabled) VALUES (?, 'x', 'x', 'h', 'h', '2026-01-01', ?)",
            (number, enabled),
        )
    assert db.execute_sql("SELECT username FROM subscriber").fetchall() == [("101",)]


def test_sealed_secret_opens_only_with_the_same_key_and_purpose(tmp_path):
    key = DeviceKey.load_or_create(tmp_path / "device.key")
    token = key.seal("Secret-Pass-123", "extension/101/sip_password")

    assert "Secret-Pass-123" not in token
    assert key.open(token, "extension/101/sip_password") == "Secret-Pass-123"
    with pytest.raises(DeviceKeyError):
        key.open(token, "extension/102/sip_password")
    other = DeviceKey.load_or_create(tmp_path / "other.key")
    with pytest.raises(DeviceKeyError):
        other.open(token, "extension/101/sip_password")
    assert (tmp_path / "device.key").stat().st_mode & 0o777 == 0o600


def test_the_cli_refuses_a_database_from_newer_firmware_without_a_traceback(
    pbx_data,
):
    pbx_data.add_extension("101")
    db_path = pbx_data.data_dir / "db" / "edgepbx.sqlite"
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    result = pbx_data.cli("extension", "list")
    assert result.returncode == 2
    assert "newer than" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrations_are_listed_in_the_order_they_apply():
    from agent.db.migrations import MIGRATIONS

    versions = [migration.version for migration in MIGRATIONS]
    assert versions == sorted(set(versions))


# Each racer imports everything first, then waits for the start signal, so
# all of them reach the first open of the new data within a millisecond.
RACER = """
import os, sys, time
from agent.appliance import Appliance
from agent.settings import Settings
go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.001)
Appliance.open(Settings.from_environment()).close()
"""


def test_several_processes_opening_a_new_appliance_at_once_all_succeed(tmp_path):
    """The agent and CLI commands may all be the first to open the data."""
    env = dict(os.environ, EDGEPBX_DATA_DIR=str(tmp_path / "var"))
    go = tmp_path / "go"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(go)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(CONCURRENT_FIRST_OPENS)
    ]
    time.sleep(RACERS_IMPORT_S)
    go.touch()
    results = [(racer.wait(60), racer.stderr.read()[-300:]) for racer in racers]
    assert [code for code, _ in results] == [0] * CONCURRENT_FIRST_OPENS, results
