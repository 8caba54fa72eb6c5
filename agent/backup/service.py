"""Making a backup and restoring one.

A backup is a gzip-compressed tar whose first member is ``manifest.json``
(agent/backup/manifest.py), then the databases as SQLite's online backup
API copied them (consistent while the agent runs), then every file of the
data directories worth keeping. With a passphrase the whole stream is
sealed (agent/backup/sealing.py).

Restore is refused while the agent runs: the databases are open in
Kamailio and gunicorn, and replacing files under them would be silent
corruption. Stop the agent, restore, start it; the next start migrates a
backup from an older release. Steps:

1. Unpack into a staging directory inside the data directory (the same
   file system, so the swap is a rename), checking each member: a regular
   file at a clean relative path inside the backed-up directories, listed
   in the manifest with its size and SHA-256, none missing, none extra.
2. Open the staged databases: they must pass SQLite's integrity check and
   be at a schema no newer than this release knows.
3. Only then swap: each staged file replaces the live one by rename (the
   device key first, so no moment exists without one), stale write-ahead
   logs are removed with the databases they belonged to, and files absent
   from the backup are removed. Any failure before step 3 leaves the data
   directory as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import io
import json
import logging
import os
import shutil
import sqlite3
import stat
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.backup import sealing
from agent.backup.manifest import BackupManifest, FileEntry
from agent.db.migrations import LATEST_VERSION, file_schema_version
from agent.errors import InvalidInput, PbxError
from agent.events import catalogue, raise_event
from agent.settings import Settings
from agent.sip import state_db
from agent.supervisor.lock import agent_is_running

log = logging.getLogger("edgepbx.backup")

MANIFEST_NAME = "manifest.json"
CONFIG_DB = "db/edgepbx.sqlite"
STATE_DB = "db/sip-state.sqlite"
DATABASES = {CONFIG_DB: LATEST_VERSION, STATE_DB: state_db.MIGRATIONS[-1].version}
#: Directories copied file by file, besides the databases. Logs, run state,
#: firmware downloads and older backups are not worth carrying to a new box.
FILE_DIRS = ("certs", "prompts", "voicemail", "recordings")
RESTORED_DIRS = ("db", *FILE_DIRS)
STAGING_PREFIX = ".restore-"
#: A backup checked whole and unpacked, waiting for the agent to swap it in
#: at its restart (``stage`` and ``restore_pending``), inside the data
#: directory so the swap is a rename.
PENDING_DIR = ".restore-pending"
#: In the run directory: the agent, seeing it, stops its daemons, restores
#: the pending backup and starts again.
RESTORE_REQUEST = "restore-requested"
#: In the run directory: why the last requested restore was refused at the
#: agent's restart, for the System page and the API to show to whoever
#: started it (the agent has no one else to tell).
RESTORE_REFUSED = "restore-refused.json"
COPY_CHUNK = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
# Secrets (device key, TLS key) stay readable by the agent alone.
PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
PASSPHRASE_MIN = 12


class BackupRefused(PbxError):
    kind = "backup-refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="backup")


@dataclass(frozen=True)
class RestoreReport:
    manifest: BackupManifest
    files: int

    def to_dict(self) -> dict:
        return {
            "created_at": self.manifest.created_at,
            "software_version": self.manifest.software_version,
            "schemas": self.manifest.schemas,
            "files": self.files,
        }


def software_version() -> str:
    try:
        return importlib.metadata.version("edgepbx")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def check_passphrase(passphrase: str) -> str:
    if len(passphrase) < PASSPHRASE_MIN:
        raise InvalidInput("passphrase", None, f"{PASSPHRASE_MIN} characters or more")
    return passphrase


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class BackupService:
    def __init__(self, settings: Settings, actor: Principal) -> None:
        self.settings = settings
        self.actor = actor

    # -- create ------------------------------------------------------------------

    def create(
        self, output: Path, passphrase: str | None = None, *, name: str | None = None
    ) -> BackupManifest:
        """Write a backup of the running (or stopped) appliance to output.

        ``name`` is the backup as the user knows it, in the event center: a
        download's file name when output is only the file it is sent from.
        """
        self.actor.require(Permission.MANAGE_BACKUPS)
        if passphrase is not None:
            check_passphrase(passphrase)
        name = name or output.name
        try:
            manifest = self._create(output, passphrase)
        except Exception as exc:
            raise_event(
                catalogue.BACKUP_FAILED,
                f"backup {name} failed: {exc}",
                object=name,
            )
            raise
        raise_event(
            catalogue.BACKUP_DONE,
            f"backup {name} written, {len(manifest.files)} files",
            object=name,
            details={"files": len(manifest.files), "sealed": passphrase is not None},
        )
        return manifest

    def _create(self, output: Path, passphrase: str | None) -> BackupManifest:
        data = self.settings.data_dir
        snapshot = data / "backups" / f".snapshot-{os.getpid()}"
        shutil.rmtree(snapshot, ignore_errors=True)
        snapshot.mkdir(parents=True)
        try:
            files = self._snapshot_databases(snapshot)
            files += self._list_files()
            sources = {entry.path: (snapshot / entry.path) for entry in files[:2]}
            manifest = BackupManifest(
                created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                software_version=software_version(),
                schemas={
                    name: file_schema_version(sources[name]) for name in DATABASES
                },
                files=tuple(files),
            )
            tmp = output.with_name(output.name + ".part")
            with tmp.open("wb") as raw:
                sink: BinaryIO = raw
                if passphrase is not None:
                    sink = sealing.SealingWriter(raw, passphrase)  # type: ignore[assignment]
                with tarfile.open(fileobj=sink, mode="w|gz") as tar:
                    _add_bytes(tar, MANIFEST_NAME, bytes(manifest))
                    for entry in manifest.files:
                        source = sources.get(entry.path, data / entry.path)
                        tar.add(source, arcname=entry.path, recursive=False)
                if passphrase is not None:
                    sink.close()
            tmp.replace(output)
            audit.record(
                self.actor,
                "create",
                "backup",
                output.name,
                None,
                {"files": len(manifest.files), "sealed": passphrase is not None},
            )
        finally:
            shutil.rmtree(snapshot, ignore_errors=True)
        log.info(
            "backup %s: %d files%s",
            output,
            len(manifest.files),
            ", sealed" if passphrase else "",
        )
        return manifest

    def _snapshot_databases(self, snapshot: Path) -> list[FileEntry]:
        entries = []
        for name in DATABASES:
            source = self.settings.data_dir / name
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            src = sqlite3.connect(source)
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)  # SQLite's online backup API: a consistent copy
            finally:
                dst.close()
                src.close()
            entries.append(FileEntry(name, target.stat().st_size, _sha256(target)))
        return entries

    def _list_files(self) -> list[FileEntry]:
        entries = []
        for top in FILE_DIRS:
            root = self.settings.data_dir / top
            if not root.is_dir():
                continue
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    relative = path.relative_to(self.settings.data_dir).as_posix()
                    entries.append(
                        FileEntry(relative, path.stat().st_size, _sha256(path))
                    )
        return entries

    # -- restore -----------------------------------------------------------------

    def restore(self, archive: Path, passphrase: str | None = None) -> RestoreReport:
        """Replace this appliance's data with the backup, or change nothing."""
        self.actor.require(Permission.MANAGE_BACKUPS)
        if agent_is_running(self.settings):
            raise BackupRefused(
                "the agent is running: stop it first (its daemons hold the "
                "databases open), then restore and start it again"
            )
        staging = self.settings.data_dir / f"{STAGING_PREFIX}{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        try:
            try:
                manifest = self._unpack(archive, passphrase, staging)
                self._check_databases(staging, manifest)
            except BackupRefused as exc:
                # Which file was refused, as well as why.
                if str(exc).startswith(f"{archive}:"):
                    raise
                raise BackupRefused(f"{archive}: {exc}") from None
            self._swap(staging, manifest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        log.info(
            "restored %s: %d files, made by %s on %s",
            archive,
            len(manifest.files),
            manifest.software_version,
            manifest.created_at,
        )
        return RestoreReport(manifest, len(manifest.files))

    # -- restore at the agent's restart (the web admin's way) ---------------------

    def stage(self, archive: Path, passphrase: str | None = None) -> RestoreReport:
        """Check a backup as ``restore`` does and keep it unpacked, for the
        agent to swap in when asked (``request_restore``); the live data is
        untouched. A backup staged before is replaced."""
        self.actor.require(Permission.MANAGE_BACKUPS)
        staging = self.settings.data_dir / f"{STAGING_PREFIX}{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        try:
            manifest = self._unpack(archive, passphrase, staging)
            self._check_databases(staging, manifest)
            (staging / MANIFEST_NAME).write_bytes(bytes(manifest))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        pending = self.settings.data_dir / PENDING_DIR
        shutil.rmtree(pending, ignore_errors=True)
        os.replace(staging, pending)
        (self.settings.run_dir / RESTORE_REFUSED).unlink(missing_ok=True)
        log.info(
            "backup made by %s on %s: checked and staged by %s",
            manifest.software_version,
            manifest.created_at,
            self.actor.name,
        )
        return RestoreReport(manifest, len(manifest.files))

    def pending(self) -> RestoreReport | None:
        """The staged backup, or None."""
        self.actor.require(Permission.MANAGE_BACKUPS)
        path = self.settings.data_dir / PENDING_DIR / MANIFEST_NAME
        if not path.is_file():
            return None
        manifest = BackupManifest.parse(path.read_bytes())
        return RestoreReport(manifest, len(manifest.files))

    def discard_pending(self) -> None:
        self.actor.require(Permission.MANAGE_BACKUPS)
        shutil.rmtree(self.settings.data_dir / PENDING_DIR, ignore_errors=True)

    def request_restore(self) -> RestoreReport:
        """Ask the running agent to restore the staged backup: it stops its
        daemons (the web admin among them), swaps and starts again."""
        report = self.pending()
        if report is None:
            raise BackupRefused("no backup is staged: upload one first")
        request = self.settings.run_dir / RESTORE_REQUEST
        (self.settings.run_dir / RESTORE_REFUSED).unlink(missing_ok=True)
        request.write_text(self.actor.name + "\n")
        log.info("restore of the staged backup requested by %s", self.actor.name)
        return report

    def restore_requested(self) -> bool:
        return (self.settings.run_dir / RESTORE_REQUEST).exists()

    def restore_pending(self) -> RestoreReport:
        """Swap in the staged backup; the agent calls it once it stopped."""
        self.actor.require(Permission.MANAGE_BACKUPS)
        request = self.settings.run_dir / RESTORE_REQUEST
        try:
            requested_by = request.read_text().strip()
        except OSError:
            requested_by = ""
        request.unlink(missing_ok=True)
        pending = self.settings.data_dir / PENDING_DIR
        try:
            report = self.pending()
            if report is None:
                raise BackupRefused("no backup is staged")
            if agent_is_running(self.settings):
                raise BackupRefused("the agent is running: stop it first")
            self._check_databases(pending, report.manifest)
            self._swap(pending, report.manifest)
        except BackupRefused as exc:
            self._remember_refusal(str(exc), requested_by)
            raise
        finally:
            shutil.rmtree(pending, ignore_errors=True)
        log.info("restored the staged backup: %d files", report.files)
        return report

    def _remember_refusal(self, reason: str, requested_by: str) -> None:
        refusal = {
            "reason": reason,
            "requested_by": requested_by or None,
            "refused_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        path = self.settings.run_dir / RESTORE_REFUSED
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(refusal) + "\n")

    def refused_restore(self) -> dict | None:
        """Why the last requested restore was refused at the agent's
        restart (reason, requested_by, refused_at), or None: none was, or a
        backup was staged or a restore requested since."""
        self.actor.require(Permission.MANAGE_BACKUPS)
        try:
            return json.loads((self.settings.run_dir / RESTORE_REFUSED).read_text())
        except (OSError, ValueError):
            return None

    def _unpack(
        self, archive: Path, passphrase: str | None, staging: Path
    ) -> BackupManifest:
        try:
            raw = archive.open("rb")
        except OSError as exc:
            raise BackupRefused(f"{archive}: {exc.strerror}") from None
        with raw:
            head = raw.read(len(sealing.MAGIC))
            raw.seek(0)
            source: BinaryIO = raw
            if sealing.is_sealed(head):
                if passphrase is None:
                    # Each surface names its own field: the page's
                    # Passphrase, the API's passphrase, the CLI's option.
                    raise sealing.SealError("the backup is sealed: give its passphrase")
                source = sealing.OpeningReader(raw, passphrase)  # type: ignore[assignment]
            elif not head.startswith(GZIP_MAGIC):
                raise BackupRefused("not an edgepbx backup")
            try:
                return _unpack_tar(source, staging)
            except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
                raise BackupRefused(f"damaged: {exc}") from None

    def _check_databases(self, staging: Path, manifest: BackupManifest) -> None:
        for name, latest in DATABASES.items():
            path = staging / name
            if not path.is_file():
                raise BackupRefused(f"{name}: missing from the backup")
            try:
                con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                try:
                    check = con.execute("PRAGMA integrity_check").fetchone()[0]
                    version = con.execute("PRAGMA user_version").fetchone()[0]
                finally:
                    con.close()
            except sqlite3.DatabaseError as exc:
                raise BackupRefused(f"{name}: not a database ({exc})") from None
            if check != "ok":
                raise BackupRefused(f"{name}: damaged ({check})")
            if version > latest:
                raise BackupRefused(
                    f"{name}: schema {version} is newer than the {latest} this "
                    "release knows; upgrade the firmware first"
                )
            if manifest.schemas.get(name) != version:
                raise BackupRefused(f"{name}: schema differs from the manifest's")

    def _swap(self, staging: Path, manifest: BackupManifest) -> None:
        data = self.settings.data_dir
        # The device key first: the databases' secrets are sealed under it.
        ordered = sorted(manifest.files, key=lambda e: not e.path.startswith("certs/"))
        for entry in ordered:
            target = data / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if entry.path in DATABASES:
                for suffix in ("-wal", "-shm"):
                    Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(staging / entry.path, target)
        kept = {entry.path for entry in manifest.files}
        for top in RESTORED_DIRS:
            root = data / top
            for path in sorted(root.rglob("*"), reverse=True) if root.is_dir() else []:
                relative = path.relative_to(data).as_posix()
                if path.is_file() and relative not in kept:
                    path.unlink()
        (data / "certs").chmod(0o700)
        audit_after = {"files": len(manifest.files), "made": manifest.created_at}
        self._audit(audit_after)

    def _audit(self, after: dict) -> None:
        # The restored database is the one that must remember the restore.
        from agent.db import open_database

        db = open_database(self.settings.config_db)
        try:
            if file_schema_version(self.settings.config_db) == LATEST_VERSION:
                audit.record(self.actor, "restore", "backup", "data", None, after)
        finally:
            db.close()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = PUBLIC_MODE
    tar.addfile(info, io.BytesIO(data))


def _clean_member_path(name: str) -> str:
    path = PurePosixPath(name)
    if (
        path.is_absolute()
        or ".." in path.parts
        or not path.parts
        or path.parts[0] not in RESTORED_DIRS
        or str(path) != name
    ):
        raise BackupRefused(f"{name!r}: a path outside the backed-up directories")
    return name


def _unpack_tar(source: BinaryIO, staging: Path) -> BackupManifest:
    with tarfile.open(fileobj=source, mode="r|gz") as tar:
        first = tar.next()
        if first is None or first.name != MANIFEST_NAME or not first.isfile():
            raise BackupRefused("damaged: the manifest is not the first member")
        manifest_file = tar.extractfile(first)
        try:
            manifest = BackupManifest.parse(manifest_file.read())  # type: ignore[union-attr]
        except InvalidInput as exc:
            raise BackupRefused(f"damaged: {exc}") from None
        expected = {entry.path: entry for entry in manifest.files}
        for entry in manifest.files:
            _clean_member_path(entry.path)
        seen: set[str] = set()
        while (member := tar.next()) is not None:
            name = _clean_member_path(member.name)
            if not member.isfile():
                raise BackupRefused(f"{name!r}: not a regular file")
            entry = expected.get(name)
            if entry is None or name in seen:
                raise BackupRefused(f"{name!r}: not listed in the manifest")
            seen.add(name)
            _extract_checked(tar, member, entry, staging / name)
        missing = sorted(set(expected) - seen)
        if missing:
            raise BackupRefused(f"damaged: {missing[0]} is missing from the backup")
    return manifest


def _extract_checked(
    tar: tarfile.TarFile, member: tarfile.TarInfo, entry: FileEntry, target: Path
) -> None:
    if member.size != entry.size:
        raise BackupRefused(f"{entry.path}: size differs from the manifest's")
    target.parent.mkdir(parents=True, exist_ok=True)
    private = entry.path.startswith("certs/") and not entry.path.endswith(".crt")
    mode = PRIVATE_MODE if private else PUBLIC_MODE
    digest = hashlib.sha256()
    stream = tar.extractfile(member)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        while chunk := stream.read(COPY_CHUNK):  # type: ignore[union-attr]
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != entry.sha256:
        raise BackupRefused(
            f"{entry.path}: altered (SHA-256 differs from the manifest)"
        )
    if not stat.S_ISREG(target.lstat().st_mode):
        raise BackupRefused(f"{entry.path}: not a regular file")
