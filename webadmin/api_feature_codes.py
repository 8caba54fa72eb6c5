"""REST routes of the feature-code table (agent/feature_codes)."""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.feature_codes import FeatureCodeService
from webadmin import access
from webadmin.api import PREFIX, BadRequest, _json_response, api_route, json_object

log = logging.getLogger("edgepbx.web")

CODE_FIELDS = {"code": str}


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def codes() -> FeatureCodeService:
        return FeatureCodeService(access.current().principal)

    def actor() -> str:
        return access.current().principal.name

    @app.get(f"{PREFIX}/feature-codes")
    @api_route
    def list_feature_codes() -> str:
        return _json_response([c.to_dict() for c in codes().list()])

    @app.get(f"{PREFIX}/feature-codes/<feature>")
    @api_route
    def get_feature_code(feature: str) -> str:
        return _json_response(codes().show(feature).to_dict())

    @app.put(f"{PREFIX}/feature-codes/<feature>")
    @api_route
    def put_feature_code(feature: str) -> str:
        body = json_object(CODE_FIELDS)
        if not isinstance(body.get("code"), str):
            raise BadRequest("code: must be a string", field="code")
        info = codes().set(feature, body["code"])
        log.info("feature code %s: set to %s by %s", feature, info.code, actor())
        return _json_response(info.to_dict())

    @app.delete(f"{PREFIX}/feature-codes/<feature>")
    @api_route
    def reset_feature_code(feature: str) -> str:
        info = codes().reset(feature)
        log.info("feature code %s: reset to %s by %s", feature, info.code, actor())
        return _json_response(info.to_dict())
