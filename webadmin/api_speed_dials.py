"""REST routes for company speed dials (agent/speed_dial)."""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.speed_dial.service import SpeedDialService
from webadmin import access
from webadmin.api import (
    PREFIX,
    BadRequest,
    _json_response,
    _saved_response,
    api_route,
    json_object,
    tagged,
    unchanged_since_read,
)

log = logging.getLogger("edgepbx.web")

SPEED_DIAL_FIELDS = frozenset({"number", "name"})


def _text(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"{name}: must be a string", field=name)
    return value


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def speed_dials() -> SpeedDialService:
        return SpeedDialService(access.current().principal)

    def actor() -> str:
        return access.current().principal.name

    @app.get(f"{PREFIX}/speed-dials")
    @api_route
    def list_speed_dials() -> str:
        return _json_response([s.to_dict() for s in speed_dials().list()])

    @app.get(f"{PREFIX}/speed-dials/<code>")
    @api_route
    def get_speed_dial(code: str) -> str:
        return _json_response(tagged(speed_dials().show(code).to_dict()))

    @app.put(f"{PREFIX}/speed-dials/<code>")
    @api_route
    def put_speed_dial(code: str) -> str:
        body = json_object(SPEED_DIAL_FIELDS)
        service = speed_dials()
        unchanged_since_read("speed dial", code, lambda: service.show(code).to_dict())
        saved = service.save(
            code, number=_text(body, "number") or "", name=_text(body, "name")
        )
        log.info("speed dial %s: saved by %s", code, actor())
        return _saved_response(saved)

    @app.delete(f"{PREFIX}/speed-dials/<code>")
    @api_route
    def delete_speed_dial(code: str) -> str:
        service = speed_dials()
        unchanged_since_read("speed dial", code, lambda: service.show(code).to_dict())
        service.remove(code)
        log.info("speed dial %s: removed by %s", code, actor())
        bottle.response.status = 204
        return ""
