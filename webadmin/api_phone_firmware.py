"""``/api/v1/phone-firmware``: firmware files per model (uploaded as the raw
body, streamed to disk) and the version each model should run."""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.provisioning.firmware import FIRMWARE_MAX_BYTES, PhoneFirmwareService
from webadmin import access, bodies
from webadmin.api import PREFIX, BadRequest, _json_response, api_route
from webadmin.api_phone_keys import json_body

log = logging.getLogger("edgepbx.web")

BASE = f"{PREFIX}/phone-firmware"
TARGETS = f"{PREFIX}/phone-firmware-targets"
bodies.LARGE_BODY_ROUTES[f"{BASE}/"] = FIRMWARE_MAX_BYTES


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def firmware() -> PhoneFirmwareService:
        return PhoneFirmwareService(appliance.settings, access.current().principal)

    @app.get(BASE)
    @api_route
    def list_firmware() -> str:
        return _json_response([row.to_dict() for row in firmware().list()])

    @app.put(f"{BASE}/<vendor>/<model>/<version>")
    @api_route
    def upload_firmware(vendor: str, model: str, version: str) -> str:
        request = bottle.request
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        if media_type != "application/octet-stream":
            raise BadRequest("send the file as application/octet-stream", field="body")
        name = request.query.get("file_name", "")
        if not name:
            raise BadRequest("file_name: the name phones ask for", field="file_name")
        raw = request.environ.get("CONTENT_LENGTH", "") or ""
        length = int(raw) if raw.isdigit() else None
        info = firmware().upload(
            vendor, model, version, name, request.environ["wsgi.input"], length
        )
        who = access.current().principal.name
        log.info("phone firmware %s: uploaded by %s", info.file_name, who)
        return _json_response(info.to_dict(), 201)

    @app.delete(f"{BASE}/<vendor>/<model>/<version>")
    @api_route
    def remove_firmware(vendor: str, model: str, version: str) -> str:
        firmware().remove(vendor, model, version)
        bottle.response.status = 204
        return ""

    @app.put(f"{TARGETS}/<vendor>/<model>")
    @api_route
    def set_target(vendor: str, model: str) -> str:
        body = json_body()
        if not isinstance(body, dict) or set(body) != {"version"}:
            raise BadRequest('the body must be {"version": …}', field="version")
        version = body["version"]
        if version is not None and not isinstance(version, str):
            raise BadRequest("version: a string or null", field="version")
        firmware().set_target(vendor, model, version)
        return _json_response({"vendor": vendor, "model": model, "version": version})
