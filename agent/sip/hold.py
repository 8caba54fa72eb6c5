"""Music on hold, as part of the KEMI routing's in-dialog step.

Mixed into ``Routing`` (agent/sip/routing.py), next to ``OutsideCalls``.

A phone puts the other party on hold with a re-INVITE or an UPDATE whose
SDP offer makes its audio sendonly or inactive (RFC 3264 section 8.4), or
the older way, a connection address of 0.0.0.0 (RFC 2543). Such an offer
is relayed through rtpengine, and once the held party's phone has answered
it, rtpengine plays the site's music on hold to that phone, in a loop
(ng "play media"), and drops what the holding phone still sends ("block
media"): a sendonly phone may go on sending its microphone. An offer from
the holding phone that holds no more (the resume) stops the music and lets
its audio through again; so does the end of the call.

Calls whose media rtpengine relays anyway (trunk calls, phones behind NAT:
agent/sip/outside.py) only gain the music. A call between two phones that
talk to each other directly is put through the relay for the time of the
hold only: the hold offer and its answer are rewritten to the relay's
address, and the resume goes to the other phone untouched, so both phones
send to each other directly again and the relay forgets the call.

The held party's tag is kept per Call-ID in the "held" htable
(kamailio.cfg.tmpl) for the time of the hold; that entry is also what tells
later in-dialog requests of a direct call that its media now crosses the
relay. The music is one file that the agent builds from the site's music
(agent/media/music_on_hold.py); no file there (the owner turned music on
hold off, or it could not be built) and a hold is relayed as before, in
silence. Nothing of this runs for a REGISTER or outside a dialog.

Known shortcomings: when both phones put each other on hold, only the
first held party hears music; a hold offered late (a re-INVITE without SDP,
the offer in its 200 and the answer in the ACK) is not recognised; and a
restart of Kamailio during a hold forgets it, so that call's music goes on
past the resume (to the end of a trunk call; for a call between two phones,
until the relay's media timeout, as the phones then talk directly).

Standard library only.
"""

from __future__ import annotations

import os

try:
    import KSR  # provided by Kamailio's app_python3 at run time
except ModuleNotFoundError:
    KSR = None

try:  # inside Kamailio this directory is on sys.path; in the agent, agent.sip
    from outside import FLAG_MEDIA_RELAY
except ModuleNotFoundError:
    from agent.sip.outside import FLAG_MEDIA_RELAY

# Message flags of a re-offer (kept by tm for its replies): it puts the
# other party on hold; the relay carries the call only for this hold. Not
# 8 to 12: the routing (FLAG_TO_MEDIA, FLAG_TO_ROOM), outside.py
# (FLAG_MEDIA_RELAY) and lamps.py (FLAG_NO_CALLER, FLAG_NO_CALLEE) use those.
FLAG_HOLD_OFFER = 13
FLAG_HOLD_RELAY = 14
# Call-ID -> the held party's tag (htable "held", kamailio.cfg.tmpl).
HELD = "$sht(held=>$ci)"
# In-dialog requests whose SDP is an offer that may hold or resume.
OFFER_METHODS = {"INVITE", "UPDATE"}
# RFC 4566 section 6: the media direction attributes; sendrecv is the default.
DIRECTIONS = {"sendrecv", "sendonly", "recvonly", "inactive"}
# RFC 3264 section 8.4: the offerer stops receiving.
HOLD_DIRECTIONS = {"sendonly", "inactive"}
# RFC 2543's hold, which RFC 3264 section 8.4 asks answerers to understand.
HOLD_ADDRESS = "0.0.0.0"
# For a call relayed only while on hold: the relay's address in c= only.
# The o= line stays the phone's, so that the resume, which is not relayed,
# still reads as the same session (RFC 3264 section 8).
HOLD_RELAY_FLAGS = "replace-session-connection ICE=remove"
# "play media" plays a file this many times: about three days of the
# shortest music a site would upload (a few seconds), a loop in practice.
MUSIC_REPEATS = 50000


def holds(sdp: str) -> bool:
    """Whether an SDP offer puts the answering party on hold.

    Every audio stream that is not refused (port 0) must be sendonly or
    inactive, by its own attribute or the session's, or have 0.0.0.0 as its
    connection address; an offer without audio holds nothing.
    """
    session = {"direction": "sendrecv", "address": ""}
    streams: list[dict] = []
    current = session
    for raw in sdp.splitlines():
        kind, _, value = raw.strip().partition("=")
        if kind == "m":
            fields = value.split()
            current = {"audio": fields[:1] == ["audio"] and fields[1:2] != ["0"]}
            streams.append(current)
        elif kind == "a" and value in DIRECTIONS:
            current["direction"] = value
        elif kind == "c":
            fields = value.split()
            if len(fields) >= 3:
                current["address"] = fields[2].split("/")[0]
    audio = [s for s in streams if s["audio"]]
    if not audio:
        return False
    return all(
        s.get("direction", session["direction"]) in HOLD_DIRECTIONS
        or s.get("address", session["address"]) == HOLD_ADDRESS
        for s in audio
    )


