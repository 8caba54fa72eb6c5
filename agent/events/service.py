"""The event center as people use it: events, notifications, webhooks.

The pages (``webadmin/pages_events.py``), the REST API
(``/api/v1/events``, ``/api/v1/webhooks``) and the CLI (``edgepbx event``,
``edgepbx webhook``) all call these services; the role is checked here.
Changes are audited; a webhook's secret never leaves the service except
once, in the answer to the request that made it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import re
import secrets
import time
import urllib.parse
from dataclasses import dataclass

import idna

from agent import audit, local_time, numbering
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.devicekey import DeviceKey
from agent.errors import InvalidInput, NotFound, PbxError, holds_credentials
from agent.events import delivery
from agent.events.catalogue import WEBHOOK_TYPES, Severity
from agent.events.record import EventRow, WebhookRow
from agent.events.settings import (
    EventOptions,
    Notification,
    check_type,
    load_notifications,
    save_notification,
)

log = logging.getLogger("edgepbx.events")

SEAL_PURPOSE = "webhook secret"
PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 500
URL_MAX = 2048
# 32 random bytes as URL-safe text: as strong as the HMAC-SHA256 key needs.
GENERATED_SECRET_BYTES = 32
SECRET_MIN = 16
SECRET_MAX = 256
WEBHOOKS_MAX = 20


class WebhookNotDelivered(PbxError):
    """A test-send that the receiver did not take."""

    kind = "webhook-not-delivered"


def _whole(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        raise InvalidInput(field, value, f"a whole number from {low} to {high}")
    return value


class EventService:
    """Listing events, and who is told about each type."""

    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    def list(
        self,
        type: str | None = None,
        severity: str | None = None,
        since: str | None = None,
        until: str | None = None,
        page: int | str = 1,
        per_page: int | str = PER_PAGE_DEFAULT,
    ) -> dict:
        """Events, newest first, filtered; one page of them and the total."""
        self.actor.require(Permission.VIEW_EVENTS)
        query = EventRow.select()
        if type:
            query = query.where(EventRow.type == check_type(type))
        if severity:
            if severity not in {s.value for s in Severity}:
                names = ", ".join(s.value for s in Severity)
                raise InvalidInput("severity", severity, f"one of {names}")
            query = query.where(EventRow.severity == severity)
        start, end = local_time.day_span(since, until)
        if start is not None:
            query = query.where(EventRow.at >= start)
        if end is not None:
            query = query.where(EventRow.at < end)
        page = _whole("page", page, 1, 10**6)
        per_page = _whole("per_page", per_page, 1, PER_PAGE_MAX)
        total = query.count()
        rows = query.order_by(EventRow.at.desc(), EventRow.id.desc()).paginate(
            page, per_page
        )
        return {
            "items": [row.to_dict() for row in rows],
            "total": total,
            "page": page,
            "per_page": per_page,
        }

    def notifications(self) -> list[dict]:
        self.actor.require(Permission.VIEW_EVENTS)
        return [n.to_dict() for n in load_notifications().values()]

    def set_notification(self, type: str, **changes: object) -> dict:
        """Change how one event type is announced; checked whole first."""
        self.actor.require(Permission.MANAGE_EVENTS)
        check_type(type)
        before = load_notifications()[type]
        after = before.changed(changes)
        with database.atomic():
            save_notification(after)
            audit.record(
                self.actor,
                "change",
                "event notification",
                type,
                before=_plain(before),
                after=_plain(after),
            )
        return after.to_dict()

    def options(self) -> dict:
        self.actor.require(Permission.VIEW_EVENTS)
        return EventOptions.load().to_dict()

    def change_options(self, **changes: object) -> dict:
        self.actor.require(Permission.MANAGE_EVENTS)
        before = EventOptions.load()
        after = before.changed(changes)
        added = set(after.emergency_numbers) - set(before.emergency_numbers)
        with database.atomic():
            # In the write transaction: a number given meanwhile waits for it.
            numbering.refuse_internal_emergency(
                tuple(n for n in after.emergency_numbers if n in added)
            )
            after.save()
            audit.record(
                self.actor,
                "change",
                "event options",
                "events",
                before=before.to_dict(),
                after=after.to_dict(),
            )
        return after.to_dict()


def _plain(notification: Notification) -> dict:
    return {
        "email": notification.email,
        "recipients": list(notification.recipients),
        "webhook": notification.webhook,
    }


def check_url(value: object) -> str:
    rule = "an http:// or https:// address with a host"
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("url", value, rule)
    text = value.strip()
    if holds_credentials(text):
        # The address is shown in lists and logs; the secret signs instead.
        raise InvalidInput("url", None, "no user name or password in the address")
    if len(text) > URL_MAX or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise InvalidInput("url", text, f"{rule}, at most {URL_MAX} characters")
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError:
        raise InvalidInput("url", text, rule) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput("url", text, rule)
    if parts.username or parts.password:
        # The address is shown in lists and logs; the secret signs instead.
        raise InvalidInput("url", None, "no user name or password in the address")
    host = _host(parts.hostname, text, rule)
    if not text.isascii():
        text = _ascii_url(parts, host)
        if len(text) > URL_MAX:
            raise InvalidInput(
                "url", text, f"{rule}, at most {URL_MAX} characters as sent"
            )
    return text


_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


def _host(host: str, text: str, rule: str) -> str:
    """The host as DNS knows it: an address, or a name whose labels are at
    most 63 letters, digits and inner hyphens; an international name in
    its ASCII (xn--) form by today's rules (IDNA 2008, as browsers use)."""
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        return host
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            raise InvalidInput(
                "url", text, f"{rule}; the host is not a valid international name"
            ) from None
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidInput(
            "url", text, f"{rule}; the host is not a valid name (labels of 1 to 63)"
        )
    return host


