"""Voicemail transcription: a left message's audio sent to an HTTP provider,
its text kept beside the message.

The protocol is the one in docs/voicemail-transcription.md: the WAV as the
body of a POST (``Content-Type: audio/wav``) with ``Authorization: Bearer
KEY``; a 2xx reply is JSON with a ``text`` string. A real provider speaking
another protocol fits behind a small adapter that speaks this one.

Transcription never costs a message: the message is filed before it is
sent, a provider that fails is tried a bounded number of times in bounded
time, and a failure is an event (``voicemail-transcription-failed``) while
the message and its e-mail go on without a transcript. An e-mail that went
saying the transcript was still being made is followed by a short one when
none came (agent.voicemail.email).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, replace

from agent import audit, system_settings
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.devicekey import DeviceKey
from agent.errors import InvalidInput, holds_credentials
from agent.events import catalogue, raise_event

log = logging.getLogger("edgepbx.voicemail")

SETTING_KEY = "voicemail.transcription"
SEAL_PURPOSE = "transcription key"
URL_MAX = 2000
KEY_MAX = 4096
# A provider transcribes a two-minute message in seconds; one that takes
# longer than this for a try is treated as not answering.
DEFAULT_TIMEOUT_S = 30
TIMEOUT_S_RANGE = (1, 120)
# Tries per message, with this pause between them: a provider that is
# restarting gets a second chance, a dead one costs at most
# TRIES * timeout + pauses.
TRIES = 2
RETRY_PAUSE_S = 2.0
# The text kept beside a message; a transcript longer than this is cut.
TRANSCRIPT_MAX = 10_000
REPLY_MAX_BYTES = 1_000_000
# Before the first try the finished WAV is read (its recorder may take a
# moment to close it) and after the last one the text or the failure's event
# is written to the database: moments on an idle box, seconds on one busy
# with calls. What waits for a transcription's end allows this on top.
AROUND_TRIES_S = 30.0
# The voicemail e-mail waits for the transcript at most the first try's
# timeout and never longer than this: a slow provider must not hold back the
# mail, and a transcript that comes later is kept beside the message.
MAIL_WAIT_S = 10.0


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: following it would carry the bearer key to
    whatever address the reply names, and the audio would be dropped."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class TranscriptionFailed(Exception):
    """The provider did not give a text for a message; says why, no key."""


@dataclass(frozen=True)
class TranscriptionSettings:
    """The provider as stored; ``key`` is the sealed value."""

    enabled: bool = False
    url: str = ""
    key: str = ""
    timeout_s: int = DEFAULT_TIMEOUT_S

    @classmethod
    def load(cls) -> TranscriptionSettings:
        stored = system_settings.get(SETTING_KEY) or {}
        known = {k: v for k, v in stored.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def active(self) -> bool:
        return self.enabled and bool(self.url)

    def shown(self) -> dict:
        """The settings as people see them: whether a key is set, not it."""
        values = asdict(self)
        values["key_set"] = bool(values.pop("key"))
        return values


def _url(value: object) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    parts = urllib.parse.urlsplit(text)
    if parts.username or parts.password or holds_credentials(text):
        # The address is shown on the page and in the audit log.
        raise InvalidInput("url", None, "no user name or password in the address")
    if (
        len(text) > URL_MAX
        or parts.scheme not in {"http", "https"}
        or not parts.hostname
        or any(ch.isspace() or not ch.isprintable() for ch in text)
    ):
        raise InvalidInput("url", value, "an http:// or https:// address")
    return text


def _timeout(value: object) -> int:
    low, high = TIMEOUT_S_RANGE
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput("timeout_s", value, f"whole seconds from {low} to {high}")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise InvalidInput("timeout_s", value, f"whole seconds from {low} to {high}")
    return int(text)


class TranscriptionService:
    """The provider settings as a person may see and change them."""

    def __init__(self, key: DeviceKey, actor: Principal) -> None:
        self.key = key
        self.actor = actor

    def show(self) -> dict:
        self.actor.require(Permission.VIEW_SYSTEM_SETTINGS)
        return TranscriptionSettings.load().shown()

    def change(self, **changes: object) -> dict:
        """Change some settings; every value is checked before any is stored.

        A ``key`` of ``""`` clears it; leaving it out keeps it.
        """
        self.actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
        before = TranscriptionSettings.load()
        unknown = set(changes) - set(TranscriptionSettings.__dataclass_fields__)
        if unknown:
            raise InvalidInput(sorted(unknown)[0], None, "not a transcription setting")
        values: dict = {}
        if "enabled" in changes:
            if not isinstance(changes["enabled"], bool):
                raise InvalidInput("enabled", changes["enabled"], "true or false")
            values["enabled"] = changes["enabled"]
        if "url" in changes:
            values["url"] = _url(changes["url"])
        if "timeout_s" in changes:
            values["timeout_s"] = _timeout(changes["timeout_s"])
        if "key" in changes:
            secret = changes["key"] or ""
            if not isinstance(secret, str) or len(secret) > KEY_MAX:
                raise InvalidInput("key", None, f"text of at most {KEY_MAX} characters")
            if any(not ch.isprintable() for ch in secret):
                raise InvalidInput("key", None, "one line, no control characters")
            values["key"] = self.key.seal(secret, SEAL_PURPOSE) if secret else ""
        after = replace(before, **values)
        if after.enabled and not after.url:
            raise InvalidInput("url", None, "required while transcription is on")
        with database.atomic():
            system_settings.put(SETTING_KEY, asdict(after))
            audit.record(
                self.actor,
                "change",
                "voicemail transcription",
                "provider",
                before=_audited(before),
                after=_audited(after),
            )
        state = "on" if after.active else "off"
        log.info("voicemail transcription: %s", state)
        return after.shown()


def _audited(settings: TranscriptionSettings) -> dict:
    return settings.shown()


def transcribe(
    settings: TranscriptionSettings, key: DeviceKey, wav: bytes, label: str
) -> str:
    """The provider's text for one message's WAV.

    Raises:
        TranscriptionFailed: every try timed out, failed or had no text.
    """
    secret = key.open(settings.key, SEAL_PURPOSE) if settings.key else ""
    reason = ""
    for attempt in range(1, TRIES + 1):
        started = time.monotonic()
        try:
            text = _post(settings, secret, wav)
        except TranscriptionFailed as exc:
            reason = str(exc)
            log.warning(
                "voicemail %s: transcription try %d of %d failed: %s",
                label,
                attempt,
                TRIES,
                reason,
            )
            if attempt < TRIES:
                time.sleep(RETRY_PAUSE_S)
            continue
        took_ms = (time.monotonic() - started) * 1000
        log.info("voicemail %s: transcribed, %.0f ms", label, took_ms)
        return text[:TRANSCRIPT_MAX]
    raise TranscriptionFailed(reason)


def _post(settings: TranscriptionSettings, secret: str, wav: bytes) -> str:
    headers = {"Content-Type": "audio/wav", "Accept": "application/json"}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    request = urllib.request.Request(settings.url, data=wav, headers=headers)
    where = urllib.parse.urlsplit(settings.url).netloc
    try:
        with _OPENER.open(request, timeout=settings.timeout_s) as reply:
            body = reply.read(REPLY_MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise TranscriptionFailed(f"{where} answered {exc.code}") from None
    except TimeoutError:
        raise TranscriptionFailed(
            f"{where}: no answer in {settings.timeout_s} s"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise TranscriptionFailed(
                f"{where}: no answer in {settings.timeout_s} s"
            ) from None
        raise TranscriptionFailed(f"{where} could not be reached: {reason}") from None
    if len(body) > REPLY_MAX_BYTES:
        raise TranscriptionFailed(f"{where}: reply larger than {REPLY_MAX_BYTES} B")
    try:
        text = json.loads(body)["text"]
    except (ValueError, KeyError, TypeError):
        raise TranscriptionFailed(f"{where}: reply is not JSON with a text") from None
    if not isinstance(text, str):
        raise TranscriptionFailed(f"{where}: reply's text is not a string")
    return text.strip()


def mail_wait_s(settings: TranscriptionSettings) -> float:
    """How long a message's e-mail waits for its transcript."""
    return float(min(settings.timeout_s, MAIL_WAIT_S))


def transcription_s(settings: TranscriptionSettings) -> float:
    """The longest one message's transcription takes: every try's timeout
    and the pauses between them, with a second of room for each reply, and
    the work around the tries."""
    tries_s = TRIES * (settings.timeout_s + 1.0) + (TRIES - 1) * RETRY_PAUSE_S
    return tries_s + AROUND_TRIES_S


def transcript_for(box_number: str, wants: bool, key: DeviceKey, wav: bytes) -> str:
    """The message's text, or "" when transcription is off or failed.

    A failure is recorded as an event and logged; it never raises.
    """
    settings = TranscriptionSettings.load()
    if not (settings.active and wants):
        return ""
    try:
        return transcribe(settings, key, wav, box_number)
    except TranscriptionFailed as exc:
        raise_event(
            catalogue.VOICEMAIL_TRANSCRIPTION_FAILED,
            f"voicemail {box_number}: no transcript, {exc}",
            object=box_number,
        )
        return ""
    except Exception:  # a message's mail must go on whatever broke here
        log.exception("voicemail %s: transcription broke", box_number)
        return ""
