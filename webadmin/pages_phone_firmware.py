"""The phone firmware page: files per model, uploads, and the version each
model should run, over the same service as the CLI and the API."""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, PbxError
from agent.provisioning.firmware import FIRMWARE_MAX_BYTES, PhoneFirmwareService
from agent.provisioning.vendors import VENDORS
from webadmin import access, bodies
from webadmin.pages import _field_errors, _form, render

log = logging.getLogger("edgepbx.web")

UPLOAD = "/phones/firmware/upload"
bodies.LARGE_BODY_ROUTES[UPLOAD] = FIRMWARE_MAX_BYTES


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def firmware() -> PhoneFirmwareService:
        return PhoneFirmwareService(appliance.settings, access.current().principal)

    def page(values: dict | None = None, errors: dict | None = None, status=200):
        try:
            rows = firmware().list()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        return render(
            "phone_firmware",
            status,
            title="Phone firmware",
            files=rows,
            vendors=sorted(VENDORS.values(), key=lambda v: v.title),
            values=values or {},
            errors=errors or {},
        )

    @app.get("/phones/firmware")
    def firmware_page() -> str:
        return page()

    @app.post(UPLOAD)
    def upload() -> str:
        values = {name: _form(name) for name in ("vendor", "model", "version")}
        upload = bottle.request.files.get("file")
        try:
            bodies.check_upload()
            if upload is None:
                raise PbxError("choose a firmware file", field="file")
            info = firmware().upload(
                values["vendor"],
                values["model"],
                values["version"],
                upload.raw_filename or "",
                upload.file,
            )
            if _form("target"):
                firmware().set_target(info.vendor, info.model, info.version)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(values, _field_errors(exc), bodies.status_of(exc))
        who = access.current().principal.name
        log.info("phone firmware %s: uploaded by %s", info.file_name, who)
        bottle.redirect("/phones/firmware?notice=firmware-saved", 303)

    @app.post("/phones/firmware/target")
    def target() -> str:
        version = _form("version") or None
        try:
            firmware().set_target(_form("vendor"), _form("model"), version)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page({}, _field_errors(exc), 422)
        bottle.redirect("/phones/firmware?notice=firmware-saved", 303)
