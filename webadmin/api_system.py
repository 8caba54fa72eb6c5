"""The REST API of the box itself: firmware slots and backups.

``GET /api/v1/firmware`` reports the slots as ``edgepbx firmware status``
does; ``POST /api/v1/backups`` makes a backup and sends it as the reply's
body; ``/api/v1/backups/schedule`` and ``/api/v1/backups/stored`` are the
scheduled backups kept on the box (agent/backup/schedule.py).

Restoring and installing are two steps each, as on the System page: ``POST
/api/v1/backups/restore`` uploads a backup (multipart: ``backup``, and
``passphrase`` for a sealed one), checks it whole and stages it, answering
what it holds; ``POST /api/v1/backups/restore/confirm`` has the agent stop,
restore it and start again; ``GET /api/v1/backups/restore`` then says what
is staged and, if the agent refused the restore as it started again, why.
``POST /api/v1/firmware/bundles`` uploads and
verifies a bundle (``bundle``); ``POST /api/v1/firmware/bundles/install``
writes the verified one to the other slot and restarts into it once.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import bottle

from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.backup.schedule import ScheduledBackups
from agent.backup.service import GZIP_MAGIC, BackupService
from agent.errors import InvalidInput, PbxError
from agent.firmware import keys
from agent.firmware.device import Device, NoFirmwareSlots
from agent.firmware.slots import FirmwareService
from webadmin import access, bodies, problems, system_uploads
from webadmin.api import (
    PREFIX,
    _body,
    _json_response,
    api_route,
    json_object,
)

BACKUP_MEDIA_TYPE = "application/gzip"
SEALED_MEDIA_TYPE = "application/octet-stream"
BACKUP_FIELDS = frozenset({"passphrase"})
SCHEDULE_FIELDS = {
    "frequency": str,
    "hour": int,
    "weekday": str,
    "keep": int,
    "passphrase": str,
}


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    """Add the firmware and backup routes to app."""

    @app.get(f"{PREFIX}/firmware")
    @api_route
    def firmware_status() -> str:
        principal = access.current().principal
        principal.require(Permission.VIEW_FIRMWARE)
        try:
            service = FirmwareService(Device.load(), principal, keys.trusted_keys())
        except NoFirmwareSlots as exc:
            bottle.response.status, body = problems.problem(404, exc.kind, str(exc))
            bottle.response.content_type = problems.MEDIA_TYPE
            return body
        return _json_response(service.status().to_dict())

    @app.post(f"{PREFIX}/backups")
    @api_route
    def create_backup():
        principal = access.current().principal
        principal.require(Permission.MANAGE_BACKUPS)
        has_body = bottle.request.content_length > 0
        passphrase = _body(BACKUP_FIELDS).get("passphrase") if has_body else None

        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        name = f"edgepbx-{stamp}.backup"
        path = appliance.settings.data_dir / "backups" / f".{name}.{os.getpid()}"
        BackupService(appliance.settings, principal).create(
            path, passphrase, name=f"{name} (downloaded over the API)"
        )
        return send_backup(path, name, sealed=bool(passphrase))

    def uploaded(exc: bodies.UploadTooLarge) -> str:
        status, body = problems.problem(413, exc.kind, str(exc), exc.field)
        bottle.response.status = status
        bottle.response.content_type = problems.MEDIA_TYPE
        return body

    @app.post(system_uploads.API_RESTORE_UPLOAD)
    @api_route
    def stage_restore() -> str:
        principal = access.current().principal
        principal.require(Permission.MANAGE_BACKUPS)
        path = appliance.settings.data_dir / "backups" / ".uploaded-restore"
        try:
            system_uploads.save("backup", path, system_uploads.BACKUP_UPLOAD_MAX)
            passphrase = bottle.request.forms.getunicode("passphrase") or None
            report = BackupService(appliance.settings, principal).stage(
                path, passphrase
            )
        except bodies.UploadTooLarge as exc:
            return uploaded(exc)
        finally:
            path.unlink(missing_ok=True)
        return _json_response(report.to_dict() | {"staged": True})

    @app.get(system_uploads.API_RESTORE_UPLOAD)
    @api_route
    def restore_state() -> str:
        service = BackupService(appliance.settings, access.current().principal)
        refused = service.refused_restore()
        staged = service.pending()
        return _json_response(
            {
                "staged": None if staged is None else staged.to_dict(),
                "restoring": service.restore_requested(),
                "refused": refused,
            }
        )

    @app.post(f"{system_uploads.API_RESTORE_UPLOAD}/confirm")
    @api_route
    def confirm_restore() -> str:
        principal = access.current().principal
        report = BackupService(appliance.settings, principal).request_restore()
        return _json_response(report.to_dict() | {"restoring": True}, 202)

    @app.delete(system_uploads.API_RESTORE_UPLOAD)
    @api_route
    def discard_restore() -> str:
        principal = access.current().principal
        BackupService(appliance.settings, principal).discard_pending()
        bottle.response.status = 204
        return ""

    def staged_bundle() -> Path:
        return appliance.settings.data_dir / "firmware" / "uploaded.bundle"

    def firmware_service() -> FirmwareService:
        principal = access.current().principal
        principal.require(Permission.MANAGE_FIRMWARE)
        return FirmwareService(
            Device.load(), principal, keys.trusted_keys(), appliance.settings
        )

    @app.post(system_uploads.API_FIRMWARE_UPLOAD)
    @api_route
    def verify_bundle() -> str:
        service = firmware_service()
        try:
            path = system_uploads.save(
                "bundle", staged_bundle(), system_uploads.BUNDLE_UPLOAD_MAX
            )
            manifest = service.verify(path)
        except bodies.UploadTooLarge as exc:
            staged_bundle().unlink(missing_ok=True)
            return uploaded(exc)
        except PbxError:
            staged_bundle().unlink(missing_ok=True)
            raise
        return _json_response({"verified": True, "manifest": manifest.to_dict()})

    @app.post(f"{system_uploads.API_FIRMWARE_UPLOAD}/install")
    @api_route
    def install_bundle() -> str:
        service = firmware_service()
        path = staged_bundle()
        if not path.is_file():
            raise InvalidInput("bundle", None, "upload a bundle first")
        try:
            manifest = service.apply(path)
        finally:
            path.unlink(missing_ok=True)
        return _json_response({"installed": True, "manifest": manifest.to_dict()}, 202)

    def scheduled() -> ScheduledBackups:
        principal = access.current().principal
        return ScheduledBackups(appliance.settings, appliance.key, principal)

    @app.get(f"{PREFIX}/backups/schedule")
    @api_route
    def get_backup_schedule() -> str:
        return _json_response(scheduled().schedule().to_dict())

    @app.put(f"{PREFIX}/backups/schedule")
    @api_route
    def put_backup_schedule() -> str:
        body = json_object(SCHEDULE_FIELDS)
        passphrase = body.get("passphrase")
        # Left out keeps the passphrase, null stops sealing; an empty string
        # is a passphrase too short, refused like any other.
        schedule = scheduled().set_schedule(
            frequency=body.get("frequency"),
            hour=body.get("hour"),
            weekday=body.get("weekday"),
            keep=body.get("keep"),
            passphrase=passphrase,
            clear_passphrase="passphrase" in body and passphrase is None,
        )
        return _json_response(schedule.to_dict())

    @app.get(f"{PREFIX}/backups/stored")
    @api_route
    def list_stored_backups() -> str:
        return _json_response([b.to_dict() for b in scheduled().stored()])

    @app.get(f"{PREFIX}/backups/stored/<name>")
    @api_route
    def download_stored_backup(name: str):
        path = scheduled().path_of(name)
        return send_stored(path)


def send_stored(path: Path):
    """Answer with a stored backup as a download, the file left in place."""
    with path.open("rb") as head:
        sealed = head.read(2) != GZIP_MAGIC
    bottle.response.content_type = SEALED_MEDIA_TYPE if sealed else BACKUP_MEDIA_TYPE
    bottle.response.set_header("Content-Length", str(path.stat().st_size))
    bottle.response.set_header(
        "Content-Disposition", f'attachment; filename="{path.name}"'
    )
    return path.open("rb")


def send_backup(path: Path, name: str, sealed: bool):
    """Answer with the backup just made at path, as a download called name.

    The open file is the reply: its name goes now, its bytes when sent.
    """
    stream = path.open("rb")
    size = path.stat().st_size
    path.unlink()
    bottle.response.content_type = SEALED_MEDIA_TYPE if sealed else BACKUP_MEDIA_TYPE
    bottle.response.set_header("Content-Length", str(size))
    bottle.response.set_header("Content-Disposition", f'attachment; filename="{name}"')
    return stream
