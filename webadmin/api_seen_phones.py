"""``/api/v1/phones/seen``: phones that asked for their files but are not
assigned, and assigning one to extensions.

The same ``SeenPhoneService`` as the CLI and the Phones page, as the
principal of the token or session; refusals are problem details naming the
field, like the rest of the API.
"""

from __future__ import annotations

import logging

import bottle

from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.provisioning.seen import SeenPhoneService
from webadmin import access
from webadmin.api import PREFIX, BadRequest, _json_response, api_route, json_object
from webadmin.api_phones import phone_route

log = logging.getLogger("edgepbx.web")

ASSIGN_FIELDS = frozenset({"extensions", "model", "vendor"})


def _assign_body() -> dict:
    body = json_object(ASSIGN_FIELDS)
    extensions = body.get("extensions")
    if (
        not isinstance(extensions, list)
        or not extensions
        or not all(isinstance(n, str) for n in extensions)
    ):
        raise BadRequest(
            "extensions: a list of at least one extension number", field="extensions"
        )
    for name in ("model", "vendor"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise BadRequest(f"{name}: must be a string", field=name)
    return body


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def seen() -> SeenPhoneService:
        return SeenPhoneService(appliance.key, access.current().principal)

    def actor() -> str:
        return access.current().principal.name

    @app.get(f"{PREFIX}/phones/seen")
    @api_route
    def list_seen_phones() -> str:
        return _json_response([info.to_dict() for info in seen().list()])

    @app.post(f"{PREFIX}/phones/seen/<mac>/assign")
    @phone_route
    def assign_seen_phone(mac: str) -> str:
        service = seen()
        # Refuse a role that may not assign before reading what it sent.
        service.actor.require(Permission.CHANGE_EXTENSIONS)
        body = _assign_body()
        info = service.assign(
            mac, body["extensions"], body.get("model"), body.get("vendor")
        )
        log.info("phone %s: assigned by %s", info.mac, actor())
        bottle.response.set_header("Location", f"{PREFIX}/phones/{info.mac}")
        reported = {"reported_model": service.reported_model}
        return _json_response(info.to_dict() | reported, 201)

    @app.delete(f"{PREFIX}/phones/seen/<mac>")
    @api_route
    def forget_seen_phone(mac: str) -> str:
        seen().forget(mac)
        log.info("seen phone %s: forgotten by %s", mac, actor())
        bottle.response.status = 204
        return ""
