"""A page, as the media service runs it.

The caller's call to a page group's number is answered by a media worker,
which calls every member (but the caller) through Kamailio with the page
header: Kamailio skips a member on do-not-disturb (486) or with no phone
registered (480) and adds the auto-answer header each member's phone honours
(agent/sip/auto_answer.py); a phone that is busy answers 486 itself. The
caller hears a short tone once the page is open, then is heard by each
member from the moment that member's phone answers. The members are not
heard: their audio goes nowhere. A member who hangs up drops out; the page
ends for everyone when the caller hangs up, or when no member is left.

Known shortcoming: a member's phone shows the media service
(``media@...``) as the caller, not the extension that pages, because the
worker's calls go out from its one account; the page has no call record
of its own either.
"""

from __future__ import annotations

import logging

from agent.db.models import PageGroup
from agent.media.flows import Flow, prompt, prompts
from agent.paging.service import MAX_MEMBERS, member_numbers

log = logging.getLogger("edgepbx.media")

#: The header that tells Kamailio a call is a page (agent/sip/routing.py).
PAGE_HEADER = "X-Edgepbx-Page"


class PageCall(Flow):
    """The caller's side of a page."""

    def __init__(self, worker, channel, group: PageGroup, caller: str) -> None:
        super().__init__(worker, channel)
        self.group = group
        self.caller = caller
        self.members: list[PageMember] = []
        self.open = False
        self.ended = False

    def start(self) -> None:
        # Known shortcoming: one worker holds the caller's call and the
        # members', so a group reaches at most MAX_MEMBERS members.
        numbers = [n for n in member_numbers(self.group.members) if n != self.caller]
        for number in numbers[:MAX_MEMBERS]:
            member = PageMember(self, number)
            call = self.worker.call_out(
                number,
                member.answered,
                member.ended,
                headers={PAGE_HEADER: self.group.number},
            )
            if call is not None:
                member.call = call
                self.members.append(member)
        log.info(
            "page %s from %s: calling %s",
            self.group.number,
            self.caller,
            ", ".join(m.number for m in self.members) or "nobody",
        )
        if not self.members:
            self.say(prompts("vm-goodbye"), self.channel.hangup)
            return
        self.say([prompt("beep")], self._opened)

    def _opened(self) -> None:
        self.open = True
        for member in self.members:
            if member.connected:
                self._hear(member)

    def _hear(self, member: PageMember) -> None:
        """The caller's audio to this member, one-way."""
        if self.ended or member.channel is None or member.channel.ended:
            return
        self.channel.audio.startTransmit(member.channel.audio)
        log.info("page %s: %s hears the page", self.group.number, member.number)

    def member_answered(self, member: PageMember) -> None:
        if self.open:
            self._hear(member)

    def member_left(self, member: PageMember) -> None:
        if member in self.members:
            self.members.remove(member)
        if not self.members and not self.ended:
            log.info("page %s: no member left", self.group.number)
            self.channel.hangup()

    def on_hangup(self) -> None:
        super().on_hangup()
        self.ended = True
        for member in list(self.members):
            # Ringing or answered alike: a page nobody speaks into is over.
            if member.call is not None:
                member.call.channel.hangup()
        log.info("page %s from %s: ended", self.group.number, self.caller)


class PageMember:
    """One member's call of a page: it only listens (its keys do nothing)."""

    def __init__(self, page: PageCall, number: str) -> None:
        self.page = page
        self.number = number
        self.connected = False
        self.channel = None
        self.call = None

    def answered(self, call) -> None:
        self.channel = call.channel
        self.connected = True
        self.page.member_answered(self)

    def ended(self, call, code: int) -> None:
        self.connected = False
        self.page.member_left(self)
