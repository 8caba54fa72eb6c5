"""Backup and restore: a populated appliance comes back whole on a new box,
and a bad backup is refused before anything is touched."""

from __future__ import annotations

import gzip
import hashlib
import io
import sqlite3
import tarfile
from pathlib import Path

import peewee
import pytest

from agent.backup.manifest import BackupManifest, FileEntry
from agent.backup.service import CONFIG_DB, STATE_DB
from agent.db.migrations import LATEST_VERSION, MIGRATIONS, migrate
from agent.sip import state_db
from tests.pbx import RunningPbx
from tests.sipraw import SipClient

PASSPHRASE = "correct horse battery staple"
SIP_PASSWORD = "Tr0ub4dor&3xyz"


def tree_digest(data_dir: Path) -> str:
    """The content of everything a restore may change, as one hash."""
    digest = hashlib.sha256()
    for path in sorted(data_dir.rglob("*")):
        relative = path.relative_to(data_dir)
        if relative.parts[0] in {"run", "logs"} or not path.is_file():
            continue
        if path.name.endswith(("-wal", "-shm")):
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def test_backup_manifest_bytes_parse_back_to_the_same_manifest():
    manifest = BackupManifest(
        created_at="2026-12-04T17:00:00+00:00",
        software_version="0.1.0",
        schemas={CONFIG_DB: 3, STATE_DB: 1},
        files=(FileEntry("certs/device.key", 32, "ab" * 32),),
    )
    data = bytes(manifest)

    assert BackupManifest.parse(data) == manifest
    assert bytes(BackupManifest.parse(data)) == data


@pytest.fixture(scope="module")
def old_box(tmp_path_factory):
    """Step 1: a populated appliance, backed up plain and sealed while it runs;
    its backups and its extensions as listed before it stopped."""
    folder = tmp_path_factory.mktemp("old-box")
    source = RunningPbx(folder / "var").start()
    try:
        source.cli(
            "extension", "add", "101", "--name", "Desk", "--password", SIP_PASSWORD
        )
        source.add_extension("102", "Office")
        assert (
            source.cli("account", "add", "alice", "--role", "operator").returncode == 0
        )
        (source.data_dir / "prompts").mkdir(exist_ok=True)
        (source.data_dir / "prompts" / "welcome.wav").write_bytes(b"RIFF" * 100)
        passphrase_file = folder / "passphrase"
        passphrase_file.write_text(PASSPHRASE + "\n")
        backups = {}
        for sealed in (False, True):
            sealing = ["--passphrase-file", str(passphrase_file)] if sealed else []
            backups[sealed] = (folder / f"office-{sealed}.backup", sealing)
            made = source.cli(
                "backup", "create", "--output", str(backups[sealed][0]), *sealing
            )
            assert made.returncode == 0, made.stderr
        extensions_before = source.cli("extension", "list", "--json").json()
    finally:
        source.stop()
    return backups, extensions_before


@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "sealed"])
def test_a_restored_appliance_has_the_same_extensions_and_their_phones_register(
    tmp_path, old_box, sealed
):
    backups, extensions_before = old_box
    backup, sealing = backups[sealed]

    # Step 2: a new, empty box restores it and starts.
    target = RunningPbx(tmp_path / "new-box")
    restored = target.cli("backup", "restore", str(backup), *sealing)
    assert restored.returncode == 0, restored.stderr
    target.start()
    try:
        assert target.cli("extension", "list", "--json").json() == extensions_before
        accounts = target.cli("account", "list", "--json").json()
        assert "alice" in [a["username"] for a in accounts]
        assert (
            target.data_dir / "prompts" / "welcome.wav"
        ).read_bytes() == b"RIFF" * 100
        with SipClient("127.0.0.1", target.sip_port) as phone:
            assert phone.register("101", SIP_PASSWORD).status == 200
    finally:
        target.stop()


