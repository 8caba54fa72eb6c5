"""The SMTP server the appliance sends mail through, and the sending itself.

``MailService`` shows and changes the settings as a person (checked against
their role, audited); ``Mailer`` sends for the appliance's own features. A
message that cannot be sent raises ``MailNotSent`` with the server's reply,
never the password.
"""

from __future__ import annotations

import enum
import logging
import re
import smtplib
import socket
import ssl
import time
from dataclasses import asdict, dataclass, replace
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from agent import audit, system_settings
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.devicekey import DeviceKey
from agent.errors import InvalidInput, PbxError
from agent.events import catalogue, raise_event
from agent.extensions import rules

log = logging.getLogger("edgepbx.mail")

SETTING_KEY = "mail.smtp"
SEAL_PURPOSE = "smtp password"

# Submission (RFC 6409) on 587 with STARTTLS is what mail providers ask of
# clients today; 465 is implicit TLS (RFC 8314), 25 plain relay on a LAN.
DEFAULT_PORT = {"starttls": 587, "tls": 465, "none": 25}
HOST_MAX = 253  # RFC 1035 section 2.3.4, a whole domain name
USERNAME_MAX = 256
PASSWORD_MAX = 256
SENDER_NAME_MAX = 64
# A slow relay answers in seconds; a dead one should not hold a voicemail
# worker or a web request for minutes.
SEND_TIMEOUT_S = 20.0

_HOST = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)


class Security(enum.StrEnum):
    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


