"""Voicemail to e-mail: the message's WAV attached, from a template.

The wording is the ``voicemail`` mail template (agent/mail/templates.py,
which lists its placeholders); the SMTP server is the one set in the system
settings.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from agent import local_time
from agent.devicekey import DeviceKey
from agent.mail import templates
from agent.mail.service import Mailer
from agent.settings import Settings

log = logging.getLogger("edgepbx.voicemail")

# How long to wait for the recorder to close the message's file, and how
# often to look; "RIFF", its size and "WAVE" come before anything else.
WAV_CLOSE_WAIT_S = 5.0
WAV_CLOSE_POLL_S = 0.05
RIFF_HEADER_BYTES = 12
# Said in the mail in place of a transcript still on its way.
TRANSCRIPT_PENDING = (
    "(still being made when this mail was sent; once ready, it shows under "
    "the message in your user portal)"
)


def _received(at: str) -> str:
    """When the message came, in the appliance's zone, the zone named."""
    try:
        zone = local_time.zone()
        return f"{local_time.shown(at, zone)} ({zone.key})"
    except Exception:  # the zone unreadable: the stored UTC time, said so
        log.exception("voicemail e-mail: the time zone could not be read")
        return f"{local_time.shown(at, dt.UTC)} (UTC)"


def _described(info) -> dict[str, str]:
    """The values both voicemail mails share."""
    label = f"{info.caller_name} <{info.caller}>" if info.caller_name else info.caller
    return {
        "mailbox": info.extension,
        "caller": info.caller,
        "caller_name": info.caller_name,
        "caller_label": label,
        "received_at": _received(info.received_at),
        "duration_s": f"{info.duration_s:.0f}",
    }


def render(info, transcript: str = "", pending: bool = False) -> tuple[str, str]:
    """(subject, body) of the e-mail for a message; ``pending`` says the
    transcript was still on its way when the mail went."""
    described = _described(info)
    received, duration = described["received_at"], described["duration_s"]
    if transcript:
        shown = f"\nTranscript:\n{transcript}\n"
    elif pending:
        shown = f"\nTranscript:\n{TRANSCRIPT_PENDING}\n"
    else:
        shown = ""
    values = described | {
        "extension": info.extension,
        "time": received,
        "duration": duration,
        "reason": "busy" if info.reason == "busy" else "not answered",
        "transcript": shown,
    }
    return templates.render("voicemail", values)


def send_voicemail_email(
    settings: Settings,
    to: str,
    info,
    wav: Path,
    transcript: str = "",
    pending: bool = False,
) -> bool:
    """Send one message by e-mail; log and return False when it cannot go."""
    subject, body = render(info, transcript, pending)
    try:
        deliver(settings, to, subject, body, wav)
    except Exception as exc:
        log.warning("voicemail %s: e-mail to %s not sent: %s", info.extension, to, exc)
        return False
    log.info("voicemail %s: message %d e-mailed to %s", info.extension, info.id, to)
    return True


def after_message(
    settings: Settings, message_id: int, to: str | None, info, wav: Path, wants: bool
) -> None:
    """What follows a filed message, on a thread of its own: its transcript
    (when transcription is on for the system and ``wants`` it for the box),
    kept beside the message, and its e-mail (when ``to`` is set).

    The e-mail waits for the transcript at most ``mail_wait_s`` (the first
    try's timeout, never more than MAIL_WAIT_S); a text that comes later is
    kept beside the message all the same, and the e-mail says where to find
    it. When none comes after all, a short second mail says so.
    """
    from agent.voicemail.transcription import (
        TranscriptionSettings,
        mail_wait_s,
        transcription_s,
    )

    transcription = TranscriptionSettings.load()
    if not (transcription.active and wants):
        if to:
            send_voicemail_email(settings, to, info, wav)
        return

    found: list[str] = []
    ready = threading.Event()
    threading.Thread(
        target=_transcribe_and_keep,
        args=(settings, message_id, info, wav, wants, found, ready),
        name=f"transcribe-{message_id}",
        daemon=True,
    ).start()
    if not to:
        return
    wait_s = mail_wait_s(transcription)
    if ready.wait(wait_s):
        send_voicemail_email(settings, to, info, wav, found[0] if found else "")
        return
    log.info(
        "voicemail %s: no transcript in %.0f s, message %d e-mailed without it",
        info.extension,
        wait_s,
        message_id,
    )
    if not send_voicemail_email(settings, to, info, wav, pending=True):
        return

    # Step 2: that mail said a transcript is coming. If none comes, say so,
    # so the owner is not left waiting for it.
    if not ready.wait(transcription_s(transcription)):
        log.warning(
            "voicemail %s: transcription of message %d still going after every "
            "try's time; no follow-up mail",
            info.extension,
            message_id,
        )
        return
    if not found:
        send_no_transcript_email(settings, to, info, message_id)


