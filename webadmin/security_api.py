"""The security part of ``/api/v1``: bans and the firewall's state.

Kept apart from ``webadmin.api`` so the routes and their OpenAPI paths live
side by side; both call the same services as ``edgepbx ban`` and
``edgepbx firewall``. A ban of the caller's own address is refused.
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.security.certificates import CertificateService
from agent.security.extension_networks import FIELD as NETWORKS_FIELD
from agent.security.extension_networks import ExtensionNetworkService
from agent.security.firewall import FirewallService
from agent.security.jail import BanService
from webadmin import access
from webadmin.api import PREFIX, BadRequest, _json_response, api_route, json_object

log = logging.getLogger("edgepbx.web")

NEW_BAN_FIELDS = {"address": str, "seconds": int, "reason": str}
SERVICE_FIELDS = {"enabled": bool, "allow": list[str], "block": list[str]}
NETWORKS_FIELDS = {NETWORKS_FIELD: list[str]}
CERTIFICATE_FIELDS = frozenset({"certificate", "private_key"})


def _new_ban() -> dict:
    return json_object(NEW_BAN_FIELDS)


def _service_changes() -> dict:
    body = json_object(SERVICE_FIELDS)
    if "enabled" in body and body["enabled"] is None:
        raise BadRequest("enabled: must be true or false", field="enabled")
    return body


def _allowed_networks() -> list[str]:
    value = json_object(NETWORKS_FIELDS).get(NETWORKS_FIELD)
    if value is None:
        raise BadRequest(
            f"{NETWORKS_FIELD}: must be a list of strings", field=NETWORKS_FIELD
        )
    return value


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

    def networks() -> ExtensionNetworkService:
        return ExtensionNetworkService(access.current().principal)

    @app.get(f"{PREFIX}/extensions/<number>/allowed-networks")
    @api_route
    def get_allowed_networks(number: str) -> str:
        return _json_response(networks().get(number).to_dict())

    @app.put(f"{PREFIX}/extensions/<number>/allowed-networks")
    @api_route
    def set_allowed_networks(number: str) -> str:
        entry = networks().set(number, _allowed_networks())
        log.info(
            "extension %s: allowed networks changed by %s",
            entry.number,
            access.current().principal.name,
        )
        return _json_response(entry.to_dict())

    def certificates() -> CertificateService:
        return CertificateService(appliance.settings, access.current().principal)

    @app.get(f"{PREFIX}/certificate")
    @api_route
    def show_certificate() -> str:
        info = certificates().show()
        return _json_response(info.to_dict() if info else None)

    @app.put(f"{PREFIX}/certificate")
    @api_route
    def upload_certificate() -> str:
        body = json_object(CERTIFICATE_FIELDS)
        for name in sorted(CERTIFICATE_FIELDS):
            if not isinstance(body.get(name), str):
                raise BadRequest(f"{name}: must be PEM text", field=name)
        result = certificates().upload(body["certificate"], body["private_key"])
        log.info(
            "certificate %s: uploaded by %s",
            result["fingerprint_sha256"],
            access.current().principal.name,
        )
        return _json_response(result)