class MusicOnHold:
    """The hold, the music and the resume of calls the routing carries."""

    #: The music file (RoutingSettings.music_on_hold); empty: none.
    music_file: str = ""

    def hold_in_dialog(self, method: str) -> None:
        """An in-dialog request: start, keep or stop a hold and its music.

        Runs after media_in_dialog, which has already put the SDP of a call
        relayed from its start through rtpengine.
        """
        held = KSR.pv.get(HELD)
        if method == "BYE":
            if held is not None:
                KSR.pv.unset(HELD)
                if not KSR.isflagset(FLAG_MEDIA_RELAY):  # else media_in_dialog
                    KSR.rtpengine.rtpengine_delete("")
            return
        if method not in OFFER_METHODS:
            return
        if KSR.textops.has_body_type("application/sdp") <= 0:
            return
        offer_holds = holds(str(KSR.pv.get("$rb") or ""))

        if held is None:
            if offer_holds and self.music_file and os.path.isfile(self.music_file):
                self._start_hold()
            return

        held = str(held)
        if offer_holds or str(KSR.pv.get("$ft")) == held:
            # The hold goes on (a refresh, or an offer of the held phone):
            # its SDP keeps to the relay.
            self._through_relay()
            return
        self._end_hold(held)

    def _start_hold(self) -> None:
        KSR.setflag(FLAG_HOLD_OFFER)
        if not KSR.isflagset(FLAG_MEDIA_RELAY):
            if KSR.rtpengine.rtpengine_offer(HOLD_RELAY_FLAGS) < 0:
                return  # no relay: the hold goes on in silence
            KSR.setflag(FLAG_HOLD_RELAY)
        KSR.tm.t_on_reply("ksr_onreply_route_hold")

    def _through_relay(self) -> None:
        if not KSR.isflagset(FLAG_MEDIA_RELAY):
            KSR.rtpengine.rtpengine_offer(HOLD_RELAY_FLAGS)
            KSR.setflag(FLAG_HOLD_RELAY)
        KSR.tm.t_on_reply("ksr_onreply_route_hold")

    def _end_hold(self, held: str) -> None:
        """Stop the music; a call relayed for its hold leaves the relay."""
        KSR.pv.unset(HELD)
        if KSR.isflagset(FLAG_MEDIA_RELAY):
            KSR.rtpengine.stop_media("from-tag=" + held)
            KSR.rtpengine.unblock_media("from-tag=" + str(KSR.pv.get("$ft")))
        else:
            KSR.rtpengine.rtpengine_delete("")
        KSR.info("call " + str(KSR.pv.get("$ci")) + ": off hold\n")

    def ksr_onreply_route_hold(self, msg) -> int:
        """Replies to an offer of a held call or one that holds."""
        if KSR.isflagset(FLAG_MEDIA_RELAY):
            self.ksr_onreply_route_outside(msg)
        elif (
            KSR.isflagset(FLAG_HOLD_RELAY)
            and KSR.textops.has_body_type("application/sdp") > 0
        ):
            KSR.rtpengine.rtpengine_answer(HOLD_RELAY_FLAGS)
        status = int(KSR.pv.get("$rs"))
        if not KSR.isflagset(FLAG_HOLD_OFFER):
            return 1
        if status >= 300 and KSR.isflagset(FLAG_HOLD_RELAY):
            # The phone refused the hold: the call stays as it was.
            KSR.rtpengine.rtpengine_delete("")
            return 1
        if status != 200 or KSR.pv.is_null(HELD) <= 0:
            return 1  # provisional, or a retransmitted 200
        held = str(KSR.pv.get("$tt"))
        KSR.pv.sets(HELD, held)
        # A holding phone may go on sending its microphone (sendonly): the
        # held party hears the music only.
        KSR.rtpengine.block_media("from-tag=" + str(KSR.pv.get("$ft")))
        KSR.rtpengine.play_media(
            "from-tag="
            + held
            + " file="
            + self.music_file
            + " repeat-times="
            + str(MUSIC_REPEATS)
        )
        KSR.info("call " + str(KSR.pv.get("$ci")) + ": on hold, music playing\n")
        return 1
