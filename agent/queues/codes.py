"""Feature codes an agent's phone dials to join or leave a queue.

The queue login code (``*45`` unless changed in the feature-code table,
agent/sip/feature_codes.py) followed by the queue's number logs the calling
extension in as a dynamic agent of that queue (``*45600`` for queue 600),
the logout code (``*46``) followed by it logs the extension out. The media
service answers, changes the login through the same
service as the CLI, the pages and the API (``agent.queues.service``) as
the user of the calling extension, says what it did, and hangs up.

A static agent (one of the queue's own agents) is always in: the login code
says so ("agent logged in") and adds nothing, the logout code says the
feature is not available on this line, and the agent stays in.
"""

from __future__ import annotations

import logging

from agent.accounts.roles import Principal, Role
from agent.db.models import CallQueue
from agent.errors import PbxError
from agent.media.flows import Flow, prompts

log = logging.getLogger("edgepbx.media")


class QueueLoginCode(Flow):
    """Log the caller's extension in to or out of a queue, and say so."""

    def __init__(self, worker, channel, caller: str, queue: str, login: bool) -> None:
        super().__init__(worker, channel)
        self.caller = caller
        self.queue = queue
        self.login = login

    def start(self) -> None:
        from agent.queues.service import QueueService, agent_list

        user = Principal(f"phone {self.caller}", Role.USER, extension=self.caller)
        service = QueueService(self.worker.settings, user)
        queue = CallQueue.get_or_none(CallQueue.number == self.queue)
        if queue is not None and self.caller in agent_list(queue.agents):
            log.info(
                "queue %s: %s is a static agent, its login code changes nothing",
                self.queue,
                self.caller,
            )
            said = "agent-loginok" if self.login else "feature-not-avail-line"
            self.say(prompts(said, "vm-goodbye"), self.channel.hangup)
            return
        try:
            if self.login:
                service.log_in(self.queue, self.caller)
            else:
                service.log_out(self.queue, self.caller)
        except PbxError as exc:
            log.info(
                "queue %s: login code from %s refused: %s", self.queue, self.caller, exc
            )
            self.say(prompts("pbx-invalid", "vm-goodbye"), self.channel.hangup)
            return
        state = "logged in" if self.login else "logged out"
        log.info("queue %s: %s %s from the phone", self.queue, self.caller, state)
        said = "agent-loginok" if self.login else "agent-loggedoff"
        self.say(prompts(said, "vm-goodbye"), self.channel.hangup)
