"""``/api/v1/phone-templates``: templates editable per model, and their
preview, over the same ``TemplateService`` as the CLI and the pages."""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.provisioning.inventory import PhoneService
from agent.provisioning.profile import site_profile
from agent.provisioning.templates import TemplateService
from webadmin import access
from webadmin.api import PREFIX, BadRequest, _json_response, api_route
from webadmin.api_phone_keys import json_body

log = logging.getLogger("edgepbx.web")

BASE = f"{PREFIX}/phone-templates"


def _fields(*allowed: str) -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", field="body")
    for name, value in body.items():
        if name not in allowed:
            raise BadRequest(f"{name}: not a field here", field=name)
        if not isinstance(value, str):
            raise BadRequest(f"{name}: must be a string", field=name)
    return body


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def templates() -> TemplateService:
        return TemplateService(access.current().principal)

    @app.get(BASE)
    @api_route
    def list_templates() -> str:
        return _json_response([info.to_dict() for info in templates().list()])

    @app.get(f"{BASE}/<vendor>/<model>/<file>")
    @api_route
    def get_template(vendor: str, model: str, file: str) -> str:
        return _json_response(templates().get(vendor, model, file).to_dict())

    @app.put(f"{BASE}/<vendor>/<model>/<file>")
    @api_route
    def put_template(vendor: str, model: str, file: str) -> str:
        body = _fields("body")
        info = templates().save(vendor, model, file, body.get("body", ""))
        who = access.current().principal.name
        log.info("template %s/%s/%s: saved by %s", vendor, model, file, who)
        return _json_response(info.to_dict())

    @app.delete(f"{BASE}/<vendor>/<model>/<file>")
    @api_route
    def delete_template(vendor: str, model: str, file: str) -> str:
        templates().reset(vendor, model, file)
        bottle.response.status = 204
        return ""

    @app.post(f"{BASE}/<vendor>/<model>/<file>/preview")
    @api_route
    def preview_template(vendor: str, model: str, file: str) -> str:
        body = _fields("body", "mac")
        phone = None
        if body.get("mac"):
            principal = access.current().principal
            phone = PhoneService(appliance.key, principal).profile(
                body["mac"], site_profile(appliance.settings)
            )
        content = templates().preview(vendor, model, file, body.get("body"), phone)
        return _json_response({"content": content.decode("utf-8")})
