"""Calls to and from the outside world, as steps of the KEMI routing.

Mixed into ``Routing`` (agent/sip/routing.py). Two pipeline steps:

- ``from_trunk`` (before authentication): a request from a trunk's address
  and port is the carrier's; its DID is read from the trunk's DID header and
  the inbound route for that DID (and caller ID) says which extension rings.
- ``to_outside`` (after the registrar, before extensions): an extension
  dialling a number that is no extension is matched against the outbound
  routes in order; the first route that allows the caller and has a
  matching dial pattern sends the call to its first trunk, and a trunk that
  answers 5xx, 408 or not at all hands the call to the next one.

Media of every trunk call goes through rtpengine (and so does a call with a
phone behind NAT): the SDP offer in the request route, the answer in the
reply route, the end with the BYE. In-dialog requests know a relayed call by
the "mr" parameter this step puts in its Record-Route.

Every call that crosses a trunk sends three events at most to the agent,
which keeps the call detail record: started, answered, ended (with the
final SIP status when it never was answered). They are JSON datagrams on
``run/call-events.sock``, like security events: never blocking, lost (not
retried) while the agent is down.

The routing data (trunks, routes, DIDs) is read from the configuration
database with a read-only SQLite connection per Kamailio process and read
again only when another process committed a change (``PRAGMA
data_version``), so a change made by the CLI or the web admin applies to the
next call without reloading Kamailio. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import sqlite3
import time
from dataclasses import dataclass, field, replace

try:
    import KSR  # provided by Kamailio's app_python3 at run time
except ModuleNotFoundError:
    KSR = None

try:  # inside Kamailio this directory is on sys.path; in the agent, agent.sip
    from dial_patterns import DialPattern, compile_pattern
    from feature_codes import DEFAULT_CODES, load_codes
    from schedule import is_open
except ModuleNotFoundError:
    from agent.sip.dial_patterns import DialPattern, compile_pattern
    from agent.sip.feature_codes import DEFAULT_CODES, load_codes
    from agent.sip.schedule import is_open

# Message flag: this call's media is relayed by rtpengine. Not 8 or 9: the
# routing marks calls to the media service and to conference rooms with
# those (routing.FLAG_TO_MEDIA, FLAG_TO_ROOM).
FLAG_MEDIA_RELAY = 10
# Record-Route parameter that tells in-dialog requests the same.
MEDIA_RR_PARAM = "mr=1"
# Record-Route parameter naming the trunk (its id) of a call whose codecs
# the trunk limits, so that a new offer in the call keeps to them.
TRUNK_RR_PARAM = "mt"
# rtpengine flags: the relay's address in c= and o= lines, no ICE towards
# phones and carriers that would try to reach each other directly.
RTPENGINE_FLAGS = "replace-origin replace-session-connection ICE=remove"
# RFC 4733 DTMF events stay in a trunk's offer whatever its codecs.
DTMF_CODEC = "telephone-event"
# What every desk phone speaks (RFC 3551 section 4.5.14): a call from a
# trunk limited to other codecs offers these too, transcoded by rtpengine.
PHONE_CODECS = ("PCMU", "PCMA")
# Added to the offer of a call to record: rtpengine captures its packets
# (--recording-method=pcap) and the agent makes them audio (agent/recordings).
RECORD_FLAG = " record-call=yes"
# An extension's recording setting: which of its calls are recorded.
RECORDS_INBOUND = {"inbound", "both"}
RECORDS_OUTBOUND = {"outbound", "both"}
# A trunk that sends no provisional reply in this long is taken as down and
# the next trunk is tried (RFC 3261 Timer B is 32 s, far too long to wait
# with a caller on the line); once it rings, the caller waits as for an
# extension.
TRUNK_NO_REPLY_MS = 4000
# Kamailio's table of SIP accounts: a view of the extensions (migration 2),
# read by auth_db for digest authentication and for is_extension.
SUBSCRIBER_TABLE = "subscriber"
# auth_db's is_subscriber flag 2: only ask whether the user exists, load
# none of its credentials.
SUBSCRIBER_EXISTS_ONLY = 2

# nathelper's nat_uac_test for a reply: 1 = the Contact is a private
# address, 4 = the top Via is one.
NAT_TESTS_REPLY = 1 | 4
# nat_uac_test 128: the Contact's port is not the port the message came
# from. Over UDP a phone is reached where it sends from: RFC 3581 symmetric
# response routing, and the registrar's requests go to a REGISTER's source.
# So a phone whose Contact names its public address with another port (a
# NAT mapping it did not learn) is behind a NAT as much as one naming its
# private address: requests in its dialogs (RFC 3261 section 12.2, the
# Contact as remote target) would go to a port where nothing answers.
NAT_TEST_CONTACT_PORT = 128

# tm's fr_timer (kamailio.cfg.tmpl): how long a phone may take to send any
# reply at all; a ring time replaces only the time it may ring (fr_inv).
PHONE_REPLY_TIMEOUT_MS = 30000
TRUNK_RING_MS = 60000
# What follows a ring step in the failure route (the next member, a forward,
# the voicemail) must fit in the transaction's life too: the time for that
# next step to send its first reply.
NEXT_STEP_MS = 30000
# Replies after which the next trunk is tried: the trunk is down, busy as a
# whole, or overloaded (RFC 3261 section 21.5), or it did not answer.
FAILOVER_CODES = {408} | set(range(500, 600))
AVP_TRUNKS_LEFT = "$avp(edgepbx_trunks_left)"
AVP_TRUNK = "$avp(edgepbx_trunk)"
# Whose call the carrier is told it is (the extension whose caller ID is
# presented) and through which route, read per trunk by the branch route.
AVP_PRESENTED_EXTENSION = "$avp(edgepbx_cid_extension)"
AVP_ROUTE = "$avp(edgepbx_route)"
# Set on a call out that withholds the caller's number: the extension's
# setting, or the withhold code dialled before the number.
AVP_WITHHOLD = "$avp(edgepbx_withhold)"
AVP_DIALLED = "$avp(edgepbx_dialled)"
AVP_MEMBERS_LEFT = "$avp(edgepbx_members_left)"
AVP_AUTH_SENT = "$avp(edgepbx_auth_sent)"
# The relay's flags for a call out, offered per branch (to each trunk with
# its own codecs) by the branch route: an offer made in the request route
# would be the body of every branch, a failover's trunk included.
AVP_BRANCH_OFFER = "$avp(edgepbx_branch_offer)"
# RFC 3261 section 22.2/22.3: the carrier wants our credentials.
CHALLENGE_CODES = {401, 407}
AVP_FAILOVER = "$avp(edgepbx_failover)"
# The trunk an inbound call came in on, for the media service: a worker
# hands such a caller on by joining calls, not by REFER (agent/media).
AVP_INBOUND_TRUNK = "$avp(edgepbx_inbound_trunk)"
# Destinations the media service answers (agent/destinations.py): an
# inbound route, a time condition or a ring group's failover leading
# there sends the call to a media worker as an extension's call to that
# number is sent.
MEDIA_KINDS = {"ivr", "queue", "conference", "voicemail"}
# A destination that ends the call at once: busy, no announcement.
HANGUP_KIND = "hangup"
HANGUP_REPLY = (486, "Busy Here")
# A chain of ring group failovers and time conditions is refused where it
# loops when saved (agent/routes/groups.py); this bounds the walk anyway.
DESTINATION_HOPS_MAX = 8

# Toll-fraud guard refusals: a security event of this kind, and the reply.
EVENT_GUARD = "toll-fraud-guard"
GUARD_SETTING = "calls.guard"
# A call record still open after this long is a lost end, not a live call.
OPEN_CALL_MAX_S = 4 * 3600

CALL_STARTED = "started"
#: Where the transferer of the call being routed is kept (agent/sip/transfer.py);
#: a call's "started" event names it, for the call record.
TRANSFERRED_BY_AVP = "$avp(transferred_by)"
CALL_ANSWERED = "answered"
CALL_ENDED = "ended"
# The call goes on to a mailbox; answered there, its record says voicemail.
CALL_TO_VOICEMAIL = "voicemail"
# The call goes to a call queue: the media worker's answer is not the
# callee's, an agent's will be (agent/cdr/records.py, agent/queues/flow.py).
CALL_QUEUED = "queued"
# A call that rang an extension goes on out through a trunk (a forward on
# busy or no answer): the same record becomes an outbound call.
CALL_FORWARDED = "forwarded"

# What a phone dials before a company speed dial's code (agent/speed_dial)
# by default: the star keeps it clear of extension numbers and outside
# numbers, and no other feature code starts with it. The feature-code table
# may change it (Dialplan.feature_codes["speed_dial"]).
SPEED_DIAL_PREFIX = DEFAULT_CODES["speed_dial"]


def is_extension(uri: str) -> bool:
    """Whether the user of uri (a SIP URI of this PBX's realm) is one of its
    extensions: auth_db's is_subscriber over the subscriber view of the
    extensions (migration 2), asking only whether the user exists."""
    found = KSR.auth_db.is_subscriber(uri, SUBSCRIBER_TABLE, SUBSCRIBER_EXISTS_ONLY)
    return found > 0


def ring_for(ring_ms: int, reply_ms: int) -> None:
    """Ring the next branch for ring_ms once it rings, reply_ms before that.

    The one rule for every ring time (an extension's no-answer time, a ring
    group's, a trunk's, a media worker's): tm's per-transaction final
    response timers (t_set_fr), and a transaction life (t_set_max_lifetime,
    counted from now) long enough for this ring and the step after it. The
    default life, RFC 3261 Timer C's 180 s, would otherwise cut a 120 s ring
    followed by a forward. A phone repeats its 180 every minute (RFC 3261
    section 13.3.1.1); tm's restart_fr_on_each_reply is off
    (kamailio.cfg.tmpl), so a repeat does not start the ring time again.
    """
    KSR.tm.t_set_fr(ring_ms, reply_ms)
    KSR.tm.t_set_max_lifetime(reply_ms + ring_ms + NEXT_STEP_MS, 0)


@dataclass(frozen=True)
class Trunk:
    id: int
    name: str
    kind: str
    host: str
    port: int
    transport: str
    outbound_proxy: str
    username: str
    caller_id_header: str
    did_header: str
    recording: bool = False
    #: Codecs the carrier may get, preferred first; (): whatever the phones
    #: offer.
    codecs: tuple[str, ...] = ()
    #: The PBX's main number at this carrier, a number the carrier lets the
    #: PBX present: the trunk's own main number, else its DID added first
    #: (the lowest row id, not the lowest number the lists show first; ""
    #: with neither). load_dialplan applies that rule, the one place it is.
    main_number: str = ""

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}"

    def offer_flags_out(self) -> str:
        """rtpengine flags for a phone's offer going to this trunk.

        Every codec of the phone is masked (kept for the phone's side, taken
        out of what the carrier sees) and the trunk's codecs are offered in
        their order; rtpengine transcodes the ones the phone did not offer.
        """
        if not self.codecs:
            return ""
        offered = " ".join(f"codec-transcode={c}" for c in self.codecs)
        return f" codec-mask=all {offered} codec-transcode={DTMF_CODEC}"

    def offer_flags_in(self) -> str:
        """rtpengine flags for this trunk's offer going to a phone.

        The carrier's codecs not on the trunk are stripped, so the answer it
        gets names only the trunk's codecs; the phone is also offered G.711,
        transcoded, when the trunk's codecs leave it out.
        """
        if not self.codecs:
            return ""
        kept = " ".join(f"codec-offer={c}" for c in (*self.codecs, DTMF_CODEC))
        added = "".join(
            f" codec-transcode={c}" for c in PHONE_CODECS if c not in self.codecs
        )
        return f" codec-strip=all {kept}{added}"

    def request_uri(self, number: str) -> str:
        uri = f"sip:{number}@{self.hostport}"
        return uri + (";transport=tcp" if self.transport == "tcp" else "")


#: A withheld call's From: the display name and URI RFC 3323 recommends.
#: The number itself rides in P-Asserted-Identity (RFC 3325 section 9.1),
#: which the carrier must not pass on, as ``Privacy: id`` asks.
ANONYMOUS_FROM_NAME = "Anonymous"
ANONYMOUS_FROM_URI = "sip:anonymous@anonymous.invalid"
PRIVACY_ID = "Privacy: id\r\n"


@dataclass(frozen=True)
class CallerId:
    """An extension's caller ID (migration 43); "" for a field left unset."""

    outside_number: str = ""
    outside_name: str = ""
    internal_name: str = ""
    withhold: bool = False


NO_CALLER_ID = CallerId()


@dataclass(frozen=True)
class PatternRule:
    pattern: DialPattern
    strip: int
    prepend: str


@dataclass(frozen=True)
class OutboundRoute:
    name: str
    caller_id: str
    extensions: frozenset[str]
    patterns: tuple[PatternRule, ...]
    trunk_ids: tuple[int, ...]

    def allows(self, extension: str) -> bool:
        return not self.extensions or extension in self.extensions

    def dialled(self, number: str) -> str | None:
        for rule in self.patterns:
            if rule.pattern.match(number):
                return rule.pattern.dialled(number, rule.strip, rule.prepend)
        return None


@dataclass(frozen=True)
class RingGroup:
    number: str
    strategy: str
    ring_time_s: int
    #: (extension, ring time in seconds) in ringing order.
    members: tuple[tuple[str, int], ...]
    #: Where the call goes when no member took it: "KIND:TARGET" or "".
    failover: str


@dataclass(frozen=True)
class TimeCondition:
    name: str
    timezone: str
    hours: dict
    holidays: list
    mode: str
    open_target: tuple[str, str]
    closed_target: tuple[str, str]

    def target(self, now: dt.datetime) -> tuple[str, str]:
        open_now = is_open(self.hours, self.holidays, self.timezone, self.mode, now)
        return self.open_target if open_now else self.closed_target


@dataclass
class Dialplan:
    trunks: dict[int, Trunk] = field(default_factory=dict)
    #: (ip or host, port) -> trunk, for recognising a carrier's request.
    sources: dict[tuple[str, int], Trunk] = field(default_factory=dict)
    routes: list[OutboundRoute] = field(default_factory=list)
    #: (did, caller id or "") -> (destination kind, destination)
    inbound: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    #: The toll-fraud guard (agent.routes.guard.CallGuard as a dict).
    guard: dict = field(default_factory=dict)
    ring_groups: dict[str, RingGroup] = field(default_factory=dict)
    time_conditions: dict[str, TimeCondition] = field(default_factory=dict)
    #: speed dial code -> the number it stands for.
    speed_dials: dict[str, str] = field(default_factory=dict)
    #: feature -> its code now (agent/sip/feature_codes.py).
    feature_codes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CODES))
    #: extension -> its recording setting, for those that record any call.
    recording: dict[str, str] = field(default_factory=dict)
    #: extension -> its caller ID (the internal name its Name when it has
    #: none of its own), for every extension.
    caller_ids: dict[str, CallerId] = field(default_factory=dict)

    def caller_id(self, extension: str) -> CallerId:
        return self.caller_ids.get(extension, NO_CALLER_ID)

    def route_named(self, name: str) -> OutboundRoute | None:
        return next((r for r in self.routes if r.name == name), None)

    def presented_number(
        self, extension: str, route: OutboundRoute | None, trunk: Trunk
    ) -> str:
        """The number a call out presents to the carrier of trunk, the one
        place this precedence lives: the extension's outside caller ID, else
        the route's caller ID, else the trunk's main number, else the
        extension's own number (which means nothing to a carrier, the last
        resort of a trunk with neither main number nor DID)."""
        return (
            self.caller_id(extension).outside_number
            or (route.caller_id if route is not None else "")
            or trunk.main_number
            or extension
        )

    def records(self, caller: str, callee: str, trunk: Trunk | None = None) -> bool:
        """Whether a call from caller to callee (through trunk) is recorded."""
        return (
            (trunk is not None and trunk.recording)
            or self.recording.get(caller) in RECORDS_OUTBOUND
            or self.recording.get(callee) in RECORDS_INBOUND
        )

    def trunk_named(self, name: str) -> Trunk | None:
        return next((t for t in self.trunks.values() if t.name == name), None)

    def resolve(self, kind: str, destination: str, now: dt.datetime) -> tuple[str, str]:
        """A time condition's destination at this moment; others as they are."""
        if kind == "time_condition":
            condition = self.time_conditions.get(destination)
            if condition is None:
                return ("", "")
            return condition.target(now)
        return (kind, destination)

    def failover_of(self, number: str, now: dt.datetime) -> tuple[str, str]:
        """Where a ring group's call goes when no member took it; ("", "")
        for nowhere."""
        group = self.ring_groups.get(number)
        if group is None or not group.failover:
            return ("", "")
        kind, _, target = group.failover.partition(":")
        return self.resolve(kind, target, now)


