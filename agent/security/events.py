"""Security events: what the web admin, the SIP core (and later SSH and
provisioning) report about failed or refused access.

Each event is logged as one line, without secrets, and handed to every
subscriber; in the agent the security jail (``agent.security.jail``) is one.
Processes other than the agent (the web admin's workers, Kamailio's KEMI
script) send their events to the agent as one small JSON datagram on a UNIX
socket (``agent.security.listener``); ``to_wire`` and ``from_wire`` are that
datagram's two directions.
"""

from __future__ import annotations

import json
import logging
import socket
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
# Wrong HTTP digest credentials for a phone's provisioning file.
PROVISIONING_AUTH_FAILED = "provisioning-auth-failed"
# sshd (or dropbear) refused a login: a wrong password, an unknown user, a
# key that was not accepted (agent.security.ssh_events).
SSH_LOGIN_FAILED = "ssh-login-failed"
# Sent by the KEMI routing script (agent/sip/routing.py) under these names.
SIP_AUTH_FAILED = "sip-auth-failed"
SIP_SCANNER = "sip-scanner"
SIP_FLOOD = "sip-flood"
# The right password from outside the extension's allowed networks.
SIP_SOURCE_REFUSED = "sip-source-refused"
# The jail's own decisions; it logs them itself, in its own words.
ADDRESS_BANNED = "address-banned"
ADDRESS_UNBANNED = "address-unbanned"
_LOGGED_ELSEWHERE = frozenset({ADDRESS_BANNED, ADDRESS_UNBANNED})

# One event is a few hundred bytes; anything larger is not ours.
DATAGRAM_MAX = 2048

# User names come from the network; a log line shows at most this much.
SHOWN_SUBJECT_MAX = 40


@dataclass(frozen=True)
class SecurityEvent:
    kind: str
    source_ip: str
    #: What was tried, e.g. the user name typed; never a password or token.
    subject: str
    detail: str = ""

    def to_wire(self) -> bytes:
        return json.dumps(
            {
                "kind": self.kind,
                "source_ip": self.source_ip,
                "subject": self.subject,
                "detail": self.detail,
            }
        ).encode()

    @classmethod
    def from_wire(cls, data: bytes) -> SecurityEvent:
        """Parse a datagram; ValueError if it is not a well-formed event."""
        if len(data) > DATAGRAM_MAX:
            raise ValueError("security event datagram too large")
        value = json.loads(data)
        if not isinstance(value, dict):
            raise ValueError("security event is not a JSON object")
        fields = {}
        for name in ("kind", "source_ip", "subject", "detail"):
            item = value.get(name, "")
            if not isinstance(item, str):
                raise ValueError(f"security event: {name} is not a string")
            fields[name] = item
        if not fields["kind"] or not fields["source_ip"]:
            raise ValueError("security event without kind or source_ip")
        return cls(**fields)


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
    if event.kind not in _LOGGED_ELSEWHERE:
        log.warning(
            "%s from %s, subject %s%s",
            event.kind,
            event.source_ip,
            shown(event.subject),
            detail,
        )
    deliver(event)


def deliver(event: SecurityEvent) -> None:
    """Pass an event to every subscriber without logging it again.

    For events that another process reported and logged already (the web
    admin's workers, Kamailio), which reach the agent as datagrams.
    """
    with _lock:
        listeners = list(_subscribers)
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # a broken subscriber must not break sign-in
            log.exception("security event subscriber failed")


class Forwarder:
    """A subscriber that sends each event to the agent's event socket.

    Non-blocking and silent when the agent is not listening: a failed
    sign-in must never wait for, or fail because of, the jail.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)

    def __call__(self, event: SecurityEvent) -> None:
        if event.kind in _LOGGED_ELSEWHERE:
            return
        try:
            self._sock.sendto(event.to_wire(), self.path)
        except OSError as exc:
            log.debug("security event not forwarded to %s: %s", self.path, exc)
