"""An IVR menu call, as the media service runs it.

The menu's prompt plays; the caller presses a choice key, or dials an
extension number when the menu allows it. No input or an unknown key
replays the menu up to ``retries`` times, then the call goes to the
menu's fallback, so a caller is never left in silence.
"""

from __future__ import annotations

import logging

from agent.db.models import CallQueue, Extension, IvrMenu
from agent.destinations import Destination
from agent.media.flows import Flow, LeaveMessage, prompt, prompts
from agent.media.prompts import PromptMissing, system_prompt
from agent.voicemail.service import VoicemailService

log = logging.getLogger("edgepbx.media")


def menu_prompt(settings, name: str):
    """A menu prompt: an uploaded one under prompts/, else a system prompt."""
    uploaded = settings.data_dir / "prompts" / f"{name}.wav"
    if uploaded.is_file():
        return uploaded
    try:
        return system_prompt(name)
    except PromptMissing:
        log.warning("ivr: prompt %s is missing", name)
        return uploaded


class IvrFlow(Flow):
    def __init__(self, worker, channel, menu: IvrMenu, caller: str) -> None:
        super().__init__(worker, channel)
        self.caller = caller
        self.enter(menu)

    def enter(self, menu: IvrMenu) -> None:
        self.menu = menu
        self.choices = {c.digit: c.destination for c in menu.choices}
        self.tries_left = menu.retries
        self.extensions = (
            {e.number for e in Extension.select(Extension.number)}
            if menu.dial_by_extension
            else set()
        )

    def start(self) -> None:
        log.info(
            "ivr %s: caller %s in menu %s",
            self.menu.number,
            self.caller,
            self.menu.name,
        )
        self.offer()

    def offer(self) -> None:
        longest = max([1, *(len(n) for n in self.extensions)])
        self.ask(
            [menu_prompt(self.worker.settings, self.menu.prompt)],
            self.chosen,
            max_digits=longest,
            timeout_s=self.menu.digit_timeout_s,
            complete=self._choice_complete,
        )

    def _choice_complete(self, digits: str) -> bool:
        """Act at once when no longer key or number could still follow."""
        longer = any(n != digits and n.startswith(digits) for n in self.extensions)
        if longer:
            return False
        return digits in self.choices or digits in self.extensions

    def chosen(self, digits: str) -> None:
        if digits in self.choices:
            self.go(Destination.parse(self.choices[digits], "choice"))
            return
        if digits in self.extensions:
            self.go(Destination("extension", digits))
            return
        self.tries_left -= 1
        log.info(
            "ivr %s: %s",
            self.menu.number,
            "no input" if not digits else f"invalid input {digits}",
        )
        if self.tries_left <= 0:
            self.go(Destination.parse(self.menu.fallback, "fallback"))
            return
        if digits:
            self.say(prompts("pm-invalid-option"), self.offer)
        else:
            self.offer()

    def go(self, destination: Destination) -> None:
        log.info("ivr %s: caller %s to %s", self.menu.number, self.caller, destination)
        if destination.kind == "extension":
            self.say(
                prompts("pls-hold-while-try"),
                lambda: self.channel.transfer(destination.target),
            )
        elif destination.kind == "ivr":
            menu = IvrMenu.get_or_none(IvrMenu.number == destination.target)
            if menu is None:
                self.goodbye()
                return
            self.enter(menu)
            self.offer()
        elif destination.kind == "queue":
            from agent.queues.flow import QueueCaller

            queue = CallQueue.get_or_none(CallQueue.number == destination.target)
            if queue is None:
                self.goodbye()
                return
            flow = QueueCaller(self.worker, self.channel, queue, self.caller)
            self.channel.call.flow = flow
            flow.start()
        elif destination.kind == "voicemail":
            box = VoicemailService(self.worker.settings).find(destination.target)
            if box is None or not box.enabled:
                self.goodbye()
                return
            flow = LeaveMessage(
                self.worker, self.channel, box, "unavailable", self.caller, ""
            )
            self.channel.call.flow = flow
            flow.start()
        else:
            self.say([prompt("vm-goodbye")], self.channel.hangup)

    def on_transfer_failed(self, code: int) -> None:
        log.info("ivr %s: transfer failed with %d", self.menu.number, code)
        self.tries_left = self.menu.retries
        self.say(prompts("pbx-invalid"), self.offer)