def send_no_transcript_email(
    settings: Settings, to: str, info, message_id: int
) -> bool:
    """Tell the owner a transcript promised as coming will not; log and
    return False when the mail cannot go."""
    subject, body = templates.render("voicemail-no-transcript", _described(info))
    try:
        deliver(settings, to, subject, body)
    except Exception as exc:
        log.warning(
            "voicemail %s: no-transcript mail to %s not sent: %s",
            info.extension,
            to,
            exc,
        )
        return False
    log.info(
        "voicemail %s: message %d has no transcript, %s told",
        info.extension,
        message_id,
        to,
    )
    return True


def _transcribe_and_keep(
    settings: Settings,
    message_id: int,
    info,
    wav: Path,
    wants: bool,
    found: list[str],
    ready: threading.Event,
) -> None:
    """Ask the provider, keep its text beside the message, then set ``ready``
    (with the text in ``found``) whether or not a text came."""
    from agent.db.models import VoicemailMessage
    from agent.voicemail.transcription import transcript_for

    try:
        key = DeviceKey.load_or_create(settings.device_key)
        transcript = transcript_for(info.extension, wants, key, complete_wav(wav))
        if transcript:
            VoicemailMessage.update(transcript=transcript).where(
                VoicemailMessage.id == message_id
            ).execute()
            found.append(transcript)
    except Exception:  # the mail waiting for this must still go
        log.exception("voicemail %s: transcript not kept", info.extension)
    finally:
        ready.set()


def deliver(
    settings: Settings, to: str, subject: str, body: str, wav: Path | None = None
) -> None:
    """Hand the e-mail, with the message's WAV attached when given, to the
    appliance's mail sender (agent/mail).

    Runs on a thread of its own, so it opens its own database connection
    (peewee keeps one per thread) for the SMTP settings.
    """
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if wav is not None:
        message.add_attachment(
            complete_wav(wav), maintype="audio", subtype="wav", filename=wav.name
        )
    Mailer(DeviceKey.load_or_create(settings.device_key)).send(message)


def complete_wav(path: Path, wait_s: float = WAV_CLOSE_WAIT_S) -> bytes:
    """The WAV's bytes once its recorder has closed it (or after ``wait_s``).

    pjsua2 takes a recorder off the conference bridge on the bridge's own
    clock thread, a few milliseconds after the call that stops it returns;
    until then the RIFF size in the header is still zero and the last
    buffered audio is not in the file.
    """
    deadline = time.monotonic() + wait_s
    while True:
        data = path.read_bytes()
        if _riff_complete(data):
            return data
        if time.monotonic() >= deadline:
            log.warning("voicemail: %s still open after %.0f s", path.name, wait_s)
            return data
        time.sleep(WAV_CLOSE_POLL_S)


def _riff_complete(data: bytes) -> bool:
    """Whether the RIFF header counts every byte after it (RIFF size + 8)."""
    return (
        len(data) > RIFF_HEADER_BYTES
        and data[:4] == b"RIFF"
        and int.from_bytes(data[4:8], "little") == len(data) - 8
    )
