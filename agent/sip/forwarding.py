"""Do-not-disturb and call forwarding, as a step of the KEMI routing.

Mixed into ``Routing`` (agent/sip/routing.py), next to ``OutsideCalls``.
A call for an extension that has any feature set is rung here instead of
by ``to_extension``'s plain path, in this order:

1. Do-not-disturb: the caller reaches the extension's voicemail as if the
   extension were busy (the media service answers 486 itself when the
   mailbox is off); without a media service, 486 Busy Here.
2. Forward always: the call goes to the target straight away.
3. No phone registered: the forward-unreachable target, else voicemail or
   480 as for any extension.
4. Call waiting off, and the extension is already in a call (talking,
   calling out, or ringing): the call is busy, as if a phone had answered
   486, so the forward on busy, then voicemail, then 486 Busy Here apply.
   The routing counts each extension's calls in the dialog module's
   ``calls`` profile (``BusyLamps.follow_lamps``).
5. The phones ring, for the no-answer ring time when a forward on no answer
   is set; a busy reply (486, 600, and 603 Decline from a Reject key) or no
   answer (408, 480) sends the call to the forward-busy or forward-no-answer
   target from the failure route, else to voicemail as for any extension.

A call from a trunk to an inbound route's extension goes the same way
(``ring_from_trunk``), with its media relayed, but without voicemail, as
every call from a trunk so far: DND answers 486, an extension with no phone
480, and a failure that forwards nowhere ends the call
(``ksr_failure_route_trunk_extension``).

A target that is an extension is rung the same way, with its own features.
A target that is an IVR menu's or a conference room's number goes to the
media service, as if dialled (not from a trunk: the media service does not
take a carrier's calls yet, so such a forward is not followed there).
A target that is any other number goes out through the outbound routes as
if the forwarding extension had dialled it: the route must allow that
extension, the toll-fraud guard counts the call as theirs, and the route's
caller ID is sent. When no route carries it any more (a route was removed or
changed after the forward was saved), the forward is not followed and the
call goes on as without it: forward always rings the phones, the other
forwards go to the voicemail, or busy (486) or unavailable (480) without a
mailbox. The page, API and CLI that change the routes name the forwards a
change leaves uncarried (agent/routes/service.py).

Loops end: the extensions a call has reached are kept in a transaction AVP;
a forward back to one of them, or a forward past MAX_FORWARDS hops, is not
followed, and the extension where the call is rings its own phones (or its
voicemail) instead. The agent refuses forward-always loops when they are
saved; this catches the loops that only show at run time (busy, no answer,
unreachable). Known shortcoming: a forward to an external number that the
carrier brings back to one of this PBX's DIDs is a new call here, and its
hops are not counted across the carrier.

The settings are read per call from the configuration database, with the
read-only connection of the outbound routing. Standard library only.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

try:
    import KSR  # provided by Kamailio's app_python3 at run time
except ModuleNotFoundError:
    KSR = None

try:  # inside Kamailio this directory is on sys.path; in the agent, agent.sip
    from outside import (
        CALL_FORWARDED,
        CALL_STARTED,
        FLAG_MEDIA_RELAY,
        PHONE_REPLY_TIMEOUT_MS,
        DialplanSource,
        is_extension,
        ring_for,
    )
    from replies import BUSY_CODES, NO_ANSWER_CODES
except ModuleNotFoundError:
    from agent.sip.outside import (
        CALL_FORWARDED,
        CALL_STARTED,
        FLAG_MEDIA_RELAY,
        PHONE_REPLY_TIMEOUT_MS,
        DialplanSource,
        is_extension,
        ring_for,
    )
    from agent.sip.replies import BUSY_CODES, NO_ANSWER_CODES

# The same AVP as routing.DIALED_AVP: the extension whose voicemail a
# failure leads to.
DIALED_AVP = "$avp(dialed)"
# Extensions this call has reached, comma-separated, in order.
AVP_FORWARD_PATH = "$avp(edgepbx_forward_path)"
# The targets armed for the failure route of the extension being rung.
AVP_FORWARD_BUSY = "$avp(edgepbx_forward_busy)"
AVP_FORWARD_NO_ANSWER = "$avp(edgepbx_forward_no_answer)"
# Set when the call came from a trunk: it has no voicemail (the carrier's
# media would need the relay in the media service's replies), its media is
# always relayed, and its record is an inbound call.
AVP_FROM_TRUNK = "$avp(edgepbx_forward_from_trunk)"
# At most this many forwards in one call: enough for "desk -> colleague ->
# mobile", and a bound on how long a caller can be passed around.
MAX_FORWARDS = 3
# Message and branch flags, as routing.py sets them: a NATed caller, a
# callee registered from behind a NAT, a call that joins a conference room.
FLAG_NATED_SOURCE = 5
FLAG_NAT_BRANCH = 6
FLAG_TO_ROOM = 9
LOCATION_TABLE = "location"

FEATURES_QUERY = (
    "SELECT f.dnd, f.forward_always, f.forward_busy, f.forward_no_answer,"
    " f.no_answer_s, f.forward_unreachable, f.call_waiting"
    " FROM extension_feature f"
    " JOIN extension e ON e.id = f.extension_id WHERE e.number = ?"
)


@dataclass(frozen=True)
class Features:
    """One extension's settings, as agent.extensions.features stores them."""

    dnd: bool = False
    always: str = ""
    busy: str = ""
    no_answer: str = ""
    no_answer_s: int = 20
    unreachable: str = ""
    call_waiting: bool = True

    @property
    def any(self) -> bool:
        return (self.dnd or not self.call_waiting) or bool(
            self.always or self.busy or self.no_answer or self.unreachable
        )


