"""The System page: firmware slots, and a backup to download.

Restoring a backup is not offered on this page: it needs the agent stopped,
and the page is served under the agent. The page says how to restore.
"""

from __future__ import annotations

import datetime as dt
import os

import bottle

from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.backup.service import BackupService
from agent.errors import Forbidden, PbxError
from agent.firmware import keys
from agent.firmware.device import Device, NoFirmwareSlots
from agent.firmware.slots import FirmwareService, FirmwareStatus
from webadmin import access
from webadmin.api_system import send_backup
from webadmin.pages import _field_errors, _form, render


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    """Add the System page's routes to app."""

    def firmware() -> tuple[FirmwareStatus | None, str]:
        principal = access.current().principal
        try:
            device = Device.load()
        except NoFirmwareSlots as exc:
            return None, str(exc)
        service = FirmwareService(device, principal, keys.trusted_keys())
        return service.status(), ""

    def page(status: int = 200, errors: dict[str, str] | None = None) -> str:
        principal = access.current().principal
        try:
            principal.require(Permission.VIEW_FIRMWARE)
            slots, no_slots = firmware()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        return render(
            "system",
            status,
            title="System",
            firmware=slots,
            no_slots=no_slots,
            errors=errors or {},
        )

    @app.get("/system")
    def system_page() -> str:
        return page()

    @app.post("/system/backup")
    def download_backup():
        principal = access.current().principal
        passphrase = _form("passphrase") or None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        name = f"edgepbx-{stamp}.backup"
        path = appliance.settings.data_dir / "backups" / f".{name}.{os.getpid()}"
        try:
            BackupService(appliance.settings, principal).create(path, passphrase)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(422, _field_errors(exc))
        return send_backup(path, name, sealed=bool(passphrase))
