"""SIP routing of edgepbx, run inside Kamailio through KEMI (app_python3).

Kamailio owns the SIP transaction layer, the registrar and digest
authentication; this module decides what happens to each request. It keeps
the shape of Kamailio's own reference configuration: a pipeline of small
named steps, each of which either handles the request (returns True, and the
pipeline stops) or lets it pass on to the next step.

    screen_source -> reqinit -> request_syntax -> natdetect -> withindlg
            -> cancel_and_retransmissions -> from_media_service
            -> to_the_pbx_itself -> from_trunk -> authenticate
            -> allowed_source -> register -> transferred -> watch -> pickup
            -> withhold_once -> speed_dial
            -> intercom
            -> to_service_number
            -> to_outside -> to_extension

An extension's do-not-disturb and call forwarding apply inside to_extension
and the failure route (agent/sip/forwarding.py).

Calls for service numbers and feature codes (voicemail, IVR menus), and
calls to an extension that is busy, does not answer or has no phone, go to
the media service: a pool of pjsua2 workers on loopback ports that the
dispatcher module spreads calls over (see agent/media/pool.py).

Failures that matter to security (a wrong password, a scanner, a flood) are
sent to the agent's security jail as one JSON datagram each, on a UNIX
socket, without ever blocking (``EventReporter``).

A REGISTER takes the short way: screen_source -> reqinit -> request_syntax
-> natdetect -> authenticate -> allowed_source -> register. Each step gets
the request's method, read once per request.

The module runs in Kamailio's embedded interpreter, so it imports nothing
outside the standard library. Its few settings come from a JSON file that the
agent renders next to kamailio.cfg; the agent names it in the environment
variable ``EDGEPBX_ROUTING_SETTINGS``.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import os
import re
import sqlite3
from dataclasses import dataclass

try:
    import KSR  # provided by Kamailio's app_python3 at run time
except ModuleNotFoundError:  # the agent imports RoutingSettings from here
    KSR = None

try:  # inside Kamailio this directory is on sys.path; in the agent, agent.sip
    from auto_answer import asks_auto_answer, auto_answer_headers
    from feature_codes import match
    from forwarding import CallForwarding, load_features
    from hold import MusicOnHold
    from lamps import BusyLamps
    from outside import (
        AVP_INBOUND_TRUNK,
        AVP_WITHHOLD,
        CALL_QUEUED,
        CALL_TO_VOICEMAIL,
        PHONE_REPLY_TIMEOUT_MS,
        SUBSCRIBER_TABLE,
        DatagramSender,
        OutsideCalls,
        is_extension,
        quoted,
        ring_for,
    )
    from park_slots import read as read_park_slots
    from pickup import CallPickup
    from replies import BUSY_CODES, NO_ANSWER_CODES
    from transfer import CallTransfer
except ModuleNotFoundError:
    from agent.sip.auto_answer import asks_auto_answer, auto_answer_headers
    from agent.sip.feature_codes import match
    from agent.sip.forwarding import CallForwarding, load_features
    from agent.sip.hold import MusicOnHold
    from agent.sip.lamps import BusyLamps
    from agent.sip.outside import (
        AVP_INBOUND_TRUNK,
        AVP_WITHHOLD,
        CALL_QUEUED,
        CALL_TO_VOICEMAIL,
        PHONE_REPLY_TIMEOUT_MS,
        SUBSCRIBER_TABLE,
        DatagramSender,
        OutsideCalls,
        is_extension,
        quoted,
        ring_for,
    )
    from agent.sip.park_slots import read as read_park_slots
    from agent.sip.pickup import CallPickup
    from agent.sip.replies import BUSY_CODES, NO_ANSWER_CODES
    from agent.sip.transfer import CallTransfer

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
# differs from the source address, 16 = the source port differs from Via
# (the port RFC 3581's rport exists for). A Contact naming a port the phone
# does not send from is tested apart (outside.contact_port_misnamed), as
# for replies (outside.fix_nated_reply).
NAT_TESTS_REQUEST = 1 | 2 | 16

# auth_check flags: 1 = the authenticated user must be the From user (or
# the To user for REGISTER), so 101's password cannot register 102.
AUTH_CHECK_IDENTITY = 1
# auth_check return values (auth module's documentation).
AUTH_USER_MISMATCH = -8

# auth_check results that are a wrong password (-2), an unknown user (-3) or
# credentials not filled in properly (-1: e.g. no cnonce although qop=auth
# was asked, which no working phone sends and SIPVicious's svcrack does);
# a stale or expired nonce (-4, -6) is a phone's routine, not a failure.
AUTH_FAILURES = {-1, -2, -3}

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
EVENT_SOURCE_REFUSED = "sip-source-refused"

# The extension's allowed networks, comma-separated, which auth_db loads with
# its credentials (modparam load_credentials in kamailio.cfg.tmpl); empty or
# absent: the extension may be used from anywhere.
ALLOWED_NETWORKS_AVP = "$avp(allowed_networks)"
# Parsed network lists kept per distinct stored text.
ALLOWED_NETWORKS_CACHE = 1024

# RFC 3261 section 7.1 / 25.1: Request-Line = Method SP Request-URI SP
# SIP-Version CRLF, one space each and nothing after the version. Kamailio's
# parser forgives trailing spaces; RFC 4475 section 3.1.2.8 wants a 400.
REQUEST_LINE = re.compile(rb"[^ \r\n]+ [^ \r\n]+ [Ss][Ii][Pp]/\d+\.\d+\r?\n")
# RFC 3261 section 25.1: a display name is quoted, or tokens separated by
# whitespace; "Bell, Alexander <sip:...>" is neither (RFC 4475 3.1.2.12).
UNQUOTED_DISPLAY_NAME = re.compile(r"[A-Za-z0-9\-.!%*_+`'~ \t]*")
# The PBX supports no SIP extension a request may Require (RFC 3261
# section 8.2.2.3: 420 Bad Extension, naming them in Unsupported).
REQUIRE_HEADER = "$hdr(Require)"

# The media service (agent/media): the dispatcher set of its workers, the
# header that carries the trust token both ways, and the header that tells a
# worker why a call comes to voicemail.
MEDIA_DISPATCHER_SET = 1
# Dispatcher algorithm 4: round robin over the workers.
MEDIA_DISPATCH_ROUND_ROBIN = 4
MEDIA_TOKEN_HEADER = "X-Edgepbx-Media"
VOICEMAIL_HEADER = "X-Edgepbx-Voicemail"
# Set on a call from a trunk: the trunk's name. A carrier seldom follows a
# REFER (RFC 3515) to a number that is no DID of its, so a worker joins
# such a caller to an extension itself (agent/media/engine.py).
TRUNK_HEADER = "X-Edgepbx-Trunk"
# Set by a media worker on its call to a page group's member: ring that
# extension's phones with the auto-answer header (agent/paging/flow.py).
PAGE_HEADER = "X-Edgepbx-Page"
FLAG_TO_MEDIA = 8  # the transaction goes to a media worker
# A worker answers at once; one that sends nothing for 2 s is dead or stuck
# and the call moves on to the next worker.
MEDIA_WORKER_TIMEOUT_MS = 2000
MEDIA_RING_TIMEOUT_MS = 10000
# A worker that is full (pjsua answers 486 with all its calls in use), dead
# (408 from tm) or failing gets the call moved to the next worker. A worker
# that sends a call back because the mailbox is off says so in the reason
# phrase, and that answer goes to the caller as it is.
MEDIA_FAILOVER_CODES = {408, 486, 500, 503}
NO_VOICEMAIL_REASON = "No Voicemail"
# Dispatcher algorithm 7: a hash of hash_pvar ($rU, see kamailio.cfg.tmpl),
# so every call to one conference room meets on the same worker.
MEDIA_DISPATCH_BY_NUMBER = 7
FLAG_TO_ROOM = 9  # the call joins a conference room: no failover when full
# The number the caller dialled, kept for the failure route, where the
# request URI is already the callee's contact.
DIALED_AVP = "$avp(dialed)"
# Why the call goes to voicemail, kept to tell the next worker on failover:
# headers added in one failure route are gone in the next.
VOICEMAIL_REASON_AVP = "$avp(voicemail)"

# Intercom: its code (*80 unless changed) and an extension number call that
# extension and ask its phones to answer by themselves
# (agent/sip/auto_answer.py).
INTERCOM_FEATURE = "intercom"
# The registrar's contacts of the intercom's callee, read for their
# User-Agents ($ulc, registrar module).
INTERCOM_CONTACTS = "intercom"

# The features whose code opens a mailbox (agent/media/flows.py): a call to
# one is recorded as reaching voicemail.
VOICEMAIL_FEATURES = {"voicemail_own", "voicemail_any"}
# Handled by the routing itself (speed_dial), never by the media service.
SPEED_DIAL_FEATURE = "speed_dial"
# Handled by the routing too (withhold_once), before the number is routed.
WITHHOLD_FEATURE = "withhold_once"

LOCATION_TABLE = "location"
# registrar's save() results (its documentation): a contact inserted, or
# contacts updated; 3 (deleted) is an unregistration.
REGISTRAR_INSERTED = 1
REGISTRAR_UPDATED = 2
SAVED_BINDING = {REGISTRAR_INSERTED, REGISTRAR_UPDATED}
# The htable (kamailio.cfg.tmpl) of the Call-IDs of recent registrations,
# kept past the longest expiry a phone is granted.
REGISTRATION_SEEN = "$sht(registrations=>$ci)"
# How long an extension's phones ring before the call goes to its voicemail
# (or the caller hears no-answer); the agent renders EDGEPBX_RING_TIMEOUT_S
# into the settings (agent/sip/kamailio_config.py).
DEFAULT_RING_MS = 60000


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
    #: The configuration database (trunks, routes, conference room
    #: numbers), read-only.
    config_db: str = ""
    #: The agent's call event socket (call records); empty: report nothing.
    call_events_socket: str = ""
    #: The media service's trust token; empty: there is no media service,
    #: and numbers that are no extension get 404 here.
    media_token: str = ""
    #: How long an extension rings without a forward on no answer, in ms.
    ring_ms: int = DEFAULT_RING_MS
    #: The file of music a held party hears (agent/media/music_on_hold.py);
    #: played only while it exists, empty: never.
    music_on_hold: str = ""

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
        for name in ("config_db", "call_events_socket", "media_token", "music_on_hold"):
            value = data.get(name, "")
            if not isinstance(value, str):
                raise ValueError(f"routing settings: {name} must be a string")
            extra[name] = value
        ring_ms = data.get("ring_ms", DEFAULT_RING_MS)
        if not isinstance(ring_ms, int) or isinstance(ring_ms, bool) or ring_ms <= 0:
            raise ValueError("routing settings: ring_ms must be a positive integer")
        return cls(realm=realm, events_socket=events_socket, ring_ms=ring_ms, **extra)

    def __str__(self) -> str:
        return json.dumps(
            {
                "realm": self.realm,
                "events_socket": self.events_socket,
                "config_db": self.config_db,
                "call_events_socket": self.call_events_socket,
                "media_token": self.media_token,
                "ring_ms": self.ring_ms,
                "music_on_hold": self.music_on_hold,
            }
        )

    @classmethod
    def from_environment(cls) -> RoutingSettings:
        path = os.environ.get("EDGEPBX_ROUTING_SETTINGS")
        if not path:
            raise RuntimeError("EDGEPBX_ROUTING_SETTINGS is not set")
        with open(path, encoding="utf-8") as f:
            return cls.parse(f.read())


class EventReporter(DatagramSender):
    """Sends security events to the agent: fire and forget."""

    def send(self, kind: str, source_ip: str, subject: str, detail: str = "") -> None:
        if not self.path:
            return
        event = {
            "kind": kind,
            "source_ip": source_ip,
            "subject": subject,
            "detail": detail,
        }
        self._send(event)


class Routing(
    OutsideCalls, CallForwarding, BusyLamps, MusicOnHold, CallPickup, CallTransfer
):
    """The object Kamailio calls: one method per KEMI route."""

    def __init__(self, settings: RoutingSettings) -> None:
        self.settings = settings
        self.events = EventReporter(settings.events_socket)
        self.init_outside(settings.config_db, settings.call_events_socket)
        self.music_file = settings.music_on_hold
        self._config: sqlite3.Connection | None = None

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
        self.fix_nated_reply()
        self.media_reply()
        self.picked_up_answer()
        self.extension_call_replied()
        return 1

    def ksr_branch_route_manage(self, msg) -> int:
        return 1

    def ksr_failure_route_manage(self, msg) -> int:
        """Every branch failed: voicemail, the next media worker, or the reply.

        A busy or declining (486, 600, 603) callee or one that did not answer
        (408, 480) goes to its voicemail when there is a media service; the
        worker answers with the original failure when the mailbox is off. A
        media worker that is full or dead hands the call to the next one. An
        extension's forward on busy or no answer comes first
        (agent/sip/forwarding.py).
        """
        if not KSR.isflagset(FLAG_TO_MEDIA) and self.forward_after_failure():
            return 1
        if KSR.tm.t_is_canceled() > 0:
            self.extension_call_failed()
            return 1
        code = KSR.pv.get("$T_reply_code")
        if KSR.isflagset(FLAG_TO_MEDIA):
            reason = KSR.pv.get("$T_reply_reason")
            room_full = KSR.isflagset(FLAG_TO_ROOM) and code == 486
            if (
                code in MEDIA_FAILOVER_CODES
                and not room_full
                and reason != NO_VOICEMAIL_REASON
                and KSR.dispatcher.ds_next_dst() > 0
            ):
                self.add_media_headers(KSR.pv.get(VOICEMAIL_REASON_AVP))
                self.relay_to_media_worker()
                return 1  # the same call, on the next worker
            self.extension_call_failed()
            self.end_media()  # a trunk's call went through the relay
            return 1
        # The call record stays open while the call goes on to voicemail:
        # the caller's hang-up there ends it.
        reason = None
        if self.settings.media_token and code in BUSY_CODES:
            reason = "busy"
        elif self.settings.media_token and code in NO_ANSWER_CODES:
            reason = "unavailable"
        if reason is None or not self.to_voicemail(reason):
            self.extension_call_failed()
        return 1

    # -- pipeline steps ------------------------------------------------------

    def screen_source(self, method: str) -> bool:
        """Drop flooders and scanners silently; report each once."""
        source = str(KSR.pv.get("$si"))
        if KSR.pv.is_null("$sht(" + FLOOD_TABLE + "=>$si)") <= 0:
            return True  # blocked a while ago for flooding
        if (
            not source.startswith(LOOPBACK_SOURCES)
            and KSR.pike.pike_check_req() < 0
            and not self.from_this_server()  # busy lamps' PUBLISHes
        ):
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

    def request_syntax(self, method: str) -> bool:
        """Answer 400 to what Kamailio's parser forgives but SIP forbids.

        The request line must have single spaces and nothing after the
        version; display names in From and To must be quoted or tokens.
        """
        try:
            message = KSR.pv.get("$mb")
        except Exception:  # not UTF-8: Kamailio's parser judged it already
            message = None
        if message is not None:
            head = message.encode() if isinstance(message, str) else message
            # RFC 3261 section 7.5: CRLFs before the request line are ignored.
            head = head.lstrip(b"\r\n")
            if not REQUEST_LINE.match(head[: head.find(b"\n") + 1]):
                KSR.sl.sl_send_reply(400, "Bad Request Line")
                return True
        for header in ("From", "To"):
            value = KSR.pv.get("$hdr(" + header + ")")
            if value is None or "<" not in value:
                continue
            value = str(value).lstrip()
            if value.startswith('"'):
                continue
            name = value[: value.index("<")]
            if not UNQUOTED_DISPLAY_NAME.fullmatch(name):
                KSR.sl.sl_send_reply(400, "Bad " + header + " Display Name")
                return True
        return False

    def natdetect(self, method: str) -> bool:
        """Answer to where the request came from, and note a NATed sender."""
        KSR.force_rport()
        nated = (
            KSR.nathelper.nat_uac_test(NAT_TESTS_REQUEST) > 0
            or self.contact_port_misnamed()
        )
        if not nated:
            return False
        if method != "REGISTER" and KSR.siputils.is_first_hop() > 0:
            KSR.nathelper.fix_nated_contact()
        KSR.setflag(FLAG_NATED_SOURCE)
        return False

    def withindlg(self, method: str) -> bool:
        """Requests inside a dialog follow the Record-Route set."""
        if KSR.siputils.has_totag() < 0:
            return False
        if self.transfer_request(method):
            return True  # a REFER refused or challenged (agent/sip/transfer.py)
        if KSR.rr.loose_route() > 0:
            if method == "BYE":
                KSR.info("call ended: " + str(KSR.pv.get("$ci")) + "\n")
            elif method == "INVITE":
                KSR.rr.record_route()
            self.media_in_dialog(method)
            self.hold_in_dialog(method)
            self.relay()
            return True
        if self.subscription_refresh(method):
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

    def from_media_service(self, method: str) -> bool:
        """Requests of the media service itself: trusted, never challenged.

        Only a request from the loopback carrying the trust token counts;
        the media service sends its message waiting NOTIFYs this way, and
        they fork to every phone of the extension.
        """
        token = KSR.pv.get("$hdr(" + MEDIA_TOKEN_HEADER + ")")
        if token is None:
            # A worker following an agent's REFER goes on as that agent's
            # call (agent/sip/transfer.py).
            self.transfer_by_media_worker(method)
            return False
        source = str(KSR.pv.get("$si"))
        if (
            not self.settings.media_token
            or token != self.settings.media_token
            or not source.startswith(LOOPBACK_SOURCES)
        ):
            KSR.notice("media token refused from " + source + "\n")
            KSR.sl.sl_send_reply(403, "Forbidden")
            return True
        KSR.hdr.remove(MEDIA_TOKEN_HEADER)
        if method == "PUBLISH":
            return self.media_publish()
        if method == "INVITE" and KSR.pv.get("$hdr(" + PAGE_HEADER + ")") is not None:
            return self.page_member(str(KSR.pv.get("$rU") or ""))
        if KSR.registrar.lookup(LOCATION_TABLE) < 0:
            KSR.sl.sl_send_reply(480, "Temporarily Unavailable")
            return True
        if method == "INVITE":
            # A queue ringing an agent: the phone's later requests come
            # back through here, as the worker's loopback address is out
            # of a phone's reach. The agent's lamp shows the call.
            KSR.rr.record_route()
            self.follow_lamps(None, [str(KSR.pv.get("$rU") or "")])
            self.remember_held_caller()
        self.relay()
        return True

    def page_member(self, number: str) -> bool:
        """A media worker's call to a page group's member: its phones, with
        the auto-answer header; 486 on do-not-disturb, 480 with no phone."""
        KSR.hdr.remove(PAGE_HEADER)
        if load_features(self.dialplan.connection(), number).dnd:
            KSR.info("page to " + number + ": do not disturb\n")
            KSR.sl.sl_send_reply(486, "Busy Here")
            return True
        ruri = "sip:" + number + "@" + self.settings.realm
        KSR.pv.sets("$ru", ruri)
        headers = self.auto_answer_for(ruri)
        if KSR.registrar.lookup(LOCATION_TABLE) < 0:
            KSR.sl.sl_send_reply(480, "Temporarily Unavailable")
            return True
        KSR.rr.record_route()
        for header in headers:
            KSR.hdr.append(header + "\r\n")
        KSR.tm.t_on_reply("ksr_onreply_route_manage")
        ring_for(MEDIA_RING_TIMEOUT_MS, PHONE_REPLY_TIMEOUT_MS)
        self.relay()
        return True

    def to_the_pbx_itself(self, method: str) -> bool:
        """OPTIONS keepalives and event packages addressed to the PBX."""
        to_server = KSR.is_myself_ruri() and KSR.corex.has_ruri_user() < 0
        if to_server and method == "OPTIONS":
            required = KSR.pv.get(REQUIRE_HEADER)
            if required is not None:
                KSR.hdr.append_to_reply("Unsupported: " + str(required) + "\r\n")
                KSR.sl.sl_send_reply(420, "Bad Extension")
                return True
            KSR.sl.sl_send_reply(200, "Keepalive")
            return True
        # Busy lamp fields (agent/sip/lamps.py): this server's PUBLISHes,
        # and SUBSCRIBEs for events that are not served.
        return self.event_request(method)

    def authenticate(self, method: str) -> bool:
        """Digest authentication of every request from an extension.

        A wrong password and an unknown user get the very same challenge, so
        the replies tell a scanner nothing about which extensions exist.
        """
        if method == "INVITE" and self.transferred_by() is not None:
            return False  # a media worker's transfer, noted at the REFER
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

    def allowed_source(self, method: str) -> bool:
        """Refuse an authenticated request from outside the extension's networks.

        Only a request with the right password gets here, so the 403 tells
        nothing to someone guessing; it is reported to the jail all the same,
        as a password used from the wrong place is most likely stolen.
        """
        if KSR.pv.is_null(ALLOWED_NETWORKS_AVP) > 0:
            return False
        networks = str(KSR.pv.get(ALLOWED_NETWORKS_AVP) or "")
        source = str(KSR.pv.get("$si"))
        if source_allowed(networks, source):
            return False
        user = str(KSR.pv.get("$au"))
        KSR.notice(
            "sip source refused: user " + user + " from " + source + " " + method + "\n"
        )
        self.events.send(EVENT_SOURCE_REFUSED, source, user, method)
        KSR.sl.sl_send_reply(403, "Forbidden")
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
        saved = KSR.registrar.save(LOCATION_TABLE, 0)
        if saved not in SAVED_BINDING:
            return True
        # The agent sends a phone that starts registering its message
        # waiting state (a phone that rebooted learns of messages left while
        # it was away), but not on every refresh: that would be a datagram,
        # a mailbox look-up and a NOTIFY per REGISTER on the registrar's
        # hot path. RFC 3261 section 10.2.4: a phone keeps its Call-ID for
        # every REGISTER of one boot cycle, so a Call-ID seen lately is a
        # refresh; a new one is a new phone or a reboot.
        if saved == REGISTRAR_UPDATED and KSR.pv.is_null(REGISTRATION_SEEN) <= 0:
            return True
        KSR.pv.seti(REGISTRATION_SEEN, 1)
        self.calls.send(
            "registered", str(KSR.pv.get("$ci")), extension=str(KSR.pv.get("$tU"))
        )
        return True

    def withhold_once(self, method: str) -> bool:
        """The withhold code and a number: this one call withholds the
        caller's number; the number is then routed as if dialled alone."""
        if method != "INVITE":
            return False
        user = str(KSR.pv.get("$rU") or "")
        found = match(self.dialplan.current().feature_codes, user)
        if found is None or found[0] != WITHHOLD_FEATURE:
            return False
        KSR.pv.sets(AVP_WITHHOLD, "1")
        KSR.pv.sets("$rU", found[1])
        return False

    def speed_dial(self, method: str) -> bool:
        """A company speed dial: the stored number, as if the caller dialled it.

        The prefix and code are replaced in the request URI, and the later
        steps route the call on (a service number, the outbound routes with
        their toll-fraud guard, or an extension). A code with no speed dial
        ends here with 404, rather than going out to a carrier as digits.
        """
        user = str(KSR.pv.get("$rU") or "")
        if method != "INVITE":
            return False
        plan = self.dialplan.current()
        found = match(plan.feature_codes, user)
        if found is None or found[0] != SPEED_DIAL_FEATURE:
            return False
        number = plan.speed_dials.get(found[1])
        if number is None:
            KSR.sl.sl_send_reply(404, "No Such Speed Dial")
            return True
        KSR.pv.sets("$rU", number)
        return False

    def intercom(self, method: str) -> bool:
        """The intercom code and an extension: ring its phones with the
        auto-answer header.

        Each registered phone's User-Agent chooses the header its vendor
        honours; a phone still answers only when set to allow it. An
        extension on do-not-disturb is not intercom'd: 486. There is no
        voicemail and no forwarding: an intercom call that fails, fails.
        """
        user = str(KSR.pv.get("$rU") or "")
        if method != "INVITE":
            return False
        found = match(self.dialplan.current().feature_codes, user)
        if found is None or found[0] != INTERCOM_FEATURE:
            return False
        number = found[1]
        ruri = "sip:" + number + "@" + self.settings.realm
        if not number.isdigit() or not is_extension(ruri):
            KSR.sl.sl_send_reply(404, "No Such Extension")
            return True
        if number == self.calling_extension():
            KSR.sl.sl_send_reply(403, "No Intercom To Oneself")
            return True
        if load_features(self.dialplan.connection(), number).dnd:
            KSR.info("intercom to " + number + ": do not disturb\n")
            KSR.sl.sl_send_reply(486, "Busy Here")
            return True

        KSR.pv.sets("$ru", ruri)
        headers = self.auto_answer_for(ruri)
        if KSR.registrar.lookup(LOCATION_TABLE) < 0:
            KSR.sl.sl_send_reply(480, "Temporarily Unavailable")
            return True
        KSR.rr.record_route()
        self.remove_auto_answer_request()
        for header in headers:
            KSR.hdr.append(header + "\r\n")
        KSR.tm.t_on_reply("ksr_onreply_route_manage")
        ring_for(self.settings.ring_ms, PHONE_REPLY_TIMEOUT_MS)
        self.follow_lamps(self.calling_extension(), [number])
        self.extension_call_started()
        if KSR.isflagset(FLAG_NATED_SOURCE) or KSR.isbflagset(FLAG_NAT_BRANCH):
            self.relay_media()
        KSR.info("intercom to " + number + ": " + "; ".join(headers) + "\n")
        self.relay()
        return True

    def auto_answer_for(self, ruri: str) -> list[str]:
        """The auto-answer headers for every phone registered at ruri.

        Known shortcoming: the headers go to every phone of the extension
        alike (one request forks to all of them), so a Yealink and a
        Grandstream on one extension each get the other's header too; a
        phone ignores a header it does not honour.
        """
        headers: list[str] = []
        fetched = KSR.registrar.reg_fetch_contacts(
            LOCATION_TABLE, ruri, INTERCOM_CONTACTS
        )
        if fetched < 0:
            return auto_answer_headers("", self.settings.realm)
        count = int(KSR.pv.get("$ulc(" + INTERCOM_CONTACTS + "=>count)") or 0)
        for i in range(count):
            agent = KSR.pv.get(
                "$(ulc(" + INTERCOM_CONTACTS + "=>user_agent)[" + str(i) + "])"
            )
            for header in auto_answer_headers(str(agent or ""), self.settings.realm):
                if header not in headers:
                    headers.append(header)
        KSR.registrar.reg_free_contacts(INTERCOM_CONTACTS)
        return headers or auto_answer_headers("", self.settings.realm)

    def remove_auto_answer_request(self) -> None:
        """Drop a caller's own auto-answer headers: only the PBX may ask a
        phone to open its microphone, so no phone can listen in on another
        by sending the header in an ordinary call."""
        call_info = str(KSR.pv.get("$hdr(Call-Info)") or "")
        alert_info = str(KSR.pv.get("$hdr(Alert-Info)") or "")
        if asks_auto_answer(call_info, alert_info):
            KSR.hdr.remove("Call-Info")
            KSR.hdr.remove("Alert-Info")

    def to_service_number(self, method: str) -> bool:
        """Feature codes, IVR menus, conference rooms, page groups and call
        queues: the media service.

        Other numbers that are no extension go on to the outbound routes
        (to_outside), so a number a route sends out is never taken here.
        """
        # Only the media service may say why a call comes to voicemail.
        KSR.hdr.remove(MEDIA_TOKEN_HEADER)
        KSR.hdr.remove(VOICEMAIL_HEADER)
        KSR.hdr.remove(TRUNK_HEADER)
        if method != "INVITE" or not self.settings.media_token:
            return False
        ruri = KSR.pv.get("$ru")
        user = str(KSR.pv.get("$rU") or "")
        found = match(self.dialplan.current().feature_codes, user)
        feature = found[0] if found is not None else ""
        if feature == SPEED_DIAL_FEATURE:
            feature = ""
        if not feature and is_extension(ruri):
            return False
        # A park slot meets its parked call on one worker, as a room does.
        is_room = self.is_numbered_in("conference_room", user) or self.is_park_slot(
            user
        )
        is_queue = self.is_numbered_in("call_queue", user)
        if not (
            feature
            or is_room
            or is_queue
            or self.is_numbered_in("ivr_menu", user)
            or self.is_numbered_in("page_group", user)
        ):
            return False
        KSR.rr.record_route()
        if is_room:
            KSR.setflag(FLAG_TO_ROOM)
        self.follow_lamps(self.calling_extension(), [])
        self.extension_call_started()
        if feature in VOICEMAIL_FEATURES:
            self.calls.send(CALL_TO_VOICEMAIL, str(KSR.pv.get("$ci")))
        if is_queue:
            # Told before the worker answers, so the answer never counts.
            self.calls.send(CALL_QUEUED, str(KSR.pv.get("$ci")), queue=user)
        if not self.to_media_worker():
            self.extension_call_failed(503)
        return True

    def is_numbered_in(self, table: str, number: str) -> bool:
        """Whether a row of table (a fixed name) has this number.

        Read only, from this Kamailio child's own connection.
        """
        if not self.settings.config_db or not number.isdigit():
            return False
        try:
            if self._config is None:
                self._config = sqlite3.connect(
                    "file:" + self.settings.config_db + "?mode=ro", uri=True
                )
            row = self._config.execute(
                "SELECT 1 FROM " + table + " WHERE number = ?", (number,)
            ).fetchone()
        except sqlite3.Error:
            self._config = None
            return False
        return row is not None

    def is_park_slot(self, number: str) -> bool:
        """Whether number is one of the park slots (agent/park)."""
        if not self.settings.config_db or not number.isdigit():
            return False
        try:
            if self._config is None:
                self._config = sqlite3.connect(
                    "file:" + self.settings.config_db + "?mode=ro", uri=True
                )
        except sqlite3.Error:
            return False
        return number in read_park_slots(self._config).slots

    def to_extension(self, method: str) -> bool:
        """Ring every registered contact of the called extension at once."""
        if method == "INVITE":
            KSR.rr.record_route()

        ruri = KSR.pv.get("$ru")
        if not is_extension(str(ruri)):
            KSR.sl.sl_send_reply(404, "Not Found")
            return True

        KSR.pv.sets(DIALED_AVP, str(KSR.pv.get("$rU") or ""))
        if method == "INVITE":
            self.remove_auto_answer_request()
        if method == "INVITE" and self.ring_with_features(str(KSR.pv.get(DIALED_AVP))):
            return True  # do-not-disturb or forwards (agent/sip/forwarding.py)
        rc = KSR.registrar.lookup(LOCATION_TABLE)
        if rc == -1 and method == "INVITE" and self.settings.media_token:
            # No phone registered right now: the extension's voicemail.
            self.extension_call_started()
            if not self.to_media_worker("unavailable"):
                self.extension_call_failed(503)
            return True
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
            ring_for(self.settings.ring_ms, PHONE_REPLY_TIMEOUT_MS)
            self.follow_lamps(self.calling_extension(), [str(KSR.pv.get(DIALED_AVP))])
            self.extension_call_started()
            callee = str(KSR.pv.get(DIALED_AVP))
            caller = self.calling_extension() or ""
            self.present_internal_name(caller)
            record = self.dialplan.current().records(caller, callee)
            if record:
                # A recorded call: the relay captures its media.
                self.relay_media(record=True)
            elif KSR.isflagset(FLAG_NATED_SOURCE) or KSR.isbflagset(FLAG_NAT_BRANCH):
                # A phone behind NAT: media through the relay, both ways.
                self.relay_media()
            self.pickable()
        self.relay()
        if method == "INVITE":
            self.note_ringing(str(KSR.pv.get(DIALED_AVP)))
        return True

    def present_internal_name(self, caller: str) -> None:
        """The calling extension's internal caller ID name (its Name when
        it has none of its own) in From's display name: what the called
        phones show."""
        name = self.dialplan.current().caller_id(caller).internal_name
        if name:
            KSR.pv.sets("$fn", quoted(name))

    # -- the media service ---------------------------------------------------

    def to_voicemail(self, reason: str) -> bool:
        """From the failure route: the dialled extension's mailbox; whether
        the call went there."""
        dialed = str(KSR.pv.get(DIALED_AVP) or "")
        if not dialed:
            return False
        self.uncount_call(dialed)
        KSR.pv.sets("$ru", "sip:" + dialed + "@" + self.settings.realm)
        return self.to_media_worker(reason)

    def to_media_worker(self, voicemail_reason: str | None = None) -> bool:
        """Send the call to a media worker, with the trust token; False when
        no worker is there (the caller got a 503). With a voicemail reason
        the call's record is told it goes on to a mailbox."""
        algorithm = (
            MEDIA_DISPATCH_BY_NUMBER
            if KSR.isflagset(FLAG_TO_ROOM)
            else MEDIA_DISPATCH_ROUND_ROBIN
        )
        if KSR.dispatcher.ds_select_dst(MEDIA_DISPATCHER_SET, algorithm) < 0:
            KSR.sl.sl_send_reply(503, "Media Service Unavailable")
            return False
        if voicemail_reason:
            KSR.pv.sets(VOICEMAIL_REASON_AVP, voicemail_reason)
            self.calls.send(CALL_TO_VOICEMAIL, str(KSR.pv.get("$ci")))
        self.add_media_headers(voicemail_reason)
        KSR.setflag(FLAG_TO_MEDIA)
        self.relay_to_media_worker()
        return True

    def to_service(self, kind: str, number: str) -> bool:
        """An IVR menu, queue, conference room (by number) or an extension's
        mailbox: the media service answers; False when no worker is there.

        A mailbox is reached as a busy or unanswered call reaches it: the
        caller hears the greeting ("unavailable") and leaves a message.
        """
        KSR.pv.sets("$ru", "sip:" + number + "@" + self.settings.realm)
        if kind == "conference":
            KSR.setflag(FLAG_TO_ROOM)
        return self.to_media_worker("unavailable" if kind == "voicemail" else None)

    def add_media_headers(self, voicemail_reason: str | None) -> None:
        if voicemail_reason:
            KSR.hdr.append(VOICEMAIL_HEADER + ": " + voicemail_reason + "\r\n")
        if KSR.pv.is_null(AVP_INBOUND_TRUNK) <= 0:
            trunk = str(KSR.pv.get(AVP_INBOUND_TRUNK))
            KSR.hdr.append(TRUNK_HEADER + ": " + trunk + "\r\n")
        token = self.settings.media_token
        KSR.hdr.append(MEDIA_TOKEN_HEADER + ": " + token + "\r\n")

    def relay_to_media_worker(self) -> None:
        ring_for(MEDIA_RING_TIMEOUT_MS, MEDIA_WORKER_TIMEOUT_MS)
        KSR.tm.t_on_failure("ksr_failure_route_manage")
        # The worker's answer is the call's answer in its record.
        KSR.tm.t_on_reply("ksr_onreply_route_manage")
        self.relay()

    # -- small shared pieces -------------------------------------------------

    def relay(self) -> None:
        if KSR.tm.t_relay() < 0:
            KSR.sl.sl_reply_error()

    def carried_credentials(self, method: str) -> bool:
        if method == "REGISTER":
            return KSR.hdr.is_present("Authorization") > 0
        return KSR.hdr.is_present("Proxy-Authorization") > 0


