"""The voicemail, IVR, conference, page group and queue pages: lists with
a form to add one; an IVR menu, room, group or queue has an edit form too,
which carries the version it was loaded from (``webadmin.form_versions``).

The same ``VoicemailService`` and ``IvrService`` as the CLI and the API; a
refused form comes back with the field's error beside it and nothing saved.
The IVR page also takes uploads (WAV or MP3) of the menus' prompts and of the
music on hold, converted by ``agent.media.uploads`` as the CLI's are.
"""

from __future__ import annotations

import logging

import bottle

from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.conference.service import ConferenceService
from agent.errors import Forbidden, InvalidInput, NotFound, PbxError
from agent.ivr.service import IvrService, choices_of
from agent.media.pool import CALLS_PER_WORKER
from agent.media.uploads import (
    MAX_PROMPT_S,
    MAX_UPLOAD_BYTES,
    MusicService,
    PromptService,
)
from agent.paging.broadcasts import WEEKDAYS, BroadcastService
from agent.paging.service import PagingService
from agent.queues.service import STRATEGIES, QueueService
from agent.voicemail.service import GREETING_REASONS, VoicemailService
from webadmin import access, bodies, form_versions, problems
from webadmin.pages import _field_errors, _form, render

log = logging.getLogger("edgepbx.web")

GREETING_UPLOAD = "/voicemail/greeting"
PROMPT_UPLOAD = "/ivr/prompts"
MUSIC_UPLOAD = "/ivr/music"
# A multipart form around the file: its boundaries, the name and the token.
FORM_OVERHEAD_BYTES = 16 * 1024
for _route in (GREETING_UPLOAD, PROMPT_UPLOAD, MUSIC_UPLOAD):
    bodies.LARGE_BODY_ROUTES[_route] = MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES
#: The upload forms of the IVR page: route, service, and the field names of
#: their errors (one page shows both forms, so each has its own fields).
UPLOADS = {
    "prompt": (PROMPT_UPLOAD, PromptService),
    "music": (MUSIC_UPLOAD, MusicService),
}
#: Where each upload form's success leads.
SAVED = {
    "prompt": "/ivr?notice=prompt-saved#prompts",
    "music": "/ivr?notice=music-saved#music",
}
UPLOAD_LIMIT = f"up to {MAX_UPLOAD_BYTES // 2**20} MB and {MAX_PROMPT_S // 60} minutes"


def _choices(text: str) -> dict[str, str]:
    """Lines of KEY=DESTINATION, as typed into the form."""
    pairs = []
    for line in text.replace(",", "\n").splitlines():
        line = line.strip()
        if not line:
            continue
        key, sep, destination = line.partition("=")
        if not sep:
            raise InvalidInput("choices", line, "one KEY=DESTINATION per line")
        pairs.append((key.strip(), destination.strip()))
    return choices_of(pairs)


