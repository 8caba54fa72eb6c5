"""``/api/v1/queues``: call queues, their agents and their live state.

The same ``QueueService`` as the CLI and the pages, as the principal of the
token or session; refusals are problem details that name the field.
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.queues.service import QueueService
from webadmin import access, form_versions
from webadmin.api import (
    PREFIX,
    _json_response,
    _saved_response,
    api_route,
    json_object,
    tagged,
    unchanged_since_read,
)

log = logging.getLogger("edgepbx.web")

QUEUE_FIELDS = {
    "name": str,
    "strategy": str,
    "agents": list[str],
    "ring_s": int,
    "max_wait_s": int,
    "failover": str,
    "music": str,
    "announce_position": bool,
    "announce_wait": bool,
    "announce_every_s": int,
    "service_level_s": int,
}
AGENT_FIELDS = {"extension": str}


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    settings = appliance.settings

    def queues() -> QueueService:
        return QueueService(settings, access.current().principal)

    def actor() -> str:
        return access.current().principal.name

    @app.get(f"{PREFIX}/queues")
    @api_route
    def list_queues() -> str:
        return _json_response([q.to_dict() for q in queues().list()])

    @app.get(f"{PREFIX}/queues/<number>")
    @api_route
    def get_queue(number: str) -> str:
        info = queues().show(number)
        return _json_response(tagged(info.to_dict(), form_versions.queue_version(info)))

    @app.put(f"{PREFIX}/queues/<number>")
    @api_route
    def put_queue(number: str) -> str:
        body = json_object(QUEUE_FIELDS)
        fields = {k: v for k, v in body.items() if v is not None}
        unchanged_since_read(
            "queue", number, lambda: form_versions.queue_version(queues().show(number))
        )
        saved = queues().save(number, **fields)
        log.info("queue %s: saved by %s", number, actor())
        answer = _saved_response(saved)
        tagged(saved.info.to_dict(), form_versions.queue_version(saved.info))
        return answer

    @app.delete(f"{PREFIX}/queues/<number>")
    @api_route
    def delete_queue(number: str) -> str:
        unchanged_since_read(
            "queue", number, lambda: form_versions.queue_version(queues().show(number))
        )
        queues().remove(number)
        log.info("queue %s: removed by %s", number, actor())
        bottle.response.status = 204
        return ""

    @app.get(f"{PREFIX}/queues/<number>/status")
    @api_route
    def queue_status(number: str) -> str:
        return _json_response(queues().status(number).to_dict())

    @app.post(f"{PREFIX}/queues/<number>/logins")
    @api_route
    def log_in(number: str) -> str:
        body = json_object(AGENT_FIELDS)
        queues().log_in(number, body.get("extension") or "")
        info = queues().show(number)
        return _json_response(tagged(info.to_dict(), form_versions.queue_version(info)))

    @app.delete(f"{PREFIX}/queues/<number>/logins/<extension>")
    @api_route
    def log_out(number: str, extension: str) -> str:
        queues().log_out(number, extension)
        bottle.response.status = 204
        return ""
