"""Call transfer: a phone hands the other party of its call to someone else.

Desk phones transfer with REFER (RFC 3515) inside the call: the transferer
asks the transferee (the other party) to call the target, named in
Refer-To. The routing relays the REFER and its NOTIFYs like any in-dialog
request, and the transferee's new INVITE, which carries Referred-By (RFC
3892), comes through the pipeline as a new call.

- Blind: Refer-To names a number; the transferee calls it.
- Attended: the transferer holds the transferee, calls the target first,
  then REFERs with a Refer-To that holds Replaces (RFC 3891) naming that
  consultation call; the transferee's INVITE with Replaces takes its place
  at the target's phone. The pickup step lets such a Replaces pass: only a
  call still ringing is picked up (agent/sip/pickup.py).

The transferee's new call is made on the transferer's authority, so a
transfer must not be a way for anyone to call what they may not:

- a REFER from a trunk (a carrier's, or anyone's behind it) is refused:
  only an extension hands a call on;
- a REFER from a phone is authenticated like a new call; the media
  service's REFER (an IVR's transfer, agent/media/engine.py) is trusted;
- its Refer-To must name this PBX (a phone follows it to any host it
  names, past every rule here);
- a number that is no extension or service of the PBX goes out through the
  outbound routes only if a route allows the transferer and the toll-fraud
  guard lets the transferer call it; otherwise 403, with the reason;
- an allowed blind transfer is noted (transferee and number, for the few
  seconds a phone takes to follow the REFER, and for one call only), and
  the transferee's INVITE for that number then goes out as the
  transferer's call: the route, the guard and the call record count it
  as theirs, as for a forward. Referred-By is set to the transferer the
  PBX authenticated; one the PBX did not note is removed, so a phone
  cannot claim to have been transferred by someone else.

A call that a media worker bridges (a queue's caller and the agent who
answered, agent/queues/flow.py; a trunk's caller and the extension an IVR
handed them to, agent/media/flows.py) is two calls, and the phone's REFER goes to
the worker, which is the transferee: the REFER is checked as above and
noted for that worker (its address and port), and the worker's own INVITE
for the target, which carries no trust token, is taken as the transferer's
call (``transfer_by_media_worker``) as for a phone. The target's phone is
to see who really calls, not the worker: the worker's call to the agent
asserted the caller it holds (P-Asserted-Identity, RFC 3325), which the
call keeps (``remember_held_caller``); the REFER's note carries it on, and
the call to a target extension or ring group then comes From that caller,
as the caller's own call would; a call out presents that caller as its
caller ID unless the route sets one. Its record names the caller as the
source and the agent as the one who transferred it; the route's rights and
the toll-fraud guard stay the agent's.

A call from a trunk is transferred by the carrier: the PBX is a proxy, not
a back-to-back user agent, so the carrier's end is the transferee, and the
extension's REFER is relayed to it. A carrier that follows it sends its
INVITE for the target (with Replaces, for an attended transfer) through the
trunk; ``from_trunk`` takes it as the transferred call
(``transfer_from_trunk``): the target extension rings, media through the
relay, and a number that is no extension goes out through the outbound
routes as the transferer's call.

Known shortcoming: a carrier that does not follow REFER (many do not)
answers it with an error, which reaches the transferer's phone: the call
stays with the transferer, who can only hang up or go on talking.
"""

from __future__ import annotations

import re
import time

try:
    import KSR  # provided by Kamailio's app_python3 at run time
except ModuleNotFoundError:
    KSR = None

try:  # inside Kamailio this directory is on sys.path; in the agent, agent.sip
    from feature_codes import match
    from outside import (
        SUBSCRIBER_TABLE,
        TRANSFERRED_BY_AVP,
        country_refused,
        is_extension,
        limit_reached,
    )
except ModuleNotFoundError:
    from agent.sip.feature_codes import match
    from agent.sip.outside import (
        SUBSCRIBER_TABLE,
        TRANSFERRED_BY_AVP,
        country_refused,
        is_extension,
        limit_reached,
    )

