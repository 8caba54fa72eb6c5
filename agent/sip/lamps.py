"""Busy lamp fields: a phone's key lights up while another extension rings
or talks, and pressing it calls that extension.

Phones ask for it with SUBSCRIBE for the dialog event package (RFC 4235,
"Event: dialog"), sent to the watched extension's address. Kamailio does
the SIP work in its own modules, loaded by agent/sip/kamailio.cfg.tmpl:
``dialog`` follows the calls this routing hands it, ``pua_dialoginfo``
turns their states (trying, early, confirmed, terminated) into PUBLISHes
for the caller's and the callee's extension, and ``presence`` keeps the
latest state of each and NOTIFYs its watchers. The routing decides three
things here:

- which calls light which lamps (``follow_lamps``): the extension that
  calls and the extension(s) that ring, named by the PBX's own address, so
  a lamp never depends on how a phone wrote its From or To;
- who may watch: an extension that authenticated, watching an extension or
  a park slot of this PBX (a request for anything else is refused before it costs a
  subscription);
- that only this very server publishes states: a PUBLISH must come from
  Kamailio's own socket, or from a media worker with the trust token (a
  park slot's lamp, agent/park/lamp.py). Phones are never allowed to
  publish.

Known shortcoming: when a call changes state twice within one PUBLISH
round trip (a phone that answers at once sends 180 Ringing and 200 OK a
few milliseconds apart, and with caller_confirmed the caller's lamp is
published as confirmed at both), pua sends the second update with the
entity tag that the first is replacing: Kamailio 5.6's pua does not wait
for an update's answer before the next. Presence refuses it (412) and logs
"No E_Tag match" as an error; pua then publishes again, so the lamp ends
right. Stripping SIP-If-Match from these PUBLISHes would avoid the refusal
but leave pua a second record of the call, which it refreshes an hour
later into the same refusal; a cure needs the updates of a call published
one after the other.
"""

from __future__ import annotations

try:
    import KSR  # provided by Kamailio's app_python3 at run time
except ModuleNotFoundError:  # the agent imports the flags from here
    KSR = None

try:  # inside Kamailio this directory is on sys.path; in the agent, agent.sip
    from outside import is_extension
except ModuleNotFoundError:
    from agent.sip.outside import is_extension

#: The event package busy lamp fields use (RFC 4235 section 3.1).
DIALOG_EVENT = "dialog"
#: Where pua_dialoginfo reads whose lamps a new call lights.
AVP_CALLER = "$avp(blf_caller)"
AVP_CALLEE = "$avp(blf_callee)"
#: Message flags telling pua_dialoginfo to publish nothing for a side
#: (an outside caller or number has no lamp here).
FLAG_NO_CALLER = 11
FLAG_NO_CALLEE = 12
#: The dialog profile (kamailio.cfg.tmpl) that counts each extension's
#: calls, keyed by extension number: those it makes and those that ring or
#: reach it. An extension with call waiting off is busy while it has one.
CALLS_PROFILE = "calls"
#: Where get_profile_size leaves the count.
CALLS_COUNT_VAR = "$var(edgepbx_calls)"
#: Other event packages are not served: RFC 6665 section 8.2.1 asks for 489
#: naming the ones that are. Message waiting is sent unsolicited by the
#: media service (agent/voicemail/mwi.py), which desk phones accept.
ALLOWED_EVENTS = "Allow-Events: " + DIALOG_EVENT + "\r\n"


def event_package(header: object) -> str:
    """The package name of an Event header value: ``dialog;id=1`` is
    ``dialog`` (RFC 6665 section 8.2.1; names are case-insensitive)."""
    if header is None:
        return ""
    return str(header).split(";", 1)[0].strip().lower()