def _whole(field: str, text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(field, text, "a whole number (digits 0 to 9)")
    return int(text)


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    settings = appliance.settings

    def actor():
        return access.current().principal

    def refused(error: PbxError) -> str:
        return render("error", 403, title="Forbidden", message=str(error))

    # -- voicemail -----------------------------------------------------------

    def voicemail_page(values: dict, errors: dict, status: int = 200) -> str:
        try:
            boxes = VoicemailService(settings, actor()).list()
        except Forbidden as exc:
            return refused(exc)
        return render(
            "voicemail",
            status,
            title="Voicemail",
            boxes=boxes,
            reasons=GREETING_REASONS,
            upload_limit=UPLOAD_LIMIT,
            values=values,
            errors=errors,
        )

    @app.get("/voicemail")
    def voicemail_list() -> str:
        return voicemail_page({"enabled": "on", "transcribe": "on"}, {})

    @app.post("/voicemail")
    def voicemail_save() -> str:
        names = ("extension", "pin", "enabled", "email", "transcribe")
        values = {n: _form(n) for n in names}
        try:
            VoicemailService(settings, actor()).set(
                values["extension"],
                pin=values["pin"] or None,
                enabled=values["enabled"] == "on",
                email_enabled=values["email"] == "on",
                transcribe=values["transcribe"] == "on",
            )
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            values["pin"] = ""  # a PIN is never sent back
            return voicemail_page(values, _field_errors(exc), 422)
        log.info("mailbox %s: saved by %s", values["extension"], actor().name)
        bottle.redirect("/voicemail", 303)

    @app.post(GREETING_UPLOAD)
    def voicemail_greeting() -> str:
        """An administrator sets a mailbox's greeting from a WAV or MP3."""
        values = {"extension": _form("extension"), "reason": _form("reason")}
        upload = bottle.request.files.get("file")
        try:
            bodies.check_upload()
            if upload is None or not upload.filename:
                raise InvalidInput("file", None, "choose a WAV or MP3 file")
            data = upload.file.read(MAX_UPLOAD_BYTES + 1)
            VoicemailService(settings, actor()).upload_greeting(
                values["extension"], values["reason"], data
            )
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            errors = {f"greeting_{k}": v for k, v in _field_errors(exc).items()}
            shown = {f"greeting_{k}": v for k, v in values.items()}
            status = bodies.status_of(exc)
            return voicemail_page({"enabled": "on"} | shown, errors, status)
        log.info(
            "mailbox %s: %s greeting set by %s",
            values["extension"],
            values["reason"],
            actor().name,
        )
        access.redirect("/voicemail?notice=greeting-saved", 303)

    # -- IVR -----------------------------------------------------------------

    def ivr_page(values: dict, errors: dict, status: int = 200) -> str:
        try:
            menus = IvrService(settings, actor()).list()
            prompts = PromptService(settings, actor()).list()
            music = MusicService(settings, actor()).list()
        except Forbidden as exc:
            return refused(exc)
        return render(
            "ivr",
            status,
            title="IVR menus",
            menus=menus,
            prompts=prompts,
            music=music,
            upload_limit=UPLOAD_LIMIT,
            values=values,
            errors=errors,
        )

    def ivr_form(number: str) -> dict:
        """The edit form of a menu as it is now, with its version."""
        info = IvrService(settings, actor()).show(number)
        return {
            "number": info.number,
            "name": info.name,
            "prompt": info.prompt,
            "choices": "\n".join(f"{k}={d}" for k, d in info.choices.items()),
            "fallback": info.fallback,
            "digit_timeout_s": str(info.digit_timeout_s),
            "retries": str(info.retries),
            "dial_by_extension": "on" if info.dial_by_extension else "",
            "version": form_versions.version_of(info.to_dict()),
        }

    @app.get("/ivr")
    def ivr_list() -> str:
        editing = bottle.request.query.get("edit")
        if editing:
            try:
                return ivr_page(ivr_form(editing), {})
            except Forbidden as exc:
                return refused(exc)
            except PbxError as exc:
                return ivr_page({}, {"form": str(exc)}, 404)
        defaults = {
            "prompt": "dir-welcome",
            "fallback": "hangup",
            "digit_timeout_s": "5",
            "retries": "3",
            "dial_by_extension": "on",
        }
        return ivr_page(defaults, {})

    @app.post("/ivr")
    def ivr_save() -> str:
        names = (
            "number",
            "name",
            "prompt",
            "choices",
            "fallback",
            "digit_timeout_s",
            "retries",
            "dial_by_extension",
        )
        values = {n: _form(n) for n in names}
        values["version"] = _form("version")
        service = IvrService(settings, actor())
        try:
            service.actor.require(Permission.MANAGE_MEDIA)
            current = _current(service.show, values["number"])
            form_versions.check(
                "IVR menu",
                values["number"],
                None if current is None else current.to_dict(),
                values["version"],
            )
            service.save(
                values["number"],
                name=values["name"],
                prompt=values["prompt"],
                choices=_choices(values["choices"]),
                fallback=values["fallback"] or "hangup",
                digit_timeout_s=_whole("digit_timeout_s", values["digit_timeout_s"]),
                retries=_whole("retries", values["retries"]),
                dial_by_extension=values["dial_by_extension"] == "on",
                create=current is None,
            )
        except Forbidden as exc:
            return refused(exc)
        except form_versions.ChangedMeanwhile as exc:
            shown = ivr_form(values["number"])
            return ivr_page(shown, {"form": str(exc)}, exc.status)
        except PbxError as exc:
            errors = _field_errors(exc)
            # choices.1 and the like are shown at the choices box.
            for key in [k for k in errors if k.startswith("choices.")]:
                errors["choices"] = errors.pop(key)
            return ivr_page(values, errors, 422)
        log.info("IVR menu %s: saved by %s", values["number"], actor().name)
        bottle.redirect("/ivr", 303)

    def upload_audio(kind: str) -> str:
        """Save one uploaded prompt or piece of music.

        Both forms are on one page, so an error is shown at ``KIND_FIELD``.
        """
        _, service = UPLOADS[kind]
        name = _form("name").strip()
        upload = bottle.request.files.get("file")
        try:
            bodies.check_upload()
            if upload is None or not upload.filename:
                raise InvalidInput("file", None, "choose a WAV or MP3 file")
            data = upload.file.read(MAX_UPLOAD_BYTES + 1)
            info = service(settings, actor()).upload(name, data)
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            errors = {f"{kind}_{k}": v for k, v in _field_errors(exc).items()}
            return ivr_page({f"{kind}_name": name}, errors, bodies.status_of(exc))
        log.info("%s %s: uploaded by %s", kind, info.name, actor().name)
        access.redirect(SAVED[kind], 303)

    @app.post(PROMPT_UPLOAD)
    def prompt_upload() -> str:
        return upload_audio("prompt")

    @app.post(MUSIC_UPLOAD)
    def music_upload() -> str:
        return upload_audio("music")

    # -- conference rooms ------------------------------------------------------

    def conference_page(values: dict, errors: dict, status: int = 200) -> str:
        try:
            rooms = ConferenceService(actor()).list()
        except Forbidden as exc:
            return refused(exc)
        return render(
            "conference",
            status,
            title="Conference rooms",
            rooms=rooms,
            max_members=CALLS_PER_WORKER,
            values=values,
            errors=errors,
        )

    def conference_form(number: str) -> dict:
        """The edit form of a room as it is now (never its PIN)."""
        info = ConferenceService(actor()).show(number)
        return {
            "number": info.number,
            "name": info.name,
            "max_members": str(info.max_members),
            "wait_for_moderator": info.wait_for_moderator,
            "end_with_moderator": info.end_with_moderator,
            "version": form_versions.version_of(info.to_dict()),
        }

    @app.get("/conference")
    def conference_list() -> str:
        editing = bottle.request.query.get("edit")
        if editing:
            try:
                return conference_page(conference_form(editing), {})
            except Forbidden as exc:
                return refused(exc)
            except PbxError as exc:
                return conference_page({}, {"form": str(exc)}, 404)
        return conference_page({"max_members": "4"}, {})

    @app.post("/conference")
    def conference_save() -> str:
        names = ("number", "name", "pin", "moderator_pin", "max_members", "version")
        values = {n: _form(n) for n in names}
        for option in ("wait_for_moderator", "end_with_moderator"):
            values[option] = _form(option) == "on"
        service = ConferenceService(actor())
        try:
            service.actor.require(Permission.MANAGE_MEDIA)
            current = _current(service.show, values["number"])
            form_versions.check(
                "conference room",
                values["number"],
                None if current is None else current.to_dict(),
                values["version"],
            )
            service.save(
                values["number"],
                name=values["name"],
                pin=values["pin"] or None,
                max_members=_whole("max_members", values["max_members"]),
                moderator_pin=values["moderator_pin"] or None,
                wait_for_moderator=values["wait_for_moderator"],
                end_with_moderator=values["end_with_moderator"],
            )
        except Forbidden as exc:
            return refused(exc)
        except form_versions.ChangedMeanwhile as exc:
            shown = conference_form(values["number"])
            return conference_page(shown, {"form": str(exc)}, exc.status)
        except PbxError as exc:
            values["pin"] = values["moderator_pin"] = ""
            return conference_page(values, _field_errors(exc), 422)
        log.info("conference room %s: saved by %s", values["number"], actor().name)
        bottle.redirect("/conference", 303)

    # -- page groups -----------------------------------------------------------

    def paging_page(
        values: dict,
        errors: dict,
        status: int = 200,
        broadcast: dict | None = None,
        broadcast_errors: dict | None = None,
    ) -> str:
        try:
            groups = PagingService(actor()).list()
            broadcasts = BroadcastService(settings, actor()).list()
            prompts = PromptService(settings, actor()).list()
        except Forbidden as exc:
            return refused(exc)
        return render(
            "paging",
            status,
            title="Page groups",
            groups=groups,
            values=values,
            errors=errors,
            broadcasts=broadcasts,
            prompts=prompts,
            weekdays=WEEKDAYS,
            broadcast=broadcast or {"enabled": True},
            broadcast_errors=broadcast_errors or {},
        )

    def paging_form(number: str) -> dict:
        """The edit form of a group as it is now, with its version."""
        info = PagingService(actor()).show(number)
        return {
            "number": info.number,
            "name": info.name,
            "members": ",".join(info.members),
            "version": form_versions.version_of(info.to_dict()),
        }

    @app.get("/paging")
    def paging_list() -> str:
        editing = bottle.request.query.get("edit")
        if not editing:
            return paging_page({}, {})
        try:
            return paging_page(paging_form(editing), {})
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return paging_page({}, {"form": str(exc)}, 404)

    @app.post("/paging")
    def paging_save() -> str:
        values = {n: _form(n) for n in ("number", "name", "members", "version")}
        service = PagingService(actor())
        fields = {
            "name": values["name"],
            "members": [m.strip() for m in values["members"].split(",")],
        }
        try:
            service.actor.require(Permission.MANAGE_MEDIA)
            current = _current(service.show, values["number"])
            form_versions.check(
                "page group",
                values["number"],
                None if current is None else current.to_dict(),
                values["version"],
            )
            if current is None:
                service.add(values["number"], **fields)
            else:
                service.set(values["number"], **fields)
        except Forbidden as exc:
            return refused(exc)
        except form_versions.ChangedMeanwhile as exc:
            shown = paging_form(values["number"])
            return paging_page(shown, {"form": str(exc)}, exc.status)
        except PbxError as exc:
            return paging_page(values, _field_errors(exc), 422)
        log.info("page group %s: saved by %s", values["number"], actor().name)
        bottle.redirect("/paging", 303)

    @app.post("/paging/<number>/remove")
    def paging_remove(number: str) -> str:
        try:
            PagingService(actor()).remove(number)
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            status = 422 if isinstance(exc, InvalidInput) else 404
            return paging_page({}, {"form": str(exc)}, status)
        log.info("page group %s: removed by %s", number, actor().name)
        bottle.redirect("/paging", 303)

    @app.post("/paging/broadcasts")
    def broadcast_save() -> str:
        fields = ("name", "page_group", "prompt", "time_of_day", "on_date")
        values: dict = {n: _form(n) for n in fields}
        values["weekdays"] = bottle.request.forms.getall("weekdays")
        values["enabled"] = _form("enabled") == "on"
        try:
            BroadcastService(settings, actor()).save(
                values["name"],
                page_group=values["page_group"],
                prompt=values["prompt"],
                weekdays=values["weekdays"],
                time_of_day=values["time_of_day"],
                on_date=values["on_date"] or None,
                enabled=values["enabled"],
            )
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return paging_page({}, {}, 422, values, _field_errors(exc))
        log.info("page broadcast %s: saved by %s", values["name"], actor().name)
        access.redirect("/paging#broadcasts", 303)

    @app.post("/paging/broadcasts/<name>/<action>")
    def broadcast_action(name: str, action: str) -> str:
        service = BroadcastService(settings, actor())
        steps = {
            "run": lambda: service.run_now(name),
            "enable": lambda: service.set_enabled(name, True),
            "disable": lambda: service.set_enabled(name, False),
            "remove": lambda: service.remove(name),
        }
        if action not in steps:
            bottle.abort(404)
        try:
            steps[action]()
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return paging_page({}, {}, 422, None, {"form": str(exc)})
        log.info("page broadcast %s: %s by %s", name, action, actor().name)
        notice = "?notice=broadcast-sent" if action == "run" else ""
        access.redirect(f"/paging{notice}#broadcasts", 303)

    # -- call queues ------------------------------------------------------------

    def queues_page(values: dict, errors: dict, status: int = 200) -> str:
        service = QueueService(settings, actor())
        try:
            queues = service.list()
            live = {q.number: service.status(q.number) for q in queues}
        except Forbidden as exc:
            return refused(exc)
        return render(
            "queues",
            status,
            title="Call queues",
            queues=queues,
            live=live,
            fields=QUEUE_FORM,
            strategies=STRATEGIES,
            values=values,
            errors=errors,
        )

    def queue_form(number: str) -> dict:
        """The edit form of a queue as it is now, with its version."""
        info = QueueService(settings, actor()).show(number)
        shown = {
            name: getattr(info, name) for name, _, _ in QUEUE_FORM if name != "agents"
        }
        return shown | {
            "agents": ",".join(info.agents),
            "version": form_versions.version_of(form_versions.queue_version(info)),
        }

    @app.get("/queues")
    def queues_list() -> str:
        editing = bottle.request.query.get("edit")
        if editing:
            try:
                return queues_page(queue_form(editing), {})
            except Forbidden as exc:
                return refused(exc)
            except PbxError as exc:
                return queues_page({}, {"form": str(exc)}, 404)
        defaults = {
            "strategy": "ring-all",
            "ring_s": "15",
            "max_wait_s": "300",
            "failover": "hangup",
            "music": "default",
            "announce_every_s": "60",
            "service_level_s": "20",
        }
        return queues_page(defaults, {})

    @app.post("/queues")
    def queues_save() -> str:
        values = {name: _form(name) for name, _, _ in QUEUE_FORM}
        values["version"] = _form("version")
        service = QueueService(settings, actor())
        try:
            fields = dict(
                name=values["name"],
                strategy=values["strategy"],
                agents=[a.strip() for a in values["agents"].split(",") if a.strip()],
                ring_s=_whole("ring_s", values["ring_s"]),
                max_wait_s=_whole("max_wait_s", values["max_wait_s"]),
                failover=values["failover"],
                music=values["music"] or "default",
                announce_position=values["announce_position"] == "on",
                announce_wait=values["announce_wait"] == "on",
                announce_every_s=_whole("announce_every_s", values["announce_every_s"]),
                # Left empty: a new queue's default, a queue's own unchanged.
                service_level_s=(
                    _whole("service_level_s", values["service_level_s"])
                    if values["service_level_s"].strip()
                    else None
                ),
            )
            service.actor.require(Permission.MANAGE_MEDIA)
            current = _current(service.show, values["number"])
            form_versions.check(
                "queue",
                values["number"],
                None if current is None else form_versions.queue_version(current),
                values["version"],
            )
            if current is None:
                service.add(values["number"], **fields)
            else:
                service.set(values["number"], **fields)
        except Forbidden as exc:
            return refused(exc)
        except form_versions.ChangedMeanwhile as exc:
            shown = queue_form(values["number"])
            return queues_page(shown, {"form": str(exc)}, exc.status)
        except PbxError as exc:
            return queues_page(values, _field_errors(exc), 422)
        log.info("queue %s: saved by %s", values["number"], actor().name)
        bottle.redirect("/queues", 303)

    @app.post("/queues/<number>/remove")
    def queues_remove(number: str) -> str:
        try:
            QueueService(settings, actor()).remove(number)
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return queues_page({}, {"form": str(exc)}, bodies.status_of(exc))
        log.info("queue %s: removed by %s", number, actor().name)
        bottle.redirect("/queues", 303)

    @app.post("/queues/<number>/agents")
    def queues_agent(number: str) -> str:
        """Log a dynamic agent in or out, as *45 and *46 do from a phone."""
        extension = _form("extension").strip()
        action = _form("action")
        service = QueueService(settings, actor())
        try:
            if action == "login":
                service.log_in(number, extension)
            elif action == "logout":
                service.log_out(number, extension)
            else:
                raise InvalidInput("action", action, "login or logout")
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            errors = {"agent_form": f"queue {number}: {problems.message(exc)}"}
            return queues_page({}, errors, bodies.status_of(exc))
        log.info("queue %s: %s %s by %s", number, extension, action, actor().name)
        bottle.redirect("/queues", 303)


def _current(show, number: str):
    """The object a form's number names now, or None if there is none."""
    try:
        return show(number)
    except NotFound:
        return None


#: The queue form's fields: name, label, hint.
QUEUE_FORM = (
    ("number", "Number", "Callers dial it; no extension, menu or room has it"),
    ("name", "Name", "Like Sales"),
    ("strategy", "Strategy", "How the agents are rung"),
    ("agents", "Static agents", "Extensions in ring order, like 101,102"),
    ("ring_s", "Ring time", "Seconds one agent rings, 5 to 120"),
    ("max_wait_s", "Longest wait", "Seconds before the failover, 10 to 3600"),
    ("failover", "Failover", "extension:N, voicemail:N, ivr:N, queue:N or hangup"),
    ("music", "Music", '"default" or the name of uploaded music'),
    ("announce_position", "Announce the position", "Tell callers their place"),
    ("announce_wait", "Announce the wait", "Tell callers how long they waited"),
    ("announce_every_s", "Announce every", "Seconds, 20 to 600"),
    (
        "service_level_s",
        "Service level",
        "Seconds within which an answered call counts as served in time, 1 to 3600",
    ),
)
