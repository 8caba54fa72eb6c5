"""``/api/v1/extensions/{number}/features``: do-not-disturb and forwards.

The same service as ``edgepbx extension dnd|forward|features``, the
extension's page and the user portal's forwarding page
(``agent.extensions.features``). A portal user's session reaches their own
extension's features only.
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.extensions.features import FIELDS, FeatureService
from webadmin import access
from webadmin.api import PREFIX, BadRequest, _json_response, api_route, json_object

log = logging.getLogger("edgepbx.web")

#: Each field's JSON type; the service checks the values.
CHANGE_FIELDS = {
    name: bool
    if name in {"dnd", "call_waiting"}
    else int
    if name == "no_answer_s"
    else str
    for name in FIELDS
}


def _changes() -> dict:
    """The body's fields, each of its JSON type (the service checks values);
    a forward is cleared with "", so null is no value here."""
    body = json_object(CHANGE_FIELDS)
    for name, value in body.items():
        if value is None:
            words = {bool: "true or false", int: "a whole number"}
            rule = words.get(CHANGE_FIELDS[name], "a string")
            raise BadRequest(f"{name}: must be {rule}", field=name)
    return body


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def features() -> FeatureService:
        return FeatureService(access.current().principal)

    @app.get(f"{PREFIX}/extensions/<number>/features")
    @api_route
    def get_features(number: str) -> str:
        return _json_response(features().get(number).to_dict())

    @app.put(f"{PREFIX}/extensions/<number>/features")
    @api_route
    def set_features(number: str) -> str:
        changed = features().change(number, **_changes())
        log.info(
            "extension %s: call features changed by %s",
            changed.extension,
            access.current().principal.name,
        )
        return _json_response(changed.to_dict())
