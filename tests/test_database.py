"""The configuration database: migrations, encryption at rest, Kamailio's view."""

from __future__ import annotations

import sqlite3

import peewee
import pytest

from agent.db.migrations import LATEST_VERSION, SchemaTooNew, migrate, schema_version
from agent.devicekey import DeviceKey, DeviceKeyError


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