def test_restored_sip_passwords_decrypt_with_the_restored_device_key(
    tmp_path, pbx_data, monkeypatch
):
    pbx_data.cli(
        "extension", "add", "101", "--name", "Desk", "--password", SIP_PASSWORD
    )
    backup = tmp_path / "b.backup"
    assert pbx_data.cli("backup", "create", "--output", str(backup)).returncode == 0
    target = RunningPbx(tmp_path / "new-box")
    assert target.cli("backup", "restore", str(backup)).returncode == 0

    monkeypatch.setenv("EDGEPBX_DATA_DIR", str(target.data_dir))
    from agent.appliance import Appliance

    app = Appliance.open()
    try:
        assert app.extensions.sip_password("101") == SIP_PASSWORD
    finally:
        app.close()


def test_restore_is_refused_while_the_agent_runs(tmp_path, pbx):
    backup = tmp_path / "b.backup"
    assert pbx.cli("backup", "create", "--output", str(backup)).returncode == 0
    before = tree_digest(pbx.data_dir)

    result = pbx.cli("backup", "restore", str(backup))

    assert result.returncode == 2
    assert "the agent is running" in result.stderr
    assert tree_digest(pbx.data_dir) == before


# -- bad backups ----------------------------------------------------------------


def _database(path: Path, schema: int) -> bytes:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.execute(f"PRAGMA user_version = {schema}")
    con.commit()
    con.close()
    return path.read_bytes()


def write_backup(
    path: Path,
    files: dict[str, bytes],
    *,
    listed: dict[str, bytes] | None = None,
    schemas: dict[str, int] | None = None,
) -> None:
    """A hand-made backup: files are the members, listed what the manifest says."""
    listed = files if listed is None else listed
    manifest = BackupManifest(
        created_at="2026-12-04T17:00:00+00:00",
        software_version="0.1.0",
        schemas=schemas or {CONFIG_DB: LATEST_VERSION, STATE_DB: 1},
        files=tuple(
            FileEntry(name, len(data), hashlib.sha256(data).hexdigest())
            for name, data in listed.items()
        ),
    )
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in {"manifest.json": bytes(manifest), **files}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(buffer.getvalue()))


@pytest.fixture
def good_files(tmp_path):
    return {
        CONFIG_DB: _database(tmp_path / "c.sqlite", LATEST_VERSION),
        STATE_DB: _database(tmp_path / "s.sqlite", 1),
        "certs/device.key": b"k" * 32,
    }


def _truncated(path: Path, good_files) -> None:
    write_backup(path, good_files)
    path.write_bytes(path.read_bytes()[:-200])


def _altered_file(path: Path, good_files) -> None:
    write_backup(path, good_files | {"certs/device.key": b"x" * 32}, listed=good_files)


def _outside_path(path: Path, good_files) -> None:
    evil = good_files | {"../evil": b"boom"}
    write_backup(path, evil)


def _unlisted_file(path: Path, good_files) -> None:
    write_backup(path, good_files | {"prompts/extra.wav": b"x"}, listed=good_files)


def _missing_file(path: Path, good_files) -> None:
    files = dict(good_files)
    del files["certs/device.key"]
    write_backup(path, files, listed=good_files)


def _schema_too_new(path: Path, good_files) -> None:
    newer = _database(path.with_suffix(".new.sqlite"), LATEST_VERSION + 50)
    write_backup(
        path,
        good_files | {CONFIG_DB: newer},
        schemas={CONFIG_DB: LATEST_VERSION + 50, STATE_DB: 1},
    )


def _not_a_database(path: Path, good_files) -> None:
    write_backup(path, good_files | {CONFIG_DB: b"not sqlite" * 100})


def _not_a_backup(path: Path, good_files) -> None:
    path.write_text("hello")


BAD_BACKUPS = {
    "truncated": (_truncated, "damaged"),
    "altered file": (_altered_file, "altered"),
    "path outside its tree": (_outside_path, "outside the backed-up directories"),
    "file not in the manifest": (_unlisted_file, "not listed in the manifest"),
    "file missing": (_missing_file, "missing"),
    "schema too new": (_schema_too_new, "newer than"),
    "not a database": (_not_a_database, "not a database"),
    "not a backup": (_not_a_backup, "not an edgepbx backup"),
}


