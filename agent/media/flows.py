"""What the media service does with each call: one state machine per call.

A flow reacts to four events, all on the worker's one thread: ``start`` (the
call's audio is up), ``on_digit``, the end of a prompt or a timer it set,
and ``on_hangup``. :class:`Flow` gives every flow the common moves: play
prompts, then ask for digits with a timeout, with any digit cutting the
prompt short.

Numbers the media service answers:

- the feature codes of the feature-code table (agent/sip/feature_codes.py):
  ``*97`` the caller's own mailbox (PIN asked), ``*98`` any mailbox
  (mailbox number, then PIN); do-not-disturb, forwards and call waiting
  (agent/media/feature_codes.py);
- an IVR menu's number;
- a call queue's number (agent/queues/flow.py), and the queue login and
  logout codes (``*45`` / ``*46`` unless changed) followed by it: the
  caller's extension logs in to or out of the queue (agent/queues/codes.py);
- the park feature code (``*85`` unless changed) and the park slots: a
  call transferred to a slot is parked there, anyone else dialling the slot
  takes it back (agent/park/flow.py);
- any extension with the ``X-Edgepbx-Voicemail`` header from Kamailio
  (busy or unavailable): leave a message.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from agent.db.models import CallQueue, ConferenceRoom, IvrMenu, Mailbox, PageGroup
from agent.media import pool
from agent.media.bridge import FollowsTransfer, join
from agent.media.prompts import digit_prompts, system_prompt
from agent.voicemail.email import after_message
from agent.voicemail.service import MIN_MESSAGE_S, VoicemailService

log = logging.getLogger("edgepbx.media")

# How long a caller may take to start typing after a prompt, and between
# two digits of a number.
DIGIT_TIMEOUT_S = 5.0
INTER_DIGIT_TIMEOUT_S = 3.0
# Three wrong PINs and the call ends, as in most voicemail systems.
PIN_ATTEMPTS = 3
# Recording: silence this long ends a message (the caller hung up or is
# done), judged every SILENCE_CHECK_S; below SILENCE_LEVEL (of 255) is
# silence (the line's noise floor sits well under it).
SILENCE_CUTOFF_S = 5.0
SILENCE_CHECK_S = 0.25
SILENCE_LEVEL = 3
MAX_GREETING_S = 60
# Longer than any recording (the longest message limit is 600 s).
SPOOL_MAX_AGE_S = 3600
# SIP status sent back when a call for voicemail finds no mailbox: the
# failure the callee gave, so the caller hears busy or no answer.
FAILURE_FOR_REASON = {"busy": 486, "unavailable": 480}


def prompt(name: str) -> Path:
    return system_prompt(name)


def prompts(*names: str) -> list[Path]:
    return [system_prompt(n) for n in names]


class Flow:
    """The common moves of every flow: prompts and digit collection."""

    def __init__(self, worker, channel) -> None:
        self.worker = worker
        self.channel = channel
        self.voicemail = VoicemailService(worker.settings)
        self._collecting = False
        self._digits = ""
        self._max_digits = 1
        self._complete: Callable[[str], bool] | None = None
        self._answer: Callable[[str], None] | None = None
        self._timer = None
        self._timeout_s = DIGIT_TIMEOUT_S

    # -- events --------------------------------------------------------------

    def start(self) -> None:
        raise NotImplementedError

    def on_hangup(self) -> None:
        self._cancel_timer()

    def on_transfer_failed(self, code: int) -> None:
        log.info("media: transfer failed with %d", code)
        self.channel.play(prompts("pbx-invalid", "vm-goodbye"), self.channel.hangup)

    def on_digit(self, digit: str) -> None:
        if not self._collecting:
            return
        self.channel.stop_playing()
        if digit == "#" and self._max_digits > 1:
            self._finish_collecting()
            return
        self._digits += digit
        if len(self._digits) >= self._max_digits or (
            self._complete is not None and self._complete(self._digits)
        ):
            self._finish_collecting()
            return
        self._arm_timer(INTER_DIGIT_TIMEOUT_S)

    # -- moves ---------------------------------------------------------------

    def say(self, names: list[Path], then: Callable[[], None]) -> None:
        """Play prompts that digits do not interrupt."""
        self._collecting = False
        self.channel.play(names, then)

    def ask(
        self,
        names: list[Path],
        then: Callable[[str], None],
        *,
        max_digits: int = 1,
        timeout_s: float = DIGIT_TIMEOUT_S,
        complete: Callable[[str], bool] | None = None,
    ) -> None:
        """Play prompts and collect up to max_digits ("#" ends early).

        ``then`` gets the digits, or "" if the caller pressed nothing within
        timeout_s after the prompts ended.
        """
        self._cancel_timer()
        self._collecting = True
        self._digits = ""
        self._max_digits = max_digits
        self._complete = complete
        self._answer = then
        self._timeout_s = timeout_s
        self.channel.play(names, self._prompts_done)

    def _prompts_done(self) -> None:
        if self._collecting and not self._digits:
            self._arm_timer(self._timeout_s)

    def _arm_timer(self, seconds: float) -> None:
        self._cancel_timer()
        self._timer = self.worker.later(seconds, self._finish_collecting)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _finish_collecting(self) -> None:
        if not self._collecting:
            return
        self._cancel_timer()
        self._collecting = False
        answer, digits = self._answer, self._digits
        if answer is not None and not self.channel.ended:
            answer(digits)

    def goodbye(self) -> None:
        self.say(prompts("vm-goodbye"), self.channel.hangup)

    def notify_count(self, box: Mailbox) -> None:
        self.voicemail.tell_phones(box)


class Recording:
    """Record the caller until '#', silence, the length limit or hang-up."""

    def __init__(
        self, flow: Flow, path: Path, max_s: float, done: Callable[[float], None]
    ) -> None:
        self.flow = flow
        self.path = path
        self.max_s = max_s
        self.done = done
        self.silent_for = 0.0
        self.active = False
        self._timer = None

    def start(self) -> None:
        self.flow.channel.record(self.path)
        self.active = True
        self.started = time.monotonic()
        self._timer = self.flow.worker.later(SILENCE_CHECK_S, self._check)

    def _check(self) -> None:
        if not self.active:
            return
        elapsed = time.monotonic() - self.started
        if self.flow.channel.incoming_level() <= SILENCE_LEVEL:
            self.silent_for += SILENCE_CHECK_S
        else:
            self.silent_for = 0.0
        if elapsed >= self.max_s or self.silent_for >= SILENCE_CUTOFF_S:
            self.stop()
            return
        self._timer = self.flow.worker.later(SILENCE_CHECK_S, self._check)

    def stop(self) -> None:
        if not self.active:
            return
        self.active = False
        if self._timer is not None:
            self._timer.cancel()
        duration = self.flow.channel.stop_recording()
        # Trailing silence that ended the recording is no part of it.
        if self.silent_for >= SILENCE_CUTOFF_S:
            duration -= self.silent_for
        self.done(max(0.0, duration))


def spool_dir(settings) -> Path:
    """Recordings in progress; filed or dropped when they end."""
    return settings.data_dir / "voicemail" / ".spool"


def clean_spool(settings) -> None:
    """Drop recordings a dead worker left behind.

    No recording lasts longer than SPOOL_MAX_AGE_S, so an older file belongs
    to no live call of any worker.
    """
    cutoff = time.time() - SPOOL_MAX_AGE_S
    for path in spool_dir(settings).glob("*.wav"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _temporary_wav(worker) -> Path:
    spool = spool_dir(worker.settings)
    spool.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=spool, suffix=".wav")
    os.close(fd)
    return Path(name)


class LeaveMessage(Flow):
    """Greeting, tone, record, file the message, tell the phones and e-mail."""

    def __init__(
        self, worker, channel, box: Mailbox, reason: str, caller: str, caller_name: str
    ) -> None:
        super().__init__(worker, channel)
        self.box = box
        self.reason = reason
        self.caller = caller
        self.caller_name = caller_name
        self.recording: Recording | None = None
        self.filed = False

    def start(self) -> None:
        number = self.box.extension.number
        custom = self.voicemail.greeting_path(number, self.reason)
        if custom.exists():
            greeting = [custom]
        else:
            # "101 is unavailable. Please leave your message after the
            # tone": about 6 s for a three-digit number, as short as desk
            # PBXs keep it. "The person at extension" and the how-to-finish
            # instructions (hang up or press #) doubled it; a caller hangs up
            # or presses # without being told.
            state = "vm-isonphone" if self.reason == "busy" else "vm-isunavail"
            greeting = [
                *digit_prompts(number),
                prompt(state),
                prompt("vm-leavemsg"),
            ]
        # Any digit skips the greeting to the tone.
        self.ask(
            greeting,
            lambda _digits: self._tone(),
            timeout_s=0.01,
        )

    def _tone(self) -> None:
        self.say([prompt("beep")], self._record)

    def _record(self) -> None:
        path = _temporary_wav(self.worker)
        self.recording = Recording(self, path, self.box.max_message_s, self._recorded)
        self.recording.start()
        self._collecting = True
        self._max_digits = 1
        self._digits = ""
        self._answer = lambda _d: self.recording.stop()

    def _recorded(self, duration: float) -> None:
        self._file(duration)
        if not self.channel.ended:
            self.say(prompts("vm-msgsaved", "vm-goodbye"), self.channel.hangup)

    def on_hangup(self) -> None:
        super().on_hangup()
        if self.recording is not None and self.recording.active:
            self.recording.stop()

    def _file(self, duration: float) -> None:
        if self.filed:
            return
        self.filed = True
        path = self.recording.path
        number = self.box.extension.number
        if duration < MIN_MESSAGE_S:
            path.unlink(missing_ok=True)
            log.info(
                "voicemail %s: %.1f s from %s, too short, dropped",
                number,
                duration,
                self.caller,
            )
            return
        message = self.voicemail.store(
            self.box,
            path,
            caller=self.caller,
            caller_name=self.caller_name,
            reason=self.reason,
            duration_s=duration,
        )
        log.info(
            "voicemail %s: message %d from %s, %.1f s",
            number,
            message.id,
            self.caller,
            duration,
        )
        self.notify_count(self.box)
        to = self.box.extension.email if self.box.email_enabled else None
        threading.Thread(
            target=after_message,
            args=(
                self.worker.settings,
                message.id,
                to,
                self.voicemail.message_info(message),
                self.voicemail.message_path(message),
                bool(self.box.transcribe),
            ),
            daemon=True,
        ).start()


class MailboxMenu(Flow):
    """Log in with the PIN, then listen to, save and delete messages,
    record greetings and change the PIN."""

    def __init__(self, worker, channel, number: str | None) -> None:
        super().__init__(worker, channel)
        self.number = number
        self.box: Mailbox | None = None
        self.attempts = 0
        self.queue: list = []
        self.position = 0
        self.new_pin = ""

    def start(self) -> None:
        if self.number is None:
            self.ask(prompts("vm-login"), self._mailbox_entered, max_digits=6)
        else:
            self._ask_pin()

    def _mailbox_entered(self, digits: str) -> None:
        if not digits:
            self.goodbye()
            return
        self.number = digits
        self._ask_pin()

    def _ask_pin(self, before: tuple[str, ...] = ()) -> None:
        # Digits typed during the prompts count: a caller may type ahead.
        self.ask(prompts(*before, "vm-password"), self._pin_entered, max_digits=10)

    def _pin_entered(self, pin: str) -> None:
        box = self.voicemail.find(self.number or "")
        # The same answer for a wrong PIN and an unknown or disabled box.
        if box is not None and box.enabled and self.voicemail.pin_matches(box, pin):
            self.box = box
            log.info("voicemail %s: logged in", self.number)
            self.main_menu()
            return
        self.attempts += 1
        log.info("voicemail %s: wrong PIN (%d)", self.number, self.attempts)
        if self.attempts >= PIN_ATTEMPTS:
            self.say(prompts("vm-incorrect", "vm-goodbye"), self.channel.hangup)
        else:
            self._ask_pin(("vm-incorrect",))

    # -- main menu: 1 listen, 0 mailbox options, * or # leave ----------------

    def main_menu(self) -> None:
        new, old = self.voicemail.counts(self.box)
        intro = [
            prompt("vm-youhave"),
            *digit_prompts(new),
            prompt("vm-INBOX"),
            prompt("vm-messages"),
            prompt("vm-and"),
            *digit_prompts(old),
            prompt("vm-Old"),
            prompt("vm-messages"),
        ]
        menu = prompts("vm-onefor", "vm-INBOX", "vm-opts")
        self.ask([*intro, *menu], self._main_choice, timeout_s=DIGIT_TIMEOUT_S)

    def _main_choice(self, digit: str) -> None:
        if digit == "1":
            self.queue = self.voicemail.messages(self.box)
            self.position = 0
            self._play_current()
        elif digit == "0":
            self.options()
        elif digit in {"*", "#"} or digit == "":
            self.goodbye()
        else:
            self.say(prompts("pm-invalid-option"), self.main_menu)

    # -- messages: 5 replay, 7 delete, 9 save, 6 next, 4 previous, # back ---

    def _play_current(self) -> None:
        if self.position >= len(self.queue):
            self.say(prompts("vm-nomore"), self.main_menu)
            return
        message = self.queue[self.position]
        label = "vm-first" if self.position == 0 else "vm-next"
        audio = self.voicemail.message_path(message)
        self.ask(
            [prompt(label), prompt("vm-message"), audio],
            self._message_choice_after_play(message),
            timeout_s=0.01,
        )

    def _message_choice_after_play(self, message) -> Callable[[str], None]:
        def heard(digit: str) -> None:
            self.voicemail.mark_heard(message)
            self.notify_count(self.box)
            if digit:
                self._message_choice(digit)
            else:
                self.ask(prompts("vm-msginstruct"), self._message_choice)

        return heard

    def _message_choice(self, digit: str) -> None:
        message = self.queue[self.position]
        if digit == "5":
            self._play_current()
        elif digit == "7":
            self.voicemail.delete(message)
            del self.queue[self.position]
            self.notify_count(self.box)
            self.say(prompts("vm-deleted"), self._play_current)
        elif digit == "9":
            self.position += 1
            self.say(prompts("vm-msgsaved"), self._play_current)
        elif digit == "6" or digit == "":
            self.position += 1
            self._play_current()
        elif digit == "4":
            self.position = max(0, self.position - 1)
            self._play_current()
        elif digit == "#":
            self.main_menu()
        else:
            self.say(
                prompts("pm-invalid-option"),
                lambda: self.ask(prompts("vm-msginstruct"), self._message_choice),
            )

    # -- options: 1 unavailable greeting, 2 busy greeting, 5 PIN, # back ------

    def options(self) -> None:
        self.ask(prompts("vm-opts-full"), self._option_choice)

    def _option_choice(self, digit: str) -> None:
        if digit in {"1", "2"}:
            reason = "unavailable" if digit == "1" else "busy"
            name = "vm-rec-unv" if digit == "1" else "vm-rec-busy"
            self.say(
                [prompt(name), prompt("beep")], lambda: self._record_greeting(reason)
            )
        elif digit == "5":
            self.ask(prompts("vm-newpassword"), self._new_pin, max_digits=10)
        elif digit in {"#", "*", ""}:
            self.main_menu()
        else:
            self.say(prompts("pm-invalid-option"), self.options)

    def _record_greeting(self, reason: str) -> None:
        path = _temporary_wav(self.worker)

        def recorded(duration: float) -> None:
            if duration < MIN_MESSAGE_S:
                path.unlink(missing_ok=True)
                if not self.channel.ended:
                    self.options()
                return
            self.voicemail.save_greeting(self.box, reason, path)
            log.info(
                "voicemail %s: %s greeting recorded", self.box.extension.number, reason
            )
            if not self.channel.ended:
                self.say(prompts("vm-saved"), self.options)

        self.recording = Recording(self, path, MAX_GREETING_S, recorded)
        self.recording.start()
        self._collecting = True
        self._max_digits = 1
        self._digits = ""
        self._answer = lambda _d: self.recording.stop()

    def on_hangup(self) -> None:
        super().on_hangup()
        recording = getattr(self, "recording", None)
        if recording is not None and recording.active:
            recording.stop()

    def _new_pin(self, pin: str) -> None:
        self.new_pin = pin
        self.ask(prompts("vm-reenterpassword"), self._pin_again, max_digits=10)

    def _pin_again(self, pin: str) -> None:
        from agent.errors import InvalidInput
        from agent.voicemail.service import check_mailbox_pin

        if pin != self.new_pin:
            self.say(prompts("vm-mismatch"), self.options)
            return
        try:
            check_mailbox_pin(pin, self.box.extension.number)
        except InvalidInput:
            self.say(prompts("vm-invalid-password"), self.options)
            return
        self.voicemail.change_pin(self.box, pin)
        log.info("voicemail %s: PIN changed from the phone", self.box.extension.number)
        self.say(prompts("vm-passchanged"), self.options)


# How long a trunk caller's extension rings before the caller is back in
# the menu that sent them: as long as an extension's own calls ring
# (agent/sip/routing.py DEFAULT_RING_MS).
JOIN_RING_S = 60


class JoinExtension(FollowsTransfer, Flow):
    """A caller from a trunk handed on to an extension: the worker rings
    the extension through Kamailio and joins the two calls' audio.

    Should nobody answer, the flow that handed the caller on gets them
    back, as a failed REFER gives them back (``on_transfer_failed``). The
    extension may transfer the caller on, blind or attended: the worker
    follows its REFER (agent/media/bridge.py).
    """

    def __init__(self, worker, channel, number: str, previous) -> None:
        super().__init__(worker, channel)
        self.number = number
        self.previous = previous
        self.callee = None
        self.joined = False
        self._ring_timer = None

    def bridged_call(self):
        return self.callee if self.joined else None

    def transfer_label(self) -> str:
        return f"extension {self.number}"

    def start(self) -> None:
        self.callee = self.worker.call_out(
            self.number, self.answered, self.ended, for_caller=self.channel
        )
        if self.callee is None:
            self.give_back(503)
            return
        self.follow_transfers(self.callee)
        self._ring_timer = self.worker.later(JOIN_RING_S, self.callee.channel.hangup)

    def answered(self, call) -> None:
        self._ring_timer.cancel()
        if self.channel.ended:
            call.channel.hangup()
            return
        self.joined = True
        join(self.channel, call.channel)
        log.info("media: trunk caller joined to extension %s", self.number)

    def ended(self, call, code: int) -> None:
        if self._ring_timer is not None:
            self._ring_timer.cancel()
        if self.joined and self.bridged_ended():
            return
        if self.joined or self.channel.ended:
            self.channel.hangup()
            return
        self.give_back(code)

    def transfer_failed_alone(self, code: int) -> None:
        # The menu that sent the caller here offers its choices again.
        self.give_back(code)

    def give_back(self, code: int) -> None:
        self.channel.call.flow = self.previous
        if self.previous is None:
            self.channel.hangup()
            return
        self.previous.on_transfer_failed(code)

    def on_hangup(self) -> None:
        super().on_hangup()
        if self.callee is not None and not self.callee.channel.ended:
            self.callee.channel.hangup()
        self.hang_up_target()


#: The queue login codes' features: whether each logs the agent in.
QUEUE_LOGINS = {"queue_login": True, "queue_logout": False}


def for_invite(worker, channel, invite):
    """The flow for an incoming call, or a SIP status code to refuse it."""
    voicemail = VoicemailService(worker.settings)
    reason = invite.header(pool.VOICEMAIL_HEADER)
    if reason in FAILURE_FOR_REASON:
        box = voicemail.find(invite.dialed)
        if box is None or not box.enabled:
            return FAILURE_FOR_REASON[reason]
        return LeaveMessage(
            worker, channel, box, reason, invite.caller, invite.caller_name
        )
    from agent.feature_codes import current_codes
    from agent.media.feature_codes import SETTINGS, SettingCode
    from agent.sip.feature_codes import match

    feature, number = match(current_codes(), invite.dialed) or ("", "")
    if feature in SETTINGS:
        return SettingCode(worker, channel, invite.caller, feature, number)
    if feature in QUEUE_LOGINS:
        from agent.queues.codes import QueueLoginCode

        login = QUEUE_LOGINS[feature]
        return QueueLoginCode(worker, channel, invite.caller, number, login)
    if feature == "voicemail_own":
        return MailboxMenu(worker, channel, invite.caller)
    if feature == "voicemail_any":
        return MailboxMenu(worker, channel, None)
    if feature == "park":
        from agent.park.flow import ParkByCode, parker_of

        return ParkByCode(worker, channel, invite.caller, parker_of(invite))
    from agent.park.service import current_settings

    if invite.dialed in current_settings().slots:
        from agent.park.flow import ParkedCaller, SlotRetrieval, parker_of

        parker = parker_of(invite)
        if parker or invite.header("referred-by") is not None:
            return ParkedCaller(worker, channel, invite.dialed, invite.caller, parker)
        return SlotRetrieval(worker, channel, invite.dialed, invite.caller)
    room = ConferenceRoom.get_or_none(ConferenceRoom.number == invite.dialed)
    if room is not None:
        from agent.conference.flow import ConferenceMember

        return ConferenceMember(worker, channel, room, invite.caller)
    group = PageGroup.get_or_none(PageGroup.number == invite.dialed)
    if group is not None:
        from agent.paging.flow import PageCall

        return PageCall(worker, channel, group, invite.caller)
    queue = CallQueue.get_or_none(CallQueue.number == invite.dialed)
    if queue is not None:
        from agent.queues.flow import QueueCaller

        return QueueCaller(worker, channel, queue, invite.caller)
    menu = IvrMenu.get_or_none(IvrMenu.number == invite.dialed)
    if menu is not None:
        from agent.ivr.flow import IvrFlow

        return IvrFlow(worker, channel, menu, invite.caller)
    return None
