"""Ending the calls Kamailio's dialog module follows, as a stop does.

The dialog module (loaded for the busy lamps, see lamps.py) knows every
call the routing hands it, from its INVITE on: between extensions, between
an extension or a trunk and a media service, between an extension and a
trunk, and from one trunk to another.

An answered call gets one BYE for each side (RFC 3261 section 15), each
sent on its own: the agent writes the BYE the other side would send (the
dialog's Call-ID, tags, next CSeq and route set, as ``dlg.list`` shows
them) and hands it to Kamailio with Kamailio's own address as its first
Route. Kamailio relays it as any BYE inside a dialog, so it leaves from
the socket the phone or carrier knows, over its transport; its answer
comes back to the agent, which waits for the answers before Kamailio is
stopped. The dialog module's ``dlg.end_dlg`` is not used: it sends the
caller's BYE, then the callee's, and refuses the second ("terminating
non-confirmed dialogs not supported") when the caller's 200 was handled in
between; Kamailio 5.6's ``tm.t_uac_start`` cannot send the BYE either, as
it adds a From tag of its own to the one given.

A call still ringing is no dialog to end: its INVITE transaction is
cancelled instead, through the tm module's ``tm.cancel`` RPC (found by
Call-ID and CSeq), which sends a CANCEL to every phone it rings (RFC 3261
section 9.1) and relays their 487 back to the caller.

A BYE goes to the Contact the dialog module kept, which is the Contact as
the phone wrote it: behind a NAT that names the phone's private address,
or its public address with a port the NAT did not give it, where nothing
would arrive. So a side whose Contact is a phone registered
over UDP goes to where that phone's REGISTERs come from (the registrar's
``received``, which the routing records for every registration): the
BYE's Request-URI gets that address and port, as ``fix_nated_contact``
gives the Contact the other side answers to. Address and port are both
compared, so a Contact wrong in its port alone is sent where the phone
is all the same.

Known shortcoming: a phone over TCP or TLS keeps its Contact; behind a NAT
only the connection it opened reaches it, and Kamailio finds that by the
Contact only when the phone named its public side.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import socket
import time
from dataclasses import dataclass, replace

from agent.extensions.registrations import all_current
from agent.sip.kamailio_config import uri_host
from agent.sip.rpc import KamailioRpc, RpcError

log = logging.getLogger("edgepbx.sip")

#: The dialog module's state of a call whose INVITE is out and unanswered
#: (1) or has a provisional answer, such as 180 Ringing (2).
RINGING_STATES = {1, 2}
#: The dialog module's state of an answered call that has its ACK (4) or
#: waits for it (3); 5 is a call ended, kept a moment for late requests.
CONFIRMED_STATES = {3, 4}
#: How often the dialogs are read again while the CANCELs are answered.
RECHECK_S = 0.05
#: RFC 3261 section 17.1.1.1: T1, the first retransmission interval of a
#: request over UDP; it doubles with each retransmission (timer E).
T1_S = 0.5
#: RFC 3261 section 8.1.1.7: the magic cookie every branch starts with.
BRANCH_COOKIE = "z9hG4bK"
#: RFC 3261 section 8.1.1.6: the Max-Forwards a request starts with.
MAX_FORWARDS = 70
#: A SIP answer over UDP fits in one datagram well under this.
MAX_DATAGRAM = 65535


@dataclass(frozen=True)
class Side:
    """One side of an answered call as the dialog module keeps it: its
    address (From of the caller, To of the callee), its tag, its Contact,
    the CSeq of its last request and its route set (the proxies beyond
    Kamailio towards it, as Route header values)."""

    uri: str
    tag: str
    contact: str
    cseq: int
    route_set: str

    @classmethod
    def parse(cls, uri: object, listed: object) -> Side | None:
        if not isinstance(listed, dict):
            return None
        try:
            cseq = int(str(listed.get("cseq", "")).strip() or 0)
        except ValueError:
            return None
        side = cls(
            uri=str(uri or ""),
            tag=str(listed.get("tag", "")),
            contact=str(listed.get("contact", "")),
            cseq=cseq,
            route_set=str(listed.get("route_set", "")).strip(),
        )
        if not (side.uri and side.tag and side.contact):
            return None
        return side


@dataclass(frozen=True)
class CallInProgress:
    """One call as dlg.list shows it: its sides for the BYEs (answered)
    and its keys for tm.cancel (ringing: the INVITE's Call-ID and CSeq)."""

    h_entry: int
    h_id: int
    call_id: str
    cseq: str
    answered: bool
    caller: Side | None = None
    callee: Side | None = None

    @classmethod
    def parse(cls, listed: object) -> CallInProgress | None:
        """One entry of dlg.list, or None for a call already ending."""
        if not isinstance(listed, dict):
            return None
        state = listed.get("state")
        if state not in RINGING_STATES | CONFIRMED_STATES:
            return None
        caller = listed.get("caller") or {}
        answered = state in CONFIRMED_STATES
        return cls(
            h_entry=int(listed["h_entry"]),
            h_id=int(listed["h_id"]),
            call_id=str(listed.get("call-id", "")),
            cseq=str(caller.get("cseq", "")).strip(),
            answered=answered,
            caller=Side.parse(listed.get("from_uri"), caller) if answered else None,
            callee=(
                Side.parse(listed.get("to_uri"), listed.get("callee"))
                if answered
                else None
            ),
        )


@dataclass(frozen=True)
class Bye:
    """The BYE one side of a call would send the other (RFC 3261 section
    15.1.1), sent into Kamailio, which relays it on (section 16.12)."""

    call_id: str
    sender: Side
    receiver: Side
    branch: str

    def serialize(self, via: tuple[str, int], proxy: tuple[str, int]) -> bytes:
        """The request as it leaves from via for Kamailio at proxy."""
        routes = [f"<sip:{uri_host(proxy[0])}:{proxy[1]};lr>"]
        if self.receiver.route_set:
            routes.append(self.receiver.route_set)
        lines = [
            f"BYE {self.receiver.contact} SIP/2.0",
            f"Via: SIP/2.0/UDP {uri_host(via[0])}:{via[1]};branch={self.branch};rport",
            f"Max-Forwards: {MAX_FORWARDS}",
            "Route: " + ", ".join(routes),
            f"From: <{self.sender.uri}>;tag={self.sender.tag}",
            f"To: <{self.receiver.uri}>;tag={self.receiver.tag}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.sender.cseq + 1} BYE",
            "Content-Length: 0",
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    @staticmethod
    def answer(datagram: bytes) -> tuple[str, int] | None:
        """The (branch, status) of a final answer to a BYE, else None."""
        head = datagram.decode("utf-8", "replace").split("\r\n\r\n", 1)[0]
        lines = head.split("\r\n")
        status_line = lines[0].split(" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith("SIP/2.0"):
            return None
        try:
            status = int(status_line[1])
        except ValueError:
            return None
        if status < 200:
            return None
        branch = cseq = ""
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name in {"via", "v"} and not branch:
                for param in value.split(";")[1:]:
                    key, _, found = param.strip().partition("=")
                    if key.lower() == "branch":
                        branch = found.split(",")[0].strip()
            elif name == "cseq":
                cseq = value.split()[-1] if value.split() else ""
        if cseq.upper() != "BYE" or not branch:
            return None
        return branch, status


#: RFC 3261 section 19.1.2: the port of a SIP URI that names none.
DEFAULT_SIP_PORT = 5060

#: A Contact's user, host and port (host lowercased, an IPv6 one without its
#: brackets).
ContactKey = tuple[str, str, int]


def contact_key(uri: str) -> ContactKey | None:
    """The user, host and port a SIP URI names, or None if it is no SIP URI
    (``sip:101@192.168.1.20:5062;ob`` is ``("101", "192.168.1.20", 5062)``)."""
    uri = uri.strip().strip("<>")
    scheme, _, rest = uri.partition(":")
    if scheme.lower() not in {"sip", "sips"} or not rest:
        return None
    rest = rest.split(";", 1)[0].split("?", 1)[0]
    user, _, hostport = rest.rpartition("@")
    if hostport.startswith("["):
        host, _, after = hostport[1:].partition("]")
        port_text = after.removeprefix(":")
    else:
        host, _, port_text = hostport.partition(":")
    try:
        port = int(port_text) if port_text else DEFAULT_SIP_PORT
    except ValueError:
        return None
    if not host:
        return None
    return user, host.lower(), port


def with_address(uri: str, address: tuple[str, int]) -> str:
    """uri with its host and port replaced by address, user and parameters
    kept (what ``fix_nated_contact`` does to a Contact)."""
    scheme, _, rest = uri.strip().strip("<>").partition(":")
    head, sep, params = rest.partition(";")
    user, at, _ = head.rpartition("@")
    hostport = f"{uri_host(address[0])}:{address[1]}"
    return f"{scheme}:{user}{at}{hostport}{sep}{params}"


def phone_sources(rpc: KamailioRpc) -> dict[ContactKey, tuple[str, int]]:
    """Where each phone registered over UDP sends from, by its Contact; a
    Contact two phones registered from different places is left out."""
    found: dict[ContactKey, tuple[str, int]] = {}
    doubtful: set[ContactKey] = set()
    for registrations in all_current(rpc).values():
        for registration in registrations:
            transport, _, hostport = registration.source.partition(" ")
            key = contact_key(registration.contact)
            source = contact_key("sip:" + hostport) if transport == "udp" else None
            if key is None or source is None:
                continue
            address = (source[1], source[2])
            if found.setdefault(key, address) != address:
                doubtful.add(key)
    return {key: found[key] for key in found.keys() - doubtful}


def reachable(side: Side, sources: dict[ContactKey, tuple[str, int]]) -> Side:
    """side, its Contact pointing where its phone sends from if that is a
    registered phone's other address (behind a NAT)."""
    key = contact_key(side.contact)
    address = sources.get(key) if key is not None else None
    if address is None or (key[1], key[2]) == address:
        return side
    return replace(side, contact=with_address(side.contact, address))


def in_progress(rpc: KamailioRpc) -> list[CallInProgress]:
    """Every call Kamailio follows that rings or is answered."""
    calls = (CallInProgress.parse(d) for d in rpc.call("dlg.list") or [])
    return [call for call in calls if call is not None]


def byes(
    call: CallInProgress, sources: dict[ContactKey, tuple[str, int]] | None = None
) -> list[Bye]:
    """The BYE to each side of an answered call, each from the other; a
    side that is a phone behind a NAT is sent its BYE where it sends from
    (sources, by Contact: phone_sources)."""
    if not call.answered or call.caller is None or call.callee is None:
        return []
    sources = sources or {}
    caller, callee = call.caller, call.callee
    return [
        Bye(call.call_id, caller, reachable(callee, sources), _branch()),
        Bye(call.call_id, callee, reachable(caller, sources), _branch()),
    ]


def _branch() -> str:
    return BRANCH_COOKIE + secrets.token_hex(12)


def cancel(rpc: KamailioRpc, call: CallInProgress) -> None:
    """A CANCEL for a ringing call."""
    try:
        rpc.call("tm.cancel", call.call_id, call.cseq)
    except RpcError as exc:  # answered or given up meanwhile
        log.debug("call %s not cancelled: %s", call.call_id, exc)


def send_byes(to_send: list[Bye], proxy: tuple[str, int], deadline: float) -> None:
    """Send every BYE through Kamailio at proxy, again after T1, 2*T1 ...
    while unanswered, until each has a final answer or the deadline."""
    if not to_send:
        return
    family = (
        socket.AF_INET6
        if ipaddress.ip_address(proxy[0]).version == 6
        else socket.AF_INET
    )
    waiting = {bye.branch: bye for bye in to_send}
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((proxy[0], 0))
        via = sock.getsockname()[:2]
        interval = T1_S
        resend_at = 0.0
        while waiting and time.monotonic() < deadline:
            now = time.monotonic()
            if now >= resend_at:
                for bye in waiting.values():
                    sock.sendto(bye.serialize(via, proxy), proxy)
                resend_at = now + interval
                interval *= 2
            sock.settimeout(max(0.001, min(resend_at, deadline) - now))
            try:
                found = Bye.answer(sock.recv(MAX_DATAGRAM))
            except TimeoutError:
                continue
            if found is not None and found[0] in waiting:
                bye = waiting.pop(found[0])
                log.debug("call %s: BYE answered %d", bye.call_id, found[1])
    for bye in waiting.values():
        log.warning("call %s: BYE to %s not answered", bye.call_id, bye.receiver.uri)


def end_all(
    rpc: KamailioRpc, sip_address: tuple[str, int], within_s: float
) -> list[CallInProgress]:
    """End every call in progress, answered or ringing, and wait up to
    within_s seconds for the BYEs' answers and for Kamailio to see the
    ringing calls cancelled. sip_address is Kamailio's UDP socket. Returns
    the calls ended; a Kamailio that does not answer ends none."""
    deadline = time.monotonic() + within_s
    try:
        calls = in_progress(rpc)
    except RpcError as exc:
        log.warning("calls in progress not ended: %s", exc)
        return []

    # Step 1: the ringing calls' INVITEs are cancelled.
    ringing = {call.call_id: call for call in calls if not call.answered}
    for call in ringing.values():
        cancel(rpc, call)

    # Step 2: each answered call's two BYEs, until both are answered; a
    # phone behind a NAT gets its BYE where its REGISTERs come from.
    try:
        sources = phone_sources(rpc) if any(call.answered for call in calls) else {}
    except RpcError as exc:
        log.warning("calls in progress: registrations not read: %s", exc)
        sources = {}
    to_send = [bye for call in calls for bye in byes(call, sources)]
    send_byes(to_send, sip_address, deadline)

    # Step 3: Kamailio sees the ringing calls ended (their 487s relayed).
    try:
        while (
            ringing
            and time.monotonic() < deadline
            and any(call.call_id in ringing for call in in_progress(rpc))
        ):
            time.sleep(RECHECK_S)
    except RpcError as exc:
        log.warning("calls in progress: cancels not followed: %s", exc)
    return calls
