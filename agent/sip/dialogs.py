"""Ending the calls Kamailio's dialog module follows, as a stop does.

The dialog module (loaded for the busy lamps, see lamps.py) knows every
established call between extensions, or between an extension and a trunk
or a media service. Its ``dlg.end_dlg`` RPC sends a BYE to each side
(RFC 3261 section 15), so the phones hang up instead of waiting on a call
nobody relays any more. Known shortcoming: a call still ringing is not an
established dialog, so its phones get no CANCEL; they give up by their own
timers.
"""

from __future__ import annotations

import logging
import time

from agent.sip.rpc import KamailioRpc, RpcError

log = logging.getLogger("edgepbx.sip")

#: The dialog module's state of an answered call that has its ACK (4) or
#: waits for it (3); 5 is a call ended, kept a moment for late requests.
CONFIRMED_STATES = {3, 4}
#: How often the dialogs are read again while their BYEs are answered.
RECHECK_S = 0.05


def established(rpc: KamailioRpc) -> list[tuple[int, int]]:
    """The (hash entry, hash id) of each established call Kamailio follows."""
    dialogs = rpc.call("dlg.list") or []
    return [
        (int(d["h_entry"]), int(d["h_id"]))
        for d in dialogs
        if isinstance(d, dict) and d.get("state") in CONFIRMED_STATES
    ]


def end_all(rpc: KamailioRpc, within_s: float) -> int:
    """Send a BYE both ways for every established call, and wait up to
    within_s seconds for Kamailio to see them ended. Returns how many calls
    were ended; a Kamailio that does not answer ends none."""
    deadline = time.monotonic() + within_s
    try:
        calls = established(rpc)
        for h_entry, h_id in calls:
            try:
                rpc.call("dlg.end_dlg", h_entry, h_id)
            except RpcError as exc:  # ended meanwhile by its phones
                log.debug("dialog %d:%d not ended: %s", h_entry, h_id, exc)
        while calls and time.monotonic() < deadline and established(rpc):
            time.sleep(RECHECK_S)
    except RpcError as exc:
        log.warning("calls in progress not ended: %s", exc)
        return 0
    return len(calls)
