"""SIP routing of edgepbx, run inside Kamailio through KEMI (app_python3).

Kamailio owns the SIP transaction layer, the registrar and digest
authentication; this module decides what happens to each request. It keeps
the shape of Kamailio's own reference configuration: a pipeline of small
named steps, each of which either handles the request (returns True, and the
pipeline stops) or lets it pass on to the next step.

    screen_source -> reqinit -> natdetect -> withindlg
            -> cancel_and_retransmissions -> to_the_pbx_itself
            -> authenticate -> register -> to_extension

Failures that matter to security (a wrong password, a scanner, a flood) are
sent to the agent's security jail as one JSON datagram each, on a UNIX
socket, without ever blocking (``EventReporter``).

A REGISTER takes the short way: screen_source -> reqinit -> natdetect ->
authenticate -> register. Each step gets the request's method, read once
per request.

The module runs in Kamailio's embedded interpreter, so it imports nothing
outside the standard library. Its few settings come from a JSON file that the
agent renders next to kamailio.cfg; the agent names it in the environment
variable ``EDGEPBX_ROUTING_SETTINGS``.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass

try:
    import KSR  # provided by Kamailio's app_python3 at run time
except ModuleNotFoundError:  # the agent imports RoutingSettings from here
    KSR = None

try:  # inside Kamailio this directory is on sys.path; in the agent, agent.sip
    from outside import OutsideCalls
except ModuleNotFoundError:
    from agent.sip.outside import OutsideCalls

# Message and branch flags (Kamailio keeps 0..31 of each).
FLAG_NATED_SOURCE = 5  # the request came from behind a NAT
FLAG_NAT_BRANCH = 6  # branch flag: the contact was registered from behind a NAT
FLAG_PING_BRANCH = 7  # branch flag: nathelper keeps that NAT binding open

# RFC 3261 section 16.3 step 2: 70 is the recommended initial Max-Forwards;
# a request arriving with fewer than 10 left is most likely looping.
MAX_FORWARDS_LIMIT = 10

# sanity module: its documented default set of message checks (R-URI SIP
# version and scheme, required headers, CSeq, Content-Length, Expires, URI
# parsing, Via) and the URI checks for R-URI, From and To. A request that
# fails gets 400 from sanity itself.
SANITY_MSG_CHECKS = 17895
SANITY_URI_CHECKS = 7

# nathelper's nat_uac_test: 1 = Contact is a private address, 2 = Via
# differs from the source address, 16 = the source port differs from Via.
NAT_TESTS_REQUEST = 1 | 2 | 16
# For replies: 1 = private Contact, 4 = Via 1 is a private address.
NAT_TESTS_REPLY = 1 | 4

# auth_check flags: 1 = the authenticated user must be the From user (or
# the To user for REGISTER), so 101's password cannot register 102.
AUTH_CHECK_IDENTITY = 1
# auth_check return values (auth module's documentation).
AUTH_USER_MISMATCH = -8
# is_subscriber flags: 2 = only ask whether the user exists, load nothing.
SUBSCRIBER_EXISTS_ONLY = 2

# auth_check results that are a wrong password (-2) or an unknown user (-3);
# a stale or expired nonce (-4, -6) is a phone's routine, not a failure.
AUTH_FAILURES = {-2, -3}

# User-Agent substrings of SIP scanners and war-dialers, lower case. They
# are dropped without any reply, so a scan learns nothing, and reported.
SCANNER_AGENTS = (
    "friendly-scanner",
    "sipvicious",
    "sipcli",
    "vaxsipuseragent",
    "sip-scan",
    "sundayddr",
    "iwar",
    "pplsip",
)
# The htable (see kamailio.cfg.tmpl) where pike's flooders are kept for a
# while; every request from them is dropped in the first step. Known
# shortcoming: this block does not know the jail's ignore list, so an office
# phone that floods (hundreds of requests a second, which no working phone
# sends) is silenced here for the htable's expiry although never banned.
FLOOD_TABLE = "ipban"
# Loopback is the appliance itself (media service, tests): never a flood.
LOOPBACK_SOURCES = ("127.", "::1")

# Security event kinds, as agent.security.events names them.
EVENT_AUTH_FAILED = "sip-auth-failed"
EVENT_SCANNER = "sip-scanner"
EVENT_FLOOD = "sip-flood"

# Requests for event packages that the PBX does not serve get RFC 6665
# section 3.1.6.1's 489.
UNSERVED_EVENT_METHODS = {"SUBSCRIBE", "PUBLISH"}

SUBSCRIBER_TABLE = "subscriber"
LOCATION_TABLE = "location"


@dataclass(frozen=True)
class RoutingSettings:
    """What the routing needs to know about this PBX.

    Args:
        realm: the digest realm, which is the SIP domain; every extension's
            HA1 was computed with it.
    """

    realm: str
    #: The agent's security event socket; empty: report nothing.
    events_socket: str = ""
    #: The configuration database (trunks and routes), read-only.
    config_db: str = ""
    #: The agent's call event socket (call records); empty: report nothing.
    call_events_socket: str = ""

    @classmethod
    def parse(cls, text: str) -> RoutingSettings:
        data = json.loads(text)
        realm = data.get("realm")
        if not isinstance(realm, str) or not realm:
            raise ValueError("routing settings: realm must be a non-empty string")
        events_socket = data.get("events_socket", "")
        if not isinstance(events_socket, str):
            raise ValueError("routing settings: events_socket must be a string")
        extra = {}
        for name in ("config_db", "call_events_socket"):
            value = data.get(name, "")
            if not isinstance(value, str):
                raise ValueError(f"routing settings: {name} must be a string")
            extra[name] = value
        return cls(realm=realm, events_socket=events_socket, **extra)

    def __str__(self) -> str:
        return json.dumps(
            {
                "realm": self.realm,
                "events_socket": self.events_socket,
                "config_db": self.config_db,
                "call_events_socket": self.call_events_socket,
            }
        )

    @classmethod
    def from_environment(cls) -> RoutingSettings:
        path = os.environ.get("EDGEPBX_ROUTING_SETTINGS")
        if not path:
            raise RuntimeError("EDGEPBX_ROUTING_SETTINGS is not set")
        with open(path, encoding="utf-8") as f:
            return cls.parse(f.read())


class EventReporter:
    """Sends security events to the agent: one datagram each, fire and forget.

    The socket is non-blocking and every error is swallowed: if the agent is
    down or its queue is full the event is lost, and the SIP request goes on
    as if nothing was sent. Each Kamailio child opens its own socket lazily.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._sock: socket.socket | None = None

    def send(self, kind: str, source_ip: str, subject: str, detail: str = "") -> None:
        if not self.path:
            return
        event = {
            "kind": kind,
            "source_ip": source_ip,
            "subject": subject,
            "detail": detail,
        }
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sock.setblocking(False)
            self._sock.sendto(json.dumps(event).encode(), self.path)
        except OSError:
            pass


