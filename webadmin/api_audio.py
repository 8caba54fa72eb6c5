"""``/api/v1/prompts`` and ``/api/v1/music``: IVR prompts and music on hold.

A file is sent as the raw body (WAV or MP3) and converted by the same
``PromptService`` and ``MusicService`` as the CLI and the IVR page; a file
that is not audio, or too long, is a problem naming ``file``.
``/api/v1/music-on-hold`` turns the music held calls hear on or off, as
``edgepbx music on-hold`` does (agent/media/music_on_hold.py).
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.media import music_on_hold
from agent.media.uploads import MAX_UPLOAD_BYTES, MusicService, PromptService
from webadmin import access, bodies
from webadmin.api import (
    PREFIX,
    BadRequest,
    BodyTooLarge,
    UnsupportedMediaType,
    _json_response,
    api_route,
    json_object,
)

log = logging.getLogger("edgepbx.web")

#: The media types an audio upload may be sent as; the content decides.
AUDIO_TYPES = frozenset(
    {"audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "application/octet-stream"}
)
#: Path under /api/v1 → the service of its files.
FOLDERS = {"prompts": PromptService, "music": MusicService}
for _folder in FOLDERS:
    bodies.LARGE_BODY_ROUTES[f"{PREFIX}/{_folder}/"] = MAX_UPLOAD_BYTES


def _audio_body() -> bytes:
    media_type = (bottle.request.content_type or "").split(";")[0].strip().lower()
    if media_type not in AUDIO_TYPES:
        raise UnsupportedMediaType("send the file as audio/wav or audio/mpeg")
    try:
        return bodies.read()
    except bodies.BodyTooLarge:
        raise BodyTooLarge(f"the file may be at most {bodies.limit()} bytes") from None


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    settings = appliance.settings

    def service(folder: str) -> PromptService | MusicService:
        return FOLDERS[folder](settings, access.current().principal)

    for folder in FOLDERS:
        _install_folder(app, folder, service)

    @app.get(f"{PREFIX}/music-on-hold")
    @api_route
    def get_music_on_hold() -> str:
        enabled = music_on_hold.shown_to(access.current().principal)
        return _json_response({"enabled": enabled})

    @app.put(f"{PREFIX}/music-on-hold")
    @api_route
    def put_music_on_hold() -> str:
        body = json_object({"enabled": bool})
        if body.get("enabled") is None:
            raise BadRequest("enabled: required, true or false", field="enabled")
        actor = access.current().principal
        enabled = music_on_hold.set_enabled(settings, actor, body["enabled"])
        return _json_response({"enabled": enabled})


def _install_folder(app: bottle.Bottle, folder: str, service) -> None:
    base = f"{PREFIX}/{folder}"

    @app.get(base, name=f"list_{folder}")
    @api_route
    def list_files() -> str:
        return _json_response([p.to_dict() for p in service(folder).list()])

    @app.put(f"{base}/<name>", name=f"upload_{folder}")
    @api_route
    def upload(name: str) -> str:
        files = service(folder)
        existed = (files.directory / f"{name}.wav").is_file()
        info = files.upload(name, _audio_body())
        log.info(
            "%s %s: uploaded by %s", files.kind, name, access.current().principal.name
        )
        return _json_response(info.to_dict(), 200 if existed else 201)

    @app.delete(f"{base}/<name>", name=f"remove_{folder}")
    @api_route
    def remove(name: str) -> str:
        service(folder).remove(name)
        bottle.response.status = 204
        return ""
