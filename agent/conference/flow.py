"""A caller in a conference room, as the media service runs it.

The room lives in the worker that Kamailio sends all its calls to. Joining:
the PIN if the room has one, the count of people already there, a tone to
everyone, then pjmedia's conference bridge connects the new member's audio
both ways with every other member. Key 1 mutes and unmutes oneself. Leaving
plays a tone to those who stay.
"""

from __future__ import annotations

import logging

from agent.accounts.passwords import verify_password
from agent.conference import occupancy
from agent.db.models import ConferenceRoom
from agent.media.flows import PIN_ATTEMPTS, Flow, prompt, prompts
from agent.media.prompts import digit_prompts

log = logging.getLogger("edgepbx.media")

MUTE_KEY = "1"

#: Rooms of this worker process: number -> members in order of joining.
ROOMS: dict[str, list[ConferenceMember]] = {}


def _tell_monitor(worker) -> None:
    """The live monitor reads member counts from the run directory."""
    try:
        counts = {number: len(members) for number, members in ROOMS.items()}
        occupancy.publish(worker.settings, worker.port, counts)
    except OSError as exc:  # a full disk must not drop anyone from the room
        log.warning("conference: member counts not written: %s", exc)


class ConferenceMember(Flow):
    def __init__(self, worker, channel, room: ConferenceRoom, caller: str) -> None:
        super().__init__(worker, channel)
        self.room = room
        self.caller = caller
        self.attempts = 0
        self.joined = False
        self.muted = False

    def others(self) -> list[ConferenceMember]:
        return [m for m in ROOMS.get(self.room.number, []) if m is not self]

    def start(self) -> None:
        if self.room.pin_hash:
            self._ask_pin(prompts("conf-getpin"))
        else:
            self._enter()

    def _ask_pin(self, names) -> None:
        self.ask(names, self._pin_entered, max_digits=10)

    def _pin_entered(self, pin: str) -> None:
        if pin and verify_password(pin, self.room.pin_hash):
            self._enter()
            return
        self.attempts += 1
        if self.attempts >= PIN_ATTEMPTS:
            self.say(prompts("conf-invalidpin", "vm-goodbye"), self.channel.hangup)
        else:
            # The caller may type again while the prompts play.
            self._ask_pin(prompts("conf-invalidpin", "conf-getpin"))

    def _enter(self) -> None:
        if len(self.others()) >= self.room.max_members:
            self.say(prompts("conf-full", "vm-goodbye"), self.channel.hangup)
            return
        count = len(self.others())
        if count == 0:
            intro = prompts("conf-onlyperson")
        else:
            intro = [
                prompt("conf-thereare"),
                *digit_prompts(count),
                prompt("conf-otherinparty"),
            ]
        self.say([*intro, prompt("beep")], self._join)

    def _join(self) -> None:
        members = ROOMS.setdefault(self.room.number, [])
        if len(members) >= self.room.max_members:
            self.say(prompts("conf-full", "vm-goodbye"), self.channel.hangup)
            return
        for other in members:
            other.tone()
            other.channel.audio.startTransmit(self.channel.audio)
            self.channel.audio.startTransmit(other.channel.audio)
        members.append(self)
        self.joined = True
        _tell_monitor(self.worker)
        self._listen_for_keys()
        log.info(
            "conference %s: %s joined, %d in the room",
            self.room.number,
            self.caller,
            len(members),
        )

    def _listen_for_keys(self) -> None:
        self._collecting = True
        self._max_digits = 1
        self._digits = ""
        self._answer = self._key

    def _key(self, digit: str) -> None:
        if digit == MUTE_KEY:
            self.muted = not self.muted
            for other in self.others():
                if self.muted:
                    self.channel.audio.stopTransmit(other.channel.audio)
                else:
                    self.channel.audio.startTransmit(other.channel.audio)
            state = "muted" if self.muted else "unmuted"
            self.channel.play(prompts(f"conf-now-{state}"))
            log.info("conference %s: %s %s", self.room.number, self.caller, state)
        self._listen_for_keys()

    def tone(self) -> None:
        """A short tone to this member only (someone joined or left)."""
        self.channel.play([prompt("beep")])

    def on_hangup(self) -> None:
        super().on_hangup()
        members = ROOMS.get(self.room.number, [])
        if self in members:
            members.remove(self)
            for other in members:
                if not other.channel.ended:
                    other.tone()
            log.info(
                "conference %s: %s left, %d in the room",
                self.room.number,
                self.caller,
                len(members),
            )
        if not members:
            ROOMS.pop(self.room.number, None)
        if self.joined:
            _tell_monitor(self.worker)
