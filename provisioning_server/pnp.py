"""SIP multicast plug-and-play: tell a new phone where its files are.

At boot, Yealink, Snom and Poly phones (and others that follow the same
scheme from the IETF draft "A Framework for Session Initiation Protocol
User Agent Profile Delivery") send a SIP ``SUBSCRIBE`` to 224.0.1.75 port
5060 with ``Event: ua-profile;profile-type="device";vendor=…;model=…`` and
``Accept: application/url``; the request URI or the From user names the
phone's MAC (``MAC%3a001565aabbcc``). A provisioning server answers
``200 OK`` and then sends the phone a ``NOTIFY`` whose body, of type
``application/url``, is where to fetch the configuration; the phone then
fetches its files from there as if DHCP option 66 had said so.

The URL given: Snom phones load one settings file, so they get their MAC
file's URL; every other vendor gets the directory ``/prov/`` and asks for
its own common file and MAC file in it.

Safety: the NOTIFY goes back to the address the SUBSCRIBE came from (the
Contact's port, never another host), each source gets at most
``ANSWERS_PER_SOURCE`` answers per ``ANSWER_WINDOW_S``, and datagrams that
are not a ua-profile SUBSCRIBE are dropped unanswered, so the listener can
be used neither as a reflector nor as an amplifier.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import socket
import struct
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("edgepbx.pnp")

MULTICAST_GROUP = "224.0.1.75"  # IANA "SIP" multicast address
SIP_PORT = 5060
DATAGRAM_MAX = 4096  # a SUBSCRIBE is a few hundred bytes
ANSWERS_PER_SOURCE = 5
ANSWER_WINDOW_S = 60.0
_HEADER_ALIASES = {"f": "from", "t": "to", "i": "call-id", "v": "via", "m": "contact"}
_MAC = re.compile(r"(?:MAC(?:%3a|:|=))?([0-9a-f]{12})", re.IGNORECASE)
_PARAM = re.compile(r';\s*([\w-]+)\s*=\s*("[^"]*"|[^;\s]+)')
_URI_HOST_PORT = re.compile(r"sip:(?:[^@>;]*@)?\[?([^\]>;:]+)\]?(?::(\d+))?", re.I)


@dataclass(frozen=True)
class ProfileRequest:
    """A ua-profile SUBSCRIBE, as much of it as an answer needs."""

    headers: dict[str, list[str]]
    vendor: str
    model: str
    mac: str | None
    contact_port: int

    def header(self, name: str) -> str:
        return self.headers.get(name, [""])[0]


def parse_subscribe(data: bytes) -> ProfileRequest | None:
    """The request, if data is a ua-profile SUBSCRIBE; None otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = text.split("\r\n\r\n", 1)[0].replace("\r\n", "\n")
    lines = head.split("\n")
    request_line = lines[0].split()
    if len(request_line) != 3 or request_line[0] != "SUBSCRIBE":
        return None
    if request_line[2] != "SIP/2.0":
        return None

    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        headers.setdefault(_HEADER_ALIASES.get(key, key), []).append(value.strip())
    event = headers.get("event", [""])[0]
    if event.split(";")[0].strip().lower() != "ua-profile":
        return None
    for needed in ("via", "from", "to", "call-id", "cseq"):
        if needed not in headers:
            return None

    params = {k.lower(): v.strip('"') for k, v in _PARAM.findall(event)}
    mac = None
    for candidate in (request_line[1], headers["from"][0]):
        user = urllib.parse.unquote(candidate.split("sip:", 1)[-1].split("@")[0])
        found = _MAC.fullmatch(user.strip("<>"))
        if found:
            mac = found.group(1).lower()
            break
    port = SIP_PORT
    contact = _URI_HOST_PORT.search(headers.get("contact", [""])[0])
    if contact and contact.group(2):
        port = int(contact.group(2))
    return ProfileRequest(
        headers,
        params.get("vendor", ""),
        params.get("model", ""),
        mac,
        port,
    )


def provisioning_url(http_base: str, request: ProfileRequest) -> str:
    """What a phone of this vendor should fetch (see the module's text)."""
    if request.vendor.lower() == "snom" and request.mac:
        return f"{http_base}{request.mac}.xml"
    return http_base


