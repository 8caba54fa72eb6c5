"""The System page: firmware slots, the mail server, a backup to download,
and the scheduled backups kept on the box.

Restoring a backup is not offered on this page: it needs the agent stopped,
and the page is served under the agent. The page says how to restore.
"""

from __future__ import annotations

import datetime as dt
import os

import bottle

from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.backup.schedule import (
    FREQUENCIES,
    HOUR_RULE,
    KEEP_RULE,
    WEEKDAYS,
    ScheduledBackups,
)
from agent.backup.service import BackupService
from agent.errors import Forbidden, InvalidInput, PbxError
from agent.firmware import keys
from agent.firmware.device import Device, NoFirmwareSlots
from agent.firmware.slots import FirmwareService, FirmwareStatus
from agent.mail import MailService
from agent.mail.templates import MailTemplateService
from agent.voicemail.transcription import TranscriptionService
from webadmin import access, problems
from webadmin.api_system import send_backup, send_stored
from webadmin.pages import _field_errors, _form, render

MAIL_TEXT_FIELDS = ("host", "security", "username", "sender", "sender_name")


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
    ) -> str:
        principal = access.current().principal
        if not (
            principal.can(Permission.VIEW_FIRMWARE)
            or principal.can(Permission.VIEW_SYSTEM_SETTINGS)
        ):
            message = f"{principal.name} ({principal.role_name}) may not view this"
            return render("error", 403, title="Forbidden", message=message)
        slots, no_slots = (None, "")
        if principal.can(Permission.VIEW_FIRMWARE):
            slots, no_slots = firmware()
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
        schedule, stored = None, []
        if principal.can(Permission.MANAGE_BACKUPS):
            backups = ScheduledBackups(appliance.settings, appliance.key, principal)
            schedule = backups.schedule().to_dict() | (schedule_form or {})
            stored = backups.stored()
        return render(
            "system",
            status,
            title="System",
            firmware=slots,
            no_slots=no_slots,
            mail=mail,
            mail_notice=mail_notice,
            mail_templates=mail_templates,
            transcription=transcription,
            template_kind=template_kind,
            template_notice=template_notice,
            schedule=schedule,
            stored=stored,
            frequencies=FREQUENCIES,
            weekdays=WEEKDAYS,
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
                hour=_whole("hour", form["hour"], HOUR_RULE),
                weekday=form["weekday"] or None,
                keep=_whole("keep", form["keep"], KEEP_RULE),
                passphrase=_form("passphrase") or None,
                clear_passphrase=_form("clear_passphrase") == "yes",
            )
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(422, _field_errors(exc), schedule_form=form)
        access.redirect("/system?notice=backup-schedule-saved#scheduled-backups", 303)

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


def _whole(field: str, text: str, rule: str) -> int:
    """A form's whole number, which must be filled in; the range is the
    service's to check."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(field, None, f"required: {rule}")
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(field, text, "a whole number (digits 0 to 9)")
    return int(text)
