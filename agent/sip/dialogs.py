"""Ending the calls Kamailio's dialog module follows, as a stop does.

The dialog module (loaded for the busy lamps, see lamps.py) knows every
call between extensions, or between an extension and a trunk or a media
service, from its INVITE on. An answered call is ended by the module's
``dlg.end_dlg`` RPC, which sends a BYE to each side (RFC 3261 section 15),
so the phones hang up instead of waiting on a call nobody relays any more.
A call still ringing is no dialog the module can end: its INVITE
transaction is cancelled instead, through the tm module's ``tm.cancel`` RPC
(found by Call-ID and CSeq), which sends a CANCEL to every phone it rings
(RFC 3261 section 9.1) and relays their 487 back to the caller.

Known shortcoming: ``dlg.end_dlg`` sends the caller's BYE, then the
callee's; if the caller's 200 is handled in between, the module has deleted
the dialog and refuses the second BYE ("terminating non-confirmed dialogs
not supported"), so the callee keeps the call until its own timers end it.
The RPC interface offers no BYE to one side only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from agent.sip.rpc import KamailioRpc, RpcError

log = logging.getLogger("edgepbx.sip")

#: The dialog module's state of a call whose INVITE is out and unanswered
#: (1) or has a provisional answer, such as 180 Ringing (2).
RINGING_STATES = {1, 2}
#: The dialog module's state of an answered call that has its ACK (4) or
#: waits for it (3); 5 is a call ended, kept a moment for late requests.
CONFIRMED_STATES = {3, 4}
#: How often the dialogs are read again while their BYEs and CANCELs are
#: answered.
RECHECK_S = 0.05


@dataclass(frozen=True)
class CallInProgress:
    """One call as dlg.list shows it: its keys for dlg.end_dlg (answered)
    and for tm.cancel (ringing: the INVITE's Call-ID and CSeq number)."""

    h_entry: int
    h_id: int
    call_id: str
    cseq: str
    answered: bool

    @classmethod
    def parse(cls, listed: object) -> CallInProgress | None:
        """One entry of dlg.list, or None for a call already ending."""
        if not isinstance(listed, dict):
            return None
        state = listed.get("state")
        if state not in RINGING_STATES | CONFIRMED_STATES:
            return None
        caller = listed.get("caller") or {}
        return cls(
            h_entry=int(listed["h_entry"]),
            h_id=int(listed["h_id"]),
            call_id=str(listed.get("call-id", "")),
            cseq=str(caller.get("cseq", "")).strip(),
            answered=state in CONFIRMED_STATES,
        )


def in_progress(rpc: KamailioRpc) -> list[CallInProgress]:
    """Every call Kamailio follows that rings or is answered."""
    calls = (CallInProgress.parse(d) for d in rpc.call("dlg.list") or [])
    return [call for call in calls if call is not None]


def end(rpc: KamailioRpc, call: CallInProgress) -> None:
    """A BYE both ways for an answered call, a CANCEL for a ringing one."""
    try:
        if call.answered:
            rpc.call("dlg.end_dlg", call.h_entry, call.h_id)
        else:
            rpc.call("tm.cancel", call.call_id, call.cseq)
    except RpcError as exc:  # ended meanwhile by its phones
        log.debug("call %s not ended: %s", call.call_id, exc)


def end_all(rpc: KamailioRpc, within_s: float) -> list[CallInProgress]:
    """End every call in progress, answered or ringing, and wait up to
    within_s seconds for Kamailio to see them ended. Returns the calls
    ended; a Kamailio that does not answer ends none."""
    deadline = time.monotonic() + within_s
    try:
        calls = in_progress(rpc)
        # The answered calls first: their two BYEs go out before the
        # CANCELs' traffic competes with them (see the shortcoming above).
        for call in sorted(calls, key=lambda call: not call.answered):
            end(rpc, call)
        while calls and time.monotonic() < deadline and in_progress(rpc):
            time.sleep(RECHECK_S)
    except RpcError as exc:
        log.warning("calls in progress not ended: %s", exc)
        return []
    return calls
