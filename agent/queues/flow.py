"""A caller in a call queue, as the media service runs it.

The worker answers the caller and plays music on hold. Every second it looks
at the queue: when this caller is first in line (over every worker, see
agent/queues/state.py) and an agent is free, it rings agents through
Kamailio as the queue's strategy says. The first agent to answer is bridged
with the caller both ways, and every other ringing phone stops. An agent in
a queue call, or being rung for one, is not rung again. After the queue's
maximum wait the caller goes to its failover destination. Announcements of
the caller's position and wait interrupt the music every announce_every_s.

The worker stays in the path: caller<->worker and worker<->agent are two
calls. When the agent transfers the call (a REFER, blind or attended, or to
park), the worker places the call the REFER names through Kamailio as the
agent's (agent/sip/transfer.py), bridges the caller to it once it is
answered, and ends the agent's call. The agent's phone, and then the
target's, sees the caller, not the worker, as the one calling: the
worker's call to the agent asserts who it is for (P-Asserted-Identity),
and the routing presents that caller in the From of the call to the agent
and of the call to the target. Known shortcoming: only a blind
transfer to an extension is tested this way; an attended transfer (Replaces)
and a park take the same path untested, and an IVR that joins a trunk's
caller to an extension (agent/media/flows.py, JoinExtension) does not yet
follow its extension's REFER.

Known shortcoming: an agent's forwards do not apply to queue calls
(do-not-disturb does).

The call record (agent/cdr/records.py) is told how the caller left the
queue: answered by an agent (who, and after how long), abandoned, or timed
out to the failover. A failover to another queue starts a part of the call
of its own there, so each queue's figures count only their own wait.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time

import pjsua2 as pj

from agent.cdr import records
from agent.db.models import CallQueue, Extension, QueueLogin
from agent.destinations import Destination
from agent.extensions.features import ExtensionFeatureRow
from agent.media.flows import Flow, LeaveMessage, prompt
from agent.media.music_on_hold import is_enabled
from agent.media.prompts import digit_prompts, music_on_hold
from agent.media.uploads import MUSIC_FOLDER
from agent.queues import state
from agent.queues.service import DEFAULT_MUSIC, agent_list, answered_today
from agent.sip.kamailio_config import CALL_EVENTS_SOCKET_NAME
from agent.sip.outside import CallEvents
from agent.voicemail.service import VoicemailService

log = logging.getLogger("edgepbx.media")

# How often a waiting caller looks for a free agent.
TICK_S = 1.0
# After a round in which every agent rang or refused and none answered, the
# caller waits this long before the next round, so a phone that refuses at
# once (busy elsewhere) is not rung every second.
RETRY_S = 5.0
# After a transfer's target answered, the transferring agent's phone hangs
# up when told so (RFC 3515 NOTIFY); one that stays is hung up after this.
AGENT_LEAVES_S = 2.0

#: What this worker holds, published for the others and the web admin.
HELD = state.WorkerQueues()
#: This worker's sender of call events to the agent's call records.
_CALL_EVENTS: CallEvents | None = None


def _publish(worker) -> None:
    try:
        state.publish(worker.settings, worker.port, HELD)
    except OSError as exc:  # a full disk must not drop a caller
        log.warning("queue: live state not written: %s", exc)


def _tell_record(worker, channel, kind: str, **fields: object) -> None:
    """Tell the agent's call records about the caller's call (fire and forget)."""
    global _CALL_EVENTS
    if not channel.sip_call_id:
        return
    if _CALL_EVENTS is None:
        path = worker.settings.run_dir / CALL_EVENTS_SOCKET_NAME
        _CALL_EVENTS = CallEvents(str(path))
    _CALL_EVENTS.send(kind, channel.sip_call_id, **fields)


def queue_agents(queue: CallQueue) -> list[str]:
    """Static agents in order, then logged-in agents by login time."""
    static = agent_list(queue.agents)
    logins = (
        QueueLogin.select(QueueLogin.extension)
        .where(QueueLogin.queue == queue)
        .order_by(QueueLogin.logged_in_at, QueueLogin.id)
    )
    return static + [x.extension for x in logins if x.extension not in static]


def ordered(
    strategy: str, agents: list[str], stats: dict, last_rung: str | None = None
) -> list[str]:
    """The agents in the order the strategy rings them.

    Args:
        agents: the free agents in the queue's order.
        stats: agent -> {"calls": answered, "last_end": epoch seconds}, as
            the call records hold them (service.answered_today).
        last_rung: the agent any worker rang last for this queue.
    """
    if strategy == "round-robin" and last_rung in agents:
        after = agents.index(last_rung) + 1
        return agents[after:] + agents[:after]
    if strategy == "least-recent":
        return sorted(agents, key=lambda a: stats.get(a, {}).get("last_end", 0.0))
    if strategy == "fewest-calls":
        return sorted(agents, key=lambda a: stats.get(a, {}).get("calls", 0))
    if strategy == "random":
        return random.sample(agents, len(agents))
    return list(agents)


class QueueCaller(Flow):
    def __init__(self, worker, channel, queue: CallQueue, caller: str) -> None:
        super().__init__(worker, channel)
        self.queue = queue
        self.number = queue.number
        self.caller = caller
        self.since = time.time()
        self.entry = {"caller": caller, "since": self.since}
        self.ringing: dict[str, object] = {}  # agent -> its outgoing call
        self.tried: list[str] = []  # agents rung in this round, one at a time
        self.agent_call = None
        self.agent = ""
        #: The call the agent transferred the caller to, once placed.
        self.target_call = None
        self.caller_hung_up = False
        self.done = False
        self.left = False  # answered by an agent or gone to the failover
        self.announcing = False
        self._tick_timer = None
        self._deadline = None
        self._next_announcement = self.since + queue.announce_every_s
        self._retry_at = 0.0

    # -- waiting -----------------------------------------------------------------

    def start(self) -> None:
        HELD.waiting.setdefault(self.number, []).append(self.entry)
        _publish(self.worker)
        _tell_record(self.worker, self.channel, records.QUEUED, queue=self.number)
        log.info("queue %s: %s waiting", self.number, self.caller)
        self.play_music()
        self._deadline = self.worker.later(self.queue.max_wait_s, self.give_up)
        self._tick_timer = self.worker.later(0, self.tick)

    def music(self) -> list:
        if self.queue.music != DEFAULT_MUSIC:
            path = (
                self.worker.settings.data_dir / MUSIC_FOLDER / f"{self.queue.music}.wav"
            )
            if path.is_file():
                return [path]
        if not is_enabled():
            return []  # the owner turned music on hold off: silence
        return music_on_hold(self.worker.settings.data_dir)

    def play_music(self) -> None:
        if self.done or self.channel.ended:
            return
        self.announcing = False
        music = self.music()
        if music:
            self.channel.play(music, self.play_music)
        else:
            self.channel.stop_playing()

    def tick(self) -> None:
        if self.done or self.channel.ended:
            return
        self._tick_timer = self.worker.later(TICK_S, self.tick)
        live = state.combined(self.worker.settings)
        position = live.position(self.number, self.since)
        announces = self.queue.announce_position or self.queue.announce_wait
        if announces and time.time() >= self._next_announcement and not self.ringing:
            self._next_announcement = time.time() + self.queue.announce_every_s
            self.announce(position)
        if self.ringing or time.time() < self._retry_at:
            return
        # An agent calling the queue is the caller here, never an agent.
        agents = [a for a in queue_agents(self.queue) if a != self.caller]
        free = [a for a in agents if a not in live.agents and self._reachable(a)]
        if not free or position > len(free):
            return
        last = live.rung.get(self.number)
        stats = (
            answered_today(free)
            if self.queue.strategy in {"least-recent", "fewest-calls"}
            else {}
        )
        self.ring(ordered(self.queue.strategy, free, stats, last))

    def _reachable(self, agent: str) -> bool:
        """An extension that exists and has do-not-disturb off."""
        extension = Extension.get_or_none(Extension.number == agent)
        if extension is None:
            return False
        features = ExtensionFeatureRow.get_or_none(
            ExtensionFeatureRow.extension == extension
        )
        return features is None or not features.dnd

    def announce(self, position: int) -> None:
        said = []
        if self.queue.announce_position:
            if position == 1:
                said.append(prompt("queue-youarenext"))
            else:
                said += [
                    prompt("queue-thereare"),
                    *digit_prompts(position - 1),
                    prompt("queue-callswaiting"),
                ]
        if self.queue.announce_wait:
            minutes = max(1, round((time.time() - self.since) / 60))
            said += [
                prompt("queue-holdtime"),
                *digit_prompts(minutes),
                prompt("queue-minutes"),
            ]
        said.append(prompt("queue-thankyou"))
        self.announcing = True
        self.channel.play(said, self.play_music)

    # -- ringing -----------------------------------------------------------------

    def ring(self, candidates: list[str]) -> None:
        if self.queue.strategy == "ring-all":
            chosen = candidates[: max(0, self.worker.free_lines())]
        else:
            untried = [a for a in candidates if a not in self.tried]
            if not untried:
                self.tried = []
                untried = candidates
            chosen = untried[:1] if self.worker.free_lines() > 0 else []
        for agent in chosen:
            call = self.worker.call_out(
                agent, self.agent_answered, self.agent_ended, for_caller=self.channel
            )
            if call is None:
                continue
            call.on_transfer = self.agent_transferred
            call.agent = agent
            self.ringing[agent] = call
            self.tried.append(agent)
            HELD.rung[self.number] = {"agent": agent, "at": time.time()}
            HELD.agents[agent] = {"state": "ringing", "queue": self.number}
            call.ring_timer = self.worker.later(
                self.queue.ring_s, lambda c=call: c.channel.hangup()
            )
        if chosen:
            log.info(
                "queue %s: ringing %s for %s",
                self.number,
                ", ".join(chosen),
                self.caller,
            )
            _publish(self.worker)

    def agent_answered(self, call) -> None:
        call.ring_timer.cancel()
        if self.done or self.channel.ended or self.agent_call is not None:
            call.channel.hangup()
            return
        self.agent_call = call
        self.agent = call.agent
        self.left = True
        self.leave_line()
        for other in list(self.ringing.values()):
            if other is not call:
                other.channel.hangup()
        self.channel.stop_playing()
        self.channel.audio.startTransmit(call.channel.audio)
        call.channel.audio.startTransmit(self.channel.audio)
        HELD.agents[self.agent] = {"state": "talking", "queue": self.number}
        _publish(self.worker)
        _tell_record(
            self.worker,
            self.channel,
            records.QUEUE_LEFT,
            queue=self.number,
            outcome=records.QUEUE_ANSWERED,
            agent=self.agent,
            wait_s=time.time() - self.since,
        )
        log.info(
            "queue %s: %s answered %s after %d s",
            self.number,
            self.agent,
            self.caller,
            time.time() - self.since,
        )

    def agent_ended(self, call, code: int) -> None:
        agent = call.agent
        call.ring_timer.cancel()
        self.ringing.pop(agent, None)
        if HELD.agents.get(agent, {}).get("queue") == self.number:
            HELD.agents.pop(agent, None)
        round_over = self.queue.strategy == "ring-all" or set(self.tried) >= set(
            queue_agents(self.queue)
        )
        if call is not self.agent_call and not self.ringing and round_over:
            self._retry_at = time.time() + RETRY_S
        if call is self.agent_call:
            if self.target_call is not None and not self.target_call.channel.ended:
                log.info(
                    "queue %s: %s left %s with the transfer", self.number, agent,
                    self.caller,
                )  # fmt: skip
            elif not self.caller_hung_up:
                log.info("queue %s: %s hung up on %s", self.number, agent, self.caller)
                self.channel.hangup()
        _publish(self.worker)

    # -- a transfer by the agent ----------------------------------------------------

    def agent_transferred(self, call, target) -> None:
        """The agent's phone REFERred its call: target is the worker's call
        to the number it named, still ringing."""
        if call is not self.agent_call or self.done or self.channel.ended:
            target.channel.hangup()
            return
        self.target_call = target
        target.on_answered = self.target_answered
        target.on_ended = self.target_ended
        log.info("queue %s: %s transfers %s", self.number, self.agent, self.caller)

    def target_answered(self, target) -> None:
        if target is not self.target_call or self.channel.ended:
            target.channel.hangup()
            return
        agent_call = self.agent_call
        with contextlib.suppress(pj.Error):
            self.channel.audio.stopTransmit(agent_call.channel.audio)
            agent_call.channel.audio.stopTransmit(self.channel.audio)
        self.channel.audio.startTransmit(target.channel.audio)
        target.channel.audio.startTransmit(self.channel.audio)
        log.info(
            "queue %s: %s talks with the transfer target", self.number, self.caller
        )
        # The transferer's phone hangs up once told the transfer worked; one
        # that does not is hung up a moment later.
        self.worker.later(AGENT_LEAVES_S, agent_call.channel.hangup)

    def target_ended(self, target, code: int) -> None:
        if target is not self.target_call:
            return
        if not target.answered:
            # The transfer failed: the caller stays with the agent, whose
            # phone is told so in the REFER's NOTIFY.
            self.target_call = None
            self.agent_call.transferred_to = None
            log.info(
                "queue %s: transfer of %s failed with %d", self.number, self.caller,
                code,
            )  # fmt: skip
            return
        log.info(
            "queue %s: the transfer target hung up on %s", self.number, self.caller
        )
        self.channel.hangup()

    # -- the end -------------------------------------------------------------------

    def leave_line(self) -> None:
        callers = HELD.waiting.get(self.number, [])
        if self.entry in callers:
            callers.remove(self.entry)
        if not callers:
            HELD.waiting.pop(self.number, None)
        for timer in (self._tick_timer, self._deadline):
            if timer is not None:
                timer.cancel()

    def stop_ringing(self) -> None:
        for call in list(self.ringing.values()):
            if call is not self.agent_call:
                call.channel.hangup()

    def give_up(self) -> None:
        if self.done or self.agent_call is not None or self.channel.ended:
            return
        self.done = True
        self.left = True
        self.leave_line()
        self.stop_ringing()
        _publish(self.worker)
        self.channel.stop_playing()
        failover = Destination.parse(self.queue.failover, "failover")
        _tell_record(
            self.worker,
            self.channel,
            records.QUEUE_LEFT,
            queue=self.number,
            outcome=records.TIMED_OUT,
            wait_s=time.time() - self.since,
            failover=failover.kind,
        )
        log.info(
            "queue %s: %s waited %d s, no agent: to %s",
            self.number,
            self.caller,
            self.queue.max_wait_s,
            failover,
        )
        self.go(failover)

    def go(self, destination: Destination) -> None:
        if destination.kind == "extension":
            self.channel.transfer(destination.target)
        elif destination.kind == "voicemail":
            box = VoicemailService(self.worker.settings).find(destination.target)
            if box is None or not box.enabled:
                self.goodbye()
                return
            self.hand_over(
                LeaveMessage(
                    self.worker, self.channel, box, "unavailable", self.caller, ""
                )
            )
        elif destination.kind == "ivr":
            from agent.db.models import IvrMenu
            from agent.ivr.flow import IvrFlow

            menu = IvrMenu.get_or_none(IvrMenu.number == destination.target)
            if menu is None:
                self.goodbye()
                return
            self.hand_over(IvrFlow(self.worker, self.channel, menu, self.caller))
        elif destination.kind == "queue":
            queue = CallQueue.get_or_none(CallQueue.number == destination.target)
            if queue is None:
                self.goodbye()
                return
            self.hand_over(QueueCaller(self.worker, self.channel, queue, self.caller))
        else:
            self.goodbye()

    def hand_over(self, flow: Flow) -> None:
        self.channel.call.flow = flow
        flow.start()

    def on_hangup(self) -> None:
        super().on_hangup()
        self.done = True
        self.leave_line()
        self.stop_ringing()
        if self.agent_call is not None:
            self.caller_hung_up = True
            if not self.agent_call.channel.ended:
                log.info(
                    "queue %s: %s hung up on %s", self.number, self.caller, self.agent
                )
            self.agent_call.channel.hangup()
        if self.target_call is not None and self.target_call.answered:
            log.info(
                "queue %s: %s hung up on the transfer target", self.number, self.caller
            )
        if self.target_call is not None:
            self.target_call.channel.hangup()
        _publish(self.worker)
        if not self.left:
            _tell_record(
                self.worker,
                self.channel,
                records.QUEUE_LEFT,
                queue=self.number,
                outcome=records.ABANDONED,
                wait_s=time.time() - self.since,
            )
        if self.agent_call is None:
            log.info(
                "queue %s: %s hung up after %d s waiting",
                self.number,
                self.caller,
                time.time() - self.since,
            )

    def on_transfer_failed(self, code: int) -> None:
        log.info("queue %s: failover transfer failed with %d", self.number, code)
        self.goodbye()