#: htable (kamailio.cfg.tmpl): "<transferee>:<number>" -> "<transferer>
#: <deadline>[ <held caller>]", taken by the transferee's first call to the
#: number; a media worker's transfer notes the caller it holds.
TRANSFER_TABLE = "transfers"
#: The dialog variable in which a media worker's call to an extension keeps
#: the caller the worker holds, as the worker asserted it.
HELD_CALLER_VAR = "$dlg_var(held_caller)"
#: Who a media worker's transfer call is for: the held caller's number and
#: name, for the call record.
TRANSFERRED_CALLER_AVP = "$avp(transferred_caller)"
TRANSFERRED_CALLER_NAME_AVP = "$avp(transferred_caller_name)"
#: How long a noted transfer waits for the transferee's call. A phone
#: answers the REFER with 202 and calls at once (RFC 3515 section 2.4.4);
#: this leaves room for a few retransmissions (RFC 3261 section 17.1.1.2:
#: T1 of 500 ms, doubling) and for the challenge of the phone's INVITE.
#: After it, a call by the transferee to the number is its own again.
TRANSFER_FOLLOW_UP_S = 8
#: The media service's workers (routing.MEDIA_DISPATCHER_SET).
MEDIA_WORKERS = 1
#: The user part of a media worker's own URI (agent/media/engine.py).
MEDIA_USER = "media"
#: Numbers a transfer may name: digits, with a leading + or a feature
#: code's * and #.
NUMBER = re.compile(r"[+*#]?[0-9*#]{1,32}")

#: auth_check results that are a wrong password or an unknown user, and
#: the security event they make (as routing.AUTH_FAILURES and
#: routing.EVENT_AUTH_FAILED: the jail counts them alike).
AUTH_FAILURES = {-1, -2, -3}
EVENT_AUTH_FAILED = "sip-auth-failed"

#: Replies to a REFER that is refused (RFC 3515 section 2.4.2: any final
#: non-2xx; 403 says the transferer may not do this).
FROM_TRUNK = (403, "Transfer Not Accepted From A Trunk")
OUTSIDE_PBX = (403, "Transfer Target Not On This PBX")
BAD_TARGET = (403, "Transfer Target Not A Number")
NOT_ALLOWED = (403, "Transfer Target Not Allowed")
OUTSIDE_CALL = (403, "Transfer Only Within A Call")


def refer_to_parts(value: str) -> tuple[str, str, bool]:
    """(user, host part, has Replaces) of a Refer-To value such as
    ``<sip:103@pbx;transport=udp?Replaces=...>``."""
    value = value.strip()
    if "<" in value and ">" in value:
        value = value[value.index("<") + 1 : value.index(">")]
    uri, _, headers = value.partition("?")
    replaces = any(
        h.split("=", 1)[0].strip().lower() == "replaces" for h in headers.split("&")
    )
    scheme, _, rest = uri.partition(":")
    if scheme.lower() not in {"sip", "sips"} or "@" not in rest:
        return "", rest, replaces
    user, _, host = rest.partition("@")
    return user.split(";", 1)[0], host, replaces


def identity_parts(value: str) -> tuple[str, str]:
    """(user, display name) of a name-addr such as
    ``"Ann \\"A\\" Lee" <sip:101@pbx>`` (RFC 3261 section 25.1: a quoted
    display name may hold escaped quotes); ("", "") when it names no user."""
    display, _, rest = value.rpartition("<")
    user, _, _ = refer_to_parts("<" + rest)
    if not user:
        return "", ""
    name = display.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    return user, name


def quoted(name: str) -> str:
    """A display name as a quoted string (RFC 3261 section 25.1)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def media_worker_key(host: str, port: object) -> str:
    """How a transfer to a media worker is noted: the worker's address."""
    return MEDIA_USER + "@" + host + ":" + str(port)