def _addresses(host: str) -> set[str]:
    """The host itself and, for a name, its addresses (resolved at load)."""
    found = {host}
    try:
        for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP):
            found.add(info[4][0])
    except OSError:
        pass
    return found


def load_dialplan(con: sqlite3.Connection) -> Dialplan:
    plan = Dialplan()
    for row in con.execute(
        "SELECT id, name, kind, host, port, transport, outbound_proxy, username,"
        " caller_id_header, did_header, recording, codecs, main_number FROM trunk"
        " WHERE enabled = 1"
    ):
        trunk = Trunk(
            id=row[0],
            name=row[1],
            kind=row[2],
            host=row[3],
            port=row[4],
            transport=row[5],
            outbound_proxy=row[6] or "",
            username=row[7] or "",
            caller_id_header=row[8],
            did_header=row[9],
            recording=bool(row[10]),
            codecs=tuple(c for c in (row[11] or "").split(",") if c),
            main_number=row[12] or "",
        )
        plan.trunks[trunk.id] = trunk
    # A trunk with no main number of its own presents its DID added first.
    for trunk_id, did in con.execute("SELECT trunk_id, did FROM trunk_did ORDER BY id"):
        trunk = plan.trunks.get(trunk_id)
        if trunk is not None and not trunk.main_number:
            plan.trunks[trunk_id] = replace(trunk, main_number=did)
    for trunk in plan.trunks.values():
        for address in _addresses(trunk.host):
            plan.sources[(address, trunk.port)] = trunk

    patterns: dict[int, list[PatternRule]] = {}
    for route_id, text, strip, prepend in con.execute(
        "SELECT route_id, pattern, strip, prepend FROM dial_pattern ORDER BY position"
    ):
        try:
            rule = PatternRule(compile_pattern(text), strip, prepend)
        except ValueError:
            continue  # refused at save time; never stored by the agent
        patterns.setdefault(route_id, []).append(rule)
    trunk_ids: dict[int, list[int]] = {}
    for route_id, trunk_id in con.execute(
        "SELECT route_id, trunk_id FROM outbound_route_trunk ORDER BY position"
    ):
        if trunk_id in plan.trunks:
            trunk_ids.setdefault(route_id, []).append(trunk_id)
    for route_id, name, caller_id, extensions in con.execute(
        "SELECT id, name, caller_id, extensions FROM outbound_route"
        " WHERE enabled = 1 ORDER BY position"
    ):
        plan.routes.append(
            OutboundRoute(
                name=name,
                caller_id=caller_id or "",
                extensions=frozenset(json.loads(extensions or "[]")),
                patterns=tuple(patterns.get(route_id, ())),
                trunk_ids=tuple(trunk_ids.get(route_id, ())),
            )
        )

    for did, caller_id, kind, destination in con.execute(
        "SELECT did, caller_id, destination_kind, destination FROM inbound_route"
    ):
        plan.inbound[(did, caller_id or "")] = (kind, destination)
    row = con.execute(
        "SELECT value FROM system_setting WHERE key = ?", (GUARD_SETTING,)
    ).fetchone()
    plan.guard = json.loads(row[0]) if row else {}
    for number, strategy, ring_time, members, failover in con.execute(
        "SELECT number, strategy, ring_time_s, members, failover FROM ring_group"
    ):
        plan.ring_groups[number] = RingGroup(
            number=number,
            strategy=strategy,
            ring_time_s=ring_time,
            members=tuple(
                (m["extension"], int(m.get("ring_time_s") or ring_time))
                for m in json.loads(members)
            ),
            failover=failover or "",
        )
    for row in con.execute(
        "SELECT name, timezone, hours, holidays, mode, open_kind, open_destination,"
        " closed_kind, closed_destination FROM time_condition"
    ):
        plan.time_conditions[row[0]] = TimeCondition(
            name=row[0],
            timezone=row[1],
            hours=json.loads(row[2]),
            holidays=json.loads(row[3]),
            mode=row[4],
            open_target=(row[5], row[6]),
            closed_target=(row[7], row[8]),
        )
    plan.speed_dials = dict(con.execute("SELECT code, number FROM speed_dial"))
    plan.feature_codes = load_codes(con)
    plan.recording = dict(
        con.execute("SELECT number, recording FROM extension WHERE recording != 'off'")
    )
    plan.caller_ids = {
        number: CallerId(*fields)
        for number, *fields in con.execute(
            # The internal name is the extension's Name unless it has one
            # of its own: the called phones show what the PBX says, not
            # whatever the calling phone was set up with.
            "SELECT number, outside_cid_number, outside_cid_name,"
            " CASE WHEN internal_cid_name != '' THEN internal_cid_name"
            " ELSE display_name END, withhold_number FROM extension"
        )
    }
    return plan