#: What stays as it is in a path or query when the rest is percent-encoded.
_URL_SAFE = "/%:@!$&'()*+,;=-._~?"


def _ascii_url(parts: urllib.parse.SplitResult, host: str) -> str:
    """The address as HTTP sends it: the host in ASCII, other letters of the
    path and query percent-encoded as UTF-8."""
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urllib.parse.urlunsplit(
        (
            parts.scheme,
            netloc,
            urllib.parse.quote(parts.path, safe=_URL_SAFE),
            urllib.parse.quote(parts.query, safe=_URL_SAFE),
            urllib.parse.quote(parts.fragment, safe=_URL_SAFE),
        )
    )


def check_webhook_types(value: object) -> list[str]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    rule = "one or more of " + ", ".join(WEBHOOK_TYPES)
    if not isinstance(value, list | tuple) or not value:
        raise InvalidInput("types", None, rule)
    for item in value:
        if item not in WEBHOOK_TYPES:
            raise InvalidInput("types", item, rule)
    return list(dict.fromkeys(value))


def _secret(value: object) -> str:
    if value is None or value == "":
        return secrets.token_urlsafe(GENERATED_SECRET_BYTES)
    if (
        not isinstance(value, str)
        or not SECRET_MIN <= len(value) <= SECRET_MAX
        or any(not ch.isprintable() or ch.isspace() for ch in value)
    ):
        # Never quote the value back: it is a secret.
        raise InvalidInput(
            "secret", None, f"{SECRET_MIN} to {SECRET_MAX} printable characters"
        )
    return value


@dataclass(frozen=True)
class WebhookInfo:
    id: int
    url: str
    types: list[str]
    created_at: str

    @classmethod
    def of(cls, row: WebhookRow) -> WebhookInfo:
        created = row.created_at
        when = (
            created.isoformat() + "Z" if hasattr(created, "isoformat") else str(created)
        )
        return cls(row.id, row.url, row.type_names, when)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "url": self.url,
            "types": self.types,
            "created_at": self.created_at,
        }


class WebhookService:
    """Outgoing webhooks: add, list, test-send, remove."""

    def __init__(self, key: DeviceKey, actor: Principal) -> None:
        self.key = key
        self.actor = actor

    def list(self) -> list[WebhookInfo]:
        self.actor.require(Permission.VIEW_EVENTS)
        return [WebhookInfo.of(r) for r in WebhookRow.select().order_by(WebhookRow.id)]

    def add(
        self, url: object, types: object, secret: object = None
    ) -> tuple[WebhookInfo, str]:
        """Add a webhook; return it and its secret, shown this once only."""
        self.actor.require(Permission.MANAGE_EVENTS)
        checked_url = check_url(url)
        checked_types = check_webhook_types(types)
        plain = _secret(secret)
        if WebhookRow.select().count() >= WEBHOOKS_MAX:
            raise InvalidInput("url", None, f"at most {WEBHOOKS_MAX} webhooks")
        with database.atomic():
            row = WebhookRow.create(
                url=checked_url,
                secret=self.key.seal(plain, SEAL_PURPOSE),
                types=json.dumps(checked_types),
            )
            audit.record(
                self.actor,
                "add",
                "webhook",
                str(row.id),
                None,
                {"url": checked_url, "types": checked_types},
            )
        log.info("webhook %d: added for %s", row.id, _host_of(checked_url))
        return WebhookInfo.of(row), plain

    def remove(self, webhook_id: object) -> None:
        self.actor.require(Permission.MANAGE_EVENTS)
        row = self._find(webhook_id)
        with database.atomic():
            row.delete_instance()
            audit.record(
                self.actor, "remove", "webhook", str(row.id), {"url": row.url}, None
            )
        log.info("webhook %d: removed", row.id)

    def test(self, webhook_id: object) -> dict:
        """Send a test event now and say what the receiver answered."""
        self.actor.require(Permission.MANAGE_EVENTS)
        row = self._find(webhook_id)
        payload = {
            "type": "test",
            "at": time.time(),
            "severity": "info",
            "object": f"webhook {row.id}",
            "summary": "test event from the event center",
            "details": {},
        }
        try:
            status = delivery.post_webhook(
                row.url, self.key.open(row.secret, SEAL_PURPOSE), "test", payload
            )
        except delivery.DeliveryFailed as exc:
            raise WebhookNotDelivered(
                f"webhook {row.id}: the receiver {exc}", field="url"
            ) from None
        return {"id": row.id, "delivered": True, "status": status}

    def _find(self, webhook_id: object) -> WebhookRow:
        try:
            number = int(str(webhook_id))
        except ValueError:
            raise InvalidInput("id", webhook_id, "a webhook number") from None
        row = WebhookRow.get_or_none(WebhookRow.id == number)
        if row is None:
            raise NotFound(f"no webhook {number}", field="id")
        return row


def _host_of(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or "?"
