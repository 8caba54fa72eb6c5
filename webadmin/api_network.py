"""The network part of ``/api/v1``: the settings, tried and then kept.

``PUT /api/v1/network`` applies new settings on trial; they are undone
unless ``POST /api/v1/network/confirm`` arrives in time, which a client
can only send if it still reaches the appliance: the point of the trial.
Same service as ``edgepbx network`` and the recovery console.
"""

from __future__ import annotations

import bottle

from agent.appliance import Appliance
from agent.errors import InvalidInput
from agent.network.service import (
    CONFIRM_WITHIN_MAX_S,
    ChangePending,
    NetworkService,
    NothingPending,
)
from webadmin import access, problems
from webadmin.api import (
    PREFIX,
    _json_response,
    _problem_response,
    api_route,
    json_object,
)

#: NetworkConfig's fields and the confirmation window, each of its JSON type.
SETTINGS_FIELDS = {
    "interface": str,
    "mode": str,
    "address": str,
    "gateway": str,
    "dns": list[str],
    "voice_vlan": dict,
    "hostname": str,
    "ntp": list[str],
    "timezone": str,
    "confirm_within_s": (int, float),
}


def _confirm_within(body: dict) -> float | None:
    value = body.pop("confirm_within_s", None)
    if value is None:
        return None
    if not 1 <= value <= CONFIRM_WITHIN_MAX_S:
        raise InvalidInput(
            "confirm_within_s", value, f"1 to {CONFIRM_WITHIN_MAX_S:.0f} seconds"
        )
    return float(value)


def _conflict(exc: Exception) -> str:
    return _problem_response(*problems.problem(409, exc.kind, str(exc)))


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def network() -> NetworkService:
        return NetworkService(appliance.settings, access.current().principal)

    @app.get(f"{PREFIX}/network")
    @api_route
    def network_status() -> str:
        return _json_response(network().status())

    @app.put(f"{PREFIX}/network")
    @api_route
    def apply_network() -> str:
        body = json_object(SETTINGS_FIELDS)
        window = _confirm_within(body)
        try:
            return _json_response(network().apply(body, window), 202)
        except ChangePending as exc:
            return _conflict(exc)

    @app.post(f"{PREFIX}/network/confirm")
    @api_route
    def confirm_network() -> str:
        try:
            return _json_response({"settings": network().confirm()})
        except NothingPending as exc:
            return _conflict(exc)

    @app.post(f"{PREFIX}/network/revert")
    @api_route
    def revert_network() -> str:
        return _json_response({"reverted": network().revert()})
