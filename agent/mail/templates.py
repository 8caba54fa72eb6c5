"""The wording of each kind of mail the appliance sends, editable.

Each kind (voicemail, a voicemail's transcript that could not be made,
portal sign-in details, event, event summary, call report, test message)
has a subject and a plain-text body with ``{name}`` placeholders, a default
that is the wording the appliance always used, and a list of the
placeholders it knows. A template is checked when it is saved:
an unknown placeholder, a format spec or conversion, or an unbalanced brace
is refused naming the field and the placeholder.

No placeholder carries a secret. The portal sign-in mail's one-time password
is not a placeholder: the appliance adds its sign-in lines below the body,
whatever the template says.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass
from email.message import EmailMessage

from agent import audit, system_settings
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.devicekey import DeviceKey
from agent.errors import InvalidInput, NotFound
from agent.mail.service import Mailer, recipient

log = logging.getLogger("edgepbx.mail")

SETTING_KEY = "mail.templates"
# A subject longer than this is folded by mail readers anyway (RFC 5322
# section 2.1.1 asks lines under 78 characters; 200 leaves room for values).
SUBJECT_MAX = 200
BODY_MAX = 8000


@dataclass(frozen=True)
class MailKind:
    """One kind of mail: its placeholders, default wording, sample values."""

    name: str
    label: str
    placeholders: dict[str, str]
    subject: str
    body: str
    sample: dict[str, str]


VOICEMAIL = MailKind(
    "voicemail",
    "A new voicemail, with the message attached",
    {
        "mailbox": "the mailbox's extension number",
        "extension": "the same number",
        "caller": "the caller's number",
        "caller_name": "the caller's name, empty when unknown",
        "caller_label": "name and number, or the number alone",
        "time": "when the message came, in the appliance's zone",
        "received_at": "the same time",
        "duration": "the length in seconds",
        "duration_s": "the same length",
        "reason": "busy or not answered",
        "transcript": "the message as text, when transcription is on (or a note "
        "that it was not ready when the mail went)",
    },
    "New voicemail from {caller_label} for {mailbox}",
    """\
You have a new voicemail in mailbox {mailbox}.

From:     {caller_label}
Received: {received_at}
Length:   {duration_s} s
Reason:   the line was {reason}
{transcript}
The message is attached as a WAV file. Dial *97 from your phone to listen
to it and manage your mailbox.
""",
    {
        "mailbox": "101",
        "extension": "101",
        "caller": "0301234567",
        "caller_name": "Ada Lovelace",
        "caller_label": "Ada Lovelace <0301234567>",
        "time": "2026-01-05 09:30 (Europe/Berlin)",
        "received_at": "2026-01-05 09:30 (Europe/Berlin)",
        "duration": "12",
        "duration_s": "12",
        "reason": "not answered",
        "transcript": "\nTranscript:\nHello, please call me back about the order.\n",
    },
)

# Sent after a voicemail mail that said its transcript was still being made,
# when the provider then gave none: that mail is not left promising a text.
VOICEMAIL_NO_TRANSCRIPT = MailKind(
    "voicemail-no-transcript",
    "A voicemail's transcript could not be made after its mail said it would come",
    {
        "mailbox": "the mailbox's extension number",
        "caller": "the caller's number",
        "caller_name": "the caller's name, empty when unknown",
        "caller_label": "name and number, or the number alone",
        "received_at": "when the message came, in the appliance's zone",
        "duration_s": "the length in seconds",
    },
    "No transcript of the voicemail from {caller_label} for {mailbox}",
    """\
The voicemail from {caller_label} in mailbox {mailbox}, received
{received_at} ({duration_s} s), could not be turned into text: no transcript
will follow. The message itself is kept: it is attached to the mail sent
before this one, and you can dial *97 from your phone to listen to it.
""",
    {
        "mailbox": "101",
        "caller": "0301234567",
        "caller_name": "Ada Lovelace",
        "caller_label": "Ada Lovelace <0301234567>",
        "received_at": "2026-01-05 09:30 (Europe/Berlin)",
        "duration_s": "12",
    },
)

PORTAL_SIGN_IN = MailKind(
    "portal-sign-in",
    "A new user's portal account (the sign-in lines are added below)",
    {
        "name": "the extension's display name",
        "extension": "the extension number",
        "email": "the extension's e-mail address",
    },
    "Your phone portal: extension {extension}",
    """\
Hello {name},

