"""Recording an event: one function for every part of the appliance.

``raise_event`` writes the event's row to the database from whichever
process noticed it (the agent, a web worker, the CLI). The agent's
dispatcher (``agent.events.dispatcher``) picks up new rows and sends the
notifications, so an event raised while the agent is down still goes out
when it starts. Processes that report through datagrams (Kamailio's routing,
the web admin's failed sign-ins) reach the agent as security or call events
already; the agent raises the event for them.
"""

from __future__ import annotations

import json
import logging
import time

import peewee

from agent.db.models import BaseModel, utcnow
from agent.events.catalogue import TYPES

log = logging.getLogger("edgepbx.events")

OBJECT_MAX = 128
SUMMARY_MAX = 300
# Details are a few fields; a runaway value is cut, not stored whole.
DETAILS_MAX = 4000


class EventRow(BaseModel):
    """One event as it happened (migration 14)."""

    at = peewee.FloatField()
    type = peewee.CharField(max_length=48)
    severity = peewee.CharField(max_length=8)
    object = peewee.CharField(max_length=128, default="")
    summary = peewee.CharField(max_length=300)
    details = peewee.TextField(default="{}")

    class Meta:
        table_name = "event"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "at": self.at,
            "type": self.type,
            "severity": self.severity,
            "object": self.object,
            "summary": self.summary,
            "details": json.loads(self.details or "{}"),
        }


class WebhookRow(BaseModel):
    """An outgoing webhook; ``secret`` is sealed with the device key."""

    url = peewee.CharField(max_length=2048)
    secret = peewee.TextField()
    types = peewee.TextField()
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "webhook"

    @property
    def type_names(self) -> list[str]:
        return json.loads(self.types or "[]")


def _one_line(text: str, limit: int) -> str:
    clean = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return clean[:limit]


def raise_event(
    type: str,
    summary: str,
    object: str = "",
    details: dict | None = None,
    at: float | None = None,
) -> int | None:
    """Record one event; return its id, or None if it could not be stored.

    Never raises: whatever noticed the event (a ban, a failed sign-in, a
    crashed daemon) must go on even when the database is busy or gone.
    """
    kind = TYPES.get(type)
    if kind is None:
        raise ValueError(f"unknown event type {type!r}")
    text = json.dumps(details or {}, default=str)
    if len(text) > DETAILS_MAX:
        text = json.dumps({"truncated": text[:DETAILS_MAX]})
    try:
        row = EventRow.create(
            at=time.time() if at is None else at,
            type=type,
            severity=kind.severity.value,
            object=_one_line(object, OBJECT_MAX),
            summary=_one_line(summary, SUMMARY_MAX),
            details=text,
        )
    except Exception as exc:  # the cause must not fail because of its event
        log.warning("event %s not recorded: %s", type, exc)
        return None
    return row.id
