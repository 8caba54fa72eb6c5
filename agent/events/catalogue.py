"""The kinds of event the appliance records, and the call events it sends.

Each event type has a name (as the API, the CLI and webhooks spell it), a
severity, and a label for people ("trunk registration lost"). Call events
(ringing, answered, ended, missed) are not kept in the event center (the
call records hold every call); they exist only for webhooks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


@dataclass(frozen=True)
class EventType:
    name: str
    severity: Severity
    label: str
    #: What makes it happen, for the notification settings page.
    cause: str


TRUNK_REGISTRATION_LOST = "trunk-registration-lost"
TRUNK_REGISTRATION_REGAINED = "trunk-registration-regained"
EXTENSION_REGISTRATION_FAILED = "extension-registration-failed"
IP_BANNED = "ip-banned"
SIGNIN_FAILED = "signin-failed"
EMERGENCY_CALL = "emergency-call"
DAEMON_RESTARTED = "daemon-restarted"
FIRMWARE_UPGRADED = "firmware-upgraded"
FIRMWARE_ROLLED_BACK = "firmware-rolled-back"
BACKUP_DONE = "backup-done"
BACKUP_FAILED = "backup-failed"
SMTP_FAILING = "smtp-failing"
DISK_NEARLY_FULL = "disk-nearly-full"
CPU_HIGH = "cpu-high"
MEMORY_HIGH = "memory-high"
STORAGE_FREED = "storage-freed"
VOICEMAIL_TRANSCRIPTION_FAILED = "voicemail-transcription-failed"
PAGE_BROADCAST_FAILED = "page-broadcast-failed"

_ALL = (
    EventType(
        TRUNK_REGISTRATION_LOST,
        Severity.ERROR,
        "trunk registration lost",
        "a trunk that was registered with its carrier is no longer",
    ),
    EventType(
        TRUNK_REGISTRATION_REGAINED,
        Severity.INFO,
        "trunk registration regained",
        "a trunk registered again after losing its registration",
    ),
    EventType(
        EXTENSION_REGISTRATION_FAILED,
        Severity.WARNING,
        "extension registration failed",
        "a phone sent a wrong password (digest authentication failed)",
    ),
    EventType(
        IP_BANNED,
        Severity.WARNING,
        "IP banned",
        "the security jail banned an address",
    ),
    EventType(
        SIGNIN_FAILED,
        Severity.WARNING,
        "sign-in failed",
        "a wrong user name or password at the web admin or user portal",
    ),
    EventType(
        EMERGENCY_CALL,
        Severity.CRITICAL,
        "emergency number dialled",
        "someone dialled one of the emergency numbers",
    ),
    EventType(
        DAEMON_RESTARTED,
        Severity.ERROR,
        "daemon restarted",
        "a service of the appliance died and was restarted",
    ),
    EventType(
        FIRMWARE_UPGRADED,
        Severity.INFO,
        "firmware upgraded",
        "a new firmware release was committed",
    ),
    EventType(
        FIRMWARE_ROLLED_BACK,
        Severity.WARNING,
        "firmware rolled back",
        "the appliance went back to its previous firmware",
    ),
    EventType(BACKUP_DONE, Severity.INFO, "backup done", "a backup was written"),
    EventType(
        BACKUP_FAILED, Severity.ERROR, "backup failed", "a backup could not be made"
    ),
    EventType(
        SMTP_FAILING,
        Severity.ERROR,
        "SMTP failing",
        "the mail server refused or could not be reached",
    ),
    EventType(
        DISK_NEARLY_FULL,
        Severity.WARNING,
        "disk nearly full",
        "the data partition is fuller than its threshold",
    ),
    EventType(CPU_HIGH, Severity.WARNING, "CPU high", "the processor stayed busy"),
    EventType(MEMORY_HIGH, Severity.WARNING, "memory high", "little memory is left"),
    EventType(
        STORAGE_FREED,
        Severity.WARNING,
        "old data removed",
        "the disk was nearly full: the oldest logs, backups or recordings went",
    ),
    EventType(
        VOICEMAIL_TRANSCRIPTION_FAILED,
        Severity.WARNING,
        "voicemail transcription failed",
        "the transcription provider did not answer a message in time or refused it",
    ),
    EventType(
        PAGE_BROADCAST_FAILED,
        Severity.WARNING,
        "page broadcast reached nobody",
        "a scheduled or started page broadcast could not reach any member",
    ),
)

#: Event types by name, in the order pages list them.
TYPES: dict[str, EventType] = {t.name: t for t in _ALL}

CALL_RINGING = "call-ringing"
CALL_ANSWERED = "call-answered"
CALL_ENDED = "call-ended"
CALL_MISSED = "call-missed"
#: Call events, for webhooks only.
CALL_TYPES = (CALL_RINGING, CALL_ANSWERED, CALL_ENDED, CALL_MISSED)

#: Every name a webhook may subscribe to.
WEBHOOK_TYPES = (*TYPES, *CALL_TYPES)

#: An SMTP failure is never announced by mail: that mail would fail too.
NOT_BY_MAIL = frozenset({SMTP_FAILING})
