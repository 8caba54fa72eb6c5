"""The REST API of the event center: ``/api/v1/events`` and
``/api/v1/webhooks``.

The same services as ``edgepbx event``, ``edgepbx webhook`` and the Events
pages (``agent.events.service``). A webhook's secret is answered once, by
the request that adds it.
"""

from __future__ import annotations

import bottle

from agent.appliance import Appliance
from agent.events.service import EventService, WebhookService
from webadmin import access
from webadmin.api import PREFIX, _json_response, api_route, json_object, known_query

NOTIFY_FIELDS = {"email": bool, "recipients": list[str], "webhook": bool}
OPTION_FIELDS = {
    "retention_days": int,
    "mail_window_s": int,
    "emergency_numbers": list[str],
    "disk_percent": int,
    "cpu_percent": int,
    "memory_percent": int,
}
WEBHOOK_FIELDS = {"url": str, "types": list[str], "secret": str}


def _query(name: str) -> str | None:
    value = bottle.request.query.getunicode(name, default="")
    return value or None


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def events() -> EventService:
        return EventService(access.current().principal)

    def webhooks() -> WebhookService:
        return WebhookService(appliance.key, access.current().principal)

    @app.get(f"{PREFIX}/events")
    @api_route
    def list_events() -> str:
        known_query("type", "severity", "since", "until", "page", "per_page")
        return _json_response(
            events().list(
                type=_query("type"),
                severity=_query("severity"),
                since=_query("since"),
                until=_query("until"),
                page=_query("page") or 1,
                per_page=_query("per_page") or 50,
            )
        )

    @app.get(f"{PREFIX}/events/notifications")
    @api_route
    def list_notifications() -> str:
        return _json_response(events().notifications())

    @app.put(f"{PREFIX}/events/notifications/<kind>")
    @api_route
    def set_notification(kind: str) -> str:
        body = json_object(NOTIFY_FIELDS)
        return _json_response(events().set_notification(kind, **body))

    @app.get(f"{PREFIX}/events/options")
    @api_route
    def show_options() -> str:
        return _json_response(events().options())

    @app.route(f"{PREFIX}/events/options", method="PATCH")
    @api_route
    def change_options() -> str:
        body = json_object(OPTION_FIELDS)
        return _json_response(events().change_options(**body))

    @app.get(f"{PREFIX}/webhooks")
    @api_route
    def list_webhooks() -> str:
        return _json_response([w.to_dict() for w in webhooks().list()])

    @app.post(f"{PREFIX}/webhooks")
    @api_route
    def add_webhook() -> str:
        body = json_object(WEBHOOK_FIELDS)
        info, secret = webhooks().add(
            body.get("url"), body.get("types"), body.get("secret")
        )
        return _json_response(info.to_dict() | {"secret": secret}, 201)

    @app.post(f"{PREFIX}/webhooks/<webhook_id>/test")
    @api_route
    def test_webhook(webhook_id: str) -> str:
        return _json_response(webhooks().test(webhook_id))

    @app.delete(f"{PREFIX}/webhooks/<webhook_id>")
    @api_route
    def remove_webhook(webhook_id: str) -> str:
        webhooks().remove(webhook_id)
        bottle.response.status = 204
        return ""