def ok_response(request: ProfileRequest, to_tag: str) -> bytes:
    lines = ["SIP/2.0 200 OK"]
    lines += [f"Via: {via}" for via in request.headers["via"]]
    lines += [
        f"From: {request.header('from')}",
        f"To: {_with_tag(request.header('to'), to_tag)}",
        f"Call-ID: {request.header('call-id')}",
        f"CSeq: {request.header('cseq')}",
        "Expires: 0",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def notify_request(
    request: ProfileRequest,
    to_tag: str,
    url: str,
    local: tuple[str, int],
    target: tuple[str, int],
) -> bytes:
    """The NOTIFY with the URL: in the subscription's dialog (RFC 6665),
    From and To swapped, our tag on our side."""
    body = url
    branch = "z9hG4bK" + secrets.token_hex(8)
    host, port = local
    lines = [
        f"NOTIFY sip:{target[0]}:{target[1]} SIP/2.0",
        f"Via: SIP/2.0/UDP {host}:{port};branch={branch};rport",
        "Max-Forwards: 20",
        f"From: {_with_tag(request.header('to'), to_tag)}",
        f"To: {request.header('from')}",
        f"Call-ID: {request.header('call-id')}",
        "CSeq: 1 NOTIFY",
        f"Contact: <sip:{host}:{port}>",
        f"Event: {request.header('event')}",
        "Subscription-State: terminated;reason=timeout",
        "Content-Type: application/url",
        f"Content-Length: {len(body.encode())}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def _with_tag(value: str, tag: str) -> str:
    return value if ";tag=" in value.lower() else f"{value};tag={tag}"


@dataclass
class AnswerLimit:
    """At most ANSWERS_PER_SOURCE answers per source per window."""

    answered: dict[str, list[float]] = field(default_factory=dict)

    def allow(self, source: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        recent = [t for t in self.answered.get(source, []) if now - t < ANSWER_WINDOW_S]
        if len(recent) >= ANSWERS_PER_SOURCE:
            self.answered[source] = recent
            return False
        recent.append(now)
        self.answered[source] = recent
        if len(self.answered) > 4096:  # a flood of sources: forget the old
            self.answered = {source: recent}
        return True


class PnpResponder(asyncio.DatagramProtocol):
    """Answers ua-profile SUBSCRIBEs with the URL ``url_for`` gives.

    Requests arrive on the socket bound to the multicast group; answers
    leave from ``sender``, a unicast socket, so they carry our own address
    as their source and never the group's.
    """

    def __init__(
        self,
        url_for: Callable[[ProfileRequest], str],
        local_address: Callable[[str], str],
        sender: socket.socket,
        seen: Callable[[ProfileRequest, str], None] | None = None,
    ) -> None:
        self.url_for = url_for
        self.local_address = local_address
        self.sender = sender
        self.port = sender.getsockname()[1]
        self.seen = seen
        self.limit = AnswerLimit()

    def connection_lost(self, exc) -> None:
        self.sender.close()

    def datagram_received(self, data: bytes, addr) -> None:
        if len(data) > DATAGRAM_MAX:
            return
        request = parse_subscribe(data)
        if request is None or not self.limit.allow(addr[0]):
            return
        tag = secrets.token_hex(6)
        url = self.url_for(request)
        try:
            # Step 1: the answer, to where the request came from (RFC 3581).
            self.sender.sendto(ok_response(request, tag), addr)
            # Step 2: the NOTIFY, to the sender's address at its Contact port.
            target = (addr[0], request.contact_port)
            local = (self.local_address(addr[0]), self.port)
            notify = notify_request(request, tag, url, local, target)
            self.sender.sendto(notify, target)
        except OSError as exc:
            log.warning("pnp: no answer to %s: %s", addr[0], exc)
            return
        log.info(
            "pnp: %s %s (%s) at %s told %s",
            request.vendor or "phone",
            request.model or "?",
            request.mac or "no MAC",
            addr[0],
            url,
        )
        if self.seen is not None:
            self.seen(request, addr[0])


def multicast_socket(interface: str = "0.0.0.0", port: int = SIP_PORT) -> socket.socket:
    """A UDP socket on port that receives 224.0.1.75 on interface."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((MULTICAST_GROUP, port))
    membership = struct.pack(
        "4s4s", socket.inet_aton(MULTICAST_GROUP), socket.inet_aton(interface)
    )
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    sock.setblocking(False)
    return sock


def route_source(destination: str) -> str:
    """Our address on the route to destination (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((destination, SIP_PORT))
        return probe.getsockname()[0]


async def start(
    url_for: Callable[[ProfileRequest], str],
    interface: str = "0.0.0.0",
    port: int = SIP_PORT,
    seen: Callable[[ProfileRequest, str], None] | None = None,
) -> asyncio.DatagramTransport:
    """Listen for ua-profile SUBSCRIBEs; the transport, to close it."""
    loop = asyncio.get_running_loop()
    listening = multicast_socket(interface, port)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind(("0.0.0.0", 0))
    sender.setblocking(False)
    transport, _ = await loop.create_datagram_endpoint(
        lambda: PnpResponder(url_for, route_source, sender, seen), sock=listening
    )
    log.info("pnp: listening on %s:%d", MULTICAST_GROUP, port)
    return transport