def country_refused(guard: dict, caller: str, dialled: str) -> bool:
    """An international number to a country this caller may not call."""
    allowed = guard.get("extension_countries", {}).get(caller)
    if allowed is None:
        allowed = guard.get("allowed_countries")
    if allowed is None:
        return False
    for prefix in sorted(
        guard.get("international_prefixes", []), key=len, reverse=True
    ):
        if dialled.startswith(prefix):
            rest = dialled[len(prefix) :]
            return not any(rest.startswith(code) for code in allowed)
    return False


def limit_reached(con: sqlite3.Connection, guard: dict, caller: str, now: float) -> str:
    """Which call limit this call would break, or ""."""
    window = guard.get("window_s", 60)
    since = now - window
    per_extension = guard.get("per_extension_calls", 0)
    if per_extension:
        (count,) = con.execute(
            "SELECT count(*) FROM cdr WHERE direction = 'out' AND src = ?"
            " AND started_at >= ?",
            (caller, since),
        ).fetchone()
        if count >= per_extension:
            calls = "call" if count == 1 else "calls"
            return f"{count} {calls} from {caller} in {window} s"
    total = guard.get("total_calls", 0)
    if total:
        (count,) = con.execute(
            "SELECT count(*) FROM cdr WHERE direction = 'out' AND started_at >= ?",
            (since,),
        ).fetchone()
        if count >= total:
            return f"{count} outbound calls in {window} s"
    concurrent = guard.get("concurrent_calls", 0)
    if concurrent:
        (count,) = con.execute(
            "SELECT count(*) FROM cdr WHERE direction = 'out' AND ended_at IS NULL"
            " AND started_at >= ?",
            (now - OPEN_CALL_MAX_S,),
        ).fetchone()
        if count >= concurrent:
            calls = "call" if count == 1 else "calls"
            return f"{count} outbound {calls} up at once"
    return ""