class Routing(OutsideCalls):
    """The object Kamailio calls: one method per KEMI route."""

    def __init__(self, settings: RoutingSettings) -> None:
        self.settings = settings
        self.events = EventReporter(settings.events_socket)
        self.init_outside(settings.config_db, settings.call_events_socket)

    # -- KEMI entry points ---------------------------------------------------

    def child_init(self, rank: int) -> int:
        return 0

    def ksr_request_route(self, msg) -> int:
        method = KSR.pv.get("$rm")
        pipeline = REGISTER_PIPELINE if method == "REGISTER" else REQUEST_PIPELINE
        for step in pipeline:
            if step(self, method):
                return 1
        return 1

    def ksr_onreply_route_manage(self, msg) -> int:
        """Replies of relayed transactions: fix the Contact of NATed callees."""
        if KSR.nathelper.nat_uac_test(NAT_TESTS_REPLY) > 0:
            KSR.nathelper.fix_nated_contact()
        self.media_reply()
        self.extension_call_replied()
        return 1

    def ksr_branch_route_manage(self, msg) -> int:
        return 1

    def ksr_failure_route_manage(self, msg) -> int:
        """Every branch failed: tm relays the best final reply as it is.

        A busy (486) or declined (603) callee therefore reaches the caller
        unchanged; a fork where every phone timed out gives 408, which the
        caller's phone shows as "no answer".
        """
        self.extension_call_failed()
        if KSR.tm.t_is_canceled() > 0:
            return 1
        return 1

    # -- pipeline steps ------------------------------------------------------

    def screen_source(self, method: str) -> bool:
        """Drop flooders and scanners silently; report each once."""
        source = str(KSR.pv.get("$si"))
        if KSR.pv.is_null("$sht(" + FLOOD_TABLE + "=>$si)") <= 0:
            return True  # blocked a while ago for flooding
        if not source.startswith(LOOPBACK_SOURCES) and KSR.pike.pike_check_req() < 0:
            KSR.pv.seti("$sht(" + FLOOD_TABLE + "=>$si)", 1)
            KSR.notice("sip flood from " + source + ": blocked\n")
            self.events.send(EVENT_FLOOD, source, method)
            return True

        agent = str(KSR.pv.get("$ua") or "").lower()
        if any(name in agent for name in SCANNER_AGENTS):
            KSR.notice("sip scanner from " + source + ": dropped\n")
            self.events.send(EVENT_SCANNER, source, agent)
            return True
        return False

    def reqinit(self, method: str) -> bool:
        """Drop loops and malformed requests before they cost anything."""
        if KSR.maxfwd.process_maxfwd(MAX_FORWARDS_LIMIT) < 0:
            KSR.sl.sl_send_reply(483, "Too Many Hops")
            return True
        # sanity answers 400 itself where an answer makes sense.
        return KSR.sanity.sanity_check(SANITY_MSG_CHECKS, SANITY_URI_CHECKS) < 0

    def natdetect(self, method: str) -> bool:
        """Answer to where the request came from, and note a NATed sender."""
        KSR.force_rport()
        if KSR.nathelper.nat_uac_test(NAT_TESTS_REQUEST) <= 0:
            return False
        if method != "REGISTER" and KSR.siputils.is_first_hop() > 0:
            KSR.nathelper.fix_nated_contact()
        KSR.setflag(FLAG_NATED_SOURCE)
        return False

    def withindlg(self, method: str) -> bool:
        """Requests inside a dialog follow the Record-Route set."""
        if KSR.siputils.has_totag() < 0:
            return False
        if KSR.rr.loose_route() > 0:
            if method == "BYE":
                KSR.info("call ended: " + str(KSR.pv.get("$ci")) + "\n")
            elif method == "INVITE":
                KSR.rr.record_route()
            self.media_in_dialog(method)
            self.relay()
            return True
        if method == "ACK":
            # An ACK for a negative reply of a stateful transaction is
            # absorbed by tm; any other stray ACK is dropped silently.
            if KSR.tm.t_check_trans() > 0:
                self.relay()
            return True
        KSR.sl.sl_send_reply(404, "Not here")
        return True

    def cancel_and_retransmissions(self, method: str) -> bool:
        """CANCEL follows its INVITE; retransmissions are tm's business."""
        if method == "CANCEL":
            if KSR.tm.t_check_trans() > 0:
                self.relay()
            return True
        if method != "ACK":
            if KSR.tmx.t_precheck_trans() > 0:
                KSR.tm.t_check_trans()
                return True
            if KSR.tm.t_check_trans() == 0:
                return True
        return False

    def to_the_pbx_itself(self, method: str) -> bool:
        """OPTIONS keepalives and event packages addressed to the PBX."""
        to_server = KSR.is_myself_ruri() and KSR.corex.has_ruri_user() < 0
        if to_server and method == "OPTIONS":
            KSR.sl.sl_send_reply(200, "Keepalive")
            return True
        if method in UNSERVED_EVENT_METHODS:
            # Presence (BLF) and message waiting are not served yet, so every
            # subscription is refused the way RFC 6665 asks for.
            KSR.sl.sl_send_reply(489, "Bad Event")
            return True
        return False

    def authenticate(self, method: str) -> bool:
        """Digest authentication of every request from an extension.

        A wrong password and an unknown user get the very same challenge, so
        the replies tell a scanner nothing about which extensions exist.
        """
        realm = self.settings.realm
        rc = KSR.auth_db.auth_check(realm, SUBSCRIBER_TABLE, AUTH_CHECK_IDENTITY)
        if rc > 0:
            if method != "REGISTER":
                KSR.auth.consume_credentials()
            return False

        if rc == AUTH_USER_MISMATCH:
            KSR.sl.sl_send_reply(403, "Forbidden")
            return True
        if self.carried_credentials(method):
            user = str(KSR.pv.get("$au"))
            source = str(KSR.pv.get("$si"))
            KSR.notice(
                "sip auth failed: user "
                + user
                + " from "
                + source
                + " method "
                + method
                + "\n"
            )
            if rc in AUTH_FAILURES:
                self.events.send(EVENT_AUTH_FAILED, source, user, method)
        KSR.auth.auth_challenge(realm, 0)
        return True

    def register(self, method: str) -> bool:
        """Store the contacts of an authenticated REGISTER."""
        if method != "REGISTER":
            return False
        # Record where each REGISTER came from: requests to the phone go back
        # there, which a NATed phone needs and costs nothing to one that is
        # not, and it is the source address an administrator wants to see.
        KSR.nathelper.fix_nated_register()
        if KSR.isflagset(FLAG_NATED_SOURCE):
            KSR.setbflag(FLAG_NAT_BRANCH)
            KSR.setbflag(FLAG_PING_BRANCH)
        # save() answers the phone itself, success or failure.
        KSR.registrar.save(LOCATION_TABLE, 0)
        return True

    def to_extension(self, method: str) -> bool:
        """Ring every registered contact of the called extension at once."""
        if method == "INVITE":
            KSR.rr.record_route()

        ruri = KSR.pv.get("$ru")
        if (
            KSR.auth_db.is_subscriber(ruri, SUBSCRIBER_TABLE, SUBSCRIBER_EXISTS_ONLY)
            < 0
        ):
            KSR.sl.sl_send_reply(404, "Not Found")
            return True

        rc = KSR.registrar.lookup(LOCATION_TABLE)
        if rc == -1:
            # A known extension with no phone registered right now.
            KSR.sl.sl_send_reply(480, "Temporarily Unavailable")
            return True
        if rc == -2:
            # Phones are registered, but none of them accepts this method.
            KSR.sl.sl_send_reply(405, "Method Not Allowed")
            return True
        if rc < 0:
            KSR.sl.sl_send_reply(500, "Server Internal Error")
            return True

        KSR.tm.t_on_failure("ksr_failure_route_manage")
        KSR.tm.t_on_reply("ksr_onreply_route_manage")
        if method == "INVITE":
            self.extension_call_started()
            if KSR.isflagset(FLAG_NATED_SOURCE) or KSR.isbflagset(FLAG_NAT_BRANCH):
                # A phone behind NAT: media through the relay, both ways.
                self.relay_media()
        self.relay()
        return True

    # -- small shared pieces -------------------------------------------------

    def relay(self) -> None:
        if KSR.tm.t_relay() < 0:
            KSR.sl.sl_reply_error()

    def carried_credentials(self, method: str) -> bool:
        if method == "REGISTER":
            return KSR.hdr.is_present("Authorization") > 0
        return KSR.hdr.is_present("Proxy-Authorization") > 0


# Every request but REGISTER goes through the whole pipeline. A REGISTER is
# answered statelessly by the registrar and never belongs to a dialog or a
# relayed transaction, so the dialog, transaction and server steps would
# only cost it time: registrations are the bulk of a PBX's SIP traffic.
REQUEST_PIPELINE = (
    Routing.screen_source,
    Routing.reqinit,
    Routing.natdetect,
    Routing.withindlg,
    Routing.cancel_and_retransmissions,
    Routing.to_the_pbx_itself,
    Routing.from_trunk,
    Routing.authenticate,
    Routing.register,
    Routing.to_outside,
    Routing.to_extension,
)
REGISTER_PIPELINE = (
    Routing.screen_source,
    Routing.reqinit,
    Routing.natdetect,
    Routing.authenticate,
    Routing.register,
)


def mod_init() -> Routing:
    """Called once by app_python3 when Kamailio starts."""
    return Routing(RoutingSettings.from_environment())
