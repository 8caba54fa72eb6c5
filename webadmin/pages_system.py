"""The System page: firmware slots, the mail server, a backup to download,
the scheduled backups kept on the box, and uploads of a backup to restore
and of a firmware bundle to install.

Both uploads are checked whole before anything changes, and each then asks
for a confirmation that says what will be replaced. A restore needs the
daemons stopped, this page among them: the confirmed backup is staged and
the agent restores it as it starts again (``BackupService.stage``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import bottle

from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.backup.schedule import (
    FREQUENCIES,
    WEEKDAYS,
    ScheduledBackups,
    number_as_typed,
)
from agent.backup.service import BackupService
from agent.errors import Forbidden, InvalidInput, PbxError
from agent.firmware import keys
from agent.firmware.device import Device, NoDeviceDescription, NoFirmwareSlots
from agent.firmware.manifest import Manifest
from agent.firmware.slots import FirmwareService, FirmwareStatus
from agent.mail import MailService
from agent.mail.templates import MailTemplateService
from agent.voicemail.transcription import TranscriptionService
from webadmin import access, bodies, problems, system_uploads
from webadmin.api_system import send_backup, send_stored
from webadmin.pages import _field_errors, _form, render

MAIL_TEXT_FIELDS = ("host", "security", "username", "sender", "sender_name")


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    """Add the System page's routes to app."""

    def firmware() -> tuple[FirmwareStatus | None, str, bool]:
        """The slots' status, or why there is none and whether this is a
        workstation (no device description at all) rather than a device."""
        principal = access.current().principal
        try:
            device = Device.load()
        except NoFirmwareSlots as exc:
            return None, str(exc), isinstance(exc, NoDeviceDescription)
        service = FirmwareService(device, principal, keys.trusted_keys())
        return service.status(), "", False

    def page(
        status: int = 200,
        errors: dict[str, str] | None = None,
        mail_form: dict | None = None,
        mail_notice: str = "",
        schedule_form: dict | None = None,
        template_kind: str = "",
        template_form: dict | None = None,
        template_notice: str = "",
        transcription_form: dict | None = None,
        bundle: Manifest | None = None,
    ) -> str:
        principal = access.current().principal
        if not (
            principal.can(Permission.VIEW_FIRMWARE)
            or principal.can(Permission.VIEW_SYSTEM_SETTINGS)
        ):
            message = f"{principal.name} ({principal.role_name}) may not view this"
            return render("error", 403, title="Forbidden", message=message)
        slots, no_slots, workstation = (None, "", False)
        if principal.can(Permission.VIEW_FIRMWARE):
            slots, no_slots, workstation = firmware()
        mail, mail_templates, transcription = None, [], None
        if principal.can(Permission.VIEW_SYSTEM_SETTINGS):
            mail = MailService(appliance.key, principal).show() | (mail_form or {})
            mail_templates = MailTemplateService(appliance.key, principal).list()
            transcription = TranscriptionService(appliance.key, principal).show() | (
                transcription_form or {}
            )
            for template in mail_templates:
                if template["kind"] == template_kind:
                    template.update(template_form or {})
        schedule, stored, restore, restore_refused = None, [], None, None
        stored_weekday = ""
        if principal.can(Permission.MANAGE_BACKUPS):
            backups = ScheduledBackups(appliance.settings, appliance.key, principal)
            current = backups.schedule()
            # A daily schedule has no day (one sent with it is refused); the
            # stored day is what a switch to weekly keeps.
            schedule = current.to_dict() | (schedule_form or {})
            stored_weekday = current.weekday
            stored = backups.stored()
            restores = BackupService(appliance.settings, principal)
            restore, restore_refused = restores.pending(), restores.refused_restore()
        return render(
            "system",
            status,
            title="System",
            firmware=slots,
            no_slots=no_slots,
            workstation=workstation,
            mail=mail,
            mail_notice=mail_notice,
            mail_templates=mail_templates,
            transcription=transcription,
            template_kind=template_kind,
            template_notice=template_notice,
            schedule=schedule,
            stored_weekday=stored_weekday,
            stored=stored,
            frequencies=FREQUENCIES,
            weekdays=WEEKDAYS,
            restore=restore,
            restore_refused=restore_refused,
            bundle=bundle,
            bundle_target=_other_slot(slots) if bundle else None,
            backup_limit=bodies.limit_text(system_uploads.BACKUP_UPLOAD_MAX),
            bundle_limit=bodies.limit_text(system_uploads.BUNDLE_UPLOAD_MAX),
            errors=errors or {},
        )

    @app.get("/system")
    def system_page() -> str:
        return page()

    @app.post("/system/mail")
    def change_mail() -> str:
        service = MailService(appliance.key, access.current().principal)
        form = {name: _form(name) for name in MAIL_TEXT_FIELDS}
        changes: dict = dict(form)
        changes["port"] = _form("port").strip() or None
        changes["verify_certificate"] = _form("verify_certificate") == "yes"
        password = _form("password")
        if _form("clear_password") == "yes":
            changes["password"] = ""
        elif password:
            changes["password"] = password
        try:
            service.change(**changes)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            shown = form | {"port": _form("port")}
            return page(422, _field_errors(exc), mail_form=shown)
        access.redirect("/system?notice=mail-saved#mail", 303)

    @app.post("/system/mail/test")
    def send_test_mail() -> str:
        service = MailService(appliance.key, access.current().principal)
        to = _form("test_to")
        try:
            sent = service.send_test(to)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            errors = {"test_to": problems.message(exc)}
            return page(422 if exc.field == "to" else 502, errors, {"test_to": to})
        return page(mail_notice=f"A test message was sent to {sent['to']}.")

    @app.post("/system/mail/templates/<kind>")
    def change_mail_template(kind: str) -> str:
        service = MailTemplateService(appliance.key, access.current().principal)
        form = {
            "subject": _form("subject"),
            "body": _form("body").replace("\r\n", "\n"),
        }
        action = _form("action")
        try:
            if action == "reset":
                service.reset(kind)
            elif action == "test":
                form["test_to"] = _form("test_to")
                sent = service.send_test(kind, form["test_to"])
            else:
                service.change(kind, **form)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            status = 502 if exc.kind == "mail-not-sent" and exc.field != "to" else 422
            if exc.kind == "not-found":
                status = 404
            field = "test_to" if exc.field == "to" else exc.field or "form"
            errors = {f"template-{field}": problems.message(exc)}
            return page(status, errors, template_kind=kind, template_form=form)
        if action == "test":
            notice = f"The {kind} mail with sample values was sent to {sent['to']}."
            return page(template_kind=kind, template_notice=notice)
        notice = "mail-template-reset" if action == "reset" else "mail-template-saved"
        access.redirect(f"/system?notice={notice}#template-{kind}", 303)

    @app.post("/system/transcription")
    def change_transcription() -> str:
        service = TranscriptionService(appliance.key, access.current().principal)
        form = {"url": _form("url"), "timeout_s": _form("timeout_s").strip()}
        changes: dict = dict(form)
        changes["enabled"] = _form("enabled") == "yes"
        if _form("clear_key") == "yes":
            changes["key"] = ""
        elif _form("key"):
            changes["key"] = _form("key")
        try:
            service.change(**changes)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            field = exc.field or "form"
            errors = {f"transcription-{field}": problems.message(exc)}
            shown = form | {"enabled": changes["enabled"]}
            return page(422, errors, transcription_form=shown)
        access.redirect("/system?notice=transcription-saved#transcription", 303)

    @app.post("/system/backup")
    def download_backup():
        principal = access.current().principal
        passphrase = _form("passphrase") or None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        name = f"edgepbx-{stamp}.backup"
        path = appliance.settings.data_dir / "backups" / f".{name}.{os.getpid()}"
        try:
            BackupService(appliance.settings, principal).create(
                path, passphrase, name=f"{name} (downloaded from the web admin)"
            )
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(422, _field_errors(exc))
        return send_backup(path, name, sealed=bool(passphrase))

    @app.post("/system/backup-schedule")
    def change_backup_schedule() -> str:
        principal = access.current().principal
        backups = ScheduledBackups(appliance.settings, appliance.key, principal)
        form = {n: _form(n) for n in ("frequency", "hour", "weekday", "keep")}
        try:
            backups.set_schedule(
                frequency=form["frequency"],
                # Numbers as typed, an empty field as "": the service checks
                # every field and refuses all it refuses at once.
                hour=number_as_typed(form["hour"].strip()),
                # No day: none for a daily or no schedule; for a weekly one
                # "" is given, and refused, not the stored day kept unseen.
                weekday=form["weekday"]
                or ("" if form["frequency"] == "weekly" else None),
                keep=number_as_typed(form["keep"].strip()),
                passphrase=_form("passphrase") or None,
                clear_passphrase=_form("clear_passphrase") == "yes",
            )
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            # The download form above has a passphrase field of its own.
            errors = {
                "schedule_passphrase" if field == "passphrase" else field: text
                for field, text in _field_errors(exc).items()
            }
            return page(422, errors, schedule_form=form)
        access.redirect("/system?notice=backup-schedule-saved#scheduled-backups", 303)

    # -- restore a backup ----------------------------------------------------------

    def refused_upload(exc: PbxError, prefix: str) -> str:
        """An upload's refusal beside its form's field: a backup or bundle
        the service refused is shown at the file."""
        errors = {
            f"{prefix}_{field}": text for field, text in _field_errors(exc).items()
        }
        return page(bodies.status_of(exc), errors)

    @app.post(system_uploads.RESTORE_UPLOAD)
    def upload_backup() -> str:
        principal = access.current().principal
        service = BackupService(appliance.settings, principal)
        uploaded = appliance.settings.data_dir / "backups" / ".uploaded-restore"
        try:
            principal.require(Permission.MANAGE_BACKUPS)
            system_uploads.save("backup", uploaded, system_uploads.BACKUP_UPLOAD_MAX)
            service.stage(uploaded, _form("passphrase") or None)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return refused_upload(exc, "restore")
        finally:
            uploaded.unlink(missing_ok=True)
        access.redirect("/system#restore", 303)

    @app.post("/system/restore/confirm")
    def confirm_restore() -> str:
        principal = access.current().principal
        try:
            report = BackupService(appliance.settings, principal).request_restore()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(422, {"restore_form": str(exc)})
        return render("restoring", 202, title="Restoring", report=report)

    @app.post("/system/restore/cancel")
    def cancel_restore() -> str:
        principal = access.current().principal
        try:
            BackupService(appliance.settings, principal).discard_pending()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        access.redirect("/system?notice=restore-cancelled#restore", 303)

    # -- install a firmware bundle ---------------------------------------------------

    def staged_bundle() -> Path:
        return appliance.settings.data_dir / "firmware" / "uploaded.bundle"

    def firmware_service() -> FirmwareService:
        principal = access.current().principal
        principal.require(Permission.MANAGE_FIRMWARE)
        return FirmwareService(
            Device.load(), principal, keys.trusted_keys(), appliance.settings
        )

    @app.post(system_uploads.FIRMWARE_UPLOAD)
    def upload_bundle() -> str:
        try:
            service = firmware_service()
            path = system_uploads.save(
                "bundle", staged_bundle(), system_uploads.BUNDLE_UPLOAD_MAX
            )
            manifest = service.verify(path)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            staged_bundle().unlink(missing_ok=True)
            if isinstance(exc, NoFirmwareSlots):
                return page(422, {"firmware_bundle": str(exc)})
            return refused_upload(exc, "firmware")
        return page(bundle=manifest)

    @app.post("/system/firmware/install")
    def install_bundle() -> str:
        path = staged_bundle()
        try:
            service = firmware_service()
            if not path.is_file():
                raise InvalidInput("bundle", None, "upload a bundle first")
            manifest = service.apply(path)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return refused_upload(exc, "firmware")
        finally:
            path.unlink(missing_ok=True)
        return render("installed", 202, title="Installing", manifest=manifest)

    @app.post("/system/firmware/cancel")
    def cancel_bundle() -> str:
        try:
            firmware_service()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError:
            pass
        staged_bundle().unlink(missing_ok=True)
        access.redirect("/system#firmware", 303)

    @app.get("/system/backups/<name>")
    def download_stored_backup(name: str):
        principal = access.current().principal
        backups = ScheduledBackups(appliance.settings, appliance.key, principal)
        try:
            path = backups.path_of(name)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return render("error", 404, title="Not found", message=str(exc))
        return send_stored(path)


def _other_slot(status: FirmwareStatus | None) -> str | None:
    """The slot an install writes: the one not running."""
    if status is None:
        return None
    return next((s.name for s in status.slots if not s.booted), None)
