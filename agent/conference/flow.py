"""A caller in a conference room, as the media service runs it.

The room lives in the worker that Kamailio sends all its calls to. Joining:
the PIN if the room has one, the count of people already there, a tone to
everyone, then pjmedia's conference bridge connects the new member's audio
both ways with every other member. Key 1 mutes and unmutes oneself. Leaving
plays a tone to those who stay.

With a moderator PIN the caller's one PIN says who they are: the moderator
PIN makes a moderator, the member PIN (or none, in a room with no member
PIN, by pressing # or waiting) a member. In a room that waits for the
moderator, a member who joins with no moderator there hears music on hold
and nobody, and nobody hears them; the moderator's arrival connects every
waiting member. When the last moderator leaves, a room that ends with the
moderator plays the others that the leader has left and hangs them up; one
that only waits puts them back to music.
"""

from __future__ import annotations

import contextlib
import logging

import pjsua2 as pj

from agent.accounts.passwords import verify_password
from agent.conference import occupancy
from agent.db.models import ConferenceRoom
from agent.media.flows import PIN_ATTEMPTS, Flow, prompt, prompts
from agent.media.music_on_hold import is_enabled as music_enabled
from agent.media.prompts import digit_prompts, music_on_hold

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
        self.moderator = False
        # In the room but held apart, with music, until a moderator joins.
        self.waiting = False

    def others(self) -> list[ConferenceMember]:
        return [m for m in ROOMS.get(self.room.number, []) if m is not self]

    def talking(self) -> list[ConferenceMember]:
        """The others this member hears and is heard by."""
        return [m for m in self.others() if not m.waiting and not m.channel.ended]

    def start(self) -> None:
        if self.room.pin_hash or self.room.moderator_pin_hash:
            self._ask_pin(prompts("conf-getpin"))
        else:
            self._enter()

    def _ask_pin(self, names) -> None:
        self.ask(names, self._pin_entered, max_digits=10)

    def _pin_entered(self, pin: str) -> None:
        moderator_hash = self.room.moderator_pin_hash
        if pin and moderator_hash and verify_password(pin, moderator_hash):
            self.moderator = True
            self._enter()
            return
        member_hash = self.room.pin_hash
        if (pin and member_hash and verify_password(pin, member_hash)) or (
            not pin and not member_hash
        ):
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
        members.append(self)
        self.joined = True
        _tell_monitor(self.worker)
        self._listen_for_keys()
        role = "moderator" if self.moderator else "member"
        if (
            self.room.wait_for_moderator
            and not self.moderator
            and not any(m.moderator for m in self.others())
        ):
            self._wait()
            log.info(
                "conference %s: %s joined, waits for the moderator",
                self.room.number,
                self.caller,
            )
            return
        self._connect()
        if self.moderator:
            for other in self.others():
                if other.waiting and not other.channel.ended:
                    other._connect()
        log.info(
            "conference %s: %s joined as %s, %d in the room",
            self.room.number,
            self.caller,
            role,
            len(members),
        )

    def _connect(self) -> None:
        """Into the conversation: audio both ways with everyone talking."""
        self.waiting = False
        self.channel.stop_playing()
        for other in self.talking():
            other.tone()
            if not other.muted:
                other.channel.audio.startTransmit(self.channel.audio)
            if not self.muted:
                self.channel.audio.startTransmit(other.channel.audio)

    def _disconnect(self) -> None:
        """Out of the conversation, back to waiting with music."""
        for other in self.talking():
            with contextlib.suppress(pj.Error):
                other.channel.audio.stopTransmit(self.channel.audio)
                self.channel.audio.stopTransmit(other.channel.audio)
        self._wait()

    def _wait(self) -> None:
        self.waiting = True
        self._play_music()

    def _play_music(self) -> None:
        if not self.waiting or self.channel.ended:
            return
        music = music_on_hold(self.worker.settings.data_dir) if music_enabled() else []
        if music:
            self.channel.play(music, self._play_music)

    def _listen_for_keys(self) -> None:
        self._collecting = True
        self._max_digits = 1
        self._digits = ""
        self._answer = self._key

    def _key(self, digit: str) -> None:
        if digit == MUTE_KEY:
            self.muted = not self.muted
            for other in [] if self.waiting else self.talking():
                if self.muted:
                    self.channel.audio.stopTransmit(other.channel.audio)
                else:
                    self.channel.audio.startTransmit(other.channel.audio)
            state = "muted" if self.muted else "unmuted"
            self.channel.play(prompts(f"conf-now-{state}"), self._play_music)
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
                if not other.channel.ended and not other.waiting:
                    other.tone()
            log.info(
                "conference %s: %s left, %d in the room",
                self.room.number,
                self.caller,
                len(members),
            )
            if self.moderator and not any(m.moderator for m in members):
                self._last_moderator_left(members)
        if not members:
            ROOMS.pop(self.room.number, None)
        if self.joined:
            _tell_monitor(self.worker)

    def _last_moderator_left(self, members: list[ConferenceMember]) -> None:
        if self.room.end_with_moderator:
            log.info("conference %s: the last moderator left, ending", self.room.number)
            for other in list(members):
                if not other.channel.ended:
                    other._dismiss()
        elif self.room.wait_for_moderator:
            for other in list(members):
                if not other.channel.ended and not other.waiting:
                    other._disconnect()

    def _dismiss(self) -> None:
        """Told the conference is over, then hung up."""
        for other in self.talking():
            with contextlib.suppress(pj.Error):
                self.channel.audio.stopTransmit(other.channel.audio)
                other.channel.audio.stopTransmit(self.channel.audio)
        self.waiting = True  # nobody to talk with any more, and no music
        self.say(prompts("conf-leaderhasleft", "vm-goodbye"), self.channel.hangup)
