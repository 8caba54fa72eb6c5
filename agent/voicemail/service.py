"""The voicemail service: mailboxes and their messages.

The CLI, the REST API, the web pages and the media service all call these
functions. Changes that people make are checked against their role and
audited; what the media service does on behalf of a caller (a new message,
a message heard, a PIN changed from the phone after entering the old one) is
done as the system. A mailbox's owner (the portal user of its extension)
reads, plays and deletes its messages and changes its PIN and greetings
without any permission; playing a message as its owner marks it heard.

Files: ``<data>/voicemail/<extension>/`` holds the messages
(``msg-<id>.wav``) and the recorded greetings (``greeting-busy.wav``,
``greeting-unavailable.wav``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from agent import audit, destinations
from agent.accounts.passwords import hash_password, verify_password
from agent.accounts.roles import SYSTEM, Permission, Principal
from agent.db import Saved, database, upsert
from agent.db.models import Extension, Mailbox, VoicemailMessage, utcnow
from agent.errors import InvalidInput, NotFound, no_such_extension
from agent.settings import Settings
from agent.storage.service import usage_changed

log = logging.getLogger("edgepbx.voicemail")

# PINs are typed on a keypad: digits only. Four is the usual floor of
# voicemail systems; more than ten nobody types twice.
PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 10
# A message longer than this is cut; the box's own limit may be shorter.
MAX_MESSAGE_S_LIMIT = 600
MIN_MESSAGE_S_LIMIT = 10
DEFAULT_MAX_MESSAGE_S = 120
# Shorter than this is a hang-up at the tone, not a message.
MIN_MESSAGE_S = 1.0
GREETING_REASONS = ("busy", "unavailable")


@dataclass(frozen=True)
class MailboxInfo:
    extension: str
    enabled: bool
    email_enabled: bool
    email: str | None
    max_message_s: int
    new_messages: int
    old_messages: int
    greetings: list[str]
    transcribe: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class MessageInfo:
    id: int
    extension: str
    caller: str
    caller_name: str
    reason: str
    received_at: str
    duration_s: float
    heard: bool
    path: str
    transcript: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def check_pin(pin: str, field: str = "pin") -> str:
    if not pin.isdigit() or not pin.isascii():
        raise InvalidInput(field, "", "digits only")
    if not PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS:
        raise InvalidInput(field, "", f"{PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits")
    return pin


def check_mailbox_pin(pin: str, number: str, field: str = "pin") -> str:
    """A mailbox PIN: digits, and none that someone holding the phone would
    try first. Whoever knows a mailbox's PIN hears its messages, and the
    guesses people try first are the same everywhere: one digit repeated,
    a run up or down the keypad (1234, 4321, 7890), the extension's own
    number. The rule is said, never the PIN."""
    check_pin(pin, field)
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if steps == {0}:
        raise InvalidInput(field, "", "not one digit repeated (like 0000)")
    if steps in ({1}, {9}):
        raise InvalidInput(
            field, "", "not a run of digits up or down (like 1234 or 4321)"
        )
    if pin == number:
        raise InvalidInput(field, "", "not the extension's own number")
    return pin


def mailboxes_dir(settings: Settings) -> Path:
    """Where every mailbox keeps its files, one folder per number."""
    return settings.data_dir / "voicemail"


class VoicemailService:
    def __init__(self, settings: Settings, actor: Principal = SYSTEM) -> None:
        self.settings = settings
        self.actor = actor

    # -- files ---------------------------------------------------------------

    def box_dir(self, number: str) -> Path:
        return mailboxes_dir(self.settings) / number

    def greeting_path(self, number: str, reason: str) -> Path:
        return self.box_dir(number) / f"greeting-{reason}.wav"

    def message_path(self, message: VoicemailMessage) -> Path:
        return self.box_dir(message.mailbox.extension.number) / message.file_name

    # -- mailboxes -----------------------------------------------------------

    def _extension(self, number: str) -> Extension:
        ext = Extension.get_or_none(Extension.number == number)
        if ext is None:
            raise no_such_extension(number)
        return ext

    def _mailbox(self, number: str) -> Mailbox:
        box = (
            Mailbox.select()
            .join(Extension)
            .where(Extension.number == number)
            .get_or_none()
        )
        if box is None:
            raise NotFound(f"extension {number} has no mailbox", field="extension")
        return box

    def _owned_or(self, number: str, permission: Permission) -> Mailbox:
        """The mailbox, for its owner or a person with the permission who
        sees the extension (to anyone else, it does not exist)."""
        if not self.actor.reaches(number, permission):
            raise NotFound(f"extension {number} has no mailbox", field="extension")
        return self._mailbox(number)

    def _message(self, box: Mailbox, message_id: int) -> VoicemailMessage:
        message = box.messages.where(VoicemailMessage.id == message_id).get_or_none()
        if message is None:
            number = box.extension.number
            raise NotFound(
                f"mailbox {number} has no message {message_id}", field="message"
            )
        return message

    def find(self, number: str) -> Mailbox | None:
        """The mailbox of an extension, or None (for the media service)."""
        return (
            Mailbox.select()
            .join(Extension)
            .where(Extension.number == number)
            .get_or_none()
        )

    def info(self, box: Mailbox) -> MailboxInfo:
        new, old = self.counts(box)
        number = box.extension.number
        return MailboxInfo(
            extension=number,
            enabled=bool(box.enabled),
            email_enabled=bool(box.email_enabled),
            email=box.extension.email,
            max_message_s=box.max_message_s,
            new_messages=new,
            old_messages=old,
            greetings=[
                r for r in GREETING_REASONS if self.greeting_path(number, r).exists()
            ],
            transcribe=bool(box.transcribe),
        )

    def show(self, number: str) -> MailboxInfo:
        return self.info(self._owned_or(number, Permission.VIEW_MEDIA))

    def list(self) -> list[MailboxInfo]:
        """The mailboxes of the extensions this principal sees."""
        self.actor.require(Permission.VIEW_MEDIA)
        rows = Mailbox.select().join(Extension).order_by(Extension.number)
        return [
            self.info(box)
            for box in rows
            if self.actor.sees_extension(box.extension.number)
        ]

    def set(
        self,
        number: str,
        *,
        pin: str | None = None,
        enabled: bool | None = None,
        email_enabled: bool | None = None,
        max_message_s: int | None = None,
        transcribe: bool | None = None,
    ) -> Saved[MailboxInfo]:
        """Create or change the mailbox of an extension.

        A new mailbox needs a PIN. Everything is checked before anything is
        written.
        """
        self.actor.require(Permission.MANAGE_MEDIA)
        if not self.actor.sees_extension(number):
            raise no_such_extension(number)
        ext = self._extension(number)
        box = self.find(number)
        if pin is not None:
            check_mailbox_pin(pin, number)
        elif box is None:
            raise InvalidInput("pin", "", "a new mailbox needs a PIN")
        if max_message_s is not None and not (
            MIN_MESSAGE_S_LIMIT <= max_message_s <= MAX_MESSAGE_S_LIMIT
        ):
            raise InvalidInput(
                "max_message_s",
                max_message_s,
                f"from {MIN_MESSAGE_S_LIMIT} to {MAX_MESSAGE_S_LIMIT} seconds",
            )
        if email_enabled and not ext.email:
            raise InvalidInput(
                "email_enabled", "", f"extension {number} has no e-mail address"
            )

        pin_hash = None if pin is None else hash_password(pin)
        where = Mailbox.extension == ext.id
        with upsert(
            Mailbox, where, extension=ext, max_message_s=DEFAULT_MAX_MESSAGE_S
        ) as found:
            box = found.row
            before = None if found.created else self._audited(box)
            if pin_hash is not None:
                box.pin_hash = pin_hash
            elif found.created:
                # Made by another request since it was looked for above:
                # this one, which gave no PIN, would leave it without one.
                raise InvalidInput("pin", "", "a new mailbox needs a PIN")
            if enabled is not None:
                box.enabled = enabled
            if email_enabled is not None:
                box.email_enabled = email_enabled
            if max_message_s is not None:
                box.max_message_s = max_message_s
            if transcribe is not None:
                box.transcribe = transcribe
            box.updated_at = utcnow()
            box.save()
            audit.record(
                self.actor,
                "create" if found.created else "update",
                "mailbox",
                number,
                before,
                self._audited(box) | ({"pin": "changed"} if pin else {}),
            )
        self.box_dir(number).mkdir(parents=True, exist_ok=True)
        return Saved(self.info(box), found.created)

    def remove(self, number: str) -> None:
        self.actor.require(Permission.MANAGE_MEDIA)
        if not self.actor.sees_extension(number):
            raise NotFound(f"extension {number} has no mailbox", field="extension")
        box = self._mailbox(number)
        with database.atomic():
            # A route, time condition, failover or IVR key that sends callers
            # to this mailbox would send them nowhere.
            destinations.refuse_if_used("extension", "voicemail", number)
            before = self._audited(box)
            box.delete_instance()
            audit.record(self.actor, "delete", "mailbox", number, before, None)
        shutil.rmtree(self.box_dir(number), ignore_errors=True)

    @staticmethod
    def _audited(box: Mailbox) -> dict:
        return {
            "enabled": bool(box.enabled),
            "email_enabled": bool(box.email_enabled),
            "max_message_s": box.max_message_s,
            "transcribe": bool(box.transcribe),
        }

    # -- PIN -----------------------------------------------------------------

    def pin_matches(self, box: Mailbox, pin: str) -> bool:
        return bool(pin) and verify_password(pin, box.pin_hash)

    def set_pin(self, number: str, pin: str) -> MailboxInfo:
        """The owner (from the portal) or an administrator sets a new PIN."""
        box = self._owned_or(number, Permission.MANAGE_MEDIA)
        self.change_pin(box, pin)
        return self.info(box)

    def set_transcribe(self, number: str, transcribe: object) -> MailboxInfo:
        """The owner (from the portal) or an administrator turns the sending
        of the box's new messages to the transcription provider on or off."""
        box = self._owned_or(number, Permission.MANAGE_MEDIA)
        if not isinstance(transcribe, bool):
            raise InvalidInput("transcribe", transcribe, "true or false")
        with database.atomic():
            before = self._audited(box)
            box.transcribe = transcribe
            box.updated_at = utcnow()
            box.save()
            audit.record(
                self.actor, "update", "mailbox", number, before, self._audited(box)
            )
        log.info(
            "mailbox %s: transcription %s by %s",
            number,
            "on" if transcribe else "off",
            self.actor.name,
        )
        return self.info(box)

    def change_pin(self, box: Mailbox, pin: str) -> None:
        """From the phone's menu, after the caller entered the current PIN."""
        check_mailbox_pin(pin, box.extension.number)
        with database.atomic():
            box.pin_hash = hash_password(pin)
            box.updated_at = utcnow()
            box.save()
            audit.record(
                self.actor,
                "update",
                "mailbox",
                box.extension.number,
                None,
                {"pin": "changed"},
            )

    # -- messages ------------------------------------------------------------

    def counts(self, box: Mailbox) -> tuple[int, int]:
        """(new, old) messages of a box."""
        new = box.messages.where(VoicemailMessage.heard == False).count()  # noqa: E712
        old = box.messages.where(VoicemailMessage.heard == True).count()  # noqa: E712
        return new, old

    def messages(self, box: Mailbox) -> list[VoicemailMessage]:
        """New messages first, each group oldest first."""
        return list(
            box.messages.order_by(
                VoicemailMessage.heard,
                VoicemailMessage.received_at,
                VoicemailMessage.id,
            )
        )

    def message_infos(self, number: str) -> list[MessageInfo]:
        box = self._owned_or(number, Permission.VIEW_MEDIA)
        return [self.message_info(m) for m in self.messages(box)]

    def message_info(self, m: VoicemailMessage) -> MessageInfo:
        return MessageInfo(
            id=m.id,
            extension=m.mailbox.extension.number,
            caller=m.caller,
            caller_name=m.caller_name,
            reason=m.reason,
            received_at=m.received_at.replace(tzinfo=dt.UTC).isoformat(),
            duration_s=round(m.duration_s, 1),
            heard=bool(m.heard),
            path=str(self.message_path(m)),
            transcript=m.transcript,
        )

    def store(
        self,
        box: Mailbox,
        recording: Path,
        *,
        caller: str,
        caller_name: str,
        reason: str,
        duration_s: float,
    ) -> VoicemailMessage:
        """File a recorded message: move the WAV in, then write its row."""
        with database.atomic():
            message = VoicemailMessage.create(
                mailbox=box,
                caller=caller[:64],
                caller_name=caller_name[:64],
                reason=reason,
                duration_s=duration_s,
                file_name="pending",
            )
            message.file_name = f"msg-{message.id}.wav"
            target = self.box_dir(box.extension.number) / message.file_name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(recording, target)
            message.save()
        usage_changed(self.settings.data_dir)
        return message

    def mark_heard(self, message: VoicemailMessage) -> None:
        if not message.heard:
            message.heard = True
            message.save()

    def delete(self, message: VoicemailMessage) -> None:
        path = self.message_path(message)
        message.delete_instance()
        path.unlink(missing_ok=True)
        usage_changed(self.settings.data_dir)

    def message_file(self, number: str, message_id: int) -> Path:
        """The WAV of one message; fetched by the owner, the message is heard.

        An administrator listening in does not change what the owner's phone
        shows.
        """
        box = self._owned_or(number, Permission.VIEW_MEDIA)
        message = self._message(box, message_id)
        if self.actor.extension == number and not message.heard:
            self.mark_heard(message)
            self.tell_phones(box)
        return self.message_path(message)

    def delete_message(self, number: str, message_id: int) -> None:
        """The owner or an administrator deletes a message."""
        box = self._owned_or(number, Permission.MANAGE_MEDIA)
        message = self._message(box, message_id)
        with database.atomic():
            self.delete(message)
            audit.record(
                self.actor,
                "delete",
                "voicemail message",
                f"{number}/{message_id}",
                {"caller": message.caller},
                None,
            )
        self.tell_phones(box)

    def tell_phones(self, box: Mailbox) -> None:
        """Send the new count to the extension's phones (message waiting)."""
        from agent.media.pool import token_path
        from agent.voicemail import mwi

        path = token_path(self.settings)
        if not path.exists():
            return  # no media service has run here: no phone to tell
        new, old = self.counts(box)
        try:
            mwi.notify(
                self.settings, path.read_text().strip(), box.extension.number, new, old
            )
        except OSError as exc:
            log.warning(
                "voicemail %s: message waiting not sent: %s", box.extension.number, exc
            )

    def upload_greeting(self, number: str, reason: str, data: bytes) -> MailboxInfo:
        """The owner or an administrator sets a greeting from a WAV or MP3."""
        from agent.media.uploads import convert

        box = self._owned_or(number, Permission.MANAGE_MEDIA)
        if reason not in GREETING_REASONS:
            raise InvalidInput("reason", reason, "busy or unavailable")
        converted = convert(data, "file", self.box_dir(number) / ".incoming")
        self.save_greeting(box, reason, converted)
        audit.record(
            self.actor, "update", "mailbox", number, None, {"greeting": reason}
        )
        return self.info(box)

    def remove_greeting(self, number: str, reason: str) -> MailboxInfo:
        box = self._owned_or(number, Permission.MANAGE_MEDIA)
        if reason not in GREETING_REASONS:
            raise InvalidInput("reason", reason, "busy or unavailable")
        self.greeting_path(number, reason).unlink(missing_ok=True)
        audit.record(
            self.actor, "update", "mailbox", number, {"greeting": reason}, None
        )
        return self.info(box)

    def save_greeting(self, box: Mailbox, reason: str, recording: Path) -> None:
        target = self.greeting_path(box.extension.number, reason)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(recording, target)