class CallTransfer:
    """The routing's part of call transfer: a mixin of Routing."""

    def transfer_request(self, method: str) -> bool:
        """A REFER inside a call: refused, challenged, or noted and relayed
        (False: the in-dialog step relays it)."""
        if method != "REFER":
            return False
        source = (str(KSR.pv.get("$si")), int(KSR.pv.get("$sp")))
        trunk = self.dialplan.current().sources.get(source)
        if trunk is not None:
            KSR.notice("transfer from trunk " + trunk.name + ": refused\n")
            KSR.sl.sl_send_reply(*FROM_TRUNK)
            return True
        if KSR.dispatcher.ds_is_from_list(MEDIA_WORKERS) > 0:
            return False  # an IVR hands its caller on
        if self.authenticate_in_call(method):
            return True

        transferer = str(KSR.pv.get("$au"))
        user, host, replaces = refer_to_parts(str(KSR.pv.get("$hdr(Refer-To)") or ""))
        refusal = None
        if not host or KSR.is_myself("sip:" + host) <= 0:
            refusal = OUTSIDE_PBX
        elif replaces:
            pass  # to a call the transferer made: the target is there
        elif not NUMBER.fullmatch(user):
            refusal = BAD_TARGET
        else:
            refusal = self.transfer_refused(transferer, user)
        transferee = str(KSR.pv.get("$tU") or "")
        held_caller = ""
        # The agent's phone names the worker in To as the worker's call came
        # From the held caller (remember_held_caller); the worker's contact,
        # the request URI, is its own in either case.
        if MEDIA_USER in {transferee, str(KSR.pv.get("$rU") or "")}:
            transferee = media_worker_key(str(KSR.pv.get("$rd")), KSR.pv.get("$rp"))
            held_caller = str(KSR.pv.get(HELD_CALLER_VAR) or "")
        if refusal is not None:
            KSR.notice(
                "transfer by "
                + transferer
                + " of "
                + transferee
                + " to "
                + (user or host)
                + ": refused, "
                + refusal[1]
                + "\n"
            )
            KSR.sl.sl_send_reply(*refusal)
            return True
        deadline = int(time.time()) + TRANSFER_FOLLOW_UP_S
        note = transferer + " " + str(deadline)
        if held_caller:
            note += " " + held_caller
        KSR.htable.sht_sets(TRANSFER_TABLE, transferee + ":" + user, note)
        KSR.info(
            "transfer by " + transferer + " of " + transferee + " to " + user + "\n"
        )
        return False

    def authenticate_in_call(self, method: str) -> bool:
        """Digest authentication of a phone's request inside a call; True
        when it was answered with a challenge or a refusal. The call's From
        may be a number dialled (a ring group's), so any extension's
        credentials count, and the one that authenticated is in $au."""
        realm = self.settings.realm
        rc = KSR.auth_db.auth_check(realm, SUBSCRIBER_TABLE, 0)
        if rc > 0:
            KSR.auth.consume_credentials()
            return False
        if KSR.hdr.is_present("Proxy-Authorization") > 0:
            user, source = str(KSR.pv.get("$au")), str(KSR.pv.get("$si"))
            KSR.notice(
                "sip auth failed: user " + user + " from " + source
                + " method " + method + "\n"
            )  # fmt: skip
            if rc in AUTH_FAILURES:
                self.events.send(EVENT_AUTH_FAILED, source, user, method)
        KSR.auth.auth_challenge(realm, 0)
        return True

    def on_this_pbx(self, number: str) -> bool:
        """Whether number is an extension, a ring group or a service of this
        PBX (a call to it does not go out)."""
        ruri = "sip:" + number + "@" + self.settings.realm
        if is_extension(ruri):
            return True
        plan = self.dialplan.current()
        if number in plan.ring_groups or match(plan.feature_codes, number):
            return True
        return any(
            self.is_numbered_in(table, number)
            for table in ("conference_room", "ivr_menu", "page_group", "call_queue")
        ) or self.is_park_slot(number)

    def transfer_refused(self, transferer: str, number: str) -> tuple | None:
        """Why transferer may not send a call to number, or None."""
        if self.on_this_pbx(number):
            return None
        plan = self.dialplan.current()
        for route in plan.routes:
            if not route.allows(transferer):
                continue
            dialled = route.dialled(number)
            if dialled is None:
                continue
            if not route.trunk_ids:
                return NOT_ALLOWED
            return self.guard_refusal(plan.guard, transferer, dialled)
        return NOT_ALLOWED

    def guard_refusal(self, guard: dict, caller: str, dialled: str) -> tuple | None:
        """The toll-fraud guard's refusal of caller's call, as to_outside
        would give it, or None."""
        if not guard:
            return None
        if country_refused(guard, caller, dialled):
            return (403, "Country Not Allowed")
        con = self.dialplan.connection()
        if con is not None and limit_reached(con, guard, caller, time.time()):
            return (403, "Call Limit Reached")
        return None

    def transferred(self, method: str) -> bool:
        """A new call from an extension: the transferee of a noted transfer
        calls on the transferer's authority. A REFER outside any call
        (which some phones would follow, calling on their own authority at
        someone else's request) is refused; nothing else is handled here."""
        if method == "REFER":
            KSR.sl.sl_send_reply(*OUTSIDE_CALL)
            return True
        if method != "INVITE":
            return False
        KSR.hdr.remove("Referred-By")
        caller = self.calling_extension()
        number = str(KSR.pv.get("$rU") or "")
        if caller is None or not number:
            return False
        self.follow_transfer(caller, number, caller, referred_by_kept=False)
        return False

    def transfer_by_media_worker(self, method: str) -> bool:
        """A media worker's INVITE without the trust token that follows a
        REFER the PBX noted for that worker: the transferer's call (True).
        The routing then takes it as a phone's transferee's call, without
        a challenge the worker could not answer."""
        if method != "INVITE" or KSR.dispatcher.ds_is_from_list(MEDIA_WORKERS) <= 0:
            return False
        worker = media_worker_key(str(KSR.pv.get("$si")), KSR.pv.get("$sp"))
        number = str(KSR.pv.get("$rU") or "")
        return (
            self.follow_transfer(worker, number, "media worker " + worker) is not None
        )

    def transfer_from_trunk(self, caller: str, number: str) -> str | None:
        """A carrier's call to number from caller: the extension that
        transferred that caller there, if it did just now (its REFER was
        relayed to the carrier, which follows it); None for any other call."""
        return self.follow_transfer(caller, number, caller)

    def follow_transfer(
        self, transferee: str, number: str, who: str, referred_by_kept: bool = True
    ) -> str | None:
        """The transferer of a transfer noted for transferee's call to
        number, taken: the call is then made on the transferer's authority
        and says so in Referred-By (replacing one the request brought, unless
        the caller removed it already). None when nothing was noted."""
        transferer, held_caller = self.take_transfer(transferee, number)
        if transferer is None:
            return None
        KSR.pv.sets(TRANSFERRED_BY_AVP, transferer)
        if held_caller:
            self.present_held_caller(held_caller, number)
        if referred_by_kept:
            KSR.hdr.remove("Referred-By")
        realm = self.settings.realm
        KSR.hdr.append("Referred-By: <sip:" + transferer + "@" + realm + ">\r\n")
        KSR.info("transfer: " + who + " calls " + number + " for " + transferer + "\n")
        return transferer

    @staticmethod
    def take_transfer(transferee: str, number: str) -> tuple[str | None, str]:
        """The transferer of a transfer noted for transferee's call to
        number, taken, and the held caller noted with it (a media worker's
        transfer; "" for any other): the note serves one call, and only
        until its deadline (the htable's autoexpire only sweeps it away
        later). (None, "") when nothing was noted."""
        key = transferee + ":" + number
        note = KSR.htable.sht_get(TRANSFER_TABLE, key)
        if not isinstance(note, str) or not note:
            return None, ""  # None: nothing noted
        KSR.htable.sht_rm(TRANSFER_TABLE, key)
        transferer, _, rest = note.partition(" ")
        deadline, _, held_caller = rest.partition(" ")
        if not deadline.isdigit() or int(deadline) < int(time.time()):
            KSR.info("transfer: " + transferee + " called " + number + " too late\n")
            return None, ""
        return transferer, held_caller

    def remember_held_caller(self) -> None:
        """A media worker's call to an extension (its trust token checked)
        that asserts the caller the worker holds: the extension's phone
        sees that caller in From, as for the caller's own call, and the
        call keeps the caller for a transfer the extension may make of it.
        (uac restores the worker's own From in the call's later requests.)"""
        asserted = KSR.pv.get("$hdr(P-Asserted-Identity)")
        if not asserted:
            return
        KSR.pv.sets(HELD_CALLER_VAR, str(asserted))
        user, name = identity_parts(str(asserted))
        if user:
            display = quoted(name) if name else ""
            uri = "sip:" + user + "@" + self.settings.realm
            KSR.uac.uac_replace_from(display, uri)

    def present_held_caller(self, held_caller: str, number: str) -> None:
        """A media worker's call for a transfer, to number: its record names
        the caller the worker holds as the source (the transferer as the
        one who transferred it). To an extension, a ring group or a service
        (a park slot, a queue) it comes From that caller, named as the
        worker asserted them; a number that goes out presents a held
        extension as its caller ID unless the route sets one, as its own
        call out would, and a held outside caller as the PBX's own number
        (agent/sip/outside.py, _call_out)."""
        user, name = identity_parts(held_caller)
        if not user:
            return
        KSR.pv.sets(TRANSFERRED_CALLER_AVP, user)
        KSR.pv.sets(TRANSFERRED_CALLER_NAME_AVP, name)
        if not self.on_this_pbx(number):
            return  # the trunk's branch route sets the From of a call out
        display = quoted(name) if name else ""
        KSR.uac.uac_replace_from(display, "sip:" + user + "@" + self.settings.realm)

    @staticmethod
    def transferred_caller() -> str | None:
        """The held caller a media worker's transfer call is for, if any."""
        if KSR.pv.is_null(TRANSFERRED_CALLER_AVP) > 0:
            return None
        return str(KSR.pv.get(TRANSFERRED_CALLER_AVP))

    @staticmethod
    def transferred_caller_name() -> str | None:
        """That held caller's name, if any."""
        if KSR.pv.is_null(TRANSFERRED_CALLER_NAME_AVP) > 0:
            return None
        return str(KSR.pv.get(TRANSFERRED_CALLER_NAME_AVP))

    def recorded_caller_name(self) -> str:
        """The caller's name a call record shows: the held caller's on a
        media worker's transfer call, else the From's display name."""
        held_name = self.transferred_caller_name()
        return held_name if held_name is not None else str(KSR.pv.get("$fn") or "")

    @staticmethod
    def transferred_by() -> str | None:
        """The transferer on whose authority this call is made, if any."""
        if KSR.pv.is_null(TRANSFERRED_BY_AVP) > 0:
            return None
        return str(KSR.pv.get(TRANSFERRED_BY_AVP))
