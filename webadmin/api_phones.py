"""``/api/v1/phones``: the phone inventory over the REST API.

The same ``PhoneService`` as the CLI and the pages, as the principal of the
token or session; refusals are problem details like the rest of the API.
"""

from __future__ import annotations

import json
import logging

import bottle

from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.provisioning.inventory import ImportRefused, PhoneService
from webadmin import access, problems
from webadmin.api import (
    PREFIX,
    BadRequest,
    _json_response,
    api_route,
    api_route_naming,
)
from webadmin.pages_phones import PHONE_FIELDS

log = logging.getLogger("edgepbx.web")

NEW_PHONE_FIELDS = frozenset({"mac", "vendor", "model", "extensions"})
CSV_TYPES = frozenset({"text/csv", "text/plain"})
# An import file of CSV_MAX_ROWS short rows fits well within this.
CSV_MAX_BYTES = 256 * 1024


def _new_phone_body() -> dict:
    request = bottle.request
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise BadRequest("send the body as application/json", field="body")
    try:
        body = json.loads(request.body.read() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    for name in body:
        if name not in NEW_PHONE_FIELDS:
            allowed = ", ".join(sorted(NEW_PHONE_FIELDS))
            raise BadRequest(f"{name}: not a field here (one of {allowed})", field=name)
    for name in ("mac", "vendor", "model"):
        if not isinstance(body.get(name, ""), str):
            raise BadRequest(f"{name}: must be a string", field=name)
    extensions = body.get("extensions", [])
    if not isinstance(extensions, list) or not all(
        isinstance(n, str) for n in extensions
    ):
        raise BadRequest("extensions: must be a list of strings", field="extensions")
    return body


#: Adding a phone: the service's "extension" is the body's "extensions".
phone_route = api_route_naming(PHONE_FIELDS)


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def phones() -> PhoneService:
        return PhoneService(appliance.key, access.current().principal)

    def actor() -> str:
        return access.current().principal.name

    @app.get(f"{PREFIX}/phones")
    @api_route
    def list_phones() -> str:
        return _json_response([info.to_dict() for info in phones().list()])

    @app.post(f"{PREFIX}/phones")
    @phone_route
    def add_phone() -> str:
        access.current().principal.require(Permission.CHANGE_EXTENSIONS)
        body = _new_phone_body()
        info = phones().add(
            body.get("mac", ""),
            body.get("vendor", ""),
            body.get("model", ""),
            body.get("extensions", []),
        )
        log.info("phone %s: added by %s", info.mac, actor())
        bottle.response.set_header("Location", f"{PREFIX}/phones/{info.mac}")
        return _json_response(info.to_dict(), 201)

    @app.post(f"{PREFIX}/phones/import")
    @api_route
    def import_phones() -> str:
        access.current().principal.require(Permission.CHANGE_EXTENSIONS)
        request = bottle.request
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        if media_type not in CSV_TYPES:
            raise BadRequest("send the file as text/csv", field="body")
        raw = request.body.read(CSV_MAX_BYTES + 1)
        if len(raw) > CSV_MAX_BYTES:
            raise BadRequest(f"the file is larger than {CSV_MAX_BYTES} bytes")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadRequest("the file is not UTF-8") from None
        try:
            added = phones().import_csv(text)
        except ImportRefused as exc:
            status, body = problems.problem(422, exc.kind, str(exc), "csv")
            details = json.loads(body) | {
                "rows": [{"row": row, "error": msg} for row, msg in exc.errors]
            }
            bottle.response.status = status
            bottle.response.content_type = problems.MEDIA_TYPE
            return json.dumps(details)
        log.info("%d phones imported by %s", len(added), actor())
        return _json_response([info.to_dict() for info in added], 201)

    @app.get(f"{PREFIX}/phones/<mac>")
    @api_route
    def get_phone(mac: str) -> str:
        return _json_response(phones().get(mac).to_dict())

    @app.delete(f"{PREFIX}/phones/<mac>")
    @api_route
    def delete_phone(mac: str) -> str:
        phones().remove(mac)
        log.info("phone %s: removed by %s", mac, actor())
        bottle.response.status = 204
        return ""
