"""The security part of ``/api/v1``: bans and the firewall's state.

Kept apart from ``webadmin.api`` so the routes and their OpenAPI paths live
side by side; both call the same services as ``edgepbx ban`` and
``edgepbx firewall``. A ban of the caller's own address is refused.
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.errors import InvalidInput
from agent.security.firewall import FirewallService
from agent.security.jail import BanService
from webadmin import access
from webadmin.api import PREFIX, BadRequest, _json_response, api_route, json_object

log = logging.getLogger("edgepbx.web")

NEW_BAN_FIELDS = frozenset({"address", "seconds", "reason"})
SERVICE_FIELDS = frozenset({"enabled", "allow", "block"})


def _new_ban() -> dict:
    body = json_object(NEW_BAN_FIELDS)
    seconds = body.get("seconds")
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, int)
    ):
        raise InvalidInput("seconds", seconds, "a whole number of seconds")
    for name in ("address", "reason"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise BadRequest(f"{name}: must be a string", field=name)
    return body


def _service_changes() -> dict:
    body = json_object(SERVICE_FIELDS)
    if "enabled" in body and not isinstance(body["enabled"], bool):
        raise InvalidInput("enabled", body["enabled"], "true or false")
    for name in ("allow", "block"):
        value = body.get(name)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(n, str) for n in value)
        ):
            raise BadRequest(f"{name}: must be a list of networks", field=name)
    return body


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def bans() -> BanService:
        return BanService(access.current().principal)

    @app.get(f"{PREFIX}/bans")
    @api_route
    def list_bans() -> str:
        search = bottle.request.query.getunicode("q", default="") or ""
        return _json_response([ban.to_dict() for ban in bans().list(search)])

    @app.post(f"{PREFIX}/bans")
    @api_route
    def add_ban() -> str:
        body = _new_ban()
        who = access.current().principal.name
        ban = bans().add(
            body.get("address") or "",
            body.get("seconds"),
            reason=body.get("reason") or f"banned by {who}",
            requester=access.client_ip(),
        )
        bottle.response.set_header("Location", f"{PREFIX}/bans/{ban.address}")
        return _json_response(ban.to_dict(), 201)

    @app.delete(f"{PREFIX}/bans/<address>")
    @api_route
    def lift_ban(address: str) -> str:
        bans().remove(address)
        bottle.response.status = 204
        return ""

    def firewall() -> FirewallService:
        return FirewallService(appliance.settings, access.current().principal)

    @app.get(f"{PREFIX}/firewall")
    @api_route
    def firewall_status() -> str:
        return _json_response(firewall().status())

    @app.route(f"{PREFIX}/firewall/services/<name>", method="PATCH")
    @api_route
    def change_service(name: str) -> str:
        body = _service_changes()
        rule = firewall().set_service(
            name,
            enabled=body.get("enabled"),
            allow=body.get("allow"),
            block=body.get("block"),
            requester=access.client_ip(),
        )
        log.info("firewall %s: changed by %s", name, access.current().principal.name)
        return _json_response({"service": name} | rule)
