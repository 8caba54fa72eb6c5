"""Security events: what the web admin (and later SIP, SSH, provisioning)
reports about failed or refused access.

Each event is logged as one line, without secrets, and handed to every
subscriber. The security jail (bans through nftables sets) is not built
yet; when it is, it subscribes here and no caller changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("edgepbx.security")

WEB_SIGNIN_FAILED = "web-signin-failed"
WEB_SIGNIN_THROTTLED = "web-signin-throttled"
API_TOKEN_REJECTED = "api-token-rejected"
# A phone (or someone walking MAC addresses) asked for a provisioning file
# that does not exist, or for a name that tries to leave the tree.
PROVISIONING_FILE_MISSING = "provisioning-file-missing"
PROVISIONING_NAME_REFUSED = "provisioning-name-refused"

# User names come from the network; a log line shows at most this much.
SHOWN_SUBJECT_MAX = 40


@dataclass(frozen=True)
class SecurityEvent:
    kind: str
    source_ip: str
    #: What was tried, e.g. the user name typed; never a password or token.
    subject: str
    detail: str = ""


_subscribers: list[Callable[[SecurityEvent], None]] = []
_lock = threading.Lock()


def subscribe(listener: Callable[[SecurityEvent], None]) -> None:
    with _lock:
        _subscribers.append(listener)


def unsubscribe(listener: Callable[[SecurityEvent], None]) -> None:
    with _lock:
        _subscribers.remove(listener)


def shown(text: str) -> str:
    """Text from the network made safe for one log line."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    if len(clean) > SHOWN_SUBJECT_MAX:
        clean = clean[:SHOWN_SUBJECT_MAX] + "…"
    return f'"{clean}"'


def report(event: SecurityEvent) -> None:
    """Log the event on one line and pass it to every subscriber."""
    detail = f": {event.detail}" if event.detail else ""
    log.warning(
        "%s from %s, subject %s%s",
        event.kind,
        event.source_ip,
        shown(event.subject),
        detail,
    )
    with _lock:
        listeners = list(_subscribers)
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # a broken subscriber must not break sign-in
            log.exception("security event subscriber failed")