you can now manage your phone extension in your browser.
""",
    {"name": "Front desk", "extension": "101", "email": "desk@example.com"},
)

EVENT = MailKind(
    "event",
    "An event the event center mails",
    {
        "summary": "what happened, one line",
        "event": "the kind of event",
        "severity": "info, warning or critical",
        "object": "what it happened to, or -",
        "time": "when, in UTC",
        "window": "how long further events of the kind are summed up",
    },
    "edgepbx {severity}: {summary}",
    """\
{summary}

Event:    {event}
Severity: {severity}
Object:   {object}
When:     {time}

More {event} events in the next {window} are summed up in one mail.
""",
    {
        "summary": "trunk acme: registration failed",
        "event": "trunk down",
        "severity": "warning",
        "object": "acme",
        "time": "2026-01-05 09:30:00 UTC",
        "window": "5 minutes",
    },
)

EVENT_SUMMARY = MailKind(
    "event-summary",
    "The events of one kind held back in a window, counted",
    {
        "count": "how many more events, said in words",
        "severity": "info, warning or critical",
        "event": "the kind of event",
    },
    "edgepbx {severity}: {count}",
    """\
{count}.

See them in the event center (Events in the web admin, or edgepbx event list).
""",
    {
        "count": "3 more trunk down events in 5 minutes",
        "severity": "warning",
        "event": "trunk down",
    },
)

REPORT = MailKind(
    "report",
    "A scheduled call report (its files attached)",
    {
        "name": "the schedule's name",
        "period": "the period reported on",
        "timezone": "the report's time zone",
        "calls": "calls in the period",
        "answered": "answered calls",
        "missed": "missed calls",
        "no_answer": "calls not answered",
        "busy": "calls that met busy",
        "failed": "calls that failed",
        "voicemail": "calls a mailbox took",
        "talk_time": "total talk time",
        "average_talk_time": "average talk time",
    },
    "edgepbx: {name}, {period}",
    """\
Call report '{name}' for {period} ({timezone}).

Calls     {calls}
Answered  {answered}
Voicemail {voicemail}
Missed    {missed} ({no_answer} not answered, {busy} busy, {failed} failed)
Talk time {talk_time} (average {average_talk_time})
""",
    {
        "name": "weekly",
        "period": "Week 2, 2026",
        "timezone": "Europe/Berlin",
        "calls": "120",
        "answered": "100",
        "missed": "20",
        "no_answer": "15",
        "busy": "3",
        "failed": "2",
        "voicemail": "0",
        "talk_time": "5:12:30",
        "average_talk_time": "3:07",
    },
)

TEST = MailKind(
    "test",
    "The test message of the mail settings",
    {"sender": "the From address"},
    "edgepbx: test message",
    """\