class BusyLamps:
    """The routing's part of busy lamp fields: a mixin of Routing."""

    def from_this_server(self) -> bool:
        """Whether the request came from Kamailio's own listening socket,
        which no phone can send from: pua_dialoginfo's PUBLISHes."""
        source = KSR.pv.get("$si")
        return (
            source is not None
            and source == KSR.pv.get("$Ri")
            and KSR.pv.get("$sp") == KSR.pv.get("$Rp")
        )

    def event_request(self, method: str) -> bool:
        """PUBLISH and SUBSCRIBE for events before anyone is challenged.

        A PUBLISH of call states from this server goes to presence; any
        other PUBLISH is refused. A SUBSCRIBE for an event other than
        ``dialog`` is refused with 489 (RFC 6665 section 8.2.1); one for
        ``dialog`` goes on to authentication and ``watch``.
        """
        if method == "PUBLISH":
            if (
                self.from_this_server()
                and event_package(KSR.pv.get("$hdr(Event)")) == DIALOG_EVENT
            ):
                KSR.presence.handle_publish()
                return True
            KSR.sl.sl_send_reply(403, "Forbidden")
            return True
        return method == "SUBSCRIBE" and self.refused_event()

    def media_publish(self) -> bool:
        """A media worker's PUBLISH (trust token checked): a park slot's
        state (agent/park/lamp.py) goes to presence; other events 489."""
        if event_package(KSR.pv.get("$hdr(Event)")) != DIALOG_EVENT:
            KSR.hdr.append_to_reply(ALLOWED_EVENTS)
            KSR.sl.sl_send_reply(489, "Bad Event")
            return True
        KSR.presence.handle_publish()
        return True

    def subscription_refresh(self, method: str) -> bool:
        """A SUBSCRIBE inside its subscription (a refresh, or an unsubscribe
        with Expires: 0): presence matches it to the subscription it made,
        by Call-ID and both tags, and answers 481 when there is none."""
        if method != "SUBSCRIBE" or not KSR.is_myself_ruri():
            return False
        if not self.refused_event():
            KSR.presence.handle_subscribe()
        return True

    @staticmethod
    def refused_event() -> bool:
        """Answer 489 to a SUBSCRIBE for an event package other than
        ``dialog``, naming the one served; whether it was refused."""
        if event_package(KSR.pv.get("$hdr(Event)")) == DIALOG_EVENT:
            return False
        KSR.hdr.append_to_reply(ALLOWED_EVENTS)
        KSR.sl.sl_send_reply(489, "Bad Event")
        return True

    def watch(self, method: str) -> bool:
        """An authenticated extension subscribes to another's lamp."""
        if method != "SUBSCRIBE":
            return False
        # A park slot's lamp is published by the media worker holding the
        # parked call (agent/park/lamp.py).
        if not KSR.is_myself_ruri() or (
            not is_extension(str(KSR.pv.get("$ru")))
            and not self.is_park_slot(str(KSR.pv.get("$rU") or ""))
        ):
            KSR.sl.sl_send_reply(404, "Not Found")
            return True
        # The lamps are published under the PBX's own address; a phone that
        # names the PBX by another of its addresses watches the same lamp.
        KSR.pv.sets("$rd", self.settings.realm)
        KSR.presence.handle_subscribe()
        return True

    @staticmethod
    def calling_extension() -> str | None:
        """The extension making this call: the one that authenticated it
        (None for a call from a trunk, which never authenticates)."""
        if KSR.pv.is_null("$au") > 0:
            return None
        return str(KSR.pv.get("$au"))

    def follow_lamps(self, caller: str | None, callees: list[str]) -> None:
        """Have this new call light the caller's lamp and the callees'.

        caller is the calling extension (None: a caller from outside);
        callees are the extensions whose phones ring (none: the call goes
        out, or to a service). Called in the request route of an initial
        INVITE, before it is relayed.
        """
        realm = self.settings.realm
        if caller:
            KSR.pv.sets(AVP_CALLER, "sip:" + caller + "@" + realm)
        else:
            KSR.setflag(FLAG_NO_CALLER)
        for callee in callees:
            KSR.pv.sets(AVP_CALLEE, "sip:" + callee + "@" + realm)
        if not callees:
            KSR.setflag(FLAG_NO_CALLEE)
        # Every new call is followed, also one with no extension in it (a
        # trunk's call forwarded out to a trunk): a stop ends the calls the
        # dialog module knows (agent/sip/dialogs.py). Such a call lights no
        # lamp: both flags above hold pua_dialoginfo back.
        KSR.dialog.dlg_manage()
        for extension in [caller, *callees] if caller else callees:
            self.count_call(extension)

    @staticmethod
    def count_call(extension: str) -> None:
        """Count this call as one of the extension's (its dialog exists, or
        is created when the INVITE is relayed)."""
        KSR.dialog.set_dlg_profile(CALLS_PROFILE, extension)

    @staticmethod
    def uncount_call(extension: str) -> None:
        """From a failure route: the extension's phones are no longer in this
        call (it goes on to a forward or to voicemail)."""
        if extension:
            KSR.dialog.unset_dlg_profile(CALLS_PROFILE, extension)

    @staticmethod
    def in_a_call(extension: str) -> bool:
        """Whether the extension makes, rings for, or talks in a call now."""
        if KSR.dialog.get_profile_size(CALLS_PROFILE, extension, CALLS_COUNT_VAR) < 0:
            return False
        return int(KSR.pv.get(CALLS_COUNT_VAR) or 0) > 0