@functools.lru_cache(maxsize=ALLOWED_NETWORKS_CACHE)
def _networks(text: str) -> tuple:
    return tuple(ipaddress.ip_network(n) for n in text.split(",") if n)


def source_allowed(networks: str, source: str) -> bool:
    """Whether source lies in one of the comma-separated networks.

    No networks: allowed. A stored text that does not parse (the agent
    validates every change, so only a hand-edited database) refuses all.
    """
    if not networks.strip():
        return True
    try:
        allowed = _networks(networks)
        ip = ipaddress.ip_address(source.removeprefix("[").removesuffix("]"))
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in allowed)


# Every request but REGISTER goes through the whole pipeline. A REGISTER is
# answered statelessly by the registrar and never belongs to a dialog or a
# relayed transaction, so the dialog, transaction and server steps would
# only cost it time: registrations are the bulk of a PBX's SIP traffic.
REQUEST_PIPELINE = (
    Routing.screen_source,
    Routing.reqinit,
    Routing.request_syntax,
    Routing.natdetect,
    Routing.withindlg,
    Routing.cancel_and_retransmissions,
    Routing.from_media_service,
    Routing.to_the_pbx_itself,
    Routing.from_trunk,
    Routing.authenticate,
    Routing.allowed_source,
    Routing.register,
    Routing.transferred,
    Routing.watch,
    Routing.pickup,
    Routing.withhold_once,
    Routing.speed_dial,
    Routing.intercom,
    Routing.to_service_number,
    Routing.to_outside,
    Routing.to_extension,
)
REGISTER_PIPELINE = (
    Routing.screen_source,
    Routing.reqinit,
    Routing.request_syntax,
    Routing.natdetect,
    Routing.authenticate,
    Routing.allowed_source,
    Routing.register,
)


def mod_init() -> Routing:
    """Called once by app_python3 when Kamailio starts."""
    return Routing(RoutingSettings.from_environment())
