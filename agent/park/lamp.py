"""A park slot's busy lamp: lit while a call is parked in the slot.

A slot is no extension and has no dialog of its own that Kamailio's
``pua_dialoginfo`` could follow (the parked call stays up, bridged, after
it is taken back). So the media worker that parks a call publishes the
slot's state itself: a PUBLISH (RFC 3903) of a dialog-info document
(RFC 4235) for ``sip:<slot>@<domain>``, ``confirmed`` while parked,
``terminated`` once taken back or timed out. It goes to Kamailio with the
media trust token (as the message waiting NOTIFYs do, agent/voicemail/
mwi.py), whose presence module keeps it and NOTIFYs every phone watching
the slot, exactly as for an extension's lamp.

Each parking is a publication of its own: lighting the lamp makes a new
one (no SIP-If-Match), and putting it out modifies that one by its entity
tag (RFC 3903 section 4.4) while presence still keeps it, or else makes a
new one; then the tag is forgotten. An entity tag is never used again for
a later parking: by then presence may have let the publication expire (it
grants at most its max_expires, kamailio.cfg.tmpl, whatever was asked), or
another worker may have parked a call in the slot, whose publication of
the same dialog replaced this one. Either way presence would refuse the
stale tag (412) and log the refusal as an error. A new publication of the
slot's dialog replaces the one before it in presence.

Known shortcoming: a worker that dies with a call parked leaves the slot's
lamp lit until the published state expires (EXPIRES_S), as nothing else
knows the record; the parked caller's call is gone with the worker.

The PUBLISH waits for its answer, so it runs in a short-lived thread of its
own: the worker's only thread must keep pumping the audio. The thread
touches no pjsua2 object, and one lock keeps a slot's changes in order.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from xml.sax.saxutils import quoteattr

from agent.media.pool import TOKEN_HEADER, read_token
from agent.settings import Settings
from agent.sip.kamailio_config import sip_domain, sip_host

log = logging.getLogger("edgepbx.media")

#: RFC 4235 section 4: the dialog event package and its document type.
EVENT = "dialog"
CONTENT_TYPE = "application/dialog-info+xml"
#: How long presence keeps a slot's state: presence grants no more than
#: its max_expires (kamailio.cfg.tmpl, 3600 s), and the park timeout is at
#: most an hour.
EXPIRES_S = 3600
#: An entity tag this close to the end of its publication is not used: the
#: PUBLISH might arrive after presence let the publication go.
EXPIRY_MARGIN_S = 5.0
#: RFC 3903 section 4.4: the entity tag is unknown (expired): publish anew.
CONDITIONAL_REQUEST_FAILED = 412
REPLY_TIMEOUT_S = 2.0
BRANCH_COOKIE = "z9hG4bK"
MAX_FORWARDS = 70

_lock = threading.Lock()
#: slot -> the entity tag of the publication of the call parked there now,
#: and when presence lets that publication go (time.monotonic()).
_etags: dict[str, tuple[str, float]] = {}
_versions: dict[str, int] = {}


def document(entity: str, slot: str, parked: bool, version: int) -> str:
    state = "confirmed" if parked else "terminated"
    return (
        '<?xml version="1.0"?>'
        '<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" '
        f'version="{version}" state="full" entity={quoteattr(entity)}>'
        f'<dialog id="park-{slot}" direction="recipient">'
        f"<state>{state}</state></dialog></dialog-info>"
    )


def publish(settings: Settings, slot: str, parked: bool) -> None:
    """Light or put out the slot's lamp, without waiting for it."""

    def send() -> None:
        with _lock:
            try:
                _publish(settings, slot, parked)
            except OSError as exc:
                log.warning("park %s: lamp not updated: %s", slot, exc)

    threading.Thread(target=send, name=f"park-lamp-{slot}", daemon=True).start()


def current_etag(slot: str, now: float) -> str | None:
    """The entity tag of this parking's publication, while presence keeps
    it (and a margin); None: a new publication is needed."""
    etag, until = _etags.get(slot, ("", 0.0))
    if not etag or now >= until - EXPIRY_MARGIN_S:
        return None
    return etag


def _publish(settings: Settings, slot: str, parked: bool) -> None:
    version = _versions.get(slot, 0) + 1
    _versions[slot] = version
    entity = f"sip:{slot}@{sip_domain(settings)}"
    body = document(entity, slot, parked, version).encode()

    # Step 1: a new parking publishes anew; its end modifies its own
    # publication while presence keeps it.
    if parked:
        _etags.pop(slot, None)
    sent_at = time.monotonic()
    status, etag, granted_s = _send(settings, entity, body, current_etag(slot, sent_at))
    if status == CONDITIONAL_REQUEST_FAILED:
        # Presence let it go before its time (a restart): publish anew.
        sent_at = time.monotonic()
        status, etag, granted_s = _send(settings, entity, body, None)

    # Step 2: keep the tag for this parking only.
    if status // 100 != 2:
        log.warning("park %s: lamp not updated: PUBLISH answered %d", slot, status)
        _etags.pop(slot, None)
        return
    if parked and etag:
        _etags[slot] = (etag, sent_at + granted_s)
    else:
        _etags.pop(slot, None)


def _send(
    settings: Settings, entity: str, body: bytes, etag: str | None
) -> tuple[int, str, int]:
    """One PUBLISH and its final answer: (status, the SIP-ETag given, the
    seconds presence keeps the publication, as its Expires says)."""
    domain = sip_domain(settings)
    token = read_token(settings)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((settings.bind, 0))
        sock.settimeout(REPLY_TIMEOUT_S)
        local = f"{sip_host(settings)}:{sock.getsockname()[1]}"
        condition = f"SIP-If-Match: {etag}\r\n" if etag else ""
        head = (
            f"PUBLISH {entity} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {local};rport;"
            f"branch={BRANCH_COOKIE}{secrets.token_hex(8)}\r\n"
            f"Max-Forwards: {MAX_FORWARDS}\r\n"
            f"From: <sip:park@{domain}>;tag={secrets.token_hex(6)}\r\n"
            f"To: <{entity}>\r\n"
            f"Call-ID: park-{secrets.token_hex(10)}@{domain}\r\n"
            "CSeq: 1 PUBLISH\r\n"
            f"Event: {EVENT}\r\n"
            f"Expires: {EXPIRES_S}\r\n"
            f"{condition}"
            f"{TOKEN_HEADER}: {token}\r\n"
            f"Content-Type: {CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        sock.sendto(head.encode() + body, (settings.bind, settings.sip_port))
        while True:
            reply = sock.recv(65535).decode(errors="replace")
            status = int(reply.split(" ", 2)[1])
            if status >= 200:
                break
    etag, granted_s = "", 0
    for line in reply.split("\r\n\r\n", 1)[0].split("\r\n"):
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "sip-etag":
            etag = value.strip()
        elif name == "expires" and value.strip().isdigit():
            granted_s = int(value.strip())
    return status, etag, granted_s