@pytest.mark.parametrize("kind", list(BAD_BACKUPS))
def test_a_bad_backup_is_refused_and_the_data_is_untouched(
    tmp_path, pbx_data, good_files, kind
):
    make, reason = BAD_BACKUPS[kind]
    pbx_data.add_extension("101")
    backup = tmp_path / "bad.backup"
    make(backup, good_files)
    before = tree_digest(pbx_data.data_dir)

    result = pbx_data.cli("backup", "restore", str(backup))

    assert result.returncode == 2, result.stdout
    assert reason in result.stderr
    assert f"edgepbx: {backup}: " in result.stderr, "the file is not named"
    assert "Traceback" not in result.stderr
    assert tree_digest(pbx_data.data_dir) == before
    assert not (tmp_path / "evil").exists()


@pytest.mark.parametrize(
    ("passphrase", "reason"),
    [
        (None, "--passphrase-file: the backup is sealed"),
        ("a wrong passphrase!", "--passphrase-file: wrong passphrase"),
    ],
)
def test_a_sealed_backup_needs_its_passphrase(tmp_path, pbx_data, passphrase, reason):
    pbx_data.add_extension("101")
    good = tmp_path / "pass"
    good.write_text(PASSPHRASE)
    backup = tmp_path / "sealed.backup"
    made = pbx_data.cli(
        "backup", "create", "--output", str(backup), "--passphrase-file", str(good)
    )
    assert made.returncode == 0, made.stderr
    pbx_data.add_extension("102")
    before = tree_digest(pbx_data.data_dir)
    args = []
    if passphrase:
        wrong = tmp_path / "wrong"
        wrong.write_text(passphrase)
        args = ["--passphrase-file", str(wrong)]

    result = pbx_data.cli("backup", "restore", str(backup), *args)

    assert result.returncode == 2
    assert reason in result.stderr
    assert tree_digest(pbx_data.data_dir) == before


def test_backup_output_in_a_missing_directory_or_over_a_file_is_refused(
    tmp_path, pbx_data
):
    missing = tmp_path / "no-such-dir" / "x.backup"
    kept = tmp_path / "kept.backup"
    kept.write_bytes(b"last week's backup")

    nowhere = pbx_data.cli("backup", "create", "--output", str(missing))
    over = pbx_data.cli("backup", "create", "--output", str(kept))
    unchanged = kept.read_bytes()
    forced = pbx_data.cli("backup", "create", "--output", str(kept), "--force")

    assert nowhere.returncode == 2
    assert nowhere.stderr.splitlines()[-1].startswith('edgepbx: --output "')
    assert f"directory {missing.parent} does not exist" in nowhere.stderr
    assert ".part" not in nowhere.stderr
    assert over.returncode == 2
    assert "the file exists (--force replaces it)" in over.stderr
    assert unchanged == b"last week's backup"
    assert forced.returncode == 0, forced.stderr
    assert kept.read_bytes().startswith(b"\x1f\x8b")


def test_a_backup_from_an_older_schema_is_migrated_at_the_next_start(
    tmp_path, pbx_data
):
    old = tmp_path / "old.sqlite"
    db = peewee.SqliteDatabase(str(old))
    migrate(db, MIGRATIONS, target=2)
    db.close()
    old_state = tmp_path / "old-state.sqlite"
    db = peewee.SqliteDatabase(str(old_state))
    migrate(db, state_db.MIGRATIONS, target=1)
    db.close()
    files = {
        CONFIG_DB: old.read_bytes(),
        STATE_DB: old_state.read_bytes(),
        "certs/device.key": b"k" * 32,
    }
    backup = tmp_path / "old.backup"
    write_backup(backup, files, schemas={CONFIG_DB: 2, STATE_DB: 1})

    restored = pbx_data.cli("backup", "restore", str(backup))
    listed = pbx_data.cli("extension", "list", "--json")

    assert restored.returncode == 0, restored.stderr
    assert listed.returncode == 0, listed.stderr
    con = sqlite3.connect(pbx_data.data_dir / CONFIG_DB)
    assert con.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    con.close()
    con = sqlite3.connect(pbx_data.data_dir / STATE_DB)
    latest_state = state_db.MIGRATIONS[-1].version
    assert con.execute("PRAGMA user_version").fetchone()[0] == latest_state
    con.close()
