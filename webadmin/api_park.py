"""``/api/v1/park``: the calls parked now and the park slots' settings.

The same ``ParkService`` as the CLI and the monitor page, as the principal
of the token or session; refusals are problem details that name the field.
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.park.service import ParkService
from webadmin import access
from webadmin.api import PREFIX, _json_response, api_route, json_object

log = logging.getLogger("edgepbx.web")

SETTINGS_FIELDS = {"first": str, "count": int, "timeout_s": int}


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def park() -> ParkService:
        return ParkService(access.current().principal, appliance.settings)

    @app.get(f"{PREFIX}/park")
    @api_route
    def list_parked() -> str:
        return _json_response([p.to_dict() for p in park().list()])

    @app.get(f"{PREFIX}/park/settings")
    @api_route
    def get_park_settings() -> str:
        return _json_response(park().show_settings().to_dict())

    @app.put(f"{PREFIX}/park/settings")
    @api_route
    def put_park_settings() -> str:
        body = json_object(SETTINGS_FIELDS)
        changed = park().change_settings(
            first=body.get("first"),
            count=body.get("count"),
            timeout_s=body.get("timeout_s"),
        )
        log.info(
            "park settings: slots %s-%s, %d s, changed by %s",
            changed.slots[0],
            changed.slots[-1],
            changed.timeout_s,
            access.current().principal.name,
        )
        return _json_response(changed.to_dict())
