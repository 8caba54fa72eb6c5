"""``/api/v1/phones/{mac}/keys``, ``…/overrides``, ``…/http-auth``,
``/api/v1/provisioning/http-auth`` and ``/api/v1/provisioning/site``: a
phone's programmable keys, its per-device overrides, its provisioning
credentials, and the site settings every phone gets.

The same services as the CLI and the pages, as the principal of the token
or session; refusals are problem details naming the field.
"""

from __future__ import annotations

import json
import logging

import bottle

from agent.appliance import Appliance
from agent.provisioning.credentials import CredentialService
from agent.provisioning.keys import PhoneKeyService
from agent.provisioning.site import KEYS as SITE_FIELDS
from agent.provisioning.site import SiteSettingsService
from webadmin import access
from webadmin.api import PREFIX, BadRequest, _json_response, api_route

log = logging.getLogger("edgepbx.web")

KEY_FIELDS = frozenset({"position", "kind", "target", "label", "line"})


def json_body() -> object:
    request = bottle.request
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise BadRequest("send the body as application/json", field="body")
    try:
        return json.loads(request.body.read() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None


def _keys_body() -> list[dict]:
    body = json_body()
    if not isinstance(body, list) or not all(isinstance(k, dict) for k in body):
        raise BadRequest("the body must be a JSON array of keys", field="body")
    for key in body:
        for name in key:
            if name not in KEY_FIELDS:
                allowed = ", ".join(sorted(KEY_FIELDS))
                raise BadRequest(
                    f"{name}: not a key field (one of {allowed})", field=name
                )
    return body


def _object_body(*names: str) -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", field="body")
    if names:
        for name in body:
            if name not in names:
                raise BadRequest(f"{name}: not a field here", field=name)
    return body


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def keys() -> PhoneKeyService:
        return PhoneKeyService(access.current().principal)

    def auth() -> CredentialService:
        return CredentialService(appliance.key, access.current().principal)

    def actor() -> str:
        return access.current().principal.name

    @app.get(f"{PREFIX}/phones/<mac>/keys")
    @api_route
    def get_keys(mac: str) -> str:
        return _json_response([key.to_dict() for key in keys().keys(mac)])

    @app.put(f"{PREFIX}/phones/<mac>/keys")
    @api_route
    def put_keys(mac: str) -> str:
        saved = keys().set_keys(mac, _keys_body())
        log.info("phone %s: %d keys set by %s", mac, len(saved), actor())
        return _json_response([key.to_dict() for key in saved])

    @app.get(f"{PREFIX}/phones/<mac>/overrides")
    @api_route
    def get_overrides(mac: str) -> str:
        return _json_response(keys().overrides(mac))

    @app.put(f"{PREFIX}/phones/<mac>/overrides")
    @api_route
    def put_overrides(mac: str) -> str:
        saved = keys().set_overrides(mac, _object_body())
        log.info("phone %s: %d overrides set by %s", mac, len(saved), actor())
        return _json_response(saved)

    @app.get(f"{PREFIX}/phones/<mac>/http-auth")
    @api_route
    def get_http_auth(mac: str) -> str:
        return _json_response(auth().credentials(mac).to_dict())

    @app.put(f"{PREFIX}/phones/<mac>/http-auth")
    @api_route
    def put_http_auth(mac: str) -> str:
        body = _object_body("mode")
        shown = auth().set_mode(mac, str(body.get("mode", "")))
        log.info(
            "phone %s: provisioning credentials %s, by %s", mac, shown.mode, actor()
        )
        return _json_response(shown.to_dict())

    @app.post(f"{PREFIX}/phones/<mac>/http-auth/renew")
    @api_route
    def renew_http_auth(mac: str) -> str:
        shown = auth().renew_password(mac)
        log.info("phone %s: provisioning password renewed by %s", mac, actor())
        return _json_response(shown.to_dict())

    @app.get(f"{PREFIX}/provisioning/http-auth")
    @api_route
    def get_site_auth() -> str:
        return _json_response({"mode": auth().site_mode()})

    @app.put(f"{PREFIX}/provisioning/http-auth")
    @api_route
    def put_site_auth() -> str:
        body = _object_body("mode")
        mode = auth().set_site_mode(str(body.get("mode", "")))
        log.info("provisioning credentials for the site: %s, by %s", mode, actor())
        return _json_response({"mode": mode})

    @app.get(f"{PREFIX}/provisioning/site")
    @api_route
    def get_site_settings() -> str:
        shown = SiteSettingsService(access.current().principal).get()
        return _json_response(shown.to_dict())

    @app.put(f"{PREFIX}/provisioning/site")
    @api_route
    def put_site_settings() -> str:
        body = _object_body(*SITE_FIELDS)
        service = SiteSettingsService(access.current().principal)
        shown = service.update(body)
        log.info(
            "site settings for phones: %s, by %s",
            ", ".join(f"{name} {value}" for name, value in body.items()) or "none",
            actor(),
        )
        return _json_response(shown.to_dict())
