"""The portal's voicemail: a user plays, downloads and deletes their own
messages, and sets their PIN, greetings and whether new messages are
turned into text.

The same ``VoicemailService`` as the phone's menu and the API; the service
lets a mailbox's owner act on it, and marks a message heard (updating the
phones' message waiting light) when its owner plays it here.
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, InvalidInput, NotFound, PbxError
from agent.media.uploads import MAX_UPLOAD_BYTES
from agent.voicemail.service import GREETING_REASONS, VoicemailService
from agent.voicemail.transcription import TranscriptionSettings
from webadmin import access, bodies
from webadmin.pages import _field_errors, _form, render
from webadmin.pages_people import refused
from webadmin.pages_portal import SECTIONS, own_number

log = logging.getLogger("edgepbx.web")

BASE = "/portal/voicemail"
GREETING = f"{BASE}/greeting"
WAV = "audio/wav"
# A multipart form around the file: its boundaries and the reason field.
FORM_OVERHEAD_BYTES = 16 * 1024

SECTIONS.insert(2, (BASE, "My voicemail"))
bodies.LARGE_BODY_ROUTES[GREETING] = MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES
NOTICES = {
    "deleted": "The message is deleted.",
    "pin": "Your voicemail PIN is changed.",
    "transcribe-on": "Your new messages are turned into text from now on.",
    "transcribe-off": "Your new messages are no longer turned into text.",
    "greeting": "Your greeting is saved; callers hear it from now on.",
    "greeting-removed": "The greeting is removed; callers hear the default one.",
}
#: The page's fields as its labels name them, for its error messages.
LABELS = {
    "pin": "New PIN",
    "pin_again": "The same PIN again",
    "reason": "For",
    "file": "Recording",
}


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def principal():
        return access.current().principal

    def service() -> VoicemailService:
        return VoicemailService(appliance.settings, principal())

    def page(errors: dict | None = None, status: int = 200) -> str:
        try:
            number = own_number()
            box = service().find(number)
            messages = service().message_infos(number) if box else []
            info = service().show(number) if box else None
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        return render(
            "portal_voicemail",
            status,
            title="My voicemail",
            sections=SECTIONS,
            mailbox=info,
            messages=messages,
            reasons=GREETING_REASONS,
            transcription_active=TranscriptionSettings.load().active,
            labels=LABELS,
            done=NOTICES.get(bottle.request.query.get("done", ""), ""),
            errors=errors or {},
        )

    def done(what: str) -> None:
        access.redirect(f"{BASE}?done={what}", 303)

    @app.get(BASE)
    def voicemail_page() -> str:
        return page()

    @app.get(f"{BASE}/<message:int>/audio")
    def message_audio(message: int):
        try:
            path = service().message_file(own_number(), message)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        saved = bottle.request.query.get("save")
        download = f"voicemail-{message}.wav" if saved else False
        return bottle.static_file(
            path.name, root=str(path.parent), mimetype=WAV, download=download
        )

    @app.post(f"{BASE}/<message:int>/delete")
    def delete_message(message: int) -> str:
        try:
            service().delete_message(own_number(), message)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        log.info("mailbox %s: message %d deleted by its owner", own_number(), message)
        done("deleted")

    @app.post(f"{BASE}/pin")
    def change_pin() -> str:
        try:
            if _form("pin") != _form("pin_again"):
                raise InvalidInput("pin_again", None, "differs from the new PIN")
            service().set_pin(own_number(), _form("pin"))
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except PbxError as exc:
            return page(_field_errors(exc, labels=LABELS), 422)
        done("pin")

    @app.post(f"{BASE}/transcribe")
    def change_transcribe() -> str:
        wanted = bool(_form("transcribe"))
        try:
            service().set_transcribe(own_number(), wanted)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        done("transcribe-on" if wanted else "transcribe-off")

    @app.post(GREETING)
    def upload_greeting() -> str:
        reason = _form("reason")
        upload = bottle.request.files.get("file")
        try:
            bodies.check_upload()
            if upload is None:
                raise InvalidInput("file", None, "choose a WAV or MP3 file")
            data = upload.file.read(MAX_UPLOAD_BYTES + 1)
            service().upload_greeting(own_number(), reason, data)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except PbxError as exc:
            return page(_field_errors(exc, labels=LABELS), bodies.status_of(exc))
        done("greeting")

    @app.post(f"{GREETING}/<reason>/delete")
    def remove_greeting(reason: str) -> str:
        try:
            service().remove_greeting(own_number(), reason)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except PbxError as exc:
            return page(_field_errors(exc, labels=LABELS), 422)
        done("greeting-removed")