class MailNotSent(PbxError):
    """The SMTP server could not be reached or refused the message."""

    kind = "mail-not-sent"


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP server as stored; ``password`` is the sealed value."""

    host: str = ""
    port: int = DEFAULT_PORT["starttls"]
    security: str = Security.STARTTLS.value
    verify_certificate: bool = True
    username: str = ""
    password: str = ""
    sender: str = ""
    sender_name: str = "edgepbx"

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)

    @classmethod
    def load(cls) -> SmtpSettings:
        stored = system_settings.get(SETTING_KEY) or {}
        known = {k: v for k, v in stored.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def shown(self) -> dict:
        """The settings as people see them: whether a password is set, not it."""
        values = asdict(self)
        values["password_set"] = bool(values.pop("password"))
        values["configured"] = self.configured
        return values


def _host(value: object) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    if _is_ip_literal(text) or (len(text) <= HOST_MAX and _HOST.fullmatch(text)):
        return text
    raise InvalidInput("host", value, "a host name or an IP address")


def _is_ip_literal(text: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, text)
        except OSError:
            continue
        return True
    return False


def _port(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput("port", value, "a number from 1 to 65535")
    try:
        port = int(value)
    except ValueError:
        raise InvalidInput("port", value, "a number from 1 to 65535") from None
    if not 1 <= port <= 65535:
        raise InvalidInput("port", value, "a number from 1 to 65535")
    return port


def _security(value: object) -> str:
    try:
        return Security(str(value)).value
    except ValueError:
        names = ", ".join(s.value for s in Security)
        raise InvalidInput("security", value, f"one of {names}") from None


def _bounded_text(field: str, value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(field, None, "must be text")
    if len(value) > limit or any(ch in value for ch in "\r\n\0"):
        raise InvalidInput(field, None, f"one line of at most {limit} characters")
    return value


def _sender(value: object) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        return rules.email(text) or ""
    except InvalidInput:
        raise InvalidInput("sender", value, "an e-mail address") from None


def _flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(field, value, "true or false")
    return value


class MailService:
    """The SMTP settings as a person may see and change them."""

    def __init__(self, key: DeviceKey, actor: Principal) -> None:
        self.key = key
        self.actor = actor

    def show(self) -> dict:
        self.actor.require(Permission.VIEW_SYSTEM_SETTINGS)
        return SmtpSettings.load().shown()

    def change(self, **changes: object) -> dict:
        """Change some settings; every value is checked before any is stored.

        A ``password`` of ``""`` clears it; leaving it out keeps it.
        """
        self.actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
        before = SmtpSettings.load()
        checked = self._checked(before, changes)
        with database.atomic():
            system_settings.put(SETTING_KEY, asdict(checked))
            audit.record(
                self.actor,
                "change",
                "mail settings",
                "smtp",
                # The audit log masks "password", sealed or not.
                before=asdict(before),
                after=asdict(checked),
            )
        log.info("mail: SMTP server now %s:%d", checked.host, checked.port)
        return checked.shown()

    def send_test(self, to: str) -> dict:
        """Send a short test message to ``to``; return what was sent."""
        self.actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
        from agent.mail import templates

        address = recipient(to)
        subject, body = templates.render("test", {"sender": SmtpSettings.load().sender})
        message = EmailMessage()
        message["To"] = address
        message["Subject"] = subject
        message.set_content(body)
        Mailer(self.key).send(message)
        return {"to": address, "sent": True}

    def _checked(self, before: SmtpSettings, changes: dict) -> SmtpSettings:
        unknown = set(changes) - (set(SmtpSettings.__dataclass_fields__))
        if unknown:
            raise InvalidInput(sorted(unknown)[0], None, "not a mail setting")
        values: dict = {}
        if "host" in changes:
            values["host"] = _host(changes["host"])
        if "security" in changes:
            values["security"] = _security(changes["security"])
        if "port" in changes and changes["port"] is not None:
            values["port"] = _port(changes["port"])
        elif "security" in changes and values["security"] != before.security:
            values["port"] = DEFAULT_PORT[values["security"]]
        if "verify_certificate" in changes:
            values["verify_certificate"] = _flag(
                "verify_certificate", changes["verify_certificate"]
            )
        if "username" in changes:
            values["username"] = _bounded_text(
                "username", changes["username"] or "", USERNAME_MAX
            )
        if "sender" in changes:
            values["sender"] = _sender(changes["sender"])
        if "sender_name" in changes:
            values["sender_name"] = _bounded_text(
                "sender_name", changes["sender_name"] or "", SENDER_NAME_MAX
            )
        if "password" in changes:
            secret = _bounded_text("password", changes["password"] or "", PASSWORD_MAX)
            values["password"] = self.key.seal(secret, SEAL_PURPOSE) if secret else ""
        after = replace(before, **values)
        if after.host and not after.sender:
            raise InvalidInput("sender", None, "required: the From address of mail")
        return after


def recipient(value: object) -> str:
    text = str(value or "").strip()
    try:
        address = rules.email(text)
    except InvalidInput:
        address = None
    if not address:
        raise InvalidInput("to", value, "an e-mail address")
    return address


class Mailer:
    """Sends the appliance's mail through the configured SMTP server."""

    def __init__(self, key: DeviceKey, settings: SmtpSettings | None = None) -> None:
        self.key = key
        self.settings = settings

    def send(self, message: EmailMessage) -> None:
        """Send message, filling in From, Date and Message-ID.

        Raises:
            MailNotSent: no server is set, or it could not take the message.
        """
        smtp = self.settings or SmtpSettings.load()
        if not smtp.configured:
            raise MailNotSent(
                "no mail server is set: set one under System, or with "
                "edgepbx mail set --host HOST --sender ADDRESS",
                field="host",
            )
        if "From" not in message:
            message["From"] = formataddr((smtp.sender_name, smtp.sender))
        if "Message-ID" not in message:
            message["Message-ID"] = make_msgid(domain=smtp.sender.split("@")[-1])
        if "Date" not in message:
            message["Date"] = formatdate(localtime=True)

        where = f"{smtp.host}:{smtp.port}"
        try:
            self._deliver(smtp, message, where)
        except MailNotSent as exc:
            _smtp_failing(str(exc))
            raise
        _smtp_working()
        log.info("mail: sent %r to %s", message["Subject"], message["To"])

    def _deliver(self, smtp: SmtpSettings, message: EmailMessage, where: str) -> None:
        try:
            with self._connect(smtp) as client:
                if smtp.username:
                    password = (
                        self.key.open(smtp.password, SEAL_PURPOSE)
                        if smtp.password
                        else ""
                    )
                    client.login(smtp.username, password)
                client.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailNotSent(
                f"mail server {where} refused the user name or password "
                f"({exc.smtp_code})",
                field="username",
            ) from None
        except smtplib.SMTPResponseException as exc:
            reply = _reply_text(exc.smtp_error)
            raise MailNotSent(
                f"mail server {where} refused the message: {exc.smtp_code} {reply}"
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(sorted(exc.recipients))
            raise MailNotSent(
                f"mail server {where} refused the recipient {refused}", field="to"
            ) from None
        except ssl.SSLError as exc:
            raise MailNotSent(
                f"mail server {where}: TLS failed ({exc.reason or exc})",
                field="security",
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailNotSent(
                f"mail server {where} could not be reached: {_reason(exc)}",
                field="host",
            ) from None

    @staticmethod
    def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if not smtp.verify_certificate:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if smtp.security == Security.TLS:
            return smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=SEND_TIMEOUT_S, context=context
            )
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=SEND_TIMEOUT_S)
        try:
            client.ehlo()
            if smtp.security == Security.STARTTLS:
                client.starttls(context=context)
                client.ehlo()
        except BaseException:
            client.close()
            raise
        return client


# An SMTP server that keeps failing raises one event per this many seconds
# per process, however many messages wait (retries of the event center,
# voicemail, test sends).
SMTP_FAILING_EVENT_EVERY_S = 600.0
_last_failing_event = {"at": None}


def _smtp_failing(reason: str) -> None:
    now = time.monotonic()
    last = _last_failing_event["at"]
    if last is not None and now - last < SMTP_FAILING_EVENT_EVERY_S:
        return
    _last_failing_event["at"] = now
    raise_event(catalogue.SMTP_FAILING, reason, object="smtp")


def _smtp_working() -> None:
    _last_failing_event["at"] = None


def _reply_text(raw: bytes | str) -> str:
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:200]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer in {SEND_TIMEOUT_S:.0f} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "unknown host name"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "it does not offer STARTTLS; choose another security setting"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "it closed the connection"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return exc.__class__.__name__
