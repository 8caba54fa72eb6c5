"""The agent's side of the event center: who is told, and when.

Each tick the dispatcher reads the events recorded since the last one (by
any process, see ``agent.events.record``) and hands their notifications to
the outbox (``agent.events.delivery``):

- e-mail, per type, with a storm held to two mails: the first event of a
  type is mailed at once and opens a window (``mail_window_s``); the events
  of that type within the window are summed up in one mail when it closes
  ("12 more IP banned events in 10 minutes");
- webhooks, every event to every webhook that asked for its type, signed.

It also turns the call events of Kamailio's routing into call webhooks and
emergency-call events, removes events older than the retention, and runs
the resource sampler.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field

from agent import system_settings
from agent.devicekey import DeviceKey
from agent.events import catalogue, delivery
from agent.events.catalogue import CALL_TYPES, NOT_BY_MAIL, TYPES
from agent.events.record import EventRow, WebhookRow, raise_event
from agent.events.sampler import Sampler
from agent.events.service import SEAL_PURPOSE
from agent.events.settings import EventOptions, load_notifications
from agent.mail import templates
from agent.mail.service import Mailer
from agent.wording import counted

log = logging.getLogger("edgepbx.events")

#: Where the dispatcher keeps the id of the last event it handled, so the
#: events raised while the agent was down are sent when it starts.
CURSOR_KEY = "events.cursor"
# New events are looked for this often; a notice within a second is prompt.
POLL_INTERVAL_S = 1.0
# Old events are removed once an hour; nobody needs it to the minute.
RETENTION_INTERVAL_S = 3600.0
MAIL_LINE = "mail"
# At most this many events are read per tick, so a backlog cannot stall it.
BATCH_MAX = 500
#: What a call webhook says of a call, as its call record names it.
CALL_FIELDS = ("direction", "src", "dst", "did", "trunk")


def _line_of(hook: WebhookRow) -> str:
    """The outbox line of one webhook, never the same for two webhooks.

    SQLite gives a removed webhook's number to the next one added, so the
    number alone would hand what was queued for the old one to the new one.
    The sealed secret is random for every webhook and never changes: a
    digest of it tells two webhooks of the same number apart.
    """
    mark = hashlib.sha256(hook.secret.encode()).hexdigest()[:12]
    return f"webhook {hook.id} {mark}"


def _call_record(event: dict):
    from agent.trunks.models import CallRecord

    return CallRecord.get_or_none(CallRecord.call_id == str(event.get("call_id") or ""))


def _call_details(event: dict, record) -> dict:
    """What a call webhook tells of its call.

    Only a call's ``started`` event names its ends; ``answered`` and
    ``ended`` carry the call id (and the final SIP code). The call record,
    saved before the observers hear the event, holds the rest.
    """
    if record is None:
        known = {k: event[k] for k in CALL_FIELDS if k in event}
    else:
        known = {k: getattr(record, k) for k in CALL_FIELDS}
    details = {**known, "caller": known.get("src", ""), "callee": known.get("dst", "")}
    if record is not None and record.caller_name:
        details["caller_name"] = record.caller_name
    if record is not None and record.queue:
        # A queue call: the queue, and the agent who took it once one has.
        details["queue"] = record.queue
        details["agent"] = record.agent
    if "code" in event:
        details["code"] = event["code"]
    if record is not None and record.ended_at is not None:
        answered = record.answered_at
        details["duration"] = round(record.ended_at - record.started_at)
        details["billsec"] = round(record.ended_at - answered) if answered else 0
    return details


@dataclass
class _Window:
    """A type's open mail window: when it opened, and what it held back.

    It closes ``mail_window_s`` after it opened, as that option is now: a
    window shortened while open closes at the new length.
    """

    opened: float
    recipients: tuple[str, ...]
    held: int = 0
    opened_at: float = field(default_factory=time.time)


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return counted(minutes, "minute")


def _when(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class EventDispatcher:
    def __init__(self, key: DeviceKey, data_dir=None) -> None:
        self.key = key
        # A failing SMTP server raises its own event (agent.mail.service).
        self.outbox = delivery.Outbox()
        self.sampler = Sampler(data_dir) if data_dir is not None else None
        self._windows: dict[str, _Window] = {}
        self._cursor = 0
        self._next_poll = 0.0
        self._next_retention = 0.0
        self._lock = threading.Lock()

    # -- life cycle ---------------------------------------------------------

    def start(self) -> None:
        stored = system_settings.get(CURSOR_KEY)
        if stored is None:
            # First start: the past is recorded, not announced.
            stored = EventRow.select(EventRow.id).order_by(EventRow.id.desc()).scalar()
        self._cursor = int(stored or 0)
        self.outbox.start()

    def stop(self) -> None:
        self.outbox.stop()

    def tick(self) -> None:
        """Called by the agent's loop; never raises."""
        now = time.monotonic()
        try:
            if now >= self._next_poll:
                self._next_poll = now + POLL_INTERVAL_S
                self.drop_removed_webhooks()
                self.dispatch_new()
                self.close_windows(EventOptions.load().mail_window_s)
                if self.sampler is not None:
                    self.sampler.tick(EventOptions.load())
            if now >= self._next_retention:
                self._next_retention = now + RETENTION_INTERVAL_S
                self.remove_old()
        except Exception:  # the event center must never stop the agent
            log.exception("events: dispatch failed")

    # -- events -------------------------------------------------------------

    def dispatch_new(self) -> int:
        rows = list(
            EventRow.select()
            .where(EventRow.id > self._cursor)
            .order_by(EventRow.id)
            .limit(BATCH_MAX)
        )
        if not rows:
            return 0
        notifications = load_notifications()
        options = EventOptions.load()
        webhooks = list(WebhookRow.select())
        # A window that has run out must not swallow the first of a new storm.
        self.close_windows(options.mail_window_s)
        for row in rows:
            notification = notifications.get(row.type)
            if notification is None:
                continue
            if notification.email and row.type not in NOT_BY_MAIL:
                self._mail(row, notification.recipients, options.mail_window_s)
            if notification.webhook:
                self._send_to_webhooks(webhooks, row.type, row.to_dict())
        self._cursor = rows[-1].id
        system_settings.put(CURSOR_KEY, self._cursor)
        return len(rows)

    def _mail(self, row: EventRow, recipients, window_s: int) -> None:
        with self._lock:
            window = self._windows.get(row.type)
            if window is not None:
                window.held += 1
                window.recipients = tuple(recipients)
                return
            window = _Window(time.monotonic(), tuple(recipients))
            self._windows[row.type] = window
        kind = TYPES[row.type]
        subject, text = templates.render(
            "event",
            {
                "summary": row.summary,
                "event": kind.label,
                "severity": kind.severity.value,
                "object": row.object or "-",
                "time": _when(row.at),
                "window": _minutes(window_s),
            },
        )
        self._queue_mail(list(recipients), subject, text)

    def close_windows(self, window_s: int) -> None:
        now = time.monotonic()
        with self._lock:
            closed = [
                (name, w)
                for name, w in self._windows.items()
                if now - w.opened >= window_s
            ]
            for name, _ in closed:
                del self._windows[name]
        for name, window in closed:
            if not window.held:
                continue
            kind = TYPES[name]
            span = _minutes(time.time() - window.opened_at)
            line = f"{counted(window.held, f'more {kind.label} event')} in {span}"
            subject, text = templates.render(
                "event-summary",
                {"count": line, "severity": kind.severity.value, "event": kind.label},
            )
            self._queue_mail(list(window.recipients), subject, text)

    def _queue_mail(self, to: list[str], subject: str, text: str) -> None:
        mailer = Mailer(self.key)
        self.outbox.put(MAIL_LINE, delivery.mail_delivery(mailer, to, subject, text))

    def _send_to_webhooks(self, webhooks, event_type: str, payload: dict) -> None:
        for hook in webhooks:
            if event_type not in hook.type_names:
                continue

            def send(line: str = _line_of(hook), hook_id: int = hook.id) -> None:
                # Read again at each try: a webhook removed since is not
                # sent, nor is one added since under the same number.
                current = WebhookRow.get_or_none(WebhookRow.id == hook_id)
                if current is None or _line_of(current) != line:
                    return
                secret = self.key.open(current.secret, SEAL_PURPOSE)
                delivery.post_webhook(current.url, secret, event_type, payload)

            self.outbox.put(
                _line_of(hook),
                delivery.Delivery(f"webhook {hook.id} {event_type}", send),
            )

    def drop_removed_webhooks(self) -> int:
        """Forget what waits for webhooks removed since (by any process)."""
        kept = {_line_of(hook) for hook in WebhookRow.select()}
        dropped = 0
        for line in self.outbox.line_names():
            if line.startswith("webhook ") and line not in kept:
                count = self.outbox.drop(line)
                if count:
                    number = line.split()[1]
                    log.info(
                        "events: webhook %s removed, %d waiting dropped",
                        number,
                        count,
                    )
                dropped += count
        return dropped

    # -- calls --------------------------------------------------------------

    def on_call_event(self, event: dict) -> None:
        """An observer of the call-event listener: call webhooks, emergencies."""
        kind = event.get("event")
        if kind == "started":
            self._check_emergency(event)
        names = {
            "started": [catalogue.CALL_RINGING],
            "answered": [catalogue.CALL_ANSWERED],
            "ended": [catalogue.CALL_ENDED],
        }.get(str(kind), [])
        if kind == "queue_left" and event.get("outcome") == "answered":
            names = [catalogue.CALL_ANSWERED]  # an agent took the queue call
        if not names:
            return
        webhooks = [
            h for h in WebhookRow.select() if set(CALL_TYPES) & set(h.type_names)
        ]
        if not webhooks:
            return
        record = _call_record(event)
        if kind == "answered" and record is not None and record.queue:
            return  # the media worker's answer: an agent has not answered yet
        if kind == "ended" and (record is None or record.answered_at is None):
            names.append(catalogue.CALL_MISSED)
        details = _call_details(event, record)
        for name in names:
            payload = {
                "type": name,
                "at": float(event.get("at") or time.time()),
                "call_id": str(event.get("call_id") or ""),
                "details": details,
            }
            self._send_to_webhooks(webhooks, name, payload)

    def _check_emergency(self, event: dict) -> None:
        dialled = str(event.get("dst") or "")
        if dialled not in EventOptions.load().emergency_numbers:
            return
        caller = str(event.get("src") or "?")
        raise_event(
            catalogue.EMERGENCY_CALL,
            f"{caller} dialled emergency number {dialled}",
            object=caller,
            details={"dialled": dialled, "call_id": event.get("call_id")},
        )

    # -- upkeep -------------------------------------------------------------

    def remove_old(self) -> int:
        days = EventOptions.load().retention_days
        cutoff = time.time() - days * 86400
        removed = EventRow.delete().where(EventRow.at < cutoff).execute()
        if removed:
            log.info("events: %d older than %d days removed", removed, days)
        return removed
