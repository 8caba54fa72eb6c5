"""The admin pages of the event center: the events, who is told of each
type, and the webhooks; over the same services as ``edgepbx event``,
``edgepbx webhook`` and ``/api/v1/events`` (``agent.events.service``).
"""

from __future__ import annotations

import logging
import urllib.parse

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, PbxError
from agent.events.catalogue import TYPES, WEBHOOK_TYPES, Severity
from agent.events.service import EventService, WebhookService
from webadmin import access
from webadmin.pages import render

log = logging.getLogger("edgepbx.web")

NOTICES = {
    "notify": "The notification setting is saved.",
    "options": "The event center's options are saved.",
    "removed": "The webhook is removed.",
    "tested": "The test event was delivered.",
}
FILTERS = ("type", "severity", "since", "until")


def _form(name: str) -> str:
    return bottle.request.forms.getunicode(name, default="") or ""


def _forbidden(exc: Forbidden) -> str:
    return render("error", 403, title="Forbidden", message=str(exc))


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def principal():
        return access.current().principal

    @app.get("/events")
    def events_page() -> str:
        query = bottle.request.query
        chosen = {name: query.getunicode(name, default="") or "" for name in FILTERS}
        page = query.getunicode("page", default="1") or "1"
        error = ""
        try:
            found = EventService(principal()).list(
                **{k: v or None for k, v in chosen.items()}, page=page
            )
        except Forbidden as exc:
            return _forbidden(exc)
        except PbxError as exc:
            error = str(exc)
            found = {"items": [], "total": 0, "page": 1, "per_page": 50}
        link = {k: v for k, v in chosen.items() if v}
        return render(
            "events",
            422 if error else 200,
            title="Events",
            found=found,
            chosen=chosen,
            error=error,
            types=TYPES,
            severities=[s.value for s in Severity],
            page_link=lambda n: "/events?" + urllib.parse.urlencode(link | {"page": n}),
        )

    def settings_page(status: int = 200, error: str = "", failed: str = "") -> str:
        service = EventService(principal())
        try:
            notifications = service.notifications()
            options = service.options()
            hooks = WebhookService(appliance.key, principal()).list()
        except Forbidden as exc:
            return _forbidden(exc)
        return render(
            "event_settings",
            status,
            title="Event notifications",
            notifications=notifications,
            options=options,
            webhooks=hooks,
            webhook_types=WEBHOOK_TYPES,
            error=error,
            failed=failed,
            done=NOTICES.get(bottle.request.query.get("done", ""), ""),
            secret=None,
        )

    @app.get("/events/settings")
    def event_settings() -> str:
        return settings_page()

    @app.post("/events/settings/notify/<kind>")
    def set_notification(kind: str) -> str:
        try:
            EventService(principal()).set_notification(
                kind,
                email=_form("email") == "on",
                recipients=_form("recipients"),
                webhook=_form("webhook") == "on",
            )
        except Forbidden as exc:
            return _forbidden(exc)
        except PbxError as exc:
            return settings_page(422, str(exc), failed=kind)
        bottle.redirect("/events/settings?done=notify", 303)

    @app.post("/events/settings/options")
    def set_options() -> str:
        changes = {
            name: _form(name)
            for name in (
                "retention_days",
                "mail_window_s",
                "disk_percent",
                "cpu_percent",
                "memory_percent",
                "emergency_numbers",
            )
        }
        try:
            EventService(principal()).change_options(**changes)
        except Forbidden as exc:
            return _forbidden(exc)
        except PbxError as exc:
            return settings_page(422, str(exc), failed="options")
        bottle.redirect("/events/settings?done=options", 303)

    @app.post("/webhooks")
    def add_webhook() -> str:
        chosen = bottle.request.forms.getall("types")
        try:
            info, secret = WebhookService(appliance.key, principal()).add(
                _form("url"), chosen, _form("secret") or None
            )
        except Forbidden as exc:
            return _forbidden(exc)
        except PbxError as exc:
            return settings_page(422, str(exc), failed="webhook")
        log.info("webhook %d: added by %s", info.id, principal().name)
        return render(
            "secret_shown",
            201,
            title=f"Webhook {info.id} added",
            secret=secret,
            what="Signing secret",
            about="The receiver checks each request's signature with it "
            "(see the event center's documentation).",
            back="/events/settings",
        )

    @app.post("/webhooks/<webhook_id>/test")
    def test_webhook(webhook_id: str) -> str:
        try:
            WebhookService(appliance.key, principal()).test(webhook_id)
        except Forbidden as exc:
            return _forbidden(exc)
        except PbxError as exc:
            return settings_page(502, str(exc), failed="webhook")
        bottle.redirect("/events/settings?done=tested", 303)

    @app.post("/webhooks/<webhook_id>/remove")
    def remove_webhook(webhook_id: str) -> str:
        try:
            WebhookService(appliance.key, principal()).remove(webhook_id)
        except Forbidden as exc:
            return _forbidden(exc)
        except PbxError as exc:
            return settings_page(404, str(exc), failed="webhook")
        bottle.redirect("/events/settings?done=removed", 303)