class DialplanSource:
    """The routing data of one Kamailio process, re-read after each change."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._con: sqlite3.Connection | None = None
        self._version: int | None = None
        self._plan = Dialplan()

    def connection(self) -> sqlite3.Connection | None:
        self.current()
        return self._con

    def current(self) -> Dialplan:
        if not self.path:
            return self._plan
        try:
            if self._con is None:
                self._con = sqlite3.connect(
                    f"file:{self.path}?mode=ro", uri=True, timeout=1.0
                )
            version = self._con.execute("PRAGMA data_version").fetchone()[0]
            if version != self._version:
                self._plan = load_dialplan(self._con)
                self._version = version
        except sqlite3.Error as exc:
            KSR.err("routing data unreadable: " + str(exc) + "\n")
            self._con = None
        return self._plan


class DatagramSender:
    """Sends events to one of the agent's sockets: one datagram each.

    The socket is non-blocking and every error is swallowed: if the agent is
    down or its queue is full the event is lost, and the SIP request goes on
    as if nothing was sent. Each Kamailio child opens its own socket lazily.
    An empty path sends nothing.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._sock: socket.socket | None = None

    def _send(self, event: dict) -> None:
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sock.setblocking(False)
            self._sock.sendto(json.dumps(event).encode(), self.path)
        except OSError:
            pass


class CallEvents(DatagramSender):
    """Call progress for the agent's call records: fire and forget."""

    def send(self, kind: str, call_id: str, **fields: object) -> None:
        if not self.path:
            return
        if kind == CALL_STARTED and KSR.pv.is_null(TRANSFERRED_BY_AVP) <= 0:
            # The transferee's call on a transfer: who handed it on.
            fields.setdefault("transferred_by", str(KSR.pv.get(TRANSFERRED_BY_AVP)))
        self._send({"event": kind, "call_id": call_id, "at": time.time(), **fields})


def did_from_request(header: str) -> str:
    """The called number as the trunk's DID header carries it."""
    if header == "ruri":
        return str(KSR.pv.get("$rU") or "")
    if header == "pcpi":
        value = KSR.pv.get("$hdr(P-Called-Party-ID)")
        return _uri_user(str(value)) if value else ""
    if header == "diversion":
        value = KSR.pv.get("$di")
        return _uri_user(str(value)) if value else ""
    return str(KSR.pv.get("$tU") or "")


def quoted(name: str) -> str:
    """A display name as RFC 3261 section 25.1 writes it: quoted ("" for
    none). The extension rules keep quotes and backslashes out of names."""
    return '"' + name + '"' if name else ""


def _name_addr(name: str, uri: str) -> str:
    return (quoted(name) + " " if name else "") + "<" + uri + ">"


def _asserted_identity(name: str, uri: str) -> str:
    return "P-Asserted-Identity: " + _name_addr(name, uri) + "\r\n"


def _uri_user(value: str) -> str:
    start = value.find("sip:")
    if start < 0:
        start = value.find("tel:")
    if start < 0:
        return ""
    rest = value[start + 4 :]
    for end in ("@", ">", ";"):
        if end in rest:
            rest = rest.split(end, 1)[0]
    return rest