NO_FEATURES = Features()


def load_features(con: sqlite3.Connection | None, number: str) -> Features:
    """The extension's features; none when unreadable (an older schema)."""
    if con is None:
        return NO_FEATURES
    try:
        row = con.execute(FEATURES_QUERY, (number,)).fetchone()
    except sqlite3.Error:
        return NO_FEATURES
    if row is None:
        return NO_FEATURES
    return Features(
        dnd=bool(row[0]),
        always=row[1] or "",
        busy=row[2] or "",
        no_answer=row[3] or "",
        no_answer_s=int(row[4] or 20),
        unreachable=row[5] or "",
        call_waiting=bool(row[6]),
    )


def may_forward(path: list[str], target: str) -> bool:
    """Whether a call that has reached path may go on to target."""
    return len(path) <= MAX_FORWARDS and target not in path


class CallForwarding:
    """The forwarding steps; ``Routing`` provides relay() and the media service."""

    dialplan: DialplanSource

    def ring_with_features(self, number: str) -> bool:
        """From to_extension, for an INVITE: handle it if number has features."""
        if not load_features(self.dialplan.connection(), number).any:
            return False
        self.ring_extension(number, in_failure_route=False)
        return True

    def ring_from_trunk(self, trunk: str, did: str, caller: str, number: str) -> bool:
        """From from_trunk: an inbound route's extension, if it has features."""
        if not load_features(self.dialplan.connection(), number).any:
            return False
        KSR.pv.sets(AVP_FROM_TRUNK, trunk)
        self.calls.send(
            CALL_STARTED,
            str(KSR.pv.get("$ci")),
            direction="in",
            src=caller,
            dst=number,
            did=did,
            trunk=trunk,
            caller_name=str(KSR.pv.get("$fn") or ""),
        )
        self.ring_extension(number, in_failure_route=False)
        return True

    def ksr_failure_route_trunk_extension(self, msg) -> int:
        """A trunk's call to an extension failed: forward it, or end it."""
        if self.forward_after_failure():
            return 1
        return self.ksr_failure_route_outside(msg)

    def ring_extension(self, number: str, in_failure_route: bool) -> None:
        """Ring an extension with its features (see the module's steps)."""
        features = load_features(self.dialplan.connection(), number)
        from_trunk = KSR.pv.is_null(AVP_FROM_TRUNK) <= 0
        voicemail = bool(self.settings.media_token) and not from_trunk
        path = self._forward_path()
        path.append(number)
        KSR.pv.sets(AVP_FORWARD_PATH, ",".join(path))
        KSR.pv.sets(DIALED_AVP, number)
        KSR.pv.sets(AVP_FORWARD_BUSY, "")
        KSR.pv.sets(AVP_FORWARD_NO_ANSWER, "")
        KSR.pv.sets("$ru", "sip:" + number + "@" + self.settings.realm)
        call = "call " + str(KSR.pv.get("$ci")) + ": extension " + number

        # Step 1: do-not-disturb.
        if features.dnd:
            KSR.info(call + ": do not disturb\n")
            self._started(in_failure_route or from_trunk)
            if voicemail:
                self.to_media_worker("busy")
            else:
                self._reply(486, "Busy Here")
            return

        # Step 2: forward always.
        if features.always:
            if may_forward(path, features.always) and self.forward(
                number, features.always, in_failure_route
            ):
                return
            KSR.notice(call + ": forward to " + features.always + " not followed\n")

        # Step 3: no phone registered.
        rc = KSR.registrar.lookup(LOCATION_TABLE)
        if rc < 0:
            if (
                features.unreachable
                and may_forward(path, features.unreachable)
                and self.forward(number, features.unreachable, in_failure_route)
            ):
                return
            self._started(in_failure_route or from_trunk)
            if rc == -1 and voicemail:
                self.to_media_worker("unavailable")
            elif rc == -1:
                self._reply(480, "Temporarily Unavailable")
            else:
                self._reply(500, "Server Internal Error")
            return

        # Step 4: call waiting off, and already in a call.
        if not features.call_waiting and self.in_a_call(number):
            KSR.info(call + ": in a call, call waiting off: busy\n")
            if (
                features.busy
                and may_forward(path, features.busy)
                and self.forward(number, features.busy, in_failure_route)
            ):
                return
            self._started(in_failure_route or from_trunk)
            if voicemail:
                self.to_media_worker("busy")
            else:
                self._reply(486, "Busy Here")
            return

        # Step 5: ring, with busy and no-answer forwards armed.
        if features.busy and may_forward(path, features.busy):
            KSR.pv.sets(AVP_FORWARD_BUSY, features.busy)
        ring_ms = self.settings.ring_ms
        if features.no_answer and may_forward(path, features.no_answer):
            KSR.pv.sets(AVP_FORWARD_NO_ANSWER, features.no_answer)
            ring_ms = features.no_answer_s * 1000
        ring_for(ring_ms, PHONE_REPLY_TIMEOUT_MS)
        KSR.tm.t_on_failure(
            "ksr_failure_route_trunk_extension"
            if from_trunk
            else "ksr_failure_route_manage"
        )
        KSR.tm.t_on_reply("ksr_onreply_route_manage")
        if in_failure_route:
            self.count_call(number)
        else:
            caller = None if from_trunk else self.calling_extension()
            self.follow_lamps(caller, [number])
            self._started(from_trunk)
        nated = KSR.isflagset(FLAG_NATED_SOURCE) or KSR.isbflagset(FLAG_NAT_BRANCH)
        if (from_trunk or nated) and not KSR.isflagset(FLAG_MEDIA_RELAY):
            trunk = self.dialplan.current().trunk_named(
                str(KSR.pv.get(AVP_FROM_TRUNK) or "") if from_trunk else ""
            )
            self.relay_media(trunk=trunk)
        self.relay()

    def forward_after_failure(self) -> bool:
        """From the failure route: a busy or unanswered extension forwards."""
        if KSR.tm.t_is_canceled() > 0:
            return False
        code = int(KSR.pv.get("$T_reply_code") or 0)
        if code in BUSY_CODES:
            target = str(KSR.pv.get(AVP_FORWARD_BUSY) or "")
        elif code in NO_ANSWER_CODES:
            target = str(KSR.pv.get(AVP_FORWARD_NO_ANSWER) or "")
        else:
            return False
        if not target:
            return False
        KSR.pv.sets(AVP_FORWARD_BUSY, "")
        KSR.pv.sets(AVP_FORWARD_NO_ANSWER, "")
        number = str(KSR.pv.get(DIALED_AVP) or "")
        self.uncount_call(number)
        return self.forward(number, target, in_failure_route=True)

    def forward(self, number: str, target: str, in_failure_route: bool) -> bool:
        """Send the call on to target; False when no route carries it out."""
        uri = "sip:" + target + "@" + self.settings.realm
        target_is_extension = is_extension(uri)
        from_trunk = KSR.pv.is_null(AVP_FROM_TRUNK) <= 0
        if not target_is_extension and self.settings.media_token and not from_trunk:
            is_room = self.is_numbered_in("conference_room", target)
            if is_room or self.is_numbered_in("ivr_menu", target):
                KSR.info(
                    "call "
                    + str(KSR.pv.get("$ci"))
                    + ": extension "
                    + number
                    + " forwards to service number "
                    + target
                    + "\n"
                )
                KSR.pv.unset("$du")
                KSR.pv.sets("$ru", uri)
                self._started(in_failure_route)
                if is_room:
                    KSR.setflag(FLAG_TO_ROOM)
                self.to_media_worker()
                return True
        plan = self.dialplan.current()
        if not target_is_extension and not self.carries(plan, number, target):
            KSR.notice(
                "call "
                + str(KSR.pv.get("$ci"))
                + ": extension "
                + number
                + ": no route carries its forward to "
                + target
                + ", not followed\n"
            )
            return False
        KSR.info(
            "call "
            + str(KSR.pv.get("$ci"))
            + ": extension "
            + number
            + " forwards to "
            + target
            + "\n"
        )
        # The phone that failed is no destination of the next branch.
        KSR.pv.unset("$du")
        if target_is_extension:
            self.ring_extension(target, in_failure_route)
            return True
        # Out through the routes, as if the forwarding extension dialled it.
        event = CALL_FORWARDED if in_failure_route or from_trunk else CALL_STARTED
        self.route_out(
            plan,
            number,
            target,
            event,
            record_route=False,
            follow=not in_failure_route,
        )
        return True

    def _forward_path(self) -> list[str]:
        return [n for n in str(KSR.pv.get(AVP_FORWARD_PATH) or "").split(",") if n]

    def _started(self, recorded: bool) -> None:
        """The call record of an extension's call, unless it has one."""
        if not recorded:
            self.extension_call_started()

    def _reply(self, code: int, reason: str) -> None:
        """A final reply, stateful once the transaction exists."""
        KSR.sl.send_reply(code, reason)
