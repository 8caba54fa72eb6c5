"""Parked calls in a media worker: park, wait with music, be taken back.

Kamailio sends every call for one slot number to the same worker (its
dispatcher hashes the number, as for a conference room), so the parked call
and whoever dials the slot to take it meet there. A call for the park
feature code goes to any worker, which finds the first free slot, says its
number to the caller and transfers the caller on to that slot's number.

Known shortcoming: when the slot's worker is full or dead, Kamailio moves
the call on to the next worker, where a parked call and its taker do not
meet (the taker hears that the slot is empty).

Who parked the call is read from the INVITE: the ``Referred-By`` header of
the transfer (RFC 3892), or the ``X-Edgepbx-Parker`` header a worker puts in
the transfer target when it forwards a park-code call to its slot. Neither
is authenticated; it only decides which extension the call rings back.
"""

from __future__ import annotations

import logging
import time

from agent.media.flows import Flow, prompts
from agent.media.music_on_hold import is_enabled
from agent.media.prompts import digit_prompts, music_on_hold
from agent.park import lamp, state
from agent.park.service import current_settings

log = logging.getLogger("edgepbx.media")

#: Set in the slot's transfer target by the worker that took a park-code
#: call (RFC 3261 section 19.1.1: headers in a URI go into the request).
PARKER_HEADER = "X-Edgepbx-Parker"

#: This worker's parked calls: slot -> the call parked there.
SLOTS: dict[str, ParkedCaller] = {}


def _tell_monitor(worker) -> None:
    held = [
        state.ParkedCall(slot, call.caller, call.parker, call.since)
        for slot, call in SLOTS.items()
    ]
    try:
        state.publish(worker.settings, worker.port, held)
    except OSError as exc:  # a full disk must not drop a parked call
        log.warning("park: live state not written: %s", exc)


def parker_of(invite) -> str:
    """The extension that parked the call, "" when unknown."""
    from agent.media.engine import _user

    named = invite.header(PARKER_HEADER) or ""
    if named.isdigit():
        return named
    referred_by = _user(invite.header("referred-by") or "")
    return referred_by if referred_by.isdigit() else ""


class ParkedCaller(Flow):
    """A call transferred to a slot: music until taken back or timed out."""

    def __init__(self, worker, channel, slot: str, caller: str, parker: str) -> None:
        super().__init__(worker, channel)
        self.slot = slot
        self.caller = caller
        self.parker = parker
        self.since = time.time()
        self.taker: SlotRetrieval | None = None
        self.parked = False
        self._timeout = None

    def start(self) -> None:
        held = {p.slot for p in state.parked_calls(self.worker.settings)}
        if self.slot in SLOTS or self.slot in held:
            log.info("park %s: taken, %s goes back", self.slot, self.caller)
            self.say(prompts("pbx-parkingfailed"), self.ring_back)
            return
        SLOTS[self.slot] = self
        self.parked = True
        _tell_monitor(self.worker)
        lamp.publish(self.worker.settings, self.slot, True)
        timeout_s = current_settings().timeout_s
        self._timeout = self.worker.later(timeout_s, self.timed_out)
        log.info("park %s: %s parked by %s", self.slot, self.caller, self.parker or "?")
        self.say(digit_prompts(self.slot), self.play_music)

    def play_music(self) -> None:
        if not self.parked or self.channel.ended:
            return
        music = music_on_hold(self.worker.settings.data_dir) if is_enabled() else []
        if music:
            self.channel.play(music, self.play_music)

    def leave_slot(self) -> None:
        if not self.parked:
            return
        self.parked = False
        if self._timeout is not None:
            self._timeout.cancel()
        if SLOTS.get(self.slot) is self:
            del SLOTS[self.slot]
        _tell_monitor(self.worker)
        lamp.publish(self.worker.settings, self.slot, False)

    def taken_by(self, taker: SlotRetrieval) -> None:
        """Bridge the parked caller with whoever dialled the slot."""
        self.leave_slot()
        self.taker = taker
        self.channel.stop_playing()
        self.channel.audio.startTransmit(taker.channel.audio)
        taker.channel.audio.startTransmit(self.channel.audio)
        log.info(
            "park %s: %s taken back by %s after %d s",
            self.slot,
            self.caller,
            taker.caller,
            time.time() - self.since,
        )

    def timed_out(self) -> None:
        if not self.parked or self.channel.ended:
            return
        log.info(
            "park %s: %s timed out, back to %s",
            self.slot,
            self.caller,
            self.parker or "nobody",
        )
        self.leave_slot()
        self.ring_back()

    def ring_back(self) -> None:
        """Transfer the caller back to the parker, as a new call to it."""
        if self.parker:
            self.channel.transfer(self.parker)
        else:
            self.goodbye()

    def on_transfer_failed(self, code: int) -> None:
        log.info(
            "park %s: ring back to %s failed with %d", self.slot, self.parker, code
        )
        self.goodbye()

    def on_hangup(self) -> None:
        super().on_hangup()
        if self.parked:
            log.info("park %s: %s hung up while parked", self.slot, self.caller)
        self.leave_slot()
        if self.taker is not None:
            self.taker.channel.hangup()


class SlotRetrieval(Flow):
    """Someone dialled a slot's number: take the call parked there back."""

    def __init__(self, worker, channel, slot: str, caller: str) -> None:
        super().__init__(worker, channel)
        self.slot = slot
        self.caller = caller
        self.parked: ParkedCaller | None = None

    def start(self) -> None:
        parked = SLOTS.get(self.slot)
        if parked is None or parked.channel.ended:
            log.info("park %s: %s dialled it, nothing parked", self.slot, self.caller)
            self.say(prompts("pbx-invalidpark", "vm-goodbye"), self.channel.hangup)
            return
        self.parked = parked
        parked.taken_by(self)

    def on_hangup(self) -> None:
        super().on_hangup()
        if self.parked is not None:
            self.parked.channel.hangup()


class ParkByCode(Flow):
    """The park feature code: the first free slot, said, then transferred to."""

    def __init__(self, worker, channel, caller: str, parker: str) -> None:
        super().__init__(worker, channel)
        self.caller = caller
        self.parker = parker

    def start(self) -> None:
        held = {p.slot for p in state.parked_calls(self.worker.settings)}
        free = [s for s in current_settings().slots if s not in held]
        if not free:
            log.info("park: every slot taken, %s goes back", self.caller)
            self.say(prompts("pbx-parkingfailed"), self._back)
            return
        slot = free[0]
        log.info("park: %s goes to free slot %s", self.caller, slot)
        headers = {PARKER_HEADER: self.parker} if self.parker else {}
        self.channel.transfer(slot, headers)

    def _back(self) -> None:
        if self.parker:
            self.channel.transfer(self.parker)
        else:
            self.goodbye()
