"""``/api/v1`` for call recordings (agent/recordings): which calls are
recorded, the recorded calls, and their audio with HTTP Range (RFC 9110
section 14), so a browser's player can seek.
"""

from __future__ import annotations

import logging
import urllib.parse
from pathlib import Path

import bottle

from agent.accounts.roles import Permission, Principal
from agent.appliance import Appliance
from agent.recordings import service
from webadmin import access
from webadmin.api import (
    PREFIX,
    BadRequest,
    _json_response,
    api_route,
    json_object,
    known_query,
)

log = logging.getLogger("edgepbx.web")

#: Where a page's player and download link fetch a call's recording.
AUDIO_PATH = PREFIX + "/recordings/{}/audio"


def players(principal: Principal, directory: Path, calls: list) -> dict:
    """For the pages: call id -> its audio's URL, or None once the file was
    removed; empty for one who may not listen to recordings."""
    if not principal.can(Permission.LISTEN_RECORDINGS):
        return {}
    return {
        call.call_id: (
            AUDIO_PATH.format(urllib.parse.quote(call.call_id, safe=""))
            if (directory / call.recording).is_file()
            else None
        )
        for call in calls
        if call.recording
    }


def audio_response(appliance: Appliance, call_id: str, download: bool):
    """The recording's WAV for the asking principal, Range-aware."""
    principal = access.current().principal
    path = service.audio_path(principal, appliance.settings.recordings_dir, call_id)
    return bottle.static_file(
        path.name,
        root=str(path.parent),
        mimetype=service.MEDIA_TYPE,
        download=path.name if download else False,
    )


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    directory = appliance.settings.recordings_dir

    def principal():
        return access.current().principal

    @app.get(f"{PREFIX}/recordings")
    @api_route
    def list_recordings() -> str:
        known_query("since", "until", "limit")
        query = bottle.request.query
        limit = query.get("limit") or "100"
        if not (limit.isascii() and limit.isdigit()):
            raise BadRequest("limit: a whole number", field="limit")
        found = service.search(
            principal(),
            directory,
            since=query.get("since") or None,
            until=query.get("until") or None,
            limit=int(limit),
        )
        return _json_response([r.to_dict() for r in found])

    @app.get(f"{PREFIX}/recordings/<call_id>")
    @api_route
    def get_recording(call_id: str) -> str:
        return _json_response(service.find(principal(), directory, call_id).to_dict())

    @app.get(f"{PREFIX}/recordings/<call_id>/audio")
    @api_route
    def recording_audio(call_id: str):
        download = bottle.request.query.get("download") in {"1", "true"}
        return audio_response(appliance, call_id, download)

    @app.put(f"{PREFIX}/extensions/<number>/recording")
    @api_route
    def set_extension_recording(number: str) -> str:
        body = json_object({"recording": str})
        chosen = service.set_extension_recording(
            principal(), number, body.get("recording")
        )
        log.info("extension %s: recording %s, by %s", number, chosen, principal().name)
        return _json_response({"extension": number, "recording": chosen})

    @app.put(f"{PREFIX}/trunks/<name>/recording")
    @api_route
    def set_trunk_recording(name: str) -> str:
        body = json_object({"recording": bool})
        on = service.set_trunk_recording(principal(), name, body.get("recording"))
        log.info("trunk %s: recording %s, by %s", name, on, principal().name)
        return _json_response({"trunk": name, "recording": on})