This message was sent by your phone system to check its mail settings.
Voicemail and notifications will arrive the same way.
""",
    {"sender": "pbx@example.com"},
)

KINDS: dict[str, MailKind] = {
    k.name: k
    for k in (
        VOICEMAIL,
        VOICEMAIL_NO_TRANSCRIPT,
        PORTAL_SIGN_IN,
        EVENT,
        EVENT_SUMMARY,
        REPORT,
        TEST,
    )
}


@dataclass(frozen=True)
class MailTemplate:
    kind: str
    subject: str
    body: str
    customized: bool

    def to_dict(self) -> dict:
        spec = KINDS[self.kind]
        return {
            "kind": self.kind,
            "label": spec.label,
            "subject": self.subject,
            "body": self.body,
            "customized": self.customized,
            "placeholders": dict(spec.placeholders),
        }


def kind_of(name: object) -> MailKind:
    spec = KINDS.get(str(name))
    if spec is None:
        raise NotFound(f"kind {name!s}: one of {', '.join(KINDS)}", field="kind")
    return spec


def _braced(name: str) -> str:
    return "{" + name + "}"


def check(spec: MailKind, field: str, text: object, limit: int) -> str:
    """The template text if each placeholder is one the kind knows.

    Raises:
        InvalidInput: not text, too long, malformed, or an unknown placeholder.
    """
    if not isinstance(text, str):
        raise InvalidInput(field, None, "must be text")
    if not text.strip():
        raise InvalidInput(field, None, "must not be empty")
    if len(text) > limit:
        raise InvalidInput(field, None, f"at most {limit} characters")
    if "\0" in text or (field == "subject" and ("\r" in text or "\n" in text)):
        raise InvalidInput(field, None, "one line, no control characters")
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise InvalidInput(
            field, None, "malformed: a lone { or }; write {{ or }} for a brace"
        ) from None
    for _, name, spec_text, conversion in parts:
        if name is None:
            continue
        if name not in spec.placeholders:
            known = ", ".join(_braced(n) for n in spec.placeholders)
            raise InvalidInput(
                field, _braced(name), f"not a placeholder of {spec.name} mail: {known}"
            )
        if spec_text or conversion:
            raise InvalidInput(
                field, _braced(name), "a placeholder takes no format or conversion"
            )
    return text


def _stored() -> dict:
    stored = system_settings.get(SETTING_KEY) or {}
    return stored if isinstance(stored, dict) else {}


def current(kind: str) -> MailTemplate:
    """The template in force for a kind: the stored one, else the default."""
    spec = KINDS[kind]
    saved = _stored().get(kind) or {}
    subject = saved.get("subject", spec.subject)
    body = saved.get("body", spec.body)
    return MailTemplate(kind, subject, body, bool(saved))


def render(kind: str, values: dict[str, object]) -> tuple[str, str]:
    """(subject, body) of a mail of this kind, its placeholders filled.

    A stored template that no longer checks (written by older firmware, or
    by hand) falls back to the default rather than losing the mail.
    """
    spec = KINDS[kind]
    template = current(kind)
    filled = {name: str(values.get(name, "")) for name in spec.placeholders}
    try:
        subject = template.subject.format_map(filled)
        body = template.body.format_map(filled)
    except (ValueError, KeyError, IndexError, AttributeError):
        log.warning("mail template %s: does not fill, the default used", kind)
        subject, body = spec.subject.format_map(filled), spec.body.format_map(filled)
    return " ".join(subject.split()), body


class MailTemplateService:
    """The mail templates as a person may see, change and try them."""

    def __init__(self, key: DeviceKey, actor: Principal) -> None:
        self.key = key
        self.actor = actor

    def list(self) -> list[dict]:
        self.actor.require(Permission.VIEW_SYSTEM_SETTINGS)
        return [current(kind).to_dict() for kind in KINDS]

    def show(self, kind: str) -> dict:
        self.actor.require(Permission.VIEW_SYSTEM_SETTINGS)
        return current(kind_of(kind).name).to_dict()

    def change(
        self, kind: str, subject: str | None = None, body: str | None = None
    ) -> dict:
        """Change a kind's subject, body or both; both are checked first."""
        self.actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
        spec = kind_of(kind)
        before = current(spec.name)
        new_subject = (
            before.subject
            if subject is None
            else check(spec, "subject", subject, SUBJECT_MAX)
        )
        new_body = before.body if body is None else check(spec, "body", body, BODY_MAX)
        self._store(spec.name, {"subject": new_subject, "body": new_body}, before)
        log.info("mail template %s: changed", spec.name)
        return current(spec.name).to_dict()

    def reset(self, kind: str) -> dict:
        """Go back to the default wording of a kind."""
        self.actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
        spec = kind_of(kind)
        before = current(spec.name)
        self._store(spec.name, None, before)
        log.info("mail template %s: back to the default", spec.name)
        return current(spec.name).to_dict()

    def preview(self, kind: str) -> dict:
        """The kind's mail as the template makes it from sample values."""
        self.actor.require(Permission.VIEW_SYSTEM_SETTINGS)
        spec = kind_of(kind)
        subject, body = render(spec.name, spec.sample)
        return {"kind": spec.name, "subject": subject, "body": body}

    def send_test(self, kind: str, to: str) -> dict:
        """Send the kind's mail, filled with sample values, to ``to``."""
        self.actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
        spec = kind_of(kind)
        address = recipient(to)
        subject, body = render(spec.name, spec.sample)
        message = EmailMessage()
        message["To"] = address
        message["Subject"] = subject
        message.set_content(body)
        Mailer(self.key).send(message)
        return {"kind": spec.name, "to": address, "sent": True}

    def _store(self, kind: str, value: dict | None, before: MailTemplate) -> None:
        templates = _stored()
        if value is None:
            templates.pop(kind, None)
        else:
            templates[kind] = value
        with database.atomic():
            system_settings.put(SETTING_KEY, templates)
            after = current(kind)
            audit.record(
                self.actor,
                "change",
                "mail template",
                kind,
                before={"subject": before.subject, "body": before.body},
                after={"subject": after.subject, "body": after.body},
            )
