"""Call reports e-mailed on a schedule: daily, weekly or monthly.

A daily report covers yesterday and goes out every day at its hour; a
weekly one covers last week (Monday to Sunday) and goes out on Mondays; a
monthly one covers last month and goes out on the 1st. Hours are in the
system time zone. The agent's ``ReportMailer`` sends what is due from a
thread of its own, so a slow or dead SMTP server holds up nothing else: a
failed send is tried again after RETRY_FIRST_S, doubling each time up to
RETRY_MAX_S, and after MAX_FAILURES tries that period's report is given up
(the failure stays on the schedule for the page and ``report schedule
list`` to show) and the next period is waited for.

A schedule keeps the extension ranges of the role that made it, so a
report made by someone who sees extensions 100-199 only ever holds those.
Schedules are changed with ``Permission.MANAGE_REPORTS`` and listed with
``Permission.VIEW_REPORTS``; every change is audited.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import zoneinfo
from dataclasses import dataclass
from email.message import EmailMessage

import peewee

from agent import audit, setup
from agent.accounts.roles import SYSTEM, NumberRanges, Permission, Principal
from agent.db import database
from agent.db.models import BaseModel, utcnow
from agent.devicekey import DeviceKey
from agent.errors import AlreadyExists, InvalidInput, NotFound
from agent.extensions import rules
from agent.mail import Mailer, MailNotSent, templates
from agent.reports import files
from agent.reports.figures import (
    GROUPINGS,
    CallReport,
    ReportService,
    groupings,
    period,
)

log = logging.getLogger("edgepbx.reports")

FREQUENCIES = {"daily": "yesterday", "weekly": "last_week", "monthly": "last_month"}
ATTACHMENTS = ("csv", "pdf")
NAME_MAX = 64
# A report for a whole team still fits one message; a longer list is a
# mailing list's job.
RECIPIENTS_MAX = 20
# Retries of a failed send: 1 min, 2, 4 ... up to an hour, six tries in all
# (about an hour), so a mail server restarted within the hour still gets the
# report, and a dead one is not knocked on all day.
RETRY_FIRST_S = 60.0
RETRY_MAX_S = 3600.0
MAX_FAILURES = 6
# How often the agent looks for due reports: a report is sent within this
# long after its hour.
CHECK_INTERVAL_S = 30.0


class ReportScheduleRow(BaseModel):
    """A scheduled report (migration 15)."""

    name = peewee.CharField(unique=True, max_length=NAME_MAX)
    frequency = peewee.CharField(max_length=8)
    hour = peewee.IntegerField()
    recipients = peewee.TextField()
    attachments = peewee.TextField()
    groupings = peewee.TextField()
    extension_ranges = peewee.CharField(max_length=256, null=True)
    created_by = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField(default=utcnow)
    next_run_at = peewee.FloatField()
    failures = peewee.IntegerField(default=0)
    retry_at = peewee.FloatField(null=True)
    last_sent_at = peewee.FloatField(null=True)
    last_error = peewee.TextField(default="")

    class Meta:
        table_name = "report_schedule"


@dataclass(frozen=True)
class Schedule:
    id: int
    name: str
    frequency: str
    hour: int
    recipients: list[str]
    attachments: list[str]
    groupings: list[str]
    extensions: str | None
    next_run: str
    last_sent: str | None
    failures: int
    last_error: str

    @classmethod
    def of(cls, row: ReportScheduleRow) -> Schedule:
        return cls(
            id=row.id,
            name=row.name,
            frequency=row.frequency,
            hour=row.hour,
            recipients=json.loads(row.recipients),
            attachments=json.loads(row.attachments),
            groupings=json.loads(row.groupings),
            extensions=row.extension_ranges,
            next_run=_local(row.next_run_at),
            last_sent=_local(row.last_sent_at) if row.last_sent_at else None,
            failures=row.failures,
            last_error=row.last_error,
        )

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def _local(seconds: float) -> str:
    zone = zoneinfo.ZoneInfo(setup.timezone())
    return dt.datetime.fromtimestamp(seconds, zone).isoformat(timespec="minutes")


def next_run(frequency: str, hour: int, after: float, timezone: str) -> float:
    """The first time after ``after`` that a schedule of this kind is due."""
    zone = zoneinfo.ZoneInfo(timezone)
    day = dt.datetime.fromtimestamp(after, zone).date()
    while True:
        due = dt.datetime.combine(day, dt.time(hour), zone).timestamp()
        if due > after and _is_sending_day(frequency, day):
            return due
        day += dt.timedelta(days=1)


def previous_run(frequency: str, hour: int, before: float, timezone: str) -> float:
    """The last time before ``before`` that a schedule of this kind was due."""
    zone = zoneinfo.ZoneInfo(timezone)
    day = dt.datetime.fromtimestamp(before, zone).date()
    while True:
        due = dt.datetime.combine(day, dt.time(hour), zone).timestamp()
        if due < before and _is_sending_day(frequency, day):
            return due
        day -= dt.timedelta(days=1)


def _is_sending_day(frequency: str, day: dt.date) -> bool:
    if frequency == "weekly":
        return day.weekday() == 0
    if frequency == "monthly":
        return day.day == 1
    return True


# -- checking input ---------------------------------------------------------------


def _name(value: object) -> str:
    text = str(value or "").strip() if isinstance(value, str | None) else None
    if not text or len(text) > NAME_MAX or any(ch in text for ch in "/\r\n\0"):
        raise InvalidInput(
            "name", value, f"one line of 1 to {NAME_MAX} characters, without /"
        )
    return text


def _frequency(value: object) -> str:
    if value not in FREQUENCIES:
        raise InvalidInput("frequency", value, "one of " + ", ".join(FREQUENCIES))
    return str(value)


def _hour(value: object) -> int:
    if isinstance(value, bool):
        raise InvalidInput("hour", value, "a whole hour from 0 to 23")
    try:
        hour = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput("hour", value, "a whole hour from 0 to 23") from None
    if not 0 <= hour <= 23 or str(value).strip() not in {str(hour), f"{hour:02d}"}:
        raise InvalidInput("hour", value, "a whole hour from 0 to 23")
    return hour


def _recipients(value: object) -> list[str]:
    items = value.replace(";", ",").split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise InvalidInput("recipients", value, "e-mail addresses")
    addresses: list[str] = []
    for item in items:
        text = str(item).strip() if isinstance(item, str) else None
        if text == "":
            continue
        try:
            address = rules.email(text)
        except InvalidInput:
            address = None
        if not address:
            raise InvalidInput("recipients", item, "not an e-mail address")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise InvalidInput("recipients", None, "at least one e-mail address")
    if len(addresses) > RECIPIENTS_MAX:
        raise InvalidInput("recipients", None, f"at most {RECIPIENTS_MAX} addresses")
    return addresses


def _attachments(value: object) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise InvalidInput("attachments", value, "csv, pdf or both")
    chosen = []
    for item in items:
        text = str(item).strip().lower()
        if text not in ATTACHMENTS:
            raise InvalidInput("attachments", item, "csv, pdf or both")
        if text not in chosen:
            chosen.append(text)
    if not chosen:
        raise InvalidInput("attachments", None, "csv, pdf or both")
    return [a for a in ATTACHMENTS if a in chosen]


# -- the service ---------------------------------------------------------------------


class ScheduleService:
    """Scheduled reports as one principal may see and change them."""

    def __init__(self, key: DeviceKey, actor: Principal) -> None:
        self.key = key
        self.actor = actor

    def list(self) -> list[Schedule]:
        self.actor.require(Permission.VIEW_REPORTS)
        rows = ReportScheduleRow.select().order_by(ReportScheduleRow.name)
        return [Schedule.of(r) for r in rows if self._sees(r)]

    def get(self, name: str) -> Schedule:
        self.actor.require(Permission.VIEW_REPORTS)
        return Schedule.of(self._row(name))

    def add(
        self,
        name: object,
        frequency: object,
        hour: object,
        recipients: object,
        attachments: object = ("csv", "pdf"),
        groups: object = None,
    ) -> Schedule:
        """Check every value, then store the schedule; nothing on a refusal."""
        self.actor.require(Permission.MANAGE_REPORTS)
        values = {
            "name": _name(name),
            "frequency": _frequency(frequency),
            "hour": _hour(hour),
            "recipients": _recipients(recipients),
            "attachments": _attachments(attachments),
            "groupings": list(groupings(groups)),
        }
        ranges = str(self.actor.extensions) if self.actor.extensions else None
        due = next_run(
            values["frequency"], values["hour"], time.time(), setup.timezone()
        )
        with database.atomic():
            if ReportScheduleRow.get_or_none(ReportScheduleRow.name == values["name"]):
                raise AlreadyExists(
                    f"name {values['name']!r}: a scheduled report has this name",
                    field="name",
                )
            row = ReportScheduleRow.create(
                name=values["name"],
                frequency=values["frequency"],
                hour=values["hour"],
                recipients=json.dumps(values["recipients"]),
                attachments=json.dumps(values["attachments"]),
                groupings=json.dumps(values["groupings"]),
                extension_ranges=ranges,
                created_by=self.actor.name,
                next_run_at=due,
            )
            audit.record(self.actor, "add", "scheduled report", row.name, after=values)
        log.info(
            "reports: %s report %r scheduled by %s",
            row.frequency,
            row.name,
            self.actor.name,
        )
        return Schedule.of(row)

    def remove(self, name: str) -> None:
        self.actor.require(Permission.MANAGE_REPORTS)
        with database.atomic():
            row = self._row(name)
            before = Schedule.of(row).to_dict()
            row.delete_instance()
            audit.record(
                self.actor, "remove", "scheduled report", row.name, before=before
            )

    def send_now(self, name: str) -> Schedule:
        """Send the schedule's report for its latest full period now.

        Raises:
            MailNotSent: the SMTP server is not set or refused it; the
                schedule's own timing is left as it was.
        """
        self.actor.require(Permission.MANAGE_REPORTS)
        row = self._row(name)
        send(self.key, row)
        row.last_sent_at = time.time()
        row.save()
        audit.record(self.actor, "send", "scheduled report", row.name)
        return Schedule.of(row)

    def _row(self, name: str) -> ReportScheduleRow:
        row = ReportScheduleRow.get_or_none(ReportScheduleRow.name == str(name))
        if row is None or not self._sees(row):
            raise NotFound(
                f"no scheduled report {str(name)[:NAME_MAX]!r}", field="name"
            )
        return row

    def _sees(self, row: ReportScheduleRow) -> bool:
        """A role narrowed to ranges sees the schedules made with the same ranges."""
        mine = self.actor.extensions
        return mine is None or row.extension_ranges == str(mine)


# -- sending ---------------------------------------------------------------------


def report_of(row: ReportScheduleRow, today: dt.date | None = None) -> CallReport:
    """The report a schedule sends: its last full period, its ranges."""
    ranges = NumberRanges.parse(row.extension_ranges) if row.extension_ranges else None
    actor = Principal(f"report {row.name}", SYSTEM.role, extensions=ranges)
    span = period(FREQUENCIES[row.frequency], today=today)
    return ReportService(actor).report(
        span, tuple(json.loads(row.groupings)) or GROUPINGS
    )


def message_of(row: ReportScheduleRow, report: CallReport) -> EmailMessage:
    t = report.totals
    message = EmailMessage()
    message["To"] = ", ".join(json.loads(row.recipients))
    subject, body = templates.render(
        "report",
        {
            "name": row.name,
            "period": report.period.title(),
            "timezone": report.period.timezone,
            "calls": t.calls,
            "answered": t.answered,
            "missed": t.missed,
            "no_answer": t.no_answer,
            "busy": t.busy,
            "failed": t.failed,
            "voicemail": t.voicemail,
            "talk_time": files.duration(t.talk_s),
            "average_talk_time": files.duration(t.average_talk_s),
        },
    )
    message["Subject"] = subject
    message.set_content(body)
    stem = f"calls-{report.period.first.isoformat()}-{report.period.last.isoformat()}"
    attachments = json.loads(row.attachments)
    if "csv" in attachments:
        message.add_attachment(
            files.csv_text(report).encode(),
            maintype="text",
            subtype="csv",
            filename=f"{stem}.csv",
        )
    if "pdf" in attachments:
        message.add_attachment(
            files.pdf_bytes(report, f"Call report: {row.name}"),
            maintype="application",
            subtype="pdf",
            filename=f"{stem}.pdf",
        )
    return message


def send(key: DeviceKey, row: ReportScheduleRow, today: dt.date | None = None) -> None:
    Mailer(key).send(message_of(row, report_of(row, today)))


def _due_day(row: ReportScheduleRow, now: float, timezone: str) -> dt.date:
    """The local day of the moment the row's report fell due: a retry sends
    the period of the try that failed, even after midnight."""
    due_at = row.next_run_at
    if due_at > now:  # a retry: next_run_at has moved on to the next period
        due_at = previous_run(row.frequency, row.hour, due_at, timezone)
    return dt.datetime.fromtimestamp(due_at, zoneinfo.ZoneInfo(timezone)).date()


def retry_delay(failures: int) -> float:
    """Seconds before the next try after ``failures`` failed ones (1, 2, 4 ...)."""
    return min(RETRY_FIRST_S * 2 ** max(failures - 1, 0), RETRY_MAX_S)


def send_due(key: DeviceKey, now: float | None = None) -> int:
    """Send every report that is due (or due again after a failure).

    Returns how many were sent. A failure is kept on the schedule and
    tried again later; one schedule's failure does not hold up the others.
    """
    now = time.time() if now is None else now
    sent = 0
    due = ReportScheduleRow.select().where(
        (ReportScheduleRow.next_run_at <= now)
        | (
            ReportScheduleRow.retry_at.is_null(False)
            & (ReportScheduleRow.retry_at <= now)
        )
    )
    timezone = setup.timezone()
    for row in list(due):
        try:
            send(key, row, _due_day(row, now, timezone))
        except MailNotSent as exc:
            _failed(row, str(exc), now)
            continue
        except Exception as exc:  # one report's fault must not stop the others
            log.exception("reports: %r not made", row.name)
            _failed(row, exc.__class__.__name__, now)
            continue
        row.failures = 0
        row.retry_at = None
        row.last_error = ""
        row.last_sent_at = now
        row.next_run_at = next_run(row.frequency, row.hour, now, setup.timezone())
        row.save()
        sent += 1
    return sent


def _failed(row: ReportScheduleRow, reason: str, now: float) -> None:
    row.failures += 1
    row.last_error = reason[:500]
    if row.failures >= MAX_FAILURES:
        log.error(
            "reports: %r not sent after %d tries, given up until its next period: %s",
            row.name,
            row.failures,
            reason,
        )
        row.failures = 0
        row.retry_at = None
        row.next_run_at = next_run(row.frequency, row.hour, now, setup.timezone())
    else:
        delay = retry_delay(row.failures)
        log.warning(
            "reports: %r not sent, next try in %.0f s: %s", row.name, delay, reason
        )
        row.retry_at = now + delay
        # Until it is sent or given up, only the retry makes it due.
        row.next_run_at = next_run(row.frequency, row.hour, now, setup.timezone())
    row.save()


class ReportMailer:
    """The agent's sender of scheduled reports, run from its main loop."""

    def __init__(self, key: DeviceKey) -> None:
        self.key = key
        self._next_check = 0.0
        self._sending: threading.Thread | None = None

    def tick(self) -> None:
        now = time.monotonic()
        if now < self._next_check or (self._sending and self._sending.is_alive()):
            return
        self._next_check = now + CHECK_INTERVAL_S
        self._sending = threading.Thread(
            target=self._send, name="report-mail", daemon=True
        )
        self._sending.start()

    def _send(self) -> None:
        try:
            # Each run is a new thread: its connection is closed with it, or
            # every run would leave one open.
            with database.connection_context():
                send_due(self.key)
        except Exception:  # the sender must never stop the agent
            log.exception("reports: scheduled reports not checked")
