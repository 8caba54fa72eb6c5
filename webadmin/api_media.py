"""``/api/v1/voicemail``, ``/api/v1/ivr``, ``/api/v1/conference`` and
``/api/v1/paging``: mailboxes, messages, menus, rooms and page groups.

The same services as the CLI and the pages,
as the principal of the token or session; refusals are problem details that
name the field.
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.conference.service import ConferenceService
from agent.ivr.service import IvrService
from agent.media.pool import CALLS_PER_WORKER
from agent.paging.broadcasts import BroadcastService
from agent.paging.service import PagingService
from agent.voicemail.service import VoicemailService
from agent.voicemail.transcription import TranscriptionService
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

TRANSCRIPTION_FIELDS = {
    "enabled": bool,
    "url": (str, type(None)),
    "key": (str, type(None)),
    "timeout_s": int,
}
MAILBOX_FIELDS = frozenset(
    {"pin", "enabled", "email_enabled", "max_message_s", "transcribe"}
)
MENU_FIELDS = frozenset(
    {
        "name",
        "prompt",
        "choices",
        "fallback",
        "digit_timeout_s",
        "retries",
        "dial_by_extension",
    }
)
ROOM_FIELDS = frozenset(
    {
        "name",
        "pin",
        "max_members",
        "moderator_pin",
        "wait_for_moderator",
        "end_with_moderator",
    }
)
PAGE_GROUP_FIELDS = frozenset({"name", "members"})
BROADCAST_FIELDS = frozenset(
    {"page_group", "prompt", "weekdays", "time_of_day", "on_date", "enabled"}
)
WAV = "audio/wav"


def _typed(body: dict, name: str, kind: type, what: str):
    value = body.get(name)
    # bool is an int in Python; an integer field takes no true/false.
    if value is not None and (
        not isinstance(value, kind) or (kind is int and isinstance(value, bool))
    ):
        raise BadRequest(f"{name}: must be {what}", field=name)
    return value


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    settings = appliance.settings

    def voicemail() -> VoicemailService:
        return VoicemailService(settings, access.current().principal)

    def menus() -> IvrService:
        return IvrService(settings, access.current().principal)

    def actor() -> str:
        return access.current().principal.name

    # -- voicemail -----------------------------------------------------------

    def transcription() -> TranscriptionService:
        return TranscriptionService(appliance.key, access.current().principal)

    @app.get(f"{PREFIX}/voicemail-transcription")
    @api_route
    def show_transcription() -> str:
        return _json_response(transcription().show())

    @app.route(f"{PREFIX}/voicemail-transcription", method="PATCH")
    @api_route
    def change_transcription() -> str:
        body = json_object(TRANSCRIPTION_FIELDS)
        return _json_response(transcription().change(**body))

    @app.get(f"{PREFIX}/voicemail")
    @api_route
    def list_mailboxes() -> str:
        return _json_response([b.to_dict() for b in voicemail().list()])

    @app.get(f"{PREFIX}/voicemail/<number>")
    @api_route
    def get_mailbox(number: str) -> str:
        return _json_response(tagged(voicemail().show(number).to_dict()))

    @app.put(f"{PREFIX}/voicemail/<number>")
    @api_route
    def put_mailbox(number: str) -> str:
        body = json_object(MAILBOX_FIELDS)
        unchanged_since_read(
            "mailbox", number, lambda: voicemail().show(number).to_dict()
        )
        saved = voicemail().set(
            number,
            pin=_typed(body, "pin", str, "a string of digits"),
            enabled=_typed(body, "enabled", bool, "true or false"),
            email_enabled=_typed(body, "email_enabled", bool, "true or false"),
            max_message_s=_typed(body, "max_message_s", int, "a whole number"),
            transcribe=_typed(body, "transcribe", bool, "true or false"),
        )
        log.info("mailbox %s: saved by %s", number, actor())
        return _saved_response(saved)

    @app.put(f"{PREFIX}/voicemail/<number>/transcribe")
    @api_route
    def put_mailbox_transcribe(number: str) -> str:
        body = json_object({"transcribe": bool})
        info = voicemail().set_transcribe(number, body.get("transcribe"))
        return _json_response(info.to_dict())

    @app.delete(f"{PREFIX}/voicemail/<number>")
    @api_route
    def delete_mailbox(number: str) -> str:
        unchanged_since_read(
            "mailbox", number, lambda: voicemail().show(number).to_dict()
        )
        voicemail().remove(number)
        log.info("mailbox %s: removed by %s", number, actor())
        bottle.response.status = 204
        return ""

    @app.get(f"{PREFIX}/voicemail/<number>/messages")
    @api_route
    def list_messages(number: str) -> str:
        infos = voicemail().message_infos(number)
        return _json_response([_without_path(m.to_dict()) for m in infos])

    @app.get(f"{PREFIX}/voicemail/<number>/messages/<message:int>/audio")
    @api_route
    def message_audio(number: str, message: int):
        path = voicemail().message_file(number, message)
        response = bottle.static_file(path.name, root=str(path.parent), mimetype=WAV)
        return response

    @app.delete(f"{PREFIX}/voicemail/<number>/messages/<message:int>")
    @api_route
    def delete_message(number: str, message: int) -> str:
        voicemail().delete_message(number, message)
        log.info("mailbox %s: message %d deleted by %s", number, message, actor())
        bottle.response.status = 204
        return ""

    # -- IVR -----------------------------------------------------------------

    @app.get(f"{PREFIX}/ivr")
    @api_route
    def list_menus() -> str:
        return _json_response([m.to_dict() for m in menus().list()])

    @app.get(f"{PREFIX}/ivr/<number>")
    @api_route
    def get_menu(number: str) -> str:
        return _json_response(tagged(menus().show(number).to_dict()))

    @app.put(f"{PREFIX}/ivr/<number>")
    @api_route
    def put_menu(number: str) -> str:
        body = json_object(MENU_FIELDS)
        choices = _typed(body, "choices", dict, "an object of key: destination")
        for key, value in (choices or {}).items():
            if not isinstance(value, str):
                raise BadRequest(
                    f"choices.{key}: must be a string", field=f"choices.{key}"
                )
        unchanged_since_read("IVR menu", number, lambda: menus().show(number).to_dict())
        saved = menus().save(
            number,
            name=_typed(body, "name", str, "a string") or "",
            prompt=_typed(body, "prompt", str, "a string") or "",
            choices=choices or {},
            fallback=_typed(body, "fallback", str, "a string") or "hangup",
            digit_timeout_s=_default(
                _typed(body, "digit_timeout_s", int, "a whole number"), 5
            ),
            retries=_default(_typed(body, "retries", int, "a whole number"), 3),
            dial_by_extension=_default(
                _typed(body, "dial_by_extension", bool, "true or false"), True
            ),
        )
        log.info("IVR menu %s: saved by %s", number, actor())
        return _saved_response(saved)

    # -- conference rooms ------------------------------------------------------

    def rooms() -> ConferenceService:
        return ConferenceService(access.current().principal)

    @app.get(f"{PREFIX}/conference")
    @api_route
    def list_rooms() -> str:
        return _json_response([r.to_dict() for r in rooms().list()])

    @app.get(f"{PREFIX}/conference/<number>")
    @api_route
    def get_room(number: str) -> str:
        return _json_response(tagged(rooms().show(number).to_dict()))

    @app.put(f"{PREFIX}/conference/<number>")
    @api_route
    def put_room(number: str) -> str:
        body = json_object(ROOM_FIELDS)
        pin = body.get("pin", "")
        if pin is not None and not isinstance(pin, str):
            raise BadRequest("pin: must be a string of digits or null", field="pin")
        moderator_pin = body.get("moderator_pin", "")
        if moderator_pin is not None and not isinstance(moderator_pin, str):
            raise BadRequest(
                "moderator_pin: must be a string of digits or null",
                field="moderator_pin",
            )
        unchanged_since_read(
            "conference room", number, lambda: rooms().show(number).to_dict()
        )
        saved = rooms().save(
            number,
            name=_typed(body, "name", str, "a string") or "",
            pin=pin or None,
            clear_pin="pin" in body and pin is None,
            max_members=_default(
                _typed(body, "max_members", int, "a whole number"), CALLS_PER_WORKER
            ),
            moderator_pin=moderator_pin or None,
            clear_moderator_pin="moderator_pin" in body and moderator_pin is None,
            wait_for_moderator=_typed(
                body, "wait_for_moderator", bool, "true or false"
            ),
            end_with_moderator=_typed(
                body, "end_with_moderator", bool, "true or false"
            ),
        )
        log.info("conference room %s: saved by %s", number, actor())
        return _saved_response(saved)

    @app.delete(f"{PREFIX}/conference/<number>")
    @api_route
    def delete_room(number: str) -> str:
        unchanged_since_read(
            "conference room", number, lambda: rooms().show(number).to_dict()
        )
        rooms().remove(number)
        log.info("conference room %s: removed by %s", number, actor())
        bottle.response.status = 204
        return ""

    # -- page groups -----------------------------------------------------------

    def page_groups() -> PagingService:
        return PagingService(access.current().principal)

    @app.get(f"{PREFIX}/paging")
    @api_route
    def list_page_groups() -> str:
        return _json_response([g.to_dict() for g in page_groups().list()])

    @app.get(f"{PREFIX}/paging/<number>")
    @api_route
    def get_page_group(number: str) -> str:
        return _json_response(tagged(page_groups().show(number).to_dict()))

    @app.put(f"{PREFIX}/paging/<number>")
    @api_route
    def put_page_group(number: str) -> str:
        body = json_object(PAGE_GROUP_FIELDS)
        members = _typed(body, "members", list, "a list of extension numbers") or []
        if not all(isinstance(m, str) for m in members):
            raise BadRequest(
                "members: must be a list of extension numbers", field="members"
            )
        unchanged_since_read(
            "page group", number, lambda: page_groups().show(number).to_dict()
        )
        saved = page_groups().save(
            number,
            name=_typed(body, "name", str, "a string") or "",
            members=members,
        )
        log.info("page group %s: saved by %s", number, actor())
        return _saved_response(saved)

    @app.delete(f"{PREFIX}/paging/<number>")
    @api_route
    def delete_page_group(number: str) -> str:
        unchanged_since_read(
            "page group", number, lambda: page_groups().show(number).to_dict()
        )
        page_groups().remove(number)
        log.info("page group %s: removed by %s", number, actor())
        bottle.response.status = 204
        return ""

    # -- page broadcasts -------------------------------------------------------

    def broadcasts() -> BroadcastService:
        return BroadcastService(settings, access.current().principal)

    @app.get(f"{PREFIX}/paging-broadcasts")
    @api_route
    def list_broadcasts() -> str:
        return _json_response([b.to_dict() for b in broadcasts().list()])

    @app.get(f"{PREFIX}/paging-broadcasts/<name>")
    @api_route
    def get_broadcast(name: str) -> str:
        return _json_response(tagged(broadcasts().show(name).to_dict()))

    @app.put(f"{PREFIX}/paging-broadcasts/<name>")
    @api_route
    def put_broadcast(name: str) -> str:
        body = json_object(BROADCAST_FIELDS)
        weekdays = _typed(body, "weekdays", list, "a list of mon .. sun") or []
        if not all(isinstance(d, str) for d in weekdays):
            raise BadRequest("weekdays: must be a list of mon .. sun", field="weekdays")
        unchanged_since_read(
            "page broadcast", name, lambda: broadcasts().show(name).to_dict()
        )
        saved = broadcasts().save(
            name,
            page_group=_typed(body, "page_group", str, "a string") or "",
            prompt=_typed(body, "prompt", str, "a string") or "",
            weekdays=weekdays,
            time_of_day=_typed(body, "time_of_day", str, "a string") or "",
            on_date=_typed(body, "on_date", str, "a string or null"),
            enabled=_default(_typed(body, "enabled", bool, "true or false"), True),
        )
        log.info("page broadcast %s: saved by %s", name, actor())
        return _saved_response(saved)

    @app.post(f"{PREFIX}/paging-broadcasts/<name>/run")
    @api_route
    def run_broadcast(name: str) -> str:
        info = broadcasts().run_now(name)
        log.info("page broadcast %s: run by %s", name, actor())
        return _json_response(info.to_dict(), 202)

    @app.delete(f"{PREFIX}/paging-broadcasts/<name>")
    @api_route
    def delete_broadcast(name: str) -> str:
        unchanged_since_read(
            "page broadcast", name, lambda: broadcasts().show(name).to_dict()
        )
        broadcasts().remove(name)
        log.info("page broadcast %s: removed by %s", name, actor())
        bottle.response.status = 204
        return ""

    @app.delete(f"{PREFIX}/ivr/<number>")
    @api_route
    def delete_menu(number: str) -> str:
        unchanged_since_read("IVR menu", number, lambda: menus().show(number).to_dict())
        menus().remove(number)
        log.info("IVR menu %s: removed by %s", number, actor())
        bottle.response.status = 204
        return ""


def _default(value, default):
    return default if value is None else value


def _without_path(message: dict) -> dict:
    """A message for the API: its audio by URL, not by a path on the box."""
    number, ident = message["extension"], message["id"]
    message = {k: v for k, v in message.items() if k != "path"}
    message["audio"] = f"{PREFIX}/voicemail/{number}/messages/{ident}/audio"
    return message