class OutsideCalls:
    """The trunk steps and routes; ``Routing`` provides settings and relay()."""

    dialplan: DialplanSource
    calls: CallEvents

    def init_outside(self, config_db: str, call_events_socket: str) -> None:
        self.dialplan = DialplanSource(config_db)
        self.calls = CallEvents(call_events_socket)

    # -- NAT -----------------------------------------------------------------

    def contact_port_misnamed(self) -> bool:
        """Whether this message is a phone's over UDP whose Contact names
        a port other than the one it came from (NAT_TEST_CONTACT_PORT).

        Over TCP or TLS the source port is the connection's, never the one
        a phone listens on; a carrier may name another port of its own on
        purpose. Neither is tested."""
        if str(KSR.pv.get("$pr")) != "udp":
            return False
        source = (str(KSR.pv.get("$si")), int(KSR.pv.get("$sp")))
        if source in self.dialplan.current().sources:
            return False
        return KSR.nathelper.nat_uac_test(NAT_TEST_CONTACT_PORT) > 0

    def fix_nated_reply(self) -> None:
        """A reply from behind a NAT gets the Contact it came from, so the
        requests of its dialog reach it."""
        if (
            KSR.nathelper.nat_uac_test(NAT_TESTS_REPLY) > 0
            or self.contact_port_misnamed()
        ):
            KSR.nathelper.fix_nated_contact()

    # -- inbound -------------------------------------------------------------

    def from_trunk(self, method: str) -> bool:
        """A new call from a carrier: its DID decides where it rings."""
        plan = self.dialplan.current()
        if not plan.sources:
            return False
        source = (str(KSR.pv.get("$si")), int(KSR.pv.get("$sp")))
        trunk = plan.sources.get(source)
        if trunk is None:
            return False
        if method != "INVITE":
            KSR.sl.sl_send_reply(405, "Method Not Allowed")
            return True

        did = did_from_request(trunk.did_header)
        caller = str(KSR.pv.get("$fU") or "")
        KSR.pv.sets(AVP_INBOUND_TRUNK, trunk.name)
        if self.transferred_from_trunk(plan, trunk, caller):
            return True
        KSR.hdr.remove("Referred-By")  # only the PBX says who transferred
        target = plan.inbound.get((did, caller)) or plan.inbound.get((did, ""))
        if target is None and did.startswith("+"):
            target = plan.inbound.get((did[1:], caller)) or plan.inbound.get(
                (did[1:], "")
            )
        if target is None:
            KSR.notice("trunk " + trunk.name + ": no inbound route for " + did + "\n")
            KSR.sl.sl_send_reply(404, "No Route For This Number")
            return True

        kind, destination = plan.resolve(*target, self.clock())
        KSR.rr.record_route()
        if kind == "extension" and self.ring_from_trunk(
            trunk.name, did, caller, destination
        ):
            return True  # do-not-disturb or forwards (agent/sip/forwarding.py)
        for _ in range(DESTINATION_HOPS_MAX):
            if kind in MEDIA_KINDS or kind == HANGUP_KIND:
                return self._trunk_to_service(plan, trunk, did, kind, destination)
            if self.ring_destination(plan, kind, destination):
                break
            if kind != "ring_group":
                KSR.sl.sl_send_reply(480, "Temporarily Unavailable")
                return True
            # Nobody of the group can ring now: straight to its failover.
            kind, destination = plan.failover_of(destination, self.clock())
        else:
            KSR.sl.sl_send_reply(480, "Temporarily Unavailable")
            return True
        self.relay_media(
            record=plan.records(
                caller, destination if kind == "extension" else "", trunk
            ),
            trunk=trunk,
        )
        # A ring group's call lights no member's lamp: the dialog module
        # would show every member in the call once one answers.
        self.follow_lamps(None, [destination] if kind == "extension" else [])
        self.calls.send(
            CALL_STARTED,
            str(KSR.pv.get("$ci")),
            direction="in",
            src=caller,
            dst=destination,
            did=did,
            trunk=trunk.name,
            caller_name=str(KSR.pv.get("$fn") or ""),
        )
        if kind != "ring_group":
            KSR.tm.t_on_failure("ksr_failure_route_outside")
        KSR.tm.t_on_reply("ksr_onreply_route_outside")
        self.relay()
        return True

    def _trunk_to_service(
        self, plan: Dialplan, trunk: Trunk, did: str, kind: str, destination: str
    ) -> bool:
        """A DID's call to an IVR menu, a queue, a conference room or a
        mailbox: to the media service through the relay, followed by the
        dialog module, as an extension's call to that number goes; or ended
        at once (hangup)."""
        caller = str(KSR.pv.get("$fU") or "")
        call_id = str(KSR.pv.get("$ci"))
        self.calls.send(
            CALL_STARTED,
            call_id,
            direction="in",
            src=caller,
            dst=destination or HANGUP_KIND,
            did=did,
            trunk=trunk.name,
            caller_name=str(KSR.pv.get("$fn") or ""),
        )
        if kind == HANGUP_KIND:
            KSR.sl.sl_send_reply(*HANGUP_REPLY)
            self.calls.send(CALL_ENDED, call_id, code=HANGUP_REPLY[0])
            return True
        self.relay_media(record=plan.records(caller, "", trunk))
        # Followed like every other call, though it lights no lamp: a stop
        # sends the carrier its BYE (agent/sip/dialogs.py) before the media
        # service goes, as for an answered call between phones.
        self.follow_lamps(None, [])
        if not self.to_service(kind, destination):
            self.calls.send(CALL_ENDED, call_id, code=503)
            self.end_media()
        return True

    def transferred_from_trunk(self, plan: Dialplan, trunk: Trunk, caller: str) -> bool:
        """The carrier follows an extension's transfer of its caller: the
        target extension rings as for an inbound route, with media through
        the relay; another number goes out as the transferer's call."""
        number = str(KSR.pv.get("$rU") or "")
        transferer = self.transfer_from_trunk(caller, number)
        if transferer is None:
            return False
        KSR.rr.record_route()
        ruri = "sip:" + number + "@" + self.settings.realm
        if not is_extension(ruri):
            return self.route_out(plan, transferer, number, record_route=False)
        if not self.ring_destination(plan, "extension", number):
            KSR.sl.sl_send_reply(480, "Temporarily Unavailable")
            return True
        self.relay_media(record=plan.records(caller, number, trunk))
        self.follow_lamps(None, [number])
        self.calls.send(
            CALL_STARTED,
            str(KSR.pv.get("$ci")),
            direction="in",
            src=caller,
            dst=number,
            trunk=trunk.name,
            caller_name=str(KSR.pv.get("$fn") or ""),
        )
        KSR.tm.t_on_failure("ksr_failure_route_outside")
        KSR.tm.t_on_reply("ksr_onreply_route_outside")
        self.relay()
        return True

    # -- destinations: extensions and ring groups ----------------------------

    @staticmethod
    def clock() -> dt.datetime:
        """Now, for time conditions (tests of the rules pass their own)."""
        return dt.datetime.now(dt.UTC)

    def _ring(self, extension: str, first: bool) -> bool:
        """Add the phones of an extension: as the R-URI, or as more branches."""
        uri = "sip:" + extension + "@" + str(KSR.pv.get("$Ri"))
        if first:
            return KSR.registrar.lookup_uri("location", uri) > 0
        return KSR.registrar.lookup_to_dset_uri("location", uri) > 0

    def ring_destination(self, plan: Dialplan, kind: str, destination: str) -> bool:
        """Point the request at an extension or a ring group; False if nobody."""
        if kind == "ring_group":
            group = plan.ring_groups.get(destination)
            return group is not None and self._ring_group(group)
        if kind == "extension":
            return self._ring(destination, first=True)
        return False

    def _ring_group(self, group: RingGroup) -> bool:
        KSR.pv.sets(AVP_FAILOVER, group.failover)
        KSR.tm.t_on_failure("ksr_failure_route_group")
        if group.strategy == "all":
            ringing = False
            for extension, _ in group.members:
                ringing = self._ring(extension, first=not ringing) or ringing
            if ringing:
                ring_for(group.ring_time_s * 1000, TRUNK_RING_MS)
                return True
            return self._ring_failover()
        # Sequential: one member at a time, each for its own ring time.
        return self._ring_next_member(list(group.members))

    def _ring_next_member(self, left: list) -> bool:
        while left:
            extension, ring_time = left.pop(0)
            if self._ring(extension, first=True):
                KSR.pv.sets(AVP_MEMBERS_LEFT, ",".join(f"{e}:{t}" for e, t in left))
                ring_for(int(ring_time) * 1000, TRUNK_RING_MS)
                return True
        KSR.pv.sets(AVP_MEMBERS_LEFT, "")
        return self._ring_failover()

    def _ring_failover(self) -> bool:
        """Ring the group's failover if it is an extension; any other
        failover is left for the caller of the group (pending_failover)."""
        failover = str(KSR.pv.get(AVP_FAILOVER) or "")
        kind, _, target = failover.partition(":")
        if kind != "extension":
            return False
        KSR.pv.sets(AVP_FAILOVER, "")
        if self._ring(target, first=True):
            ring_for(TRUNK_RING_MS, TRUNK_RING_MS)
            return True
        return False

    def pending_failover(self, plan: Dialplan) -> tuple[str, str]:
        """A ring group's failover that is no extension, taken once: where
        it leads now (a time condition resolved)."""
        failover = str(KSR.pv.get(AVP_FAILOVER) or "")
        KSR.pv.sets(AVP_FAILOVER, "")
        kind, _, target = failover.partition(":")
        if kind in {"", "extension"}:
            return ("", "")
        return plan.resolve(kind, target, self.clock())

    def ksr_failure_route_group(self, msg) -> int:
        """A ring group's member (or every member) did not take the call.

        A member who is busy or declines is passed over like one who does
        not answer; after the last member the failover extension rings.
        """
        call_id = str(KSR.pv.get("$ci"))
        if KSR.tm.t_is_canceled() > 0:
            self.calls.send(CALL_ENDED, call_id, code=487)
            self.end_media()
            return 1
        left = [
            item.split(":")
            for item in str(KSR.pv.get(AVP_MEMBERS_LEFT) or "").split(",")
            if item
        ]
        if self._ring_next_member(left):
            KSR.tm.t_on_failure("ksr_failure_route_group")
            KSR.tm.t_on_reply("ksr_onreply_route_outside")
            self.relay()
            return 1
        plan = self.dialplan.current()
        kind, target = self.pending_failover(plan)
        if kind == "ring_group" and self.ring_destination(plan, kind, target):
            KSR.tm.t_on_reply("ksr_onreply_route_outside")
            self.relay()
            return 1
        if kind in MEDIA_KINDS:
            if self.to_service(kind, target):
                return 1
            self.calls.send(CALL_ENDED, call_id, code=503)
            self.end_media()
            return 1
        if kind == HANGUP_KIND:
            KSR.tm.t_reply(*HANGUP_REPLY)
            self.calls.send(CALL_ENDED, call_id, code=HANGUP_REPLY[0])
            self.end_media()
            return 1
        code = int(KSR.pv.get("$T_reply_code") or 0)
        self.calls.send(CALL_ENDED, call_id, code=code)
        self.end_media()
        return 1

    # -- outbound ------------------------------------------------------------

    def to_outside(self, method: str) -> bool:
        """An extension dialling a number that is no extension."""
        if method != "INVITE":
            return False
        number = str(KSR.pv.get("$rU") or "")
        if not number or is_extension(str(KSR.pv.get("$ru"))):
            return False
        plan = self.dialplan.current()
        # A transferee's call is the transferer's (agent/sip/transfer.py).
        caller = self.transferred_by() or str(
            KSR.pv.get("$au") or KSR.pv.get("$fU") or ""
        )
        if number in plan.ring_groups:
            return self._call_group(plan, caller, number)
        return self.route_out(plan, caller, number)

    def route_out(
        self,
        plan: Dialplan,
        caller: str,
        number: str,
        event: str = CALL_STARTED,
        record_route: bool = True,
        follow: bool = True,
    ) -> bool:
        """Send caller's call to number out through the first route that takes it.

        Also how a forward to an external number goes out (caller is then
        the forwarding extension, event CALL_FORWARDED from a failure route,
        and the Record-Route is already there). follow: the call is new to
        the dialog module (False from a failure route, where it follows the
        call already). Replies are stateful once the transaction exists.
        False: there is no outbound route at all.
        """
        for route in plan.routes:
            if not route.allows(caller):
                continue
            dialled = route.dialled(number)
            if dialled is None:
                continue
            if not route.trunk_ids:
                KSR.sl.send_reply(503, "No Trunk Available")
                return True
            if self._guard_refuses(plan, caller, number, dialled, event):
                return True
            self._call_out(
                plan, route, caller, number, dialled, event, record_route, follow
            )
            return True
        if plan.routes:
            KSR.sl.send_reply(404, "No Route For This Number")
            return True
        return False

    @staticmethod
    def carries(plan: Dialplan, caller: str, number: str) -> bool:
        """Whether route_out would send caller's call to number to a trunk."""
        for route in plan.routes:
            if route.allows(caller) and route.dialled(number) is not None:
                return bool(route.trunk_ids)
        return False

    def _call_group(self, plan: Dialplan, caller: str, number: str) -> bool:
        """An extension dialling a ring group's number."""
        KSR.rr.record_route()
        if not self.ring_destination(plan, "ring_group", number):
            kind, target = self.pending_failover(plan)
            if kind in MEDIA_KINDS:
                self.extension_call_started()
                if not self.to_service(kind, target):
                    self.extension_call_failed(503)
                return True
            if kind == HANGUP_KIND:
                KSR.sl.sl_send_reply(*HANGUP_REPLY)
                return True
            KSR.sl.sl_send_reply(480, "Temporarily Unavailable")
            return True
        self.follow_lamps(self.calling_extension(), [])
        # A media worker's call for a transfer is its held caller's
        # (agent/sip/transfer.py, present_held_caller).
        self.calls.send(
            CALL_STARTED,
            str(KSR.pv.get("$ci")),
            direction="internal",
            src=self.transferred_caller() or caller,
            dst=number,
            caller_name=self.recorded_caller_name(),
        )
        KSR.tm.t_on_reply("ksr_onreply_route_outside")
        self.relay()
        return True

    def _guard_refuses(
        self,
        plan: Dialplan,
        caller: str,
        number: str,
        dialled: str,
        event: str = CALL_STARTED,
    ) -> bool:
        """Toll-fraud guards: refuse with 403 and a reason, report it."""
        guard = plan.guard
        if not guard:
            return False
        reason = ""
        if country_refused(guard, caller, dialled):
            reason = "Country Not Allowed"
            detail = "international call to " + dialled
        else:
            con = self.dialplan.connection()
            try:
                detail = limit_reached(con, guard, caller, time.time()) if con else ""
            except sqlite3.Error:
                detail = ""
            if detail:
                reason = "Call Limit Reached"
        if not reason:
            return False
        source = str(KSR.pv.get("$si"))
        KSR.notice(
            "call from " + caller + " to " + number + " refused: " + detail + "\n"
        )
        self.events.send(EVENT_GUARD, source, caller, detail)
        # The attempt is a call record too, so an administrator sees it.
        call_id = str(KSR.pv.get("$ci"))
        self.calls.send(event, call_id, direction="out", src=caller, dst=number)
        self.calls.send(CALL_ENDED, call_id, code=403)
        KSR.sl.send_reply(403, reason)
        return True

    def _call_out(
        self,
        plan: Dialplan,
        route: OutboundRoute,
        caller: str,
        number: str,
        dialled: str,
        event: str = CALL_STARTED,
        record_route: bool = True,
        follow: bool = True,
    ) -> None:
        # A phone does not choose the identity the carrier sees.
        KSR.hdr.remove("P-Asserted-Identity")
        KSR.hdr.remove("Remote-Party-ID")
        # An extension's address means nothing at the carrier.
        KSR.hdr.remove("Referred-By")
        # A media worker's call for a transfer presents the caller it holds
        # (agent/sip/transfer.py, present_held_caller); the route's rights
        # and guards stay the transferer's.
        held = self.transferred_caller()
        # An outside caller an extension transferred out is presented as
        # the PBX, as the transferer's own call would be, never with their
        # own number: a carrier lets a PBX present only its own numbers.
        outside_held = self.transferring_outside_caller(held)
        presented = caller if outside_held else held or caller
        KSR.pv.sets(AVP_PRESENTED_EXTENSION, presented)
        KSR.pv.sets(AVP_ROUTE, route.name)
        if plan.caller_id(presented).withhold:
            KSR.pv.sets(AVP_WITHHOLD, "1")
        KSR.pv.sets(AVP_DIALLED, dialled)
        if record_route:
            KSR.rr.record_route()
        if follow:
            # From a trunk (a carrier following a transfer, or an inbound
            # call forwarded out) there is no calling extension: the call
            # goes from trunk to trunk, and is followed all the same.
            self.follow_lamps(self.calling_extension(), [])
        first, rest = route.trunk_ids[0], route.trunk_ids[1:]
        KSR.pv.sets(AVP_TRUNKS_LEFT, ",".join(str(t) for t in rest))
        trunk = plan.trunks[first]
        if not KSR.isflagset(FLAG_MEDIA_RELAY):  # a forward may have relayed it
            self.relay_media_per_branch(record=plan.records(caller, "", trunk))
        self.calls.send(
            event,
            str(KSR.pv.get("$ci")),
            direction="out",
            src=held or caller,
            dst=number,
            trunk=trunk.name,
            caller_name=self.recorded_caller_name(),
        )
        self._send_to_trunk(trunk)
        self.relay()

    def transferring_outside_caller(self, held: str | None) -> bool:
        """Whether this call out is made for a caller from outside that an
        extension transferred: the carrier following the REFER (the call
        comes from a trunk), or a media worker calling for the caller it
        holds, who is no extension here."""
        if self.transferred_by() is None:
            return False
        if KSR.pv.is_null(AVP_INBOUND_TRUNK) <= 0:
            return True
        ruri = "sip:" + (held or "") + "@" + self.settings.realm
        return bool(held) and not is_extension(ruri)

    def _send_to_trunk(self, trunk: Trunk) -> None:
        KSR.pv.sets(AVP_TRUNK, str(trunk.id))
        KSR.pv.sets("$ru", trunk.request_uri(str(KSR.pv.get(AVP_DIALLED))))
        if trunk.outbound_proxy:
            KSR.pv.sets("$du", "sip:" + trunk.outbound_proxy)
        ring_for(TRUNK_RING_MS, TRUNK_NO_REPLY_MS)
        KSR.tm.t_on_branch("ksr_branch_route_outside")
        KSR.tm.t_on_failure("ksr_failure_route_outside")
        KSR.tm.t_on_reply("ksr_onreply_route_outside")

    # -- KEMI routes named by t_on_* -----------------------------------------

    def ksr_branch_route_outside(self, msg) -> int:
        """Per trunk: present the caller ID the way this trunk reads it."""
        if KSR.pv.is_null(AVP_TRUNK) > 0:
            return 1
        trunk = self.dialplan.current().trunks.get(int(KSR.pv.get(AVP_TRUNK)))
        if trunk is None:
            return 1
        self._offer_to_trunk(trunk)
        self.present_caller_id(trunk)
        return 1

    def present_caller_id(self, trunk: Trunk) -> None:
        """The caller ID in the headers this trunk reads it from; a withheld
        one anonymous whatever they are."""
        plan = self.dialplan.current()
        extension = str(KSR.pv.get(AVP_PRESENTED_EXTENSION) or "")
        route = plan.route_named(str(KSR.pv.get(AVP_ROUTE) or ""))
        number = plan.presented_number(extension, route, trunk)
        name = plan.caller_id(extension).outside_name
        domain = trunk.host
        identity = "sip:" + number + "@" + domain
        if KSR.pv.is_null(AVP_WITHHOLD) <= 0:
            # RFC 3323/3325: anonymous From, the number asserted beside it.
            KSR.uac.uac_replace_from(quoted(ANONYMOUS_FROM_NAME), ANONYMOUS_FROM_URI)
            KSR.hdr.append(_asserted_identity(name, identity))
            KSR.hdr.append(PRIVACY_ID)
            return
        if trunk.caller_id_header == "from" and name:
            KSR.uac.uac_replace_from(quoted(name), identity)
            return
        if trunk.caller_id_header == "from":
            KSR.uac.uac_replace_from_uri(identity)
            return
        # The account's own identity in From, the caller ID beside it.
        if trunk.username:
            KSR.uac.uac_replace_from_uri("sip:" + trunk.username + "@" + domain)
        if trunk.caller_id_header == "pai":
            KSR.hdr.append(_asserted_identity(name, identity))
        else:
            KSR.hdr.append(
                "Remote-Party-ID: "
                + _name_addr(name, identity)
                + ";party=calling;screen=yes;privacy=off\r\n"
            )

    def ksr_onreply_route_outside(self, msg) -> int:
        self.fix_nated_reply()
        self.media_reply()
        status = int(KSR.pv.get("$rs"))
        if status == 200 and str(KSR.pv.get("$rm")) == "INVITE":
            self.calls.send(CALL_ANSWERED, str(KSR.pv.get("$ci")))
        return 1

    def ksr_failure_route_outside(self, msg) -> int:
        code = int(KSR.pv.get("$T_reply_code") or 0)
        call_id = str(KSR.pv.get("$ci"))
        if KSR.tm.t_is_canceled() > 0:
            self.calls.send(CALL_ENDED, call_id, code=487)
            self.end_media()
            return 1
        if code in CHALLENGE_CODES and self._answer_challenge():
            return 1
        left = str(KSR.pv.get(AVP_TRUNKS_LEFT) or "")
        if code in FAILOVER_CODES and left:
            plan = self.dialplan.current()
            ids = [int(t) for t in left.split(",") if t]
            for index, trunk_id in enumerate(ids):
                trunk = plan.trunks.get(trunk_id)
                if trunk is None:
                    continue
                KSR.notice(
                    "call "
                    + call_id
                    + ": trunk answered "
                    + str(code)
                    + ", trying trunk "
                    + trunk.name
                    + "\n"
                )
                KSR.pv.sets(AVP_TRUNKS_LEFT, ",".join(str(t) for t in ids[index + 1 :]))
                self.calls.send("trunk", call_id, trunk=trunk.name)
                self._send_to_trunk(trunk)
                self.relay()
                return 1
        self.calls.send(CALL_ENDED, call_id, code=code)
        self.end_media()
        outbound = KSR.pv.is_null(AVP_TRUNK) <= 0
        if code >= 500 and outbound and not left:
            # RFC 3261 section 16.7 step 6: a proxy turns a 503 into 500 (a
            # 503 would tell the phone this PBX is down); say why.
            KSR.tm.t_reply(500, "All Trunks Failed")
        return 1

    # -- call records of calls between extensions ----------------------------

    def extension_call_started(self) -> None:
        """An extension calling another: a record like every other call."""
        self.calls.send(
            CALL_STARTED,
            str(KSR.pv.get("$ci")),
            direction="internal",
            # A media worker's call for an agent's transfer is the held
            # caller's, handed on by the agent (agent/sip/transfer.py).
            src=str(
                self.transferred_caller()
                or KSR.pv.get("$au")
                or self.transferred_by()
                or KSR.pv.get("$fU")
                or ""
            ),
            dst=str(KSR.pv.get("$rU") or ""),
            caller_name=self.recorded_caller_name(),
        )

    def extension_call_replied(self) -> None:
        if int(KSR.pv.get("$rs")) == 200 and str(KSR.pv.get("$rm")) == "INVITE":
            self.calls.send(CALL_ANSWERED, str(KSR.pv.get("$ci")))

    def extension_call_failed(self, code: int | None = None) -> None:
        """The call ends unanswered: with code, else the transaction's own."""
        if code is None:
            code = (
                487
                if KSR.tm.t_is_canceled() > 0
                else int(KSR.pv.get("$T_reply_code") or 0)
            )
        self.calls.send(CALL_ENDED, str(KSR.pv.get("$ci")), code=code)

    def _answer_challenge(self) -> bool:
        """Send the INVITE again with the register trunk's credentials, once.

        uac_reg_request_to() loads the account's user name and password (from
        Kamailio's memory: the agent handed them over) into the auth AVPs; it
        also points the R-URI at the account, so the dialled R-URI is put
        back before uac_auth() signs the request.
        """
        if KSR.pv.is_null(AVP_TRUNK) > 0 or KSR.pv.is_null(AVP_AUTH_SENT) <= 0:
            return False
        trunk = self.dialplan.current().trunks.get(int(KSR.pv.get(AVP_TRUNK)))
        if trunk is None or trunk.kind != "register":
            return False
        ruri, duri = str(KSR.pv.get("$ru")), KSR.pv.get("$du")
        if KSR.uac.uac_reg_request_to("trunk-" + trunk.name, 0) < 0:
            return False
        KSR.pv.sets("$ru", ruri)
        if duri:
            KSR.pv.sets("$du", str(duri))
        else:
            KSR.pv.unset("$du")
        if KSR.uac.uac_auth() < 0:
            return False
        KSR.pv.sets(AVP_AUTH_SENT, "1")
        KSR.tm.t_on_branch("ksr_branch_route_outside")
        KSR.tm.t_on_failure("ksr_failure_route_outside")
        KSR.tm.t_on_reply("ksr_onreply_route_outside")
        self.relay()
        return True

    # -- media ---------------------------------------------------------------

    def relay_media(self, record: bool = False, trunk: Trunk | None = None) -> None:
        """Put rtpengine in this call's media path (offer now, answer later),
        recording the call when record is set, with the codecs of the trunk
        the call goes to or comes from."""
        KSR.setflag(FLAG_MEDIA_RELAY)
        KSR.rr.add_rr_param(";" + MEDIA_RR_PARAM)
        codec_flags = ""
        if trunk is not None and trunk.codecs:
            KSR.rr.add_rr_param(f";{TRUNK_RR_PARAM}={trunk.id}")
            codec_flags = self._codec_flags(trunk)
        if KSR.textops.has_body_type("application/sdp") > 0:
            flags = RTPENGINE_FLAGS + (RECORD_FLAG if record else "") + codec_flags
            KSR.rtpengine.rtpengine_manage(flags)

    def relay_media_per_branch(self, record: bool = False) -> None:
        """Put rtpengine in the media path of a call out to a trunk; the
        offer is made for each trunk tried, in the branch route."""
        KSR.setflag(FLAG_MEDIA_RELAY)
        KSR.rr.add_rr_param(";" + MEDIA_RR_PARAM)
        KSR.pv.sets(AVP_BRANCH_OFFER, RTPENGINE_FLAGS + (RECORD_FLAG if record else ""))

    def _offer_to_trunk(self, trunk: Trunk) -> None:
        """This branch's offer to trunk: only the codecs it allows."""
        if KSR.pv.is_null(AVP_BRANCH_OFFER) > 0:
            return
        if KSR.textops.has_body_type("application/sdp") <= 0:
            return
        flags = str(KSR.pv.get(AVP_BRANCH_OFFER))
        if trunk.codecs:
            KSR.rr.add_rr_param(f";{TRUNK_RR_PARAM}={trunk.id}")
            flags += trunk.offer_flags_out()
        KSR.rtpengine.rtpengine_manage(flags)

    def media_reply(self) -> None:
        """The SDP answer of a relayed call goes through the relay too."""
        if (
            KSR.isflagset(FLAG_MEDIA_RELAY)
            and KSR.textops.has_body_type("application/sdp") > 0
        ):
            KSR.rtpengine.rtpengine_manage(RTPENGINE_FLAGS)

    def end_media(self) -> None:
        if KSR.isflagset(FLAG_MEDIA_RELAY):
            KSR.rtpengine.rtpengine_delete("")

    def _codec_flags(self, trunk: Trunk) -> str:
        """The flags for an offer in a call of trunk: from it, or to it."""
        source = (str(KSR.pv.get("$si")), int(KSR.pv.get("$sp")))
        from_carrier = self.dialplan.current().sources.get(source) == trunk
        return trunk.offer_flags_in() if from_carrier else trunk.offer_flags_out()

    def _trunk_of_dialog(self) -> Trunk | None:
        """The trunk named in the Route of an in-dialog request, if any."""
        for trunk in self.dialplan.current().trunks.values():
            if not trunk.codecs:
                continue
            param = f"{TRUNK_RR_PARAM}={trunk.id}(;|$)"
            if KSR.rr.check_route_param(param) > 0:
                return trunk
        return None

    def media_in_dialog(self, method: str) -> None:
        """In-dialog requests of a relayed call: re-offers and the end."""
        if method == "BYE":
            # Every call's end, relayed or not (the agent ignores calls it
            # keeps no record of, and a retransmitted BYE).
            self.calls.send(CALL_ENDED, str(KSR.pv.get("$ci")), code=200)
        if KSR.rr.check_route_param(MEDIA_RR_PARAM) < 0:
            return
        KSR.setflag(FLAG_MEDIA_RELAY)
        if method == "BYE":
            KSR.rtpengine.rtpengine_delete("")
            return
        if method == "INVITE" or KSR.textops.has_body_type("application/sdp") > 0:
            # Only an offer is limited: an ACK's SDP is an answer.
            trunk = self._trunk_of_dialog() if method in {"INVITE", "UPDATE"} else None
            codec_flags = self._codec_flags(trunk) if trunk else ""
            KSR.rtpengine.rtpengine_manage(RTPENGINE_FLAGS + codec_flags)
        KSR.tm.t_on_reply("ksr_onreply_route_outside")
