"""Message waiting indication: RFC 3842 ``message-summary`` NOTIFYs.

Why unsolicited NOTIFYs sent by the media service rather than Kamailio's
presence_mwi: the count changes only where a message is filed, heard or
deleted, and every one of those places can send a NOTIFY at once; the
presence modules would need their own tables, PUBLISHes from the media
service (which pjsua2 cannot send with this body) and a SUBSCRIBE from every
phone. Desk phones and pjsip accept unsolicited message-summary NOTIFYs
(Asterisk sends them the same way).

The NOTIFY goes to Kamailio with the media trust token, and Kamailio forks
it to every registered phone of the extension. It is sent from a fresh UDP
socket and not retransmitted here: Kamailio relays it statefully, and the
loopback does not lose datagrams.

A phone that registers (after a reboot, or a first time) is sent the count
too: the routing reports each accepted REGISTER to the agent, which sends
the extension's phones a NOTIFY when the extension has a mailbox.
"""

from __future__ import annotations

import logging
import secrets
import socket
from dataclasses import dataclass

from agent.feature_codes import current_codes
from agent.media.pool import TOKEN_HEADER
from agent.settings import Settings
from agent.sip.kamailio_config import sip_domain, sip_host

log = logging.getLogger("edgepbx.voicemail")

# RFC 3842 section 3.1: the body's MIME type and event package name.
CONTENT_TYPE = "application/simple-message-summary"
EVENT_PACKAGE = "message-summary"
# RFC 3261 section 8.1.1.7: the Via branch starts with this magic cookie.
BRANCH_COOKIE = "z9hG4bK"
MAX_FORWARDS = 70


@dataclass(frozen=True)
class MessageSummary:
    """The body of a message-summary NOTIFY (RFC 3842 section 5.2)."""

    account: str
    new: int
    old: int

    def __bytes__(self) -> bytes:
        waiting = "yes" if self.new else "no"
        return (
            f"Messages-Waiting: {waiting}\r\n"
            f"Message-Account: {self.account}\r\n"
            f"Voice-Message: {self.new}/{self.old}\r\n"
        ).encode()

    @classmethod
    def parse(cls, body: str) -> MessageSummary:
        fields = {}
        for line in body.splitlines():
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        counts = fields.get("voice-message", "0/0").split()[0]
        new, _, old = counts.partition("/")
        return cls(
            account=fields.get("message-account", ""), new=int(new), old=int(old)
        )


def notify(settings: Settings, token: str, extension: str, new: int, old: int) -> None:
    """Send the count of an extension's messages to all of its phones."""
    domain = sip_domain(settings)
    # The account is what a phone's message key dials: the code of the
    # caller's own mailbox in the feature-code table.
    code = current_codes()["voicemail_own"]
    summary = MessageSummary(f"sip:{code}@{domain}", new, old)
    body = bytes(summary)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((settings.bind, 0))
        local_port = sock.getsockname()[1]
        uri = f"sip:{extension}@{domain}"
        head = (
            f"NOTIFY {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {sip_host(settings)}:{local_port};rport;"
            f"branch={BRANCH_COOKIE}{secrets.token_hex(8)}\r\n"
            f"Max-Forwards: {MAX_FORWARDS}\r\n"
            f"From: <sip:voicemail@{domain}>;tag={secrets.token_hex(6)}\r\n"
            f"To: <{uri}>\r\n"
            f"Call-ID: mwi-{secrets.token_hex(10)}@{domain}\r\n"
            "CSeq: 1 NOTIFY\r\n"
            f"Contact: <sip:voicemail@{sip_host(settings)}:{local_port}>\r\n"
            f"Event: {EVENT_PACKAGE}\r\n"
            "Subscription-State: active\r\n"
            f"{TOKEN_HEADER}: {token}\r\n"
            f"Content-Type: {CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        sock.sendto(head.encode() + body, (settings.bind, settings.sip_port))
    log.info("voicemail %s: message waiting %d new, %d old sent", extension, new, old)
